"""`itil-l2 import --db`: the database an import goes into, and the run it records there.

An existing database is first looked at read-only, so a file that is not an
itil-l2 database is refused before a byte is written. Then: a database with
an unfinished import is refused unless `--resume` (same export, by SHA-256,
same options) or `--replace` (empty it, start over); any other database with
data is refused unless `--replace`; an empty one (a file an import killed at
its very start left behind) counts as new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from itil_l2.cli._errors import UsageError
from itil_l2.importers import ImportReport, import_into
from itil_l2.storage.sqlite import ImportRecord, NotAnItilDatabase, SqliteStore

__all__ = ["file_sha256", "import_recorded", "recorded_target"]


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _inspect(db: Path) -> tuple[ImportRecord | None, bool]:
    """An existing database's unfinished run and whether it stores nothing (read-only)."""
    try:
        store = SqliteStore(db, read_only=True)
    except NotAnItilDatabase as exc:
        if exc.empty:
            return None, True
        raise
    try:
        return store.imports.unfinished(), store.imports.empty()
    finally:
        store.close()


def _check_resume(db: Path, run: ImportRecord, export: Path, sha256: str, options: str) -> None:
    if run.sha256 != sha256:
        raise UsageError(
            f"{db}: the unfinished import read {run.source} (sha256 {run.sha256[:12]}),"
            f" not {export} (sha256 {sha256[:12]}); --replace starts over with it"
        )
    if run.options != options:
        raise UsageError(
            f"{db}: the unfinished import ran with {run.options}; resume it with the same"
            f" options (this one: {options}), or --replace to start over"
        )


def _mode(path: Path, export: Path, sha256: str, options: str, mode: str | None) -> str | None:
    """What the import does with `path`: None (begin), "resume" or "replace"; or refused."""
    if not path.exists():
        return None  # nothing was written yet (even when resuming): begin
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    unfinished, empty = _inspect(path)
    if unfinished is not None:
        if mode is None:
            raise UsageError(
                f"{path}: {unfinished.describe()}: add --resume to continue it,"
                " or --replace to start over"
            )
        if mode == "resume":
            _check_resume(path, unfinished, export, sha256, options)
        return mode
    if empty:  # a file an import killed at its very start left behind
        return None if mode == "resume" else mode
    if mode == "resume":
        raise UsageError(f"{path}: no unfinished import to resume (--replace starts over)")
    if mode is None:
        raise UsageError(f"{path} exists; import into a new database file, or --replace")
    return mode


def recorded_target(
    db: str,
    export: Path,
    options: str,
    mode: str | None,
    *,
    configs: Mapping[type, Any] | None = None,
) -> tuple[SqliteStore, ImportRecord]:
    """The opened database and its import run: begun, resumed (`"resume"`) or replaced.

    `configs` (e.g. `{Ticket: the mapping file's WorkflowConfig}`) is what the
    store checks the imported tickets against and stores with them at their
    first write, so `kpi --db` and `report --db` read them back with it; a
    resumed import whose config differs from the stored one is a
    `ConfigMismatch` naming the settings (a replaced database stores anew).
    """
    path = Path(db)
    sha256 = file_sha256(export)
    mode = _mode(path, export, sha256, options, mode)
    store = SqliteStore(path, configs=configs)
    try:
        if mode == "resume":
            record = store.imports.resume(sha256, options)
        else:
            record = store.imports.begin(str(export), sha256, options, replace=mode == "replace")
    except BaseException:
        store.close()
        raise
    return store, record


def import_recorded(
    db: str,
    source: Path,
    run: Any,
    recorded: tuple[str, str | None],
    *,
    configs: Mapping[type, Any] | None,
    noun: str,
    progress: AbstractContextManager[Any] | None = None,
) -> tuple[ImportReport, str]:
    """Import `run` into `db` as a recorded run: its report and the "stored in" line.

    `recorded` is the run's options text and mode (`resume`, `replace` or None).
    An interruption leaves the run incomplete and says how to continue it.
    """
    options, mode = recorded
    store, record = recorded_target(db, source, options, mode, configs=configs)
    try:
        with progress if progress is not None else nullcontext():
            report = import_into(store, run, record=record)
        final = store.imports.get(record.run)
    except KeyboardInterrupt:
        message = f"{db} holds an incomplete import: continue it with --resume"
        raise KeyboardInterrupt(message) from None
    finally:
        store.close()
    assert isinstance(report, ImportReport)
    again = f", attempt {final.attempts}" if final.attempts > 1 else ""
    line = (
        f"stored in {db}: import run {final.run} {final.status}"
        f" ({final.tickets_written:,} {noun} written{again})"
    )
    return report, line
