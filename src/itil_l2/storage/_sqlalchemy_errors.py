"""Driver errors of the SQLAlchemy adapter as the library's own errors.

A host catches `ConcurrencyError` (reload, re-apply, retry) and `StorageError`
(everything else storage refused); it never has to know a driver's exception
classes. A conflict with another transaction is a `ConcurrencyError`:

* SQLite `SQLITE_BUSY` / `SQLITE_LOCKED` and their extended codes ("database
  is locked"): another connection holds the write lock, or, in WAL mode, the
  transaction's snapshot is older than a commit it would overwrite
  (`SQLITE_BUSY_SNAPSHOT`);
* PostgreSQL `40001` (serialization failure), `40P01` (deadlock), `55P03`
  (lock not available);
* MySQL 1205 (lock wait timeout) and 1213 (deadlock).

Any other SQLAlchemy error is a `StorageError`. The original exception stays
chained (`__cause__`), with the driver's code and message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from itil_l2.errors import ConcurrencyError, StorageError

__all__ = ["is_conflict", "translated"]

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_POSTGRES_CONFLICTS = frozenset({"40001", "40P01", "55P03"})
_MYSQL_CONFLICTS = frozenset({1205, 1213})
_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_conflict(error: BaseException) -> bool:
    """Whether a driver error means another transaction got in the way (retrying may succeed)."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        return state in _POSTGRES_CONFLICTS
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return args[0] in _MYSQL_CONFLICTS
    text = str(orig).lower()
    return any(message in text for message in _SQLITE_MESSAGES)


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Raise SQLAlchemy's errors inside the block as `ConcurrencyError` or `StorageError`.

    `what` names the operation for the message ("save ticket 'INC-1'").
    """
    try:
        yield
    except DBAPIError as error:
        reason = _first_line(error.orig or error)
        if is_conflict(error):
            raise ConcurrencyError(
                f"cannot {what}: another transaction holds or changed the data ({reason});"
                " end this transaction, reload and retry"
            ) from error
        raise StorageError(f"cannot {what}: the database refused ({reason})") from error
    except SQLAlchemyError as error:
        raise StorageError(f"cannot {what}: {_first_line(error)}") from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
