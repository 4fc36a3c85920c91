"""SQL KPIs equal the Python engine's on the real UCI log and on 100,000 simulated tickets.

Exact for counts and rates, within 1e-9 for means and percentiles, on SQLite
and PostgreSQL. The real log is required in CI (`ITIL_L2_REQUIRE_DATA=1`: a
missing file fails, never skips). The 100,000-ticket test is one lean test:
the tickets are simulated once, the Python figures are one `kpi_table` pass,
the facts rows go in with one `executemany` per database.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from sqlalchemy import create_engine

from itil_l2 import Ticket
from itil_l2.importers import read_servicenow, simulate
from itil_l2.kpis import KpiFacts, kpi_facts, kpi_table
from itil_l2.storage.sql_kpis import sql_kpi_table
from sql_facts import assert_same_rows, facts_rows, fill, fresh_postgres

STATS = {
    "resolution_time": "median",
    "response_time": "p90",
    "time_to_restore": "p25",
    "l2_total_time": "p99",
    "reassignment_count": "p75",
}
BY = ["tier", "month"]


def both_tables(ts: list[Ticket] | list[KpiFacts]) -> tuple[list, list]:
    """Python's figures: the standard set, then the same set with percentile statistics.

    One `kpi_table` pass: the percentile figures are read from each result's
    `distribution` (the engine's `Distribution.statistic`).
    """
    plain = kpi_table(ts, by=BY)
    ranked = []
    for row in plain:
        results = dict(row.results)
        for name, statistic in STATS.items():
            r = results[name]
            assert r.distribution is not None
            value = r.distribution.statistic(statistic) if r.sample_size else None
            results[name] = attrs.evolve(r, value=value)
        ranked.append(attrs.evolve(row, results=results))
    return plain, ranked


def check(engine_url: str | None, rows: list[dict], python: tuple[list, list]) -> None:
    engine = create_engine(engine_url) if engine_url else fresh_postgres()
    try:
        with engine.begin() as conn:
            fill(conn, [], rows=rows)
        assert_same_rows(sql_kpi_table(engine, by=BY), python[0])
        assert_same_rows(sql_kpi_table(engine, by=BY, statistics=STATS), python[1])
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def uci(servicenow_log_path: Path) -> tuple[list[dict], tuple[list, list]]:
    ts = list(read_servicenow(servicenow_log_path))
    assert len(ts) > 20_000
    return facts_rows(ts), both_tables(ts)  # the Python side replays the tickets


def test_uci_log_on_sqlite(uci: tuple[list[dict], tuple[list, list]], tmp_path: Path) -> None:
    rows, python = uci
    check(f"sqlite:///{tmp_path / 'uci.sqlite'}", rows, python)


def test_uci_log_on_postgresql(uci: tuple[list[dict], tuple[list, list]]) -> None:
    rows, python = uci
    check(None, rows, python)


def test_100k_simulated_tickets(tmp_path: Path) -> None:
    """100,000 simulated tickets, each side once: about 70 s on a busy 2-core machine.

    Lean: the tickets' facts are computed once (`kpi_facts`); the Python side
    measures them with one `kpi_table` pass (the same engine as over tickets),
    the SQL side reads their rows. Simulating the tickets is 24 s of it, the
    rows' inserts 10 s, the SQL (eight queries on two databases) most of the rest.
    """
    facts = [kpi_facts(t) for t in simulate(100_000, seed=2026)]
    python = both_tables(facts)
    rows = facts_rows(facts)
    check(f"sqlite:///{tmp_path / 'sim.sqlite'}", rows, python)
    check(None, rows, python)
