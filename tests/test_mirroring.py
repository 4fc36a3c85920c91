"""The typed decoder (msgspec mirrors, `itil_l2._core.mirroring`) against the dict path.

Both read a stored event's text without running validators. The mirrors must
build every text the library writes, equal to the dict path's event with
values of the same types, and never build a hostile text differently or one
the dict path refuses; what the mirrors refuse the dict path decides, so the
codec accepts and refuses exactly what the dict path does: a row one path
refuses and the other loads would make integrity depend on the path taken.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2._core.structuring import parse
from itil_l2.storage import KINDS
from itil_l2.storage._kinds import UNREADABLE
from itil_l2.testing import (
    change_requests,
    configuration_items,
    example_problem,
    json_values,
    knowledge_articles,
    tickets,
)

_ENTITIES = st.one_of(tickets(), change_requests(), knowledge_articles(), configuration_items())
_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _codec(entity: Any) -> Any:
    return KINDS[type(entity)._KIND].codec


def shape(value: Any) -> Any:
    """`value` with the type of everything in it (1 vs 1.0, list vs tuple, enum vs str, zones)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value), tuple(shape(getattr(value, f.name)) for f in fields))
    if isinstance(value, list | tuple):
        return (type(value), tuple(shape(v) for v in value))
    if isinstance(value, frozenset):
        return (frozenset, frozenset(shape(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, shape(v)) for k, v in value.items()))
    if isinstance(value, enum.Enum):
        return (type(value), value.value)
    if isinstance(value, datetime):
        return (datetime, value, value.utcoffset(), repr(value.tzinfo))
    return (type(value), value, repr(value))


def outcome(decode: Any, text: str | bytes) -> Any:
    try:
        return ("built", shape(decode(text)))
    except UNREADABLE:
        return ("refused",)


def _both(codec: Any, text: str) -> tuple[Any, Any]:
    return outcome(codec._decode, text), outcome(lambda t: codec._build(parse(t)), text)


def _alike(codec: Any, text: str) -> None:
    """The codec decides as the dict path; the mirrors alone build only what it builds."""
    mirrored, by_dict = _both(codec, text)
    assert outcome(codec.decode, text) == by_dict, text
    if mirrored[0] == "built":
        assert mirrored == by_dict, (text, mirrored, by_dict)


def test_every_entity_kind_decodes_through_mirrors() -> None:
    assert all(k.codec._decode is not None for k in KINDS.values() if k.codec is not None)


@_SETTINGS
@given(_ENTITIES)
def test_written_events_decode_to_themselves_on_both_paths(entity: Any) -> None:
    codec = _codec(entity)
    for event in entity.history:
        text = codec.encode(event)
        mirrored, by_dict = _both(codec, text)
        assert mirrored == by_dict == ("built", shape(event))


def test_a_problem_history_decodes_to_itself_on_both_paths() -> None:
    problem = example_problem()
    codec = _codec(problem)
    for event in problem.history:
        assert _both(codec, codec.encode(event)) == (("built", shape(event)),) * 2


_TIMES = [
    "2026-01-05T09:00:00+00:00",
    "2026-01-05T09:00:00",
    "2026-01-05T09:00:00Z",
    "2026-01-05 09:00:00+00:00",
    "2026-01-05T09:00+00:00",
    "2026-01-05T09:00:00.1234567+00:00",
    "2026-01-05T09:00:00.5-05:30",
    "2026-01-05",
    "20260105T090000+0000",
    "9999-12-31T23:59:59.999999-14:00",
    "",
]
_HOSTILE = [
    *_TIMES,
    *["L1", "L4", "phone", "incident", "agent", "high", "P1", "x" * 300, "\x00", "\ud800"],
    *[2, 7, 0, -1, 1.0, 2.5, 2**63, 2**70, -0.0, 1e308, True, False, None],
    *[[], {}, [[]], [""], ["a", 1], [{"name": "x"}], {"type": "start"}, {"name": "g"}],
]
"""Values put in every place of an event's JSON, one at a time."""
_VALUES = st.one_of(json_values(), st.sampled_from(_HOSTILE))


def json_paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += json_paths(value, (*at, i))
    return found


def _mutated(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent[last] = value
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTITIES)
def test_every_place_of_an_event_given_every_hostile_value_is_built_or_refused_alike(
    entity: Any,
) -> None:
    codec = _codec(entity)
    for event in entity.history[:8]:
        text = codec.encode(event)
        for path in json_paths(json.loads(text)):
            changes = [("delete", None), ("add", 1), *(("replace", v) for v in _HOSTILE)]
            for action, value in changes:
                hostile = _mutated(json.loads(text), path, action, value)
                _alike(codec, json.dumps(hostile, ensure_ascii=False))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTITIES, st.data())
def test_hostile_texts_are_built_or_refused_alike(entity: Any, data: st.DataObject) -> None:
    codec = _codec(entity)
    event = data.draw(st.sampled_from(entity.history))
    tree = json.loads(codec.encode(event))
    path = data.draw(st.sampled_from(json_paths(tree)))
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    _alike(codec, json.dumps(_mutated(tree, path, action, data.draw(_VALUES)), ensure_ascii=False))
