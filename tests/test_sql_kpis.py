"""SQL KPIs over the facts table equal the Python engine's figures (SQLite and PostgreSQL).

The Python side is `kpi_table` over the tickets themselves; the SQL side reads
only facts rows. Tickets come from hypothesis (every reachable history shape:
cancelled, reopened, handed back, unassigned) and from the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from itil_l2 import Ticket
from itil_l2.errors import StorageError, ValidationError
from itil_l2.importers import simulate
from itil_l2.kpis import OutdatedFacts, _rates, kpi_table, standard_metrics
from itil_l2.storage import SqliteStore, Store
from itil_l2.storage._sql_kpi_defs import NO_GROUP_NAME
from itil_l2.storage.sql_kpis import (
    SQL_DIMENSIONS,
    sql_kpi_table,
    sql_metric_names,
)
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import tickets
from sql_facts import assert_same_rows, fill, fresh_postgres

STATS = {
    "resolution_time": "median",
    "response_time": "p90",
    "time_to_restore": "p99.9",
    "l2_total_time": "p0",
    "l1_queue_time": "p100",
    "reassignment_count": "sum",
    "ping_pong": "count",
    "l3_work_time": "p33.3",
}


def python_table(ts: list[Ticket], by: list[str], stats: dict[str, str]) -> list:
    metrics = [
        attrs.evolve(m, statistic=stats[m.name]) if m.name in stats else m
        for m in standard_metrics().values()
    ]
    return kpi_table(ts, by=by, metrics=metrics)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    e = create_engine("sqlite://") if request.param == "sqlite" else fresh_postgres()
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def simulated() -> list[Ticket]:
    return list(simulate(3000, seed=18, per_day=40))


def test_every_standard_metric_is_a_sql_metric() -> None:
    assert set(sql_metric_names()) == set(standard_metrics())
    assert NO_GROUP_NAME == _rates.NO_GROUP_NAME  # the SQL side's copy of the constant


@pytest.mark.parametrize("by", [[], *([d] for d in SQL_DIMENSIONS), ["month", "tier"]])
def test_simulated_tickets_agree(engine: Engine, simulated: list[Ticket], by: list[str]) -> None:
    with engine.begin() as conn:
        fill(conn, simulated)
    got = sql_kpi_table(engine, by=by, statistics=STATS)
    assert_same_rows(got, python_table(simulated, by, STATS))


def test_default_statistics_agree(engine: Engine, simulated: list[Ticket]) -> None:
    with engine.begin() as conn:
        fill(conn, simulated)
    assert_same_rows(
        sql_kpi_table(engine, by=["priority", "category"]),
        kpi_table(simulated, by=["priority", "category"]),
    )


_TICKET_LISTS = st.lists(tickets(), max_size=25, unique_by=lambda t: t.id)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ts=_TICKET_LISTS,
    by=st.sampled_from([[], ["tier"], ["group", "day"], ["week"], ["ci"], ["ci", "month"]]),
)
def test_any_histories_agree_on_sqlite(ts: list[Ticket], by: list[str]) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, ts)
        assert_same_rows(sql_kpi_table(conn, by=by, statistics=STATS), python_table(ts, by, STATS))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ts=_TICKET_LISTS)
def test_any_histories_agree_on_postgresql(ts: list[Ticket]) -> None:
    engine = fresh_postgres()
    try:
        with engine.begin() as conn:
            fill(conn, ts)
            got = sql_kpi_table(conn, by=["tier", "ci"], statistics=STATS)
            assert_same_rows(got, python_table(ts, ["tier", "ci"], STATS))
    finally:
        engine.dispose()


def test_tenants_are_apart(simulated: list[Ticket]) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, simulated[:100], tenant="acme")
        fill(conn, simulated[100:300], tenant="")
    acme = sql_kpi_table(engine, tenant="acme", metrics=["resolution_rate"])
    default = sql_kpi_table(engine, metrics=["resolution_rate"])
    ended = [t for t in simulated[:300] if t.phase.value != "open"]
    assert acme[0].results["resolution_rate"].sample_size + default[0].results[
        "resolution_rate"
    ].sample_size <= len(simulated[:300])
    assert_same_rows(acme, kpi_table(simulated[:100], metrics=["resolution_rate"]))
    assert_same_rows(default, kpi_table(simulated[100:300], metrics=["resolution_rate"]))
    assert ended  # the sample is not empty
    assert sql_kpi_table(engine, tenant="nobody") == []


def test_no_tickets_no_rows() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, [])
    assert sql_kpi_table(engine) == kpi_table([]) == []
    assert sql_kpi_table(engine, by=["tier"]) == []


def test_open_tickets_have_rows_without_figures() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    ts = list(simulate(50, seed=3, start=t0))
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, ts)
    rows = sql_kpi_table(engine, by=["month"])
    assert_same_rows(rows, kpi_table(ts, by=["month"]))
    open_rows = [r for r in rows if r.key["month"] == "(open)"]
    assert all(res.value is None for r in open_rows for res in r.results.values())


def test_month_boundaries_are_utc_and_floored() -> None:
    """A ticket resolved 1 µs before a month starts (in UTC) counts in the earlier month."""
    start = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    ts = list(simulate(400, seed=5, start=start, per_day=500))
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, ts)
        conn.execute(
            text("UPDATE itil_kpi_facts SET end_us = :us WHERE end_us IS NOT NULL"),
            {
                "us": (datetime(2026, 2, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC))
                // timedelta(microseconds=1)
                - 1
            },
        )
    rows = sql_kpi_table(engine, by=["month", "week", "day"], metrics=["resolution_rate"])
    assert [r.key for r in rows if r.key["month"] != "(open)"] == [
        {"month": "2026-01-01", "week": "2026-01-26", "day": "2026-01-31"}
    ]


def test_stale_facts_are_refused() -> None:
    engine = create_engine("sqlite://")
    ts = list(simulate(20, seed=1))
    with engine.begin() as conn:
        fill(conn, ts[:19])
        fill(conn, ts[19:], version=-5)
    with pytest.raises(OutdatedFacts, match="rebuild-facts"):
        sql_kpi_table(engine, by=["tier"])
    assert sql_kpi_table(engine, tenant="other") == []  # another tenant's rows are not read


def test_missing_table_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="KPI facts"):
        sql_kpi_table(create_engine("sqlite://"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": ["cmdb"]}, "dimensions"),
        ({"by": ["tier", "tier"]}, "distinct"),
        ({"metrics": ["nope"]}, "unknown SQL metric"),
        ({"metrics": ["reopen_rate", "reopen_rate"]}, "unique"),
        ({"statistics": {"reopen_rate": "mean"}}, "is a rate"),
        ({"statistics": {"resolution_time": "p101"}}, "statistic"),
        ({"statistics": {"resolution_time": "mode"}}, "statistic"),
        ({"metrics": ["reopen_rate"], "statistics": {"resolution_time": "mean"}}, "not asked"),
        ({"tenant": "a\x00b"}, "tenant"),
        ({"tenant": ""}, "tenant"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, match: str) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        fill(conn, [])
    with pytest.raises(ValidationError, match=match):
        sql_kpi_table(engine, **kwargs)


@pytest.mark.parametrize("adapter", ["sqlite-file", "sqlalchemy-postgresql"])
def test_facts_the_store_wrote_agree(adapter: str, tmp_path: Path) -> None:
    """Through a store: the facts rows its saves wrote, read by SQL, give kpi_table's figures."""
    ts = list(simulate(400, seed=9, per_day=30))
    if adapter == "sqlite-file":
        path = tmp_path / "desk.sqlite"
        store: Store = SqliteStore(path)
        engine = create_engine(f"sqlite:///{path}")
    else:
        engine = fresh_postgres()
        metadata.create_all(engine)
        store = SqlAlchemyStore(engine)
    with store.unit_of_work("acme") as uow:
        for t in ts:
            uow.tickets.add(t)
        uow.commit()
    with store.unit_of_work("acme") as uow:
        replayed = list(uow.tickets.find())
    store.close()
    try:
        assert_same_rows(
            sql_kpi_table(engine, by=["tier"], tenant="acme", statistics=STATS),
            python_table(replayed, ["tier"], STATS),
        )
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM itil_kpi_facts WHERE id = :id"), {"id": ts[5].id})
        with pytest.raises(OutdatedFacts, match="1 have no KPI facts"):
            sql_kpi_table(engine, tenant="acme")
    finally:
        engine.dispose()
