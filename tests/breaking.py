"""Helpers of the adversarial tests: the command line run in-process, SQL run on a file."""

from __future__ import annotations

import sqlite3
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
