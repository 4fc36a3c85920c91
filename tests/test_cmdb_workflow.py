"""The CI lifecycle: its compiled table agrees with the transitions machine, and the diagram data."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from transitions import MachineError

from itil_l2 import InvalidTransition
from itil_l2.cmdb import WORKFLOW, CiStatus, CiTrigger


def _table(ci: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    try:
        return WORKFLOW.route(ci, CiTrigger(trigger), payload)
    except InvalidTransition:
        return None


def _machine(ci: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    model = SimpleNamespace(state=ci.state)
    try:
        moved = WORKFLOW.machine.trigger_event(model, trigger, ci, payload)
    except MachineError:
        return None
    return str(model.state) if moved else None


def test_every_state_trigger_and_condition_outcome_agrees() -> None:
    # conditions look at the requested status and at the recorded old status:
    # try every (state, trigger, new, old) so every condition outcome occurs.
    cases = list(
        itertools.product(WORKFLOW.leaf_states(), WORKFLOW.machine.events, CiStatus, CiStatus)
    )
    disagreements, moves = [], 0
    for state, trigger, new, old in cases:
        ci = SimpleNamespace(state=state)
        payload = SimpleNamespace(new=new, old=old)
        table, machine = _table(ci, trigger, payload), _machine(ci, trigger, payload)
        moves += table is not None and table != state
        if table != machine:
            disagreements.append((state, trigger, new, old, table, machine))
    assert not disagreements, disagreements[:10]
    assert len(cases) == 4 * 6 * 4 * 4
    assert moves == 6  # exactly the six status moves, each once with a matching old status


def test_lifecycle_data_for_the_diagram() -> None:
    assert WORKFLOW.states == ["planned", "active", "maintenance", "retired"]
    assert WORKFLOW.initial == "planned"
    assert WORKFLOW.title
    moves = {(t["source"], t["dest"]) for t in WORKFLOW.transitions if t["dest"] is not None}
    assert moves == {
        ("planned", "active"),
        ("planned", "retired"),
        ("active", "maintenance"),
        ("active", "retired"),
        ("maintenance", "active"),
        ("maintenance", "retired"),
    }
    for t in WORKFLOW.transitions:
        assert set(t) == {"trigger", "source", "dest", "conditions"}


def test_retired_only_allows_unrelate() -> None:
    assert {trigger for state, trigger in WORKFLOW.table if state == "retired"} == {"unrelate"}
