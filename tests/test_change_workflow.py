"""Requests for change: the paths per type, every workflow row, approvals, schedule, outcome."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    ChangeConfig,
    ChangeRequest,
    InvalidTransition,
    ItilL2Error,
    NotPermitted,
    ValidationError,
)
from itil_l2.changes import ApprovalMissing, ApprovalRefused, ChangeState, ChangeTrigger, ChangeType
from itil_l2.changes.events import (
    ApprovalBoard,
    ApprovalDecision,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
)
from itil_l2.errors import EventOutOfOrder, NaiveDatetime
from itil_l2.testing import change_snapshot
from support import DBA, NET, Clock

RITA = Actor("rita")  # the requester
BOB = Actor("bob", groups={"database-l2"})  # implementing group member
CARL = Actor("carl", roles={"change_manager"})
CARA = Actor("cara", roles={"cab_member"})
CODY = Actor("cody", roles={"cab_member"})
GINA = Actor("gina", groups={"database-l2"}, roles={"group_manager"})
OTTO = Actor("otto", groups={"network-l2"}, roles={"group_manager"})

NORMAL, STANDARD, EMERGENCY = ChangeType.NORMAL, ChangeType.STANDARD, ChangeType.EMERGENCY
LOW, MODERATE, HIGH = ChangeRisk.LOW, ChangeRisk.MODERATE, ChangeRisk.HIGH


def raise_rfc(
    clock: Clock,
    kind: ChangeType = NORMAL,
    risk: ChangeRisk = LOW,
    config: ChangeConfig | None = None,
    **fields: Any,
) -> ChangeRequest:
    values: dict[str, Any] = {
        "id": "CHG-1",
        "title": "Rebuild the order index",
        "change_type": kind,
        "risk": risk,
        "group": DBA,
        "at": clock(),
        "actor": RITA,
        **fields,
    }
    if config is not None:
        values["config"] = config
    return ChangeRequest.raise_(**values)


def window(clock: Clock, hours: int = 24) -> tuple[datetime, datetime]:
    start = clock.now + timedelta(hours=hours)
    return start, start + timedelta(hours=2)


def board_approver(rfc: ChangeRequest) -> Actor:
    return CARA if rfc.risk in rfc.config.cab_risks else GINA


def rfc_in(clock: Clock, state: str, kind: ChangeType, risk: ChangeRisk = LOW) -> ChangeRequest:
    """An RFC of `kind` brought to `state` along its own path (by the system actor)."""
    rfc = raise_rfc(clock, kind, risk)
    path = {
        NORMAL: ["new", "assess", "authorize", "scheduled", "implement", "review", "closed"],
        EMERGENCY: ["new", "authorize", "scheduled", "implement", "review", "closed"],
        STANDARD: ["new", "scheduled", "implement", "review", "closed"],
    }[kind]
    if state == "cancelled":
        rfc.cancel("not needed", at=clock(), actor=SYSTEM)
        return rfc
    for _ in path[: path.index(state)]:
        step_onward(clock, rfc)
    assert rfc.state == state
    return rfc


def step_onward(clock: Clock, rfc: ChangeRequest) -> None:
    state = rfc.state
    if state == "new" and rfc.change_type is not STANDARD:
        rfc.submit(at=clock(), actor=SYSTEM)
    elif state == "assess":
        rfc.request_approval(at=clock(), actor=SYSTEM)
    elif state in ("new", "authorize"):
        if state == "authorize":
            rfc.approve(rfc.required_board, at=clock(), actor=board_approver(rfc))
        rfc.schedule(*window(clock), at=clock(), actor=SYSTEM)
    elif state == "scheduled":
        rfc.implement(at=clock(), actor=SYSTEM)
    elif state == "implement":
        rfc.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=SYSTEM)
    else:
        rfc.close(at=clock(), actor=SYSTEM)


# -- the three paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (NORMAL, ["new", "assess", "authorize", "scheduled", "implement", "review", "closed"]),
        (EMERGENCY, ["new", "authorize", "scheduled", "implement", "review", "closed"]),
        (STANDARD, ["new", "scheduled", "implement", "review", "closed"]),
    ],
)
def test_each_type_takes_its_own_path(clock: Clock, kind: ChangeType, path: list[str]) -> None:
    rfc = raise_rfc(clock, kind)
    seen = [rfc.state]
    while rfc.state != "closed":
        step_onward(clock, rfc)
        seen.append(rfc.state)
    assert seen == path
    assert rfc.phase is ChangeState.CLOSED and rfc.phase.is_final


def test_normal_change_walk_with_cab_approval(clock: Clock) -> None:
    rfc = raise_rfc(clock, NORMAL, HIGH)
    rfc.submit(at=clock(), actor=RITA)
    rfc.set_risk(MODERATE, at=clock(), actor=CARL, reason="tested on staging")
    rfc.request_approval(at=clock(), actor=CARL)
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CARA, comment="go")
    start, end = window(clock)
    rfc.schedule(start, end, at=clock(), actor=CARL)
    assert (rfc.state, rfc.risk, rfc.planned_start, rfc.planned_end) == (
        "scheduled",
        MODERATE,
        start,
        end,
    )
    approval = rfc.approvals[0]
    assert (approval.approver_id, approval.board, approval.decision, approval.comment) == (
        "cara",
        ApprovalBoard.CAB,
        ApprovalDecision.APPROVED,
        "go",
    )
    assert approval.at == rfc.history[4].at
    assert [e.kind for e in rfc.history] == [
        "raise",
        "submit",
        "set_risk",
        "request_approval",
        "approve",
        "schedule",
    ]
    assert [e.actor_id for e in rfc.history] == ["rita", "rita", "carl", "carl", "cara", "carl"]


# -- every (state, trigger) row, for every type ------------------------------------------

# The table, written out by hand: (state, trigger) -> destination per type
# (None: refused). Internal transitions keep the state.
_ALL = {NORMAL: "", EMERGENCY: "", STANDARD: ""}
ROWS: dict[tuple[str, str], dict[ChangeType, str | None]] = {
    ("new", "submit"): {NORMAL: "assess", EMERGENCY: "authorize", STANDARD: None},
    ("new", "schedule"): {NORMAL: None, EMERGENCY: None, STANDARD: "scheduled"},
    # standard: the only other risk drawn (moderate) is not a standard risk by default
    ("new", "set_risk"): {NORMAL: "new", EMERGENCY: "new", STANDARD: None},
    ("assess", "set_risk"): {NORMAL: "assess"},
    ("assess", "request_approval"): {NORMAL: "authorize"},
    ("authorize", "approve"): {NORMAL: "authorize", EMERGENCY: "authorize"},
    ("authorize", "reject"): {NORMAL: "new", EMERGENCY: "new"},
    # with the approval the risk demands (the test approves first)
    ("authorize", "schedule"): {NORMAL: "scheduled", EMERGENCY: "scheduled"},
    ("scheduled", "reschedule"): {k: "scheduled" for k in _ALL},
    ("scheduled", "implement"): {k: "implement" for k in _ALL},
    ("implement", "complete"): {k: "review" for k in _ALL},
    ("review", "close"): {k: "closed" for k in _ALL},
    **{(s, "cancel"): {k: "cancelled" for k in _ALL} for s in ("new", "scheduled")},
    ("assess", "cancel"): {NORMAL: "cancelled"},
    ("authorize", "cancel"): {NORMAL: "cancelled", EMERGENCY: "cancelled"},
}


def _kwargs(trigger: str, clock: Clock, rfc: ChangeRequest) -> dict[str, Any]:
    start, end = window(clock)
    return {
        "submit": {},
        "set_risk": {"risk": HIGH if rfc.change_type is not STANDARD else MODERATE},
        "request_approval": {},
        "approve": {"board": rfc.required_board},
        "reject": {"board": rfc.required_board, "reason": "back-out plan missing"},
        "schedule": {"planned_start": start, "planned_end": end},
        "reschedule": {
            "planned_start": end,
            "planned_end": end + timedelta(hours=1),
            "reason": "vendor late",
        },
        "implement": {},
        "complete": {"outcome": ChangeOutcome.FAILED},
        "close": {},
        "cancel": {"reason": "superseded"},
    }[trigger]


_STATES_OF = {
    NORMAL: ["new", "assess", "authorize", "scheduled", "implement", "review", "closed"],
    EMERGENCY: ["new", "authorize", "scheduled", "implement", "review", "closed"],
    STANDARD: ["new", "scheduled", "implement", "review", "closed"],
}
_CASES = [
    (kind, state, trigger)
    for kind in ChangeType
    for state, trigger in itertools.product(
        [*_STATES_OF[kind], "cancelled"], [t.value for t in ChangeTrigger if t.value != "raise"]
    )
    if trigger != "link"
]


@pytest.mark.parametrize(("kind", "state", "trigger"), _CASES)
def test_every_row_of_the_workflow(
    clock: Clock, kind: ChangeType, state: str, trigger: str
) -> None:
    rfc = rfc_in(clock, state, kind)
    if trigger == "schedule" and state == "authorize":
        rfc.approve(rfc.required_board, at=clock(), actor=board_approver(rfc))
    kwargs = _kwargs(trigger, clock, rfc)
    expected = ROWS.get((state, trigger), {}).get(kind)
    before = change_snapshot(rfc)
    if expected is None:
        with pytest.raises(ItilL2Error):
            getattr(rfc, trigger)(at=clock(), actor=SYSTEM, **kwargs)
        assert change_snapshot(rfc) == before
        return
    getattr(rfc, trigger)(at=clock(), actor=SYSTEM, **kwargs)
    assert rfc.state == expected
    assert rfc.version == len(before["history"]) + 1 and rfc.history[-1].kind == trigger


def test_refusals_outside_the_table_are_invalid_transitions(clock: Clock) -> None:
    rfc = rfc_in(clock, "review", NORMAL)
    with pytest.raises(InvalidTransition) as err:
        rfc.cancel("too late", at=clock(), actor=SYSTEM)
    assert err.value.phase == "review" and err.value.allowed == ("close", "link")
    standard = raise_rfc(clock, STANDARD)
    with pytest.raises(InvalidTransition, match="pre-approved"):
        standard.submit(at=clock(), actor=SYSTEM)
    normal = raise_rfc(clock, NORMAL, id="CHG-2")
    with pytest.raises(InvalidTransition, match="normal change is scheduled once authorized"):
        normal.schedule(*window(clock), at=clock(), actor=SYSTEM)


def test_allowed_triggers_follow_the_change_type(clock: Clock) -> None:
    def names(rfc: ChangeRequest) -> set[str]:
        return {t.value for t in rfc.allowed_triggers()}

    assert names(raise_rfc(clock, NORMAL)) == {"submit", "set_risk", "cancel", "link"}
    assert names(raise_rfc(clock, STANDARD)) == {"schedule", "set_risk", "cancel", "link"}
    rfc = rfc_in(clock, "authorize", EMERGENCY)
    assert names(rfc) == {"approve", "reject", "cancel", "link"}
    rfc.approve(ApprovalBoard.GROUP_MANAGER, at=clock(), actor=GINA)
    assert names(rfc) == {"approve", "reject", "cancel", "link", "schedule"}
    assert names(rfc_in(clock, "closed", NORMAL)) == {"link"}


# -- approvals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "board", "approver", "wrong_board"),
    [
        (LOW, ApprovalBoard.GROUP_MANAGER, GINA, ApprovalBoard.CAB),
        (MODERATE, ApprovalBoard.CAB, CARA, ApprovalBoard.GROUP_MANAGER),
        (HIGH, ApprovalBoard.CAB, CARA, ApprovalBoard.GROUP_MANAGER),
    ],
)
def test_the_risk_decides_the_board(
    clock: Clock,
    risk: ChangeRisk,
    board: ApprovalBoard,
    approver: Actor,
    wrong_board: ApprovalBoard,
) -> None:
    rfc = rfc_in(clock, "authorize", NORMAL, risk)
    assert rfc.required_board is board and not rfc.authorized
    with pytest.raises(ApprovalMissing) as err:
        rfc.schedule(*window(clock), at=clock(), actor=CARL)
    assert (err.value.board, err.value.missing) == (board, 1)
    before = change_snapshot(rfc)
    with pytest.raises(ApprovalRefused):
        rfc.approve(wrong_board, at=clock(), actor=SYSTEM)
    assert change_snapshot(rfc) == before
    rfc.approve(board, at=clock(), actor=approver)
    assert rfc.authorized
    rfc.schedule(*window(clock), at=clock(), actor=CARL)
    assert rfc.state == "scheduled"


def test_who_may_decide(clock: Clock) -> None:
    low = rfc_in(clock, "authorize", NORMAL, LOW)
    for outsider in (OTTO, CARA, CARL, BOB, RITA):  # other group's manager, CAB for low, ...
        before = change_snapshot(low)
        with pytest.raises(NotPermitted):
            low.approve(ApprovalBoard.GROUP_MANAGER, at=clock(), actor=outsider)
        assert change_snapshot(low) == before
    high = rfc_in(clock, "authorize", NORMAL, HIGH)
    for outsider in (GINA, CARL, BOB):
        with pytest.raises(NotPermitted):
            high.reject(ApprovalBoard.CAB, "no", at=clock(), actor=outsider)
    assert high.state == "authorize" and low.approvals == ()


def test_cab_quorum_needs_distinct_approvers(clock: Clock) -> None:
    config = ChangeConfig(cab_quorum=2)
    rfc = raise_rfc(clock, EMERGENCY, HIGH, config)
    rfc.submit(at=clock(), actor=RITA)
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CARA)
    with pytest.raises(ApprovalRefused, match="already approved"):
        rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CARA)
    with pytest.raises(ApprovalMissing) as err:
        rfc.schedule(*window(clock), at=clock(), actor=CARL)
    assert err.value.missing == 1
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CODY)
    rfc.schedule(*window(clock), at=clock(), actor=CARL)
    assert [a.approver_id for a in rfc.approvals] == ["cara", "cody"]


def test_rejection_returns_to_new_and_voids_the_round(clock: Clock) -> None:
    rfc = rfc_in(clock, "authorize", NORMAL, HIGH)
    rfc.reject(ApprovalBoard.CAB, "no back-out plan", at=clock(), actor=CODY)
    assert rfc.state == "new" and rfc.approvals == ()
    assert rfc.rejection is not None and rfc.rejection.comment == "no back-out plan"
    assert rfc.rejection.decision is ApprovalDecision.REJECTED
    rfc.submit(at=clock(), actor=RITA)
    rfc.request_approval(at=clock(), actor=CARL)
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CODY)  # a new round: cody may approve now
    assert [(d.approver_id, d.decision) for d in rfc.decisions()] == [
        ("cody", ApprovalDecision.REJECTED),
        ("cody", ApprovalDecision.APPROVED),
    ]


def test_a_rejection_needs_a_reason(clock: Clock) -> None:
    rfc = rfc_in(clock, "authorize", NORMAL)
    with pytest.raises(ValidationError):
        rfc.reject(ApprovalBoard.GROUP_MANAGER, "  ", at=clock(), actor=GINA)
    assert rfc.state == "authorize"


def test_standard_changes_are_pre_approved_and_low_risk(clock: Clock) -> None:
    rfc = raise_rfc(clock, STANDARD)
    assert rfc.authorized
    with pytest.raises(ValidationError, match="standard change"):
        raise_rfc(clock, STANDARD, MODERATE, id="CHG-2")
    with pytest.raises(ValidationError, match="standard change"):
        rfc.set_risk(HIGH, at=clock(), actor=SYSTEM)
    lenient = ChangeConfig(standard_risks={LOW, MODERATE})
    other = raise_rfc(clock, STANDARD, MODERATE, lenient, id="CHG-3")
    other.set_risk(LOW, at=clock(), actor=BOB)
    with pytest.raises(ValidationError, match="standard change"):
        other.set_risk(HIGH, at=clock(), actor=BOB)
    other.schedule(*window(clock), at=clock(), actor=BOB)
    assert other.state == "scheduled" and other.approvals == ()


def test_set_risk_must_change_it(clock: Clock) -> None:
    rfc = raise_rfc(clock)
    with pytest.raises(ValidationError, match="already low"):
        rfc.set_risk(LOW, at=clock(), actor=RITA)
    rfc.set_risk(HIGH, at=clock(), actor=RITA)
    assert rfc.required_board is ApprovalBoard.CAB


# -- schedule, implementation, outcome ---------------------------------------------------


def test_windows_must_be_aware_and_end_after_start(clock: Clock) -> None:
    rfc = raise_rfc(clock, STANDARD)
    start, end = window(clock)
    before = change_snapshot(rfc)
    with pytest.raises(NaiveDatetime):
        rfc.schedule(start.replace(tzinfo=None), end, at=clock(), actor=BOB)
    with pytest.raises(NaiveDatetime):
        rfc.schedule(start, end.replace(tzinfo=None), at=clock(), actor=BOB)
    for bad_end in (start, start - timedelta(minutes=1)):
        with pytest.raises(ValidationError, match="after planned_start"):
            rfc.schedule(start, bad_end, at=clock(), actor=BOB)
    assert change_snapshot(rfc) == before
    rfc.schedule(start, end, at=clock(), actor=BOB)
    with pytest.raises(ValidationError, match="already scheduled"):
        rfc.reschedule(start, end, "same", at=clock(), actor=BOB)
    rfc.reschedule(end, end + timedelta(hours=1), "vendor late", at=clock(), actor=BOB)
    assert (rfc.planned_start, rfc.planned_end) == (end, end + timedelta(hours=1))


def test_implementing_outside_the_window_is_recorded_not_refused(clock: Clock) -> None:
    rfc = raise_rfc(clock, STANDARD)
    start, end = window(clock, hours=24)
    rfc.schedule(start, end, at=clock(), actor=BOB)
    assert rfc.started_in_window is None and rfc.kept_window is None
    rfc.implement(at=clock(), actor=BOB)  # a day early
    assert rfc.started_in_window is False
    rfc.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=BOB)
    assert rfc.ended_in_window is False and rfc.kept_window is False

    inside = raise_rfc(clock, STANDARD, id="CHG-2")
    now = clock.now
    inside.schedule(now - timedelta(minutes=1), now + timedelta(hours=1), at=clock(), actor=BOB)
    inside.implement(at=clock(), actor=BOB)
    inside.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=BOB)
    assert (inside.started_in_window, inside.ended_in_window, inside.kept_window) == (
        True,
        True,
        True,
    )
    assert inside.implementation_started_at == inside.history[-2].at
    assert inside.implementation_ended_at == inside.history[-1].at


@pytest.mark.parametrize(
    ("outcome", "successful"),
    [
        (ChangeOutcome.SUCCESSFUL, True),
        (ChangeOutcome.FAILED, False),
        (ChangeOutcome.ROLLED_BACK, False),
    ],
)
def test_the_outcome_says_whether_the_problem_is_fixed(
    clock: Clock, outcome: ChangeOutcome, successful: bool
) -> None:
    rfc = raise_rfc(clock, STANDARD, raised_from=ChangeLink(ChangeLinkKind.PROBLEM, "PRB-7"))
    rfc.schedule(*window(clock, hours=0), at=clock(), actor=BOB)
    rfc.implement(at=clock(), actor=BOB)
    assert not rfc.successful and rfc.outcome is None
    rfc.complete(outcome, at=clock(), actor=BOB, notes="see log")
    rfc.close(at=clock(), actor=BOB, notes="reviewed")
    assert (rfc.outcome, rfc.outcome_notes, rfc.close_notes) == (outcome, "see log", "reviewed")
    assert rfc.successful is successful
    assert rfc.fixes == ("PRB-7",)  # what it was meant to fix, whatever the outcome


def test_cancel_records_the_reason_and_ends_the_rfc(clock: Clock) -> None:
    rfc = rfc_in(clock, "scheduled", NORMAL)
    rfc.cancel("superseded by CHG-9", at=clock(), actor=RITA)
    assert rfc.phase is ChangeState.CANCELLED and rfc.cancel_reason == "superseded by CHG-9"
    with pytest.raises(InvalidTransition):
        rfc.implement(at=clock(), actor=SYSTEM)


def test_time_never_goes_back(clock: Clock) -> None:
    rfc = raise_rfc(clock)
    earlier = rfc.updated_at - timedelta(seconds=1)
    before = change_snapshot(rfc)
    with pytest.raises(EventOutOfOrder):
        rfc.submit(at=earlier, actor=RITA)
    with pytest.raises(NaiveDatetime):
        rfc.submit(at=clock().replace(tzinfo=None), actor=RITA)
    assert change_snapshot(rfc) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"id": " "},
        {"title": ""},
        {"change_type": "normal"},
        {"risk": "low"},
        {"group": "database-l2"},
        {"raised_from": ("problem", "PRB-1")},
        {"description": None},
        {"actor": "rita"},
    ],
)
def test_raise_validates_its_input(clock: Clock, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        raise_rfc(clock, **fields)


def test_raise_refuses_a_naive_time(clock: Clock) -> None:
    with pytest.raises(NaiveDatetime):
        raise_rfc(clock, at=datetime(2026, 3, 2, 9))


def test_repr_and_group(clock: Clock) -> None:
    rfc = raise_rfc(clock, EMERGENCY, HIGH, group=NET)
    assert repr(rfc) == "<ChangeRequest CHG-1 emergency new high v1>"
    assert rfc.requested_by == "rita" and rfc.group == NET
