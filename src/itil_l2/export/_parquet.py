"""Parquet files of a store's facts and events, for DuckDB, Spark or a warehouse.

`write_parquet(db, folder)` streams a SQLite store file's facts table and
event log into `facts.parquet` and `events.parquet` batch by batch, read in
one read transaction (`itil_l2.storage.sqlite.stored_rows`: both of one
moment, each row checked), so the database is never held in memory. Both
files are written beside their final names and renamed into place only when
both are complete: a refused row, a full disk or a writer arriving leaves
the folder as it was (files of those names from an earlier export included;
a folder the call created is removed again), never half a file or one new
file beside an old one.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from itil_l2.export._arrow import BATCH, _batch, _module, events_schema, facts_schema, pyarrow
from itil_l2.storage.sqlite import stored_rows

__all__ = ["PARQUET_FILES", "write_parquet"]

PARQUET_FILES = {"facts": "facts.parquet", "events": "events.parquet"}
"""What `write_parquet` writes, by table."""


def write_parquet(
    db: str | PathLike[str], folder: str | PathLike[str], *, tenant: str | None = None
) -> dict[str, Path]:
    """Write `facts.parquet` and `events.parquet` of SQLite store file `db` into `folder`.

    Returns the paths by table ("facts", "events"). The folder is created if
    needed; existing files of those names are replaced. Facts of another
    version, or tickets without facts, raise `OutdatedFacts`, a faulty row
    `CorruptHistory`; either leaves the folder as it was.

    >>> import tempfile, pathlib
    >>> from itil_l2.export import write_parquet
    >>> from itil_l2.storage import SqliteStore
    >>> from itil_l2.testing import example_printer_ticket
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = SqliteStore(folder / "desk.sqlite")
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.add(example_printer_ticket(resolved=True))
    ...     uow.commit()
    >>> store.close()
    >>> paths = write_parquet(folder / "desk.sqlite", folder / "out")
    >>> sorted(p.name for p in paths.values())
    ['events.parquet', 'facts.parquet']
    """
    parquet = _module("pyarrow.parquet", "pip install 'itil-l2[arrow]'")
    pa = pyarrow()
    out = Path(folder)
    created = not out.exists()
    parts: dict[str, Path] = {}
    try:
        with stored_rows(db, tenant=tenant, batch=BATCH) as rows:
            out.mkdir(parents=True, exist_ok=True)
            for what, schema, batches in (
                ("facts", facts_schema(), rows.facts()),
                ("events", events_schema(), rows.events()),
            ):
                parts[what] = out / f".{PARQUET_FILES[what]}.part"
                with parquet.ParquetWriter(parts[what], schema) as writer:
                    for batch in batches:
                        writer.write_batch(_batch(pa, batch, schema))
    except BaseException:
        for part in parts.values():
            part.unlink(missing_ok=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    written = {what: out / PARQUET_FILES[what] for what in parts}
    for what, part in parts.items():  # both complete: each renamed into place
        os.replace(part, written[what])
    return written
