"""Capacity forecasting: when will a metric cross its limit?

Given a time series of a monitoring metric (disk usage, CPU, tickets per
day), fit a trend and say when it is expected to cross a threshold, with an
uncertainty band. Pure Python (`statistics`); three fits:

- `fit_linear`: ordinary least squares; `robust=True` uses Theil–Sen (the
  median of pairwise slopes), which a few outliers cannot tilt.
- `fit_holt`: Holt's linear exponential smoothing (level + trend), which
  follows a trend that changes over time; needs regularly spaced points.
- `weekly=True` on either removes an additive day-of-week pattern first and
  adds it back to forecasts (for daily data with a weekly rhythm).

Prediction intervals come from the fit's residuals and are stated on each
fit. `forecast` combines a fit with `crossing`: "never" (None) when the
trend is flat or moving away from the threshold.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from attrs import frozen

from itil_l2._core.time import ensure_aware
from itil_l2.analytics._holt import fit as fit_smoothing
from itil_l2.analytics._holt import one_step_sd, variance_factor
from itil_l2.errors import ValidationError
from itil_l2.kpis import Granularity, period_of, periods_between
from itil_l2.tickets import Ticket

__all__ = [
    "Crossing",
    "Forecast",
    "Prediction",
    "TrendFit",
    "crossing",
    "fit_holt",
    "fit_linear",
    "forecast",
    "student_t_quantile",
    "ticket_counts",
]

_DAY = timedelta(days=1)
Point = tuple[datetime, float]


def student_t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (p in (0.5, 1)).

    Cornish–Fisher expansion of the normal quantile (Abramowitz & Stegun
    26.7.5): within 1 % for df ≥ 2 and 0.1 % for df ≥ 5.

    >>> round(student_t_quantile(0.975, 10), 3)   # table: 2.228
    2.228
    """
    if not 0.5 < p < 1 or df < 1:
        raise ValidationError(f"need 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    z = statistics.NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@frozen
class Prediction:
    """A forecast value and its prediction interval at one instant."""

    at: datetime
    value: float
    low: float
    high: float


@frozen
class TrendFit:
    """A fitted trend that predicts with an interval; build with `fit_linear` / `fit_holt`.

    Linear fits: value = intercept + slope · x (x in days since the first
    point) + the weekday's seasonal index; the interval is ± q · s ·
    √(1 + 1/n + (x − x̄)² / Sxx) with s² = SSE / (n − 2) of the residuals
    and q the Student t quantile with n − 2 degrees of freedom. Holt fits:
    value = level + h · trend (h in steps after the last point); the
    interval is ± q · σ · √(1 + Σ_{j=1}^{h−1} (α + j·α·β)²) (ETS(A,A,N),
    whose trend weight is α·β for the component-form `beta` β), with σ² =
    SSE / (n − 4) of the one-step errors and q the Student t quantile with
    n − 4 degrees of freedom. The interval leaves out the uncertainty of
    the fitted α and β, so beyond one step it is somewhat narrow for short
    series.
    """

    method: str
    origin: datetime
    last_at: datetime
    slope_per_day: float
    intercept: float
    sd: float
    confidence: float
    n: int
    x_mean: float
    sxx: float
    seasonal: tuple[float, ...]
    tz: tzinfo
    step_days: float = 1.0
    alpha: float = 0.0
    beta: float = 0.0

    def _season(self, at: datetime) -> float:
        return self.seasonal[at.astimezone(self.tz).weekday()] if self.seasonal else 0.0

    def predict(self, at: datetime) -> Prediction:
        """The expected value at `at` with its prediction interval."""
        x = (ensure_aware(at) - self.origin) / _DAY
        mid = self.intercept + self.slope_per_day * x + self._season(at)
        tail = (1 + self.confidence) / 2
        if self.method == "holt":
            h = max((at - self.last_at) / _DAY / self.step_days, 1.0)
            q = student_t_quantile(tail, self.n - 4)
            half = q * self.sd * math.sqrt(variance_factor(h, self.alpha, self.beta))
        else:
            q = student_t_quantile(tail, self.n - 2)
            half = q * self.sd * math.sqrt(1 + 1 / self.n + (x - self.x_mean) ** 2 / self.sxx)
        return Prediction(at, mid, mid - half, mid + half)


def _clean(points: Iterable[Point], minimum: int) -> list[Point]:
    out = sorted((ensure_aware(at), float(v)) for at, v in points)
    if len(out) < minimum:
        raise ValidationError(f"need at least {minimum} points, got {len(out)}")
    if any(not math.isfinite(v) for _, v in out):
        raise ValidationError("values must be finite numbers")
    if len({at for at, _ in out}) != len(out):
        raise ValidationError("two points share one instant")
    return out


def _weekday_indices(points: list[Point], slope: float, icpt: float, tz: tzinfo) -> list[float]:
    origin = points[0][0]
    sums, counts = [0.0] * 7, [0] * 7
    for at, v in points:
        day = at.astimezone(tz).weekday()
        sums[day] += v - (icpt + slope * (at - origin) / _DAY)
        counts[day] += 1
    means = [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]
    centre = statistics.fmean(m for m, c in zip(means, counts, strict=True) if c)
    return [m - centre if c else 0.0 for m, c in zip(means, counts, strict=True)]


def _line(xs: list[float], ys: list[float], robust: bool) -> tuple[float, float]:
    if not robust:
        return statistics.linear_regression(xs, ys)
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(len(xs)) for j in range(i + 1, len(xs))
    ]
    slope = statistics.median(slopes)
    return slope, statistics.median(y - slope * x for x, y in zip(xs, ys, strict=True))


def fit_linear(
    points: Iterable[Point],
    *,
    robust: bool = False,
    weekly: bool = False,
    confidence: float = 0.95,
    tz: tzinfo = UTC,
) -> TrendFit:
    """Fit a straight line (least squares, or Theil–Sen with `robust`) to (instant, value) points.

    Needs at least 3 points (14 with `weekly`). Theil–Sen compares every
    pair of points, so keep robust fits to a few thousand points.

    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> fit = fit_linear([(t0 + timedelta(days=d), 50.0 + 2 * d) for d in range(10)])
    >>> fit.slope_per_day, fit.predict(t0 + timedelta(days=20)).value   # 50 + 2 * 20
    (2.0, 90.0)
    """
    if not 0 < confidence < 1:
        raise ValidationError(f"confidence is between 0 and 1, got {confidence}")
    pts = _clean(points, 14 if weekly else 3)
    origin = pts[0][0]
    xs = [(at - origin) / _DAY for at, _ in pts]
    ys = [v for _, v in pts]
    slope, icpt = _line(xs, ys, robust)
    seasonal: tuple[float, ...] = ()
    if weekly:
        seasonal = tuple(_weekday_indices(pts, slope, icpt, tz))
        ys = [v - seasonal[at.astimezone(tz).weekday()] for at, v in pts]
        slope, icpt = _line(xs, ys, robust)
    sse = math.fsum((y - icpt - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    x_mean = statistics.fmean(xs)
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    return TrendFit(
        "theil_sen" if robust else "linear", origin, pts[-1][0], slope, icpt,
        math.sqrt(sse / (len(pts) - 2)), confidence, len(pts), x_mean, sxx, seasonal, tz,
    )  # fmt: skip


def fit_holt(
    points: Iterable[Point],
    *,
    alpha: float | None = None,
    beta: float | None = None,
    weekly: bool = False,
    confidence: float = 0.95,
    tz: tzinfo = UTC,
) -> TrendFit:
    """Holt's linear exponential smoothing over regularly spaced points.

    `alpha` (level) and `beta` (trend, component form) in (0, 1]; each one
    left None is fitted, with the start level and trend, by the least sum
    of squared one-step errors (a coarse grid refined by Nelder–Mead).
    Needs at least 6 points (14 with `weekly`): four values are fitted
    and σ needs two more. All one step apart (the median gap, within 1 %).

    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> fit = fit_holt([(t0 + timedelta(days=d), 10.0 + 2 * d) for d in range(8)])
    >>> round(fit.predict(t0 + timedelta(days=10)).value, 6)   # 10 + 2 * 10
    30.0
    """
    for name, given in (("alpha", alpha), ("beta", beta)):
        if given is not None and not 0 < given <= 1:
            raise ValidationError(f"{name} is in (0, 1], got {given}")
    if not 0 < confidence < 1:
        raise ValidationError(f"confidence is between 0 and 1, got {confidence}")
    pts = _clean(points, 14 if weekly else 6)
    gaps = [(b[0] - a[0]) / _DAY for a, b in itertools.pairwise(pts)]
    step = statistics.median(gaps)
    if any(abs(g - step) > 0.01 * step for g in gaps):
        raise ValidationError("Holt's method needs regularly spaced points; resample first")
    seasonal: tuple[float, ...] = ()
    ys = [v for _, v in pts]
    if weekly:
        line = fit_linear(pts, tz=tz)
        seasonal = tuple(_weekday_indices(pts, line.slope_per_day, line.intercept, tz))
        ys = [v - seasonal[at.astimezone(tz).weekday()] for at, v in pts]
    a, b, sse, level, trend = fit_smoothing(ys, alpha, beta)
    slope = trend / step
    last = pts[-1][0]
    span = (last - pts[0][0]) / _DAY
    return TrendFit(
        "holt", pts[0][0], last, slope, level - slope * span,
        one_step_sd(sse, len(pts)), confidence, len(pts), 0.0, 1.0, seasonal, tz,
        step, a, b,
    )  # fmt: skip


@frozen
class Crossing:
    """When a forecast crosses a threshold; None means "never" (within the horizon).

    `expected` is when the forecast value crosses; `earliest` when the
    near edge of the prediction interval does (the high edge for a rising
    limit), `latest` when the far edge does. `reason` is "crosses",
    "already crossed", "flat or moving away" or "beyond the horizon".
    """

    threshold: float
    expected: datetime | None
    earliest: datetime | None
    latest: datetime | None
    reason: str


def _first(fit: TrendFit, side: str, threshold: float, up: bool, end: datetime) -> datetime | None:
    def over(at: datetime) -> bool:
        p = fit.predict(at)
        value = {"mid": p.value, "near": p.high if up else p.low, "far": p.low if up else p.high}
        return value[side] >= threshold if up else value[side] <= threshold

    steps = 2000
    width = (end - fit.last_at) / steps
    previous = fit.last_at
    for i in range(steps + 1):
        at = fit.last_at + width * i
        if over(at):
            low, high = previous, at
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (low, middle) if over(middle) else (middle, high)
            return high
        previous = at
    return None


def crossing(
    fit: TrendFit,
    threshold: float,
    *,
    horizon: timedelta | None = None,
    min_slope_per_day: float = 0.0,
) -> Crossing:
    """When `fit` is expected to reach `threshold` (rising to it, or falling to it).

    The direction is read from where the fit stands at its last point: a
    threshold above it is reached by a rising trend, one below by a falling
    trend. "Never" (all None) when the slope does not move towards the
    threshold by more than `min_slope_per_day`. Times are searched up to
    `horizon` after the last point (default: 5 × the data's span), to the
    minute.
    """
    now = fit.predict(fit.last_at).value
    up = threshold >= now
    if threshold == now:
        return Crossing(threshold, fit.last_at, fit.last_at, fit.last_at, "already crossed")
    toward = fit.slope_per_day if up else -fit.slope_per_day
    if toward <= min_slope_per_day:
        return Crossing(threshold, None, None, None, "flat or moving away")
    end = fit.last_at + (horizon or 5 * max(fit.last_at - fit.origin, _DAY))
    found = [_first(fit, side, threshold, up, end) for side in ("mid", "near", "far")]
    reason = "crosses" if found[0] is not None else "beyond the horizon"
    return Crossing(threshold, found[0], found[1], found[2], reason)


@frozen
class Forecast:
    """A fit and its threshold crossing, as `forecast` returns them."""

    fit: TrendFit
    crossing: Crossing


def forecast(
    points: Iterable[Point],
    threshold: float,
    *,
    method: Literal["linear", "theil_sen", "holt"] = "linear",
    weekly: bool = False,
    confidence: float = 0.95,
    horizon: timedelta | None = None,
    tz: tzinfo = UTC,
) -> Forecast:
    """Fit `points` with `method` and find when the trend crosses `threshold`."""
    pts = list(points)
    if method == "holt":
        fit = fit_holt(pts, weekly=weekly, confidence=confidence, tz=tz)
    elif method in ("linear", "theil_sen"):
        robust = method == "theil_sen"
        fit = fit_linear(pts, robust=robust, weekly=weekly, confidence=confidence, tz=tz)
    else:
        raise ValidationError(f"method is linear, theil_sen or holt, not {method!r}")
    return Forecast(fit, crossing(fit, threshold, horizon=horizon))


def ticket_counts(
    tickets: Iterable[Ticket], unit: Granularity = "day", *, tz: tzinfo = UTC
) -> list[Point]:
    """Tickets opened per day, week or month (empty periods count 0), as a series to fit."""
    times = sorted(t.opened_at for t in tickets)
    if not times:
        return []
    counts: dict[datetime, int] = {}
    for at in times:
        start = period_of(at, unit, tz).start
        counts[start] = counts.get(start, 0) + 1
    return [
        (p.start, float(counts.get(p.start, 0)))
        for p in periods_between(times[0], times[-1], unit, tz)
    ]
