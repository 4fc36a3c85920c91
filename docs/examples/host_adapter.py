"""A host application's own storage adapter, over its own tables (Django-style names).

A helpdesk that already has a database keeps the library's rows in tables it
owns and migrates itself. The adapter implements the two row-level ports,
`StorageBackend` and `StorageSession`; `itil_l2.Store` adds everything else
(encoding, versions, tenants, rollback bookkeeping, the notification log's
decoding). This one uses
plain `sqlite3` and filters queries in Python with `Query.matches`, which is
fine for a small helpdesk; a bigger one turns the `Query` into a WHERE clause.
The head keeps every `Head` field, the entity's view too, so `list` returns
stored views without replay (the store lists through `select`, in Python).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from itil_l2 import AlreadyExists, ConcurrencyError, NotFound, Query
from itil_l2.storage import EventRow, Head, Notice, Stream

SCHEMA = """
CREATE TABLE IF NOT EXISTS helpdesk_itil_record (
    kind TEXT, tenant TEXT, ident TEXT, version INTEGER, head TEXT,
    PRIMARY KEY (kind, tenant, ident));
CREATE TABLE IF NOT EXISTS helpdesk_itil_event (
    kind TEXT, tenant TEXT, ident TEXT, version INTEGER, schema INTEGER, at TEXT,
    type TEXT, data TEXT, position INTEGER NOT NULL, PRIMARY KEY (kind, tenant, ident, version));
CREATE UNIQUE INDEX IF NOT EXISTS helpdesk_itil_log ON helpdesk_itil_event (tenant, position);
CREATE TABLE IF NOT EXISTS helpdesk_itil_config (kind TEXT PRIMARY KEY, config TEXT NOT NULL);
"""


def head_json(head: Head) -> str:
    """The head's facts as JSON (times as ISO text): the host's own choice of format."""
    fields = {
        "state": head.state,
        "tier": head.tier,
        "group": head.group,
        "priority": head.priority,
        "category": head.category,
        "ci_refs": list(head.ci_refs),
        # what a list shows without replay: the entity's view (JSON text) and its search keys
        "assignee": head.assignee,
        "caller": head.caller,
        "title_key": head.title_key,
        "view": head.view,
    }
    for name in ("opened_at", "resolved_at", "updated_at"):
        value = getattr(head, name)
        fields[name] = None if value is None else value.isoformat()
    return json.dumps(fields)


def head_from(ident: str, version: int, text: str) -> Head:
    """The `Head` back from `head_json` text."""
    data = json.loads(text)
    for name in ("opened_at", "resolved_at", "updated_at"):
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    data["ci_refs"] = tuple(data["ci_refs"])
    for name in ("assignee", "caller", "title_key", "view"):
        data.setdefault(name, None)  # rows written before views were stored
    return Head(id=ident, version=version, **data)


class HelpdeskSession:
    """One unit of work: reads in autocommit, one write transaction from the first write."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)

    def _write(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")

    def _events(self, kind: str, tenant: str, ident: str) -> tuple[EventRow, ...]:
        rows = self.db.execute(
            "SELECT version, schema, at, type, data FROM helpdesk_itil_event"
            " WHERE kind = ? AND tenant = ? AND ident = ? ORDER BY version",
            (kind, tenant, ident),
        )
        return tuple(EventRow(v, s, datetime.fromisoformat(a), t, d) for v, s, a, t, d in rows)

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        reading = not self.db.in_transaction
        if reading:  # head and events from one snapshot, never an old head with new events
            self.db.execute("BEGIN")
        try:
            row = self.db.execute(
                "SELECT version, head FROM helpdesk_itil_record"
                " WHERE kind = ? AND tenant = ? AND ident = ?",
                (kind, tenant, id),
            ).fetchone()
            if row is None:
                return None
            return Stream(head_from(id, row[0], row[1]), self._events(kind, tenant, id))
        finally:
            if reading:
                self.db.execute("COMMIT")

    def insert(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        self._write()
        try:
            self.db.execute(
                "INSERT INTO helpdesk_itil_record VALUES (?, ?, ?, ?, ?)",
                (kind, tenant, head.id, head.version, head_json(head)),
            )
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists(f"{kind} {head.id!r} exists") from exc
        self._add_events(kind, tenant, head.id, events)

    def append(
        self, kind: str, tenant: str, head: Head, expected: int, events: Sequence[EventRow]
    ) -> None:
        self._write()
        cursor = self.db.execute(
            "UPDATE helpdesk_itil_record SET version = ?, head = ?"
            " WHERE kind = ? AND tenant = ? AND ident = ? AND version = ?",
            (head.version, head_json(head), kind, tenant, head.id, expected),
        )
        if cursor.rowcount != 1:
            if self.load(kind, tenant, head.id) is None:
                raise NotFound(kind, head.id, tenant or None)
            raise ConcurrencyError(f"{kind} {head.id!r} changed since it was loaded")
        self._add_events(kind, tenant, head.id, events)

    def _add_events(self, kind: str, tenant: str, ident: str, events: Sequence[EventRow]) -> None:
        # Positions continue the tenant's log; the write lock (BEGIN IMMEDIATE) keeps them gap-free.
        (last,) = self.db.execute(
            "SELECT COALESCE(MAX(position), 0) FROM helpdesk_itil_event WHERE tenant = ?",
            (tenant,),
        ).fetchone()
        self.db.executemany(
            "INSERT INTO helpdesk_itil_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (kind, tenant, ident, e.version, e.schema, e.at.isoformat(), e.type, e.data, n)
                for n, e in enumerate(events, start=last + 1)
            ],
        )

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        rows = self.db.execute(
            "SELECT position, kind, ident, version, schema, at, type, data"
            " FROM helpdesk_itil_event WHERE tenant = ? AND position > ?"
            " ORDER BY position LIMIT ?",
            (tenant, after, limit),
        )
        return [
            Notice(p, k, i, EventRow(v, s, datetime.fromisoformat(a), t, d))
            for p, k, i, v, s, a, t, d in rows
        ]

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        found: list[Stream] = []
        rows = self.db.execute(
            "SELECT ident, version, head FROM helpdesk_itil_record"
            " WHERE kind = ? AND tenant = ? AND ident > ? ORDER BY ident",
            (kind, tenant, after or ""),
        )
        for ident, version, text in rows:
            head = head_from(ident, version, text)
            if query.matches(head):
                found.append(Stream(head, self._events(kind, tenant, ident)))
                if len(found) == limit:
                    break
        return found

    def count(self, kind: str, tenant: str, query: Query) -> int:
        return len(self.select(kind, tenant, query, None, 2**62))

    def load_config(self, kind: str) -> str | None:
        """The config text stored for `kind`'s entities (optional: the config travels)."""
        row = self.db.execute(
            "SELECT config FROM helpdesk_itil_config WHERE kind = ?", (kind,)
        ).fetchone()
        return None if row is None else str(row[0])

    def claim_config(self, kind: str, text: str, replace: bool) -> str:
        """Store `text` for `kind` unless one is stored (or `replace`); the one now stored."""
        self._write()  # under the write lock: a second first writer finds the first one's
        stored = self.load_config(kind)
        if stored is None or replace:
            self.db.execute(
                "INSERT OR REPLACE INTO helpdesk_itil_config (kind, config) VALUES (?, ?)",
                (kind, text),
            )
            stored = text
        return stored

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def close(self) -> None:
        self.rollback()
        self.db.close()


class HelpdeskBackend:
    """The host's backend: one new session (and connection) per unit of work."""

    def __init__(self, path: str) -> None:
        self.path = path
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)

    def session(self) -> HelpdeskSession:
        return HelpdeskSession(self.path)
