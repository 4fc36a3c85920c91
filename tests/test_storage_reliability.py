"""Storage under concurrency (threads and processes) and crashes: no lost update, no half write."""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from itil_l2 import SYSTEM, ConcurrencyError, StorageError
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import example_ticket
from test_storage_contract import postgres_url

IDS = ("INC-A", "INC-B", "INC-C")
LOOPS = 40


def seed(store: Store) -> None:
    from itil_l2.testing._tickets import fresh_ticket as _fresh

    with store.unit_of_work() as uow:
        for id in IDS:
            uow.tickets.add(_fresh(id))
        uow.commit()


def hammer(store: Store, worker: str, loops: int, seed_value: int) -> tuple[list[str], int]:
    """Add notes to random tickets; return the accepted notes and the number refused."""
    rng = random.Random(seed_value)
    accepted: list[str] = []
    refused = 0
    for n in range(loops):
        note = f"{worker}-{n}"
        with store.unit_of_work() as uow:
            ticket = uow.tickets.get(rng.choice(IDS))
            ticket.add_note(note, at=ticket.updated_at + timedelta(seconds=1), actor=SYSTEM)
            try:
                uow.tickets.save(ticket)
                uow.commit()
            except ConcurrencyError:
                refused += 1
                continue
        accepted.append(note)
    return accepted, refused


def stored_notes(store: Store) -> tuple[list[str], int]:
    """Every note in the stored histories, and the sum of the versions added by notes."""
    notes: list[str] = []
    added = 0
    with store.unit_of_work() as uow:
        for ticket in uow.tickets.find():
            notes += [e.payload.text for e in ticket.history if e.payload.TRIGGER == "add_note"]
            added += ticket.version - 3
    return notes, added


def check_no_lost_update(store: Store, results: list[tuple[list[str], int]], loops: int) -> None:
    accepted = [note for notes, _ in results for note in notes]
    refused = sum(r for _, r in results)
    notes, added = stored_notes(store)
    assert sorted(notes) == sorted(accepted)  # every accepted update is present, none extra
    assert added == len(accepted)  # the versions account for exactly the accepted updates
    assert len(accepted) + refused == loops * len(results)
    assert len(accepted) > 0
    print(f"accepted {len(accepted)}, refused {refused}")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        store = SqliteStore(tmp_path / "shared.sqlite")
        yield store
        store.close()
    else:
        engine = _fresh_postgres()
        yield SqlAlchemyStore(engine)
        engine.dispose()


def _fresh_postgres() -> Any:
    engine = create_engine(postgres_url(), pool_size=8)  # type: ignore[arg-type]
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return engine


def test_threads_never_lose_an_update(shared_store: Store) -> None:
    seed(shared_store)
    results: list[tuple[list[str], int]] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        outcome = hammer(shared_store, f"t{worker}", LOOPS, worker)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check_no_lost_update(shared_store, results, LOOPS)


def _process_sqlite(path: str, worker: int) -> tuple[list[str], int]:
    store = SqliteStore(path)
    try:
        return hammer(store, f"p{worker}", LOOPS, worker)
    finally:
        store.close()


def _process_postgres(url: str, worker: int) -> tuple[list[str], int]:
    engine = create_engine(url)
    try:
        return hammer(SqlAlchemyStore(engine), f"p{worker}", LOOPS, worker)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_processes_never_lose_an_update(database: str, tmp_path: Path) -> None:
    store: Store
    if database == "sqlite":
        target = str(tmp_path / "shared.sqlite")
        store = SqliteStore(target)
        run: Callable[..., tuple[list[str], int]] = _process_sqlite
    else:
        target = postgres_url()  # type: ignore[assignment]
        store = SqlAlchemyStore(_fresh_postgres())
        run = _process_postgres
    seed(store)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.starmap(run, [(target, n) for n in range(3)])
    check_no_lost_update(store, results, LOOPS)


def test_sqlite_crash_mid_unit_of_work_leaves_nothing_for_a_fresh_connection(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crash.sqlite"
    store = SqliteStore(path)
    seed(store)
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        for id in IDS[:2]:
            ticket = uow.tickets.get(id)
            ticket.add_note("half-way", at=ticket.updated_at + timedelta(1), actor=SYSTEM)
            uow.tickets.save(ticket)
        raise RuntimeError("crash")
    fresh = SqliteStore(path)  # a new connection pool sees only committed data
    notes, added = stored_notes(fresh)
    assert (notes, added) == ([], 0)
    fresh.close()
    store.close()


def test_postgres_crash_mid_unit_of_work_leaves_nothing_for_a_fresh_engine() -> None:
    engine = _fresh_postgres()
    store = SqlAlchemyStore(engine)
    seed(store)
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        for id in IDS:
            ticket = uow.tickets.get(id)
            ticket.add_note("half-way", at=ticket.updated_at + timedelta(1), actor=SYSTEM)
            uow.tickets.save(ticket)
        raise RuntimeError("crash")
    engine.dispose()
    fresh = create_engine(postgres_url())  # type: ignore[arg-type]
    with fresh.connect() as conn:
        versions = conn.execute(text("SELECT sum(version) FROM itil_heads")).scalar()
        events = conn.execute(text("SELECT count(*) FROM itil_events")).scalar()
    fresh.dispose()
    assert (versions, events) == (9, 9)


def test_example_ticket_is_what_the_seed_uses() -> None:
    # the no-lost-update arithmetic subtracts 3: a seeded ticket's version
    from itil_l2.testing._tickets import fresh_ticket as _fresh

    assert _fresh("INC-A").version == 3 == example_ticket().version


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_writer_that_waits_too_long_gets_a_typed_error(kind: str, tmp_path: Path) -> None:
    store: Store = (
        MemoryStore(timeout=0.2)
        if kind == "memory"
        else SqliteStore(tmp_path / "a.sqlite", timeout=0.2)
    )
    from itil_l2.testing._tickets import fresh_ticket as _fresh

    with store.unit_of_work() as first, store.unit_of_work() as second:
        first.tickets.add(_fresh("INC-1"))  # holds the write lock until it ends
        with pytest.raises(StorageError, match="writ"):
            second.tickets.add(_fresh("INC-2"))
        first.commit()
    with store.unit_of_work() as uow:
        assert [t.id for t in uow.tickets.find()] == ["INC-1"]
