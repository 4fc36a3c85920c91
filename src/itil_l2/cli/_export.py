"""`itil-l2 export --parquet DIR --db F`: a database's facts and events as Parquet files."""

from __future__ import annotations

import argparse
import time

from itil_l2.cli._source import existing_file
from itil_l2.export import write_parquet

__all__ = ["export_command"]


def export_command(args: argparse.Namespace) -> int:
    """Write `facts.parquet` and `events.parquet` of an itil-l2 database into a folder.

    For DuckDB, Spark or a warehouse (see the DuckDB how-to). Needs pyarrow
    (the extra `arrow`); stale or missing KPI facts are refused with the
    command that recomputes them.
    """
    path = existing_file(args.db, "database")
    started = time.perf_counter()
    written = write_parquet(path, args.parquet)
    took = time.perf_counter() - started
    for what, target in written.items():
        print(f"{what}: {target} ({target.stat().st_size:,} bytes)")
    print(f"exported {args.db} in {took:.1f} s")
    return 0
