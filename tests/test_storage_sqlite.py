"""The SQLite adapter's own promises: WAL, migrations on open, old rows upcast, verbatim SQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import CorruptHistory, Query, ValidationError
from itil_l2.errors import UnknownSchema
from itil_l2.storage import SqliteStore, Upcasters
from itil_l2.storage._sqlite_schema import SCHEMA_VERSION
from itil_l2.storage._sqlite_sql import time as stored_time
from itil_l2.testing import example_ticket


def stored(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.commit()
    return store


def test_database_is_in_wal_mode_with_a_schema_version(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    db = sqlite3.connect(tmp_path / "a.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT version FROM itil_schema").fetchall() == [(SCHEMA_VERSION,)]
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"itil_heads_state", "itil_heads_opened", "itil_heads_resolved"} <= indexes
    db.close()


def test_reopening_keeps_data_and_an_empty_schema_table_is_migrated(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    again = SqliteStore(tmp_path / "a.sqlite")
    with again.unit_of_work() as uow:
        assert uow.tickets.count() == 1
    again.close()
    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.execute("CREATE TABLE itil_schema (version INTEGER NOT NULL)")
    old.execute("INSERT INTO itil_schema VALUES (0)")
    old.commit()
    old.close()
    SqliteStore(tmp_path / "old.sqlite").close()
    assert sqlite3.connect(tmp_path / "old.sqlite").execute(
        "SELECT version FROM itil_schema"
    ).fetchall() == [(SCHEMA_VERSION,)]


def test_a_database_from_a_newer_library_is_refused(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    db = sqlite3.connect(tmp_path / "a.sqlite")
    db.execute("UPDATE itil_schema SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(UnknownSchema, match="99"):
        SqliteStore(tmp_path / "a.sqlite")


def test_events_are_append_only_in_the_database(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    db = sqlite3.connect(tmp_path / "a.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE itil_events SET data = '{}'")
    db.close()


def _make_old(path: Path) -> None:
    """Rewrite the stored opening event as schema 0 would have had it: `reporter`, not `caller`."""
    db = sqlite3.connect(path)
    (data,) = db.execute("SELECT data FROM itil_events WHERE version = 1").fetchone()
    event = json.loads(data)
    event["schema"] = 0
    event["payload"]["reporter"] = "ann"
    del event["payload"]["caller"]
    db.execute("DROP TRIGGER itil_events_append_only")  # a test forging history, not the library
    db.execute(
        "UPDATE itil_events SET schema = 0, data = ? WHERE version = 1", (json.dumps(event),)
    )
    # a release that wrote schema 0 stored no views
    db.execute(
        "UPDATE itil_heads SET assignee = NULL, caller = NULL, title_key = NULL, view = NULL"
    )
    db.commit()
    db.close()


def test_an_old_format_row_loads_through_an_upcaster(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    _make_old(tmp_path / "a.sqlite")

    def reporter_to_caller(data: dict[str, object]) -> dict[str, object]:
        payload = dict(data["payload"])  # type: ignore[call-overload]
        payload["caller"] = payload.pop("reporter")
        return {**data, "payload": payload}

    upcasters = Upcasters()
    upcasters.register("ticket", 0, reporter_to_caller)
    store = SqliteStore(tmp_path / "a.sqlite", upcasters=upcasters)
    with store.unit_of_work() as uow:
        ticket = uow.tickets.get("INC-EXAMPLE")
    assert ticket.caller == "ann"
    assert ticket.history[0].schema == 2  # upgraded in memory to the current format (0 → 1 → 2)
    assert ticket.history[1:] == example_ticket().history[1:]
    store.close()


def test_an_old_row_without_its_upcaster_is_a_clear_error(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    _make_old(tmp_path / "a.sqlite")
    store = SqliteStore(tmp_path / "a.sqlite")
    with store.unit_of_work() as uow, pytest.raises(UnknownSchema, match="schema 0"):
        uow.tickets.get("INC-EXAMPLE")
    store.close()


def test_a_corrupt_row_is_a_clear_error(tmp_path: Path) -> None:
    stored(tmp_path / "a.sqlite").close()
    db = sqlite3.connect(tmp_path / "a.sqlite")
    db.execute("DROP TRIGGER itil_events_append_only")
    db.execute("UPDATE itil_events SET data = '{\"ticket_id\": 5}' WHERE version = 2")
    db.commit()
    db.close()
    store = SqliteStore(tmp_path / "a.sqlite")
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match="INC-EXAMPLE"):
        uow.tickets.get("INC-EXAMPLE")
    store.close()


def test_bad_arguments_are_typed_errors(tmp_path: Path) -> None:
    store = stored(tmp_path / "a.sqlite")
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError):
            uow.tickets.find(Query(), batch_size=0).__next__()
        with pytest.raises(ValidationError):
            uow.tickets.add("not a ticket")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            uow.tickets.count("state = 'new'")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.unit_of_work(tenant="")
    with pytest.raises(ValidationError):
        Query(opened_from="2026-01-01")  # type: ignore[arg-type]
    store.close()


def _result(read: Callable[[Any], object], value: object) -> object:
    """What `read(value)` gives, or the type of the error it raises."""
    try:
        return read(value)
    except Exception as exc:  # the error's type is the result
        return type(exc)


def _by_timedelta(value: Any) -> object:
    """A stored time as the adapter read it before 0.2 (a timedelta per value)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(0, 0, value)


@settings(max_examples=400)
@given(
    st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.5, 1.5, 2.5, -0.5, True, False, "12", b"12", 10**30]),
    )
)
def test_a_stored_time_reads_as_it_always_did_whatever_the_column_holds(value: object) -> None:
    assert _result(stored_time, value) == _result(_by_timedelta, value)
