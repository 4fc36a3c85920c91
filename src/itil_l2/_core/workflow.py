"""Compile a shared, model-less transitions machine into a lookup table.

Firing through `machine.trigger_event` costs microseconds, mutates the
machine's scope stack (unsafe across threads) and needs the model registered
or shaped for it. The table built here is read-only after import, so any
number of threads may route through it at once, and a route costs one dict
lookup plus the conditions. `tests/test_compile.py` fires every (state,
trigger, condition outcome) through both and demands the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from transitions.extensions.nesting import HierarchicalMachine, NestedState

Condition = Callable[[Any, Any], bool]
Candidate = tuple[str | None, tuple[Condition, ...]]
Table = dict[tuple[str, str], tuple[Candidate, ...]]
T = TypeVar("T")


class DottedState(NestedState):
    """Nested state names joined with '.', without touching the global default."""

    separator = "."


class DottedMachine(HierarchicalMachine):
    """A `HierarchicalMachine` whose nested names read `L2.in_progress`."""

    state_cls = DottedState


def leaf_states(machine: HierarchicalMachine) -> list[str]:
    """Names of the states an entity can actually be in (no compound states)."""
    return [n for n in machine.get_nested_state_names() if not machine.get_state(n).states]


def compile_table(machine: HierarchicalMachine) -> Table:
    """Build `{(leaf state, trigger): candidates}`; child transitions before parents'.

    Candidates are tried in order; the first whose conditions all hold wins.
    A destination of None means an internal transition (state unchanged).
    Anything the table cannot reproduce (callbacks, `unless`, queued
    processing, string conditions, compound destinations) is refused.
    """
    _refuse_unsupported_machine(machine)
    table: Table = {}
    for leaf in leaf_states(machine):
        path = leaf.split(".")
        for trigger in machine.events:
            candidates: list[Candidate] = []
            for depth in range(len(path), 0, -1):
                for t in machine.get_nested_transitions(trigger, src_path=path[:depth]):
                    candidates.append(_candidate(machine, t))
            if candidates:
                table[(leaf, trigger)] = tuple(candidates)
    return table


def shared_machine(
    name: str, states: list[Any], transitions: list[dict[str, Any]], initial: str
) -> tuple[DottedMachine, Table]:
    """The one module-level machine of a workflow (no models) and its compiled table."""
    machine = DottedMachine(
        model=None,
        states=states,
        transitions=transitions,
        initial=initial,
        auto_transitions=False,
        name=name,
    )
    return machine, compile_table(machine)


def allowed_triggers(table: Table, as_trigger: Callable[[str], T]) -> dict[str, tuple[T, ...]]:
    """For each state, the sorted triggers that have at least one transition."""
    allowed: dict[str, list[str]] = {}
    for state, trigger in table:
        allowed.setdefault(state, []).append(trigger)
    return {state: tuple(map(as_trigger, sorted(names))) for state, names in allowed.items()}


def first_match(
    candidates: tuple[Candidate, ...], entity: Any, payload: Any, state: str
) -> str | None:
    """The destination of the first candidate whose conditions all hold, else None.

    An internal transition (destination None) stays in `state`.
    """
    for dest, conditions in candidates:
        for condition in conditions:
            if not condition(entity, payload):
                break
        else:
            return state if dest is None else dest
    return None


def _refuse_unsupported_machine(machine: HierarchicalMachine) -> None:
    hooks: Sequence[Any] = (
        machine.before_state_change,
        machine.after_state_change,
        machine.prepare_event,
        machine.finalize_event,
    )
    if machine.has_queue or any(hooks):
        raise TypeError("cannot compile a machine with queued processing or machine callbacks")
    for name in machine.get_nested_state_names():
        state = machine.get_state(name)
        if state.on_enter or state.on_exit:
            raise TypeError(f"cannot compile state {name!r}: it has enter/exit callbacks")


def _candidate(machine: HierarchicalMachine, t: Any) -> Candidate:
    if t.before or t.after or t.prepare:
        raise TypeError(f"cannot compile transition {t}: it has callbacks")
    conditions: list[Condition] = []
    for c in t.conditions:
        if not c.target or not callable(c.func):
            raise TypeError(f"cannot compile {t}: only callable, positive conditions")
        conditions.append(c.func)
    if t.dest is not None and machine.get_state(t.dest).states:
        raise TypeError(f"cannot compile {t}: destination {t.dest!r} is a compound state")
    return (t.dest, tuple(conditions))
