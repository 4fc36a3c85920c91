"""KPI facts as one flat row per ticket: what a store keeps beside the events.

Reading facts instead of replaying histories is what makes KPIs over a
million stored tickets fast, and a flat row is what SQL, Arrow or a
warehouse reads. The row is `FACTS_COLUMNS` in order (`facts_row`); times
are integer microseconds since 1970-01-01 UTC, so a duration in hours is
one division of two integers in any engine. `KpiFacts.from_row` (or
`facts_from_row`) gives facts without a ticket behind them, which every
metric of `standard_metrics()` and its clocked or coded variants read.

`FACTS_VERSION` numbers the facts definition: it moves whenever what a
fact means changes (a new column, a changed rule), so facts written under
another definition are never read as if they were current
(`OutdatedFacts`; a store recomputes them with `rebuild_facts`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import CorruptHistory, StorageError, ValidationError
from itil_l2.kpis._facts import _NEXT, KpiFacts
from itil_l2.kpis._kept import GROUP_EVENTS, Kept
from itil_l2.tickets import events as ev

__all__ = ["FACTS_COLUMNS", "FACTS_VERSION", "OutdatedFacts", "facts_from_row", "facts_row"]

FACTS_VERSION = 1
"""The facts definition's version: moves when what a stored fact means changes."""

_HOURS = tuple(
    f"l{level}_{part}_h" for level in (1, 2, 3) for part in ("queue", "work", "hold", "total")
)
FACTS_COLUMNS: tuple[str, ...] = (
    "id",
    "facts_version",
    "opened_us",
    "end_kind",
    "end_us",
    "end_group",
    "end_tier",
    "owner_tier",
    "resolved_tier",
    "resolution_code",
    "successful",
    "restored_us",
    "responded_us",
    "tier_mask",
    "escalation_mask",
    "hand_back_mask",
    "group_changes",
    "ping_pongs",
    "reopens",
    *_HOURS,
    "category",
    "priority",
    "ci_refs",
    "detail",
)
"""The columns of a facts row, in order (a store adds its tenant in front)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_encode = msgspec.json.Encoder().encode
_LEVEL = {Tier.L1: 1, Tier.L2: 2, Tier.L3: 3}
_NAME = {t: t.value for t in Tier}  # a dict lookup: an Enum's `value` is a Python-level call
_ENDS = frozenset({"resolved", "cancelled", None})


class OutdatedFacts(StorageError):
    """Stored KPI facts were computed under another `FACTS_VERSION` (or are missing).

    They are never read as current: recompute them by replaying the stored
    histories, `store.rebuild_facts()` or `itil-l2 rebuild-facts --db FILE`.
    """


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _opt(value: datetime | None) -> int | None:
    return None if value is None else (value - _EPOCH) // _MICROSECOND


def facts_row(facts: KpiFacts) -> tuple[Any, ...]:
    """`facts` as a row of `FACTS_COLUMNS` (times in integer microseconds since the epoch).

    >>> from itil_l2.kpis import FACTS_COLUMNS, facts_row, kpi_facts
    >>> from itil_l2.testing import example_printer_ticket
    >>> row = dict(zip(FACTS_COLUMNS, facts_row(kpi_facts(example_printer_ticket(resolved=True)))))
    >>> row["end_kind"], row["end_tier"], row["successful"], row["priority"]
    ('resolved', 'L1', 1, 'P4')
    >>> (row["end_us"] - row["opened_us"]) / 3_600_000_000 > 0
    True
    """
    opened = _us(facts.opened_at)
    kept = facts.kept
    if kept is not None:
        detail, ci_text = kept.detail, kept.ci_text
    else:
        detail = _detail(facts, opened)
        ci_text = _encode(facts.ci_refs).decode()
    group, resolved = facts.end_group, facts.resolved_tier
    return (
        facts.id,
        FACTS_VERSION,
        opened,
        facts.end_kind,
        _opt(facts.end_at),
        group.name,
        _NAME[group.tier],
        _NAME[facts.owner_tier],
        None if resolved is None else _NAME[resolved],
        facts.resolution_code,
        1 if facts.successful else 0,
        _opt(facts.restored_at),
        _opt(facts.responded_at),
        facts.tier_mask,
        facts.escalation_mask,
        facts.hand_back_mask,
        facts.group_changes,
        facts.ping_pongs,
        facts.reopens,
        *facts.hours[4:16],
        facts.category,
        facts.priority,
        ci_text,
        detail,
    )


_NEXT_PART = _NEXT
"""The part of the clock an event starts (as `tier_intervals` reads it; -1: none)."""


def _detail(facts: KpiFacts, opened: int) -> str:
    """The detail JSON, in one pass over the history.

    Detail: the tier intervals (`tier_intervals`) as [level, part, start, end]
    and every resolve as [at, code], times as microseconds after opened.
    """
    ticket = facts.ticket
    level, part, since = _LEVEL[ticket.owner_group.tier], 0, 0
    intervals: list[tuple[int, int, int, int]] = []
    resolves: list[tuple[int, str]] = []
    for event in ticket.history:
        p = event.payload
        cls = type(p)
        nxt = _NEXT_PART.get(cls)
        if nxt is None:
            continue
        at = (event.at - _EPOCH) // _MICROSECOND - opened
        if part >= 0 and at > since:
            intervals.append((level, part, since, at))
        if cls in GROUP_EVENTS:
            level = _LEVEL[p.group.tier]  # type: ignore[union-attr]
        elif cls is ev.Resolved:
            resolves.append((at, p.resolution.code.code))  # type: ignore[union-attr]
        part, since = nxt, at
    return _encode({"i": intervals, "r": resolves}).decode()


@functools.lru_cache(maxsize=4096)
def _group(name: str, tier: str) -> SupportGroup:
    return SupportGroup(name, Tier(tier))


_TIER_OF: dict[Any, Tier | None] = {"L1": Tier.L1, "L2": Tier.L2, "L3": Tier.L3}
_new = object.__new__


def _int_or_none(value: Any, name: str) -> int | None:
    if value is not None and type(value) is not int:
        raise TypeError(f"{name} is not an integer: {value!r}")
    return value


MAX_COUNT = 2**63 - 1
"""The largest mask or count a facts row may hold (SQL's BIGINT; a float holds it roughly)."""


def _count(value: Any) -> int:
    if type(value) is float and not value.is_integer():  # int() would round it: a wrong figure
        raise ValueError(f"a mask or count of {value!r} is not a whole number")
    count = int(value)
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"a mask or count of {count} is outside 0..2**63-1")
    return count


def _hours(value: Any) -> float:
    hours = float(value)
    if not math.isfinite(hours):
        raise ValueError(f"hours of {hours!r}")
    return hours


def facts_from_row(row: Sequence[Any]) -> KpiFacts:
    """Facts without a ticket from a row of `FACTS_COLUMNS` (see `KpiFacts.from_row`).

    A row of another `FACTS_VERSION` is `OutdatedFacts`; a row that is not a
    facts row (wrong length, a time that is not an integer, an unknown tier)
    is `CorruptHistory` (its CI list and detail are read, and checked, when a
    metric first asks for them).
    """
    if len(row) != len(FACTS_COLUMNS):
        raise CorruptHistory(f"a facts row has {len(FACTS_COLUMNS)} columns, got {len(row)}")
    version = row[1]
    if version != FACTS_VERSION or type(version) is not int:
        raise OutdatedFacts(
            f"the facts of ticket {row[0]!r} are of version {version!r}; this library reads"
            f" version {FACTS_VERSION}: recompute them (store.rebuild_facts(), or"
            " itil-l2 rebuild-facts --db FILE)"
        )
    try:
        return _parsed(row)
    except (TypeError, ValueError, KeyError, OverflowError, ValidationError) as exc:
        raise CorruptHistory(f"the facts row of ticket {row[0]!r} is malformed: {exc}") from None


def _parsed(row: Sequence[Any]) -> KpiFacts:
    """The facts of a row whose length and version are checked (the read path: kept lean)."""
    id, opened, end_kind, end = row[0], row[2], row[3], _int_or_none(row[4], "end_us")
    if type(id) is not str or type(opened) is not int:
        raise TypeError(f"id {id!r} or opened_us {opened!r}")
    if end_kind not in _ENDS or (end_kind is None) != (end is None):
        raise ValueError(f"end_kind {end_kind!r} with end_us {end!r}")
    ci_text, detail, category, priority, code = row[33], row[34], row[31], row[32], row[9]
    if type(ci_text) is not str or type(detail) is not str or type(priority) is not str:
        raise TypeError("ci_refs, detail and priority are text")
    if (category is not None and type(category) is not str) or (
        code is not None and type(code) is not str
    ):
        raise TypeError(f"category {category!r} or resolution_code {code!r} is not text")
    owner, resolved = _TIER_OF[row[7]], row[8]
    restored = _int_or_none(row[11], "restored_us")
    responded = _int_or_none(row[12], "responded_us")
    f: KpiFacts = _new(KpiFacts)
    f._ticket = f._resolution = f.intervals_cache = None
    f.id = id
    f.opened_at = _EPOCH + timedelta(0, 0, opened)
    f.end_kind = end_kind
    f.end_at = None if end is None else _EPOCH + timedelta(0, 0, end)
    f.end_group = _group(row[5], row[6])
    f.resolved_tier = None if resolved is None else _TIER_OF[resolved]
    f.successful = bool(row[10])
    f.restored_at = None if restored is None else _EPOCH + timedelta(0, 0, restored)
    f.tier_mask, f.escalation_mask, f.hand_back_mask, f.group_changes, f.ping_pongs, f.reopens = (
        _count(v) for v in row[13:19]
    )
    f.hours = [0.0, 0.0, 0.0, 0.0, *map(_hours, row[19:31])]
    f.owner_tier = owner  # type: ignore[assignment]
    f.responded_at = None if responded is None else _EPOCH + timedelta(0, 0, responded)
    f.kept = Kept(category, priority, ci_text, code, opened, detail)
    return f
