"""Benchmark the storage adapters against raw driver calls measured in the same run.

Run as a script (a report, not a test; the exit code is always 0)::

    python benchmarks/bench_storage.py [--tickets N] [--gets G] [--repeat R] [--quick]

What is measured, on tickets with 8-event histories (open, assign, start,
escalate to L2, start, escalate to L3, start, resolve):

1. Bulk save: one unit of work adding N tickets, committed, against raw
   `sqlite3.executemany` of exactly the rows the adapter writes (the head,
   event and CI rows, already encoded) into the same schema, in one
   transaction. Target (issue 18): the library reaches >= 60 % of the raw
   rate. The library's time includes encoding every event to JSON and
   building the head's view, which the raw baseline is handed for free; the
   report splits that out.
2. Bulk load: streaming every ticket back with `find()` (decoding JSON,
   building the events, replaying each history through the workflow,
   checking the head and view) against a raw `SELECT` of the same rows.
   Target: >= 20 % of the raw rate.
3. get-by-id: the median latency of `uow.tickets.get(id)` over G random ids
   against a raw `SELECT` of one ticket's event rows (target: at most 5x):
   cold (a new store, every event decoded from JSON) and warm (the same ids
   again: the store's cache of decoded events skips decoding, while the rows
   are still read and the history still replayed).
4. The same on PostgreSQL through the SQLAlchemy adapter when
   `ITIL_L2_POSTGRES_URL` is set (baseline: SQLAlchemy Core `executemany`).

Medians over R repeats; ratios are the median of per-repeat ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_workflow import itil_open, make_fixture, ticket_ids

from itil_l2 import Ticket
from itil_l2.storage import KINDS, Query, SqliteStore
from itil_l2.storage._integrity import check_head
from itil_l2.storage._sqlite_facts import PUT as _PUT_FACTS
from itil_l2.storage._sqlite_log import _INSERT as _INSERT_EVENT
from itil_l2.storage._sqlite_schema import migrate
from itil_l2.storage._sqlite_sql import INSERT_CI as _INSERT_CI
from itil_l2.storage._sqlite_sql import INSERT_HEAD as _INSERT_HEAD
from itil_l2.storage._sqlite_sql import head_values as _head_values
from itil_l2.storage._sqlite_sql import micros as _micros


def make_tickets(n: int) -> list[Ticket]:
    fx = make_fixture()
    tickets = itil_open(fx, ticket_ids(n))
    _, t1, t2, t3, t4, t5, t6, t7, _ = fx.times
    for t in tickets:
        t.assign(fx.desk, at=t1, actor=fx.desk_agent)
        t.start(at=t2, actor=fx.desk_agent)
        t.escalate(fx.l2, fx.handover, at=t3, actor=fx.desk_agent)
        t.start(at=t4, actor=fx.l2_agent)
        t.escalate(fx.l3, fx.handover, at=t5, actor=fx.l2_agent, target=fx.target)
        t.start(at=t6, actor=fx.l3_agent)
        t.resolve(fx.resolution, at=t7, actor=fx.l3_agent)
    return tickets


Rows = tuple[list[Any], list[Any], list[Any], list[Any]]


def encoded_rows(tickets: Sequence[Ticket]) -> Rows:
    """Exactly the head, event, CI and KPI facts rows the SQLite adapter writes for `tickets`."""
    kind = KINDS["ticket"]
    heads, events, cis, facts = [], [], [], []
    for t in tickets:
        head, rows = kind.encode(t, t.history)
        heads.append(("ticket", "", *_head_values(head)))
        events += [
            (
                "ticket",
                "",
                t.id,
                r.version,
                r.schema,
                _micros(r.at),
                r.type,
                r.data,
                len(events) + n,
            )
            for n, r in enumerate(rows, start=1)
        ]  # with the position each row gets in the notification log
        cis += [("ticket", "", ci, t.id) for ci in head.ci_refs]
        facts.append(("", *head.facts.row))  # type: ignore[union-attr]
    return heads, events, cis, facts


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = perf_counter()
        fn()
        return perf_counter() - start
    finally:
        gc.enable()


def fresh_db(folder: Path, name: str) -> Path:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def raw_sqlite_save(path: Path, rows: Rows) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    heads, events, cis, facts = rows
    db.execute("BEGIN IMMEDIATE")
    db.executemany(_INSERT_HEAD, heads)
    db.executemany(_INSERT_EVENT, events)
    db.executemany(_INSERT_CI, cis)
    db.executemany(_PUT_FACTS, facts)
    db.execute("COMMIT")
    db.close()


def library_save(store: Any, tickets: Sequence[Ticket]) -> None:
    with store.unit_of_work() as uow:
        for t in tickets:
            uow.tickets.add(t)
        uow.commit()
    for t in tickets:  # let the next repeat add them again
        object.__setattr__(t, "_persisted", 0)


def raw_sqlite_load(path: Path) -> int:
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT id, version, schema, at, type, data FROM itil_events"
        " WHERE kind = 'ticket' AND tenant = '' ORDER BY id, version"
    ).fetchall()
    db.close()
    return len(rows)


def library_load(store: Any) -> int:
    with store.unit_of_work() as uow:
        return sum(1 for _ in uow.tickets.find(batch_size=1000))


def load_parts(path: Path) -> tuple[float, float, float, float]:
    """A load's steps timed one by one: reading the rows, decoding, replay, the head check.

    The same work as `find()` (the store's own reads and decoders), each step
    over every ticket before the next; what decoding, replay and the check
    cost together is the floor of a load however fast the rows are read.
    """
    store = SqliteStore(path)
    kind = KINDS["ticket"]
    upcasters = store.upcasters
    with store.unit_of_work() as uow:
        session = uow._session()

        def read() -> list[Any]:
            streams: list[Any] = []
            after = None
            while batch := session.select("ticket", "", Query(), after, 1000):
                streams += batch
                after = batch[-1].head.id
            return streams

        streams: list[Any] = []
        reading = timed(lambda: streams.extend(read()))
        events: list[Any] = []
        decoding = timed(
            lambda: events.extend(
                [kind.event(r.schema, r.data, upcasters) for r in s.events] for s in streams
            )
        )
        items: list[Any] = []
        replay = timed(lambda: items.extend(Ticket._decoded(e) for e in events))
        checking = timed(
            lambda: [
                check_head("", s.head, kind.index(t)) for s, t in zip(streams, items, strict=True)
            ]
        )
    store.close()
    return reading, decoding, replay, checking


def get_steps(path: Path, ids: Sequence[str]) -> tuple[float, float]:
    """A cold get's two steps timed apart (medians): reading one ticket's rows, rebuilding it.

    The store's own read (`load`) and decoder (`AggregateKind.decode`: decoding,
    replay and the head check), without the store's event cache.
    """
    store = SqliteStore(path)
    kind = KINDS["ticket"]
    with store.unit_of_work() as uow:
        session = uow._session()
        reading = latencies(lambda id: session.load("ticket", "", id), ids)
        streams = {id: session.load("ticket", "", id) for id in ids}
        rebuilding = latencies(lambda id: kind.decode(streams[id], store.upcasters), ids)
    store.close()
    return reading, rebuilding


def latencies(get: Callable[[str], Any], ids: Sequence[str]) -> float:
    times = []
    for id in ids:
        start = perf_counter()
        get(id)
        times.append(perf_counter() - start)
    return statistics.median(times)


def bench_sqlite(tickets: list[Ticket], gets: int, repeat: int, folder: Path) -> None:
    rows = encoded_rows(tickets)
    n = len(tickets)
    kind = KINDS["ticket"]
    save, raw_save, encode, load, raw_load, get, warm, raw_get = ([] for _ in range(8))
    parts: list[tuple[float, float, float, float]] = []
    get_parts: list[tuple[float, float]] = []
    sample = random.Random(7).sample([t.id for t in tickets], min(gets, n))
    for _ in range(repeat):
        raw_path = fresh_db(folder, "raw.sqlite")
        raw_save.append(timed(lambda: raw_sqlite_save(raw_path, rows)))
        lib_path = fresh_db(folder, "lib.sqlite")
        store = SqliteStore(lib_path)
        save.append(timed(lambda: library_save(store, tickets)))
        encode.append(timed(lambda: [kind.encode(t, t.history) for t in tickets]))
        raw_load.append(timed(lambda: raw_sqlite_load(raw_path)))
        load.append(timed(lambda: library_load(store)))
        parts.append(load_parts(lib_path))
        cold = SqliteStore(lib_path)  # a new store: nothing decoded yet
        with cold.unit_of_work() as uow:
            get.append(latencies(uow.tickets.get, sample))
            warm.append(latencies(uow.tickets.get, sample))
        cold.close()
        get_parts.append(get_steps(lib_path, sample))
        db = sqlite3.connect(lib_path)
        raw_get.append(
            latencies(
                lambda id: db.execute(
                    "SELECT version, schema, at, type, data FROM itil_events"
                    " WHERE kind = 'ticket' AND tenant = '' AND id = ? ORDER BY version",
                    (id,),
                ).fetchall(),
                sample,
            )
        )
        db.close()
        store.close()
    report("SQLite", n, save, raw_save, encode, load, raw_load, get, raw_get)
    steps = [statistics.median(p[i] for p in parts) * 1e6 / n for i in range(4)]
    floor = sum(steps[1:])
    print(
        "            load step by step, per ticket: reading rows {:.1f} µs, decoding events"
        " {:.1f} µs, replay {:.1f} µs, head and view check {:.1f} µs".format(*steps)
    )
    print(
        f"            decoding + replay + check alone: {floor:.1f} µs per ticket against the raw"
        f" read's {statistics.median(raw_load) * 1e6 / n:.1f} µs: at most"
        f" {statistics.median(raw_load) * 1e6 / n / floor:.1%} of raw with rows read for free;"
        f" a get by id does the same per ticket: {floor / (statistics.median(raw_get) * 1e6):.1f}x"
        " the raw get before it reads a row"
    )
    reading, rebuilding = (statistics.median(p[i] for p in get_parts) * 1e6 for i in range(2))
    print(
        f"            a cold get step by step (medians): reading its rows {reading:.0f} µs,"
        f" decoding + replay + check {rebuilding:.0f} µs (no event cache); the rest of"
        f" {statistics.median(get) * 1e6:.0f} µs is the event cache's bookkeeping and the"
        " unit of work's"
    )
    print(
        f"get by id   warm (events already decoded once, the store's event cache)"
        f" {statistics.median(warm) * 1e6:,.0f} µs"
    )


def report(
    name: str,
    n: int,
    save: list[float],
    raw_save: list[float],
    encode: list[float],
    load: list[float],
    raw_load: list[float],
    get: list[float],
    raw_get: list[float],
) -> None:
    med = statistics.median
    rate = [rs / s for s, rs in zip(save, raw_save, strict=True)]
    write_only = [rs / (s - e) for s, rs, e in zip(save, raw_save, encode, strict=True)]
    print(f"\n== {name}: {n:,} tickets x 8 events, medians of {len(save)} repeats")
    print(
        f"bulk save   library {n / med(save):>10,.0f} tickets/s   raw {n / med(raw_save):>10,.0f}"
    )
    verdict = "met" if med(rate) >= 0.6 else "MISS"
    print(f"            library/raw rate {med(rate):.1%} (target >= 60 %: {verdict})")
    print(
        f"            of which encoding {med(encode) / med(save):.0%} of the library's time;"
        f" without it {med(write_only):.1%} of raw"
    )
    print(
        f"bulk load   library {n / med(load):>10,.0f} tickets/s   raw {n / med(raw_load):>10,.0f}"
    )
    load_rate = med([r / lo for lo, r in zip(load, raw_load, strict=True)])
    verdict = "met" if load_rate >= 0.2 else "MISS"
    print(f"            library/raw rate {load_rate:.1%} (target >= 20 %: {verdict})")
    times = med(get) / med(raw_get)
    verdict = "met" if times <= 5 else "MISS"
    print(
        f"get by id   library {med(get) * 1e6:,.0f} µs   raw {med(raw_get) * 1e6:,.0f} µs (medians)"
        f"   {times:.1f}x (target <= 5x: {verdict})"
    )


def bench_postgres(url: str, tickets: list[Ticket], gets: int, repeat: int) -> None:
    from sqlalchemy import create_engine, insert, select

    from itil_l2.kpis import FACTS_COLUMNS
    from itil_l2.storage._tables import kpi_facts
    from itil_l2.storage.sqlalchemy import SqlAlchemyStore, cis, events, heads, metadata

    engine = create_engine(url)
    kind = KINDS["ticket"]
    n = len(tickets)
    head_rows, event_rows, ci_rows, fact_rows = [], [], [], []
    from itil_l2.storage.sqlalchemy import _head_values as sa_head
    from itil_l2.storage.sqlalchemy import _utc

    for t in tickets:
        head, rows = kind.encode(t, t.history)
        head_rows.append({"kind": "ticket", "tenant": "", "id": t.id, **sa_head(head)})
        event_rows += [
            {
                "kind": "ticket",
                "tenant": "",
                "id": t.id,
                "version": r.version,
                "schema": r.schema,
                "at": _utc(r.at),
                "type": r.type,
                "data": r.data,
                "position": len(event_rows) + n,  # its place in the notification log
            }
            for n, r in enumerate(rows, start=1)
        ]
        ci_rows += [{"kind": "ticket", "tenant": "", "ci": ci, "id": t.id} for ci in head.ci_refs]
        facts = dict(zip(FACTS_COLUMNS, head.facts.row, strict=True))  # type: ignore[union-attr]
        fact_rows.append({"tenant": "", **facts})
    sample = random.Random(7).sample([t.id for t in tickets], min(gets, n))
    save, raw_save, encode, load, raw_load, get, raw_get = ([] for _ in range(7))
    for _ in range(repeat):
        metadata.drop_all(engine)
        metadata.create_all(engine)

        def raw() -> None:
            with engine.begin() as conn:
                conn.execute(insert(heads), head_rows)
                conn.execute(insert(events), event_rows)
                if ci_rows:
                    conn.execute(insert(cis), ci_rows)
                conn.execute(insert(kpi_facts), fact_rows)

        raw_save.append(timed(raw))
        raw_load.append(
            timed(lambda: engine.connect().execute(select(events).order_by(events.c.id)).all())
        )
        metadata.drop_all(engine)
        metadata.create_all(engine)
        store = SqlAlchemyStore(engine)
        save.append(timed(lambda: library_save(store, tickets)))
        encode.append(timed(lambda: [kind.encode(t, t.history) for t in tickets]))
        load.append(timed(lambda: library_load(store)))
        with store.unit_of_work() as uow:
            get.append(latencies(uow.tickets.get, sample))
        with engine.connect() as conn:
            raw_get.append(
                latencies(
                    lambda id: conn.execute(
                        select(events).where(events.c.id == id).order_by(events.c.version)
                    ).all(),
                    sample,
                )
            )
    engine.dispose()
    report(
        "PostgreSQL (SQLAlchemy + psycopg 3)",
        n,
        save,
        raw_save,
        encode,
        load,
        raw_load,
        get,
        raw_get,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 tickets, one repeat")
    args = parser.parse_args()
    if args.quick:
        args.tickets, args.gets, args.repeat = 5_000, 500, 1
    tickets = make_tickets(args.tickets)
    with tempfile.TemporaryDirectory() as folder:
        bench_sqlite(tickets, args.gets, args.repeat, Path(folder))
    url = os.environ.get("ITIL_L2_POSTGRES_URL")
    if url:
        bench_postgres(url, tickets[: min(len(tickets), 20_000)], args.gets, args.repeat)
    else:
        print("\n(PostgreSQL skipped: set ITIL_L2_POSTGRES_URL)")


if __name__ == "__main__":
    main()
