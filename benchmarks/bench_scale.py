"""KPIs at scale: a million stored tickets, from stored facts, by replay, and in SQL.

Run as a script (a report, not a test; the exit code is always 0)::

    python benchmarks/bench_scale.py [--tickets N] [--sample M] [--repeat R] [--db F]

1. Generate N simulated tickets (default 1,000,000) and bulk-save them into a
   SQLite store, units of work of 20,000 tickets (the store writes each
   ticket's KPI facts row beside its events). The time is printed. `--db F`
   keeps the file and reuses it when it already holds N tickets.
2. The full KPI set (`kpi_table`, every metric of `standard_metrics()`,
   ungrouped and by tier and month) read from the stored facts
   (`stored_facts`), against the same set by replay (`find()` loads and
   replays each history): the replay path runs on the first M tickets
   (default 100,000) and is scaled by N / M, printed as such. Target:
   facts ≥ 20× faster than replay.
3. The SQL KPIs (`sql_kpi_table`: the same set, computed by SQLite) against a
   hand-written SQL aggregate of the same figures over the same table, run
   through `sqlite3` directly. Target: ≤ 1.5× the hand-written query. The
   hand-written query's figures are checked against the library's first.
   The SQL KPIs read the stored facts too, so their time against replay is
   printed as well (the other way to the full set without replay).

Before any timing, one raw read of the facts table, the heads and the
sample's events warms the OS file cache, so neither path pays the disk.
Medians over R repeats (default 3); every ratio is against a baseline
measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from itil_l2.importers import simulate
from itil_l2.kpis import kpi_table
from itil_l2.storage import SqliteStore, stored_facts
from itil_l2.storage.sql_kpis import sql_kpi_table

CHUNK = 20_000

# The standard set by hand: per metric, the sample condition and the hit (rates) or the
# value (distributions), as one aggregate over the facts table.
ENDED = "end_kind IS NOT NULL"
HOURS = "CAST({} - opened_us AS REAL) / 3600000000.0"
RATES = {
    "resolution_rate": (ENDED, "successful = 1"),
    **{
        f"resolution_rate_l{lv}": (
            f"{ENDED} AND tier_mask & {1 << lv} != 0",
            f"successful = 1 AND resolved_tier = 'L{lv}'",
        )
        for lv in (1, 2, 3)
    },
    "first_contact_resolution": (
        "end_kind = 'resolved'",
        "successful = 1 AND resolved_tier = 'L1' AND group_changes = 0 AND reopens = 0",
    ),
    "escalation_rate_l1_l2": (
        f"{ENDED} AND tier_mask & 2 != 0 AND NOT (group_changes = 0 AND end_group = '(no group)')",
        "escalation_mask & 64 != 0",
    ),
    "escalation_rate_l2_l3": (
        f"{ENDED} AND tier_mask & 4 != 0 AND NOT (group_changes = 0 AND end_group = '(no group)')",
        "escalation_mask & 2048 != 0",
    ),
    "hand_back_rate_l2": (f"{ENDED} AND tier_mask & 4 != 0", "hand_back_mask & 4 != 0"),
    "hand_back_rate_l3": (f"{ENDED} AND tier_mask & 8 != 0", "hand_back_mask & 8 != 0"),
    "reopen_rate": (
        f"{ENDED} AND NOT (end_kind = 'cancelled' AND reopens = 0)",
        "reopens > 0",
    ),
}
MEANS = {
    "resolution_time": ("end_kind = 'resolved'", HOURS.format("end_us")),
    "response_time": (f"{ENDED} AND responded_us IS NOT NULL", HOURS.format("responded_us")),
    "time_to_restore": (f"{ENDED} AND restored_us IS NOT NULL", HOURS.format("restored_us")),
    "reassignment_count": (ENDED, "group_changes"),
    **{
        f"l{lv}_{part}_time": (
            f"{ENDED} AND (tier_mask & {1 << lv} != 0 OR owner_tier = 'L{lv}')",
            f"l{lv}_{part}_h",
        )
        for lv in (1, 2, 3)
        for part in ("queue", "work", "hold", "total")
    },
}
SUMS = {"ping_pong": (ENDED, "ping_pongs")}


def hand_written(grouped: bool) -> str:
    cols = []
    for cond, hit in RATES.values():
        cols += [
            f"count(CASE WHEN {cond} THEN 1 END)",
            f"count(CASE WHEN {cond} AND {hit} THEN 1 END)",
        ]
    for cond, value in MEANS.values():
        cols += [f"count(CASE WHEN {cond} THEN 1 END)", f"avg(CASE WHEN {cond} THEN {value} END)"]
    for cond, value in SUMS.values():
        cols += [f"count(CASE WHEN {cond} THEN 1 END)", f"sum(CASE WHEN {cond} THEN {value} END)"]
    if not grouped:
        return f"SELECT {', '.join(cols)} FROM itil_kpi_facts WHERE tenant = ''"
    month = (
        "CASE WHEN end_us IS NULL THEN '(open)' ELSE strftime('%Y-%m-01',"
        " (end_us - ((end_us % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') END"
    )
    return (
        f"SELECT end_tier, {month} AS month, {', '.join(cols)} FROM itil_kpi_facts"
        " WHERE tenant = '' GROUP BY end_tier, month"
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def median_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The median time of `repeat` runs and the last run's result.

    Each run's result is dropped before the next starts, so every repeat
    starts alike (a result of a million values kept alive is memory the
    next repeat cannot reuse).
    """
    times, out = [], None
    for _ in range(repeat):
        out = None
        took, out = timed(fn)
        times.append(took)
    return statistics.median(times), out


def generate(path: Path, n: int) -> None:
    if path.exists():
        with sqlite3.connect(path) as db:
            (have,) = db.execute("SELECT count(*) FROM itil_heads WHERE kind = 'ticket'").fetchone()
        if have == n:
            print(f"reusing {path} ({n:,} tickets)")
            return
        raise SystemExit(f"{path} holds {have:,} tickets, not {n:,}: remove it or pick --tickets")
    store = SqliteStore(path)
    started = time.perf_counter()
    simulated = simulate(n, seed=2026)
    done = 0
    while chunk := list(itertools.islice(simulated, CHUNK)):
        with store.unit_of_work() as uow:
            for t in chunk:
                uow.tickets.add(t)
            uow.commit()
        done += len(chunk)
        if done % 200_000 == 0 or done == n:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>9,} tickets simulated and stored ({rate:,.0f}/s)", flush=True)
    store.close()
    took = time.perf_counter() - started
    size = path.stat().st_size
    print(f"generated {n:,} tickets in {took:,.0f} s (simulation and bulk save); file {size:,} B")


def facts_size(path: Path, n: int) -> str:
    """The facts table's size on disk with its indexes (SQLite's dbstat, where built in)."""
    try:
        with sqlite3.connect(path) as db:
            (size,) = db.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%kpi_facts%'"
            ).fetchone()
    except sqlite3.OperationalError:
        return "facts table size: n/a (this SQLite has no dbstat)"
    return f"facts table with its indexes: {size:,} B, {size / n:,.0f} B per ticket"


def warm(path: Path, sample: int) -> float:
    """Read every page both paths read, once, before any timing (the OS file cache).

    Right after generating (or on a file not read for a while), the first pass
    over the facts table read from disk and took half as long again as the
    next; the replay path runs once, so it would pay that alone. Both start
    warm: the facts table and the heads, and the sample's events.
    """
    started = time.perf_counter()
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        db.execute("SELECT sum(length(detail)) FROM itil_kpi_facts").fetchall()
        db.execute("SELECT sum(length(view)) FROM itil_heads WHERE kind = 'ticket'").fetchall()
        db.execute(
            "SELECT sum(length(data)) FROM itil_events WHERE kind = 'ticket' AND tenant = ''"
            " AND id <= (SELECT max(id) FROM (SELECT id FROM itil_heads WHERE kind = 'ticket'"
            " AND tenant = '' ORDER BY id LIMIT ?))",
            (sample,),
        ).fetchall()
    return time.perf_counter() - started


def facts_kpis(store: SqliteStore, by: list[str]) -> Any:
    with store.unit_of_work() as uow:
        return kpi_table(stored_facts(uow), by=by)  # type: ignore[arg-type]


def read_facts(store: SqliteStore) -> int:
    """The stored rows read as `kpi_table` reads them (batches of rows), no KPI."""
    with store.unit_of_work() as uow:
        return sum(len(batch) for batch in stored_facts(uow).batches())


def replay_kpis(store: SqliteStore, by: list[str], sample: int) -> Any:
    with store.unit_of_work() as uow:
        return kpi_table(itertools.islice(uow.tickets.find(batch_size=1000), sample), by=by)


def check_hand_written(path: Path, library: Any) -> None:
    """The hand-written query gives the library's figures (else the comparison is moot)."""
    with sqlite3.connect(path) as db:
        values = db.execute(hand_written(False)).fetchone()
    results = library[0].results
    names = [*RATES, *MEANS, *SUMS]
    for i, name in enumerate(names):
        n, v = values[2 * i], values[2 * i + 1]
        r = results[name]
        got = (v / n if n else None) if name in RATES else v
        assert r.sample_size == n, name
        assert got is None or math.isclose(got, r.value, rel_tol=1e-9), (name, got, r.value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the database here (reused if it fits)")
    args = parser.parse_args()
    n, sample = args.tickets, min(args.sample, args.tickets)
    folder = Path(tempfile.mkdtemp(prefix="itil-scale-"))
    path = args.db or folder / "scale.sqlite"
    print(f"bench_scale: {n:,} tickets, replay sample {sample:,}, medians of {args.repeat}")
    generate(path, n)
    print(facts_size(path, n))
    took = warm(path, sample)
    print(f"warmed the file cache (facts, heads, the sample's events) in {took:.1f} s")
    store = SqliteStore(path, read_only=True)
    engine = create_engine(f"sqlite:///{path}")
    for by in ([], ["tier", "month"]):
        label = "ungrouped" if not by else "by " + ",".join(by)
        t_facts, rows = median_of(args.repeat, lambda: facts_kpis(store, by))
        t_sample, _ = median_of(
            1 if n > sample else args.repeat, lambda: replay_kpis(store, by, sample)
        )
        t_replay = t_sample * n / sample
        how = f"scaled from {sample:,} tickets: {t_sample:.1f} s" if n > sample else "measured"
        print(
            f"full KPI set {label:<14} stored facts {t_facts:8.2f} s   replay {t_replay:9.1f} s"
            f" ({how})"
            f"   replay/facts {t_replay / t_facts:6.1f}x"
            f" (target >= 20x: {'met' if t_replay >= 20 * t_facts else 'MISS'})"
        )
        if not by:
            check_hand_written(path, rows)
            t_read, _ = median_of(args.repeat, lambda: read_facts(store))
            print(
                f"  of which reading the {n:,} stored rows (stored_facts batches, no KPI):"
                f" {t_read:.2f} s; checking and measuring them: {t_facts - t_read:.2f} s"
            )
        t_sql, sql_rows = median_of(args.repeat, lambda: sql_kpi_table(engine, by=by))
        raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        t_hand, _ = median_of(args.repeat, lambda: raw.execute(hand_written(bool(by))).fetchall())
        raw.close()
        assert len(sql_rows) == len(rows)
        print(
            f"SQL KPIs     {label:<14} sql_kpi_table {t_sql:7.3f} s   hand-written SQL"
            f" {t_hand:7.3f} s   ratio {t_sql / t_hand:5.2f}x"
            f" (target <= 1.5x: {'met' if t_sql <= 1.5 * t_hand else 'MISS'})"
        )
        print(
            f"full KPI set {label:<14} by SQL on the stored facts {t_sql:7.3f} s:"
            f" replay/SQL {t_replay / t_sql:6.1f}x"
        )
    store.close()
    engine.dispose()
    if args.db is None:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
