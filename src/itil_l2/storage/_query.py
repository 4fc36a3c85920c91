"""What a repository can be asked: the fields the KPIs and policies filter on.

A `Query` is a plain value; every adapter translates it (SQL adapters into a
parameterised WHERE clause, the in-memory adapter into `matches`). All
conditions are ANDed; a field left at `None` does not filter. Time ranges are
half-open, `[from, before)`, so consecutive periods never count a record twice.
Every field is checked when the query is built: a wrong type or an unknown
state raises `ValidationError` at once, never an empty result later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
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

__all__ = ["ATTRIBUTE_KINDS", "Query", "attribute_name", "checked_query"]

STATES: dict[str, tuple[str, ...]] = {
    "ticket": (
        *(p.value for p in tickets.Phase),
        *(s for s in tickets.WORKFLOW.leaf_states() if "." in s),
    ),
    "problem": tuple(problems.WORKFLOW.leaf_states()),
    "change": tuple(changes.WORKFLOW.leaf_states()),
    "article": tuple(knowledge.WORKFLOW.leaf_states()),
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


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
ATTRIBUTE_KINDS = ("ticket", "ci")
"""The kinds whose views hold host attributes (tickets' and CIs' `attributes`)."""


def attribute_name(name: Any) -> str:
    """A host attribute's name as queries and indexes use it: an identifier of ≤ 64 characters."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            f"an attribute name must be a letter or _ then letters, digits or _"
            f" (at most 64), got {name!r}"
        )
    return name


def _attributes(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(f"attributes must be a mapping of names to strings, got {value!r}")
    pairs = []
    for name, wanted in value.items():
        if not isinstance(wanted, str):
            raise ValidationError(f"attribute {name!r}: a query compares strings, got {wanted!r}")
        pairs.append((attribute_name(name), wanted))
    if not pairs:
        raise ValidationError("attributes needs at least one name (leave it None for any)")
    return tuple(sorted(pairs))


def _title(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"title_contains must be a non-blank string, got {value!r}")
    return value.casefold()


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
    the valid ones, and so does a repository given another kind's state. `ci`
    matches aggregates that name the CI (a ticket's affected CIs, an
    article's CIs, a CI's relation targets).

    `assignee` is a ticket's or problem's assignee, an article's author, a
    CI's owner; `caller` a ticket's caller or a change's requester;
    `title_contains` finds text in a ticket's or change's title, a problem's
    statement, an article's title or a CI's name, ignoring case (Unicode
    casefolding). `attributes` compares host attributes of tickets and CIs
    with strings (`{"customer": "acme"}`); a store filters on the names it
    was told to index (`indexed_attributes=`) and refuses others. An inverted
    time range (`opened_from` after `opened_before`) is refused.

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
    updated_from: datetime | None = attrs.field(default=None, validator=_aware)
    updated_before: datetime | None = attrs.field(default=None, validator=_aware)
    assignee: str | None = attrs.field(default=None, validator=_text)
    caller: str | None = attrs.field(default=None, validator=_text)
    title_contains: str | None = attrs.field(default=None, converter=_title)
    attributes: tuple[tuple[str, str], ...] | None = attrs.field(
        default=None, converter=_attributes
    )

    def __attrs_post_init__(self) -> None:
        """Refuse an inverted range: it would match nothing, silently."""
        for name in ("opened", "resolved", "updated"):
            start, before = getattr(self, f"{name}_from"), getattr(self, f"{name}_before")
            if start is not None and before is not None and start > before:
                raise ValidationError(
                    f"{name}_from ({start.isoformat()}) is after {name}_before"
                    f" ({before.isoformat()}): the range is empty"
                )

    @property
    def uses_view_columns(self) -> bool:
        """Whether the query filters on a column stored since views (schema 6 in SQLite)."""
        return any(
            getattr(self, name) is not None
            for name in ("assignee", "caller", "title_contains", "attributes")
        )

    def check_kind(self, kind: str) -> None:
        """Refuse a filter the kind cannot match: another kind's state, attributes it lacks."""
        if self.state is not None:
            valid = STATES.get(kind, ())
            wrong = sorted(s for s in self.state if s not in valid)
            if wrong:
                raise ValidationError(
                    f"{', '.join(map(repr, wrong))} is not a state of a {kind};"
                    f" its states are {', '.join(valid)}"
                )
        if self.attributes is not None and kind not in ATTRIBUTE_KINDS:
            raise ValidationError(
                f"a {kind} has no host attributes to filter on"
                f" (those of {' and '.join(ATTRIBUTE_KINDS)} do)"
            )

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
            and _within(head.updated_at, self.updated_from, self.updated_before)
            and (self.assignee is None or head.assignee == self.assignee)
            and (self.caller is None or head.caller == self.caller)
            and (self.title_contains is None or self.title_contains in (head.title_key or ""))
            and (self.attributes is None or _has_attributes(head, self.attributes))
        )


def _has_attributes(head: Head, wanted: tuple[tuple[str, str], ...]) -> bool:
    if head.view is None:
        return False
    held = json.loads(head.view).get("attributes") or {}
    return all(held.get(name) == value for name, value in wanted)


def _within(value: datetime | None, start: datetime | None, before: datetime | None) -> bool:
    if start is None and before is None:
        return True
    if value is None:
        return False
    return (start is None or value >= start) and (before is None or value < before)


_ALL = Query()


def checked_query(query: Query | None) -> Query:
    """`query`, or the query of everything for None; anything else is a `ValidationError`."""
    if query is None:
        return _ALL
    if not isinstance(query, Query):
        raise ValidationError(f"expected a Query, got {type(query).__name__}")
    return query
