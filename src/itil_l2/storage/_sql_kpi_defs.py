"""The ticket KPIs of `standard_metrics()` as SQL over the stored facts table.

Each metric is the Python rule of `itil_l2.kpis` restated as two SQLAlchemy Core
expressions over one row of `itil_kpi_facts`: *in*, whether the ticket is in the
metric's sample (the rule returns no exclusion reason), and *hit* (rates: the
rule answers True) or *value* (distributions: the number the rule returns).
Durations are hours computed from the integer microsecond columns by one
division, as Python's `timedelta / timedelta(hours=1)` does, so each value is
the same float on both sides.

Dimensions are the `kpi_table` keys SQL can compute from the columns: the
group and tier that ended the ticket, category, priority, and the UTC day,
ISO week or month in which it ended ("(open)" while open).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    not_,
    or_,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.kpis import DIMENSIONS
from itil_l2.storage._tables import kpi_facts

__all__ = [
    "FACTS",
    "SQL_DIMENSIONS",
    "SqlMetric",
    "ci_values",
    "dimension",
    "source",
    "sql_metrics",
]

FACTS = kpi_facts


_C = FACTS.c
NO_GROUP_NAME = "(no group)"
"""The group an importer gives a ticket whose log names none (as the escalation rates read it)."""
_ENDED = _C.end_kind.is_not(None)
_HOUR_US = literal_column("3600000000.0", Float(53))


def _s(value: str) -> ColumnElement[str]:
    """A text constant written into the statement (the library's own names, no quotes in them).

    Constants inline, not bound: a bound value is read again for every row of a
    million-row scan, and the statement's text is the same for every call anyway.
    """
    assert "'" not in value
    return literal_column(f"'{value}'", String)


def _n(value: int) -> ColumnElement[int]:
    return literal_column(str(int(value)), Integer)


Cond = ColumnElement[bool]
Num = ColumnElement[float] | ColumnElement[int]


class SqlMetric:
    """One metric as SQL: its kind, sample condition and hit or value (see module doc)."""

    __slots__ = ("hit", "inside", "kind", "name", "value")

    def __init__(
        self,
        name: str,
        inside: Cond,
        *,
        hit: Cond | None = None,
        value: Num | None = None,
    ) -> None:
        self.name = name
        self.kind = "rate" if hit is not None else "distribution"
        self.inside = inside
        self.hit = hit
        self.value = value


def _hours_since_opened(until: ColumnElement[int]) -> Num:
    return cast(until - _C.opened_us, Float(53)) / _HOUR_US


def _has(mask: ColumnElement[int], bit: int) -> Cond:
    return mask.op("&")(_n(bit)) != _n(0)


def _bit(tier: Tier) -> int:
    return 1 << tier.level


def _at(tier: Tier) -> Cond:
    """Ended and handled at `tier` (the `_rate_at` rule)."""
    return and_(_ENDED, _has(_C.tier_mask, _bit(tier)))


def _rates() -> list[SqlMetric]:
    succeeded = _C.successful == _n(1)
    out = [SqlMetric("resolution_rate", _ENDED, hit=succeeded)]
    out += [
        SqlMetric(
            f"resolution_rate_{t.value.lower()}",
            _at(t),
            hit=and_(succeeded, _C.resolved_tier == _s(t.value)),
        )
        for t in Tier
    ]
    out.append(
        SqlMetric(
            "first_contact_resolution",
            _C.end_kind == _s("resolved"),
            hit=and_(
                succeeded,
                _C.resolved_tier == _s(Tier.L1.value),
                _C.group_changes == _n(0),
                _C.reopens == _n(0),
            ),
        )
    )
    no_group_data = and_(_C.group_changes == _n(0), _C.end_group == _s(NO_GROUP_NAME))
    for source, target in ((Tier.L1, Tier.L2), (Tier.L2, Tier.L3)):
        step = 1 << (4 * source.level + target.level)
        out.append(
            SqlMetric(
                f"escalation_rate_{source.value.lower()}_{target.value.lower()}",
                and_(_at(source), not_(no_group_data)),
                hit=_has(_C.escalation_mask, step),
            )
        )
    out += [
        SqlMetric(
            f"hand_back_rate_{t.value.lower()}",
            _at(t),
            hit=_has(_C.hand_back_mask, _bit(t)),
        )
        for t in (Tier.L2, Tier.L3)
    ]
    never_resolved = and_(_C.end_kind == _s("cancelled"), _C.reopens == _n(0))
    out.append(SqlMetric("reopen_rate", and_(_ENDED, not_(never_resolved)), hit=_C.reopens > _n(0)))
    return out


def _distributions() -> list[SqlMetric]:
    out = [
        SqlMetric(
            "resolution_time",
            _C.end_kind == _s("resolved"),
            value=_hours_since_opened(_C.end_us),
        ),
        SqlMetric(
            "response_time",
            and_(_ENDED, _C.responded_us.is_not(None)),
            value=_hours_since_opened(_C.responded_us),
        ),
        SqlMetric(
            "time_to_restore",
            and_(_ENDED, _C.restored_us.is_not(None)),
            value=_hours_since_opened(_C.restored_us),
        ),
        SqlMetric("reassignment_count", _ENDED, value=_C.group_changes),
        SqlMetric("ping_pong", _ENDED, value=_C.ping_pongs),
    ]
    for t in Tier:
        # tier_time's rule: at the tier, or owned there (a ticket that never left its owner)
        inside = and_(_ENDED, or_(_has(_C.tier_mask, _bit(t)), _C.owner_tier == _s(t.value)))
        for part in ("queue", "work", "hold", "total"):
            name = f"{t.value.lower()}_{part}_time"
            out.append(SqlMetric(name, inside, value=_C[f"{name[:-5]}_h"]))
    return out


@functools.cache
def sql_metrics() -> dict[str, SqlMetric]:
    """Every metric SQL computes, by its `standard_metrics()` name."""
    return {m.name: m for m in (*_distributions(), *_rates())}


NONE = "(none)"  # the keys kpi_table gives a missing value and a ticket still open
OPEN = "(open)"
SQL_DIMENSIONS: tuple[str, ...] = DIMENSIONS
"""The `kpi_table` dimensions SQL groups by (all of them; periods in UTC)."""

# The UTC second of end_us, floored (SQLite's integer division truncates toward zero).
_SQLITE_SECOND = "((end_us - ((end_us % 1000000) + 1000000) % 1000000) / 1000000)"
_SQLITE_PERIOD = {
    "day": f"date({_SQLITE_SECOND}, 'unixepoch')",
    "week": f"date({_SQLITE_SECOND}, 'unixepoch', 'weekday 0', '-6 days')",
    "month": f"strftime('%Y-%m-01', {_SQLITE_SECOND}, 'unixepoch')",
}
# Exact: a timestamp without time zone, in UTC, from whole microseconds.
_PG_INSTANT = "(TIMESTAMP '1970-01-01 00:00:00' + end_us * INTERVAL '1 microsecond')"
_PG_PERIOD = {
    "day": f"to_char({_PG_INSTANT}, 'YYYY-MM-DD')",
    "week": f"to_char(date_trunc('week', {_PG_INSTANT}), 'YYYY-MM-DD')",
    "month": f"to_char(date_trunc('month', {_PG_INSTANT}), 'YYYY-MM-DD')",
}
_PLAIN: dict[str, Callable[[], ColumnElement[str]]] = {
    "group": lambda: _C.end_group,
    "tier": lambda: _C.end_tier,
    "priority": lambda: _C.priority,
    "category": lambda: case(
        (or_(_C.category.is_(None), _C.category == _s("")), _s(NONE)), else_=_C.category
    ),
}


def ci_values(dialect: str) -> Any:
    """A ticket's CIs as rows (its `ci_refs` JSON array), to join each facts row with.

    A ticket counts once under each of its CIs, and under "(none)" without
    any (an outer join), as `kpi_table` groups by "ci".
    """
    if dialect == "postgresql":
        values = func.jsonb_array_elements_text(cast(_C.ci_refs, JSONB))
        return values.table_valued("value").lateral("ci")
    return func.json_each(_C.ci_refs).table_valued("value").alias("ci")


def source(by: Sequence[str], ci: Any) -> Any:
    """What a query over the facts selects from: the table, joined with its CIs for "ci"."""
    return FACTS.outerjoin(ci, true()) if "ci" in by else FACTS


def dimension(name: str, dialect: str, ci: Any = None) -> ColumnElement[str]:
    """The key expression of dimension `name` on `dialect` ("sqlite" or "postgresql").

    `ci` is the `ci_values` joined to the facts (for "ci" only).
    """
    if name == "ci":
        return func.coalesce((ci if ci is not None else ci_values(dialect)).c.value, _s(NONE))
    if name in _PLAIN:
        return _PLAIN[name]()
    periods = _SQLITE_PERIOD if dialect == "sqlite" else _PG_PERIOD
    if name in periods:
        when = literal_column(periods[name], String)
        return case((_C.end_us.is_(None), _s(OPEN)), else_=when)
    raise ValidationError(
        f"SQL KPIs group by distinct dimensions of {SQL_DIMENSIONS}, got {name!r}"
    )
