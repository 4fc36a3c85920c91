"""What a repository can be asked: the fields the KPIs and policies filter on.

A `Query` is a plain value; every adapter translates it (SQL adapters into a
parameterised WHERE clause, the in-memory adapter into `matches`). All
conditions are ANDed; a field left at `None` does not filter. Time ranges are
half-open, `[from, before)`, so consecutive periods never count a record twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.storage._rows import Head

__all__ = ["Query"]


def _states(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset((str(value),))
    if not isinstance(value, Iterable):
        raise ValidationError(f"state must be a string or strings, got {value!r}")
    states = frozenset(str(item) for item in value)
    if not states:
        raise ValidationError("state needs at least one value (leave it None for any state)")
    return states


def _group(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, SupportGroup):
        return value.name
    raise ValidationError(f"group must be a name or a SupportGroup, got {value!r}")


def _tier(value: Any) -> Tier | None:
    return None if value is None else Tier(value)


def _priority(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"priority must be a Priority or an int, got {value!r}")
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

    `state` is the ticket's phase (`"in_progress"`, ...) or another entity's
    state; several may be given. `ci` matches aggregates that name the CI
    (a ticket's affected CIs, an article's CIs, a CI's relation targets).

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Query, Tier
    >>> q = Query(state=["queued", "in_progress"], tier=Tier.L2,
    ...           opened_from=datetime(2026, 3, 1, tzinfo=timezone.utc))
    >>> sorted(q.state), q.tier
    (['in_progress', 'queued'], <Tier.L2: 'L2'>)
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

    def matches(self, head: Head) -> bool:
        """Whether a stored head row passes every filter (the in-memory adapter's WHERE)."""
        return (
            (self.state is None or head.state in self.state)
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
