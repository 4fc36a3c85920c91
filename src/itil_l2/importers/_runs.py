"""An import recorded in the database it fills: resumable, and never passing for complete.

`import_into(store, run, record=...)` (an `SqliteStore` and a run begun or
resumed through `store.imports`) comes here: every batch commits together
with the run's progress, the last one also marks the run complete, and a
resumed run (attempt 2 or later) skips the tickets already stored, so no
ticket is stored twice wherever the previous attempt stopped. An error marks
the run `failed` (best effort) and propagates; an interruption leaves it
`incomplete`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from itil_l2.errors import ValidationError
from itil_l2.problems import Problem
from itil_l2.storage import Store
from itil_l2.tickets import Ticket

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import ImportLog, ImportRecord

__all__ = ["store_recorded"]


def _log(store: Store) -> ImportLog:
    log: ImportLog | None = getattr(store, "imports", None)
    if log is None or getattr(store, "read_only", True):
        raise ValidationError("a recorded import needs a writable SqliteStore (store.imports)")
    return log


def store_recorded(
    store: Store,
    tickets: Iterable[Ticket] | Iterable[Problem],
    record: ImportRecord,
    *,
    rows_read: Callable[[], int],
    batch_size: int,
) -> None:
    """Store `tickets` (or problems) as run `record` says, in batches committed with progress.

    The last batch and the run's `complete` mark commit in one transaction.
    """
    log = _log(store)
    skip = log.stored_ids(record.tenant) if record.attempts > 1 else frozenset[str]()
    batch: list[Ticket | Problem] = []
    try:
        for ticket in tickets:
            if ticket.id in skip:
                continue
            if len(batch) >= batch_size:  # a full batch waits for one more ticket, so that
                log.add(record, batch, rows_read=rows_read())  # the last one is never empty
                batch = []
            batch.append(ticket)
        log.add(record, batch, rows_read=rows_read(), complete=True)
    except Exception as exc:
        with contextlib.suppress(Exception):  # the error that stopped the run matters more
            log.fail(record, f"{type(exc).__name__}: {exc}")
        raise
