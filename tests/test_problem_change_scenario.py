"""Issue 3's seed scenario: recurring incidents → problem → RCA → known error → RFC → fix."""

from __future__ import annotations

from datetime import date, timedelta

from itil_l2 import (
    Actor,
    ChangeRequest,
    HoldReason,
    LinkKind,
    Phase,
    Problem,
    RcaRecord,
    Ticket,
    Urgency,
)
from itil_l2.changes import (
    ApprovalBoard,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
    ChangeState,
    ChangeType,
)
from itil_l2.problems import ProblemPhase, ProblemResolutionCode, RcaStatus, match_known_errors
from itil_l2.problems.rca import FiveWhys, RcaAction, Why
from itil_l2.testing import assert_same_ticket
from support import ANN, BOB, DBA, DESK, GOOD_HANDOVER, Clock, open_ticket

PM = Actor("pia", groups={"database-l2"}, roles={"problem_manager"})
CAB = [Actor(f"cab-{n}", roles={"cab_member"}) for n in (1, 2)]
CM = Actor("carl", roles={"change_manager"})


def _incident_waiting_for_a_problem(clock: Clock, number: int) -> Ticket:
    t = open_ticket(clock, id=f"INC-{number}", title=f"Orders fail again ({number})")
    t.assign(DESK, at=clock(), actor=ANN)
    t.start(at=clock(), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.start(at=clock(), actor=BOB)
    return t


def test_three_incidents_one_problem_one_change(clock: Clock) -> None:
    incidents = [_incident_waiting_for_a_problem(clock, n) for n in (1, 2, 3)]
    assert {ci for t in incidents for ci in t.ci_refs} == {"db-prod-3"}  # same database CI

    problem = Problem.open(
        id="PRB-1",
        statement="Order database listener fails every few days",
        impact=incidents[0].impact,
        urgency=Urgency.MEDIUM,
        ci_refs=["db-prod-3"],
        category="database",
        group=DBA,
        at=clock(),
        actor=PM,
    )
    for t in incidents:
        problem.link_incident(t, at=clock(), actor=PM)
    for t in incidents[:2]:  # two wait for the problem; the third stays in progress
        t.hold(HoldReason.AWAITING_PROBLEM, at=clock(), actor=BOB)
    assert all(LinkKind.PROBLEM in {link.kind for link in t.links} for t in incidents)

    problem.assess(at=clock(), actor=PM)
    problem.start_analysis(at=clock(), actor=PM)
    whys = FiveWhys(
        [
            Why("Why did orders fail?", "The listener stopped accepting connections"),
            Why("Why did it stop?", "Its log volume was full"),
            Why("Why was the volume full?", "Listener logs are never rotated"),
        ],
        root_cause="no log rotation for the listener",
    )
    rca = RcaRecord(
        whys,
        root_cause="no log rotation for the listener",
        corrective_actions=[RcaAction("rotate listener logs nightly", "bob", date(2026, 4, 1))],
        status=RcaStatus.COMPLETED,
    )
    problem.record_rca(rca, at=clock(), actor=PM)
    problem.publish_workaround(
        "purge listener.log, then restart the listener", at=clock(), actor=PM
    )
    known = problem.raise_known_error("KE-1", at=clock(), actor=PM, error_code="TNS-12541")
    assert known.workaround == problem.workaround and known.root_cause is not None

    # Before escalating the next report, L1 finds the known error.
    fourth = open_ticket(
        clock, id="INC-4", title="Order entry: TNS-12541 listener error", category="database"
    )
    assert [m.known_error.id for m in match_known_errors(fourth, [known])] == ["KE-1"]

    rfc = ChangeRequest.raise_(
        id="CHG-1",
        title="Rotate listener logs nightly on db-prod-3",
        change_type=ChangeType.NORMAL,
        risk=ChangeRisk.MODERATE,
        group=DBA,
        raised_from=ChangeLink(ChangeLinkKind.PROBLEM, problem.id),
        at=clock(),
        actor=BOB,
    )
    problem.start_fix(at=clock(), actor=PM, change_ref=rfc.id)
    rfc.submit(at=clock(), actor=BOB)
    rfc.request_approval(at=clock(), actor=CM)  # assessment is the change manager's
    assert rfc.required_board is ApprovalBoard.CAB  # moderate risk goes to the CAB
    for member in CAB:
        rfc.approve(ApprovalBoard.CAB, at=clock(), actor=member)
    window = clock() + timedelta(days=1)
    rfc.schedule(window, window + timedelta(hours=1), at=clock(), actor=BOB)
    clock.now = window
    rfc.implement(at=clock(), actor=BOB)
    rfc.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=BOB)
    rfc.close(at=clock(), actor=CM)  # after the review
    assert rfc.phase is ChangeState.CLOSED and rfc.successful and problem.id in rfc.fixes
    assert rfc.kept_window

    changed = problem.resolve(
        ProblemResolutionCode.FIX_APPLIED,
        "log rotation deployed by CHG-1",
        at=clock(),
        actor=PM,
        incidents=incidents,
    )
    assert problem.phase is ProblemPhase.RESOLVED
    assert {t.id for t in changed} == {"INC-1", "INC-2"}  # only those on hold awaiting problem
    for t in incidents[:2]:
        assert t.phase is Phase.RESOLVED
        assert t.resolution is not None and t.resolution.problem_ref == "PRB-1"
        assert_same_ticket(Ticket.from_history(t.history), t)
    assert incidents[2].phase is Phase.IN_PROGRESS
