"""What every KPI returns: a value, its sample, what was left out and why.

A KPI figure alone invites misreading ("MTTR" has four meanings; a mean hides
a long tail), so every calculator returns a `KpiResult` that names the
definition it used, how many records were measured, and each record left
out with the reason. Duration and count KPIs also keep their `Distribution`,
so any percentile can be read from the same result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

import attrs
from attrs import frozen

from itil_l2.errors import ValidationError

__all__ = ["Distribution", "Exclusion", "KpiResult", "percentile"]


def percentile(ordered: tuple[float, ...] | list[float], p: float) -> float:
    """The `p`-th percentile (0–100) of sorted values, by linear interpolation.

    The method is the "inclusive" one of `statistics.quantiles` (numpy's
    default): rank h = (n − 1) · p / 100, the value is x[⌊h⌋] plus the
    fraction h − ⌊h⌋ of the gap to the next value. p0 is the minimum and
    p100 the maximum; the result is monotonic in `p`.

    >>> percentile([1.0, 2.0, 3.0, 10.0], 50)   # h = 1.5: 2 + .5 * (3 - 2)
    2.5
    """
    if not ordered:
        raise ValidationError("a percentile of no values is undefined")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 100:
        raise ValidationError(f"a percentile is between 0 and 100, got {p!r}")
    h = (len(ordered) - 1) * p / 100
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return float(ordered[-1])
    return float(ordered[low] + (h - low) * (ordered[low + 1] - ordered[low]))


def _sorted(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(sorted(map(float, values)))


@frozen
class Distribution:
    """The measured values of a KPI, sorted, with the usual statistics.

    >>> d = Distribution([4.0, 1.0, 2.0, 3.0])
    >>> d.mean, d.median, d.percentile(90)   # p90: h = 3 * .9 = 2.7 -> 3 + .7 * 1
    (2.5, 2.5, 3.7)
    """

    values: tuple[float, ...] = attrs.field(converter=_sorted, repr=lambda v: f"<{len(v)} values>")

    @property
    def count(self) -> int:
        """How many values."""
        return len(self.values)

    @property
    def mean(self) -> float | None:
        """The arithmetic mean, None when empty."""
        return math.fsum(self.values) / len(self.values) if self.values else None

    @property
    def median(self) -> float | None:
        """The 50th percentile, None when empty."""
        return self.percentile(50)

    @property
    def p90(self) -> float | None:
        """The 90th percentile, None when empty."""
        return self.percentile(90)

    def percentile(self, p: float) -> float | None:
        """Any percentile (see `percentile` for the method), None when empty."""
        return percentile(self.values, p) if self.values else None

    def histogram(self) -> dict[float, int]:
        """How often each distinct value occurs (for count KPIs such as reassignments)."""
        return dict(sorted(Counter(self.values).items()))

    def statistic(self, name: str) -> float | None:
        """`"mean"`, `"median"`, `"sum"`, `"count"` or `"pNN"` (e.g. `"p90"`, `"p99.9"`)."""
        if name == "mean":
            return self.mean
        if name == "median":
            return self.median
        if name == "sum":
            return math.fsum(self.values)
        if name == "count":
            return float(len(self.values))
        return self.percentile(parse_percentile(name))


def parse_percentile(name: str) -> float:
    """The number in a `"pNN"` statistic name, or a `ValidationError`."""
    if isinstance(name, str) and name.startswith("p"):
        try:
            p = float(name[1:])
        except ValueError:
            p = -1.0
        if 0 <= p <= 100:
            return p
    raise ValidationError(f"unknown statistic {name!r}: use mean, median, sum, count or pNN")


class Exclusion(NamedTuple):
    """One record a KPI did not measure, and why (e.g. `"cancelled"`, `"still open"`).

    A named tuple, not an attrs class: a KPI over a million tickets may
    exclude most of them, and a tuple is the cheapest immutable record.
    """

    record_id: str
    reason: str


@frozen
class KpiResult:
    """A KPI's value with its sample size, exclusions and definition name.

    `value` is None when nothing could be measured (no division by zero).
    For rates, `numerator` / `sample_size` is the value; for durations
    (in hours) and counts, `distribution` holds every measured value and
    `value` is the `statistic` named in `definition`.

    >>> r = KpiResult("resolution_rate", 0.5, 2, (Exclusion("INC-3", "still open"),),
    ...               numerator=1)
    >>> r.value, r.sample_size + len(r.excluded), r.reasons()
    (0.5, 3, {'still open': 1})
    """

    definition: str
    value: float | None
    sample_size: int
    excluded: tuple[Exclusion, ...] = ()
    numerator: int | None = None
    distribution: Distribution | None = None
    unit: str = "ratio"

    def reasons(self) -> dict[str, int]:
        """How many records were excluded for each reason."""
        return dict(Counter(e.reason for e in self.excluded))
