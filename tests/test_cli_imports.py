"""Imports a database can vouch for: recorded runs, refused partial databases, resume, replace.

The crash story runs the real command and kills it (SIGKILL) at ten moments
drawn with a fixed seed over the import's duration: every time the partial
database is refused by `kpi`, `import --resume` completes it, and the stored
rows equal those of a clean import (so every KPI does too).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from itil_l2 import ItilL2Error, ValidationError
from itil_l2.cli import main
from itil_l2.errors import StorageError
from itil_l2.importers import import_into, simulate, write_xes
from itil_l2.storage import MemoryStore
from itil_l2.storage.sqlite import ImportLog, IncompleteImport, SqliteStore
from itil_l2.tickets import Ticket

CLI = [sys.executable, "-m", "itil_l2.cli"]
TICKETS = 2000  # two batches of the command's 1,000; about 1.5 s of importing
SHA = "ab" * 32


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itil-l2: error: "), err
    assert "Traceback" not in err
    return lines[0]


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row but the import log's, in key order (read without side files)."""
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()
            for table in ("itil_heads", "itil_events", "itil_cis")
        }
    finally:
        con.close()


def runs(db: Path) -> list[Any]:
    store = SqliteStore(db, read_only=True)
    try:
        return store.imports.runs()
    finally:
        store.close()


def start_import(export: Path, db: Path) -> subprocess.Popen[str]:
    """`itil-l2 import export --db db` running, once its run is recorded (polled read-only).

    SIGINT is reset to its default in the child: Ctrl-C must reach it even where this
    runner ignores SIGINT (no other thread runs meanwhile).
    """
    proc = subprocess.Popen(
        [*CLI, "import", str(export), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    wait_for_run(db, proc)
    return proc


def wait_for_run(db: Path, proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"the import ended first ({proc.returncode})")
        if db.exists():
            try:
                if runs(db):
                    return
            except ItilL2Error:
                pass  # not created, or not migrated yet
        time.sleep(0.02)
    raise AssertionError("no import run was recorded")


@dataclass(frozen=True)
class Clean:
    db: Path
    rows: dict[str, list[tuple[Any, ...]]]
    window: float  # seconds from the run's record to the command's exit


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "sim.xes"
    write_xes(simulate(TICKETS, seed=15), path)
    return path


@pytest.fixture(scope="module")
def clean(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    db = tmp_path_factory.mktemp("clean") / "clean.sqlite"
    proc = start_import(export, db)
    recorded = time.perf_counter()
    out, _ = proc.communicate(timeout=120)
    window = time.perf_counter() - recorded
    assert proc.returncode == 0
    assert f"import run 1 complete ({TICKETS:,} tickets written)" in out
    (record,) = runs(db)
    assert record.complete and record.tickets_written == TICKETS and record.attempts == 1
    assert record.source == str(export) and record.rows_read > TICKETS
    return Clean(db, rows(db), window)


# --- the library: ImportLog ----------------------------------------------------------------


def tickets(n: int, fail_after: int | None = None) -> Iterator[Ticket]:
    for i, ticket in enumerate(simulate(n, seed=3)):
        if i == fail_after:
            raise ValidationError("row 1234: a date that is not one")
        yield ticket


def test_a_run_is_incomplete_until_its_last_batch_commits(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.sqlite")
    record = store.imports.begin("x.xes", SHA, "opts")
    assert store.imports.unfinished() == record and record.status == "incomplete"
    store.imports.add(record, list(simulate(5, seed=3)), rows_read=40)
    assert store.imports.get(record.run).tickets_written == 5
    assert not store.imports.get(record.run).complete
    store.imports.add(record, [], rows_read=41, complete=True)
    done = store.imports.get(record.run)
    assert (done.status, done.rows_read, done.tickets_written) == ("complete", 41, 5)
    assert done.finished_at is not None and store.imports.unfinished() is None
    with pytest.raises(StorageError, match="no longer running"):
        store.imports.add(record, [], rows_read=41)
    store.close()


def test_a_failing_source_marks_the_run_failed_and_resume_skips_what_is_stored(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "a.sqlite")
    record = store.imports.begin("x.xes", SHA, "opts")
    with pytest.raises(ValidationError, match="row 1234"):
        import_into(store, tickets(25, fail_after=17), batch_size=5, record=record)
    failed = store.imports.get(record.run)
    assert failed.status == "failed" and "row 1234" in (failed.detail or "")
    assert failed.tickets_written == 15 and "failed: ValidationError" in failed.describe()
    with pytest.raises(IncompleteImport) as caught:
        store.imports.begin("y.xes", SHA, "opts")
    assert caught.value.record == failed
    with pytest.raises(StorageError, match="not this file"):
        store.imports.resume("cd" * 32, "opts")
    with pytest.raises(StorageError, match="ran with 'opts'"):
        store.imports.resume(SHA, "other")
    again = store.imports.resume(SHA, "opts")
    assert (again.status, again.attempts, again.detail) == ("incomplete", 2, None)
    import_into(store, tickets(25), batch_size=5, record=again)  # no AlreadyExists
    done = store.imports.get(record.run)
    assert done.complete and done.tickets_written == 25
    with store.unit_of_work() as uow:
        assert uow.tickets.count() == 25
    store.close()


def test_replace_empties_the_database_and_a_recorded_import_needs_sqlite(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.sqlite")
    record = store.imports.begin("x.xes", SHA, "opts")
    store.imports.add(record, list(simulate(7, seed=3)), rows_read=9)
    fresh = store.imports.begin("x.xes", SHA, "opts", replace=True)
    assert store.imports.runs() == [fresh] and store.imports.stored_ids() == set()
    assert store.imports.empty() is False  # a run is recorded
    with pytest.raises(ValidationError, match="writable SqliteStore"):
        import_into(MemoryStore(), simulate(2), record=fresh)
    with pytest.raises(ValidationError, match="tenant"):
        import_into(store, simulate(2), record=fresh, tenant="acme")
    store.close()
    with pytest.raises(StorageError, match="no unfinished import"):
        SqliteStore(tmp_path / "b.sqlite").imports.resume(SHA)


# --- the command line ----------------------------------------------------------------------


def interrupt_at_batch(monkeypatch: pytest.MonkeyPatch, batch: int, after: int = 0) -> None:
    """Ctrl-C in batch number `batch` (1-based) of a recorded import, after `after` tickets."""
    original = ImportLog.add
    calls = 0

    def add(self: ImportLog, record: Any, items: Iterable[Ticket], **kw: Any) -> int:
        nonlocal calls
        calls += 1
        if calls < batch:
            return original(self, record, items, **kw)

        def cut() -> Iterator[Ticket]:
            for i, ticket in enumerate(items):
                if i == after:
                    raise KeyboardInterrupt
                yield ticket

        return original(self, record, cut(), **kw)

    monkeypatch.setattr(ImportLog, "add", add)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("after", "stored"), [(0, 1000), (600, 1000)])
def test_an_interrupted_import_is_refused_until_it_is_resumed(
    export: Path,
    clean: Clean,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    after: int,
    stored: int,
) -> None:
    db = tmp_path / "t.sqlite"
    with monkeypatch.context() as patch:
        interrupt_at_batch(patch, 2, after)  # between batches, or 600 tickets into one
        code, _, err = cli(capsys, "import", export, "--db", db)
    assert code == 130 and "incomplete import: continue it with --resume" in one_line(err)
    (record,) = runs(db)
    assert (record.status, record.tickets_written) == ("incomplete", stored)
    assert len(rows(db)["itil_heads"]) == stored  # the cut batch left nothing behind

    for args in (["kpi"], ["kpi", "--stored-facts"], ["report", "-o", tmp_path / "r.html"]):
        code, out, err = cli(capsys, *args, "--db", db)
        line = one_line(err)
        assert code == 1 and out == "" and "IncompleteImport" in line
        assert f"is incomplete ({stored:,} tickets written" in line and "--resume" in line
        assert "--allow-incomplete" in line
    assert not (tmp_path / "r.html").exists()
    code, out, err = cli(capsys, "kpi", "--db", db, "--allow-incomplete", "--format", "json")
    assert code == 0 and json.loads(out)[0]["kpis"]["resolution_rate"]["n"] > 0
    assert "warning" in err and "incomplete" in err

    code, _, err = cli(capsys, "import", export, "--db", db)
    assert code == 2 and "add --resume to continue it, or --replace" in one_line(err)
    code, out, _ = cli(capsys, "import", export, "--db", db, "--resume")
    assert code == 0 and f"import run 1 complete ({TICKETS:,} tickets written, attempt 2)" in out
    assert rows(db) == clean.rows
    code, out, _ = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0 and out == cli(capsys, "kpi", "--db", clean.db, "--format", "json")[1]


def test_a_failed_import_stays_refused_and_replace_starts_over(
    export: Path, clean: Clean, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.xes"
    cut.write_bytes(export.read_bytes()[: export.stat().st_size * 4 // 5])
    db = tmp_path / "t.sqlite"
    code, _, err = cli(capsys, "import", cut, "--db", db)
    assert code == 1 and "MalformedExport" in one_line(err)
    (record,) = runs(db)
    assert record.status == "failed" and "MalformedExport" in (record.detail or "")
    assert record.tickets_written == 1000
    code, _, err = cli(capsys, "kpi", "--db", db)
    assert code == 1 and "is failed: MalformedExport" in one_line(err)

    code, _, err = cli(capsys, "import", export, "--db", db, "--resume")  # not the same file
    assert code == 2 and "sha256" in one_line(err) and "--replace" in err
    code, _, err = cli(capsys, "import", cut, "--db", db, "--resume", "--policy", "skip")
    assert code == 2 and "policy=lenient" in one_line(err)
    code, _, err = cli(capsys, "import", cut, "--db", db, "--resume")  # fails the same way
    assert code == 1 and runs(db)[0].status == "failed" and runs(db)[0].attempts == 2

    code, out, _ = cli(capsys, "import", export, "--db", db, "--replace")
    assert code == 0 and "import run 1 complete" in out
    assert rows(db) == clean.rows and len(runs(db)) == 1


def test_existing_databases_are_refused_unless_the_import_says_what_to_do(
    export: Path, clean: Clean, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.sqlite"
    db.write_bytes(clean.db.read_bytes())
    code, _, err = cli(capsys, "import", export, "--db", db)
    assert code == 2 and "exists" in one_line(err) and "--replace" in err
    code, _, err = cli(capsys, "import", export, "--db", db, "--resume")
    assert code == 2 and "no unfinished import to resume" in one_line(err)
    other = tmp_path / "crm.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    before = other.read_bytes()
    for flag in ([], ["--replace"], ["--resume"]):
        code, _, err = cli(capsys, "import", export, "--db", other, *flag)
        assert code == 1 and "not an itil-l2 database" in one_line(err)
    assert other.read_bytes() == before and sorted(tmp_path.iterdir()) == [db, other]


@pytest.mark.parametrize("flag", [[], ["--resume"], ["--replace"]])
def test_a_missing_export_creates_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: list[str]
) -> None:
    db = tmp_path / "new.sqlite"
    code, _, err = cli(capsys, "import", tmp_path / "missing.csv", "--db", db, *flag)
    assert code == 2 and "export not found" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_option_creates_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], export: Path
) -> None:
    db = tmp_path / "new.sqlite"
    code, _, err = cli(capsys, "import", export, "--db", db, "--tier-map", tmp_path / "no.toml")
    assert code == 1 and "no.toml" in one_line(err)  # an unreadable file: 1, as before
    bad_zone = ("--format", "servicenow", "--tz", "Mars/Olympus")
    code, _, err = cli(capsys, "import", export, "--db", db, *bad_zone)
    assert code == 2 and "--tz" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_resume_and_replace_need_a_database_and_exclude_each_other(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "import", export, "--resume")
    assert code == 2 and "--resume needs --db" in one_line(err)
    code, _, err = cli(capsys, "import", export, "--db", "x.sqlite", "--resume", "--replace")
    assert code == 2 and "not allowed" in one_line(err)


def test_a_file_an_import_killed_at_its_start_left_counts_as_new(
    export: Path, clean: Clean, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, flag in (("zero.sqlite", []), ("blank.sqlite", ["--resume"])):
        db = tmp_path / name
        if name == "zero.sqlite":
            db.touch()  # created, killed before SQLite wrote its header
        else:
            con = sqlite3.connect(db)
            con.execute("PRAGMA journal_mode = WAL")  # a header, killed before the schema
            con.close()
        code, out, _ = cli(capsys, "import", export, "--db", db, *flag)
        assert code == 0 and "import run 1 complete" in out
        assert rows(db) == clean.rows


def test_ctrl_c_during_an_import_leaves_it_incomplete_with_a_one_line_hint(
    export: Path, clean: Clean, tmp_path: Path
) -> None:
    db = tmp_path / "int.sqlite"
    proc = start_import(export, db)
    time.sleep(0.3 * clean.window)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and out == ""
    assert one_line(err) == (
        f"itil-l2: error: interrupted: {db} holds an incomplete import: continue it with --resume"
    )
    (record,) = runs(db)
    assert record.status == "incomplete"


# --- the crash story -----------------------------------------------------------------------


def test_kill_9_at_ten_random_moments_then_resume_equals_a_clean_import(
    export: Path, clean: Clean, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(15)
    landed: list[tuple[float, int]] = []  # (moment as a share of the import, tickets stored)
    for attempt in range(25):
        if len(landed) == 10:
            break
        db = tmp_path / f"crash{attempt}.sqlite"
        proc = start_import(export, db)
        try:
            share = rng.uniform(0.0, 0.8)
            time.sleep(min(share * clean.window, 30.0))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.communicate(timeout=120)
        (record,) = runs(db)
        if proc.returncode != -signal.SIGKILL or record.complete:
            continue  # the moment fell after the last commit: draw another
        landed.append((round(share, 2), record.tickets_written))

        code, out, err = cli(capsys, "kpi", "--db", db)
        assert code == 1 and out == "" and "is incomplete" in one_line(err)
        resumed = run("import", export, "--db", db, "--resume")
        assert resumed.returncode == 0, resumed.stderr
        assert f"({TICKETS:,} tickets written, attempt 2)" in resumed.stdout
        assert rows(db) == clean.rows
    assert len(landed) == 10
    code, out, _ = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0 and out == cli(capsys, "kpi", "--db", clean.db, "--format", "json")[1]
    print(f"{attempt + 1} draws; kill -9 moments (share of the import, tickets stored): {landed}")
