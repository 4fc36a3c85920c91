"""Business calendars: working hours, a time zone and public holidays.

SLA clocks count business time, not wall time. A `BusinessCalendar` knows
when a team works: intervals per weekday (several a day for a lunch break),
a zoneinfo time zone, and holidays from the `holidays` package for a country
and subdivision, plus the host's own closed days (`_calendar_hours.py`
checks and reads those; `_instants.py` has the microsecond arithmetic).

Why instants are converted per day: a working day is defined in local wall
time ("08:00-18:00 in Berlin"), but the length of a day is not fixed (23 or
25 hours across a DST change). Each local day's intervals are turned into
UTC instants with zoneinfo once and cached, and all arithmetic runs on
integer microseconds, so `add` and `between` are exact and cost O(days
spanned), never O(minutes).

Why `between` keeps prefix sums: SLA clocks call it for every running
stretch of every ticket. Running totals are cached per block of `BLOCK`
local days (not from one anchor, so a query decades away costs no more than
one today): a long span costs its edge days plus one step per block.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
from attrs import frozen

from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.sla._calendar_hours import (
    FULL_DAY,
    EmptyCalendar,
    NegativeDuration,
    check_region,
    holidays_in,
    to_dates,
    to_week,
    to_zone,
)
from itil_l2.sla._instants import DAY_US, EPOCH, US, Interval, clip, from_us, to_us

__all__ = ["BusinessCalendar", "TWENTY_FOUR_SEVEN"]

_EPOCH_ORDINAL = EPOCH.date().toordinal()
_FIRST_ORDINAL, _LAST_ORDINAL = date.min.toordinal(), date.max.toordinal()
MAX_IDLE_DAYS = 3_660
"""`add` gives up after this many consecutive days (ten years) without working time."""
BLOCK = 64
"""Local days per cached block of prefix sums; spans with fewer full days loop over them."""


@frozen
class BusinessCalendar:
    """When a team works: weekday intervals in a time zone, minus holidays.

    `hours` maps a weekday (0 = Monday) to its working intervals as
    `(start, end)` times; `time(0)` as an end means midnight at the end of
    the day. Holidays come from the `holidays` package (`country`, e.g.
    "DE", and optionally `subdivision`, e.g. "BY") plus `extra_holidays`.

    >>> from datetime import date, datetime, time, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> cal = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> start = datetime(2026, 3, 27, 17, 30, tzinfo=berlin)  # a Friday
    >>> cal.add(start, timedelta(hours=2)).isoformat()  # 30 min Friday, 90 min Monday
    '2026-03-30T09:30:00+02:00'
    >>> cal.between(start, datetime(2026, 3, 30, 9, 30, tzinfo=berlin))
    datetime.timedelta(seconds=7200)
    """

    week: tuple[tuple[Interval, ...], ...] = attrs.field(converter=to_week)
    zone: str = attrs.field(default="UTC", converter=to_zone)
    country: str | None = attrs.field(default=None)
    subdivision: str | None = attrs.field(default=None, validator=check_region)
    extra_holidays: frozenset[date] = attrs.field(default=frozenset(), converter=to_dates)
    name: str = attrs.field(default="business hours")
    _tz: ZoneInfo = attrs.field(init=False, eq=False, repr=False)
    _days: dict[int, tuple[Interval, ...]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )
    _closed: dict[int, frozenset[date]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )
    _blocks: dict[int, list[int]] = attrs.field(init=False, eq=False, repr=False, factory=dict)
    _nears: dict[int, tuple[Interval, ...]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )
    _always: bool = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_tz", ZoneInfo(self.zone))
        full = all(day == ((0, FULL_DAY),) for day in self.week)
        plain = self.country is None and not self.extra_holidays
        object.__setattr__(self, "_always", full and plain)

    # -- construction ----------------------------------------------------------

    @classmethod
    def weekdays(
        cls,
        start: time,
        end: time,
        *,
        zone: str = "UTC",
        country: str | None = None,
        subdivision: str | None = None,
        extra_holidays: Iterable[date] = (),
        name: str = "business hours",
    ) -> BusinessCalendar:
        """Monday to Friday, one interval a day: the common office calendar."""
        hours = {day: [(start, end)] for day in range(5)}
        return cls(hours, zone, country, subdivision, frozenset(extra_holidays), name)

    @classmethod
    def always(cls) -> BusinessCalendar:
        """Every instant is working time (24x7, no holidays): for P1 and UC clocks."""
        return cls({day: [(time(0), time(0))] for day in range(7)}, name="24x7")

    @property
    def is_always(self) -> bool:
        """Whether every instant is working time, so business time is wall time."""
        return self._always

    @property
    def tzinfo(self) -> ZoneInfo:
        """The time zone of `zone`: working hours are wall time there, results shown in it."""
        return self._tz

    # -- queries -----------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether `day` (a local date) is a public or extra holiday."""
        closed = self._closed.get(day.year)
        if closed is None:
            closed = self._holidays_of(day.year)
        return day in closed

    def is_working(self, at: datetime) -> bool:
        """Whether `at` lies inside a working interval (start inclusive, end exclusive)."""
        t = to_us(ensure_aware(at))
        return any(s <= t < e for s, e in self._near(t // DAY_US))

    def next_working(self, at: datetime) -> datetime:
        """`at` itself if it is working time, else the start of the next working interval.

        A closing instant (18:00 of 08:00-18:00) counts as inside, so a clock
        that runs out at closing time is reported then, not next morning.
        Hosts use it to keep reminders inside service hours.
        """
        t = to_us(ensure_aware(at))
        return from_us(self.next_working_us(t), self._tz)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has passed after `start`.

        Zero returns `start`; a duration that ends exactly at a closing time
        returns that closing time. The result is shown in the calendar's zone.
        """
        a = to_us(ensure_aware(start, "start"))
        return from_us(self.add_us(a, _duration_us(duration)), self._tz)

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from `a` to `b` (`b` may not be earlier than `a`)."""
        x, y = to_us(ensure_aware(a, "a")), to_us(ensure_aware(b, "b"))
        if y < x:
            raise NegativeDuration(f"between: {b.isoformat()} is before {a.isoformat()}")
        return US * self.between_us(x, y)

    # -- integer core (microseconds since the epoch) ---------------------------------

    def between_us(self, a: int, b: int) -> int:
        """Business microseconds in [a, b); O(1) per block of `BLOCK` days once cached.

        Local day D's intervals lie within UTC days D-1 .. D+1 (offsets are
        under 24 h), so only the three local days around each end can be cut
        by `a` or `b`; every day between them counts in full, and days before
        or after those add nothing when clipped. Short spans are clipped
        three cached days at a time.
        """
        if self._always or b <= a:
            return max(b - a, 0)
        ua, ub = a // DAY_US, b // DAY_US  # UTC days since the epoch
        if ub - ua >= BLOCK + 3:
            return self._long_between(a, b, ua, ub)
        total = 0
        for day in range(ua, ub + 3, 3):
            for s, e in self._nears.get(day) or self._near(day):
                lo = s if s > a else a
                hi = e if e < b else b
                if hi > lo:
                    total += hi - lo
        return total

    def add_us(self, a: int, duration: int) -> int:
        """The instant `duration` business microseconds after `a`; O(days spanned)."""
        if self._always or duration == 0:
            return a + duration
        remaining = duration
        day = (a // DAY_US) + _EPOCH_ORDINAL - 1
        idle = 0
        while True:
            intervals = self._days.get(day)
            if intervals is None:
                intervals = self._intervals(day)
            for s, e in intervals:
                lo = s if s > a else a
                if e > lo:
                    if remaining <= e - lo:
                        return lo + remaining
                    remaining -= e - lo
            idle = 0 if intervals else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise EmptyCalendar(f"{self.name}: no working time for {MAX_IDLE_DAYS} days")
            day += 1

    def next_working_us(self, t: int) -> int:
        """`t` if inside an interval (end included), else the next start; bounded like `add`."""
        if self._always:
            return t
        day = (t // DAY_US) + _EPOCH_ORDINAL - 1
        for _ in range(MAX_IDLE_DAYS + 3):
            for s, e in self._intervals(day):
                if e >= t:
                    return s if s > t else t
            day += 1
        raise EmptyCalendar(f"{self.name}: no working time for {MAX_IDLE_DAYS} days")

    # -- per-day cache and prefix sums ----------------------------------------------

    def _near(self, utc_day: int) -> tuple[Interval, ...]:
        """The intervals of the local days that can touch UTC day `utc_day` (cached)."""
        near = self._nears.get(utc_day)
        if near is None:
            first = utc_day + _EPOCH_ORDINAL - 1
            near = self._intervals(first) + self._intervals(first + 1) + self._intervals(first + 2)
            self._nears[utc_day] = near
        return near

    def _long_between(self, a: int, b: int, ua: int, ub: int) -> int:
        """`between_us` for spans of UTC days ua .. ub with at least `BLOCK` days between."""
        inner = self._full_days(ua + _EPOCH_ORDINAL + 2, ub + _EPOCH_ORDINAL - 1)
        return clip(self._near(ua), a, b) + inner + clip(self._near(ub), a, b)

    def _full_days(self, first: int, stop: int) -> int:
        """Business microseconds of the whole local days first .. stop-1 (stop > first)."""
        k1, i1 = divmod(first, BLOCK)
        k2, i2 = divmod(stop, BLOCK)
        head = self._block(k1)
        if k1 == k2:
            return head[i2] - head[i1]
        total = head[BLOCK] - head[i1]
        for k in range(k1 + 1, k2):
            total += self._block(k)[BLOCK]
        return total + self._block(k2)[i2] if i2 else total

    def _block(self, k: int) -> list[int]:
        """Running totals of block `k`: item i is the business time of its first i days."""
        cached = self._blocks.get(k)
        if cached is not None:
            return cached
        run = 0
        sums = [0]
        for day in range(k * BLOCK, (k + 1) * BLOCK):
            if _FIRST_ORDINAL <= day <= _LAST_ORDINAL:  # date's range, for blocks at its ends
                for s, e in self._intervals(day):
                    run += e - s
            sums.append(run)
        self._blocks[k] = sums
        return sums

    def _intervals(self, ordinal: int) -> tuple[Interval, ...]:
        """The working intervals of local day `ordinal` as UTC microseconds (cached)."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        result: tuple[Interval, ...] = ()
        if not self.is_holiday(day):
            midnight = datetime(day.year, day.month, day.day)
            pairs = (
                (self._instant(midnight, s), self._instant(midnight, e))
                for s, e in self.week[day.weekday()]
            )
            result = tuple((s, e) for s, e in pairs if e > s)
        self._days[ordinal] = result
        return result

    def _instant(self, midnight: datetime, seconds: int) -> int:
        """Local wall time `midnight + seconds` as an instant (fold=0 for repeated hours)."""
        local = (midnight + timedelta(seconds=seconds)).replace(tzinfo=self._tz)
        return to_us(local)

    def _holidays_of(self, year: int) -> frozenset[date]:
        result = holidays_in(year, self.country, self.subdivision, self.extra_holidays)
        self._closed[year] = result
        return result


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise ValidationError(f"duration must be a timedelta, got {duration!r}")
    if duration < timedelta(0):
        raise NegativeDuration(f"duration must not be negative, got {duration}")
    return duration // US


TWENTY_FOUR_SEVEN = BusinessCalendar.always()
"""Round the clock, every day, no holidays: the usual calendar of P1 targets."""
