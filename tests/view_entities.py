"""Random entities of every kind for the view tests, in many states and with varied fields.

Each strategy opens an entity with unicode texts, optional fields drawn as None or
set, times in assorted UTC offsets, then walks it through legal triggers of the real
workflow (the `itil_l2.testing` move builders), so the views see every state, with
and without the fields each state fills in. `sla_statuses` draws a ticket, a target
(random durations, metric, agreement and calendar) and an instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from itil_l2 import SYSTEM, Actor, ConfigurationItem, Impact, Priority, Role, Ticket, Urgency
from itil_l2.changes import ChangeLink, ChangeLinkKind, ChangeRequest, ChangeRisk, ChangeType
from itil_l2.cmdb import CiKind, CiStatus, Relation, RelationKind
from itil_l2.errors import ItilL2Error
from itil_l2.knowledge import Audience, KnowledgeArticle, KnowledgeTrigger
from itil_l2.problems import Problem, ProblemConfig, ProblemTrigger
from itil_l2.sla import (
    TWENTY_FOUR_SEVEN,
    AgreementType,
    BusinessCalendar,
    SlaMetric,
    SlaStatus,
    SlaTarget,
    sla_status,
)
from itil_l2.testing import (
    CHANGE_GROUPS,
    DEFAULT_GROUPS,
    PROBLEM_TEAM,
    aware_datetimes,
    draw_change_kwargs,
    draw_move,
    json_values,
    knowledge_articles,
    rca_records,
)
from itil_l2.testing._common import call_trigger, walk
from itil_l2.testing._knowledge import draw_article_kwargs
from itil_l2.testing._tickets import fresh_ticket
from itil_l2.tickets import Channel, HoldReason, Phase, TicketKind

_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
TEXT = st.text(_CHARS, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
"""Unicode text a field accepts (no NUL, not blank)."""
NAME = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=24
).filter(lambda s: s.strip() != "" and s == s.strip())
"""Unicode text an identifier-like field accepts (no control characters)."""
MAYBE = st.none() | NAME
ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(minutes=53, seconds=28)),  # a local mean time: no RFC 3339 spelling
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/New_York"),
    ]
)
STARTS = aware_datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)) | st.datetimes(
    datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=ZONES
)
"""Start times in assorted offsets and zones, one with seconds in its offset."""
MANAGER = Actor("pat", roles={Role.PROBLEM_MANAGER})


def _attributes() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(NAME, json_values(), max_size=4)


@st.composite
def tickets(draw: st.DrawFn, max_steps: int = 10) -> Ticket:
    """A ticket opened with varied fields and walked by legal moves."""
    start = draw(STARTS)
    owner = DEFAULT_GROUPS[0]
    ticket = Ticket.open(
        id=f"INC-{draw(st.integers(1, 10**6))}",
        title=draw(TEXT),
        description=draw(st.just("") | TEXT),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        owner_group=owner,
        kind=draw(st.sampled_from(TicketKind)),
        channel=draw(st.sampled_from(Channel)),
        caller=draw(MAYBE),
        service=draw(MAYBE),
        category=draw(MAYBE),
        subcategory=draw(MAYBE),
        symptom=draw(MAYBE),
        ci_refs=draw(st.lists(NAME, max_size=2, unique=True)),
        major_incident=draw(st.booleans()),
        attributes=draw(st.none() | _attributes()),
        at=start,
        actor=SYSTEM,
    )
    for now in walk(draw, max_steps, start):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        move = draw_move(draw, ticket, trigger, DEFAULT_GROUPS, valid=True)
        try:
            move.fire(ticket, now, SYSTEM)
        except ItilL2Error:
            continue  # e.g. the drawn group's tier fits no edge from here
    return ticket


_CONFIG = ProblemConfig()
_T = ProblemTrigger


def _problem_kwargs(
    draw: st.DrawFn, problem: Problem, trigger: ProblemTrigger, now: datetime
) -> dict[str, Any]:
    """Arguments for a problem trigger (they may still be refused: the walk skips those)."""
    if trigger is _T.ASSIGN:
        return {"group": PROBLEM_TEAM, "assignee": draw(MAYBE)}
    if trigger is _T.RECORD_RCA:
        return {"rca": draw(rca_records(complete=draw(st.booleans())))}
    if trigger is _T.START_FIX:
        return {"change_ref": draw(MAYBE)}
    if trigger in (_T.PUBLISH_WORKAROUND, _T.ADD_NOTE):
        return {"text": draw(TEXT)}
    if trigger in (_T.REANALYZE, _T.CANCEL):
        return {"reason": draw(TEXT)}
    if trigger is _T.RAISE_KNOWN_ERROR:
        return {"id": f"KE-{problem.id}"}
    if trigger is _T.LINK_INCIDENT:
        ticket = fresh_ticket(f"INC-{problem.version}", at=now - timedelta(hours=1))
        ticket.hold(_CONFIG.awaiting_reason, at=ticket.updated_at, actor=SYSTEM)
        return {"ticket": ticket}
    if trigger is _T.RESOLVE:
        code = draw(st.sampled_from(_CONFIG.resolution_codes))
        return {
            "code": code,
            "notes": draw(TEXT),
            "duplicate_of": "PRB-OTHER" if code.duplicate else None,
        }
    return {}


@st.composite
def problems(draw: st.DrawFn, max_steps: int = 14) -> Problem:
    """A problem opened with varied fields and walked, mostly forward, by a problem manager."""
    start = draw(STARTS)
    problem = Problem.open(
        id=f"PRB-{draw(st.integers(1, 10**6))}",
        statement=draw(TEXT),
        description=draw(st.just("") | TEXT),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        category=draw(MAYBE),
        service=draw(MAYBE),
        ci_refs=draw(st.lists(NAME, max_size=2, unique=True)),
        group=draw(st.none() | st.just(PROBLEM_TEAM)),
        at=start,
        actor=MANAGER,
    )
    for now in walk(draw, max_steps, start):
        allowed = problem.allowed_triggers()
        if not allowed:
            break
        onward = [t for t in allowed if t is not ProblemTrigger.CANCEL]
        trigger = draw(st.sampled_from(onward or allowed))
        kwargs = _problem_kwargs(draw, problem, trigger, now)
        try:
            call_trigger(problem, trigger, now, MANAGER, **kwargs)
        except ItilL2Error:
            continue  # e.g. a fix without a root cause
    return problem


@st.composite
def changes(draw: st.DrawFn, max_steps: int = 12) -> ChangeRequest:
    """An RFC raised with varied texts and walked by legal triggers (CAB decisions too)."""
    start = draw(STARTS)
    kind = draw(st.sampled_from(ChangeType))
    group = draw(st.sampled_from(CHANGE_GROUPS))
    source = draw(st.sampled_from([None, ChangeLinkKind.PROBLEM, ChangeLinkKind.TICKET]))
    rfc = ChangeRequest.raise_(
        id=f"CHG-{draw(st.integers(1, 10**6))}",
        title=draw(TEXT),
        description=draw(st.just("") | TEXT),
        change_type=kind,
        risk=ChangeRisk.LOW if kind is ChangeType.STANDARD else draw(st.sampled_from(ChangeRisk)),
        group=group,
        raised_from=None if source is None else ChangeLink(source, "REF-1"),
        at=start,
        actor=SYSTEM,
    )
    deciders = [
        Actor("cab-0", roles={"cab_member"}),
        Actor("gm", groups={group.name}, roles={"group_manager"}),
    ]
    for now in walk(draw, max_steps, start):
        allowed = [str(t) for t in rfc.allowed_triggers()]
        onward = [t for t in allowed if t not in ("cancel", "reject")]
        trigger = draw(st.sampled_from(onward or allowed))
        kw = draw_change_kwargs(draw, trigger, now, board=rfc.required_board, valid=True)
        actors = deciders if trigger in ("approve", "reject") else [SYSTEM]
        try:
            call_trigger(rfc, trigger, now, draw(st.sampled_from(actors)), **kw)
        except ItilL2Error:
            continue
    return rfc


@st.composite
def articles(draw: st.DrawFn, max_steps: int = 8) -> KnowledgeArticle:
    """An article drafted with unicode texts (cause and author maybe None) and walked."""
    start = draw(STARTS)
    article = KnowledgeArticle.draft(
        id=f"KB-{draw(st.integers(1, 10**6))}",
        title=draw(TEXT),
        symptom=draw(TEXT),
        cause=draw(MAYBE),
        resolution_steps=draw(st.lists(TEXT, min_size=1, max_size=3)),
        ci_refs=draw(st.lists(NAME, min_size=1, max_size=2, unique=True)),
        categories=draw(st.lists(NAME, max_size=2, unique=True)),
        audience=draw(st.sampled_from(Audience)),
        source_tickets=draw(st.lists(st.sampled_from(["INC-1", "INC-2"]), unique=True)),
        author=draw(MAYBE),
        at=start,
        actor=SYSTEM,
    )
    for now in walk(draw, max_steps, start):
        triggers = [t for t in article.allowed_triggers() if t is not KnowledgeTrigger.SUPERSEDE]
        if not triggers:
            break
        trigger = draw(st.sampled_from(triggers))
        kwargs, valid = draw_article_kwargs(draw, trigger, now)
        if not valid:
            continue
        try:
            call_trigger(article, trigger, now, SYSTEM, **kwargs)
        except ItilL2Error:
            continue
    return article


def any_articles() -> st.SearchStrategy[KnowledgeArticle]:
    """These articles, or the `itil_l2.testing` ones (which reach publication more often)."""
    return articles() | knowledge_articles()


_STATUS_PATHS = (
    (),
    (CiStatus.ACTIVE,),
    (CiStatus.ACTIVE, CiStatus.MAINTENANCE),
    (CiStatus.ACTIVE, CiStatus.RETIRED),
)


@st.composite
def cis(draw: st.DrawFn) -> ConfigurationItem:
    """A CI registered with unicode name, owner maybe None, attributes, relations; moved."""
    moment = draw(STARTS)
    ci_id = f"ci-{draw(st.integers(1, 10**6))}"
    relations = draw(
        st.lists(
            st.builds(Relation, st.sampled_from(RelationKind), st.sampled_from(["a", "b", "c"])),
            unique=True,
            max_size=4,
        )
    )
    ci = ConfigurationItem.register(
        id=ci_id,
        name=draw(NAME),
        kind=draw(st.sampled_from(CiKind)),
        support_group=draw(st.sampled_from(DEFAULT_GROUPS)),
        owner=draw(MAYBE),
        attributes=draw(_attributes()),
        relations=relations,
        at=moment,
        actor=SYSTEM,
    )
    for status in draw(st.sampled_from(_STATUS_PATHS)):
        moment += timedelta(minutes=draw(st.integers(0, 90)))
        ci.change_status(status, at=moment, actor=SYSTEM)
    return ci


_OFFICE = BusinessCalendar(
    {day: [(time(8), time(17))] for day in range(5)}, zone="Europe/Berlin", country="DE"
)


@st.composite
def sla_statuses(draw: st.DrawFn) -> SlaStatus:
    """The status of a random target on a random ticket at a random instant."""
    ticket = draw(tickets(max_steps=8))
    minutes = st.integers(1, 60 * 24 * 5).map(lambda m: timedelta(minutes=m))
    durations = {p: draw(minutes) for p in Priority}
    target = SlaTarget(
        draw(TEXT),
        draw(st.sampled_from(SlaMetric)),
        durations,
        calendar=draw(st.sampled_from([TWENTY_FOUR_SEVEN, _OFFICE])),
        agreement=draw(st.sampled_from(AgreementType)),
        pause_on=draw(st.sampled_from([frozenset({HoldReason.AWAITING_CALLER}), frozenset()])),
    )
    hours = draw(st.integers(0, 24 * 30))
    # In UTC: wall-clock arithmetic on a ZoneInfo time drops its fold (01:30 EST + 0 h is
    # 01:30 EDT, an hour before the ticket opened; CI drew it on 2020-11-01 in New York).
    at = ticket.opened_at.astimezone(UTC) + timedelta(hours=hours)
    if ticket.phase is Phase.NEW and draw(st.booleans()):
        at = ticket.opened_at
    return sla_status(ticket, target, at.astimezone(UTC))
