"""Business calendars: worked examples with the arithmetic, DST, holidays, bad input, laws."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import BusinessCalendar, ValidationError
from itil_l2.errors import NaiveDatetime
from itil_l2.sla import TWENTY_FOUR_SEVEN, EmptyCalendar, NegativeDuration, UnknownHolidayRegion

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")
H = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_friday_evening_plus_eight_hours_skips_weekend_and_whit_monday() -> None:
    # Fri 2026-05-22 17:30: 0.5 h until 18:00. Sat, Sun closed; Mon 2026-05-25 is
    # Whit Monday (a German public holiday). Tue 08:00 + 7.5 h = 15:30.
    assert OFFICE.is_holiday(date(2026, 5, 25)) and not OFFICE.is_holiday(date(2026, 5, 26))
    due = OFFICE.add(berlin(2026, 5, 22, 17, 30), 8 * H)
    assert due == berlin(2026, 5, 26, 15, 30)
    assert OFFICE.between(berlin(2026, 5, 22, 17, 30), due) == 8 * H


def test_spring_forward_weekend() -> None:
    # DST starts Sun 2026-03-29 (02:00 CET -> 03:00 CEST). Fri 17:00 CET: 1 h on Friday;
    # Mon 08:00 CEST (= 06:00 UTC) + 7 h = 15:00 CEST = 13:00 UTC. With a fixed +01:00
    # offset one would wrongly get 14:00 UTC.
    due = OFFICE.add(berlin(2026, 3, 27, 17), 8 * H)
    assert due == datetime(2026, 3, 30, 13, tzinfo=UTC)
    assert due.utcoffset() == timedelta(hours=2)


def test_fall_back_day_has_25_hours_on_a_round_the_clock_sunday() -> None:
    # DST ends Sun 2026-10-25: 03:00 CEST -> 02:00 CET, so that day lasts 25 h.
    sundays = BusinessCalendar({6: [(time(0), time(0))]}, zone="Europe/Berlin")
    assert sundays.between(berlin(2026, 10, 25, 0), berlin(2026, 10, 26, 0)) == 25 * H
    # and the spring-forward Sunday lasts 23 h
    assert sundays.between(berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0)) == 23 * H


def test_twenty_four_seven_is_wall_time_across_dst() -> None:
    a, b = berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12)  # 23 h apart in real time
    assert TWENTY_FOUR_SEVEN.between(a, b) == 23 * H
    assert TWENTY_FOUR_SEVEN.add(a, 23 * H) == b
    assert TWENTY_FOUR_SEVEN.is_always and not OFFICE.is_always


def test_the_calendar_shows_its_time_zone_and_its_results_in_it() -> None:
    assert OFFICE.tzinfo == BERLIN and TWENTY_FOUR_SEVEN.tzinfo == ZoneInfo("UTC")
    assert OFFICE.add(datetime(2026, 3, 2, 9, tzinfo=UTC), H).tzinfo == OFFICE.tzinfo


def test_holidays_come_from_the_package_with_subdivisions() -> None:
    # Corpus Christi 2026-06-04 (a Thursday) is a holiday in Bavaria, not in Berlin.
    bavaria = BusinessCalendar.weekdays(
        time(8), time(18), zone="Europe/Berlin", country="DE", subdivision="BY"
    )
    berlin_state = BusinessCalendar.weekdays(
        time(8), time(18), zone="Europe/Berlin", country="DE", subdivision="BE"
    )
    day = (berlin(2026, 6, 4, 8), berlin(2026, 6, 4, 18))
    assert bavaria.between(*day) == timedelta(0)
    assert berlin_state.between(*day) == 10 * H
    assert OFFICE.between(berlin(2026, 5, 25, 8), berlin(2026, 5, 25, 18)) == timedelta(0)


def test_extra_holidays_close_the_day() -> None:
    cal = BusinessCalendar.weekdays(
        time(8), time(18), zone="Europe/Berlin", extra_holidays=[date(2026, 3, 3)]
    )
    # Mon 2026-03-02 17:00 + 2 h: 1 h Monday, Tuesday closed, Wed 08:00 + 1 h = 09:00.
    assert cal.add(berlin(2026, 3, 2, 17), 2 * H) == berlin(2026, 3, 4, 9)


def test_several_intervals_a_day() -> None:
    cal = BusinessCalendar(
        {d: [(time(8), time(12)), (time(13), time(17))] for d in range(5)}, zone="Europe/Berlin"
    )
    # Mon 09:00 + 4 h: 3 h until noon, lunch 12-13, 1 h more -> 14:00.
    assert cal.add(berlin(2026, 3, 2, 9), 4 * H) == berlin(2026, 3, 2, 14)
    assert cal.between(berlin(2026, 3, 2, 11), berlin(2026, 3, 2, 14)) == 2 * H


def test_duration_ending_at_closing_time_returns_closing_time() -> None:
    assert OFFICE.add(berlin(2026, 3, 2, 8), 10 * H) == berlin(2026, 3, 2, 18)
    assert OFFICE.add(berlin(2026, 3, 7, 10), timedelta(0)) == berlin(2026, 3, 7, 10)


def test_next_working_and_is_working() -> None:
    assert OFFICE.next_working(berlin(2026, 3, 7, 10)) == berlin(2026, 3, 9, 8)  # Sat -> Mon
    assert OFFICE.next_working(berlin(2026, 3, 6, 18)) == berlin(2026, 3, 6, 18)  # closing
    assert OFFICE.next_working(berlin(2026, 3, 6, 3)) == berlin(2026, 3, 6, 8)
    assert OFFICE.is_working(berlin(2026, 3, 6, 9))
    assert not OFFICE.is_working(berlin(2026, 3, 6, 18))


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9)
    with pytest.raises(NaiveDatetime):
        OFFICE.add(naive, H)
    with pytest.raises(NaiveDatetime):
        OFFICE.between(naive, berlin(2026, 3, 2, 10))
    with pytest.raises(NaiveDatetime):
        OFFICE.between(berlin(2026, 3, 2, 10), naive)
    with pytest.raises(NaiveDatetime):
        OFFICE.next_working(naive)


def test_negative_durations_and_reversed_spans_are_refused() -> None:
    with pytest.raises(NegativeDuration):
        OFFICE.add(berlin(2026, 3, 2, 9), -H)
    with pytest.raises(NegativeDuration):
        OFFICE.between(berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 9))
    with pytest.raises(NegativeDuration):
        BusinessCalendar({0: [(time(18), time(8))]})
    assert issubclass(NegativeDuration, ValidationError)


def test_empty_calendars_are_refused_not_looped() -> None:
    with pytest.raises(EmptyCalendar):
        BusinessCalendar({})
    with pytest.raises(EmptyCalendar):
        BusinessCalendar({0: []})
    # Sundays only, and every Sunday of eleven years is a holiday: a clear error.
    first = date(2026, 3, 1)  # a Sunday
    sundays = [first + timedelta(weeks=w) for w in range(52 * 11)]
    cal = BusinessCalendar({6: [(time(9), time(17))]}, extra_holidays=sundays)
    with pytest.raises(EmptyCalendar):
        cal.add(datetime(2026, 2, 27, tzinfo=UTC), H)
    with pytest.raises(EmptyCalendar):
        cal.next_working(datetime(2026, 2, 27, tzinfo=UTC))


def test_unknown_regions_zones_and_shapes_are_typed_errors() -> None:
    with pytest.raises(UnknownHolidayRegion):
        BusinessCalendar.weekdays(time(8), time(18), country="XX")
    with pytest.raises(UnknownHolidayRegion):
        BusinessCalendar.weekdays(time(8), time(18), country="DE", subdivision="ZZ")
    with pytest.raises(ValidationError):
        BusinessCalendar.weekdays(time(8), time(18), subdivision="BY")
    with pytest.raises(ValidationError):
        BusinessCalendar.weekdays(time(8), time(18), zone="Mars/Olympus")
    with pytest.raises(ValidationError):
        BusinessCalendar({7: [(time(8), time(9))]})
    with pytest.raises(ValidationError):
        BusinessCalendar({0: [(time(8), time(12)), (time(11), time(13))]})
    with pytest.raises(ValidationError):
        OFFICE.add(berlin(2026, 3, 2, 9), 3600)  # type: ignore[arg-type]


def test_calendars_are_values() -> None:
    again = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")
    OFFICE.between(berlin(2026, 3, 2), berlin(2026, 3, 9))  # fill OFFICE's cache
    assert again == OFFICE and hash(again) == hash(OFFICE)
    assert again != TWENTY_FOUR_SEVEN


# -- laws ----------------------------------------------------------------------------

LUNCH = BusinessCalendar(
    {d: [(time(8), time(12)), (time(13), time(18))] for d in range(5)} | {5: [(time(9), time(13))]},
    zone="Europe/Berlin",
    country="DE",
)
CALENDARS = st.sampled_from([OFFICE, LUNCH, TWENTY_FOUR_SEVEN])
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, DURATIONS)
def test_between_undoes_add(cal: BusinessCalendar, start: datetime, d: timedelta) -> None:
    end = cal.add(start, d)
    assert end >= start
    assert cal.between(start, end) == d


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, DURATIONS)
def test_add_of_between_is_the_last_working_instant(
    cal: BusinessCalendar, a: datetime, span: timedelta
) -> None:
    b = a + span
    back = cal.add(a, cal.between(a, b))
    assert a <= back <= b
    assert cal.between(back, b) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, DURATIONS, DURATIONS)
def test_business_time_is_additive_monotonic_and_bounded(
    cal: BusinessCalendar, a: datetime, d1: timedelta, d2: timedelta
) -> None:
    b, c = a + d1, a + d1 + d2
    ab, bc, ac = cal.between(a, b), cal.between(b, c), cal.between(a, c)
    assert ab >= timedelta(0) and bc >= timedelta(0)
    assert ab + bc == ac
    assert ab <= ac <= c - a


# -- between_us against a per-day reference --------------------------------------------


@functools.cache
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _closed(cal: BusinessCalendar, day: date) -> bool:
    if day in cal.extra_holidays:
        return True
    return cal.country is not None and day in _public_holidays(
        cal.country, cal.subdivision, day.year
    )


def reference_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time in [a, b) the slow way: every local day, every interval, in UTC."""
    zone = ZoneInfo(cal.zone)
    total = timedelta(0)
    day = a.astimezone(zone).date() - timedelta(days=1)
    while day <= b.astimezone(zone).date() + timedelta(days=1):
        if not _closed(cal, day):
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            for start, end in cal.week[day.weekday()]:
                lo = max((midnight + timedelta(seconds=start)).astimezone(UTC), a)
                hi = min((midnight + timedelta(seconds=end)).astimezone(UTC), b)
                total += max(hi - lo, timedelta(0))
        day += timedelta(days=1)
    return total


def _around_midnight(zone: str) -> BusinessCalendar:
    """Working time right after and before local midnight, every day but Wednesday."""
    hours = {d: [(time(0), time(1, 30)), (time(22, 45), time(0))] for d in (0, 1, 3, 4, 5, 6)}
    return BusinessCalendar(hours, zone=zone, extra_holidays=[date(2026, 12, 24)])


REFERENCE_CALENDARS = st.sampled_from(
    [
        OFFICE,
        LUNCH,
        BusinessCalendar({6: [(time(0), time(0))]}, zone="Europe/Berlin"),
        _around_midnight("Pacific/Kiritimati"),  # UTC+14
        _around_midnight("Pacific/Pago_Pago"),  # UTC-11
        _around_midnight("Australia/Lord_Howe"),  # half-hour DST shift
        BusinessCalendar.weekdays(
            time(9), time(17, 30), zone="America/St_Johns", country="CA", subdivision="NL"
        ),
    ]
)
SPANS = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)),
    st.timedeltas(min_value=timedelta(days=60), max_value=timedelta(days=900)),
)
WIDE_INSTANTS = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=250, deadline=None)
@given(REFERENCE_CALENDARS, WIDE_INSTANTS, SPANS)
def test_between_matches_a_per_day_reference(
    cal: BusinessCalendar, a: datetime, span: timedelta
) -> None:
    assert cal.between(a, a + span) == reference_between(cal, a, a + span)


@settings(max_examples=40, deadline=None)
@given(WIDE_INSTANTS, SPANS, SPANS)
def test_between_does_not_depend_on_what_the_cache_holds(
    a: datetime, warm_span: timedelta, span: timedelta
) -> None:
    def fresh() -> BusinessCalendar:
        return BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")

    warm = fresh()
    warm.between(a - warm_span, a + warm_span)
    assert warm.between(a, a + span) == fresh().between(a, a + span)


def test_long_spans_far_apart_and_across_years() -> None:
    # 2026 has 261 weekdays (52 weeks + Thursday Dec 31). German federal holidays on
    # weekdays: Jan 1, Apr 3, Apr 6, May 1, May 14, May 25, Dec 25 (Oct 3 and Dec 26 are
    # Saturdays), so 254 working days of 10 h each.
    year = OFFICE.between(berlin(2026, 1, 1), berlin(2027, 1, 1))
    assert year == 254 * 10 * H
    cal = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")
    far = (datetime(1975, 3, 3, 12, tzinfo=UTC), datetime(2105, 6, 1, tzinfo=UTC))
    assert cal.between(*far) == reference_between(cal, *far)
    near = (berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 10))
    assert cal.between(*near) == H


@settings(max_examples=150, deadline=None)
@given(REFERENCE_CALENDARS, WIDE_INSTANTS)
def test_is_working_matches_the_reference(cal: BusinessCalendar, at: datetime) -> None:
    tick = timedelta(microseconds=1)
    assert cal.is_working(at) == (reference_between(cal, at, at + tick) == tick)
