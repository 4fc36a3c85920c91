"""The notification log survives a crash and stays gap-free under concurrent writers.

The contract suite (`itil_l2.testing.StoreContract`) checks positions, pages,
rollbacks, tenants and a simulated crash on every adapter. Here the crash is
real: a child process commits and is killed with SIGKILL before `on_commit`
can run; a new process finds every committed event by position. And several
threads write one tenant at once: positions stay 1..n, each unit of work's
events together, in commit order.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from itil_l2.storage import SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from support import working_ticket
from test_storage_contract import postgres_url

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from support import working_ticket
    {opener}

    def die(_events):
        os.kill(os.getpid(), signal.SIGKILL)  # after the commit, before any notification

    store = open_store(on_commit=die)
    with store.unit_of_work() as uow:
        uow.tickets.add(working_ticket(sys.argv[1]))
        uow.commit()
    print("not killed")
    """
)
KINDS = ["open", "assign", "start"]


def _sqlite(tmp_path: Path) -> tuple[str, Callable[[], Store]]:
    path = tmp_path / "outbox.sqlite"
    opener = (
        "from itil_l2.storage import SqliteStore\n"
        f"open_store = lambda **kw: SqliteStore({str(path)!r}, **kw)"
    )
    return opener, lambda: SqliteStore(path)


def _postgres(_tmp_path: Path) -> tuple[str, Callable[[], Store]]:
    url = postgres_url()
    engine = create_engine(url)  # type: ignore[arg-type]
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()
    opener = (
        "from sqlalchemy import create_engine\n"
        "from itil_l2.storage.sqlalchemy import SqlAlchemyStore\n"
        f"open_store = lambda **kw: SqlAlchemyStore(create_engine({url!r}), **kw)"
    )
    return opener, lambda: SqlAlchemyStore(create_engine(url))  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Callable[[], Store]]:
    return {"sqlite": _sqlite, "postgres": _postgres}[request.param](tmp_path)


def test_events_committed_by_a_killed_process_are_found_by_position(
    backend: tuple[str, Callable[[], Store]], tmp_path: Path
) -> None:
    opener, reopen = backend
    script = tmp_path / "child.py"
    tests = str(Path(__file__).parent)
    script.write_text(CHILD.format(opener=opener, tests=tests), encoding="utf-8")
    acknowledged, seen = 0, []
    for n in range(5):
        child = subprocess.run(
            [sys.executable, str(script), f"INC-{n}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == -9, child.stderr  # killed by SIGKILL, never got past commit
        store = reopen()  # the notifier, restarted
        fresh = store.events_since(acknowledged)
        store.close()
        assert [x.position for x in fresh] == list(range(acknowledged + 1, acknowledged + 4))
        assert {x.id for x in fresh} == {f"INC-{n}"}
        assert [x.event.kind for x in fresh] == KINDS
        seen += fresh
        acknowledged = fresh[-1].position
    assert [x.position for x in seen] == list(range(1, 16))


def test_concurrent_writers_of_one_tenant_get_gap_free_positions_in_commit_order(
    backend: tuple[str, Callable[[], Store]],
) -> None:
    _opener, reopen = backend
    store = reopen()
    committed: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def on_commit(events: tuple[Any, ...]) -> None:
        with lock:
            committed.append(events)

    store.on_commit = on_commit

    def write(worker: int) -> None:
        for n in range(10):
            with store.unit_of_work("acme") as uow:
                uow.tickets.add(working_ticket(f"INC-{worker}-{n}"))
                uow.commit()

    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        """A notifier polling meanwhile: never a gap (events_since raises on one)."""
        while not done.is_set():
            seen.append(len(store.events_since(0, limit=10_000, tenant="acme")))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    reader = threading.Thread(target=read)
    for t in [*threads, reader]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert seen == sorted(seen) and all(n % 3 == 0 for n in seen)  # whole units of work
    log = store.events_since(0, limit=10_000, tenant="acme")
    store.close()
    assert [x.position for x in log] == list(range(1, 4 * 10 * 3 + 1))
    batches = [log[i : i + 3] for i in range(0, len(log), 3)]  # each unit of work: 3 events
    assert all(len({x.id for x in batch}) == 1 for batch in batches)
    expected = sorted(f"INC-{w}-{n}" for w in range(4) for n in range(10))
    assert sorted(b[0].id for b in batches) == expected


def test_a_unit_of_work_larger_than_its_buffer_writes_every_row_once_in_order(
    backend: tuple[str, Callable[[], Store]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are held and written in batches: a small threshold makes a batch end mid-way."""
    from itil_l2.storage import _sqlalchemy_log, _sqlite_log

    monkeypatch.setattr(_sqlite_log, "FLUSH_AT", 7)
    monkeypatch.setattr(_sqlalchemy_log, "FLUSH_AT", 7)
    _opener, reopen = backend
    store = reopen()
    with store.unit_of_work() as uow:
        for n in range(10):
            uow.tickets.add(working_ticket(f"INC-{n}"))
        assert uow.tickets.count() == 10
        uow.commit()
    log = store.events_since(0, limit=1_000)
    with store.unit_of_work() as uow:
        versions = [t.version for t in uow.tickets.find()]
    store.close()
    assert [x.position for x in log] == list(range(1, 31))
    assert [x.id for x in log] == [f"INC-{n}" for n in range(10) for _ in range(3)]
    assert [x.event.kind for x in log] == KINDS * 10
    assert versions == [3] * 10
