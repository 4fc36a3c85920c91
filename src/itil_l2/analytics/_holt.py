"""Holt's linear method: the fit of α, β and the start state, and its h-step variance.

Component form (what `fit_holt` runs), with β* the trend's smoothing weight:

    level_t = α·y_t + (1 − α)(level_{t−1} + trend_{t−1})
    trend_t = β*(level_t − level_{t−1}) + (1 − β*)·trend_{t−1}

Written as the state space model ETS(A,A,N) (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., §8.7) the error e_t moves
the level by α·e_t and the trend by α·β*·e_t: the model's β is α·β*, not
β*. The h-step forecast error is e_{T+h} + Σ_{j=1}^{h−1} (α + j·α·β*)·e_{T+h−j},
so its variance is σ²[1 + Σ_{j=1}^{h−1} (α + j·α·β*)²]; `variance_factor`
evaluates that sum in closed form. Using β* where the formula wants α·β*
made the intervals about three times too wide (issue 17).

The fit minimises the in-sample sum of squared one-step errors. The start
level and trend enter those errors linearly, so for each (α, β*) their best
values come from a 2 × 2 least-squares solve (no guessing from the first
two points); α and β* come from a coarse grid refined by Nelder–Mead inside
[LOW, 1]. Deterministic, with a bounded number of evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

LOW = 1e-4
"""The smallest alpha or beta the search tries (0 would stop the level or trend learning)."""
_GRID = (0.05, 0.3, 0.6, 0.9)
_MAX_EVALS = 120
_TOL = 1e-7


def variance_factor(h: float, alpha: float, beta_star: float) -> float:
    """σ²_h / σ² = 1 + Σ_{j=1}^{h−1} (α + j·α·β*)², in closed form.

    With b = α·β*: 1 + (h − 1)(α² + α·b·h + b²·h(2h − 1)/6), which is the
    sum exactly at whole h and interpolates it smoothly between steps.

    >>> variance_factor(3, 0.5, 0.2)   # 1 + (0.5 + 0.1)² + (0.5 + 0.2)²
    1.85
    """
    h = max(h, 1.0)
    b = alpha * beta_star
    return 1 + (h - 1) * (alpha * alpha + alpha * b * h + b * b * h * (2 * h - 1) / 6)


def _run(ys: Sequence[float], a: float, b: float) -> tuple[float, float, float, float, float]:
    """One pass; returns (sse, level, trend, l0, b0) for the least-squares start state.

    The one-step forecast f_t is linear in the start state: f_t = p_t + l0·u_t
    + b0·v_t, where p runs on the data from state (0, 0) and u, v run on zero
    data from (1, 0) and (0, 1). Error e_t = (y_t − p_t) − l0·u_t − b0·v_t,
    so the best (l0, b0) solve the 2 × 2 normal equations.
    """
    pl = pb = 0.0  # data pass from (0, 0)
    ul, ub, vl, vb = 1.0, 0.0, 0.0, 1.0  # start-state sensitivities
    ruu = ruv = rvv = rur = rvr = rrr = 0.0
    for y in ys:
        pf, uf, vf = pl + pb, ul + ub, vl + vb
        r = y - pf
        ruu += uf * uf
        ruv += uf * vf
        rvv += vf * vf
        rur += uf * r
        rvr += vf * r
        rrr += r * r
        # level/trend update, the same linear map for all three passes
        npl = pf + a * r
        pb += b * (npl - pl - pb)
        pl = npl
        nul = uf - a * uf
        ub += b * (nul - ul - ub)
        ul = nul
        nvl = vf - a * vf
        vb += b * (nvl - vl - vb)
        vl = nvl
    det = ruu * rvv - ruv * ruv
    if det <= 1e-12 * max(ruu * rvv, 1e-300):
        l0, b0 = (rur / ruu if ruu else 0.0), 0.0
    else:
        l0 = (rur * rvv - rvr * ruv) / det
        b0 = (rvr * ruu - rur * ruv) / det
    sse = rrr - 2 * (l0 * rur + b0 * rvr) + l0 * l0 * ruu + 2 * l0 * b0 * ruv + b0 * b0 * rvv
    return max(sse, 0.0), pl + l0 * ul + b0 * vl, pb + l0 * ub + b0 * vb, l0, b0


def _nelder_mead(f: Callable[[list[float]], float], start: list[float], step: float) -> list[float]:
    """Minimise f from `start` (Nelder–Mead, standard coefficients, bounded evaluations)."""
    d = len(start)
    simplex = [list(start)] + [
        [x + (step if i == k else 0.0) for k, x in enumerate(start)] for i in range(d)
    ]
    values = [f(p) for p in simplex]
    evals = d + 1
    while evals < _MAX_EVALS:
        order = sorted(range(d + 1), key=lambda i: values[i])
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if values[-1] - values[0] <= _TOL * (abs(values[0]) + _TOL):
            break
        centre = [sum(p[k] for p in simplex[:-1]) / d for k in range(d)]
        worst = simplex[-1]

        def toward(
            t: float, worst: list[float] = worst, centre: list[float] = centre
        ) -> list[float]:
            return [c + t * (c - w) for c, w in zip(centre, worst, strict=True)]

        refl = toward(1.0)
        fr = f(refl)
        evals += 1
        if fr < values[0]:
            exp = toward(2.0)
            fe = f(exp)
            evals += 1
            simplex[-1], values[-1] = (exp, fe) if fe < fr else (refl, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = refl, fr
        else:
            con = toward(0.5) if fr < values[-1] else toward(-0.5)
            fc = f(con)
            evals += 1
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = con, fc
            else:  # shrink towards the best point
                best = simplex[0]
                for i in range(1, d + 1):
                    simplex[i] = [b + 0.5 * (x - b) for b, x in zip(best, simplex[i], strict=True)]
                    values[i] = f(simplex[i])
                evals += d
    i = min(range(d + 1), key=lambda i: values[i])
    return simplex[i]


def fit(
    ys: Sequence[float], alpha: float | None, beta_star: float | None
) -> tuple[float, float, float, float, float]:
    """(α, β*, sse, level, trend) at the least in-sample SSE; a given α or β* stays fixed."""
    free = [alpha is None, beta_star is None]

    def params(x: Sequence[float]) -> tuple[float, float]:
        it = iter(min(max(v, LOW), 1.0) for v in x)
        a = next(it) if free[0] else alpha
        b = next(it) if free[1] else beta_star
        assert a is not None and b is not None
        return a, b

    def sse(x: Sequence[float]) -> float:
        return _run(ys, *params(x))[0]

    if any(free):
        axes = [_GRID] * sum(free)
        starts = [[a] for a in _GRID] if len(axes) == 1 else [[a, b] for a in _GRID for b in _GRID]
        start = min(starts, key=sse)
        best = _nelder_mead(sse, start, 0.1)
        a, b = params(best)
    else:
        a, b = params([])
    s, level, trend, _, _ = _run(ys, a, b)
    return a, b, s, level, trend


def one_step_sd(sse: float, n: int) -> float:
    """σ from the n in-sample one-step errors: √(SSE / (n − 4)).

    Four values are fitted (α, β*, the start level and trend), so n − 4,
    not the maximum-likelihood n, which made one-step intervals too narrow
    on short series.
    """
    return math.sqrt(sse / (n - 4))
