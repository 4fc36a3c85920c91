"""The compiled table and the transitions machine must never disagree."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from transitions import MachineError

from itil_l2 import ItilL2Error, L3TargetKind, Tier
from itil_l2._core.workflow import DottedMachine, compile_table, leaf_states
from itil_l2.tickets import WORKFLOW, Trigger


def _table_result(ticket: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    try:
        return WORKFLOW.route(ticket, Trigger(trigger), payload)
    except ItilL2Error:
        return None


def _machine_result(ticket: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    model = SimpleNamespace(state=ticket.state)
    try:
        moved = WORKFLOW.machine.trigger_event(model, trigger, ticket, payload)
    except MachineError:
        return None
    return str(model.state) if moved else None


def _cases() -> list[tuple[str, str, Tier, Tier, bool, bool]]:
    cases = []
    for leaf in leaf_states(WORKFLOW.machine):
        tiers = [Tier(leaf[:2])] if leaf[:2] in ("L1", "L2", "L3") else list(Tier)
        for trigger, here, there, skip, vendor in itertools.product(
            WORKFLOW.machine.events, tiers, Tier, (False, True), (False, True)
        ):
            cases.append((leaf, trigger, here, there, skip, vendor))
    return cases


CASES = _cases()


def test_every_state_trigger_and_condition_outcome_agrees() -> None:
    disagreements = []
    moves = 0
    for leaf, trigger, here, there, skip, vendor in CASES:
        target = SimpleNamespace(kind=L3TargetKind.VENDOR if vendor else L3TargetKind.DEVELOPMENT)
        ticket = SimpleNamespace(
            state=leaf, tier=here, config=SimpleNamespace(allow_tier_skip=skip), l3_target=target
        )
        payload = SimpleNamespace(group=SimpleNamespace(tier=there))
        table, machine = (
            _table_result(ticket, trigger, payload),
            _machine_result(ticket, trigger, payload),
        )
        moves += table is not None
        if table != machine:
            disagreements.append((leaf, trigger, here, there, skip, vendor, table, machine))
    assert not disagreements, disagreements[:10]
    assert len(CASES) > 2000 and moves > 500  # the comparison covered real moves


def test_table_covers_every_leaf_state() -> None:
    states = {state for state, _ in WORKFLOW.table}
    assert states == set(leaf_states(WORKFLOW.machine))
    assert ("closed", "link") in WORKFLOW.table and ("closed", "reopen") not in WORKFLOW.table


def _machine(**transition: object) -> DottedMachine:
    spec = {"trigger": "go", "source": "a", "dest": "b", **transition}
    return DottedMachine(
        model=None, states=["a", "b"], transitions=[spec], initial="a", auto_transitions=False
    )


@pytest.mark.parametrize(
    "transition",
    [
        {"before": lambda: None},
        {"after": "x"},
        {"unless": [lambda *_: True]},
        {"conditions": ["is_ok"]},
    ],
)
def test_compile_refuses_what_the_table_cannot_reproduce(transition: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        compile_table(_machine(**transition))


def test_compile_refuses_machine_callbacks_and_queues() -> None:
    with pytest.raises(TypeError):
        compile_table(
            DottedMachine(
                model=None, states=["a"], initial="a", auto_transitions=False, queued=True
            )
        )
    with pytest.raises(TypeError):
        compile_table(
            DottedMachine(
                model=None,
                states=[{"name": "a", "on_enter": "hello"}],
                initial="a",
                auto_transitions=False,
            )
        )
