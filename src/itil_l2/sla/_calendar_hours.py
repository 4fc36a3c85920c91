"""What a business calendar is made of: weekly working hours, a time zone, holidays.

The converters and checks `BusinessCalendar` runs on its fields, the errors
they raise, and the holiday lookup. Holidays come from the `holidays`
package for a country and subdivision, plus the host's own closed days; no
holiday rule is written by hand here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import holidays as _holidays

from itil_l2.errors import ValidationError
from itil_l2.sla._instants import Interval

if TYPE_CHECKING:
    from itil_l2.sla._calendar import BusinessCalendar

__all__ = [
    "EmptyCalendar",
    "NegativeDuration",
    "UnknownHolidayRegion",
    "check_region",
    "holidays_in",
    "to_dates",
    "to_week",
    "to_zone",
]

FULL_DAY = 86_400
"""Seconds in a day without a DST change: the end of a working day that runs to midnight."""


class EmptyCalendar(ValidationError):
    """The calendar has no working time at all, or none within ten years of an instant."""


class NegativeDuration(ValidationError):
    """A duration of business time is negative, or an interval ends before it starts."""


class UnknownHolidayRegion(ValidationError):
    """The `holidays` package knows no such country or subdivision."""


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _interval(pair: Sequence[time]) -> Interval:
    if len(pair) != 2 or not all(isinstance(t, time) for t in pair):
        raise ValidationError(f"a working interval is a (start, end) pair of times, got {pair!r}")
    start, end = _seconds(pair[0]), _seconds(pair[1]) or FULL_DAY
    if pair[0].microsecond or pair[1].microsecond or pair[0].tzinfo or pair[1].tzinfo:
        raise ValidationError("working interval bounds are whole seconds without time zone")
    if end <= start:
        raise NegativeDuration(f"working interval {pair[0]}-{pair[1]} ends before it starts")
    return (start, end)


def _day(value: Iterable[Sequence[time]]) -> tuple[Interval, ...]:
    intervals = tuple(sorted(_interval(pair) for pair in value))
    for (_s1, e1), (s2, _e2) in pairwise(intervals):
        if s2 < e1:
            raise ValidationError("working intervals of one day must not overlap")
    return intervals


def to_week(value: Mapping[int, Iterable[Sequence[time]]]) -> tuple[tuple[Interval, ...], ...]:
    """Weekday (0 = Monday) → (start, end) times, as seven days of second intervals."""
    if not isinstance(value, Mapping) or not all(isinstance(k, int) and 0 <= k <= 6 for k in value):
        raise ValidationError("hours maps weekdays 0 (Monday) .. 6 (Sunday) to intervals")
    week = tuple(_day(value.get(day, ())) for day in range(7))
    if not any(week):
        raise EmptyCalendar("a business calendar needs some working time in its week")
    return week


def to_zone(value: str) -> str:
    """A zoneinfo key, checked."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationError(f"unknown time zone {value!r}") from exc
    return value


def to_dates(value: Iterable[date]) -> frozenset[date]:
    """Extra holidays: dates, not datetimes."""
    items = frozenset(value)
    if not all(isinstance(d, date) and not isinstance(d, datetime) for d in items):
        raise ValidationError("extra holidays are dates")
    return items


def check_region(inst: BusinessCalendar, _attr: attrs.Attribute[Any], _value: object) -> None:
    """A country the `holidays` package knows, and a subdivision only with a country."""
    if inst.country is None:
        if inst.subdivision is not None:
            raise ValidationError("a subdivision needs a country")
        return
    try:
        _holidays.country_holidays(inst.country, subdiv=inst.subdivision, years=())
    except NotImplementedError as exc:
        raise UnknownHolidayRegion(str(exc)) from exc


def holidays_in(
    year: int, country: str | None, subdivision: str | None, extra: frozenset[date]
) -> frozenset[date]:
    """The public holidays of `country` (and `subdivision`) in `year`, plus `extra` ones."""
    closed = {d for d in extra if d.year == year}
    if country is not None:
        found = _holidays.country_holidays(country, subdiv=subdivision, years=year)
        closed.update(found.keys())
    return frozenset(closed)
