"""Calendar periods for grouping: the day, ISO week or month an instant falls in.

Periods are local to a time zone (a team in Berlin closes its month at
midnight Berlin time, not UTC), so the zone is always an argument; the
result is a half-open `Period` with aware bounds, hashable, usable as a key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.knowledge import Period

__all__ = ["Granularity", "period_key", "period_of", "periods_between"]

Granularity = Literal["day", "week", "month"]


def _local_midnight(day: datetime, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _local(at: datetime, tz: tzinfo) -> datetime:
    """`at` in zone `tz`, clamped to the first or last representable local time."""
    try:
        return ensure_aware(at).astimezone(tz)
    except OverflowError:
        edge = datetime.max if at.year > 1 else datetime.min
        return edge.replace(tzinfo=tz)


def period_of(at: datetime, unit: Granularity, tz: tzinfo = UTC) -> Period:
    """The day, ISO week (Monday first) or month `at` falls in, in zone `tz`.

    The first and last representable periods are cut at the calendar's
    edges: a period whose end would lie past 9999-12-31 ends at
    `datetime.max` in `tz` (so its last microsecond is left out), and an
    instant whose local time lies outside years 1-9999 falls in the first
    or last period.

    >>> from datetime import datetime, timezone
    >>> p = period_of(datetime(2026, 3, 4, 23, 30, tzinfo=timezone.utc), "week")
    >>> p.start.date().isoformat(), p.end.date().isoformat()
    ('2026-03-02', '2026-03-09')
    >>> period_of(datetime(9999, 12, 31, tzinfo=timezone.utc), "month").end.isoformat()
    '9999-12-31T23:59:59.999999+00:00'
    """
    local = _local(at, tz)
    try:
        if unit == "day":
            start = _local_midnight(local, tz)
            nxt = start.date() + timedelta(days=1)
        elif unit == "week":
            monday = local.date() - timedelta(days=local.weekday())
            start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
            nxt = monday + timedelta(days=7)
        elif unit == "month":
            start = datetime(local.year, local.month, 1, tzinfo=tz)
            nxt = (start.replace(tzinfo=None) + timedelta(days=32)).date().replace(day=1)
        else:
            raise ValidationError(f"a period is a day, week or month, not {unit!r}")
    except OverflowError:  # the period ends past 9999-12-31
        return Period(start, datetime.max.replace(tzinfo=tz))
    return Period(start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz))


def period_key(at: datetime, unit: Granularity, tz: tzinfo) -> str:
    """The key `kpi_table` groups `at` under: the ISO date its period starts on in `tz`."""
    return period_of(at, unit, tz).start.date().isoformat()


def periods_between(
    first: datetime, last: datetime, unit: Granularity, tz: tzinfo = UTC
) -> list[Period]:
    """Every period from the one holding `first` to the one holding `last`, in order."""
    current = period_of(first, unit, tz)
    end = period_of(last, unit, tz)
    out = [current]
    while current != end:
        current = period_of(current.end, unit, tz)
        out.append(current)
    return out
