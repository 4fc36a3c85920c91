"""Stored facts rows measured column by column: KPIs over a store without a `KpiFacts` per ticket.

A store reads facts rows in batches (`FactsRows`, what `stored_facts`
returns). Iterated, they are `KpiFacts` one row at a time, as before;
`kpi_table` instead turns each batch into columns (one `zip`), checks them
as a whole and hands them to the metrics' batch rules (`_batch`), so a
million stored tickets cost a few C-level passes per metric.

The checks are those of `facts_from_row`, restated per column, and
stricter: a batch that passes holds only rows `facts_from_row` reads
unchanged. Any other batch (an outdated or forged row, a float where an
integer belongs) is read row by row through `facts_from_row`, which gives
the same figures or raises the same typed error as ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from math import isfinite
from operator import is_, itemgetter
from typing import Any, overload

from itil_l2._core.tier import Tier
from itil_l2.errors import CorruptHistory, ValidationError
from itil_l2.kpis._batch import Columns
from itil_l2.kpis._facts import KpiFacts
from itil_l2.kpis._period import period_key
from itil_l2.kpis._stored import (
    _EPOCH,
    _MICROSECOND,
    FACTS_COLUMNS,
    FACTS_VERSION,
    MAX_COUNT,
    OutdatedFacts,
    _group,
    facts_from_row,
)

__all__ = ["FactsRows", "JoinedRows", "RowColumns", "checked_facts_rows", "facts_of", "row_columns"]

Pair = tuple[str, Sequence[Any] | None]
"""(ticket id, its stored facts row or None when it has none), as a store reads them."""


def facts_of(id: str, row: Sequence[Any] | None) -> KpiFacts:
    """The facts of ticket `id` from its stored row (`OutdatedFacts` when it has none)."""
    if row is None:
        raise OutdatedFacts(
            f"ticket {id!r} has no stored KPI facts: compute them"
            " (store.rebuild_facts(), or itil-l2 rebuild-facts --db FILE)"
        )
    if len(row) == len(FACTS_COLUMNS) and row[0] != id:  # a short row: facts_from_row says so
        raise CorruptHistory(f"the stored KPI facts of ticket {id!r} name {row[0]!r}")
    return facts_from_row(row)


def checked_facts_rows(batch: Sequence[Pair]) -> list[Sequence[Any]]:
    """The facts rows of a batch of (ticket id, row or None), each exactly as stored.

    For readers that hand stored rows on (an export): every row is checked as
    `kpi_table` checks a batch it measures column by column (the current
    `FACTS_VERSION`, each value of its column's type and range), so a row a
    KPI would refuse is never handed on. A ticket without facts, or of
    another version, is `OutdatedFacts`; any other faulty row `CorruptHistory`
    (a fraction where a count belongs too, which reading a single row would
    round).

    >>> from itil_l2.kpis import checked_facts_rows, facts_row, kpi_facts
    >>> from itil_l2.testing import example_printer_ticket
    >>> row = facts_row(kpi_facts(example_printer_ticket(resolved=True)))
    >>> checked_facts_rows([(row[0], row)]) == [row]
    True
    """
    if not batch:
        return []
    found = row_columns(batch)
    if found is not None:
        return found[0]
    for id, row in batch:
        facts_of(id, row)  # the precise error, where reading it alone finds one
    raise CorruptHistory(
        "stored KPI facts hold a value that is not of its column's type"
        " (a fraction where a whole number belongs, or a number where text does)"
    )


class JoinedRows(Sequence[Pair]):
    """A batch read as whole facts rows, `None` for facts_version where a ticket has none.

    A store that reads each ticket's id with its facts columns in one row
    (`FACTS_COLUMNS`, the id from the ticket's own row) hands the rows over
    as they are: read as (id, row or None) pairs, and measured by `kpi_table`
    without a pair or a copy of a row per ticket.
    """

    __slots__ = ("rows",)

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Pair: ...

    @overload
    def __getitem__(self, i: slice) -> list[Pair]: ...

    def __getitem__(self, i: int | slice) -> Pair | list[Pair]:
        if isinstance(i, slice):
            return list(map(_pair, self.rows[i]))
        return _pair(self.rows[i])

    def __iter__(self) -> Iterator[Pair]:
        return map(_pair, self.rows)


def _pair(row: tuple[Any, ...]) -> Pair:
    """(id, row), or (id, None) for a ticket without facts (facts_version None)."""
    return row[0], None if row[1] is None else row


class FactsRows:
    """Stored facts rows in batches of (id, row) pairs: iterable as `KpiFacts`.

    Iterating reads each row with `facts_from_row` (through `facts_of`);
    `kpi_table` measures the batches column by column instead (the same
    figures, the same errors). Like the reading it wraps, it is read once.
    """

    def __init__(self, batches: Iterable[Sequence[Pair]]) -> None:
        self._batches = iter(batches)

    def __iter__(self) -> Iterator[KpiFacts]:
        for batch in self._batches:
            for id, row in batch:
                yield facts_of(id, row)

    def batches(self) -> Iterator[Sequence[Pair]]:
        """The batches themselves, once (each a list or tuple: the column path reads it twice)."""
        return (b if isinstance(b, list | tuple | JoinedRows) else list(b) for b in self._batches)


_INDEX = {name: i for i, name in enumerate(FACTS_COLUMNS)}
_TIER: dict[Any, Tier | None] = {None: None, "L1": Tier.L1, "L2": Tier.L2, "L3": Tier.L3}
_HOUR_US = 3_600_000_000
_FIRST_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
_LAST_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
_INTS = ("tier_mask", "escalation_mask", "hand_back_mask", "group_changes", "ping_pongs", "reopens")
_HOURS = tuple(i for i, name in enumerate(FACTS_COLUMNS) if name.endswith("_h"))
_MOMENTS = {"to_end": "end_us", "to_responded": "responded_us", "to_restored": "restored_us"}


class RowColumns(Columns):
    """`Columns` read from transposed facts rows (of the rows at `index`, or all)."""

    __slots__ = ("_index", "_pick", "_rows", "_source")

    def __init__(
        self, rows: Sequence[Sequence[Any]], source: list[Any], index: list[int] | None = None
    ) -> None:
        super().__init__(())
        self._rows, self._source, self._index = rows, source, index
        # one C-level pick per column (a single index gives the item, not a tuple)
        self._pick: Callable[[Sequence[Any]], Any] | None = (
            None if index is None else itemgetter(*index) if len(index) > 1 else _one(index[0])
        )

    def part(self, index: list[int]) -> RowColumns:
        """The columns of the rows at `index` (of a whole batch)."""
        return RowColumns(self._rows, self._source, index)

    def __len__(self) -> int:
        return len(self._rows) if self._index is None else len(self._index)

    def facts(self) -> Sequence[KpiFacts]:
        rows = self._rows if self._index is None else [self._rows[i] for i in self._index]
        return [facts_from_row(r) for r in rows]

    def raw(self, name: str) -> list[Any] | tuple[Any, ...]:
        """The stored column `name` (of `FACTS_COLUMNS`) over these rows."""
        column = self._source[_INDEX[name]]
        return column if self._pick is None else self._pick(column)  # type: ignore[no-any-return]

    def _column(self, name: str) -> list[Any]:
        if name == "id":
            return list(self.raw("id"))
        if name == "successful":
            return list(map(bool, self.raw("successful")))
        if name in ("resolved_tier", "owner_tier"):
            return list(map(_TIER.__getitem__, self.raw(name)))
        if name == "end_group_name":
            return list(self.raw("end_group"))
        if name[0] == "h" and name[1:].isdigit():
            return list(self.raw(FACTS_COLUMNS[19 + int(name[1:]) - 4]))
        moment = _MOMENTS.get(name)
        if moment is not None:
            return [
                None if at is None else (at - opened) / _HOUR_US
                for at, opened in zip(self.raw(moment), self.raw("opened_us"), strict=True)
            ]
        if name in _INTS or name == "end_kind":
            return list(self.raw(name))
        raise ValidationError(f"no column {name!r} in stored facts")


def _one(i: int) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    return lambda column: (column[i],)


def _only(column: Sequence[Any], *types: type) -> bool:
    return set(map(type, column)) <= set(types)


def _counted(column: Sequence[int]) -> bool:
    return not column or (min(column) >= 0 and max(column) <= MAX_COUNT)


def _times_fit(column: Sequence[int | None]) -> bool:
    """Every time (int or None, checked before) one a datetime holds (a 0 fits: it is skipped)."""
    return min(filter(None, column), default=0) >= _FIRST_US and (
        max(filter(None, column), default=0) <= _LAST_US
    )


def _finite(column: Sequence[float]) -> bool:
    """No inf or nan among floats (their sum is finite, or else each is looked at)."""
    return isfinite(sum(column)) or all(map(isfinite, column))


def row_columns(batch: Sequence[Pair]) -> tuple[list[Sequence[Any]], list[Any]] | None:
    """(rows, transposed columns) of a batch every row of which `facts_from_row` reads as is.

    None otherwise: the caller then reads the batch row by row, which raises
    the precise error (or reads a row these stricter checks refused).
    """
    joined = type(batch) is JoinedRows
    rows: list[Any] = batch.rows if joined else list(map(itemgetter(1), batch))  # type: ignore[attr-defined]
    if not rows or None in rows or set(map(len, rows)) != {len(FACTS_COLUMNS)}:
        return None
    source = list(zip(*rows, strict=True))
    try:
        if not joined and list(map(itemgetter(0), batch)) != list(source[0]):
            return None
        if None in source[1] or not _checked(source):  # None: a ticket without facts
            return None
        for name, tier in set(zip(source[5], source[6], strict=True)):
            _group(name, tier)  # a valid group, as facts_from_row builds it (cached)
    except (TypeError, ValueError, ValidationError):
        return None
    return rows, source


def _checked(source: list[Any]) -> bool:
    c = {name: source[i] for name, i in _INDEX.items()}
    kinds, ends = c["end_kind"], c["end_us"]
    return (
        _only(c["id"], str)
        and _only(c["facts_version"], int)
        and set(c["facts_version"]) == {FACTS_VERSION}
        and _only(c["opened_us"], int)
        and _only(c["end_group"], str)
        and _only(c["end_tier"], str)
        and set(kinds) <= {"resolved", "cancelled", None}
        and list(map(is_, kinds, [None] * len(kinds))) == list(map(is_, ends, [None] * len(ends)))
        and all(_only(c[t], int, type(None)) for t in ("end_us", "restored_us", "responded_us"))
        and all(_times_fit(c[t]) for t in ("opened_us", "end_us", "restored_us", "responded_us"))
        and set(c["owner_tier"]) <= {"L1", "L2", "L3"}
        and set(c["resolved_tier"]) <= {"L1", "L2", "L3", None}
        and _only(c["successful"], int)
        and all(_only(c[name], int) and _counted(c[name]) for name in _INTS)
        and all(_only(source[i], float) and _finite(source[i]) for i in _HOURS)
        and _only(c["ci_refs"], str)
        and _only(c["detail"], str)
        and _only(c["priority"], str)
        and _only(c["category"], str, type(None))
        and _only(c["resolution_code"], str, type(None))
    )


Keyer = Callable[[RowColumns], list[str]]


def row_keyers(by: Sequence[str], tz: tzinfo, none: str, open_: str) -> list[Keyer] | None:
    """The key columns of `kpi_table`'s dimensions, or None if one needs the facts ("ci")."""
    table: dict[str, Keyer] = {
        "group": lambda c: list(c.raw("end_group")),
        "tier": lambda c: list(c.raw("end_tier")),
        "category": lambda c: [v or none for v in c.raw("category")],
        "priority": lambda c: list(c.raw("priority")),
    }
    for unit in ("day", "week", "month"):
        table[unit] = _period_keyer(unit, tz, open_)
    if not all(d in table for d in by):
        return None
    return [table[d] for d in by]


def _period_keyer(unit: Any, tz: tzinfo, open_: str) -> Keyer:
    """The period key of each row's end, as `kpi_table` computes it from `end_at`.

    In a fixed-offset zone the key depends on the local day only, so it is
    computed once per day met; in any other zone once per row.
    """

    def key(us: int) -> str:
        return period_key(_EPOCH + timedelta(0, 0, us), unit, tz)

    offset = tz.utcoffset(None) if type(tz) is timezone else None
    if offset is None:
        return lambda c: [open_ if us is None else key(us) for us in c.raw("end_us")]
    shift, day = offset // _MICROSECOND, 86_400_000_000
    memo: dict[int, str] = {}

    def keys(c: RowColumns) -> list[str]:
        out = []
        for us in c.raw("end_us"):
            if us is None:
                out.append(open_)
                continue
            local_day = (us + shift) // day
            found = memo.get(local_day)
            if found is None:
                found = memo[local_day] = key(us)
            out.append(found)
        return out

    return keys
