"""The one workflow engine of every entity: a definition compiled into a lookup table.

Firing through `machine.trigger_event` costs microseconds, mutates the
machine's scope stack (unsafe across threads) and needs the model registered
or shaped for it. The table built here is read-only after import, so any
number of threads may route through it at once, and a route costs one dict
lookup plus the conditions. `tests/test_compile.py` fires every (state,
trigger, condition outcome) through both and demands the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Generic, TypeVar

from transitions.extensions.nesting import HierarchicalMachine, NestedState

from itil_l2.errors import InvalidTransition

__all__ = ["WORKFLOWS", "Lifecycle", "Workflow"]

Condition = Callable[[Any, Any], bool]
Candidate = tuple[str | None, tuple[Condition, ...]]
Table = dict[tuple[str, str], tuple[Candidate, ...]]
T = TypeVar("T")
Tr = TypeVar("Tr", bound=str)


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


def direct_routes(table: Table) -> dict[tuple[str, str], str]:
    """`{(state, trigger): destination}` where one unconditional candidate decides.

    The trigger engine looks here first; every other pair goes through `route`.
    Derived from the compiled table, so both agree by construction.
    """
    return {
        (state, trigger): state if dest is None else dest
        for (state, trigger), candidates in table.items()
        for dest, conditions in candidates[:1]
        if len(candidates) == 1 and not conditions
    }


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


_DONE = frozenset({"resolved", "closed", "cancelled"})
_FINAL = frozenset({"closed", "cancelled"})


class Lifecycle(StrEnum):
    """The phases of a record that ends resolved, then closed, or cancelled.

    The base of the ticket's and the problem's phase enums: a phase is open
    (work is still owed) until the record is resolved, closed or cancelled,
    and final once it is closed or cancelled.
    """

    @property
    def is_open(self) -> bool:
        """Not yet resolved, closed or cancelled: work is still owed."""
        return self.value not in _DONE

    @property
    def is_final(self) -> bool:
        """Closed or cancelled: the record is finished (a ticket still takes links)."""
        return self.value in _FINAL


Where = Callable[[Any], tuple[str, str | None]]
"""An entity's position for error messages: (phase or state, tier or None)."""
Diagnose = Callable[[Any, Any, Any], Exception]
"""Explains why no candidate's conditions held: (entity, trigger, payload) -> error."""

WORKFLOWS: dict[str, Workflow[Any]] = {}
"""Every compiled workflow by kind (`"ticket"`, `"problem"`, ...); `diagram` reads it."""


def _state_only(entity: Any) -> tuple[str, str | None]:
    return entity.state, None


class Workflow(Generic[Tr]):
    """One entity's workflow: defined once with transitions, compiled once, shared by all.

    The definition (states, transitions with their conditions, the initial
    state) builds one module-level, model-less `transitions` machine; its
    transitions are compiled into a read-only `{(state, trigger): candidates}`
    table. Routing, the allowed triggers, refusals and the state diagram all
    come from that one definition, for every entity kind alike, and any
    number of threads may route through it at once.

    >>> from enum import StrEnum
    >>> class Door(StrEnum):
    ...     OPEN = "open"
    ...     CLOSE = "close"
    >>> door = Workflow("door", Door, states=["shut", "ajar"], initial="shut", register=False,
    ...     title="A door", transitions=[Workflow.transition(Door.OPEN, "shut", "ajar"),
    ...                                  Workflow.transition(Door.CLOSE, "ajar", "shut")])
    >>> door.allowed_triggers("shut")
    (<Door.OPEN: 'open'>,)
    """

    def __init__(
        self,
        kind: str,
        triggers: type[Tr],
        *,
        states: list[Any],
        transitions: list[dict[str, Any]],
        initial: str,
        title: str,
        where: Where = _state_only,
        diagnose: Diagnose | None = None,
        register: bool = True,
    ) -> None:
        self.kind = kind
        self.triggers = triggers
        self.states = states
        self.transitions = transitions
        self.initial = initial
        self.title = title
        self.machine, self.table = shared_machine(kind, states, transitions, initial)
        self.allowed: dict[str, tuple[Tr, ...]] = allowed_triggers(self.table, triggers)
        self.direct: dict[tuple[str, str], str] = direct_routes(self.table)
        """The routes that need no condition: one dict lookup and no call (the hot path)."""
        self._where = where
        self._diagnose = diagnose
        if register:  # `diagram(kind)` draws it
            WORKFLOWS[kind] = self

    @staticmethod
    def transition(trigger: str, source: Any, dest: str | None, *conditions: Any) -> dict[str, Any]:
        """One transition in `transitions`' dict form; `dest=None` is internal (no move)."""
        return {
            "trigger": str(trigger),
            "source": source,
            "dest": dest,
            "conditions": list(conditions),
        }

    def leaf_states(self) -> list[str]:
        """The states an entity can actually be in (no compound states)."""
        return leaf_states(self.machine)

    def allowed_triggers(self, state: str) -> tuple[Tr, ...]:
        """The triggers with at least one transition from `state` (conditions aside)."""
        return self.allowed.get(state, ())

    def open_triggers(self, entity: Any) -> tuple[Tr, ...]:
        """The triggers from the entity's state whose conditions on the entity hold.

        Conditions are asked with no payload, so use this only for workflows
        whose conditions look at the entity alone.
        """
        state: str = entity.state
        return tuple(
            trigger
            for trigger in self.allowed.get(state, ())
            if any(
                all(c(entity, None) for c in conditions)
                for _, conditions in self.table[(state, trigger)]
            )
        )

    def route(self, entity: Any, trigger: Any, payload: Any) -> str:
        """The state `trigger` leads to from the entity's state, or a typed refusal.

        Internal transitions return the current state. Thread-safe: reads only
        the compiled table.
        """
        state: str = entity.state
        key = (state, trigger)  # a StrEnum hashes as its value
        dest = self.direct.get(key)
        if dest is not None:
            return dest
        candidates = self.table.get(key)
        if candidates is None:
            raise self.invalid(entity, trigger)
        dest = first_match(candidates, entity, payload, state)
        if dest is not None:
            return dest
        if self._diagnose is None:
            raise self.invalid(entity, trigger)
        raise self._diagnose(entity, trigger, payload)

    def invalid(self, entity: Any, trigger: Any, detail: str = "") -> InvalidTransition:
        """The refusal of `trigger` where the entity is, naming the allowed triggers."""
        where, tier = self._where(entity)
        allowed = (str(t) for t in self.allowed.get(entity.state, ()))
        return InvalidTransition(str(trigger), where, tier, allowed, detail)

    def diagram(self, *, internal: bool = False) -> str:
        """The mermaid `stateDiagram-v2` text, drawn by transitions from this definition."""
        from itil_l2._core.diagram import draw

        return draw(self, internal=internal)
