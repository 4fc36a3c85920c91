"""Helpers of the adversarial tests: the command line in-process, SQL on a file, threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from itil_l2.cli import main


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `main`; any exception escaping it (a traceback) fails the test with its type."""
    try:
        code = main([str(a) for a in args])
    except Exception as exc:  # the promise is: never a traceback
        capsys.readouterr()
        pytest.fail(f"a traceback instead of a one-line error: {type(exc).__name__}: {exc}")
    out, err = capsys.readouterr()
    return code, out, err


def run_sql(db: Path, *statements: str) -> None:
    """Run `statements` on the SQLite file `db` (a test editing rows by hand), committed."""
    con = sqlite3.connect(db)
    try:
        for s in statements:
            con.execute(s)
        con.commit()
    finally:
        con.close()


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
