"""`itil-l2 rebuild-facts --db F`: recompute a database's stored KPI facts by replay."""

from __future__ import annotations

import argparse
import time

from itil_l2.cli._source import existing_file
from itil_l2.kpis import FACTS_VERSION
from itil_l2.storage.sqlite import SqliteStore

__all__ = ["rebuild_facts_command"]


def rebuild_facts_command(args: argparse.Namespace) -> int:
    """Recompute every stored ticket's KPI facts (after the facts definition changed).

    The file must be an itil-l2 database (checked read-only first, so another
    SQLite file is refused untouched); an older schema is migrated on opening.
    """
    path = existing_file(args.db, "database")
    SqliteStore(path, read_only=True).close()  # NotAnItilDatabase for any other file
    started = time.perf_counter()
    store = SqliteStore(path)
    try:
        count = store.rebuild_facts()
    finally:
        store.close()
    print(
        f"{count:,} tickets' KPI facts recomputed (facts version {FACTS_VERSION})"
        f" in {args.db} ({time.perf_counter() - started:.1f} s)"
    )
    return 0
