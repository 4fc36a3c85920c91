"""The library's tables as SQLAlchemy `Table`s on one `MetaData`.

For `create_all` and the host's Alembic `target_metadata`, with the trigger that keeps
the event history append-only in the database.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    inspect,
)
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "cis",
    "configs",
    "events",
    "has_table",
    "heads",
    "kpi_facts",
    "metadata",
    "positions",
]

metadata = MetaData()
"""The library's tables, for `create_all` or the host's Alembic `target_metadata`."""


def _key() -> list[Column[Any]]:
    return [
        Column("kind", String(40), primary_key=True),
        Column("tenant", String(200), primary_key=True),
        Column("id", String(200), primary_key=True),
    ]


heads = Table(
    "itil_heads",
    metadata,
    *_key(),
    Column("version", Integer, nullable=False),
    Column("state", String(64), nullable=False),
    Column("tier", String(8)),
    Column("grp", String(200)),
    Column("priority", Integer),
    Column("category", String(200)),
    Column("opened_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("assignee", String(200)),
    Column("caller", String(200)),
    Column("title_key", Text),
    Column("view", Text),
    Index("itil_heads_state", "kind", "tenant", "state"),
    Index("itil_heads_tier", "kind", "tenant", "tier"),
    Index("itil_heads_grp", "kind", "tenant", "grp"),
    Index("itil_heads_category", "kind", "tenant", "category"),
    Index("itil_heads_opened", "kind", "tenant", "opened_at"),
    Index("itil_heads_resolved", "kind", "tenant", "resolved_at"),
    Index("itil_heads_updated", "kind", "tenant", "updated_at"),
    Index("itil_heads_priority", "kind", "tenant", "priority"),
    Index("itil_heads_assignee", "kind", "tenant", "assignee", "updated_at"),
    Index("itil_heads_caller", "kind", "tenant", "caller", "updated_at"),
    Index("itil_heads_queue", "kind", "tenant", "state", "tier", "opened_at"),
)
"""One row per aggregate: its version, the facts queries filter on, and its view (JSON text).

Since 0.2 the view columns `assignee`, `caller`, `title_key`, `view` and five
indexes (an Alembic migration adds them to an existing database; rows
without a view are listed by replay until they are next saved).
"""
events = Table(
    "itil_events",
    metadata,
    *_key(),
    Column("version", Integer, primary_key=True),
    Column("schema", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("type", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("itil_events_position", "tenant", "position", unique=True),  # the notification log
)
positions = Table(
    "itil_positions",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("last", BigInteger, nullable=False),
)
"""The last position given out per tenant; claimed inside each write transaction."""
_SQLITE_APPEND_ONLY = DDL(  # type: ignore[no-untyped-call]
    "CREATE TRIGGER itil_events_append_only BEFORE UPDATE ON itil_events"
    " BEGIN SELECT RAISE(ABORT, 'itil_events is append-only'); END"
)
_POSTGRES_APPEND_ONLY = DDL(  # type: ignore[no-untyped-call]
    "CREATE OR REPLACE FUNCTION itil_events_append_only() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RAISE EXCEPTION 'itil_events is append-only'; END $$;"
    " CREATE TRIGGER itil_events_append_only BEFORE UPDATE ON itil_events"
    " FOR EACH ROW EXECUTE FUNCTION itil_events_append_only()"
)
# History is append-only in the database too; `create_all` adds the trigger. (Alembic's
# autogenerate does not see DDL events: a host migration adds the same statement.)
event.listen(events, "after_create", _SQLITE_APPEND_ONLY.execute_if(dialect="sqlite"))
event.listen(events, "after_create", _POSTGRES_APPEND_ONLY.execute_if(dialect="postgresql"))

cis = Table(
    "itil_cis",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("tenant", String(200), primary_key=True),
    Column("ci", String(200), primary_key=True),
    Column("id", String(200), primary_key=True),
    Index("itil_cis_id", "kind", "tenant", "id"),  # a load reads one aggregate's CIs
)

configs = Table(
    "itil_configs",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("data", Text, nullable=False),
)
"""The workflow config each entity kind's stored entities were written with (JSON text)."""

_HOURS = [
    Column(f"l{level}_{part}_h", Double, nullable=False)
    for level in (1, 2, 3)
    for part in ("queue", "work", "hold", "total")
]
kpi_facts = Table(
    "itil_kpi_facts",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("facts_version", Integer, nullable=False),
    Column("opened_us", BigInteger, nullable=False),
    Column("end_kind", String(16)),
    Column("end_us", BigInteger),
    Column("end_group", String(200), nullable=False),
    Column("end_tier", String(8), nullable=False),
    Column("owner_tier", String(8), nullable=False),
    Column("resolved_tier", String(8)),
    Column("resolution_code", String(200)),
    Column("successful", Integer, nullable=False),
    Column("restored_us", BigInteger),
    Column("responded_us", BigInteger),
    Column("tier_mask", Integer, nullable=False),
    Column("escalation_mask", Integer, nullable=False),
    Column("hand_back_mask", Integer, nullable=False),
    Column("group_changes", Integer, nullable=False),
    Column("ping_pongs", Integer, nullable=False),
    Column("reopens", Integer, nullable=False),
    *_HOURS,
    Column("category", String(200)),
    Column("priority", String(8), nullable=False),
    Column("ci_refs", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Index("itil_kpi_facts_end", "tenant", "end_us"),
    Index("itil_kpi_facts_group", "tenant", "end_group"),
    Index("itil_kpi_facts_tier", "tenant", "end_tier"),
)
"""One row of KPI facts per stored ticket (`itil_l2.kpis.FACTS_COLUMNS` after the tenant).

Written with the ticket's head in the same transaction; rows of another
`facts_version` are never read (`Store.rebuild_facts()` recomputes them).
Times are integer microseconds since 1970-01-01 UTC.
"""


_FOUND: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
"""Per engine, the tables a later release added that its database was found to have."""


def has_table(conn: Connection, table: Table) -> bool:
    """Whether the database behind `conn` has `table` (added after 0.1: configs, facts).

    A table found is remembered per engine; a missing one is looked for again
    on the next call, since a host's migration may add it while the store is open.
    """
    found = _FOUND.setdefault(conn.engine, set())
    if table.name in found:
        return True
    if inspect(conn).has_table(table.name, schema=table.schema):
        found.add(table.name)
        return True
    return False
