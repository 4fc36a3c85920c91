"""Helpers of the adversarial tests: the command line in-process, hand edits of a store file,
threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from itil_l2.cli import main
from itil_l2.storage import SqliteStore
from itil_l2.testing import example_ticket


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `main`; any exception escaping it (a traceback) fails the test with its type."""
    try:
        code = main([str(a) for a in args])
    except Exception as exc:  # the promise is: never a traceback
        capsys.readouterr()
        pytest.fail(f"a traceback instead of a one-line error: {type(exc).__name__}: {exc}")
    out, err = capsys.readouterr()
    return code, out, err


UNGUARDED = "DROP TRIGGER itil_events_append_only"
"""The statement that lets a test edit stored events (append-only for the library)."""


def run_sql(db: Path, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Run `statements` (text, or (text, parameters)) on the SQLite file `db`, committed.

    A test editing rows by hand, as an attacker or a bad disk would.
    """
    con = sqlite3.connect(db)
    try:
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def example_store(path: Path) -> Path:
    """A SQLite store file at `path` holding `example_ticket()` ("INC-EXAMPLE")."""
    store = SqliteStore(path)
    try:
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
    finally:
        store.close()
    return path


def in_threads(work: Callable[[], None], threads: int) -> list[str]:
    """Run `work` in `threads` threads started together; the failures they raised."""
    failures: list[str] = []
    barrier = threading.Barrier(threads)

    def run() -> None:
        try:
            barrier.wait()
            work()
        except Exception as exc:  # collected: the test asserts there are none
            failures.append(repr(exc))

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return failures
