"""`SqliteStore(path, read_only=True)`: reads an itil-l2 database and writes nothing, anywhere.

"Nothing" is checked on the file's bytes, its modification time and the
directory listing (no `-wal` or `-shm` file appears). The read-only
directory test drops the capability that lets root ignore file modes
(CAP_DAC_OVERRIDE), so chmod binds even when the suite runs as root.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from itil_l2 import SYSTEM, ValidationError
from itil_l2.errors import StorageError, UnknownSchema
from itil_l2.importers import simulate
from itil_l2.storage.sqlite import NotAnItilDatabase, SqliteStore
from itil_l2.testing import example_ticket

FIXTURE = Path(__file__).parent / "fixtures" / "v0_1_0" / "store.sqlite"


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of `folder`: its SHA-256 and modification time (ns)."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def itil_db(folder: Path, n: int = 30) -> Path:
    path = folder / "helpdesk.sqlite"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        for ticket in simulate(n, seed=5):
            uow.tickets.add(ticket)
        uow.commit()
    store.close()
    assert sorted(p.name for p in folder.iterdir()) == ["helpdesk.sqlite"]
    return path


def read_all(path: Path) -> int:
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            found = list(uow.tickets.find(batch_size=7))
            assert uow.tickets.count() == len(found)
            if found:
                assert uow.tickets.get(found[-1].id).id == found[-1].id
        assert store.imports.runs() == [] and store.imports.unfinished() is None
        return len(found)
    finally:
        store.close()


def test_reading_an_itil_database_changes_no_byte_and_adds_no_file(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    before = fingerprint(tmp_path)
    assert read_all(path) == 30
    assert read_all(path) == 30  # twice: nothing left behind that the second opening trips on
    assert fingerprint(tmp_path) == before


def test_a_write_through_a_read_only_store_is_a_storage_error(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    before = fingerprint(tmp_path)
    store = SqliteStore(path, read_only=True)
    assert store.read_only
    with store.unit_of_work() as uow:
        ticket = uow.tickets.get("SIM-000001")
        with pytest.raises(StorageError, match="read-only"):
            uow.tickets.add(example_ticket())
        ticket.add_note("n", at=ticket.updated_at, actor=SYSTEM)
        with pytest.raises(StorageError, match="read-only"):
            uow.tickets.save(ticket)
    with pytest.raises(StorageError, match="read-only"):
        store.imports.begin("x.csv", "0" * 64)
    store.close()
    assert fingerprint(tmp_path) == before


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_applications_sqlite_file_is_refused_untouched(
    tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "crm.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers (name) VALUES ('ACME')")
    db.commit()
    db.close()
    before = fingerprint(tmp_path)
    with pytest.raises(NotAnItilDatabase, match="not an itil-l2 database") as caught:
        SqliteStore(path, read_only=True)
    assert not caught.value.empty
    assert fingerprint(tmp_path) == before


@pytest.mark.parametrize(
    ("content", "empty", "needle"),
    [
        (b"", True, "empty file"),
        (b"PK\x03\x04 a zip, say" * 20, False, "not a database"),
        (b"SQLite format 3\x00 but cut short", False, "not a database"),
    ],
)
def test_a_file_that_is_not_sqlite_is_refused_untouched(
    tmp_path: Path, content: bytes, empty: bool, needle: str
) -> None:
    path = tmp_path / "x.sqlite"
    path.write_bytes(content)
    before = fingerprint(tmp_path)
    with pytest.raises(NotAnItilDatabase, match=needle) as caught:
        SqliteStore(path, read_only=True)
    assert caught.value.empty is empty
    assert fingerprint(tmp_path) == before


def test_an_sqlite_file_without_tables_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")  # a header, no table
    db.close()
    with pytest.raises(NotAnItilDatabase) as caught:
        SqliteStore(path, read_only=True)
    assert caught.value.empty


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no such database file"):
        SqliteStore(tmp_path / "nope.sqlite", read_only=True)
    with pytest.raises(StorageError, match="cannot open"):
        SqliteStore(tmp_path, read_only=True)  # a directory
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValidationError, match="memory"):
        SqliteStore(":memory:", read_only=True)


def _set_schema(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    db.execute("UPDATE itil_schema SET version = ?", (version,))
    db.commit()
    db.close()


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    _set_schema(path, 99)
    before = fingerprint(tmp_path)
    with pytest.raises(UnknownSchema, match="99"):
        SqliteStore(path, read_only=True)
    assert fingerprint(tmp_path) == before


def test_an_older_schema_is_read_as_it_is_never_migrated(tmp_path: Path) -> None:
    """0.1.0 wrote schema 1 (no CI index, no import log): readable, and left at 1."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(FIXTURE, path)
    before = fingerprint(tmp_path)
    assert read_all(path) > 0
    assert fingerprint(tmp_path) == before
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    assert db.execute("SELECT version FROM itil_schema").fetchone() == (1,)
    db.close()


def test_a_schema_too_old_to_read_says_to_open_it_writable_once(tmp_path: Path) -> None:
    path = tmp_path / "zero.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE itil_schema (version INTEGER NOT NULL)")
    db.execute("INSERT INTO itil_schema VALUES (0)")
    db.commit()
    db.close()
    before = fingerprint(tmp_path)
    with pytest.raises(StorageError, match="open it writable once"):
        SqliteStore(path, read_only=True)
    assert fingerprint(tmp_path) == before
    SqliteStore(path).close()  # which migrates it
    assert read_all(path) == 0


def test_a_writer_arriving_during_a_read_is_detected(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    reader = SqliteStore(path, read_only=True)
    with reader.unit_of_work() as uow:
        assert uow.tickets.count() == 30
    writer = SqliteStore(path)  # opens it: the -wal file appears, the schema row is rewritten
    _refused_after(writer, reader)


def _refused_after(writer: SqliteStore, reader: SqliteStore, *, add: bool = False) -> None:
    """The reader's next read is refused: `writer` opened (and with `add` wrote) meanwhile."""
    try:
        if add:
            with writer.unit_of_work() as uow:
                uow.tickets.add(example_ticket())
                uow.commit()
        with (
            reader.unit_of_work() as uow,
            pytest.raises(StorageError, match="written while it was read"),
        ):
            uow.tickets.count()
    finally:
        writer.close()
        reader.close()


def test_a_database_a_writer_has_open_is_read_without_touching_it(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    writer = SqliteStore(path)
    with writer.unit_of_work() as uow:
        uow.tickets.add(example_ticket())  # committed into the -wal file only
        uow.commit()
    main = hashlib.sha256(path.read_bytes()).hexdigest()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert read_all(path) == 31  # the WAL's commit is seen
    assert hashlib.sha256(path.read_bytes()).hexdigest() == main
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    writer.close()


def test_an_empty_wal_file_left_beside_the_database_adds_no_shm_file(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    Path(f"{path}-wal").write_bytes(b"")  # left behind, or copied with the file
    before = fingerprint(tmp_path)
    assert read_all(path) == 30
    assert fingerprint(tmp_path) == before
    reader = SqliteStore(path, read_only=True)  # immutable: nothing waits in the -wal
    with reader.unit_of_work() as uow:
        assert uow.tickets.count() == 30
    _refused_after(SqliteStore(path), reader, add=True)  # a writer arriving is still detected


def test_a_wal_file_with_commits_but_no_shm_is_read_commits_included(tmp_path: Path) -> None:
    path = itil_db(tmp_path)
    writer = SqliteStore(path)
    with writer.unit_of_work() as uow:
        uow.tickets.add(example_ticket())  # committed into the -wal file only
        uow.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for suffix in ("", "-wal"):  # a copy that missed the -shm (or a writer killed)
        shutil.copyfile(f"{path}{suffix}", copy / f"{path.name}{suffix}")
    writer.close()
    before = fingerprint(copy)
    assert read_all(copy / path.name) == 31  # the -wal's commit is read
    after = fingerprint(copy)
    assert {name: after[name] for name in before} == before  # database and -wal not written
    assert set(after) - set(before) <= {f"{path.name}-shm"}  # SQLite's rebuilt index only


# --- a read-only directory and file --------------------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _without_root_override() -> None:  # runs in the child, before exec
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_unprivileged(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a Python whose file modes bind (root without its override capability)."""
    preexec = _without_root_override if os.geteuid() == 0 else None
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=preexec,  # the test runs no other thread meanwhile
    )


@pytest.fixture
def locked_folder() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree (a child must reach it), made read-only."""
    folder = Path(tempfile.mkdtemp(prefix="itil-ro-"))
    try:
        yield folder
    finally:
        folder.chmod(stat.S_IRWXU)
        for p in folder.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IWUSR)
        shutil.rmtree(folder)


def test_a_database_on_a_read_only_folder_can_be_read(locked_folder: Path) -> None:
    path = itil_db(locked_folder)
    path.chmod(0o444)
    locked_folder.chmod(0o555)
    before = fingerprint(locked_folder)
    probe = _as_unprivileged(f"open({str(locked_folder / 'probe')!r}, 'w')")
    if probe.returncode == 0:
        pytest.skip("file modes do not bind here (root with CAP_DAC_OVERRIDE kept)")
    assert "Permission denied" in probe.stderr
    read = _as_unprivileged(
        "from itil_l2.storage.sqlite import SqliteStore\n"
        f"store = SqliteStore({str(path)!r}, read_only=True)\n"
        "with store.unit_of_work() as uow: print(uow.tickets.count())\n"
        "# and a writable opening is refused by the operating system\n"
        "try:\n"
        f"    SqliteStore({str(path)!r})\n"
        "except Exception as exc: print(type(exc).__name__)\n"
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["30", "StorageError"]
    assert fingerprint(locked_folder) == before
