"""Events of units of work joined to a host's transaction, held until that transaction commits.

A unit of work joined to a host's `Session` or `Connection` commits into a
SAVEPOINT: its rows become durable only when the host's own transaction
commits, so its events must wait for that commit, and vanish if any enclosing
transaction rolls back. One `HeldEvents` per host object (created on first
use, listening once, however many stores or bindings use that object, and
gone with it) holds the events of every store joined to it:

* with a `Session`, each batch waits in the innermost `SessionTransaction`
  open when its unit of work committed (the root, or a SAVEPOINT the host
  opened with `begin_nested()`); when a SAVEPOINT is released its batches move
  to its parent, when any transaction rolls back (or closes without a commit)
  its batches are dropped, and when the root commits they are delivered.
* with a `Connection`, the same with its `Transaction`s (the
  `release_savepoint` and `rollback_savepoint` events fire while the ending
  SAVEPOINT is still the innermost); the batches are delivered by the
  connection's `commit` event, which fires as the commit begins (Core has no
  event after it).

Delivery is in commit order, each batch to the `on_commit` of the store that
wrote it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Transaction, event
from sqlalchemy.orm import Session, SessionTransaction

__all__ = ["HeldEvents", "held_events"]

OnCommit = Callable[[tuple[Any, ...]], None]
Held = list[tuple[OnCommit, tuple[Any, ...]]]

_HELD: weakref.WeakKeyDictionary[Session | Connection, HeldEvents] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def held_events(host: Session | Connection) -> HeldEvents:
    """The held events of `host`, made (and its listeners registered) on first use."""
    with _LOCK:
        found = _HELD.get(host)
        if found is None:
            found = _SessionHeld(host) if isinstance(host, Session) else _ConnectionHeld(host)
            _HELD[host] = found
        return found


class HeldEvents:
    """Batches of events waiting for the host's transaction to commit."""

    def holder(self, on_commit: OnCommit) -> OnCommit:
        """An `on_commit` for a store joined to the host: it queues, the host's commit delivers."""

        def hold(batch: tuple[Any, ...]) -> None:
            self._hold(on_commit, batch)

        return hold

    def _hold(self, on_commit: OnCommit, batch: tuple[Any, ...]) -> None:
        raise NotImplementedError

    @staticmethod
    def _deliver(held: Held) -> None:
        for on_commit, batch in held:
            on_commit(batch)


class _SessionHeld(HeldEvents):
    def __init__(self, session: Session) -> None:
        self._session = weakref.ref(session)
        self._held: dict[SessionTransaction, Held] = {}
        self._committed: bool | None = None
        event.listen(session, "after_commit", self._after_commit)
        event.listen(session, "after_rollback", self._after_rollback)
        event.listen(session, "after_transaction_end", self._after_end)

    def _hold(self, on_commit: OnCommit, batch: tuple[Any, ...]) -> None:
        session = self._session()
        current = None if session is None else _innermost(session)
        if current is None:  # no transaction: nothing the batch could wait for
            on_commit(batch)
            return
        self._held.setdefault(current, []).append((on_commit, batch))

    def _after_commit(self, _session: Session) -> None:
        self._committed = True  # the transaction about to end (root or SAVEPOINT) committed

    def _after_rollback(self, _session: Session) -> None:
        self._committed = False

    def _after_end(self, _session: Session, transaction: SessionTransaction) -> None:
        committed, self._committed = self._committed, None
        held = self._held.pop(transaction, None)
        if not held or not committed:
            return  # rolled back, or closed without a commit: the rows are gone
        parent = transaction.parent
        if parent is None:
            self._deliver(held)
        else:
            self._held.setdefault(parent, []).extend(held)


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


class _ConnectionHeld(HeldEvents):
    def __init__(self, connection: Connection) -> None:
        self._connection = weakref.ref(connection)
        self._held: dict[Transaction, Held] = {}
        self._released: Held = []  # of a SAVEPOINT just released: its parent's from now on
        event.listen(connection, "savepoint", self._settle)
        event.listen(connection, "release_savepoint", self._release)
        event.listen(connection, "rollback_savepoint", self._rollback_to)
        event.listen(connection, "commit", self._commit)
        event.listen(connection, "rollback", self._rollback)

    def _current(self) -> Transaction | None:
        conn = self._connection()
        return None if conn is None else conn.get_nested_transaction() or conn.get_transaction()

    def _settle(self, *_args: Any) -> None:
        """Give the batches of a released SAVEPOINT to the transaction now innermost."""
        if self._released:
            current = self._current()
            if current is not None:
                self._held.setdefault(current, []).extend(self._released)
            self._released = []

    def _hold(self, on_commit: OnCommit, batch: tuple[Any, ...]) -> None:
        self._settle()
        current = self._current()
        if current is None:
            on_commit(batch)
            return
        self._held.setdefault(current, []).append((on_commit, batch))

    def _release(self, conn: Connection, _name: str, _context: Any) -> None:
        self._settle()
        ending = conn.get_nested_transaction()  # the events fire before it is closed
        if ending is not None:
            self._released = self._held.pop(ending, [])

    def _rollback_to(self, conn: Connection, _name: str, _context: Any) -> None:
        self._settle()
        ending = conn.get_nested_transaction()
        if ending is not None:
            self._held.pop(ending, None)

    def _commit(self, _conn: Connection) -> None:
        self._settle()
        held = [item for batches in self._held.values() for item in batches]
        self._held = {}
        self._deliver(held)

    def _rollback(self, _conn: Connection) -> None:
        self._held, self._released = {}, []
