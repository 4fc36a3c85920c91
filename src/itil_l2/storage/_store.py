"""`Store`: repositories and units of work over any `StorageBackend`.

Everything that must behave the same in every adapter lives here, once:
encoding and decoding (with upcasters), the checks that a loaded head matches
its events, the version bookkeeping of optimistic concurrency, tenant binding
(an entity remembers the tenant it was loaded or added in, and no other
tenant's unit of work saves it), rollback of the entities' own bookkeeping,
and the outbox (events handed to the host only after commit). Adapters supply
rows; they cannot get these rules wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, Self, TypeVar

from itil_l2._core.checks import check_identifier
from itil_l2._core.entity import Entity
from itil_l2._core.pause import collection_paused
from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.changes import ChangeRequest
from itil_l2.cmdb import ConfigurationItem
from itil_l2.errors import NotFound, StorageError, TenantMismatch, ValidationError
from itil_l2.knowledge import KnowledgeArticle
from itil_l2.problems import Problem
from itil_l2.storage._event_cache import cache_size, cached_decoder, decoder
from itil_l2.storage._kinds import KINDS, AggregateKind, EventDecoder
from itil_l2.storage._listing import Order, Page, list_page
from itil_l2.storage._outbox import Notification, notifications
from itil_l2.storage._query import Query, attribute_name, checked_query
from itil_l2.storage._settings import ConfigTexts
from itil_l2.storage._store_configs import ConfigChecks, config_class
from itil_l2.storage.ports import StorageBackend, StorageSession
from itil_l2.tickets import Ticket
from itil_l2.views import view_of

__all__ = ["Store", "StoreUnitOfWork"]

T = TypeVar("T")
OnCommit = Callable[[tuple[Any, ...]], None]


class Store:
    """The entry point to storage: `store.unit_of_work(tenant=...)`.

    `configs` gives the workflow configuration each entity class is replayed
    with (e.g. `{Ticket: WorkflowConfig(...)}`: custom hold reasons or
    resolution codes must be known on load). The config an entity kind was
    first written with is stored with the data (by adapters that can, which
    the library's all do): a store given no config for a kind reads with the
    stored one, and one given a config that differs from it gets
    `ConfigMismatch`, as does a write of an entity made with another config.
    `replace_configs=True` is the override: the store's own configs are used
    as given, and each kind's stored config is replaced by the one its next
    write was made with (every stored entity must replay under it).
    `on_commit` receives every committed unit of work's events, in order,
    after the commit. `indexed_attributes` names the host attributes (of
    tickets and CIs) that queries may filter on; the SQL stores index them.
    `event_cache` events (a whole number, 0 for none) stay decoded (keyed by
    their whole text, which an event never changes), so loading a ticket read
    before decodes nothing again; a `find()` caches at most that many of its
    events: a longer scan would only evict its own (and the gets') unread.
    Adding a step to `upcasters` clears it. A loaded event is shared by every load of
    its text, so its dicts and lists are read-only: no host changes what another load replays.

    >>> from datetime import datetime, timezone
    >>> from itil_l2.storage import MemoryStore
    >>> from itil_l2.testing import example_ticket
    >>> store = MemoryStore()
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.add(example_ticket())
    ...     uow.commit()
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.get("INC-EXAMPLE").phase.value
    'in_progress'
    """

    def __init__(
        self,
        backend: StorageBackend,
        *,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
        event_cache: int = 16_384,
        replace_configs: bool = False,
        indexed_attributes: Sequence[str] = (),
    ) -> None:
        self.backend = backend
        if isinstance(indexed_attributes, str):
            raise ValidationError("indexed_attributes is a sequence of names, not one string")
        self.indexed_attributes = tuple(attribute_name(n) for n in indexed_attributes)
        index = getattr(backend, "index_attributes", None)
        if index is not None and self.indexed_attributes:
            index(self.indexed_attributes)
        self.configs = dict(configs or {})
        self.replace_configs = replace_configs
        self._config_texts = ConfigTexts()
        self._stored_configs: dict[str, str] = {}  # kind -> stored config text seen committed
        self.upcasters = upcasters
        self.on_commit = on_commit
        self._decoded: EventDecoder = decoder(upcasters)
        self._room = cache_size(event_cache)  # `find` caches at most this many events of a scan
        self._event = cached_decoder(self._decoded, event_cache, upcasters)

    def unit_of_work(self, tenant: str | None = None) -> StoreUnitOfWork:
        """A new unit of work; every read and write in it is confined to `tenant`.

        A tenant is None or an identifier (see `itil_l2.MAX_ID_LENGTH`).
        """
        return StoreUnitOfWork(self, _checked_tenant(tenant))

    def events_since(
        self, position: int = 0, *, limit: int = 1000, tenant: str | None = None
    ) -> list[Notification]:
        """Committed events of `tenant` after `position`, oldest first, at most `limit`.

        Each `Notification` carries its position: a notifier stores the last
        one it handled and resumes from there after a crash (at-least-once:
        a crash after handling but before storing the position repeats those).

        >>> from itil_l2.storage import MemoryStore
        >>> from itil_l2.testing import example_ticket
        >>> store = MemoryStore()
        >>> with store.unit_of_work() as uow:
        ...     uow.tickets.add(example_ticket())
        ...     uow.commit()
        >>> [(n.position, n.event.kind) for n in store.events_since(1)]
        [(2, 'assign'), (3, 'start')]
        """
        return notifications(self, position, limit, _checked_tenant(tenant))

    def stored_config(self, cls: type[Any]) -> Any:
        """The config stored for entity class `cls` (policies: the class's defaults), or None.

        None when no entity of the kind was written yet, or the adapter (or a
        file of an earlier version) stores no config.

        >>> from itil_l2 import Ticket, WorkflowConfig
        >>> from itil_l2.storage import MemoryStore
        >>> from itil_l2.testing import example_ticket
        >>> store = MemoryStore()
        >>> store.stored_config(Ticket) is None
        True
        >>> with store.unit_of_work() as uow:
        ...     uow.tickets.add(example_ticket())  # made with the default config
        ...     uow.commit()
        >>> store.stored_config(Ticket) == WorkflowConfig()
        True
        """
        kind = next((k for k in KINDS.values() if k.cls is cls and k.is_entity), None)
        if kind is None:
            raise ValidationError(f"{cls!r} is not a stored entity class")
        with self.unit_of_work() as uow:
            text = uow._stored_text(kind)
        if text is None:
            return None
        return self._config_texts.decoded(config_class(kind), kind.name, text)[0]

    def fill_views(self) -> int:
        """Store the view of every stored entity whose row has none; how many were filled.

        For rows written before views were stored (a SQLite file is filled on
        its first writable opening; a SQLAlchemy database after the migration
        that adds the view columns). Each such entity is loaded, checked and
        replayed as `get` does, in one transaction per kind and tenant.
        Needs an adapter with `unviewed()` and `set_view()` (SQLite, SQLAlchemy).
        """
        from itil_l2.storage._fill import fill_views

        return fill_views(self)

    def rebuild_facts(self) -> int:
        """Recompute every stored ticket's KPI facts by replay; how many (see `stored_facts`)."""
        from itil_l2.storage._facts import rebuild_facts

        return rebuild_facts(self)

    def close(self) -> None:
        """Release the backend's resources (connections), if it holds any."""
        close = getattr(self.backend, "close", None)
        if close is not None:
            close()


class _Repo(Generic[T]):
    """One aggregate kind's repository inside one unit of work."""

    def __init__(self, uow: StoreUnitOfWork, kind: AggregateKind[T]) -> None:
        self._uow = uow
        self._kind = kind

    def add(self, item: T) -> None:
        kind = self._kind
        if not isinstance(item, kind.cls):
            raise ValidationError(f"expected a {kind.cls.__name__}, got {type(item).__name__}")
        if isinstance(item, Entity):
            if item._persisted:
                raise ValidationError(f"{item.id} is already stored; use save()")
            self._uow._claim(kind, item)
            events: Sequence[Any] = item.history
        else:
            events = ()
        head, rows = kind.encode(item, events)
        self._uow._session().insert(kind.name, self._uow._key, head, rows)
        if isinstance(item, Entity):
            self._uow._written(item, 0, events)

    def get(self, id: str) -> T:
        if not isinstance(id, str):
            raise ValidationError(f"id must be a string, got {id!r}")
        with collection_paused():
            stream = self._uow._session().load(self._kind.name, self._uow._key, id)
            if stream is None:
                raise NotFound(self._kind.name, id, self._uow.tenant)
            return self._decode(stream)

    def save(self, entity: T) -> None:
        kind = self._kind
        if not kind.is_entity:
            raise StorageError(f"a {kind.name} is a frozen record: add it, it is never saved")
        if not isinstance(entity, kind.cls) or not isinstance(entity, Entity):
            raise ValidationError(f"expected a {kind.cls.__name__}, got {type(entity).__name__}")
        if entity._tenant is not None and entity._tenant != self._uow._key:
            raise TenantMismatch(
                f"{kind.name} {entity.id!r} was loaded or added in {_tenant(entity._tenant)};"
                f" this unit of work is for {_tenant(self._uow._key)}: it is not saved there"
            )
        pending = entity.pending_events()
        if not pending:
            return
        expected = entity._persisted
        self._uow._claim(kind, entity)
        head, rows = kind.encode(entity, pending)
        self._uow._session().append(kind.name, self._uow._key, head, expected, rows)
        self._uow._written(entity, expected, pending)

    def find(self, query: Query | None = None, *, batch_size: int = 500) -> Iterator[T]:
        query = self._checked(query)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(f"batch_size must be a positive int, got {batch_size!r}")
        after: str | None = None
        store, room = self._uow._store, self._uow._store._room
        while True:
            batch = self._uow._session().select(
                self._kind.name, self._uow._key, query, after, batch_size
            )
            room -= sum(len(stream.events) for stream in batch)  # a scan caches a cache-full:
            event = store._event if room >= 0 else store._decoded  # more would evict unread
            with collection_paused():  # one pause a batch, never across a yield
                items = [self._decode(stream, event) for stream in batch]
            yield from items
            if len(batch) < batch_size:
                return
            after = batch[-1].head.id

    def count(self, query: Query | None = None) -> int:
        return self._uow._session().count(self._kind.name, self._uow._key, self._checked(query))

    def list(
        self,
        query: Query | None = None,
        *,
        order_by: str = "id",
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Any]:
        kind = self._kind
        if not kind.is_entity:
            raise StorageError(f"a {kind.name} is a frozen record: it has no view to list")
        query = self._checked(query)
        order = Order.parse(order_by, kind.name)
        cut = None if cursor is None else order.cut(cursor)
        with collection_paused():
            return list_page(
                kind.name,
                self._uow._key,
                query,
                order,
                cut,
                limit,
                self._uow._session(),
                lambda stream: view_of(self._decode(stream)),
            )

    def _checked(self, query: Query | None) -> Query:
        query = checked_query(query)
        query.check_kind(self._kind.name)
        declared = self._uow._store.indexed_attributes
        unknown = sorted(n for n, _ in query.attributes or () if n not in declared)
        if unknown:
            raise ValidationError(
                f"attribute {', '.join(map(repr, unknown))} is not indexed; this store"
                f" indexes {', '.join(map(repr, declared)) or 'none'} (indexed_attributes=)"
            )
        return query

    def _decode(self, stream: Any, event: EventDecoder | None = None) -> T:
        store = self._uow._store
        config = self._uow._config(self._kind) if self._kind.is_entity else None
        item = self._kind.decode(stream, store.upcasters, config, event or store._event)
        if isinstance(item, Entity):
            item._stored_in(self._uow._key)
        return item


def _checked_tenant(tenant: str | None) -> str | None:
    """None, or a tenant that is an identifier (see `itil_l2.MAX_ID_LENGTH`)."""
    if tenant is not None:
        check_identifier(tenant, "tenant")
    return tenant


def _tenant(key: str) -> str:
    return f"tenant {key!r}" if key else "no tenant"


class StoreUnitOfWork(ConfigChecks):
    """The library's `UnitOfWork`: one adapter session, one tenant, one outbox."""

    def __init__(self, store: Store, tenant: str | None) -> None:
        self._store = store
        self.tenant = tenant
        self._key = tenant or ""
        self._open: StorageSession | None = None
        self._saved: list[tuple[Entity[Any], int, str | None]] = []
        self._pending: list[Any] = []
        self._events: tuple[Any, ...] = ()
        self._done = False
        self._configs: dict[str, Any] = {}  # kind -> the config it is read with here
        self._claimed: dict[str, str] = {}  # kind -> the config its writes here were checked by
        self._held: set[str] = set()  # the kinds of those the adapter stored (or found stored)
        self.tickets: _Repo[Ticket] = _Repo(self, KINDS["ticket"])
        self.problems: _Repo[Problem] = _Repo(self, KINDS["problem"])
        self.changes: _Repo[ChangeRequest] = _Repo(self, KINDS["change"])
        self.articles: _Repo[KnowledgeArticle] = _Repo(self, KINDS["article"])
        self.configuration_items: _Repo[ConfigurationItem] = _Repo(self, KINDS["ci"])
        self.known_errors = _Repo(self, KINDS["known_error"])
        self.training_sessions = _Repo(self, KINDS["training"])

    @property
    def events(self) -> tuple[Any, ...]:
        """The committed events of this unit of work, oldest first (empty before commit)."""
        return self._events

    def _session(self) -> StorageSession:
        if self._done:
            raise StorageError("this unit of work has ended; start a new one")
        if self._open is None:
            self._open = self._store.backend.session()
        return self._open

    def _written(self, entity: Entity[Any], expected: int, events: Sequence[Any]) -> None:
        """Record a write: `entity` now has `events` stored after the first `expected`."""
        self._saved.append((entity, expected, entity._tenant))
        self._pending.extend(events)
        entity._stored_in(self._key, expected + len(events))

    def commit(self) -> None:
        """Make every write durable at once, then hand the events to `on_commit`."""
        session = self._session()
        try:
            session.commit()
        except BaseException:
            self._abandon()
            raise
        self._events = tuple(self._pending)
        if self._held and not getattr(self._store.backend, "joined", False):
            self._store._stored_configs.update({k: self._claimed[k] for k in self._held})
        self._finish()
        if self._events and self._store.on_commit is not None:
            self._store.on_commit(self._events)

    def rollback(self) -> None:
        """Discard every write; saved entities again report their events as pending."""
        if not self._done:
            self._abandon()

    def _abandon(self) -> None:
        try:
            if self._open is not None:
                self._open.rollback()
        finally:
            for entity, expected, tenant in reversed(self._saved):
                entity._stored_in(tenant, expected)  # added and rolled back: not stored again
            self._finish()

    def _finish(self) -> None:
        self._saved.clear()
        self._pending.clear()
        self._done = True
        if self._open is not None:
            self._open.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
