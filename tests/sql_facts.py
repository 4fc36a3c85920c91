"""Test helpers for the SQL KPIs: fill the facts table directly, and compare results.

`fill(conn, tickets)` writes `facts_row(kpi_facts(ticket))` for each ticket,
the row a store writes beside the events, without storing every history, so
a test can put the SQL side against the Python side on many tickets.
`copy_facts_row` adds a SQLite facts row of no ticket (a ghost) copied from a stored one;
`store_by_tenant` stores tickets in a SQLite file, one unit of work per tenant.
`assert_same_rows` compares `sql_kpi_table` rows with `kpi_table` rows: same
keys, same sample sizes and numerators, rates exactly, other values within
1e-9 (relative, or absolute near zero).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, text

from itil_l2 import Ticket
from itil_l2.kpis import FACTS_COLUMNS, KpiFacts, KpiRow, facts_row, kpi_facts
from itil_l2.storage import SqliteStore
from itil_l2.storage.sqlalchemy import metadata
from test_storage_contract import postgres_url

TABLE = metadata.tables["itil_kpi_facts"]


def fresh_postgres() -> Engine:
    """An engine on the test database without the library's tables (dropped if left)."""
    engine = create_engine(postgres_url())
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS itil_kpi_facts"))
    return engine


def facts_rows(
    tickets: Iterable[Ticket | KpiFacts], tenant: str = "", version: int | None = None
) -> list[dict[str, Any]]:
    """The facts rows of `tickets` (or of facts already read) as the store writes them."""
    rows = []
    for t in tickets:
        facts = t if isinstance(t, KpiFacts) else kpi_facts(t)
        row = dict(zip(FACTS_COLUMNS, facts_row(facts), strict=True))
        row["tenant"] = tenant
        if version is not None:
            row["facts_version"] = version
        rows.append(row)
    return rows


def fill(
    conn: Connection,
    tickets: Iterable[Ticket | KpiFacts],
    tenant: str = "",
    version: int | None = None,
    *,
    rows: list[dict[str, Any]] | None = None,
) -> None:
    """Write the facts of `tickets`, or `rows` made before (creating the tables if needed).

    Only facts rows: the library's other tables (its heads, which the SQL
    reader counts tickets in) are created empty.
    """
    metadata.create_all(conn)
    rows = facts_rows(tickets, tenant, version) if rows is None else rows
    if rows:
        conn.execute(insert(TABLE), rows)


def copy_facts_row(conn: sqlite3.Connection, ghost: str, of: str | None = None) -> None:
    """Add a facts row with id `ghost`, a copy of ticket `of`'s row (of any, without `of`)."""
    source = "LIMIT 1" if of is None else "WHERE id = ?"
    conn.execute(
        "INSERT INTO itil_kpi_facts SELECT tenant, ?"
        + "".join(f", {c}" for c in FACTS_COLUMNS[1:])
        + f" FROM itil_kpi_facts {source}",
        (ghost,) if of is None else (ghost, of),
    )


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same_rows(sql: Sequence[KpiRow], python: Sequence[KpiRow]) -> None:
    """SQL rows equal the Python engine's: counts and rates exactly, the rest within 1e-9."""
    assert [dict(r.key) for r in sql] == [dict(r.key) for r in python]
    for s, p in zip(sql, python, strict=True):
        assert list(s.results) == list(p.results)
        for name, want in p.results.items():
            got = s.results[name]
            where = f"{name} at {dict(p.key)}"
            assert got.definition == want.definition, where
            assert got.unit == want.unit, where
            assert got.sample_size == want.sample_size, where
            assert got.numerator == want.numerator, where
            if want.numerator is not None:  # a rate: the same division of the same counts
                assert got.value == want.value, where
            else:
                assert close(got.value, want.value), (where, got.value, want.value)


def store_by_tenant(path: Any, by_tenant: dict[str | None, list[Ticket]]) -> None:
    """Store each tenant's tickets in the SQLite file `path` (one unit of work per tenant)."""
    store = SqliteStore(path)
    try:
        for tenant, made in by_tenant.items():
            with store.unit_of_work(tenant) as uow:
                for ticket in made:
                    uow.tickets.add(ticket)
                uow.commit()
    finally:
        store.close()
