"""The commands that read exports: `import`, `simulate`, and `kpi`/`report` on a PATH."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from itil_l2.cli._database import file_sha256, recorded_target
from itil_l2.cli._errors import UsageError
from itil_l2.cli._source import existing_file
from itil_l2.importers import (
    GroupDirectory,
    ImportPolicy,
    ImportReport,
    ImportRun,
    import_into,
    read_servicenow,
    read_xes,
    simulate,
)
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.tickets import Ticket

__all__ = ["import_command", "load_export", "simulate_command"]

_XES = (".xes", ".xes.gz")


def _format(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    return "xes" if path.name.lower().endswith(_XES) else "servicenow"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: unknown time zone {name!r}") from None


def _run(args: argparse.Namespace, progress: Progress | None) -> ImportRun:
    """An import of `args.path` with the command's options (nothing read yet)."""
    path = existing_file(args.path, "export")
    groups = GroupDirectory.load(args.tier_map) if args.tier_map else None
    policy = ImportPolicy(args.policy)
    on_row = None
    if progress is not None:
        task = progress.add_task(f"reading {path.name}", total=None)

        def on_row(rows: int) -> None:
            progress.update(task, completed=rows)

    if _format(path, getattr(args, "input_format", None)) == "xes":
        return read_xes(path, policy=policy, groups=groups, on_row=on_row)
    return read_servicenow(path, zone=_zone(args.tz), policy=policy, groups=groups, on_row=on_row)


def _progress(quiet: bool) -> Progress | None:
    if quiet or not Console(stderr=True).is_terminal:
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def load_export(args: argparse.Namespace, *, quiet: bool) -> list[Ticket]:
    """The tickets of the export at `args.path`, imported in memory."""
    progress = _progress(quiet)
    if progress is None:
        return list(_run(args, None))
    with progress:
        return list(_run(args, progress))


def _target(db: str | None) -> tuple[Store, str]:
    if db is None:
        return MemoryStore(), "memory"
    if os.path.exists(db):
        raise UsageError(f"{db} exists; import into a new database file")
    return SqliteStore(db), db


def _options(args: argparse.Namespace) -> str:
    """The options that shape the tickets, as the import run records them."""
    tier_map = file_sha256(Path(args.tier_map))[:16] if args.tier_map else "-"
    fmt = _format(Path(args.path), args.input_format)
    return f"format={fmt} policy={args.policy} tz={args.tz} tier-map={tier_map}"


def import_command(args: argparse.Namespace) -> int:
    """Import an export into a database (or memory) and print the conformance summary.

    Into a database, the import is recorded as a run (see `_database`): an
    interrupted or failed one stays unfinished, `--resume` continues it and
    `--replace` starts over.
    """
    mode = "resume" if args.resume else "replace" if args.replace else None
    if args.db is None and mode is not None:
        raise UsageError(f"--{mode} needs --db")
    progress = _progress(quiet=False)
    run = _run(args, progress)  # the export, tier map and zone are checked before any file
    if args.db is None:
        report = import_into(MemoryStore(), run)
        assert isinstance(report, ImportReport)
        print(report.summary())
        print("stored in memory")
        return 0
    store, record = recorded_target(args.db, Path(args.path), _options(args), mode)
    try:
        with progress if progress is not None else nullcontext():
            report = import_into(store, run, record=record)
        final = store.imports.get(record.run)
    except KeyboardInterrupt:
        message = f"{args.db} holds an incomplete import: continue it with --resume"
        raise KeyboardInterrupt(message) from None
    finally:
        store.close()
    assert isinstance(report, ImportReport)
    print(report.summary())
    again = f", attempt {final.attempts}" if final.attempts > 1 else ""
    print(
        f"stored in {args.db}: import run {final.run} {final.status}"
        f" ({final.tickets_written:,} tickets written{again})"
    )
    return 0


def _counted(tickets: Iterator[Ticket], progress: Progress | None, n: int) -> Iterator[Ticket]:
    task = None if progress is None else progress.add_task("simulating", total=n)
    for ticket in tickets:
        if progress is not None and task is not None:
            progress.advance(task)
        yield ticket


def simulate_command(args: argparse.Namespace) -> int:
    """Generate a ticket stream through the workflow into a database (or memory)."""
    if args.tickets < 0:
        raise UsageError("--tickets must not be negative")
    store, where = _target(args.db)
    progress = _progress(quiet=False)
    stream = simulate(args.tickets, seed=args.seed)
    try:
        if progress is None:
            import_into(store, stream)
        else:
            with progress:
                import_into(store, _counted(stream, progress, args.tickets))
        with store.unit_of_work() as uow:
            count = uow.tickets.count()
    finally:
        store.close()
    print(f"simulated {count:,} tickets (seed {args.seed}) into {where}")
    return 0
