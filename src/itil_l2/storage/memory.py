"""The in-memory adapter: the same semantics as the databases, for tests and tiny tools.

It stores the same rows a database would (encoded JSON events), so a test
against `MemoryStore` exercises encoding, upcasting and replay exactly as
SQLite does. Like SQLite, one unit of work writes at a time: the first write
takes the store's write lock until commit or rollback, writes go to a private
overlay that readers in other units of work never see, and commit publishes
the overlay at once. Version checks happen under the lock, so a stale save
raises `ConcurrencyError` as it would in a database. Commit also numbers the
written event rows in each tenant's notification log, in the order written.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_right, insort
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, StorageError
from itil_l2.storage._facts import TicketFacts
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.storage._store import OnCommit, Store

__all__ = ["MemoryBackend", "MemoryStore"]

_Table = tuple[str, str]  # (kind, tenant)


class MemoryBackend:
    """Rows in dictionaries, one write transaction at a time."""

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._rows: dict[_Table, dict[str, Stream]] = {}
        self._ids: dict[_Table, list[str]] = {}
        self._log: dict[str, list[Notice]] = {}  # tenant -> notices, position = index + 1
        self._configs: dict[str, str] = {}  # kind -> the config text stored with the data
        self._read = threading.Lock()
        self._write = threading.Lock()

    def session(self) -> MemorySession:
        """A new session (one per unit of work)."""
        return MemorySession(self)

    def _committed(self, table: _Table, id: str) -> Stream | None:
        with self._read:
            return self._rows.get(table, {}).get(id)

    def _config(self, kind: str) -> str | None:
        with self._read:
            return self._configs.get(kind)

    def _publish(
        self,
        overlay: Mapping[tuple[_Table, str], Stream],
        written: Sequence[tuple[_Table, str, Sequence[EventRow]]],
        configs: Mapping[str, str],
    ) -> None:
        with self._read:
            self._configs.update(configs)
            for (table, id), stream in overlay.items():
                rows = self._rows.setdefault(table, {})
                if id not in rows:
                    insort(self._ids.setdefault(table, []), id)
                rows[id] = stream
            for (kind, tenant), id, events in written:
                log = self._log.setdefault(tenant, [])
                base = len(log)
                log.extend(Notice(base + n, kind, id, row) for n, row in enumerate(events, 1))

    def _notices(self, tenant: str, after: int, limit: int) -> list[Notice]:
        with self._read:
            return self._log.get(tenant, [])[max(after, 0) : max(after, 0) + limit]

    def _ids_after(self, table: _Table, after: str | None) -> list[str]:
        with self._read:
            ids = self._ids.get(table, [])
            return ids[bisect_right(ids, after) :] if after is not None else list(ids)


class MemorySession:
    """One unit of work's view: committed rows plus its own uncommitted overlay."""

    def __init__(self, backend: MemoryBackend) -> None:
        self._backend = backend
        self._overlay: dict[tuple[_Table, str], Stream] = {}
        self._written: list[tuple[_Table, str, Sequence[EventRow]]] = []
        self._configs: dict[str, str] = {}
        self._locked = False

    def _lock(self) -> None:
        if not self._locked:
            if not self._backend._write.acquire(timeout=self._backend.timeout):
                raise StorageError("another unit of work has been writing for too long")
            self._locked = True

    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            self._backend._write.release()

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        staged = self._overlay.get(((kind, tenant), id))
        return staged if staged is not None else self._backend._committed((kind, tenant), id)

    def insert(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        self._lock()
        if self.load(kind, tenant, head.id) is not None:
            raise AlreadyExists(f"{kind} {head.id!r} is already stored")
        if head.facts is not None:
            head.facts.row  # noqa: B018 (computed now: the ticket may change before commit)
        self._overlay[((kind, tenant), head.id)] = Stream(head, tuple(events))
        self._written.append(((kind, tenant), head.id, tuple(events)))

    def append(
        self, kind: str, tenant: str, head: Head, expected: int, events: Sequence[EventRow]
    ) -> None:
        self._lock()
        stored = self.load(kind, tenant, head.id)
        if stored is None:
            raise NotFound(kind, head.id, tenant or None)
        if stored.head.version != expected:
            raise ConcurrencyError(
                f"{kind} {head.id!r} is at version {stored.head.version}, "
                f"this copy was loaded at {expected}"
            )
        if head.facts is not None:
            head.facts.row  # noqa: B018 (computed now: the ticket may change before commit)
        self._overlay[((kind, tenant), head.id)] = Stream(head, stored.events + tuple(events))
        self._written.append(((kind, tenant), head.id, tuple(events)))

    def load_config(self, kind: str) -> str | None:
        staged = self._configs.get(kind)
        return staged if staged is not None else self._backend._config(kind)

    def claim_config(self, kind: str, text: str, replace: bool) -> str:
        self._lock()  # under the write lock: a second first writer finds the first one's
        stored = self.load_config(kind)
        if stored is None or replace:
            self._configs[kind] = stored = text
        return stored

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        found: list[Stream] = []
        for id in self._ids((kind, tenant), after):
            stream = self.load(kind, tenant, id)
            if stream is not None and query.matches(stream.head):
                found.append(stream)
                if len(found) == limit:
                    break
        return found

    def _ids(self, table: _Table, after: str | None) -> Iterator[str]:
        staged = sorted(
            id
            for (t, id) in self._overlay
            if t == table
            and (after is None or id > after)
            and self._backend._committed(table, id) is None
        )
        return heapq.merge(self._backend._ids_after(table, after), staged)

    def count(self, kind: str, tenant: str, query: Query) -> int:
        return sum(1 for _ in self.select(kind, tenant, query, None, 2**62))

    def facts(
        self, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[tuple[str, tuple[Any, ...] | None]]:
        """(id, stored facts row or None) of the matching tickets (`stored_facts`)."""
        return [
            (s.head.id, None if s.head.facts is None else s.head.facts.row)
            for s in self.select("ticket", tenant, query, after, limit)
        ]

    def put_facts(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace stored tickets' facts rows (`Store.rebuild_facts`)."""
        self._lock()
        for row in rows:
            stored = self.load("ticket", tenant, row[0])
            if stored is not None:
                head = attrs.evolve(stored.head, facts=TicketFacts(row=tuple(row)))
                self._overlay[(("ticket", tenant), row[0])] = Stream(head, stored.events)

    def ticket_tenants(self) -> list[str]:
        """The tenants with stored tickets."""
        with self._backend._read:
            tenants = {t for (k, t), rows in self._backend._rows.items() if k == "ticket" and rows}
        return sorted(tenants | {t for ((k, t), _) in self._overlay if k == "ticket"})

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        return self._backend._notices(tenant, after, limit)

    def commit(self) -> None:
        if self._overlay or self._configs:
            self._backend._publish(self._overlay, self._written, self._configs)
        self.rollback()

    def rollback(self) -> None:
        self._overlay = {}
        self._written = []
        self._configs = {}
        self._unlock()

    def close(self) -> None:
        self.rollback()


class MemoryStore(Store):
    """A `Store` kept in this process's memory (lost when it ends).

    >>> from itil_l2 import NotFound
    >>> from itil_l2.storage import MemoryStore
    >>> with MemoryStore().unit_of_work(tenant="acme") as uow:
    ...     try:
    ...         uow.tickets.get("INC-404")
    ...     except NotFound as error:
    ...         print(error)
    no ticket 'INC-404' in tenant 'acme'
    """

    def __init__(
        self,
        *,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
        timeout: float = 30.0,
        replace_configs: bool = False,
        indexed_attributes: Sequence[str] = (),
        event_cache: int = 16_384,
    ) -> None:
        backend = MemoryBackend(timeout=timeout)
        super().__init__(
            backend,
            configs=configs,
            upcasters=upcasters,
            on_commit=on_commit,
            replace_configs=replace_configs,
            indexed_attributes=indexed_attributes,
            event_cache=event_cache,
        )
