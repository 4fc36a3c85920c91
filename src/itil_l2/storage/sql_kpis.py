"""Ticket KPIs as SQL on the stored facts table (extra `sql`): SQLite and PostgreSQL.

The store writes one row of KPI facts per ticket (`itil_kpi_facts`) beside its
events. Counts, rates, means, sums and percentiles over those rows are what
a database computes best, so `sql_kpi_table` asks the database for the ticket
metrics of `standard_metrics()` (all of them: they need no business clock)
instead of loading and replaying histories, grouped by every dimension of
`kpi_table` (`SQL_DIMENSIONS`: the group and tier that ended a ticket,
category, priority, configuration item, and the UTC day, ISO week or month
in which it ended).

The figures are the Python engine's, by the same definitions: counts and
rates exactly, means and percentiles to the last bits of a floating-point
sum. Percentiles are PostgreSQL's `percentile_cont`; SQLite has no such
function, so there they are read the way `itil_l2.kpis.percentile` defines
them (linear interpolation at rank (n − 1) · p / 100) with window functions.

What comes back is what `kpi_table` returns, `KpiRow`s sorted by key with a
`KpiResult` per metric, with two differences: a result lists no excluded
records (`excluded` is empty; the figure, `sample_size` and `numerator` are
complete) and keeps no `distribution` (its `value` is the statistic asked
for). For those, for periods in another time zone, business hours or SLA
compliance, use `kpi_table`.

What is checked: facts of another `FACTS_VERSION` and stored tickets without a
facts row are refused (`OutdatedFacts`), and a result the rows cannot make
(an ended ticket without an end time) is `CorruptHistory`. The rows are not
checked one by one, as `stored_facts` does for the Python engine: the
database adds up what it holds.

>>> from sqlalchemy import create_engine
>>> from itil_l2.storage.sql_kpis import sql_kpi_table
>>> from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
>>> from itil_l2.testing import example_printer_ticket
>>> engine = create_engine("sqlite://")
>>> metadata.create_all(engine)
>>> with SqlAlchemyStore(engine).unit_of_work() as uow:
...     uow.tickets.add(example_printer_ticket(resolved=True))
...     uow.commit()
>>> rows = sql_kpi_table(engine, by=["tier"], metrics=["resolution_rate", "resolution_time"],
...                      statistics={"resolution_time": "median"})
>>> rows[0].key, rows[0].results["resolution_rate"].value, rows[0].results["resolution_time"].unit
({'tier': 'L1'}, 1.0, 'hours')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from itil_l2._core.public import expose
from itil_l2.errors import CorruptHistory, StorageError, ValidationError
from itil_l2.kpis import (
    FACTS_VERSION,
    KpiResult,
    KpiRow,
    Metric,
    OutdatedFacts,
    standard_metrics,
)
from itil_l2.storage._sql_kpi_defs import (
    FACTS,
    SQL_DIMENSIONS,
    SqlMetric,
    ci_values,
    dimension,
    source,
    sql_metrics,
)
from itil_l2.storage._store import _checked_tenant
from itil_l2.storage._tables import heads

__all__ = ["SQL_DIMENSIONS", "sql_kpi_table", "sql_metric_names"]

ONE = literal_column("1", Integer)


def sql_metric_names() -> tuple[str, ...]:
    """The metrics `sql_kpi_table` computes (every one of `standard_metrics()`).

    >>> "escalation_rate_l2_l3" in sql_metric_names()
    True
    """
    known = sql_metrics()
    return tuple(name for name in standard_metrics() if name in known)


def sql_kpi_table(
    bind: Engine | Connection,
    *,
    by: Sequence[str] = (),
    metrics: Iterable[str] | None = None,
    statistics: Mapping[str, str] | None = None,
    tenant: str | None = None,
) -> list[KpiRow]:
    """`kpi_table` of a store's tickets, computed by its database from the stored facts.

    `bind` is an engine or connection on the store's database (for an
    `SqliteStore` file: `create_engine(f"sqlite:///{path}")`). `by` takes
    dimensions of `SQL_DIMENSIONS`; `metrics` names from `sql_metric_names()`
    (default: all); `statistics` maps a distribution metric's name to the
    statistic its value is ("mean", "median", "sum", "count" or "pNN";
    default: the metric's own, as in `standard_metrics()`). Only the rows of
    `tenant` are read. Facts of another definition version, or stored tickets
    without facts (counted in `itil_heads`), raise `OutdatedFacts`; a database
    without the library's tables a `StorageError`.
    """
    by = list(by)
    chosen = _chosen(metrics, statistics or {})
    for name in by:
        dimension(name, "sqlite")  # refuses an unknown dimension early
    if len(set(by)) != len(by):
        raise ValidationError(f"group by distinct dimensions, got {by}")
    key = _checked_tenant(tenant) or ""
    try:
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                return _table(conn, by, chosen, key)
        return _table(bind, by, chosen, key)
    except SQLAlchemyError as error:
        raise StorageError(f"the KPI facts could not be read: {error}") from error


def _chosen(metrics: Iterable[str] | None, statistics: Mapping[str, str]) -> list[Metric]:
    """The standard `Metric`s asked for, each with the statistic asked for (validated)."""
    standard = standard_metrics()
    known = sql_metrics()
    names = list(sql_metric_names() if metrics is None else metrics)
    for name in [*names, *statistics]:
        if not isinstance(name, str) or name not in known:
            raise ValidationError(f"unknown SQL metric {name!r}; known: {sorted(known)}")
    if len(set(names)) != len(names):
        raise ValidationError("metric names must be unique")
    out = []
    for name in names:
        metric = standard[name]
        if name in statistics:
            if metric.kind == "rate":
                raise ValidationError(f"{name} is a rate: it has no statistic to choose")
            metric = attrs.evolve(metric, statistic=statistics[name])  # validated by Metric
        out.append(metric)
    unused = set(statistics) - set(names)
    if unused:
        raise ValidationError(f"statistics for metrics not asked for: {sorted(unused)}")
    return out


def _table(conn: Connection, by: list[str], chosen: list[Metric], tenant: str) -> list[KpiRow]:
    dialect = conn.dialect.name
    defs = sql_metrics()
    ci = ci_values(dialect)
    keys = [dimension(d, dialect, ci).label(f"k{i}") for i, d in enumerate(by)]
    facts = source(by, ci)
    percentiles: dict[str, float] = {}
    for m in chosen:
        p = _rank(m.statistic)
        if p is not None:
            percentiles[m.name] = p
    pairs = [(m, defs[m.name]) for m in chosen]
    stmt = _aggregate(facts, keys, pairs, percentiles, dialect, tenant)
    rows = conn.execute(stmt).all()
    if not by and rows and rows[0].rows == 0:
        rows = []
    _check_complete(conn, tenant, sum(row.stale for row in rows), sum(row.rows for row in rows))
    ranked: dict[str, dict[tuple[str, ...], float | None]] = {}
    if rows and dialect != "postgresql":
        for name, p in percentiles.items():
            ranked[name] = _sqlite_percentiles(conn, facts, keys, defs[name], p, tenant)
    out = []
    for row in rows:
        group = tuple(str(row[i]) for i in range(len(by)))
        try:
            results = {
                m.name: _result(m, i, row._mapping, ranked.get(m.name, {}).get(group))
                for i, m in enumerate(chosen)
            }
        except (TypeError, ValueError) as exc:  # e.g. an ended ticket whose end time is NULL
            raise CorruptHistory(f"stored KPI facts do not add up ({group}): {exc!r}") from exc
        out.append(KpiRow(dict(zip(by, group, strict=True)), results))
    return sorted(out, key=lambda r: tuple(r.key.values()))


def _check_complete(conn: Connection, tenant: str, stale: int, facts: int) -> None:
    """Refuse facts of another version, and stored tickets without facts (one index count)."""
    (tickets,) = conn.execute(
        select(func.count())
        .select_from(heads)
        .where(heads.c.kind == literal_column("'ticket'"), heads.c.tenant == tenant)
    ).one()
    if stale or tickets > facts:
        raise OutdatedFacts(
            f"of {tickets:,} stored tickets, {max(tickets - facts, 0):,} have no KPI facts and"
            f" {stale:,} have facts of another version than {FACTS_VERSION}: recompute them"
            " (store.rebuild_facts(), or itil-l2 rebuild-facts --db FILE)"
        )


def _rank(statistic: str) -> float | None:
    """The percentile a statistic reads (median: 50), None for mean, sum and count."""
    if statistic in ("mean", "sum", "count"):
        return None
    return 50.0 if statistic == "median" else float(statistic[1:])  # "pNN", checked by Metric


def _aggregate(
    facts: Any,
    keys: list[Any],
    chosen: list[tuple[Metric, SqlMetric]],
    percentiles: Mapping[str, float],
    dialect: str,
    tenant: str,
) -> Select[Any]:
    """One pass over the tenant's facts: per group, each metric's counts and sums."""
    cols: list[Any] = [
        *keys,
        func.count().label("rows"),
        func.count(case((FACTS.c.facts_version != literal_column(str(FACTS_VERSION)), ONE))).label(
            "stale"
        ),
    ]
    for i, (metric, sql) in enumerate(chosen):
        cols.append(func.count(case((sql.inside, ONE))).label(f"n{i}"))
        if sql.hit is not None:
            cols.append(func.count(case((and_(sql.inside, sql.hit), ONE))).label(f"v{i}"))
            continue
        value = case((sql.inside, sql.value))
        if metric.statistic == "mean":
            cols.append(func.avg(value).label(f"v{i}"))
        elif metric.statistic == "sum":
            cols.append(func.sum(value).label(f"v{i}"))
        elif metric.name in percentiles and dialect == "postgresql":
            q = literal(percentiles[metric.name] / 100, Float(53))
            cols.append(func.percentile_cont(q).within_group(value).label(f"v{i}"))
    stmt = select(*cols).select_from(facts).where(FACTS.c.tenant == tenant)
    return stmt.group_by(*keys) if keys else stmt


def _result(metric: Metric, i: int, row: Any, ranked: float | None) -> KpiResult:
    """Metric number `i` of an aggregate row (`ranked`: its percentile read apart)."""
    n = int(row[f"n{i}"])
    if metric.kind == "rate":
        hits = int(row[f"v{i}"])
        return KpiResult(metric.name, hits / n if n else None, n, numerator=hits)
    value: float | None
    if not n:
        value = None
    elif metric.statistic == "count":
        value = float(n)
    elif f"v{i}" in row:
        value = float(row[f"v{i}"])
    else:
        value = ranked
    return KpiResult(metric.name, value, n, unit=metric.unit)


def _sqlite_percentiles(
    conn: Connection, facts: Any, keys: list[Any], sql: SqlMetric, p: float, tenant: str
) -> dict[tuple[str, ...], float | None]:
    """The p-th percentile per group by `itil_l2.kpis.percentile`'s rule, in SQL.

    Rank the measured values per group (row_number over the group, ordered),
    take rank h = (n − 1) · p / 100, and interpolate between the values at
    ⌊h⌋ and ⌊h⌋ + 1 (the value at ⌊h⌋ alone when it is the last).
    """
    assert sql.value is not None
    measured = (
        select(*keys, sql.value.label("x"))
        .select_from(facts)
        .where(FACTS.c.tenant == tenant, sql.inside)
        .subquery("measured")
    )
    width = len(keys)
    parts = [measured.c[f"k{i}"] for i in range(width)]
    ranked = select(
        *parts,
        measured.c.x,
        (func.row_number().over(partition_by=parts, order_by=measured.c.x) - 1).label("i"),
        func.count().over(partition_by=parts).label("n"),
    ).subquery("ranked")
    group = [ranked.c[f"k{i}"] for i in range(width)]
    h = cast(ranked.c.n - 1, Float(53)) * literal(p, Float(53)) / literal(100.0, Float(53))
    low = cast(h, Integer)  # h >= 0: truncation is the floor
    picked = (
        select(
            *group,
            func.max(h).label("h"),
            func.max(low).label("low"),
            func.max(case((ranked.c.i == low, ranked.c.x))).label("lo"),
            func.max(case((ranked.c.i == low + 1, ranked.c.x))).label("hi"),
        )
        .where(ranked.c.i.between(low, low + 1))
        .group_by(*group)
        .subquery("picked")
    )
    c = picked.c
    value = case((c.hi.is_(None), c.lo), else_=c.lo + (c.h - c.low) * (c.hi - c.lo))
    stmt = select(*[c[f"k{i}"] for i in range(width)], value.label("value"))
    return {
        tuple(str(v) for v in row[:width]): float(row.value)
        for row in conn.execute(stmt).all()
        if row.value is not None  # no groups: one row of NULLs
    }


expose(__name__, globals(), __all__)
