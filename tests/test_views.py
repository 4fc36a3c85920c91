"""The views hold the entity's own values under the one enum policy, independently checked.

Expected values come from the entities' attributes and the enum classes here in the
test (`ticket.tier.value`, `ticket.priority.name`), never from the view code: for
hand-built entities written out in full, and for hypothesis-generated entities of
every kind. Also: the SLA view is a small summary (no calendar, no holidays), and
`view_of` and `json_schema` refuse what they cannot handle with a `ValidationError`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2 import (
    SYSTEM,
    ConfigurationItem,
    HoldReason,
    Impact,
    ItilL2Error,
    Priority,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    ValidationError,
)
from itil_l2.changes import ChangeRequest
from itil_l2.cmdb import CiKind, CiStatus, Relation, RelationKind
from itil_l2.knowledge import KnowledgeArticle
from itil_l2.problems import Problem
from itil_l2.sla import TWENTY_FOUR_SEVEN, BusinessCalendar, SlaMetric, SlaStatus, SlaTarget
from itil_l2.sla import sla_status as status_of
from itil_l2.testing import example_article, example_problem, example_ticket
from itil_l2.tickets import Channel, TicketKind
from itil_l2.views import (
    ArticleView,
    TicketView,
    article_view,
    change_view,
    ci_view,
    enum_text,
    json_schema,
    problem_view,
    sla_view,
    ticket_view,
    view_of,
)
from view_entities import any_articles, changes, cis, problems, sla_statuses, tickets

_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def time_of(text: str | None) -> datetime | None:
    """The instant a view's time text names (its offset must be there)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def same_time(text: str | None, moment: datetime | None) -> bool:
    """Same instant; and the same offset when the entity's offset is whole minutes."""
    if text is None or moment is None:
        return text is None and moment is None
    shown = time_of(text)
    assert shown is not None
    offset = moment.utcoffset()
    assert offset is not None
    kept = offset % timedelta(minutes=1) == timedelta(0)
    same_instant = shown.astimezone(UTC) == moment.astimezone(UTC)  # == is False in a DST gap
    return same_instant and (not kept or shown.utcoffset() == offset)


def value_or_none(member: Enum | None) -> Any:
    return None if member is None else member.value


# --- the policy on the enum classes themselves --------------------------------------


def test_the_policy_spells_priority_by_name_and_every_other_enum_by_value() -> None:
    assert [enum_text(p) for p in Priority] == ["P1", "P2", "P3", "P4", "P5"]
    assert [enum_text(t) for t in Tier] == ["L1", "L2", "L3"]
    assert [enum_text(i) for i in Impact] == ["high", "medium", "low"]
    for enum in (TicketKind, Channel, Urgency, CiKind, CiStatus, SlaMetric):
        assert [enum_text(member) for member in enum] == [str(m.value) for m in enum]


# --- hand-built entities, written out in full ---------------------------------------

DESK = SupportGroup("service-desk", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2)
BERLIN_WINTER = timezone(timedelta(hours=1))


def test_a_hand_built_ticket_view_in_full() -> None:
    at = datetime(2026, 1, 5, 9, 30, tzinfo=BERLIN_WINTER)
    ticket = Ticket.open(
        id="INC-7",
        title="Orders time out — Bestellungen hängen",
        description="since 09:10",
        impact=Impact.HIGH,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        kind=TicketKind.INCIDENT,
        channel=Channel.MONITORING,
        caller="ann",
        service="shop",
        category="database",
        ci_refs=["db-prod-3"],
        attributes={"region": "eu", "tags": ["a", "b"], "cost": {"eur": 1.5}},
        at=at,
        actor=SYSTEM,
    )
    ticket.assign(DBA, at=at + timedelta(minutes=2), actor=SYSTEM, reason="monitoring alert")
    ticket.assign_to("bob", at=at + timedelta(minutes=3), actor=SYSTEM)
    ticket.start(at=at + timedelta(minutes=5), actor=SYSTEM)
    ticket.hold(HoldReason.AWAITING_CALLER, at=at + timedelta(minutes=9), actor=SYSTEM)
    assert ticket_view(ticket) == {
        "id": "INC-7",
        "kind": "incident",
        "title": "Orders time out — Bestellungen hängen",
        "description": "since 09:10",
        "state": "L2.on_hold",
        "phase": "on_hold",
        "tier": "L2",
        "group": "database-l2",
        "owner_group": "service-desk",
        "assignee": "bob",
        "caller": "ann",
        "channel": "monitoring",
        "impact": "high",
        "urgency": "medium",
        "priority": "P2",
        "major_incident": False,
        "category": "database",
        "subcategory": None,
        "service": "shop",
        "symptom": None,
        "ci_refs": ["db-prod-3"],
        "hold_reason": "awaiting_caller",
        "resolution_code": None,
        "duplicate_of": None,
        "parent": None,
        "reassignment_count": 0,
        "reopen_count": 0,
        "escalation_count": 0,
        "opened_at": "2026-01-05T09:30:00+01:00",
        "updated_at": "2026-01-05T09:39:00+01:00",
        "resolved_at": None,
        "version": 5,
        "attributes": {"region": "eu", "tags": ["a", "b"], "cost": {"eur": 1.5}},
    }


def test_nested_attributes_come_out_as_plain_json_lists_and_dicts() -> None:
    ticket = Ticket.open(
        id="INC-8",
        title="x",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        owner_group=DESK,
        attributes={"a": [1, {"b": [2, [3]]}]},
        at=datetime(2026, 1, 5, tzinfo=UTC),
        actor=SYSTEM,
    )
    attributes = ticket_view(ticket)["attributes"]
    assert attributes == {"a": [1, {"b": [2, [3]]}]}
    assert type(attributes["a"]) is list and type(attributes["a"][1]) is dict
    assert type(attributes["a"][1]["b"][1]) is list
    attributes["a"].append(4)  # the view is the caller's own copy
    assert ticket.attributes["a"] == (1, {"b": (2, (3,))})


def test_a_hand_built_ci_view_in_full() -> None:
    at = datetime(2026, 1, 5, 8, tzinfo=UTC)
    ci = ConfigurationItem.register(
        id="db-prod-3",
        name="Orders DB",
        kind=CiKind.DATABASE,
        support_group=DBA,
        owner="dba-team",
        attributes={"ram_gb": 64},
        relations=[
            Relation(RelationKind.RUNS_ON, "host-1"),
            Relation(RelationKind.DEPENDS_ON, "host-1"),
            Relation(RelationKind.DEPENDS_ON, "san-2"),
        ],
        at=at,
        actor=SYSTEM,
    )
    ci.change_status(CiStatus.ACTIVE, at=at + timedelta(hours=1), actor=SYSTEM)
    assert ci_view(ci) == {
        "id": "db-prod-3",
        "name": "Orders DB",
        "kind": "database",
        "state": "active",
        "productive": True,
        "support_group": "database-l2",
        "tier": "L2",
        "owner": "dba-team",
        "related": ["host-1", "san-2"],
        "attributes": {"ram_gb": 64},
        "opened_at": "2026-01-05T08:00:00+00:00",
        "updated_at": "2026-01-05T09:00:00+00:00",
        "version": 2,
    }


def test_the_example_problem_and_article_views_hold_their_fields() -> None:
    problem = example_problem()
    view = problem_view(problem)
    assert view["priority"] == problem.priority.name == "P3"  # high impact, low urgency
    assert view["root_cause"] == "logs never rotated"
    assert view["known_error_id"] == "KE-PRB-EXAMPLE"
    assert view["workaround"] == "clear old logs, restart the listener"
    assert (view["group"], view["tier"], view["assignee"]) == ("problem-team", "L2", "bob")
    article = article_view(example_article(published=True))
    assert article["state"] == "published" and article["published_at"] is not None


def test_a_hand_built_sla_view_in_full() -> None:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    ticket = Ticket.open(
        id="INC-9",
        title="VPN down",
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        owner_group=DESK,
        at=at,
        actor=SYSTEM,
    )
    target = SlaTarget("resolve P2 in 8h", SlaMetric.RESOLUTION, {Priority.P2: timedelta(hours=8)})
    view = sla_view(status_of(ticket, target, at + timedelta(hours=10)))
    assert view == {
        "target": "resolve P2 in 8h",
        "metric": "resolution",
        "agreement": "sla",
        "priority": "P2",
        "stage": "in_progress",  # still running (ServiceNow's stages), but breached
        "duration_seconds": 28800.0,
        "elapsed_seconds": 36000.0,
        "remaining_seconds": 0.0,
        "percentage": 125.0,
        "paused": False,
        "breached": True,
        "due_at": "2026-01-05T17:00:00+00:00",
        "breached_at": "2026-01-05T17:00:00+00:00",
        "started_at": "2026-01-05T09:00:00+00:00",
        "stopped_at": None,
    }


# --- hypothesis: every view holds its entity's own fields ---------------------------


@_SETTINGS
@given(tickets())
def test_a_ticket_view_holds_the_tickets_fields(ticket: Ticket) -> None:
    view = ticket_view(ticket)
    group = ticket.group
    expected = {
        "id": ticket.id,
        "kind": ticket.kind.value,
        "title": ticket.title,
        "description": ticket.description,
        "state": ticket.state,
        "phase": ticket.phase.value,
        "tier": ticket.tier.value,
        "group": None if group is None else group.name,
        "owner_group": ticket.owner_group.name,
        "assignee": ticket.assignee,
        "caller": ticket.caller,
        "channel": ticket.channel.value,
        "impact": ticket.impact.value,
        "urgency": ticket.urgency.value,
        "priority": ticket.priority.name,
        "major_incident": ticket.major_incident,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "service": ticket.service,
        "symptom": ticket.symptom,
        "ci_refs": [*ticket.ci_refs],
        "hold_reason": ticket.hold_reason and ticket.hold_reason.code,
        "resolution_code": ticket.resolution and ticket.resolution.code.code,
        "duplicate_of": ticket.duplicate_of,
        "parent": ticket.parent,
        "reassignment_count": ticket.reassignment_count,
        "reopen_count": ticket.reopen_count,
        "escalation_count": ticket.escalation_count,
        "version": len(ticket.history),
        "attributes": json.loads(json.dumps(ticket.attributes)),
    }
    assert {k: v for k, v in view.items() if k in expected} == expected
    assert view["state"] in (view["phase"], f"{view['tier']}.{view['phase']}")
    assert same_time(view["opened_at"], ticket.opened_at)
    assert same_time(view["updated_at"], ticket.updated_at)
    assert same_time(view["resolved_at"], ticket.resolved_at)


@_SETTINGS
@given(problems())
def test_a_problem_view_holds_the_problems_fields(problem: Problem) -> None:
    view = problem_view(problem)
    group = problem.group
    assert view["state"] == problem.phase.value
    assert (view["impact"], view["urgency"]) == (problem.impact.value, problem.urgency.value)
    assert view["priority"] == problem.priority.name
    assert view["group"] == (group and group.name)
    assert view["tier"] == (group and group.tier.value)
    assert view["root_cause"] == (problem.rca and problem.rca.root_cause)
    assert view["known_error_id"] == (problem.known_error and problem.known_error.id)
    assert view["incident_ids"] == [*problem.incident_ids]
    assert view["resolution_code"] == (problem.resolution and problem.resolution.code.code)
    for name in ("id", "statement", "description", "category", "service", "assignee"):
        assert view[name] == getattr(problem, name), name
    assert (view["workaround"], view["fix_change_ref"]) == (
        problem.workaround,
        problem.fix_change_ref,
    )
    assert view["ci_refs"] == [*problem.ci_refs] and view["version"] == len(problem.history)
    assert same_time(view["opened_at"], problem.opened_at)
    assert same_time(view["resolved_at"], problem.resolved_at)


@_SETTINGS
@given(changes())
def test_a_change_view_holds_the_changes_fields(rfc: ChangeRequest) -> None:
    view = change_view(rfc)
    assert view["change_type"] == rfc.change_type.value
    assert view["risk"] == rfc.risk.value
    assert view["state"] == rfc.state
    assert view["outcome"] == value_or_none(rfc.outcome)
    assert (view["group"], view["tier"]) == (rfc.group.name, rfc.group.tier.value)
    for name in ("id", "title", "description", "requested_by", "authorized", "version"):
        assert view[name] == getattr(rfc, name), name
    assert (view["fixes"], view["tickets"]) == ([*rfc.fixes], [*rfc.tickets])
    for name in ("planned_start", "planned_end", "implementation_started_at", "opened_at"):
        assert same_time(view[name], getattr(rfc, name)), name  # type: ignore[literal-required]


@_SETTINGS
@given(any_articles())
def test_an_article_view_holds_the_articles_fields(article: KnowledgeArticle) -> None:
    view: ArticleView = article_view(article)
    assert (view["audience"], view["confidence"]) == (
        article.audience.value,
        article.confidence.value,
    )
    assert view["state"] == article.state
    names = ("id", "title", "symptom", "cause", "author", "revision", "supersedes", "version")
    for name in names:
        assert view[name] == getattr(article, name), name  # type: ignore[literal-required]
    assert view["resolution_steps"] == [*article.resolution_steps]
    assert (view["categories"], view["ci_refs"]) == ([*article.categories], [*article.ci_refs])
    assert view["source_tickets"] == [*article.source_tickets]
    assert same_time(view["published_at"], article.published_at)


@_SETTINGS
@given(cis())
def test_a_ci_view_holds_the_cis_fields(ci: ConfigurationItem) -> None:
    view = ci_view(ci)
    assert (view["kind"], view["state"]) == (ci.kind.value, ci.status.value)
    assert (view["support_group"], view["tier"]) == (
        ci.support_group.name,
        ci.support_group.tier.value,
    )
    assert view["related"] == sorted({r.target for r in ci.relations}, key=view["related"].index)
    assert len(view["related"]) == len({r.target for r in ci.relations})
    assert view["attributes"] == json.loads(json.dumps(ci.attributes))
    assert (view["name"], view["owner"], view["productive"]) == (ci.name, ci.owner, ci.productive)
    assert same_time(view["updated_at"], ci.updated_at)


@_SETTINGS
@given(sla_statuses())
def test_an_sla_view_is_a_small_summary_of_the_status(status: SlaStatus) -> None:
    view = sla_view(status)
    assert view["target"] == status.target.name
    assert (view["metric"], view["agreement"]) == (
        status.target.metric.value,
        status.target.agreement.value,
    )
    assert (view["priority"], view["stage"]) == (status.priority.name, status.stage.value)
    assert view["elapsed_seconds"] == status.elapsed.total_seconds()
    assert view["remaining_seconds"] == status.remaining.total_seconds()
    assert view["duration_seconds"] == status.duration.total_seconds()
    assert (view["paused"], view["breached"]) == (status.paused, status.breached)
    for name in ("due_at", "breached_at", "started_at", "stopped_at"):
        assert same_time(view[name], getattr(status, name)), name  # type: ignore[literal-required]
    text = json.dumps(view)
    assert len(text) < 600, len(text)
    own = json.dumps({k: v for k, v in view.items() if k != "target"})  # the name is the user's
    assert not any(word in own.lower() for word in ("calendar", "holiday", "week", "zone"))
    assert all(not isinstance(value, (dict, list)) for value in view.values())


def test_the_sla_view_leaves_out_a_big_calendar() -> None:
    holidays = {datetime(2026, 1, 1).date() + timedelta(days=7 * n) for n in range(40)}
    calendar = BusinessCalendar(
        {0: [(datetime.min.time(), datetime.max.time().replace(microsecond=0))]},
        zone="Europe/Berlin",
        country="DE",
        extra_holidays=holidays,
    )
    target = SlaTarget(
        "resolve", SlaMetric.RESOLUTION, dict.fromkeys(Priority, timedelta(hours=8)), calendar
    )
    status = status_of(example_ticket(), target, example_ticket().updated_at)
    assert len(repr(status.target)) > 1000  # what a naive dump of the status carried
    assert len(json.dumps(sla_view(status))) < 600


# --- refusals -----------------------------------------------------------------------


class NotAView(dict[str, Any]):
    pass


@pytest.mark.parametrize(
    "item", [object(), None, {"id": "INC-1"}, "INC-1", TWENTY_FOUR_SEVEN, Tier.L2]
)
def test_view_of_refuses_an_unsupported_object(item: object) -> None:
    with pytest.raises(ValidationError) as caught:
        view_of(item)
    assert isinstance(caught.value, ItilL2Error)
    assert "Ticket" in str(caught.value)  # says which kinds have views


@pytest.mark.parametrize("cls", [dict, NotAView, Ticket, int, str, "TicketView", None])
def test_json_schema_refuses_what_is_not_a_view_class(cls: Any) -> None:
    with pytest.raises(ValidationError):
        json_schema(cls)


def test_view_of_picks_each_kinds_view() -> None:
    ticket, problem = example_ticket(), example_problem()
    assert view_of(ticket) == ticket_view(ticket)
    assert view_of(problem) == problem_view(problem)
    assert set(view_of(ticket)) == set(TicketView.__annotations__)


@pytest.mark.parametrize("priority", list(Priority))
def test_every_priority_reads_as_its_name(priority: Priority) -> None:
    ticket = example_ticket()
    assert ticket_view(attrs_free_copy(ticket, priority))["priority"] == f"P{priority.value}"


def attrs_free_copy(ticket: Ticket, priority: Priority) -> Ticket:
    """A ticket of the wanted priority, via impact and urgency (the default matrix)."""
    for impact in Impact:
        for urgency in Urgency:
            candidate = Ticket.open(
                id="INC-P",
                title="t",
                impact=impact,
                urgency=urgency,
                owner_group=DESK,
                at=ticket.opened_at,
                actor=SYSTEM,
            )
            if candidate.priority is priority:
                return candidate
    pytest.skip(f"the default matrix gives no {priority.name}")


@given(st.sampled_from(list(Priority)))
def test_the_enum_text_of_a_priority_is_never_its_number(priority: Priority) -> None:
    assert enum_text(priority) == priority.name != str(priority.value)
