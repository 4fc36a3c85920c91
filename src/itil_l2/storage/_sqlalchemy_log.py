"""The notification log in SQL: positions claimed per tenant, read back in order.

A unit of work locks its tenant's counter row in `itil_positions` at its
first write (`lock_counter`, which also reads the last position), numbers its
events on from there itself, and stores the new last position just before it
commits (`store_counter`). The row stays locked until the transaction ends,
so writers of one tenant take positions one after another in commit order:
no gaps (a rollback returns the claim) and no reader ever sees position
n + 1 committed before n. One round trip per unit of work, not per event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from itil_l2.storage._rows import EventRow, Notice
from itil_l2.storage._sqlalchemy_reads import aware
from itil_l2.storage._tables import events, positions

__all__ = ["lock_counter", "notices_since", "store_counter"]


def lock_counter(conn: Connection, tenant: str) -> int:
    """Lock `tenant`'s counter row for this transaction (creating it); its last position."""
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(positions).values(tenant=tenant, last=0)
        statement = statement.on_conflict_do_update(  # an update of itself: takes the row lock
            index_elements=[positions.c.tenant], set_={"last": positions.c.last}
        ).returning(positions.c.last)
        return int(conn.execute(statement).scalar_one())
    row = conn.execute(  # other databases: lock the row the portable way
        select(positions.c.last).where(positions.c.tenant == tenant).with_for_update()
    ).first()
    if row is None:
        conn.execute(positions.insert().values(tenant=tenant, last=0))
        return 0
    return int(row[0])


def store_counter(conn: Connection, tenant: str, last: int) -> None:
    """Move `tenant`'s locked counter row on to `last` (just before the commit)."""
    conn.execute(update(positions).where(positions.c.tenant == tenant).values(last=last))


def notices_since(conn: Connection, tenant: str, after: int, limit: int) -> list[Notice]:
    """Up to `limit` event rows of `tenant` after position `after`, in position order."""
    c = events.c
    rows = conn.execute(
        select(c.position, c.kind, c.id, c.version, c.schema, c.at, c.type, c.data)
        .where(c.tenant == tenant, c.position > after)
        .order_by(c.position)
        .limit(limit)
    )
    return [
        Notice(int(position), kind, id, EventRow(version, schema, aware(at), type_, data))  # type: ignore[arg-type]
        for position, kind, id, version, schema, at, type_, data in rows
    ]
