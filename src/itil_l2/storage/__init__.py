"""Storage: the ports, the store and its unit of work, queries, the codec and the adapters.

Adapters are public modules, one per backend: `itil_l2.storage.memory`,
`itil_l2.storage.sqlite` (the embedded default) and `itil_l2.storage.sqlalchemy`
(PostgreSQL and anything SQLAlchemy speaks, behind the extra `sql`). The
ports a host implements are in `itil_l2.storage.ports`. The SQLite adapter
is loaded on first use, so `import itil_l2` never loads `sqlite3`.

>>> from itil_l2.storage import MemoryStore, SqliteStore
>>> MemoryStore().unit_of_work(tenant="acme").tenant
'acme'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from itil_l2._core.public import expose
from itil_l2._core.serialization import (
    UPCASTERS,
    Upcaster,
    Upcasters,
    converter,
    entity_from_json,
    entity_to_json,
)
from itil_l2.storage._facts import stored_facts
from itil_l2.storage._kinds import KINDS, AggregateKind
from itil_l2.storage._listing import ORDER_KEYS, Order, Page
from itil_l2.storage._outbox import MAX_NOTIFICATIONS, Notification
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.storage._store import Store, StoreUnitOfWork
from itil_l2.storage.memory import MemoryBackend, MemorySession, MemoryStore
from itil_l2.storage.ports import (
    ArticleRepository,
    ChangeRepository,
    ConfigurationItemRepository,
    KnownErrorRepository,
    ProblemRepository,
    RecordRepository,
    Repository,
    StorageBackend,
    StorageSession,
    TicketRepository,
    TrainingRepository,
    UnitOfWork,
)

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import SqliteBackend, SqliteSession, SqliteStore

__all__ = [
    "KINDS",
    "UPCASTERS",
    "AggregateKind",
    "ArticleRepository",
    "ChangeRepository",
    "ConfigurationItemRepository",
    "EventRow",
    "Head",
    "KnownErrorRepository",
    "MAX_NOTIFICATIONS",
    "MemoryBackend",
    "MemorySession",
    "MemoryStore",
    "Notice",
    "ORDER_KEYS",
    "Order",
    "Page",
    "Notification",
    "ProblemRepository",
    "Query",
    "RecordRepository",
    "Repository",
    "SqliteBackend",
    "SqliteSession",
    "SqliteStore",
    "StorageBackend",
    "StorageSession",
    "Store",
    "StoreUnitOfWork",
    "Stream",
    "TicketRepository",
    "TrainingRepository",
    "UnitOfWork",
    "Upcaster",
    "Upcasters",
    "converter",
    "entity_from_json",
    "entity_to_json",
    "stored_facts",
]

_LAZY = {"SqliteBackend", "SqliteSession", "SqliteStore"}


def __getattr__(name: str) -> Any:
    """Load the SQLite adapter (and `sqlite3`) only when a host asks for it."""
    if name in _LAZY:
        value = getattr(importlib.import_module("itil_l2.storage.sqlite"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


expose(__name__, globals(), [n for n in __all__ if n not in _LAZY], source="itil_l2.")
