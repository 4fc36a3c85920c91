"""Parquet files of a store's facts and events, for DuckDB, Spark or a warehouse.

`write_parquet(db, folder)` streams a SQLite store file's facts table and
event log into `facts.parquet` and `events.parquet` batch by batch (see
`sqlite_batches`), so the file is written without holding the database in
memory. Each file is written beside its final name and renamed into place,
so a reader never finds half a file.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from itil_l2.export._arrow import _module, sqlite_batches

__all__ = ["PARQUET_FILES", "write_parquet"]

PARQUET_FILES = {"facts": "facts.parquet", "events": "events.parquet"}
"""What `write_parquet` writes, by table."""


def write_parquet(
    db: str | PathLike[str], folder: str | PathLike[str], *, tenant: str | None = None
) -> dict[str, Path]:
    """Write `facts.parquet` and `events.parquet` of SQLite store file `db` into `folder`.

    Returns the paths by table ("facts", "events"). The folder is created if
    needed; existing files of those names are replaced. Facts of another
    version, or tickets without facts, raise `OutdatedFacts` before anything
    is written.

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
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    opened = {what: sqlite_batches(db, what, tenant) for what in ("facts", "events")}
    written: dict[str, Path] = {}
    for what, (schema, batches) in opened.items():
        final = out / PARQUET_FILES[what]
        part = final.with_name(f".{final.name}.part")
        with parquet.ParquetWriter(part, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
        os.replace(part, final)
        written[what] = final
    return written
