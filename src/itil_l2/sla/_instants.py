"""Instants as integer microseconds since the Unix epoch: the arithmetic of business time.

A `BusinessCalendar` and the SLA clocks convert aware datetimes to integer
microseconds once and do all their sums on integers, so every result is
exact and costs no datetime arithmetic in the inner loops.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["DAY_US", "EPOCH", "US", "Interval", "clip", "from_us", "to_us"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
DAY_US = 86_400_000_000

Interval = tuple[int, int]
"""A (start, end) pair: seconds after local midnight in a week of working hours,
microseconds since the epoch once placed on a day."""


def to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact)."""
    return (value - EPOCH) // US


def from_us(value: int, zone: Any = UTC) -> datetime:
    """The aware datetime `value` microseconds after the epoch, shown in `zone`.

    `US * value` is exact and much faster than `timedelta(microseconds=value)`.
    """
    return (EPOCH + US * value).astimezone(zone)


def clip(intervals: tuple[Interval, ...], a: int, b: int) -> int:
    """The part of `intervals` inside [a, b), in microseconds."""
    total = 0
    for s, e in intervals:
        lo = s if s > a else a
        hi = e if e < b else b
        if hi > lo:
            total += hi - lo
    return total
