"""Holt's prediction intervals against simulated ETS(A,A,N) series with known α, β, σ (issue 17).

The simulation is written here from the model's definition, independently
of the library: y_t = l + b + e_t, then l += b + α·e_t and b += α·β·e_t,
with β the component-form trend weight `fit_holt` takes.
"""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import ValidationError
from itil_l2.analytics import fit_holt, student_t_quantile

T0 = datetime(2026, 3, 2, tzinfo=UTC)
Z = statistics.NormalDist().inv_cdf(0.975)


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


def simulate(rng: random.Random, n: int, alpha: float, beta: float, sigma: float) -> list[float]:
    level, trend, out = 50.0, 0.5, []
    for _ in range(n):
        e = rng.gauss(0.0, sigma)
        out.append(level + trend + e)
        level, trend = level + trend + alpha * e, trend + alpha * beta * e
    return out


def points(ys: list[float]) -> list[tuple[datetime, float]]:
    return [(day(d), y) for d, y in enumerate(ys)]


def theory_half(h: int, alpha: float, beta: float, sigma: float) -> float:
    """z · σ · √(1 + Σ_{j=1}^{h−1} (α + j·α·β)²), the sum spelt out."""
    return Z * sigma * math.sqrt(1 + sum((alpha + j * alpha * beta) ** 2 for j in range(1, h)))


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 1.0),
    st.floats(0.05, 1.0),
    st.integers(1, 12),
    st.integers(0, 2**16),
)
def test_the_interval_is_the_ets_sum_with_alpha_times_beta(
    alpha: float, beta: float, h: int, seed: int
) -> None:
    ys = simulate(random.Random(seed), 30, 0.5, 0.2, 1.0)
    fit = fit_holt(points(ys), alpha=alpha, beta=beta)
    p = fit.predict(day(29 + h))
    q = student_t_quantile(0.975, 30 - 4)
    expected = q * fit.sd * math.sqrt(1 + sum((alpha + j * alpha * beta) ** 2 for j in range(1, h)))
    assert (p.high - p.low) / 2 == pytest.approx(expected, rel=1e-9)
    assert p.low < p.value < p.high


def test_mean_width_with_known_parameters_matches_the_theory() -> None:
    """The issue's finding: widths were ~3x the theory. Known α, β: within 4 % of it."""
    alpha, beta, sigma, n = 0.5, 0.2, 2.0, 80
    rng = random.Random(2017)
    horizons = (1, 3, 6)
    widths: dict[int, list[float]] = {h: [] for h in horizons}
    inside = total = 0
    for _ in range(2000):
        ys = simulate(rng, n + max(horizons), alpha, beta, sigma)
        fit = fit_holt(points(ys[:n]), alpha=alpha, beta=beta)
        for h in horizons:
            p = fit.predict(day(n - 1 + h))
            widths[h].append(p.high - p.low)
            inside += p.low <= ys[n - 1 + h] <= p.high
            total += 1
    for h in horizons:
        # t(76) / z is 1.016 and s² divides by n - 4 (α, β count though given): ~2.5 % wider
        assert statistics.fmean(widths[h]) == pytest.approx(
            2 * theory_half(h, alpha, beta, sigma), rel=0.04
        )
    assert 0.93 <= inside / total <= 0.97


def test_95_percent_intervals_cover_95_percent_with_fitted_parameters() -> None:
    """2,000 series, α and β fitted from 120 points, the next value: 95 % ± 2 %."""
    rng = random.Random(17)
    inside = 0
    runs = 2000
    for i in range(runs):
        alpha, beta = (0.5, 0.2) if i % 2 else (0.3, 0.1)
        ys = simulate(rng, 121, alpha, beta, 2.0)
        p = fit_holt(points(ys[:120])).predict(day(120))
        inside += p.low <= ys[120] <= p.high
    assert 0.93 <= inside / runs <= 0.97


def test_the_fit_beats_every_point_of_the_old_tenth_grid() -> None:
    for seed in range(5):
        ys = simulate(random.Random(seed), 60, 0.6, 0.3, 1.5)
        best = fit_holt(points(ys)).sd
        grid = [i / 10 for i in range(1, 11)]
        assert all(
            best <= fit_holt(points(ys), alpha=a, beta=b).sd + 1e-12 for a in grid for b in grid
        )


def test_a_long_series_recovers_the_true_parameters() -> None:
    ys = simulate(random.Random(5), 3000, 0.4, 0.25, 1.0)
    fit = fit_holt(points(ys))
    assert fit.alpha == pytest.approx(0.4, abs=0.05)
    assert fit.beta == pytest.approx(0.25, abs=0.08)
    assert fit.sd == pytest.approx(1.0, abs=0.05)


def test_bad_parameters_and_too_short_series_are_refused() -> None:
    ys = [float(d) for d in range(10)]
    for bad in ({"alpha": 0.0}, {"alpha": 1.5}, {"beta": -0.1}, {"confidence": 1.0}):
        with pytest.raises(ValidationError):
            fit_holt(points(ys), **bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        fit_holt(points(ys[:5]))  # four values are fitted; σ needs two more points
