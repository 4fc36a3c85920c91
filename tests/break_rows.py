"""Helpers for the breaker tests: stored rows edited the way an attacker (or a bad disk) would.

`mutated` turns an entity's stored event texts into texts with one JSON value
replaced or removed; `planted_stream` gives the rows with either the true
head of the original entity (a raw edit of the events table) or the head the
edited history replays to (an attacker who fixes the head too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from itil_l2.storage import KINDS, UPCASTERS, EventRow, Head, Stream

__all__ = [
    "HOSTILE",
    "Path_",
    "replayed_head",
    "stream",
    "edited",
    "event_texts",
    "json_paths",
    "kind_of",
    "rows_of",
]

Path_ = tuple[Any, ...]

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 2**80, 10**30, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\n",
            "\u2028",
            "\U0001d11e",
            "L9",
            "L3",
            "P1",
            "open",
            "resolved",
            "2026-01-05",
            "2026-01-05T09:00:00Z",
            "2026-01-05T09:00:00.000001+05:30",
            "x" * 300,
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just({"name": "x", "tier": "L2", "specialisations": []}),
    st.just([[[[[[]]]]]]),
)
"""JSON values a hand edit could put anywhere in a stored event (no out-of-range times:
those are `test_break_codec`'s own xfail case)."""


def kind_of(entity: Any) -> Any:
    return KINDS[type(entity)._KIND]


def event_texts(entity: Any) -> list[str]:
    codec = kind_of(entity).codec
    return [codec.encode(e) for e in entity.history]


def json_paths(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path to a value inside decoded JSON `data` (the root too)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from json_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from json_paths(value, (*prefix, i))


def edited(text: str, path: Path_, value: Any, *, delete: bool = False) -> str:
    """`text` (a stored event) with the value at `path` replaced by `value` (or removed)."""
    data = json.loads(text)
    if not path:
        data = value
    else:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if delete:
            parent.pop(path[-1])
        else:
            parent[path[-1]] = value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def rows_of(entity: Any, texts: list[str]) -> tuple[EventRow, ...]:
    return tuple(
        EventRow(e.version, e.schema, e.at, str(e.payload.TRIGGER), t)
        for e, t in zip(entity.history, texts, strict=True)
    )


def replayed_head(entity: Any, texts: list[str]) -> Head | None:
    """The head the edited history replays to (what an attacker fixing the head writes),
    or None when the edited rows do not even decode and replay."""
    kind = kind_of(entity)
    try:
        events = [
            kind.event(e.schema, t, UPCASTERS) for e, t in zip(entity.history, texts, strict=True)
        ]
        item = type(entity)._decoded(events, None)
    except Exception:
        return None
    head: Head = kind.index(item)
    return head


def stream(head: Head, entity: Any, texts: list[str]) -> Stream:
    return Stream(head, rows_of(entity, texts))
