"""Opening an SQLite file read-only without writing a byte, not even a `-wal` or `-shm` file.

`mode=ro` alone is not enough for a WAL database (every itil-l2 database is
one): SQLite then creates the `-wal` and `-shm` files beside it and leaves
them behind, and on a read-only directory it cannot open the file at all.
So the file's own header decides:

- not SQLite (no header magic): refused before SQLite ever sees the file;
- a rollback-journal database, or a WAL database whose `-wal` file exists
  (a connection has it open, or a writer died): `mode=ro`, with SQLite's
  own locking; the files SQLite coordinates through already exist;
- a WAL database without a `-wal` file, or with an empty one and no `-shm`
  (left behind, e.g. copied with the file: it holds no commit, and an open
  connection would have its `-shm`): every commit is in the main file, so
  it is opened `mode=ro&immutable=1` (no locks, no side files).
  `Snapshot.check` then verifies after every read that it is still so (no
  `-wal` with content and no `-shm` appeared, the file's size, time and
  inode are unchanged): a writer that arrived meanwhile makes the read fail
  with a `StorageError` instead of answering from a file that changed under
  it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

from itil_l2.errors import StorageError
from itil_l2.storage._sqlite_schema import NotAnItilDatabase

__all__ = ["Snapshot", "read_only_uri"]

_MAGIC = b"SQLite format 3\x00"
_WAL = 2  # header bytes 18 and 19: the file format version, 2 for WAL


def _stat(path: str) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


@dataclass(frozen=True)
class Snapshot:
    """A WAL database opened as immutable: the state it must keep while it is read."""

    path: str
    stat: tuple[int, int, int, int]

    def check(self) -> None:
        """Raise `StorageError` when the file is no longer the one that was opened."""
        try:
            same = _idle(self.path) and _stat(self.path) == self.stat
        except OSError:
            same = False
        if not same:
            raise StorageError(
                f"{self.path}: the database was written while it was read read-only; read it again"
            )


def read_only_uri(path: str) -> tuple[str, Snapshot | None]:
    """The `file:` URI to open `path` read-only with, and the snapshot to check (if immutable).

    Reads the first 100 bytes of the file and nothing else; a missing file, a
    directory or a file that is not SQLite is refused here.
    """
    try:
        stat = _stat(path)
        with open(path, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        raise StorageError(f"{path}: no such database file") from None
    except OSError as exc:
        raise StorageError(f"cannot open SQLite database {path!r}: {exc.strerror}") from None
    if not header:
        raise NotAnItilDatabase(f"{path}: not an itil-l2 database (an empty file)", empty=True)
    if not header.startswith(_MAGIC) or len(header) < 100:
        raise NotAnItilDatabase(f"{path}: not a database (no SQLite header)")
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro"
    if header[18] == _WAL and header[19] == _WAL and _idle(path):
        return f"{uri}&immutable=1", Snapshot(path, stat)
    return uri, None


def _idle(path: str) -> bool:
    """No connection has the WAL database open, and no commit waits in a `-wal` file."""
    try:
        wal = os.stat(path + "-wal").st_size
    except FileNotFoundError:
        return True
    return wal == 0 and not os.path.exists(path + "-shm")
