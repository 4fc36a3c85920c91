"""What a repository can be asked: the fields the KPIs and policies filter on.

A `Query` is a plain value; every adapter translates it (SQL adapters into a
parameterised WHERE clause, the in-memory adapter into `matches`). All
conditions are ANDed; a field left at `None` does not filter. Time ranges are
half-open, `[from, before)`, so consecutive periods never count a record twice.
Every field is checked when the query is built: a wrong type or an unknown
state raises `ValidationError` at once, never an empty result later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from itil_l2 import changes, cmdb, knowledge, problems, tickets
from itil_l2._core.priority import Priority
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.storage._rows import Head

__all__ = ["Query"]

STATES: dict[str, tuple[str, ...]] = {
    "ticket": (
        *(p.value for p in tickets.Phase),
        *(s for s in tickets.WORKFLOW.leaf_states() if "." in s),
    ),
    "problem": tuple(problems.WORKFLOW.leaf_states()),
    "change": tuple(changes.WORKFLOW.leaf_states()),
    "knowledge": tuple(knowledge.WORKFLOW.leaf_states()),
    "ci": tuple(cmdb.WORKFLOW.leaf_states()),
    "known_error": ("known_error",),  # records: the state their heads store
    "training": ("recorded",),
}
"""Every state a query may name, by kind: a ticket's phases and its full state names."""

_VALID = frozenset(s for names in STATES.values() for s in names)


def _states(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise ValidationError(f"state must be a string or strings, got {value!r}")
    states = frozenset(_state(item) for item in value)
    if not states:
        raise ValidationError("state needs at least one value (leave it None for any state)")
    return states


def _state(item: Any) -> str:
    if not isinstance(item, str):  # a StrEnum member (Phase.QUEUED, ...) is a str
        raise ValidationError(f"state must be a string or strings, got {item!r}")
    if item not in _VALID:
        valid = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in STATES.items())
        raise ValidationError(f"unknown state {item!r}; valid states are {valid}")
    return str(item)


def _split(state: str) -> tuple[str, str | None]:
    """A full tiered state name (`"L1.in_progress"`) → (phase, tier); others → (state, None)."""
    tier, dot, phase = state.partition(".")
    return (phase, tier) if dot else (state, None)


def _group(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, SupportGroup):
        return value.name
    raise ValidationError(f"group must be a name or a SupportGroup, got {value!r}")


def _tier(value: Any) -> Tier | None:
    if value is None or isinstance(value, Tier):
        return value
    if isinstance(value, str) and value in Tier._value2member_map_:
        return Tier(value)
    valid = ", ".join(t.value for t in Tier)
    raise ValidationError(f"tier must be a Tier or one of {valid}, got {value!r}")


def _priority(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"priority must be a Priority or an int, got {value!r}")
    if value not in Priority._value2member_map_:
        raise ValidationError(f"priority must be 1 to 5 (P1 to P5), got {value!r}")
    return int(value)


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)  # type: ignore[arg-type]


def _text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{attribute.name} must be a string, got {value!r}")


@frozen
class Query:
    """Filters for `Repository.find` / `count`; every field is optional.

    `state` is a ticket's phase (`"in_progress"`: at any tier), a ticket's
    full state name as `Ticket.state` spells it (`"L1.in_progress"`: that
    phase at that tier), or another entity's state; several may be given (any
    of them matches). A state no entity has raises `ValidationError` naming
    the valid ones. `ci` matches aggregates that name the CI (a ticket's
    affected CIs, an article's CIs, a CI's relation targets).

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Query, Tier
    >>> q = Query(state=["queued", "in_progress"], tier=Tier.L2,
    ...           opened_from=datetime(2026, 3, 1, tzinfo=timezone.utc))
    >>> sorted(q.state), q.tier
    (['in_progress', 'queued'], <Tier.L2: 'L2'>)
    >>> Query(state="L2.on_hold").state_terms
    (frozenset(), (('on_hold', 'L2'),))
    >>> Query(state="in_progres")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    itil_l2.errors.ValidationError: unknown state 'in_progres'; valid states are ticket: new, ...
    """

    state: frozenset[str] | None = attrs.field(default=None, converter=_states)
    tier: Tier | None = attrs.field(default=None, converter=_tier)
    group: str | None = attrs.field(default=None, converter=_group)
    priority: int | None = attrs.field(default=None, converter=_priority)
    category: str | None = attrs.field(default=None, validator=_text)
    ci: str | None = attrs.field(default=None, validator=_text)
    opened_from: datetime | None = attrs.field(default=None, validator=_aware)
    opened_before: datetime | None = attrs.field(default=None, validator=_aware)
    resolved_from: datetime | None = attrs.field(default=None, validator=_aware)
    resolved_before: datetime | None = attrs.field(default=None, validator=_aware)

    @property
    def state_terms(self) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
        """The state filter as adapters apply it: (states at any tier, (phase, tier) pairs).

        A head passes if its state is among the first, or its state and tier
        equal one pair (heads store a ticket's phase and its tier apart).
        """
        plain: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for state in self.state or ():
            phase, tier = _split(state)
            if tier is None:
                plain.add(phase)
            else:
                pairs.add((phase, tier))
        return frozenset(plain), tuple(sorted(pairs))

    def _state_matches(self, head: Head) -> bool:
        plain, pairs = self.state_terms
        return head.state in plain or (head.state, head.tier) in pairs

    def matches(self, head: Head) -> bool:
        """Whether a stored head row passes every filter (the in-memory adapter's WHERE)."""
        return (
            (self.state is None or self._state_matches(head))
            and (self.tier is None or head.tier == self.tier)
            and (self.group is None or head.group == self.group)
            and (self.priority is None or head.priority == self.priority)
            and (self.category is None or head.category == self.category)
            and (self.ci is None or self.ci in head.ci_refs)
            and _within(head.opened_at, self.opened_from, self.opened_before)
            and _within(head.resolved_at, self.resolved_from, self.resolved_before)
        )


def _within(value: datetime | None, start: datetime | None, before: datetime | None) -> bool:
    if start is None and before is None:
        return True
    if value is None:
        return False
    return (start is None or value >= start) and (before is None or value < before)
