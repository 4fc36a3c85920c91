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

from break_rows import Path_, edited, json_paths, kind_of
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
    codec = kind_of(entity).codec
    for event in entity.history:
        text = codec.encode(event)
        mirrored, by_dict = _both(codec, text)
        assert mirrored == by_dict == ("built", shape(event))


def test_a_problem_history_decodes_to_itself_on_both_paths() -> None:
    problem = example_problem()
    codec = kind_of(problem).codec
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


def _changed(text: str, path: Path_, action: str, value: Any) -> str:
    """`text` with the value at `path` replaced, or (in an object) removed or given a sibling."""
    if action == "add" and path and isinstance(path[-1], str):
        return edited(text, (*path[:-1], f"{path[-1]}_extra"), value)
    if action == "delete" and path and isinstance(path[-1], str):
        return edited(text, path, None, delete=True)
    return edited(text, path, value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTITIES)
def test_every_place_of_an_event_given_every_hostile_value_is_built_or_refused_alike(
    entity: Any,
) -> None:
    codec = kind_of(entity).codec
    for event in entity.history[:8]:
        text = codec.encode(event)
        for path in json_paths(json.loads(text)):
            changes = [("delete", None), ("add", 1), *(("replace", v) for v in _HOSTILE)]
            for action, value in changes:
                _alike(codec, _changed(text, path, action, value))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTITIES, st.data())
def test_hostile_texts_are_built_or_refused_alike(entity: Any, data: st.DataObject) -> None:
    codec = kind_of(entity).codec
    event = data.draw(st.sampled_from(entity.history))
    text = codec.encode(event)
    path = data.draw(st.sampled_from(list(json_paths(json.loads(text)))))
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    _alike(codec, _changed(text, path, action, data.draw(_VALUES)))
