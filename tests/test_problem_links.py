"""Incidents ↔ problem: linking writes both histories atomically; resolving frees the waiting."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Actor,
    HoldReason,
    Impact,
    ItilL2Error,
    Link,
    LinkKind,
    NotPermitted,
    Phase,
    Problem,
    Role,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    ValidationError,
    WorkflowConfig,
)
from itil_l2.errors import DuplicateLink, EventOutOfOrder, UnknownResolutionCode
from itil_l2.problems import IncidentLinkedElsewhere, ProblemPhase, ProblemResolutionCode
from itil_l2.problems.rca import FiveWhys, RcaAction, RcaRecord, RcaStatus, Why
from itil_l2.testing import snapshot
from itil_l2.tickets import SOLVED_WORKAROUND, DefaultPermissions, TicketKind, Trigger
from support import ANN, DESK, FIXED, Clock, open_ticket

PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
PIA = Actor("pia", groups={"problem-team"})
FIX = ProblemResolutionCode.FIX_APPLIED
AWAITING = HoldReason.AWAITING_PROBLEM


def problem(clock: Clock, id: str = "PRB-1") -> Problem:
    return Problem.open(
        id=id,
        statement="Order app loses its database",
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        group=SupportGroup("problem-team", Tier.L2),
        at=clock(),
        actor=PM,
    )


def incident(
    clock: Clock, id: str, hold: HoldReason | None = None, config: WorkflowConfig | None = None
) -> Ticket:
    t = open_ticket(clock, config, id=id)
    t.assign(DESK, at=clock(), actor=ANN)
    t.start(at=clock(), actor=ANN)
    if hold is not None:
        t.hold(hold, at=clock(), actor=ANN)
    return t


def fixable(clock: Clock, id: str = "PRB-1") -> Problem:
    p = problem(clock, id)
    p.assess(at=clock(), actor=PM)
    p.start_analysis(at=clock(), actor=PM)
    rca = RcaRecord(
        FiveWhys([Why("why?", "listener down")], "no log rotation"),
        root_cause="no log rotation",
        corrective_actions=[RcaAction("rotate logs", "bob", clock().date())],
        status=RcaStatus.COMPLETED,
    )
    p.record_rca(rca, at=clock(), actor=PM)
    return p


def unchanged(*entities: Any) -> Any:
    """A check that every entity still equals its snapshot from now."""
    before = [snapshot(e) for e in entities]

    def check() -> None:
        assert [snapshot(e) for e in entities] == before

    return check


def problem_links(t: Ticket) -> list[str]:
    return [link.ref for link in t.links if link.kind is LinkKind.PROBLEM]


# -- linking ---------------------------------------------------------------------------


def test_linking_writes_both_histories(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1")
    at = clock()
    p.link_incident(t, at=at, actor=PM)
    assert p.incident_ids == ("INC-1",)
    assert (p.history[-1].kind, p.history[-1].payload.ticket_id) == ("link_incident", "INC-1")
    assert t.links == (Link(LinkKind.PROBLEM, "PRB-1"),)
    assert (t.history[-1].kind, t.history[-1].at, t.history[-1].actor_id) == ("link", at, "pat")
    assert t.phase is Phase.IN_PROGRESS  # a link never moves the ticket


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_final_incidents_can_be_linked_as_trend_evidence(clock: Clock, final: str) -> None:
    p, t = problem(clock), incident(clock, "INC-9")
    if final == "closed":
        t.resolve(FIXED, at=clock(), actor=ANN)
        t.close(at=clock(), actor=ANN)
    else:
        t.cancel("caller withdrew", at=clock(), actor=ANN)
    p.link_incident(t, at=clock(), actor=SYSTEM)
    assert p.incident_ids == ("INC-9",) and problem_links(t) == ["PRB-1"]
    assert t.phase.value == final


def test_a_ticket_refusal_leaves_the_problem_unchanged(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1")
    same = unchanged(p, t)
    with pytest.raises(NotPermitted) as info:  # the ticket's desk policy refuses Pia
        p.link_incident(t, at=clock(), actor=PIA)
    assert info.value.entity_id == "INC-1"
    same()
    late = incident(clock, "INC-2")
    same = unchanged(p, late)
    with pytest.raises(EventOutOfOrder):
        p.link_incident(late, at=p.updated_at, actor=PM)  # after the problem, before the ticket
    same()


def test_a_problem_refusal_leaves_the_ticket_unchanged(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1")
    p.cancel("not a problem", at=clock(), actor=PM)
    same = unchanged(p, t)
    with pytest.raises(ItilL2Error):
        p.link_incident(t, at=clock(), actor=PM)
    same()
    q = problem(clock, "PRB-2")
    same = unchanged(q, t)
    with pytest.raises(NotPermitted):
        q.link_incident(t, at=clock(), actor=Actor("mallory"))
    same()


def test_duplicates_service_requests_and_bad_input(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1")
    p.link_incident(t, at=clock(), actor=PM)
    same = unchanged(p, t)
    with pytest.raises(DuplicateLink):
        p.link_incident(t, at=clock(), actor=PM)
    request = open_ticket(clock, id="REQ-1", kind=TicketKind.SERVICE_REQUEST)
    with pytest.raises(ValidationError):
        p.link_incident(request, at=clock(), actor=PM)
    with pytest.raises(ValidationError):
        p.link_incident("INC-1", at=clock(), actor=PM)  # type: ignore[arg-type]
    same()
    assert request.links == ()


def test_an_incident_has_one_problem_unless_moved(clock: Clock) -> None:
    dup, original, t = problem(clock, "PRB-1"), problem(clock, "PRB-2"), incident(clock, "INC-1")
    dup.link_incident(t, at=clock(), actor=PM)
    same = unchanged(original, t)
    with pytest.raises(IncidentLinkedElsewhere) as info:
        original.link_incident(t, at=clock(), actor=PM)
    assert (info.value.ticket_id, info.value.problem_id) == ("INC-1", "PRB-1")
    with pytest.raises(ValidationError):
        original.link_incident(t, at=clock(), actor=PM, moved_from="PRB-7")
    same()
    original.link_incident(t, at=clock(), actor=PM, moved_from="PRB-1")
    assert problem_links(t) == ["PRB-1", "PRB-2"]
    assert original.history[-1].payload.moved_from == "PRB-1"


def test_a_link_made_on_the_ticket_side_is_adopted(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1")
    t.link(LinkKind.PROBLEM, "PRB-1", at=clock(), actor=ANN)
    version = t.version
    p.link_incident(t, at=clock(), actor=PM)
    assert p.incident_ids == ("INC-1",) and t.version == version


# -- resolving the waiting incidents ----------------------------------------------------


def test_resolve_frees_exactly_the_linked_incidents_awaiting_it(clock: Clock) -> None:
    p = fixable(clock)
    waiting = incident(clock, "INC-1", AWAITING)
    caller = incident(clock, "INC-2", HoldReason.AWAITING_CALLER)
    working = incident(clock, "INC-3")
    stranger = incident(clock, "INC-4", AWAITING)  # waits, but for no problem of ours
    done = incident(clock, "INC-5")
    for t in (waiting, caller, working, done):
        p.link_incident(t, at=clock(), actor=PM)
    done.resolve(FIXED, at=clock(), actor=ANN)
    others = unchanged(caller, working, stranger, done)
    p.start_fix(at=clock(), actor=PM)
    at = clock()
    changed = p.resolve(
        FIX,
        "log rotation deployed",
        at=at,
        actor=PIA,
        incidents=[waiting, caller, working, stranger, done],
    )
    assert changed == (waiting,)
    others()
    assert waiting.phase is Phase.RESOLVED and waiting.hold_reason is None
    assert waiting.resolution is not None
    assert waiting.resolution.code == SOLVED_PERMANENTLY
    assert waiting.resolution.problem_ref == "PRB-1"
    assert "log rotation deployed" in waiting.resolution.notes
    assert (waiting.history[-1].at, waiting.history[-1].actor_id) == (at, "pia")
    assert p.history[-1].payload.incident_ids == ("INC-1",)
    assert p.phase is ProblemPhase.RESOLVED


def test_resolve_without_incidents_changes_only_the_problem(clock: Clock) -> None:
    p, t = fixable(clock), incident(clock, "INC-1", AWAITING)
    p.link_incident(t, at=clock(), actor=PM)
    same = unchanged(t)
    assert p.resolve(FIX, "done", at=clock(), actor=PM) == ()
    same()


def test_risk_accepted_resolves_incidents_with_the_workaround_code(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1", AWAITING)
    p.link_incident(t, at=clock(), actor=PM)
    p.publish_workaround("restart the listener", at=clock(), actor=PM)
    assert p.resolve(
        ProblemResolutionCode.RISK_ACCEPTED, "live with it", at=clock(), actor=PM, incidents=[t]
    ) == (t,)
    assert t.resolution is not None and t.resolution.code == SOLVED_WORKAROUND


def test_a_duplicate_resolves_no_incidents(clock: Clock) -> None:
    p, t = problem(clock), incident(clock, "INC-1", AWAITING)
    p.link_incident(t, at=clock(), actor=PM)
    same = unchanged(p, t)
    with pytest.raises(ValidationError):
        p.resolve(
            ProblemResolutionCode.DUPLICATE,
            "dup",
            at=clock(),
            actor=PM,
            incidents=[t],
            duplicate_of="PRB-0",
        )
    same()
    assert (
        p.resolve(
            ProblemResolutionCode.DUPLICATE, "dup", at=clock(), actor=PM, duplicate_of="PRB-0"
        )
        == ()
    )


def test_resolve_is_atomic_when_a_ticket_refuses(clock: Clock) -> None:
    p = fixable(clock)
    first, second = incident(clock, "INC-1", AWAITING), incident(clock, "INC-2", AWAITING)
    p.link_incident(first, at=clock(), actor=PM)
    p.link_incident(second, at=clock(), actor=PM)
    at = clock()
    second.add_note("the caller called", at=clock(), actor=ANN)  # now later than `at`
    same = unchanged(p, first, second)
    with pytest.raises(EventOutOfOrder):
        p.resolve(FIX, "done", at=at, actor=PM, incidents=[first, second])
    same()


def test_resolve_is_atomic_when_the_ticket_policy_or_codes_refuse(clock: Clock) -> None:
    @attrs.frozen
    class NoProblemManagers:
        def permits(self, actor: Actor, trigger: Trigger, ticket: Any) -> bool:
            if trigger is Trigger.RESOLVE:
                return Role.SYSTEM in actor.roles
            return DefaultPermissions().permits(actor, trigger, ticket)

    strict = WorkflowConfig(permissions=NoProblemManagers())
    narrow = WorkflowConfig(resolution_codes=[SOLVED_WORKAROUND])
    for n, config in enumerate([strict, narrow]):
        p = fixable(clock, f"PRB-{n + 1}")
        t = incident(clock, f"INC-{n + 1}", AWAITING, config)
        p.link_incident(t, at=clock(), actor=PM)
        same = unchanged(p, t)
        with pytest.raises((NotPermitted, UnknownResolutionCode)):
            p.resolve(FIX, "done", at=clock(), actor=PM, incidents=[t])
        same()


def test_incidents_must_be_distinct_tickets(clock: Clock) -> None:
    p, t = fixable(clock), incident(clock, "INC-1", AWAITING)
    p.link_incident(t, at=clock(), actor=PM)
    twin = Ticket.from_history(t.history)
    same = unchanged(p, t)
    with pytest.raises(ValidationError):
        p.resolve(FIX, "done", at=clock(), actor=PM, incidents=[t, twin])
    with pytest.raises(ValidationError):
        p.resolve(FIX, "done", at=clock(), actor=PM, incidents=t)  # type: ignore[arg-type]
    same()
    assert p.resolve(FIX, "done", at=clock(), actor=PM, incidents=[t, t]) == (t,)
