"""Data written by release 0.1.0 still loads, unchanged, after the 0.2.0 layout.

`tests/fixtures/v0_1_0/` was written by the 0.1.0 code (see its `make_fixture.py`)
before the move to one package per concept: an SQLite store holding every
aggregate kind, and the JSON histories of every entity kind with a snapshot of
each entity's fields as 0.1.0 saw them. These tests load both with the current
code and demand the same entities.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest

from itil_l2 import ChangeRequest, ConfigurationItem, KnowledgeArticle, Problem, Ticket
from itil_l2._core.chain import Chain
from itil_l2.errors import CorruptHistory, UnknownSchema
from itil_l2.storage import SqliteStore, entity_from_json, entity_to_json

FIXTURE = Path(__file__).parent / "fixtures" / "v0_1_0"
DATA: dict[str, Any] = json.loads((FIXTURE / "histories.json").read_text())
CLASSES: dict[str, type[Any]] = {
    "ticket": Ticket,
    "problem": Problem,
    "change": ChangeRequest,
    "article": KnowledgeArticle,
    "ci": ConfigurationItem,
}
REPOS = {
    "ticket": "tickets",
    "problem": "problems",
    "change": "changes",
    "article": "articles",
    "ci": "configuration_items",
}


def _plain(value: Any) -> Any:
    """A value as order-stable JSON data (sets sorted: their repr order follows the hash seed)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return [type(value).__name__, {f.name: _plain(getattr(value, f.name)) for f in fields}]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, dict) or hasattr(value, "keys"):
        return sorted(([_plain(k), _plain(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple, Chain)):
        return [_plain(v) for v in value]
    return repr(value)


def snapshot(entity: Any) -> dict[str, Any]:
    """Every attrs field but the history, as plain data: what a reload must reproduce."""
    return {
        f.name: _plain(getattr(entity, f.name))
        for f in attrs.fields(type(entity))
        if f.name not in ("history", "_persisted") and not f.name.startswith("_")
    }


def same_as_recorded(entity: Any, recorded: dict[str, Any]) -> dict[str, Any]:
    """`snapshot(entity)` with the config's fields added since the fixture was made left out.

    A config field added later (e.g. `ProblemConfig.allow_close_without_rca`) must hold its
    default: an entity of 0.1.0 reloads under the default config.
    """
    snap = snapshot(entity)
    name, fields = snap["config"]
    old = dict(recorded["config"][1])
    added = {k: v for k, v in fields.items() if k not in old}
    config_fields = attrs.fields(type(entity.config))
    defaults = {f.name: _plain(f.default) for f in config_fields if f.name in added}
    assert added == defaults, "a config field added since 0.1.0 does not hold its default"
    return {**snap, "config": [name, {k: v for k, v in fields.items() if k in old}]}


def test_the_fixture_covers_every_kind_and_most_triggers() -> None:
    assert set(DATA) == {*CLASSES, "known_error", "training"}
    triggers = {
        kind: {ev["payload"]["type"] for item in DATA[kind] for ev in item["json"]["history"]}
        for kind in CLASSES
    }
    assert {"escalate", "hand_back", "hold", "resolve", "reopen", "close"} <= triggers["ticket"]
    assert {"record_rca", "raise_known_error", "resolve", "close"} <= triggers["problem"]
    assert {"approve", "schedule", "implement", "complete"} <= triggers["change"]
    assert {"draft", "submit", "rate", "archive"} <= triggers["article"]
    assert {"register", "relate", "update_attributes"} <= triggers["ci"]


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_json_histories_of_0_1_0_replay_to_the_same_entities(kind: str) -> None:
    for item in DATA[kind]:
        entity = entity_from_json(CLASSES[kind], item["json"])
        assert same_as_recorded(entity, item["snapshot"]) == item["snapshot"], item["json"]["id"]
        assert entity.version == item["json"]["version"]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE / "store.sqlite", path)  # never touch the committed file
    store = SqliteStore(path)
    yield store
    store.close()


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_the_0_1_0_sqlite_store_loads_every_entity(store: Any, kind: str) -> None:
    with store.unit_of_work() as uow:
        repo = getattr(uow, REPOS[kind])
        assert repo.count() == len(DATA[kind])
        for item in DATA[kind]:
            entity = repo.get(item["json"]["id"])
            assert same_as_recorded(entity, item["snapshot"]) == item["snapshot"], item["json"][
                "id"
            ]


def test_the_0_1_0_sqlite_store_loads_records(store: Any) -> None:
    with store.unit_of_work() as uow:
        assert [_plain(k) for k in uow.known_errors.find()] == DATA["known_error"]
        assert [_plain(s) for s in uow.training_sessions.find()] == DATA["training"]


def test_an_old_entity_saves_new_events_after_loading(store: Any) -> None:
    with store.unit_of_work() as uow:
        ticket = next(t for t in uow.tickets.find() if "add_note" in t.allowed_triggers())
        from itil_l2 import SYSTEM

        ticket.add_note("checked after the upgrade", at=ticket.updated_at, actor=SYSTEM)
        uow.tickets.save(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        again = uow.tickets.get(ticket.id)
        assert again.version == ticket.version
        assert snapshot(again) == snapshot(ticket)


OLD_ID_KEYS = {
    "ticket": "ticket_id",
    "problem": "problem_id",
    "change": "change_id",
    "article": "article_id",
    "ci": "ci_id",
}


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_0_1_0_events_go_through_the_shipped_upcaster(kind: str) -> None:
    item = DATA[kind][0]["json"]
    raw = item["history"][0]
    assert raw["schema"] == 1 and OLD_ID_KEYS[kind] in raw and "entity_id" not in raw
    entity = entity_from_json(CLASSES[kind], item)
    assert {(e.schema, e.entity_id) for e in entity.history} == {(2, entity.id)}
    again = entity_to_json(entity)["history"][0]
    assert again["entity_id"] == entity.id and OLD_ID_KEYS[kind] not in again


def test_a_schema_newer_than_the_library_is_refused() -> None:
    item = json.loads(json.dumps(DATA["ticket"][0]["json"]))
    item["history"][0]["schema"] = 99
    with pytest.raises(UnknownSchema):
        entity_from_json(Ticket, item)


def test_an_event_naming_two_entities_is_corrupt() -> None:
    item = json.loads(json.dumps(DATA["ticket"][0]["json"]))
    item["history"][0]["entity_id"] = "INC-OTHER"  # beside the 0.1.0 ticket_id
    with pytest.raises(CorruptHistory, match="two entities"):
        entity_from_json(Ticket, item)


@pytest.mark.parametrize("schema", ["1", 1.0, None, True])
def test_a_schema_that_is_no_whole_number_is_refused(schema: object) -> None:
    item = json.loads(json.dumps(DATA["ticket"][0]["json"]))
    item["history"][0]["schema"] = schema
    with pytest.raises(CorruptHistory, match="schema"):
        entity_from_json(Ticket, item)


def test_a_serialised_entity_newer_than_the_library_is_refused() -> None:
    item = json.loads(json.dumps(DATA["ticket"][0]["json"]))
    item["schema"] = 99
    with pytest.raises(UnknownSchema, match="99"):
        entity_from_json(Ticket, item)
