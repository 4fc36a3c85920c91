"""The notification log in SQL: positions claimed per tenant, read back in order.

A unit of work locks its tenant's counter row in `itil_positions` at its
first write (`lock_counter`, which also reads the last position), numbers its
events on from there itself, and stores the new last position just before it
commits (`store_counter`). The row stays locked until the transaction ends,
so writers of one tenant take positions one after another in commit order:
no gaps (a rollback returns the claim) and no reader ever sees position
n + 1 committed before n. One round trip per unit of work, not per event.

`Pending` holds a unit of work's event and CI rows and writes them in one
statement each when the unit of work next reads, commits, or has held
`FLUSH_AT` rows: a bulk save costs one round trip per aggregate (its head,
which must say at once whether the id exists) instead of three.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from itil_l2.storage._rows import EventRow, Notice
from itil_l2.storage._sqlalchemy_facts import PendingFacts
from itil_l2.storage._sqlalchemy_reads import aware, utc
from itil_l2.storage._tables import cis, events, positions

__all__ = ["FLUSH_AT", "Pending", "lock_counter", "notices_since", "store_counter"]

FLUSH_AT = 10_000
"""Rows a unit of work holds before it writes them (memory stays bounded)."""


class Pending:
    """A unit of work's event and CI rows not yet written, and its tenants' positions."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}  # each tenant's last position, while writing
        self.events: list[dict[str, Any]] = []
        self.cis: list[dict[str, Any]] = []
        self.facts = PendingFacts()  # KPI facts rows, written with the events

    def add(
        self,
        conn: Connection,
        key: tuple[str, str, str],
        rows: Sequence[EventRow],
        ci_refs: Sequence[str],
    ) -> None:
        """Hold one aggregate's new events (numbered in the log) and its CI rows."""
        kind, tenant, id = key
        base = {"kind": kind, "tenant": tenant, "id": id}
        if rows:
            if tenant not in self.last:
                self.last[tenant] = lock_counter(conn, tenant)
            first = self.last[tenant] + 1
            self.last[tenant] += len(rows)
            self.events += [
                {
                    **base,
                    "version": r.version,
                    "schema": r.schema,
                    "at": utc(r.at),
                    "type": r.type,
                    "data": r.data,
                    "position": first + n,
                }
                for n, r in enumerate(rows)
            ]
        self.cis += [{**base, "ci": ci} for ci in dict.fromkeys(ci_refs)]
        if len(self.events) + len(self.cis) >= FLUSH_AT:
            self.flush(conn)

    def flush(self, conn: Connection) -> None:
        """Write the rows held so far (before any read of this unit of work)."""
        if self.events:
            conn.execute(insert(events), self.events)
            self.events = []
        if self.cis:
            conn.execute(insert(cis), self.cis)
            self.cis = []
        self.facts.flush(conn)

    def finish(self, conn: Connection) -> None:
        """Write what is held and move the tenants' counters on (just before the commit)."""
        self.flush(conn)
        for tenant, last in self.last.items():
            store_counter(conn, tenant, last)
        self.clear()

    def clear(self) -> None:
        """Forget everything held (the unit of work rolled back or ended)."""
        self.last.clear()
        self.events = []
        self.cis = []
        self.facts.clear()


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
