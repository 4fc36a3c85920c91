"""A streaming import: tickets one at a time, the report at the end; bulk storage.

`read_servicenow(...)` and `read_xes(...)` return an `ImportRun`: iterate it
to get the tickets (one incident in memory at a time), then read `report`.
`import_into(store, run)` stores them in batches, one unit of work per batch;
with `record=` (an `SqliteStore`'s import run) the database records the run
and its progress with each batch (see `_runs`). A `ProblemImportRun` (or
any iterable of problems) is stored the same way, into `uow.problems`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import ImportReport, Tally
from itil_l2.importers._replay import Replayer
from itil_l2.importers._runs import store_recorded
from itil_l2.importers._steps import Case
from itil_l2.problems import Problem
from itil_l2.storage import Store
from itil_l2.tickets import Ticket

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import ImportRecord

__all__ = ["ImportRun", "ReplayRun", "import_into"]

OnRow = Callable[[int], None]
T = TypeVar("T")


class ReplayRun(Generic[T]):
    """What every import run shares: iterable once, a report at any time, timed.

    `cases(tally)` reads the export; `replayer` (with a `tally` and a
    `replay(case)` giving the entity or None when skipped) rebuilds each one.
    """

    _noun = "export"

    def __init__(
        self,
        cases: Callable[[Tally], Iterable[Any]],
        replayer: Any,
        on_row: OnRow | None = None,
    ) -> None:
        self._cases = cases
        self._replayer = replayer
        self._tally: Tally = replayer.tally
        self._on_row = on_row
        self._started = False

    @property
    def report(self) -> ImportReport:
        """The conformance report so far (complete once iteration ended)."""
        return self._tally.report()

    def __iter__(self) -> Iterator[T]:
        if self._started:
            raise ValidationError(
                f"{type(self).__name__} can be iterated once; read the {self._noun} again"
            )
        self._started = True
        return self._replayed()

    def _replayed(self) -> Iterator[T]:
        tally, replay, on_row = self._tally, self._replayer.replay, self._on_row
        started = time.perf_counter()
        try:
            for case in self._cases(tally):
                item = replay(case)
                if on_row is not None:
                    on_row(tally.rows_read)
                tally.seconds = time.perf_counter() - started
                if item is not None:
                    yield item
        finally:
            tally.seconds = time.perf_counter() - started


class ImportRun(ReplayRun[Ticket]):
    """An import in progress: iterable once, yielding tickets; `report` at any time.

    `on_row(n)` (if given) is called after each incident with the number of
    rows (or events) read so far, for a progress bar; the library never
    prints. Errors are typed: `MalformedExport` for a file that cannot be
    read, `ConformanceError` under the strict policy.
    """

    def __init__(
        self,
        cases: Callable[[Tally], Iterator[Case]],
        replayer: Replayer,
        on_row: OnRow | None = None,
    ) -> None:
        super().__init__(cases, replayer, on_row)


def import_into(
    store: Store,
    source: ImportRun | Iterable[Ticket] | Iterable[Problem],
    *,
    batch_size: int = 1000,
    tenant: str | None = None,
    record: ImportRecord | None = None,
) -> ImportReport | None:
    """Add every ticket (or problem) of `source` to `store`, one unit of work per batch.

    Returns the run's `ImportReport` (None when `source` is a plain iterable
    of tickets, e.g. `simulate(...)`); a `ProblemImportRun` is stored into
    `uow.problems` and returns its report too. A failing batch rolls back that batch
    only; the batches before it stay committed.

    `record` (from `store.imports.begin(...)` or `.resume(...)` of an
    `SqliteStore`) makes the import one the database can vouch for: each
    batch commits with the run's progress, the last one marks the run
    complete, an error marks it failed, an interruption leaves it
    incomplete; a resumed run skips the tickets already stored. The run's
    tenant is the one the tickets go to (`tenant` must then be None).

    >>> from itil_l2.importers import import_into, simulate
    >>> from itil_l2.storage import MemoryStore
    >>> store = MemoryStore()
    >>> import_into(store, simulate(20, seed=1), batch_size=8) is None
    True
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.count()
    20
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive int, got {batch_size!r}")
    if record is not None:
        if tenant is not None:
            raise ValidationError("a recorded import goes to its run's tenant: leave tenant None")

        def rows_read() -> int:
            report = _report(source)
            return 0 if report is None else report.rows_read

        store_recorded(store, source, record, rows_read=rows_read, batch_size=batch_size)
        return _report(source)
    batch: list[Ticket | Problem] = []
    for ticket in source:
        batch.append(ticket)
        if len(batch) >= batch_size:
            _store(store, batch, tenant)
            batch = []
    if batch:
        _store(store, batch, tenant)
    return _report(source)


def _report(source: object) -> ImportReport | None:
    """The report of an `ImportRun` or a `ProblemImportRun`; None for a plain iterable."""
    report = getattr(source, "report", None)
    return report if isinstance(report, ImportReport) else None


def _store(store: Store, batch: list[Ticket | Problem], tenant: str | None) -> None:
    with store.unit_of_work(tenant=tenant) as uow:
        for entity in batch:
            if isinstance(entity, Problem):
                uow.problems.add(entity)
            else:
                uow.tickets.add(entity)
        uow.commit()
