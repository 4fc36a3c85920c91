"""The stored-event codec (msgspec underneath): the stored format, byte for byte, both ways.

Events are written in the format the standard library's encoder gave every
earlier release, and read back without re-running field validators (types
still checked; see `test_storage_integrity.py` for hostile rows).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2 import SYSTEM, Priority, Tier, ValidationError
from itil_l2._core import structuring
from itil_l2._core.time import isoformat
from itil_l2.storage import KINDS, UPCASTERS, converter
from itil_l2.testing import (
    change_requests,
    configuration_items,
    example_problem,
    example_ticket,
    knowledge_articles,
    tickets,
)

_OLD_WRITER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""How every release before 0.3 wrote an event's text."""
_EXPONENT = re.compile(r"(?<=\d)e\+?(-?)0*(\d)")
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ENTITIES = st.one_of(tickets(), change_requests(), knowledge_articles(), configuration_items())


def _kind(entity: Any) -> Any:
    return KINDS[type(entity)._KIND]


def _written(entity: Any) -> list[str]:
    _head, rows = _kind(entity).encode(entity, entity.history)
    return [row.data for row in rows]


def _old_text(entity: Any, event: Any) -> str:
    return _OLD_WRITER(converter.unstructure(event, _kind(entity).event_type))


def _float_spelling(text: str) -> str:
    """The standard library spells 1e16 `1e+16`; msgspec `1e16`: the same float."""
    return _EXPONENT.sub(r"e\1\2", text)


@_SETTINGS
@given(_ENTITIES)
def test_events_are_written_as_every_earlier_release_wrote_them(entity: Any) -> None:
    for event, text in zip(entity.history, _written(entity), strict=True):
        old = _old_text(entity, event)
        assert text == _float_spelling(old)
        assert json.loads(text) == json.loads(old)


@_SETTINGS
@given(_ENTITIES)
def test_text_decodes_to_the_same_event_and_encodes_to_the_same_bytes(entity: Any) -> None:
    kind = _kind(entity)
    for event, text in zip(entity.history, _written(entity), strict=True):
        decoded = kind.event(event.schema, text, UPCASTERS)
        assert decoded == event
        assert type(decoded.payload) is type(event.payload)
        assert kind.codec.encode(decoded) == text


@_SETTINGS
@given(_ENTITIES)
def test_rows_in_the_old_writers_text_load_as_the_same_events(entity: Any) -> None:
    kind = _kind(entity)
    for event in entity.history:
        assert kind.event(event.schema, _old_text(entity, event), UPCASTERS) == event


def test_a_problem_history_round_trips_text_for_text() -> None:
    problem = example_problem()
    kind = _kind(problem)
    for event, text in zip(problem.history, _written(problem), strict=True):
        assert kind.event(event.schema, text, UPCASTERS) == event
        assert kind.codec.encode(kind.event(event.schema, text, UPCASTERS)) == text


def test_a_large_float_keeps_its_value_though_its_spelling_changed() -> None:
    ticket = example_ticket()
    ticket.update(at=ticket.updated_at, actor=SYSTEM, attributes={"cost": 1e16})
    text = _written(ticket)[-1]
    assert '"cost":1e16' in text and '"cost":1e+16' in _old_text(ticket, ticket.history[-1])
    assert _kind(ticket).event(2, text, UPCASTERS).payload == ticket.history[-1].payload


def test_decoded_values_have_the_declared_types_not_the_json_ones() -> None:
    ticket = example_ticket()
    opened = _kind(ticket).event(2, _written(ticket)[0], UPCASTERS).payload
    assert type(opened.ci_refs) is tuple
    assert type(opened.owner_group.specialisations) is frozenset
    assert type(opened.priority) is Priority and type(opened.owner_group.tier) is Tier


def test_every_library_value_class_is_built_by_generated_code_not_the_slow_path() -> None:
    """The speed promise: only these classes (with hooks of their own) go through cattrs."""
    slow = {
        getattr(tp, "__name__", str(tp))
        for tp, build in structuring._CACHE.items()
        if getattr(build, "__name__", "") == "<lambda>"
    }
    assert slow <= {"HoldReason", "ProblemResolutionCode", "date", _ANALYSIS}, slow


_ANALYSIS = (
    "itil_l2.problems.rca.FiveWhys | itil_l2.problems.rca.Ishikawa | "
    "itil_l2.problems.rca.KepnerTregoe | itil_l2.problems.rca.Timeline | "
    "itil_l2.problems.rca.FaultTree | itil_l2.problems.rca.CustomAnalysis"
)


@pytest.mark.parametrize("text", ["{not json", "[1,2]", '{"payload": 5}', "null", '"text"'])
def test_text_that_is_not_an_event_is_a_typed_error(text: str) -> None:
    with pytest.raises((msgspec.DecodeError, KeyError, ValidationError)):
        KINDS["ticket"].codec.decode(text)


class _Moment(datetime):
    """A datetime subclass whose text is its own (the fast path must leave it alone)."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "mine"


_OFFSETS = st.one_of(
    st.just(UTC),
    st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(timezone),
    st.timezones(),
)


@settings(max_examples=500)
@given(st.datetimes(timezones=_OFFSETS))
def test_time_text_is_the_standard_librarys_for_every_time_and_offset(moment: datetime) -> None:
    assert isoformat(moment) == moment.isoformat()
    assert isoformat(moment.astimezone(UTC)) == moment.astimezone(UTC).isoformat()


def test_time_text_of_a_datetime_subclass_is_its_own() -> None:
    moment = _Moment(2026, 1, 5, 9, 3, tzinfo=UTC)
    assert isoformat(moment) == "mine"
