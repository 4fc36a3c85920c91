"""The compiled change table and the transitions machine must never disagree."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from transitions import MachineError

from itil_l2 import ChangeConfig, ItilL2Error
from itil_l2.changes import WORKFLOW, ChangeTrigger, ChangeType
from itil_l2.changes.events import Approval, ApprovalBoard, ApprovalDecision, ChangeRisk
from support import T0

_APPROVAL = Approval("cara", ApprovalBoard.CAB, ApprovalDecision.APPROVED, None, T0)


def _table(change: SimpleNamespace, trigger: str) -> str | None:
    try:
        return WORKFLOW.route(change, ChangeTrigger(trigger), None)
    except ItilL2Error:
        return None


def _machine(change: SimpleNamespace, trigger: str) -> str | None:
    model = SimpleNamespace(state=change.state)
    try:
        moved = WORKFLOW.machine.trigger_event(model, trigger, change, None)
    except MachineError:
        return None
    return str(model.state) if moved else None


def test_every_state_trigger_and_condition_outcome_agrees() -> None:
    disagreements, moves, cases = [], 0, 0
    config = ChangeConfig()
    for state, trigger, kind, approved in itertools.product(
        WORKFLOW.states, WORKFLOW.machine.events, ChangeType, (False, True)
    ):
        change = SimpleNamespace(
            id="CHG-1",
            state=state,
            change_type=kind,
            risk=ChangeRisk.HIGH,
            approvals=(_APPROVAL,) if approved else (),
            config=config,
        )
        table, machine = _table(change, trigger), _machine(change, trigger)
        cases += 1
        moves += table is not None
        if table != machine:
            disagreements.append((state, trigger, kind, approved, table, machine))
    assert not disagreements, disagreements
    assert cases == len(WORKFLOW.states) * len(WORKFLOW.machine.events) * 6 and moves > 100


def test_table_covers_every_state_and_the_type_conditions_are_named() -> None:
    assert (
        {state for state, _ in WORKFLOW.table}
        == set(WORKFLOW.leaf_states())
        == set(WORKFLOW.states)
    )
    conditional = {
        (t["source"], t["dest"]): [c.__name__ for c in t["conditions"]]
        for t in WORKFLOW.transitions
        if t["conditions"]
    }
    assert conditional == {
        ("new", "assess"): ["is_normal"],
        ("new", "authorize"): ["is_emergency"],
        ("new", "scheduled"): ["is_standard"],
        ("authorize", "scheduled"): ["approvals_complete"],
    }
    assert ("closed", "link") in WORKFLOW.table and ("implement", "cancel") not in WORKFLOW.table
