"""The storage ports: what the library asks of storage, as `typing.Protocol`s.

Two levels, so a host can plug in at the one that suits it:

* `Repository` / `UnitOfWork` — what application code uses: `get`, `add`,
  `save`, `find`, `count` per aggregate, inside a unit of work that commits
  or rolls back as a whole and hands the saved entities' events to the host
  only after a successful commit.
* `StorageBackend` / `StorageSession` — what an adapter implements: a few
  row operations (`load`, `insert`, `append`, `select`, `count`,
  `events_since`, `commit`, `rollback`, `close`) over two row shapes (`Head`,
  `EventRow`) and the notification log's `Notice`. The library's
  `Store` builds the repositories and the unit of work on top, so an adapter
  over a host's own tables (Django models, plain SQL) is small and passes the
  same contract suite (`itil_l2.testing.StoreContract`) as the built-in ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

from itil_l2.changes import ChangeRequest
from itil_l2.cmdb import ConfigurationItem
from itil_l2.knowledge import KnowledgeArticle, TrainingSession
from itil_l2.problems import KnownError, Problem
from itil_l2.storage._listing import Page
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.tickets import Ticket

__all__ = [
    "ArticleRepository",
    "ChangeRepository",
    "ConfigurationItemRepository",
    "KnownErrorRepository",
    "ProblemRepository",
    "RecordRepository",
    "Repository",
    "StorageBackend",
    "StorageSession",
    "TicketRepository",
    "TrainingRepository",
    "UnitOfWork",
]

T = TypeVar("T")


class RecordRepository(Protocol[T]):
    """Add, get and query one kind of aggregate, within one unit of work and one tenant."""

    def add(self, item: T) -> None:
        """Store a new aggregate with its whole history; `AlreadyExists` if its id is taken."""
        ...

    def get(self, id: str) -> T:
        """The stored aggregate, rebuilt from its history; `NotFound` if there is none.

        `CorruptHistory` if the stored rows do not hold together: the head's
        version does not count the events, an event does not decode or replay,
        or the head's facts are not the replayed aggregate's.
        """
        ...

    def find(self, query: Query | None = None, *, batch_size: int = 500) -> Iterator[T]:
        """Matching aggregates in id order, fetched `batch_size` at a time (never all at once).

        Each one is checked as `get` checks it, so an aggregate whose head row
        was edited to match the query (`state="closed"` on a ticket that
        replays as queued) raises `CorruptHistory`: a tampered row is an
        error, never returned and never skipped silently.
        """
        ...

    def count(self, query: Query | None = None) -> int:
        """How many stored aggregates match (counted on the head rows, nothing replayed)."""
        ...


class Repository(RecordRepository[T], Protocol[T]):
    """A repository of an event-sourced entity: also `save` and `list`."""

    def list(
        self,
        query: Query | None = None,
        *,
        order_by: str = "id",
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Any]:
        """One page of matching entities' views (`itil_l2.views`), read without replay.

        `order_by` is `id`, `opened_at`, `updated_at` or (tickets, problems)
        `priority`, with a leading `-` for descending; ties go by id. `limit`
        is 1 to 1,000. Pass the page's `next_cursor` as `cursor` for the next
        page (keyset paging: no offset, no item skipped or repeated). The
        views are the ones the store kept beside the events in the same
        transaction; `get` checks a stored view against the replayed entity.
        """
        ...

    def save(self, entity: T) -> None:
        """Append the entity's new events if the stored version is the one it was loaded with.

        Otherwise `ConcurrencyError` and nothing is written; `NotFound` if it
        was never added. An entity without new events is not written. An
        entity loaded or added in another tenant is refused (`TenantMismatch`)
        and nothing is written.
        """
        ...


class TicketRepository(Repository[Ticket], Protocol):
    """Tickets (incidents and service requests)."""


class ProblemRepository(Repository[Problem], Protocol):
    """Problems, with their RCA records in their histories."""


class ChangeRepository(Repository[ChangeRequest], Protocol):
    """Requests for change."""


class ArticleRepository(Repository[KnowledgeArticle], Protocol):
    """Knowledge articles."""


class ConfigurationItemRepository(Repository[ConfigurationItem], Protocol):
    """Configuration items with their relations (a query's `ci` finds the CIs related to one)."""


class KnownErrorRepository(RecordRepository[KnownError], Protocol):
    """The known error database (frozen records)."""


class TrainingRepository(RecordRepository[TrainingSession], Protocol):
    """L1 training sessions (frozen records)."""


class UnitOfWork(Protocol):
    """One transaction over every repository, bound to one tenant.

    Use it as a context manager and call `commit()`; leaving the block
    without a commit, or by an exception, rolls everything back.
    """

    tenant: str | None
    tickets: TicketRepository
    problems: ProblemRepository
    changes: ChangeRepository
    articles: ArticleRepository
    configuration_items: ConfigurationItemRepository
    known_errors: KnownErrorRepository
    training_sessions: TrainingRepository

    @property
    def events(self) -> tuple[Any, ...]:
        """The events this unit of work wrote; complete only after `commit()`."""
        ...

    def commit(self) -> None:
        """Make every write durable at once, then hand the events to the host."""
        ...

    def rollback(self) -> None:
        """Discard every write of this unit of work."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None: ...


class StorageSession(Protocol):
    """One adapter transaction. `kind` is the aggregate's key, `tenant` "" when none.

    Reads may run before the first write; the first `insert` or `append`
    starts the write transaction, and the version check of `append` must
    happen inside it (e.g. `UPDATE ... WHERE version = :expected`).
    """

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        """The stored head row (every indexed column) and events of one aggregate, or None.

        The head as stored, never one made up from the events: the store
        checks the two against each other. Read them as one consistent state
        (one statement, or one read transaction), so a concurrent commit
        cannot pair an old head with new events. No head row: None.
        """
        ...

    def insert(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        """Store a new aggregate; raise `AlreadyExists` if the id is taken."""
        ...

    def append(
        self, kind: str, tenant: str, head: Head, expected: int, events: Sequence[EventRow]
    ) -> None:
        """Replace the head and add events if the stored version is `expected`.

        Raise `ConcurrencyError` (stored version differs) or `NotFound` (no row).
        """
        ...

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> Sequence[Stream]:
        """Up to `limit` matching aggregates with id > `after`, in id order.

        Each with its stored head row and events, read as one state, as `load` does.
        """
        ...

    def count(self, kind: str, tenant: str, query: Query) -> int:
        """How many aggregates match."""
        ...

    # Optional, for fast lists: `list_views(kind, tenant, query, order, after, limit)`,
    # up to `limit` matching (id, order value, view JSON text or None) rows in `order`
    # (`Order`: key, descending; then id), strictly after the (value, id) pair `after`.
    # Without it, the store lists through `select`, in Python.

    def events_since(self, tenant: str, after: int, limit: int) -> Sequence[Notice]:
        """Up to `limit` committed event rows of `tenant` with position > `after`, in order.

        Positions number a tenant's event rows (of every kind, records too)
        1, 2, 3, ... in commit order, without gaps: `insert` and `append`
        assign them inside the write transaction, so a rolled-back write takes
        none, and a reader never sees position n + 1 before n is committed.
        """
        ...

    def commit(self) -> None:
        """Commit the write transaction (a no-op if nothing was written)."""
        ...

    def rollback(self) -> None:
        """Roll the write transaction back (a no-op if nothing was written)."""
        ...

    def close(self) -> None:
        """Release the session's resources."""
        ...


class StorageBackend(Protocol):
    """A place to store rows: hands out one `StorageSession` per unit of work."""

    def session(self) -> StorageSession:
        """A new session (one per unit of work, used by one thread)."""
        ...
