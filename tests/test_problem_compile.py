"""The compiled problem table and the transitions machine must never disagree."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from transitions import MachineError

from itil_l2 import ItilL2Error
from itil_l2.problems import WORKFLOW, ProblemPhase, ProblemTrigger


def _rca(root_cause: str | None, complete: bool) -> SimpleNamespace:
    missing = () if complete else ("corrective action (at least one)",)
    return SimpleNamespace(
        root_cause=root_cause,
        is_complete=complete,
        status="completed" if complete else "draft",
        missing_parts=lambda: missing,
    )


RCAS = {
    "none": None,
    "no_cause": _rca(None, False),
    "cause": _rca("logs never rotated", False),
    "complete": _rca("logs never rotated", True),
}


def _table(problem: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    try:
        return WORKFLOW.route(problem, ProblemTrigger(trigger), payload)
    except ItilL2Error:
        return None


def _machine(problem: SimpleNamespace, trigger: str, payload: SimpleNamespace) -> str | None:
    model = SimpleNamespace(state=problem.state)
    try:
        moved = WORKFLOW.machine.trigger_event(model, trigger, problem, payload)
    except MachineError:
        return None
    return str(model.state) if moved else None


def test_every_state_trigger_and_condition_outcome_agrees() -> None:
    disagreements, moves, cases = [], 0, 0
    for state, trigger, rca, needs_cause, requires_rca in itertools.product(
        WORKFLOW.leaf_states(), WORKFLOW.machine.events, RCAS, (False, True), (False, True)
    ):
        problem = SimpleNamespace(
            state=state,
            rca=RCAS[rca],
            config=SimpleNamespace(fix_needs_root_cause=needs_cause),
        )
        code = SimpleNamespace(requires_rca=requires_rca)
        payload = SimpleNamespace(resolution=SimpleNamespace(code=code))
        table, machine = _table(problem, trigger, payload), _machine(problem, trigger, payload)
        cases += 1
        moves += table is not None
        if table != machine:
            disagreements.append((state, trigger, rca, needs_cause, requires_rca, table, machine))
    assert not disagreements, disagreements[:10]
    assert cases == 7 * 13 * 4 * 2 * 2 and moves > 300


def test_conditions_decide_fix_and_resolve() -> None:
    def go(state: str, trigger: str, rca: str, needs: bool, requires: bool) -> str | None:
        problem = SimpleNamespace(
            state=state, rca=RCAS[rca], config=SimpleNamespace(fix_needs_root_cause=needs)
        )
        code = SimpleNamespace(requires_rca=requires)
        return _table(problem, trigger, SimpleNamespace(resolution=SimpleNamespace(code=code)))

    rca = "root_cause_analysis"
    assert go(rca, "start_fix", "none", True, True) is None
    assert go(rca, "start_fix", "no_cause", True, True) is None
    assert go(rca, "start_fix", "cause", True, True) == "fix_in_progress"
    assert go(rca, "start_fix", "none", False, True) == "fix_in_progress"
    assert go("new", "resolve", "none", True, True) is None
    assert go("new", "resolve", "none", True, False) == "resolved"
    assert go("fix_in_progress", "resolve", "cause", True, True) is None
    assert go("fix_in_progress", "resolve", "complete", True, True) == "resolved"


def test_the_definition_the_diagram_reads() -> None:
    assert WORKFLOW.initial == "new" and "Problem" in WORKFLOW.title
    phases = ["new", "assess", "root_cause_analysis", "fix_in_progress", "resolved"]
    assert [*WORKFLOW.states] == [*phases, "closed", "cancelled"] == [p.value for p in ProblemPhase]
    assert {t["trigger"] for t in WORKFLOW.transitions} == {t.value for t in ProblemTrigger} - {
        "open"
    }
    assert set(WORKFLOW.leaf_states()) == {state for state, _ in WORKFLOW.table} | {
        "closed",
        "cancelled",
    }
    assert not any(state in ("closed", "cancelled") for state, _ in WORKFLOW.table)
