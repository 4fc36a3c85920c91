"""Capacity forecasting: fits by hand, crossings, "never", and backtests on held-out points."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from itil_l2 import ValidationError
from itil_l2.analytics import (
    crossing,
    fit_holt,
    fit_linear,
    forecast,
    student_t_quantile,
    ticket_counts,
)
from test_kpi_helpers import Story

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


@pytest.mark.parametrize(
    ("p", "df", "table", "tolerance"),
    [
        (0.975, 2, 4.303, 0.01),
        (0.975, 5, 2.571, 0.001),
        (0.975, 10, 2.228, 0.001),
        (0.95, 20, 1.725, 0.001),
        (0.995, 30, 2.750, 0.001),
    ],
)
def test_t_quantiles_against_the_table(p: float, df: int, table: float, tolerance: float) -> None:
    assert student_t_quantile(p, df) == pytest.approx(table, rel=tolerance)


def test_least_squares_and_its_interval_by_hand() -> None:
    fit = fit_linear([(day(0), 1), (day(1), 3), (day(2), 2), (day(3), 6)])
    # x mean 1.5, y mean 3, Sxy = 3 + 0 - .5 + 4.5 = 7, Sxx = 5 -> slope 1.4, intercept 0.9
    assert fit.slope_per_day == pytest.approx(1.4)
    assert fit.intercept == pytest.approx(0.9)
    # residuals .1, .7, -1.7, .9 -> SSE 4.2, s = sqrt(4.2 / 2)
    s = math.sqrt(4.2 / 2)
    assert fit.sd == pytest.approx(s)
    p = fit.predict(day(5))  # 0.9 + 1.4 * 5 = 7.9
    half = 4.303 * s * math.sqrt(1 + 1 / 4 + (5 - 1.5) ** 2 / 5)
    assert p.value == pytest.approx(7.9)
    assert p.high - p.value == pytest.approx(half, rel=0.01)
    assert p.value - p.low == pytest.approx(half, rel=0.01)


def test_an_exact_line_crosses_exactly() -> None:
    points = [(day(d), 50.0 + 2 * d) for d in range(10)]
    result = forecast(points, 90.0)
    # 50 + 2 d = 90 at d = 20; no residuals, so the band is the line itself
    assert result.crossing.reason == "crosses"
    for at in (result.crossing.expected, result.crossing.earliest, result.crossing.latest):
        assert at is not None and abs(at - day(20)) <= timedelta(minutes=1)


def test_never_when_flat_or_moving_away() -> None:
    flat = fit_linear([(day(d), 70.0) for d in range(10)])
    assert crossing(flat, 90.0).expected is None
    assert crossing(flat, 90.0).reason == "flat or moving away"
    falling = fit_linear([(day(d), 80.0 - d) for d in range(10)])
    assert crossing(falling, 90.0).expected is None
    down = crossing(falling, 60.0)  # falling towards a lower limit: 80 - d = 60 at d = 20
    assert down.expected is not None and abs(down.expected - day(20)) <= timedelta(minutes=1)
    slow = fit_linear([(day(d), 50.0 + 0.01 * d) for d in range(10)])
    assert crossing(slow, 90.0, min_slope_per_day=0.05).expected is None


def test_already_crossed_and_beyond_the_horizon() -> None:
    fit = fit_linear([(day(d), 50.0 + 2 * d) for d in range(10)])
    assert crossing(fit, fit.predict(day(9)).value).reason == "already crossed"
    far = crossing(fit, 1000.0, horizon=timedelta(days=30))
    assert (far.expected, far.reason) == (None, "beyond the horizon")


def test_theil_sen_ignores_an_outlier_that_tilts_least_squares() -> None:
    points = [(day(d), 10.0 + d) for d in range(11)]
    points[10] = (day(10), 100.0)
    assert fit_linear(points, robust=True).slope_per_day == 1.0
    assert fit_linear(points).slope_per_day > 3.0
    assert forecast(points, 30.0, method="theil_sen").fit.method == "theil_sen"


def test_holt_follows_an_exact_line() -> None:
    fit = fit_holt([(day(d), 5.0 + 3 * d) for d in range(12)], alpha=0.5, beta=0.5)
    assert fit.slope_per_day == pytest.approx(3.0)
    assert fit.predict(day(20)).value == pytest.approx(65.0)
    assert fit.sd == pytest.approx(0.0, abs=1e-9)
    result = forecast([(day(d), 5.0 + 3 * d) for d in range(12)], 95.0, method="holt")
    assert result.crossing.expected is not None
    assert abs(result.crossing.expected - day(30)) <= timedelta(minutes=1)


def test_holt_needs_regular_points_and_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError):
        fit_holt([(day(d), float(d)) for d in (0, 1, 2, 4, 5)])
    with pytest.raises(ValidationError):
        fit_linear([(day(0), 1.0), (day(1), 2.0)])
    with pytest.raises(ValidationError):
        fit_linear([(day(0), 1.0), (day(0), 2.0), (day(1), 3.0)])
    with pytest.raises(ValidationError):
        forecast([(day(d), float(d)) for d in range(5)], 9.0, method="cubic")  # type: ignore[arg-type]


def _noisy(seed: int, n: int) -> list[tuple[datetime, float]]:
    rng = random.Random(seed)
    return [(day(d), 40.0 + 0.5 * d + rng.gauss(0, 2)) for d in range(n)]


@pytest.mark.parametrize("method", ["linear", "holt"])
def test_backtest_held_out_points_fall_in_the_95_percent_band(method: str) -> None:
    inside = total = 0
    for seed in range(20):
        series = _noisy(seed, 60)
        train, test = series[:50], series[50:]
        fit = fit_holt(train) if method == "holt" else fit_linear(train)
        for at, actual in test:
            p = fit.predict(at)
            inside += p.low <= actual <= p.high
            total += 1
    assert inside / total >= 0.85  # nominal 95 %; the check leaves room for sampling noise


def test_backtest_crossing_of_a_noisy_series_is_near_the_true_one() -> None:
    # the noiseless trend 40 + 0.5 d reaches 80 at d = 80
    result = forecast(_noisy(7, 50), 80.0)
    c = result.crossing
    assert c.expected is not None and c.earliest is not None and c.latest is not None
    assert abs(c.expected - day(80)) < timedelta(days=8)
    assert c.earliest < c.expected < c.latest
    assert c.earliest <= day(80) <= c.latest


def test_weekly_seasonality_is_learnt_and_forecast() -> None:
    def value(d: int) -> float:
        return 100.0 + d + (14.0 if day(d).weekday() == 0 else 0.0)  # busy Mondays

    train = [(day(d), value(d)) for d in range(42)]
    plain, weekly = fit_linear(train), fit_linear(train, weekly=True)
    future = [day(d) for d in range(42, 56)]
    worst_weekly = max(abs(weekly.predict(at).value - value(d)) for d, at in enumerate(future, 42))
    worst_plain = max(abs(plain.predict(at).value - value(d)) for d, at in enumerate(future, 42))
    assert worst_weekly < 0.5 < 5 < worst_plain
    holt = fit_holt(train, weekly=True)
    assert abs(holt.predict(day(49)).value - value(49)) < 1.0  # a Monday


def test_ticket_counts_fill_empty_days() -> None:
    ts = [Story(f"T{i}", at=h).t for i, h in enumerate([1, 2, 50])]  # Mon, Mon, Wed
    assert ticket_counts(ts) == [(day(0), 2.0), (day(1), 0.0), (day(2), 1.0)]
    assert ticket_counts([]) == []
