"""Rows edited in the database never load: each adapter's own tables, tampered with raw SQL.

The head row (version and the facts queries filter on) and the event rows
are checked against each other on every load: a deleted last event is a
truncated history (never an older version), a head edited to match a query
is an error (never a silent result), and a row that does not decode is
`CorruptHistory` naming the aggregate and the event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, create_engine, text

from itil_l2 import CorruptHistory, NotFound, Query, ValidationError
from itil_l2.errors import UnknownSchema
from itil_l2.storage import KINDS, UPCASTERS, EventRow, SqliteStore, Store, Stream
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import example_known_error, example_ticket, example_training_session
from itil_l2.testing._storage_checks import store_varied
from itil_l2.tickets import Ticket
from test_storage_contract import postgres_url

Tamper = Callable[..., None]
"""Runs one SQL statement (with :named parameters) on the store's database, committed."""

KEY = "kind = 'ticket' AND tenant = '' AND id = :id"
QUEUED = "INC-03"  # store_varied's escalated ticket: queued at L2, one CI


def _runner(engine: Engine) -> Tamper:
    def run(sql: str, **params: Any) -> None:
        with engine.begin() as conn:
            conn.execute(text(sql), params)

    return run


@pytest.fixture(params=["sqlite", "sqlalchemy-sqlite", "postgres"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Tamper]]:
    """A store holding `store_varied`'s tickets, and raw SQL on its database."""
    store: Store
    if request.param == "sqlite":
        path = tmp_path / "tampered.sqlite"
        store = SqliteStore(path)
        engine = create_engine(f"sqlite:///{path}")
    else:
        url = f"sqlite:///{tmp_path / 'sa.sqlite'}" if request.param != "postgres" else None
        engine = create_engine(url or postgres_url())  # type: ignore[arg-type]
        metadata.drop_all(engine)
        metadata.create_all(engine)
        store = SqlAlchemyStore(engine)
    store_varied(store)
    yield store, _runner(engine)
    store.close()
    engine.dispose()


def _get(store: Store, id: str) -> Ticket:
    with store.unit_of_work() as uow:
        return uow.tickets.get(id)


def test_the_untouched_store_loads(adapter: tuple[Store, Tamper]) -> None:
    store, _ = adapter
    with store.unit_of_work() as uow:
        assert len(list(uow.tickets.find())) == 12
        assert _get(store, QUEUED).phase.value == "queued"


def test_a_deleted_last_event_is_a_truncated_history(adapter: tuple[Store, Tamper]) -> None:
    store, tamper = adapter
    tamper(f"DELETE FROM itil_events WHERE {KEY} AND version = 4", id=QUEUED)
    with pytest.raises(CorruptHistory, match=rf"{QUEUED}.*version 4, 3 events.*4\.\. are missing"):
        _get(store, QUEUED)  # never the older version 3
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match=QUEUED):
        list(uow.tickets.find(Query(state="queued")))


def test_a_deleted_middle_event_is_named(adapter: tuple[Store, Tamper]) -> None:
    store, tamper = adapter
    tamper(f"DELETE FROM itil_events WHERE {KEY} AND version = 2", id=QUEUED)
    with pytest.raises(CorruptHistory, match=rf"{QUEUED}.*event 2 is missing"):
        _get(store, QUEUED)


def test_a_head_edited_to_match_a_query_is_an_error_not_a_result(
    adapter: tuple[Store, Tamper],
) -> None:
    store, tamper = adapter
    tamper(f"UPDATE itil_heads SET state = 'closed' WHERE {KEY}", id=QUEUED)
    with store.unit_of_work() as uow:
        with pytest.raises(
            CorruptHistory, match=rf"{QUEUED}.*state is 'closed'.*'queued' replayed"
        ):
            list(uow.tickets.find(Query(state="closed")))
        assert [t.id for t in uow.tickets.find(Query(state="in_progress"))] == [
            "INC-00",
            "INC-01",
            "INC-08",
            "INC-09",
        ]
    with pytest.raises(CorruptHistory, match=QUEUED):
        _get(store, QUEUED)


def test_a_bumped_head_version_is_corrupt(adapter: tuple[Store, Tamper]) -> None:
    store, tamper = adapter
    tamper(f"UPDATE itil_heads SET version = version + 1 WHERE {KEY}", id=QUEUED)
    with pytest.raises(CorruptHistory, match=rf"{QUEUED}.*version 5, 4 events.*5\.\. are missing"):
        _get(store, QUEUED)


def test_edited_facts_and_cis_are_named(adapter: tuple[Store, Tamper]) -> None:
    store, tamper = adapter
    tamper(f"UPDATE itil_heads SET priority = priority + 1, grp = 'x' WHERE {KEY}", id="INC-00")
    with pytest.raises(
        CorruptHistory, match=r"INC-00.*group is 'x'.*priority is 2 in the head, 1 replayed"
    ):
        _get(store, "INC-00")
    tamper(
        "INSERT INTO itil_cis (kind, tenant, ci, id) VALUES ('ticket', '', 'ghost', :id)", id=QUEUED
    )
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match=rf"{QUEUED}.*ci_refs"):
        list(uow.tickets.find(Query(ci="ghost")))
    tamper(f"DELETE FROM itil_cis WHERE {KEY}", id="INC-01")
    with pytest.raises(CorruptHistory, match=r"INC-01.*ci_refs is \[\] in the head"):
        _get(store, "INC-01")


def test_a_head_without_events_is_corrupt_and_events_without_a_head_are_not_found(
    adapter: tuple[Store, Tamper],
) -> None:
    store, tamper = adapter
    tamper(f"DELETE FROM itil_events WHERE {KEY}", id=QUEUED)
    with pytest.raises(CorruptHistory, match=rf"{QUEUED}.*version 4, 0 events"):
        _get(store, QUEUED)
    tamper(f"DELETE FROM itil_heads WHERE {KEY}", id="INC-00")
    with pytest.raises(NotFound):
        _get(store, "INC-00")
    with store.unit_of_work() as uow:
        assert "INC-00" not in [t.id for t in uow.tickets.find(Query(state="in_progress"))]


def test_the_sqlite_file_gets_the_cis_index(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "a.sqlite").close()
    engine = create_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    engine.dispose()
    assert "itil_cis_id" in names


# -- decoding: every failure typed, naming the aggregate and the event ----------------


def _stream(ticket: Ticket, **edit: Callable[[dict[str, Any]], Any]) -> Stream:
    """The rows of `ticket`, with event `n`'s JSON replaced by `edit[f"e{n}"](json)`."""
    head, rows = KINDS["ticket"].encode(ticket, ticket.history)
    changed = []
    for row in rows:
        fix = edit.get(f"e{row.version}")
        data = row.data if fix is None else fix(json.loads(row.data))
        text_ = data if isinstance(data, str) else json.dumps(data)
        changed.append(EventRow(row.version, row.schema, row.at, row.type, text_))
    return Stream(head, tuple(changed))


def _payload(**fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {**data, "payload": {**data["payload"], **fields}}


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    ("edit", "cause"),
    [
        (lambda d: "{not json", ValueError),
        (lambda d: [1, 2], ValidationError),
        (lambda d: {**d, "payload": {"type": "no-such-trigger"}}, ValidationError),
        (lambda d: {**d, "payload": "open"}, ValidationError),
        (lambda d: {**d, "at": "yesterday"}, ValueError),
        (lambda d: {**d, "at": "2026-01-05T09:00:00"}, ValidationError),  # no offset
        (lambda d: {**d, "at": 1767603600}, ValidationError),
        (lambda d: {**d, "version": "1"}, ValidationError),
        (lambda d: {**d, "version": True}, ValidationError),
        (lambda d: {**d, "entity_id": None}, ValidationError),
        (_without("actor_id"), KeyError),
        (_payload(title=5), ValidationError),
        (_payload(caller=["ann"]), ValidationError),
        (_payload(priority="P2"), ValidationError),
        (_payload(priority=True), ValidationError),  # a bool is not the whole number 1
        (_payload(impact="huge"), ValidationError),
        (_payload(major_incident=0), ValidationError),
        (_payload(ci_refs="db-1"), ValidationError),
        (_payload(ci_refs=[1]), ValidationError),
        (_payload(attributes=[]), ValidationError),
        (
            _payload(owner_group={"name": "desk", "tier": "L9", "specialisations": []}),
            ValidationError,
        ),
        (_payload(owner_group="desk"), ValidationError),
        (_without("payload"), KeyError),
        (lambda d: "[" * 100_000, RecursionError),
    ],
    ids=[
        "json",
        "shape",
        "trigger",
        "payload-not-object",
        "time",
        "naive-time",
        "time-number",
        "version-text",
        "version-bool",
        "id-null",
        "no-actor",
        "title-number",
        "caller-list",
        "priority-name",
        "priority-bool",
        "impact-unknown",
        "flag-number",
        "refs-text",
        "refs-numbers",
        "attributes-list",
        "tier-unknown",
        "group-text",
        "no-payload",
        "deep",
    ],
)
def test_an_undecodable_event_is_corrupt_naming_it(
    edit: Callable[[dict[str, Any]], Any], cause: type[BaseException]
) -> None:
    stream = _stream(example_ticket(), e1=edit)
    with pytest.raises(CorruptHistory, match=r"ticket 'INC-EXAMPLE'.*event 1") as info:
        KINDS["ticket"].decode(stream, UPCASTERS)
    assert isinstance(info.value.__cause__, cause)


def test_a_stored_value_is_not_revalidated_but_replay_still_runs_every_rule() -> None:
    """Decoding skips the field validators (they ran when the event was made), not the rules.

    A blank title can only come from a row edited by hand: it loads as
    written (the docs say so). An edit that breaks a workflow rule does not.
    """
    kind = KINDS["ticket"]
    edited = _stream(example_ticket(), e1=_payload(title=""))
    events = [kind.event(row.schema, row.data, UPCASTERS) for row in edited.events]
    replayed = Ticket._decoded(events)  # what the hand edit replays to, for a matching head
    untitled = Stream(kind.index(replayed), edited.events)
    assert kind.decode(untitled, UPCASTERS).title == ""
    closed_in_progress = _stream(example_ticket(), e3=_payload(type="close"))  # not resolved
    with pytest.raises(CorruptHistory, match="close"):
        KINDS["ticket"].decode(closed_in_progress, UPCASTERS)


def test_an_unknown_schema_stays_unknown_schema() -> None:
    head, rows = KINDS["ticket"].encode(example_ticket(), example_ticket().history)
    future = EventRow(2, 99, rows[1].at, rows[1].type, rows[1].data)
    with pytest.raises(UnknownSchema):
        KINDS["ticket"].decode(Stream(head, (rows[0], future, rows[2])), UPCASTERS)


def test_rows_out_of_order_or_twice_are_named() -> None:
    head, rows = KINDS["ticket"].encode(example_ticket(), example_ticket().history)
    for shuffled, words in (
        ((rows[0], rows[2], rows[1]), "out of order"),
        ((rows[0], rows[1], rows[1]), r"events 3\.\. are missing; event 2 is stored twice"),
        ((rows[0], rows[1], rows[2], rows[2]), "event 3 is stored twice"),
    ):
        with pytest.raises(CorruptHistory, match=words):
            KINDS["ticket"].decode(Stream(head, shuffled), UPCASTERS)


def test_records_are_checked_too() -> None:
    for kind, record in (
        (KINDS["known_error"], example_known_error()),
        (KINDS["training"], example_training_session()),
    ):
        head, rows = kind.encode(record, ())
        assert kind.decode(Stream(head, rows), UPCASTERS) == record
        with pytest.raises(CorruptHistory, match="category"):
            kind.decode(Stream(attrs.evolve(head, category="x"), rows), UPCASTERS)
        with pytest.raises(CorruptHistory, match="cannot be decoded"):
            broken = EventRow(1, 1, rows[0].at, rows[0].type, "{}")
            kind.decode(Stream(head, (broken,)), UPCASTERS)
