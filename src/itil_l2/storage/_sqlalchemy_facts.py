"""The SQLAlchemy adapter's KPI facts: `itil_kpi_facts`, written with each ticket.

A unit of work holds its tickets' facts rows with its event rows and writes
them in the same transaction: an upsert on PostgreSQL and SQLite, a delete
and an insert elsewhere. A database made before the table existed, and not
migrated yet, is written as before, without facts (as `itil_configs`); a
reader then gets `OutdatedFacts`, and once the host's migration adds the
table (`metadata` has it), `store.rebuild_facts()` computes every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from itil_l2.kpis import FACTS_COLUMNS, OutdatedFacts
from itil_l2.storage._query import Query
from itil_l2.storage._sqlalchemy_errors import translated
from itil_l2.storage._sqlalchemy_reads import conditions
from itil_l2.storage._tables import has_table, heads, kpi_facts

__all__ = ["FactsRows", "PendingFacts"]

_NAMES = ("tenant", *FACTS_COLUMNS)
_KEY = ("tenant", "id")


def _put(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace facts rows (one statement per kind of statement)."""
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(kpi_facts)
        statement = statement.on_conflict_do_update(
            index_elements=[kpi_facts.c.tenant, kpi_facts.c.id],
            set_={n: statement.excluded[n] for n in _NAMES if n not in _KEY},
        )
        conn.execute(statement, rows)
        return
    c = kpi_facts.c
    conn.execute(
        delete(kpi_facts).where(c.tenant == bindparam("k_tenant"), c.id == bindparam("k_id")),
        [{"k_tenant": r["tenant"], "k_id": r["id"]} for r in rows],
    )
    conn.execute(insert(kpi_facts), rows)


class PendingFacts:
    """A unit of work's facts rows not yet written: the last one per ticket."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, tenant: str, row: tuple[Any, ...]) -> None:
        self.rows[tenant, row[0]] = dict(zip(_NAMES, (tenant, *row), strict=True))

    def flush(self, conn: Connection) -> None:
        if self.rows:
            rows, self.rows = list(self.rows.values()), {}
            if has_table(conn, kpi_facts):
                _put(conn, rows)

    def clear(self) -> None:
        self.rows = {}


class FactsRows:
    """The facts reads and writes of `SqlAlchemySession` (a mixin)."""

    def _read(self) -> Connection:  # pragma: no cover - the session's
        raise NotImplementedError

    def _write(self) -> Connection:  # pragma: no cover - the session's
        raise NotImplementedError

    def facts(
        self, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[tuple[str, tuple[Any, ...] | None]]:
        """(id, stored facts row or None) of the matching tickets (`stored_facts`)."""
        where = conditions("ticket", tenant, query)
        if after is not None:
            where.append(heads.c.id > after)
        ids = select(heads.c.id).where(*where).order_by(heads.c.id).limit(limit).subquery()
        f = kpi_facts.c
        statement = (
            select(ids.c.id, *(f[n] for n in FACTS_COLUMNS))
            .select_from(ids.outerjoin(kpi_facts, and_(f.tenant == tenant, f.id == ids.c.id)))
            .order_by(ids.c.id)
        )
        with translated("read KPI facts"):
            conn = self._read()
            if not has_table(conn, kpi_facts):
                raise OutdatedFacts(
                    "the database has no itil_kpi_facts table: add it (a migration to"
                    " itil_l2.storage.sqlalchemy.metadata), then run store.rebuild_facts()"
                )
            rows = conn.execute(statement).all()
        return [(r[0], None if r[1] is None else tuple(r[1:])) for r in rows]

    def put_facts(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace stored tickets' facts rows (`Store.rebuild_facts`)."""
        if rows:
            with translated("store KPI facts"):
                _put(self._write(), [dict(zip(_NAMES, (tenant, *r), strict=True)) for r in rows])

    def ticket_tenants(self) -> list[str]:
        """The tenants with stored tickets."""
        statement = select(heads.c.tenant).where(heads.c.kind == "ticket").distinct()
        with translated("list tenants"):
            return sorted(self._read().execute(statement).scalars())
