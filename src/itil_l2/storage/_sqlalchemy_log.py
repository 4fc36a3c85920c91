"""The notification log in SQL: positions claimed per tenant, read back in order.

`claim_positions` adds n to the tenant's counter row in `itil_positions`
inside the write transaction and returns the first of the n positions. The
row stays locked until the transaction ends, so writers of one tenant take
positions one after another in commit order: no gaps (a rollback returns the
claim) and no reader ever sees position n + 1 committed before n.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from itil_l2.storage._rows import EventRow, Notice
from itil_l2.storage._sqlalchemy_reads import aware
from itil_l2.storage._tables import events, positions

__all__ = ["claim_positions", "notices_since"]


def claim_positions(conn: Connection, tenant: str, n: int) -> int:
    """Claim the next `n` positions of `tenant`; return the first."""
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(positions).values(tenant=tenant, last=n)
        statement = statement.on_conflict_do_update(
            index_elements=[positions.c.tenant], set_={"last": positions.c.last + n}
        ).returning(positions.c.last)
        last = int(conn.execute(statement).scalar_one())
        return last - n + 1
    row = conn.execute(  # other databases: lock the row, then move it on
        select(positions.c.last).where(positions.c.tenant == tenant).with_for_update()
    ).first()
    if row is None:
        conn.execute(positions.insert().values(tenant=tenant, last=n))
        return 1
    conn.execute(update(positions).where(positions.c.tenant == tenant).values(last=row[0] + n))
    return int(row[0]) + 1


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
