"""The KPI engine, results, percentiles and ticket facts, on hand-made histories."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import Tier, ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis import (
    Distribution,
    KpiResult,
    Metric,
    kpi_facts,
    measure,
    percentile,
    period_of,
    periods_between,
    tier_intervals,
)
from test_kpi_helpers import DBA, NET, VENDOR, Story, h


def test_percentile_by_linear_interpolation_worked_by_hand() -> None:
    values = [1.0, 2.0, 4.0, 8.0, 16.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 16.0
    assert percentile(values, 50) == 4.0  # h = 4 * .5 = 2 -> x[2]
    assert percentile(values, 90) == pytest.approx(8 + 0.6 * 8)  # h = 3.6 -> 8 + .6 * (16 - 8)
    assert percentile(values, 10) == pytest.approx(1 + 0.4 * 1)  # h = 0.4
    assert percentile([5.0], 37) == 5.0


def test_percentile_agrees_with_statistics_inclusive_quartiles() -> None:
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    ordered = sorted(values)
    assert (percentile(ordered, 25), percentile(ordered, 50), percentile(ordered, 75)) == (
        pytest.approx(q1),
        pytest.approx(q2),
        pytest.approx(q3),
    )


@pytest.mark.parametrize("p", [-1, 101, "50", True])
def test_percentile_refuses_bad_p(p: object) -> None:
    with pytest.raises(ValidationError):
        percentile([1.0], p)  # type: ignore[arg-type]


def test_percentile_of_nothing_is_an_error_but_an_empty_distribution_says_none() -> None:
    with pytest.raises(ValidationError):
        percentile([], 50)
    d = Distribution([])
    assert (d.mean, d.median, d.p90, d.statistic("p99")) == (None, None, None, None)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_percentiles_are_monotonic_in_p_and_bounded(
    values: list[float], a: float, b: float
) -> None:
    d = Distribution(values)
    low, high = sorted((a, b))
    pl, ph = d.percentile(low), d.percentile(high)
    assert pl is not None and ph is not None
    assert min(values) <= pl <= ph <= max(values)


def test_distribution_statistics_and_histogram() -> None:
    d = Distribution([0, 2, 1, 0, 0])
    assert d.values == (0.0, 0.0, 0.0, 1.0, 2.0)
    assert d.mean == 3 / 5
    assert d.statistic("sum") == 3.0
    assert d.statistic("count") == 5.0
    assert d.histogram() == {0.0: 3, 1.0: 1, 2.0: 1}
    with pytest.raises(ValidationError):
        d.statistic("average")


def test_metric_validates_kind_statistic_and_unique_names() -> None:
    with pytest.raises(ValidationError):
        Metric("x", "ratio", lambda f: True)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Metric("x", "distribution", lambda f: 1.0, statistic="p200")
    m = Metric("x", "rate", lambda f: True)
    with pytest.raises(ValidationError):
        measure([], [m, m])


def test_measure_with_a_period_excludes_open_and_outside_tickets() -> None:
    inside = Story("IN").assign(1).resolve(5).t  # ended at +5 h
    outside = Story("OUT").assign(1).resolve(30).t  # ended at +30 h
    still = Story("OPEN").assign(1).t
    always = Metric("always", "rate", lambda f: True)
    day = Period(h(0), h(24))
    result = measure([inside, outside, still], [always], period=day)["always"]
    assert (result.value, result.sample_size, result.numerator) == (1.0, 1, 1)
    assert result.reasons() == {"ended outside the period": 1, "still open": 1}


def test_facts_of_a_long_history() -> None:
    s = (
        Story("A")
        .assign(1)
        .start(2)
        .escalate(3)  # L1 -> L2 (DBA)
        .start(4)
        .escalate(5, VENDOR)  # L2 -> L3
        .start(6)
        .hand_back(7, DBA)  # L3 -> L2: DBA again, a bounce DBA -> VENDOR -> DBA
        .start(8)
        .reassign(9, NET)
        .start(10)
        .resolve(11)
        .reopen(12)
        .resolve(13)
        .close(14)
    )
    f = kpi_facts(s.t)
    assert f.end_kind == "resolved"
    assert f.end_at == h(13)  # the standing resolution, not the first one
    assert f.restored_at == h(11)  # the first successful one
    assert f.resolved_tier is Tier.L2
    assert f.end_group == NET
    assert f.tiers == {Tier.L1, Tier.L2, Tier.L3}
    assert f.escalated == {(Tier.L1, Tier.L2), (Tier.L2, Tier.L3)}
    assert f.handed_back_from == {Tier.L3}
    assert f.group_changes == 4  # escalate, escalate, hand back, reassign
    assert f.ping_pongs == 1  # DESK, DBA, VENDOR, DBA, NET
    assert f.reopens == 1


def test_ping_pong_counts_each_return() -> None:
    # DESK -> DBA -> DESK -> DBA: groups D, B, D, B; returns at i=2 and i=3
    s = Story("P").assign(1).start(1).escalate(2).hand_back(3).escalate(4).resolve(5)
    assert kpi_facts(s.t).ping_pongs == 2


def test_resolve_from_new_is_handled_by_the_owner_tier() -> None:
    f = kpi_facts(Story("N").resolve(1).t)
    assert (f.end_kind, f.resolved_tier, f.tiers, f.group_changes) == (
        "resolved",
        Tier.L1,
        {Tier.L1},
        0,
    )


def test_tier_intervals_split_queue_work_and_hold_per_tier() -> None:
    s = (
        Story("I")
        .assign(1)  # new 0..1 at L1 (queue)
        .start(3)  # queued 1..3 at L1
        .escalate(4)  # work 3..4 at L1
        .start(6)  # queued 4..6 at L2
        .hold(7)  # work 6..7 at L2
        .resume(9)  # hold 7..9 at L2
        .resolve(10)  # work 9..10 at L2
        .reopen(20)  # resolved 10..20 not counted
        .resolve(21)  # work 20..21 at L2
    )
    got = [(t, p, (a - h(0)).total_seconds() / 3600, (b - h(0)).total_seconds() / 3600)
           for t, p, a, b in tier_intervals(s.t)]  # fmt: skip
    assert got == [
        (Tier.L1, "queue", 0, 1),
        (Tier.L1, "queue", 1, 3),
        (Tier.L1, "work", 3, 4),
        (Tier.L2, "queue", 4, 6),
        (Tier.L2, "work", 6, 7),
        (Tier.L2, "hold", 7, 9),
        (Tier.L2, "work", 9, 10),
        (Tier.L2, "work", 20, 21),
    ]


def test_kpi_result_reasons_and_defaults() -> None:
    r = KpiResult("x", None, 0)
    assert (r.excluded, r.reasons(), r.distribution, r.unit) == ((), {}, None, "ratio")


def test_period_of_day_week_month_in_a_time_zone() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    at = h(23.5)  # Monday 2026-03-02 23:30 UTC = Tuesday 00:30 in Berlin
    assert period_of(at, "day").start.date().isoformat() == "2026-03-02"
    assert period_of(at, "day", berlin).start.date().isoformat() == "2026-03-03"
    week = period_of(at, "week", berlin)
    assert (week.start.isoformat(), week.end.isoformat()) == (
        "2026-03-02T00:00:00+01:00",
        "2026-03-09T00:00:00+01:00",
    )
    month = period_of(h(24 * 30), "month", berlin)  # 2026-04-01 00:00 UTC = 02:00 CEST
    assert (month.start.isoformat(), month.end.isoformat()) == (
        "2026-04-01T00:00:00+02:00",
        "2026-05-01T00:00:00+02:00",
    )
    with pytest.raises(ValidationError):
        period_of(at, "year")  # type: ignore[arg-type]


def test_periods_between_are_contiguous() -> None:
    ps = periods_between(h(0), h(24 * 40), "week")
    # Mon 2 Mar .. Sat 11 Apr 2026: the weeks of 2, 9, 16, 23, 30 Mar and 6 Apr
    assert [p.start.date().day for p in ps] == [2, 9, 16, 23, 30, 6]
    assert all(a.end == b.start for a, b in itertools.pairwise(ps))
    assert periods_between(h(0), h(1), "day") == [period_of(h(0), "day")]
