"""The structured RCA methods with real logic: five whys, Ishikawa, Kepner-Tregoe, fault tree.

Each is a frozen value with a `method` name and `missing_parts()`, the
method's own idea of "not concluded yet", which `RcaRecord` adds to its
own (root cause, corrective action). The timeline and a host's own method
(`CustomAnalysis`) live in `_rca` with the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError

__all__ = [
    "CauseTest",
    "FiveWhys",
    "Ishikawa",
    "IshikawaBranch",
    "KepnerTregoe",
    "KtDimension",
    "PossibleCause",
    "RcaMethod",
    "SpecItem",
    "Why",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RcaMethod(StrEnum):
    """The built-in methods; a `CustomAnalysis` names its own."""

    FIVE_WHYS = "five_whys"
    ISHIKAWA = "ishikawa"
    KEPNER_TREGOE = "kepner_tregoe"
    TIMELINE = "timeline"
    FAULT_TREE = "fault_tree"


T = TypeVar("T")


def tuple_of(value: Any, kind: type[T], name: str) -> tuple[T, ...]:
    """Any iterable of `kind` values (not a string) as a tuple, else `ValidationError`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be an iterable, got {value!r}")
    found = tuple(value)
    for item in found:
        if not isinstance(item, kind):
            raise ValidationError(f"{name} must hold {kind.__name__} values, got {item!r}")
    return found


def flag(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A validator demanding a bool (not a truthy string)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{attribute.name} must be a bool, got {value!r}")


def texts(value: Any) -> tuple[str, ...]:
    """A converter: an iterable of non-blank strings to a tuple."""
    return _checks.check_texts(value, "texts")


def snake_name(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValidationError(f"{attribute.name} must be lower_snake_case, got {value!r}")


def _specification(value: Any) -> tuple[SpecItem, ...]:
    return tuple_of(value, SpecItem, "specification")


def _possible_causes(value: Any) -> tuple[PossibleCause, ...]:
    return tuple_of(value, PossibleCause, "possible_causes")


# -- five whys -------------------------------------------------------------------


@frozen
class Why:
    """One link of a five-whys chain: the question asked and the answer found."""

    question: str = attrs.field(validator=_checks.text)
    answer: str = attrs.field(validator=_checks.text)


def _whys(value: Any) -> tuple[Why, ...]:
    return tuple_of(value, Why, "whys")


@frozen
class FiveWhys:
    """An ordered chain of whys; each answer prompts the next question, the last one the cause.

    >>> from itil_l2.problems.rca import FiveWhys, Why
    >>> chain = FiveWhys([Why("Why did orders fail?", "The listener was down")])
    >>> chain.missing_parts()
    ('five whys: the root cause the chain ends at',)
    """

    whys: tuple[Why, ...] = attrs.field(converter=_whys)
    root_cause: str | None = attrs.field(default=None, validator=_checks.optional_text)

    @property
    def method(self) -> str:
        """`five_whys`."""
        return RcaMethod.FIVE_WHYS.value

    def missing_parts(self) -> tuple[str, ...]:
        """At least one why, and the root cause the chain ends at."""
        missing = [] if self.whys else ["five whys: at least one why"]
        if self.root_cause is None:
            missing.append("five whys: the root cause the chain ends at")
        return tuple(missing)


# -- Ishikawa ----------------------------------------------------------------------


@frozen
class IshikawaBranch:
    """One bone of the fishbone: a category and the causes found in it."""

    category: str = attrs.field(validator=snake_name)
    causes: tuple[str, ...] = attrs.field(default=(), converter=texts)


def _branches(value: Any) -> tuple[IshikawaBranch, ...]:
    return tuple_of(value, IshikawaBranch, "branches")


def _unique_categories(_inst: object, _attr: object, value: tuple[IshikawaBranch, ...]) -> None:
    names = [b.category for b in value]
    if len(set(names)) != len(names):
        raise ValidationError(f"Ishikawa categories must be unique, got {names}")


@frozen
class Ishikawa:
    """A cause-and-effect (fishbone) diagram: categories → causes of one effect.

    >>> from itil_l2.problems.rca import Ishikawa
    >>> fish = Ishikawa.from_mapping("orders fail at night",
    ...                              {"process": ["no log rotation"], "technology": []})
    >>> fish.causes("process"), fish.missing_parts()
    (('no log rotation',), ())
    """

    effect: str = attrs.field(validator=_checks.text)
    branches: tuple[IshikawaBranch, ...] = attrs.field(
        converter=_branches, validator=_unique_categories
    )

    STANDARD_CATEGORIES: ClassVar[tuple[str, ...]] = (
        "people",
        "process",
        "technology",
        "environment",
        "vendor",
        "measurement",
    )

    @classmethod
    def from_mapping(cls, effect: str, causes: Mapping[str, Iterable[str]]) -> Ishikawa:
        """Build from `{category: [cause, ...]}`, categories in the mapping's order."""
        return cls(effect, [IshikawaBranch(c, tuple(found)) for c, found in causes.items()])

    @property
    def method(self) -> str:
        """`ishikawa`."""
        return RcaMethod.ISHIKAWA.value

    def causes(self, category: str) -> tuple[str, ...]:
        """The causes found in one category (none if the category is absent)."""
        return next((b.causes for b in self.branches if b.category == category), ())

    def missing_parts(self) -> tuple[str, ...]:
        """At least one cause in some category."""
        return () if any(b.causes for b in self.branches) else ("Ishikawa: at least one cause",)


# -- Kepner-Tregoe -------------------------------------------------------------------


class KtDimension(StrEnum):
    """The four dimensions of a Kepner-Tregoe problem specification."""

    WHAT = "what"
    WHERE = "where"
    WHEN = "when"
    EXTENT = "extent"


@frozen
class SpecItem:
    """One line of the specification: where the problem IS, where it IS NOT, and why."""

    dimension: KtDimension = attrs.field(validator=_checks.member(KtDimension))
    question: str = attrs.field(validator=_checks.text)
    is_: str = attrs.field(validator=_checks.text)
    is_not: str = attrs.field(validator=_checks.text)
    distinction: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class CauseTest:
    """Whether a possible cause explains one dimension's IS and IS NOT (maybe by assuming)."""

    dimension: KtDimension = attrs.field(validator=_checks.member(KtDimension))
    explains: bool = attrs.field(validator=flag)
    assumption: str | None = attrs.field(default=None, validator=_checks.optional_text)


def _tests(value: Any) -> tuple[CauseTest, ...]:
    return tuple_of(value, CauseTest, "tests")


def _one_test_each(_inst: object, _attr: object, value: tuple[CauseTest, ...]) -> None:
    dims = [t.dimension for t in value]
    if len(set(dims)) != len(dims):
        raise ValidationError("a possible cause is tested once per dimension")


@frozen
class PossibleCause:
    """A candidate cause and its tests against the specification."""

    description: str = attrs.field(validator=_checks.text)
    tests: tuple[CauseTest, ...] = attrs.field(
        default=(), converter=_tests, validator=_one_test_each
    )

    def explains(self, dimensions: Iterable[KtDimension]) -> bool:
        """Tested on every one of `dimensions` and explains each."""
        results = {t.dimension: t.explains for t in self.tests}
        return all(results.get(d, False) for d in dimensions)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """The assumptions its tests needed; fewer make a more probable cause."""
        return tuple(t.assumption for t in self.tests if t.assumption is not None)


def _tests_fit_spec(inst: KepnerTregoe, _attr: object, value: tuple[PossibleCause, ...]) -> None:
    known = set(inst.dimensions)
    for cause in value:
        stray = {t.dimension for t in cause.tests} - known
        if stray:
            names = ", ".join(sorted(d.value for d in stray))
            raise ValidationError(f"{cause.description!r} is tested on {names}, not in the spec")


@frozen
class KepnerTregoe:
    """A Kepner-Tregoe problem analysis: IS / IS NOT specification and tested causes.

    >>> from itil_l2.problems.rca import CauseTest, KepnerTregoe, KtDimension
    >>> from itil_l2.problems.rca import PossibleCause, SpecItem
    >>> spec = [SpecItem(KtDimension.WHERE, "Which hosts?", "db-prod-3", "db-prod-1, 2")]
    >>> disk = PossibleCause("full log volume", [CauseTest(KtDimension.WHERE, True)])
    >>> net = PossibleCause("network switch", [CauseTest(KtDimension.WHERE, False)])
    >>> kt = KepnerTregoe(spec, [net, disk])
    >>> [c.description for c in kt.most_probable()]
    ['full log volume']
    """

    specification: tuple[SpecItem, ...] = attrs.field(converter=_specification)
    possible_causes: tuple[PossibleCause, ...] = attrs.field(
        default=(), converter=_possible_causes, validator=_tests_fit_spec
    )

    @property
    def method(self) -> str:
        """`kepner_tregoe`."""
        return RcaMethod.KEPNER_TREGOE.value

    @property
    def dimensions(self) -> tuple[KtDimension, ...]:
        """The dimensions the specification covers, in order of first mention."""
        return tuple(dict.fromkeys(item.dimension for item in self.specification))

    def most_probable(self) -> tuple[PossibleCause, ...]:
        """Causes explaining every specified dimension, fewest assumptions first."""
        dims = self.dimensions
        survivors = [c for c in self.possible_causes if dims and c.explains(dims)]
        return tuple(sorted(survivors, key=lambda c: len(c.assumptions)))

    def missing_parts(self) -> tuple[str, ...]:
        """A specification, and a possible cause that survives testing against it."""
        if not self.specification:
            return ("Kepner-Tregoe: an IS / IS NOT specification",)
        if not self.most_probable():
            return ("Kepner-Tregoe: a possible cause explaining every IS / IS NOT dimension",)
        return ()
