"""The stored KPI facts and events as Arrow tables, KPI rows as data frames (extra `arrow`).

Arrow is the format DuckDB, Spark, polars, pandas and warehouses all read
without a copy, so the library hands its data over as `pyarrow.Table`s: the
facts table (`itil_kpi_facts`, one row per ticket, the columns of
`itil_l2.kpis.FACTS_COLUMNS` after `tenant`, times as integer microseconds
since 1970-01-01 UTC as stored) and the event log (`itil_events`, one row per
event, its JSON text as stored). Rows are read in batches, so a large
database is never one list of Python tuples.

pyarrow is imported on first use: without it, a call raises `ExtraNotInstalled`
naming the extra to install, and `import itil_l2.export` still works.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from typing import Any, Literal

from itil_l2.errors import ConfigurationError, ValidationError
from itil_l2.kpis import FACTS_COLUMNS, KpiFacts, KpiRow, facts_row
from itil_l2.storage.sqlite import EVENT_COLUMNS

__all__ = [
    "EVENT_COLUMNS",
    "ExtraNotInstalled",
    "facts_table",
    "kpi_frame",
    "kpi_rows_table",
    "read_events",
    "read_facts",
    "sqlite_batches",
]

BATCH = 50_000


class ExtraNotInstalled(ConfigurationError):
    """An optional dependency this call needs is not installed (the message names the extra)."""


def pyarrow() -> Any:
    """The `pyarrow` module, or `ExtraNotInstalled` naming the extra `arrow`."""
    return _module("pyarrow", "pip install 'itil-l2[arrow]'")


def _module(name: str, how: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ExtraNotInstalled(f"{name} is not installed: {how}") from error


def facts_schema() -> Any:
    """The Arrow schema of the facts table: integers, floats (hours) and text as stored."""
    pa = pyarrow()
    fields = [pa.field("tenant", pa.string(), nullable=False)]
    for name in FACTS_COLUMNS:
        if name.endswith("_h"):
            kind = pa.float64()
        elif name.endswith(("_us", "_mask", "_changes", "_pongs", "reopens", "_version")) or (
            name == "successful"
        ):
            kind = pa.int64()
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def events_schema() -> Any:
    """The Arrow schema of the event log."""
    pa = pyarrow()
    text, number = pa.string(), pa.int64()
    kinds = (text, text, text, number, number, pa.timestamp("us", tz="UTC"), text, text)
    return pa.schema([pa.field(n, k) for n, k in zip(EVENT_COLUMNS, kinds, strict=True)])


def facts_table(facts: Iterable[KpiFacts], *, tenant: str | None = None) -> Any:
    """KPI facts (from any store's `stored_facts`, or `map(kpi_facts, tickets)`) as a Table.

    >>> from itil_l2.export import facts_table
    >>> from itil_l2.kpis import kpi_facts
    >>> from itil_l2.testing import example_printer_ticket
    >>> table = facts_table([kpi_facts(example_printer_ticket(resolved=True))])
    >>> table.num_rows, table.column("end_tier").to_pylist(), table.schema.field("end_us").type
    (1, ['L1'], DataType(int64))
    """
    schema = facts_schema()
    key = tenant or ""
    rows = ((key, *facts_row(f)) for f in facts)
    return pyarrow().Table.from_batches(list(_batches(rows, schema)), schema=schema)


def _batches(rows: Iterable[Sequence[Any]], schema: Any) -> Iterator[Any]:
    """Record batches of `BATCH` rows (columns built from each batch's tuples)."""
    pa = pyarrow()
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield _batch(pa, chunk, schema)
            chunk = []
    if chunk:
        yield _batch(pa, chunk, schema)


def _batch(pa: Any, rows: Sequence[Sequence[Any]], schema: Any) -> Any:
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def sqlite_batches(
    db: str | PathLike[str], what: Literal["facts", "events"], tenant: str | None = None
) -> tuple[Any, Iterator[Any]]:
    """The schema and record batches of a SQLite store file's facts or events.

    Read as `itil_l2.storage.sqlite.stored_rows` reads them: read-only, in one
    read transaction, the facts of each ticket checked (facts of another
    `FACTS_VERSION`, or tickets without facts, raise `OutdatedFacts`: run
    `itil-l2 rebuild-facts --db F`; a faulty row `CorruptHistory`). All
    tenants unless `tenant` is given. The file is opened and read as the
    batches are taken.
    """
    schema = facts_schema() if what == "facts" else events_schema()
    return schema, _record_batches(db, what, tenant, schema)


def _record_batches(
    db: str | PathLike[str], what: Literal["facts", "events"], tenant: str | None, schema: Any
) -> Iterator[Any]:
    from itil_l2.storage.sqlite import stored_rows

    pa = pyarrow()
    with stored_rows(db, tenant=tenant, batch=BATCH) as rows:
        for batch in rows.facts() if what == "facts" else rows.events():
            yield _batch(pa, batch, schema)


def read_facts(db: str | PathLike[str], *, tenant: str | None = None) -> Any:
    """A SQLite store file's KPI facts table as a `pyarrow.Table` (see `sqlite_batches`)."""
    schema, batches = sqlite_batches(db, "facts", tenant)
    return pyarrow().Table.from_batches(list(batches), schema=schema)


def read_events(db: str | PathLike[str], *, tenant: str | None = None) -> Any:
    """A SQLite store file's event log as a `pyarrow.Table`, in stream order per aggregate."""
    schema, batches = sqlite_batches(db, "events", tenant)
    return pyarrow().Table.from_batches(list(batches), schema=schema)


def kpi_rows_table(rows: Sequence[KpiRow]) -> Any:
    """`kpi_table` (or `sql_kpi_table`) rows as a Table: one column per key and per figure.

    The columns are those of `KpiRow.flat()`: each dimension (text), then per
    metric its value (float, null when not measurable) and `<name>_n` (int).

    >>> from itil_l2.export import kpi_rows_table
    >>> from itil_l2.kpis import kpi_table
    >>> from itil_l2.testing import example_printer_ticket
    >>> rows = kpi_table([example_printer_ticket(resolved=True)], by=["tier"],
    ...                  metrics=["resolution_rate"])
    >>> kpi_rows_table(rows).to_pylist()
    [{'tier': 'L1', 'resolution_rate': 1.0, 'resolution_rate_n': 1}]
    """
    pa = pyarrow()
    if not rows:
        return pa.table({})
    fields = [pa.field(name, pa.string()) for name in rows[0].key]
    for name in rows[0].results:
        fields += [pa.field(name, pa.float64()), pa.field(f"{name}_n", pa.int64())]
    schema = pa.schema(fields)
    flat = [r.flat() for r in rows]
    return pa.Table.from_pylist(flat, schema=schema)


def kpi_frame(rows: Sequence[KpiRow], library: Literal["pandas", "polars"] = "pandas") -> Any:
    """KPI rows as a pandas or polars DataFrame, built through Arrow (`kpi_rows_table`).

    pandas or polars must be installed (neither is a dependency of the library):
    otherwise `ExtraNotInstalled`.
    """
    table = kpi_rows_table(rows)
    if library == "pandas":
        _module("pandas", "pip install pandas")
        return table.to_pandas()
    if library == "polars":
        return _module("polars", "pip install polars").from_arrow(table)
    raise ValidationError(f"library is 'pandas' or 'polars', not {library!r}")
