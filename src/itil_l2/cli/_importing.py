"""The commands that read exports: `import`, `simulate`, `mapping suggest`, `kpi` on a PATH.

An import that yields no ticket is no success: `NothingImported` ends the
command with exit code 1 and one line saying why (e.g. no state of the log
is mapped) and what to do.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from itil_l2.cli._database import file_sha256, import_recorded
from itil_l2.cli._errors import UsageError
from itil_l2.cli._problems import import_problems
from itil_l2.cli._source import existing_file
from itil_l2.errors import ErrorCategory, ItilL2Error
from itil_l2.importers import (
    GroupDirectory,
    ImportMapping,
    ImportOptions,
    ImportPolicy,
    ImportReport,
    ImportRun,
    XesMapping,
    import_into,
    read_servicenow,
    read_xes,
    simulate,
    suggest_mapping,
)
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.tickets import Ticket

__all__ = [
    "NothingImported",
    "import_command",
    "load_export",
    "mapping_command",
    "mapping_of",
    "simulate_command",
]

_XES = (".xes", ".xes.gz")
_UNMAPPED = re.compile(r"^(?:unknown|corrupt) (?:state|incident_state) (.*)$")


class NothingImported(ItilL2Error):
    """No ticket came out of an import, or a database holds none: exit code 1, and why."""

    category = ErrorCategory.INVALID_INPUT


def _format(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    return "xes" if path.name.lower().endswith(_XES) else "servicenow"


def mapping_of(args: argparse.Namespace) -> ImportMapping | None:
    """The `--mapping` file, checked against `--format` and `--tz` (which it replaces)."""
    if not getattr(args, "mapping", None):
        return None
    mapping = ImportMapping.load(existing_file(args.mapping, "mapping"))
    given = getattr(args, "input_format", None)
    if given is not None and given != mapping.format:
        raise UsageError(f"--format {given}: the mapping {args.mapping} reads {mapping.format}")
    if args.tz is not None:
        raise UsageError("--tz: with --mapping, the zone is the mapping's [time] zone")
    return mapping


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: unknown time zone {name!r}") from None


def _run(args: argparse.Namespace, progress: Progress | None) -> ImportRun:
    """An import of `args.path` with the command's options (nothing read yet)."""
    path = existing_file(args.path, "export")
    mapping = mapping_of(args)
    options = ImportOptions(policy=ImportPolicy(args.policy))
    if args.tier_map:  # over the mapping's tier rules
        options["groups"] = GroupDirectory.load(args.tier_map)
    if progress is not None:
        task = progress.add_task(f"reading {path.name}", total=None)

        def on_row(rows: int) -> None:
            progress.update(task, completed=rows)

        options["on_row"] = on_row
    if mapping is not None:
        return mapping.read(path, **options)
    fmt = _format(path, getattr(args, "input_format", None))
    zone = _zone(args.tz or "UTC")
    if fmt == "csv":
        raise UsageError(
            f"--format csv needs --mapping; write one with `itil-l2 mapping suggest {path}`"
        )
    if fmt == "xes":
        return read_xes(path, mapping=XesMapping(zone=zone), **options)
    return read_servicenow(path, zone=zone, **options)


def _reason(source: str, report: ImportReport) -> str:
    """Why an import gave no ticket, in one line, with what to do about it."""
    head = f"0 tickets imported from {source}"
    if report.rows_read == 0:
        return f"{head}: it holds no row or event"
    unmapped: Counter[str] = Counter()
    for deviation in report.deviations:
        found = _UNMAPPED.match(deviation.rule)
        if found:
            unmapped[found.group(1)] += 1
    advice = f"write a mapping with `itil-l2 mapping suggest {source}`"
    if unmapped:
        n = unmapped.total()
        top = ", ".join(f"{raw} ({count:,})" for raw, count in unmapped.most_common(3))
        why = f"{n:,} of {report.rows_read:,} rows had no mapped state (top raw states: {top})"
        return f"{head}: {why}; {advice}"
    rules = ", ".join(f"{rule} ({n:,})" for rule, n in report.rules().most_common(3))
    why = f"{report.rows_rejected:,} of {report.rows_read:,} rows rejected ({rules or 'no rule'})"
    return f"{head}: {why}; {advice}"


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
    run = _run(args, progress)
    if progress is None:
        tickets = list(run)
    else:
        with progress:
            tickets = list(run)
    if not tickets:
        raise NothingImported(_reason(args.path, run.report))
    return tickets


def _target(db: str | None) -> tuple[Store, str]:
    if db is None:
        return MemoryStore(), "memory"
    if os.path.exists(db):
        raise UsageError(f"{db} exists; import into a new database file")
    return SqliteStore(db), db


def _options(args: argparse.Namespace) -> str:
    """The options that shape the tickets, as the import run records them."""
    tier_map = file_sha256(Path(args.tier_map))[:16] if args.tier_map else "-"
    if args.mapping:  # the whole digest: another mapping makes other tickets
        return (
            f"format={args.input_format or '-'} policy={args.policy} tier-map={tier_map}"
            f" mapping={file_sha256(Path(args.mapping))}"
        )
    fmt = _format(Path(args.path), args.input_format)
    return f"format={fmt} policy={args.policy} tz={args.tz or 'UTC'} tier-map={tier_map}"


def import_command(args: argparse.Namespace) -> int:
    """Import an export into a database (or memory) and print the conformance summary.

    Into a database, the import is recorded as a run (see `_database`): an
    interrupted or failed one stays unfinished, `--resume` continues it and
    `--replace` starts over.
    """
    mode = "resume" if args.resume else "replace" if args.replace else None
    if args.db is None and mode is not None:
        raise UsageError(f"--{mode} needs --db")
    mapping = mapping_of(args)
    if mapping is not None and mapping.entity == "problem":
        return import_problems(args, mapping, _options(args), mode)
    progress = _progress(quiet=False)
    run = _run(args, progress)  # the export, tier map and zone are checked before any file
    if args.db is None:
        report = import_into(MemoryStore(), run)
        assert isinstance(report, ImportReport)
        print(report.summary())
        _check_imported(args.path, report)
        print("stored in memory")
        return 0
    config = mapping.workflow if mapping is not None else None
    configs: dict[type, Any] | None = None if config is None else {Ticket: config}
    report, stored = import_recorded(
        args.db,
        Path(args.path),
        run,
        (_options(args), mode),
        configs=configs,
        noun="tickets",
        progress=progress,
    )
    print(report.summary())
    print(stored)
    _check_imported(args.path, report)
    return 0


def _check_imported(source: str, report: ImportReport) -> None:
    if report.tickets == 0:
        raise NothingImported(_reason(source, report))


def mapping_command(args: argparse.Namespace) -> int:
    """`mapping suggest LOG`: a starter mapping, on stdout or into a new file."""
    path = existing_file(args.path, "log")
    out = Path(args.output) if args.output else None
    if out is not None and out.exists():
        raise UsageError(
            f"{out} exists; a suggestion never overwrites a mapping (choose another -o)"
        )
    text = suggest_mapping(path, format=args.input_format)
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    states = text.count('= "?"')
    print(f'wrote {out}: {states:,} values to fill in ("?")')
    print(f"then: itil-l2 import {path} --mapping {out}")
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
