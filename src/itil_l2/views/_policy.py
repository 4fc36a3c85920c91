"""The views' one serialisation policy, and the markers their JSON Schema is built from.

Every view is a `TypedDict` of JSON values only, so `json.dumps(view)` works
and a web framework can use the class as its response model:

* an enum member is a string: its value (`Tier.L2` → `"L2"`, `Impact.HIGH` →
  `"high"`), and for `Priority`, the one number-valued enum, its name
  (`Priority.P2` → `"P2"`);
* a time is ISO 8601 text with its UTC offset (`"2026-01-05T09:00:00+00:00"`);
* a duration is a number of seconds (`float`);
* a collection is a list; a missing value is `null`, never an absent key.

The markers (`Choice`, `Format`) say what a plain `str` holds. The library's
own schema generator reads them, and so does pydantic (through
`__get_pydantic_json_schema__`), so a FastAPI response model built from a view
publishes the same enums and formats without the library depending on either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import Enum, IntEnum
from typing import Any

from attrs import frozen

from itil_l2._core.priority import Priority
from itil_l2._core.time import isoformat

__all__ = ["Choice", "Format", "enum_text", "iso", "iso_or_none", "seconds", "text_or_none"]


def enum_text(member: Enum) -> str:
    """The policy's text for an enum member: its value, or a number-valued member's name."""
    text = _TEXTS.get(member)
    if text is None:  # each member's text is worked out once (views are built on every save)
        text = _TEXTS[member] = member.name if isinstance(member, IntEnum) else str(member.value)
    return text


_TEXTS: dict[Enum, str] = {}


def text_or_none(member: Enum | None) -> str | None:
    """`enum_text` of a member, or None."""
    return None if member is None else enum_text(member)


def iso(moment: datetime) -> str:
    """A time as ISO 8601 text, its offset kept (RFC 3339, JSON Schema's `date-time`).

    An offset of whole minutes is kept; one with seconds (a zone's local mean
    time before 1900: Berlin was +00:53:28) has no RFC 3339 spelling and is
    given in UTC instead, the same instant.

    >>> from datetime import datetime, timedelta, timezone
    >>> iso(datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=1))))
    '2026-01-05T09:00:00+01:00'
    >>> iso(datetime(1890, 1, 1, tzinfo=timezone(timedelta(minutes=53, seconds=28))))
    '1889-12-31T23:06:32+00:00'
    """
    if moment.tzinfo is not UTC:
        offset = moment.utcoffset()
        if offset is not None and offset % _MINUTE:
            moment = moment.astimezone(UTC)
    return isoformat(moment)


_MINUTE = timedelta(minutes=1)


def iso_or_none(moment: datetime | None) -> str | None:
    """`iso` of a time, or None."""
    return None if moment is None else iso(moment)


def seconds(duration: timedelta) -> float:
    """A duration in seconds."""
    return duration.total_seconds()


Handler = Callable[[Any], dict[str, Any]]


@frozen
class Choice:
    """Marks a `str` field that holds one of `values` (an enum under the policy)."""

    values: tuple[str, ...]

    @classmethod
    def of(cls, enum: Iterable[Enum]) -> Choice:
        """The choice of an enum's members, spelt as the policy spells them."""
        return cls(tuple(enum_text(member) for member in enum))

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Handler) -> dict[str, Any]:
        """Pydantic's hook: the field's schema with the enum's values."""
        schema = handler(core_schema)
        schema["enum"] = list(self.values)
        return schema


@frozen
class Format:
    """Marks a `str` field with a JSON Schema `format` (`"date-time"`)."""

    format: str

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Handler) -> dict[str, Any]:
        """Pydantic's hook: the field's schema with the format."""
        schema = handler(core_schema)
        schema["format"] = self.format
        return schema


PRIORITIES = Choice.of(Priority)
