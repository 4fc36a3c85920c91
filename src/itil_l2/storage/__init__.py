"""Storage adapters: in memory, and SQLite (the embedded default).

The ports they implement (`Store`, `UnitOfWork`, the repositories, `Query`)
are in `itil_l2` itself; this package is imported only by hosts that store
something, so `import itil_l2` never loads `sqlite3`. The SQLAlchemy adapter
(PostgreSQL) is `itil_l2.storage.sqlalchemy`, behind the extra `sql`.

>>> from itil_l2.storage import MemoryStore, SqliteStore
>>> MemoryStore().unit_of_work(tenant="acme").tenant
'acme'
"""

from __future__ import annotations

from .._store_memory import MemoryBackend, MemorySession, MemoryStore
from .._store_sqlite import SqliteBackend, SqliteSession, SqliteStore

__all__ = [
    "MemoryBackend",
    "MemorySession",
    "MemoryStore",
    "SqliteBackend",
    "SqliteSession",
    "SqliteStore",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
