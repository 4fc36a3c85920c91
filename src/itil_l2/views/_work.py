"""The views of the two kinds of work an L2 queue lists: tickets and problems.

A view is the entity's current state as flat JSON values (see the policy in
`itil_l2.views`): what a list, an API response or a report row shows,
without the history. `ticket_view(ticket)` is computed from the entity; a
store keeps the same view beside the events, so listing needs no replay.
"""

from typing import Annotated, Any

from typing_extensions import TypedDict  # pydantic reads only this TypedDict on Python 3.11

from itil_l2._core.checks import thawed
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.problems import Problem, ProblemPhase
from itil_l2.tickets import Channel, Phase, Ticket, TicketKind
from itil_l2.views._policy import (
    PRIORITIES,
    Choice,
    Format,
    enum_text,
    iso,
    iso_or_none,
)

__all__ = ["ProblemView", "TicketView", "problem_view", "ticket_view"]

Time = Annotated[str, Format("date-time")]
TierName = Annotated[str, Choice.of(Tier)]
PriorityName = Annotated[str, PRIORITIES]
ImpactName = Annotated[str, Choice.of(Impact)]
UrgencyName = Annotated[str, Choice.of(Urgency)]


class TicketView(TypedDict):
    """A ticket's current state: identity, routing, priority, people, times, counters.

    `state` is the full state name (`"L2.in_progress"`), `phase` and `tier`
    its two parts; `group` is the assigned team (null while new, when
    `owner_group` holds the ticket); `attributes` are the host's own fields
    as given when the ticket was opened.
    """

    id: str
    kind: Annotated[str, Choice.of(TicketKind)]
    title: str
    description: str
    state: str
    phase: Annotated[str, Choice.of(Phase)]
    tier: TierName
    group: str | None
    owner_group: str
    assignee: str | None
    caller: str | None
    channel: Annotated[str, Choice.of(Channel)]
    impact: ImpactName
    urgency: UrgencyName
    priority: PriorityName
    major_incident: bool
    category: str | None
    subcategory: str | None
    service: str | None
    symptom: str | None
    ci_refs: list[str]
    hold_reason: str | None
    resolution_code: str | None
    duplicate_of: str | None
    parent: str | None
    reassignment_count: int
    reopen_count: int
    escalation_count: int
    opened_at: Time
    updated_at: Time
    resolved_at: Time | None
    version: int
    attributes: dict[str, Any]


class ProblemView(TypedDict):
    """A problem's current state: statement, priority, team, RCA progress, links, times."""

    id: str
    statement: str
    description: str
    state: Annotated[str, Choice.of(ProblemPhase)]
    impact: ImpactName
    urgency: UrgencyName
    priority: PriorityName
    category: str | None
    service: str | None
    ci_refs: list[str]
    group: str | None
    tier: TierName | None
    assignee: str | None
    root_cause: str | None
    workaround: str | None
    known_error_id: str | None
    incident_ids: list[str]
    fix_change_ref: str | None
    resolution_code: str | None
    opened_at: Time
    updated_at: Time
    resolved_at: Time | None
    version: int


def _group_name(group: SupportGroup | None) -> str | None:
    return None if group is None else group.name


def ticket_view(ticket: Ticket) -> TicketView:
    """The ticket's view.

    >>> import json
    >>> from itil_l2.testing import example_ticket
    >>> from itil_l2.views import ticket_view
    >>> view = ticket_view(example_ticket())
    >>> view["state"], view["tier"], view["priority"], view["impact"]
    ('L1.in_progress', 'L1', 'P4', 'low')
    >>> json.loads(json.dumps(view)) == view
    True
    """
    t = ticket
    return {
        "id": t.id,
        "kind": enum_text(t.kind),
        "title": t.title,
        "description": t.description,
        "state": t.state,
        "phase": enum_text(t.phase),
        "tier": enum_text(t.tier),
        "group": _group_name(t.group),
        "owner_group": t.owner_group.name,
        "assignee": t.assignee,
        "caller": t.caller,
        "channel": enum_text(t.channel),
        "impact": enum_text(t.impact),
        "urgency": enum_text(t.urgency),
        "priority": enum_text(t.priority),
        "major_incident": t.major_incident,
        "category": t.category,
        "subcategory": t.subcategory,
        "service": t.service,
        "symptom": t.symptom,
        "ci_refs": list(t.ci_refs),
        "hold_reason": None if t.hold_reason is None else t.hold_reason.code,
        "resolution_code": None if t.resolution is None else t.resolution.code.code,
        "duplicate_of": t.duplicate_of,
        "parent": t.parent,
        "reassignment_count": t.reassignment_count,
        "reopen_count": t.reopen_count,
        "escalation_count": t.escalation_count,
        "opened_at": iso(t.opened_at),
        "updated_at": iso(t.updated_at),
        "resolved_at": iso_or_none(t.resolved_at),
        "version": t.version,
        "attributes": thawed(t.attributes),
    }


def problem_view(problem: Problem) -> ProblemView:
    """The problem's view.

    >>> from itil_l2.testing import example_problem
    >>> from itil_l2.views import problem_view
    >>> view = problem_view(example_problem())
    >>> view["state"], view["priority"]
    ('root_cause_analysis', 'P3')
    """
    p = problem
    return {
        "id": p.id,
        "statement": p.statement,
        "description": p.description,
        "state": p.state,
        "impact": enum_text(p.impact),
        "urgency": enum_text(p.urgency),
        "priority": enum_text(p.priority),
        "category": p.category,
        "service": p.service,
        "ci_refs": list(p.ci_refs),
        "group": _group_name(p.group),
        "tier": None if p.group is None else enum_text(p.group.tier),
        "assignee": p.assignee,
        "root_cause": None if p.rca is None else p.rca.root_cause,
        "workaround": p.workaround,
        "known_error_id": None if p.known_error is None else p.known_error.id,
        "incident_ids": list(p.incident_ids),
        "fix_change_ref": p.fix_change_ref,
        "resolution_code": None if p.resolution is None else p.resolution.code.code,
        "opened_at": iso(p.opened_at),
        "updated_at": iso(p.updated_at),
        "resolved_at": iso_or_none(p.resolved_at),
        "version": p.version,
    }
