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
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import is_not
from typing import Any, NamedTuple

import attrs
from attrs import frozen

from itil_l2.errors import ValidationError

__all__ = ["Distribution", "Exclusion", "Exclusions", "Floats", "KpiResult", "percentile"]


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


class Floats(list[float]):
    """Values the KPI engine measured with batch rules (floats by construction, tested).

    `Distribution` keeps such a list as it is: converting a million floats
    to float again cost a copy per distribution of a KPI set.
    """

    __slots__ = ()


def _floats(values: Iterable[float]) -> tuple[float, ...] | list[float]:
    if type(values) is Floats:
        return values
    return values if type(values) is tuple and _all_sorted(values) else list(map(float, values))


def _all_sorted(values: tuple[float, ...]) -> bool:
    return all(type(v) is float for v in values) and all(map(float.__le__, values, values[1:]))


def _sorted(values: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    return values if type(values) is tuple else tuple(sorted(values))


def _names(instance: object) -> list[tuple[str, str]]:
    """(name, public name) of each field of an attrs instance."""
    fields: Any = attrs.fields(type(instance))  # type: ignore[arg-type]  # an attrs class
    return [(a.name, a.alias or a.name) for a in fields]


def _class_name(instance: object) -> str:
    """The class's name as attrs' `repr` gives it (a class made in a function: its own name)."""
    return type(instance).__qualname__.rsplit(">.", 1)[-1]


class _PublicFields:
    """State and `repr` by the public names of an attrs class's fields (their aliases).

    `KpiResult` and `Distribution` keep a field in a private slot (made or
    sorted when first read); pickles, `repr` and `__setstate__` speak of
    `excluded` and `values`, as before, so pickles of either form load.
    """

    __slots__ = ()

    def __getstate__(self) -> dict[str, Any]:
        return {public: getattr(self, public) for _, public in _names(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, public in _names(self):
            object.__setattr__(self, name, state.get(public, state.get(name)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{public}={getattr(self, public)!r}" for _, public in _names(self))
        return f"{_class_name(self)}({shown})"


@frozen(repr=False, getstate_setstate=False)
class Distribution(_PublicFields):
    """The measured values of a KPI, sorted, with the usual statistics.

    The values are sorted when first needed (a percentile, `values`): the
    mean, sum and count of a million values need no sort (`math.fsum` is
    exact in any order; only where its intermediate sum would overflow, it
    sums the sorted values, as it always did), and most KPI tables ask for
    no more.

    >>> d = Distribution([4.0, 1.0, 2.0, 3.0])
    >>> d.mean, d.median, d.percentile(90)   # p90: h = 3 * .9 = 2.7 -> 3 + .7 * 1
    (2.5, 2.5, 3.7)
    >>> d.values
    (1.0, 2.0, 3.0, 4.0)
    """

    _given: tuple[float, ...] | list[float] = attrs.field(
        converter=_floats, eq=_sorted, alias="values"
    )

    @property
    def values(self) -> tuple[float, ...]:
        """The values, sorted."""
        given = self._given
        if type(given) is tuple:
            return given  # sorted when given (`_floats`)
        ordered = _sorted(given)
        object.__setattr__(self, "_given", ordered)  # sorted once; equal either way
        return ordered

    def __repr__(self) -> str:
        return f"{_class_name(self)}(values=<{len(self._given)} values>)"

    def _sum(self) -> float:
        try:
            return math.fsum(self._given)
        except OverflowError:  # fsum's intermediate overflow depends on the order
            return math.fsum(self.values)

    @property
    def count(self) -> int:
        """How many values."""
        return len(self._given)

    @property
    def mean(self) -> float | None:
        """The arithmetic mean, None when empty."""
        return self._sum() / len(self._given) if self._given else None

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
            return self._sum()
        if name == "count":
            return float(len(self._given))
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


_exclusion = tuple.__new__  # builds an Exclusion without the Python-level __new__


class Exclusions:
    """Exclusions kept as two parallel lists (ids, reasons) until first read.

    A KPI set over a million tickets excludes millions of records; the
    engine keeps the ids and reasons it already holds and a `KpiResult`
    makes the `Exclusion` tuples only when `excluded` is read (a report that
    reads `reasons()` never makes them).
    """

    __slots__ = ("_chunks", "_ids", "_reasons")

    def __init__(self, ids: list[str], reasons: list[str]) -> None:
        self._ids = ids
        self._reasons = reasons
        self._chunks: list[tuple[Sequence[str], Sequence[str | None]]] | None = None

    @classmethod
    def joined(cls, chunks: list[tuple[Sequence[str], Sequence[str | None]]]) -> Exclusions:
        """Exclusions given as chunks of (ids, reasons), joined when first read.

        A reason None leaves that id out: the engine hands over a chunk's ids
        with the reasons a batch rule gave (shared by every metric excluding
        alike), and nothing is copied unless the exclusions are read.
        """
        made = cls([], [])
        made._chunks = chunks
        return made

    @property
    def ids(self) -> list[str]:
        """The excluded records' ids, in order."""
        self._join()
        return self._ids

    @property
    def reasons(self) -> list[str]:
        """Why each was excluded, in the same order."""
        self._join()
        return self._reasons

    def _join(self) -> None:
        chunks = self._chunks
        if chunks is None:
            return
        ids: list[str] = []
        why: list[str] = []
        for chunk_ids, reasons in chunks:
            if None in reasons:
                keep = list(map(is_not, reasons, repeat(None)))
                ids.extend(compress(chunk_ids, keep))
                why.extend(compress(reasons, keep))  # type: ignore[arg-type]
            else:
                ids.extend(chunk_ids)
                why.extend(reasons)  # type: ignore[arg-type]
        self._ids, self._reasons = ids, why  # joined once (in two threads: equal lists)
        self._chunks = None

    def __len__(self) -> int:
        chunks = self._chunks
        if chunks is None:
            return len(self._ids)
        return sum(len(reasons) - reasons.count(None) for _, reasons in chunks)

    def made(self) -> tuple[Exclusion, ...]:
        """The `Exclusion`s, in order."""
        return tuple(map(_exclusion, repeat(Exclusion), zip(self.ids, self.reasons, strict=True)))

    def __reduce__(self) -> tuple[type[Exclusions], tuple[list[str], list[str]]]:
        return Exclusions, (self.ids, self.reasons)


def _made(value: tuple[Exclusion, ...] | Exclusions) -> tuple[Exclusion, ...]:
    """The exclusions as given, or made from `Exclusions` (what equality compares)."""
    return value.made() if isinstance(value, Exclusions) else value


@frozen(repr=False, getstate_setstate=False)
class KpiResult(_PublicFields):
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
    _excluded: tuple[Exclusion, ...] | Exclusions = attrs.field(
        default=(), eq=_made, alias="excluded"
    )
    numerator: int | None = None
    distribution: Distribution | None = None
    unit: str = "ratio"

    @property
    def excluded(self) -> tuple[Exclusion, ...]:
        """Each record left out, with the reason, in the order measured."""
        found = self._excluded
        if not isinstance(found, Exclusions):
            return found
        made = found.made()
        object.__setattr__(self, "_excluded", made)  # made once; equal either way
        return made

    @property
    def excluded_count(self) -> int:
        """How many records were left out: `len(excluded)`, without making each `Exclusion`.

        >>> from itil_l2.kpis import Exclusion, KpiResult
        >>> KpiResult("reopen_rate", None, 0, (Exclusion("INC-3", "still open"),)).excluded_count
        1
        """
        return len(self._excluded)

    def reasons(self) -> dict[str, int]:
        """How many records were excluded for each reason."""
        found = self._excluded
        if type(found) is Exclusions:
            return dict(Counter(found.reasons))
        return dict(Counter(e.reason for e in self.excluded))
