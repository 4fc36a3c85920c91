"""Resolution time, time to restore and time per tier, worked out by hand."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from itil_l2 import Tier
from itil_l2.knowledge import Period
from itil_l2.kpis import resolution_time, response_time, tier_time, time_to_restore
from test_kpi_helpers import NOT_SOLVED, SOLVED_WORKAROUND, Story, h


class OfficeHours:
    """A hand-written business clock: 08:00-18:00 UTC on every day of the week."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        total = timedelta(0)
        day = a.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < b:
            start, end = day + timedelta(hours=8), day + timedelta(hours=18)
            overlap = min(b, end) - max(a, start)
            total += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return total


def test_office_hours_clock_itself() -> None:
    assert OfficeHours().between(h(0), h(10)) == timedelta(hours=2)
    assert OfficeHours().between(h(17), h(24 + 9)) == timedelta(hours=2)


def _tickets() -> list:  # type: ignore[type-arg]
    a = Story("A").assign(1).start(2).resolve(10)  # 10 h
    b = Story("B").assign(1).start(2).resolve(4).reopen(6).resolve(30)  # 30 h standing
    c = Story("C").assign(1).cancel(3)  # cancelled
    d = Story("D").assign(1)  # still open
    e = Story("E", at=2).resolve(3)  # 1 h, resolved from new
    return [a.t, b.t, c.t, d.t, e.t]


def test_resolution_time_mean_median_p90_and_exclusions() -> None:
    r = resolution_time(_tickets())
    assert r.definition == "resolution_time"
    assert r.distribution is not None and r.distribution.values == (1.0, 10.0, 30.0)
    assert r.value == pytest.approx((1 + 10 + 30) / 3)
    assert r.sample_size == 3
    assert r.reasons() == {"cancelled": 1, "still open": 1}
    assert resolution_time(_tickets(), statistic="median").value == 10.0
    # p90: rank h = (3 - 1) * 0.9 = 1.8 -> 10 + 0.8 * (30 - 10) = 26
    assert resolution_time(_tickets(), statistic="p90").value == pytest.approx(26.0)


def test_resolution_time_in_business_hours_with_a_hand_written_clock() -> None:
    r = resolution_time(_tickets(), clock=OfficeHours())
    assert r.definition == "business_resolution_time"
    # A: 0..10 h -> 08:00-10:00 = 2 h; B: 0..30 h -> Monday 08-18 = 10 h, Tuesday 00-06 = 0;
    # E: 02:00-03:00 = 0 h
    assert r.distribution is not None and r.distribution.values == (0.0, 2.0, 10.0)
    assert r.value == pytest.approx(4.0)


def test_resolution_time_with_a_real_business_calendar() -> None:
    from itil_l2 import BusinessCalendar

    calendar = BusinessCalendar.weekdays(time(8), time(18))  # UTC, Monday to Friday
    r = resolution_time(_tickets(), clock=calendar)
    assert r.distribution is not None and r.distribution.values == (0.0, 2.0, 10.0)
    # a ticket open over the weekend: Fri 17:00 -> Mon 09:00 is 1 h + 1 h of business time
    friday = Story("W", at=4 * 24 + 17).resolve(7 * 24 + 9).t
    assert resolution_time([friday], clock=calendar).value == 2.0
    assert resolution_time([friday]).value == 64.0


def test_resolution_time_with_a_period_counts_where_tickets_ended() -> None:
    r = resolution_time(_tickets(), period=Period(h(0), h(12)))
    assert r.distribution is not None and r.distribution.values == (1.0, 10.0)
    # B ended at 30 h (outside); C was cancelled inside the period; D is open
    assert r.reasons() == {"ended outside the period": 1, "cancelled": 1, "still open": 1}


def test_time_to_restore_takes_the_first_successful_resolution() -> None:
    tickets = _tickets()
    f = Story("F").assign(1).start(2).resolve(5, NOT_SOLVED)  # ended, never restored
    r = time_to_restore([*tickets, f.t])
    # A 10 h; B first resolved at 4 h; E 1 h; C cancelled and F unsuccessful never restored
    assert r.distribution is not None and r.distribution.values == (1.0, 4.0, 10.0)
    assert r.reasons() == {"never restored": 2, "still open": 1}


def test_time_to_restore_by_workaround_codes() -> None:
    g = Story("G").assign(1).start(1).resolve(2, SOLVED_WORKAROUND).reopen(3).resolve(8)
    a = Story("A").assign(1).start(2).resolve(10)
    r = time_to_restore([g.t, a.t], codes={"solved_workaround"})
    assert r.distribution is not None and r.distribution.values == (2.0,)
    assert r.reasons() == {"never restored": 1}
    assert time_to_restore([g.t]).value == 2.0  # the workaround is also successful


def _tiered() -> list:  # type: ignore[type-arg]
    s = (
        Story("I")
        .assign(1)
        .start(3)
        .escalate(4)
        .start(6)
        .hold(7)
        .resume(9)
        .resolve(10)
        .reopen(20)
        .resolve(21)
    )
    l1 = Story("J").assign(1).start(2).resolve(5)
    return [s.t, l1.t]


def test_tier_time_queue_work_hold_and_total() -> None:
    tickets = _tiered()
    # ticket I at L2: queued 4..6 (2 h), worked 6..7, 9..10, 20..21 (3 h), held 7..9 (2 h)
    assert tier_time(tickets, Tier.L2, part="queue").value == 2.0
    assert tier_time(tickets, Tier.L2, part="work").value == 3.0
    assert tier_time(tickets, Tier.L2, part="hold").value == 2.0
    total = tier_time(tickets, Tier.L2)
    assert (total.value, total.definition, total.reasons()) == (7.0, "l2_total_time", {
        "never at L2": 1
    })  # fmt: skip
    # L1: ticket I queued 0..3, worked 3..4; ticket J queued 0..2, worked 2..5
    l1 = tier_time(tickets, Tier.L1, part="queue")
    assert l1.distribution is not None and l1.distribution.values == (2.0, 3.0)
    assert tier_time(tickets, Tier.L1, part="work", statistic="sum").value == 4.0


def test_tier_time_in_business_hours() -> None:
    # L2 work 06-07 (0 h), 09-10 (1 h), 20-21 (0 h) inside 08-18
    r = tier_time(_tiered(), Tier.L2, part="work", clock=OfficeHours())
    assert (r.value, r.definition) == (1.0, "business_l2_work_time")


def test_tier_time_refuses_an_unknown_part() -> None:
    from itil_l2 import ValidationError

    with pytest.raises(ValidationError):
        tier_time([], Tier.L2, part="lunch")  # type: ignore[arg-type]


def test_response_time_to_the_first_start_or_an_unstarted_resolve() -> None:
    tickets = _tickets()
    # A and B started at 2 h; E resolved from new at 3 h, opened at 2 h -> 1 h;
    # C cancelled unstarted: never worked; D still open
    r = response_time(tickets)
    assert r.distribution is not None and r.distribution.values == (1.0, 2.0, 2.0)
    assert r.reasons() == {"never worked": 1, "still open": 1}
    late = Story("L", at=7).assign(7.5).start(9).resolve(12).t  # 07:00 -> 09:00: 1 h in 08-18
    assert response_time([late], clock=OfficeHours()).value == 1.0
