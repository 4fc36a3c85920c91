"""Known errors (the KEDB) and the lookup L1 and L2 run before escalating.

A known error is a problem whose root cause and workaround are known (ITIL);
its fields follow iTop's KnownError: symptom, root cause, workaround,
solution, error code, domain, and the affected vendor/model/versions. It is
a frozen record: the problem that raised it keeps it in its history
(`Problem.raise_known_error`), and the host stores it in its KEDB.

`match_known_errors` ranks candidates for a ticket by shared configuration
items, category, the error code and symptom keywords. It is a pure
function: the host passes in the known errors it wants searched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypedDict, Unpack

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError, WorkflowError
from itil_l2.problems._rca_methods import texts, tuple_of

__all__ = [
    "AffectedProduct",
    "KnownError",
    "KnownErrorDetails",
    "KnownErrorMatch",
    "KnownErrorNotReady",
    "MatchWeights",
    "SymptomFacts",
    "match_known_errors",
]


class KnownErrorNotReady(WorkflowError):
    """A known error needs a stated root cause and a published workaround; names what lacks."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = tuple(missing)
        super().__init__("not a known error yet, missing: " + "; ".join(self.missing))


@frozen
class AffectedProduct:
    """A product the error affects: vendor, name (iTop's model) and versions (none: all)."""

    name: str = attrs.field(validator=_checks.text)
    vendor: str | None = attrs.field(default=None, validator=_checks.optional_text)
    versions: tuple[str, ...] = attrs.field(default=(), converter=texts)

    def covers(self, version: str) -> bool:
        """Whether `version` is affected (every version when none are listed)."""
        return not self.versions or version in self.versions


def _products(value: Any) -> tuple[AffectedProduct, ...]:
    return tuple_of(value, AffectedProduct, "products")


def _ci_refs(value: Any) -> tuple[str, ...]:
    return _checks.check_identifiers(value, "ci_refs")


class _ProblemSide(Protocol):
    """What `KnownError.from_problem` reads; `Problem` provides it."""

    @property
    def id(self) -> str: ...
    @property
    def statement(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def ci_refs(self) -> tuple[str, ...]: ...
    @property
    def workaround(self) -> str | None: ...
    @property
    def rca(self) -> Any: ...


class KnownErrorDetails(TypedDict, total=False):
    """What a known error adds to its problem; every key is optional.

    `symptom` defaults to the problem statement; the others to none.
    """

    symptom: str | None
    error_code: str | None
    permanent_fix: str | None
    domain: str | None
    ci_types: Iterable[str]
    products: Iterable[AffectedProduct]
    keywords: Iterable[str]


@frozen
class KnownError:
    """A KEDB entry: how to recognise the error, why it happens, what to do about it.

    >>> from itil_l2 import KnownError
    >>> ke = KnownError(id="KE-1", problem_id="PRB-1", title="Orders fail at night",
    ...                 symptom="ORA-12541 TNS no listener from the order app",
    ...                 root_cause="listener log volume fills up",
    ...                 workaround="restart the listener after clearing old logs",
    ...                 error_code="ORA-12541", ci_refs=["db-prod-3"])
    >>> ke.error_code, ke.permanent_fix
    ('ORA-12541', None)
    """

    id: str = attrs.field(validator=_checks.identifier)
    problem_id: str = attrs.field(validator=_checks.identifier)
    title: str = attrs.field(validator=_checks.text)
    symptom: str = attrs.field(validator=_checks.text)
    root_cause: str = attrs.field(validator=_checks.text)
    workaround: str = attrs.field(validator=_checks.text)
    permanent_fix: str | None = attrs.field(default=None, validator=_checks.optional_text)
    error_code: str | None = attrs.field(default=None, validator=_checks.optional_text)
    domain: str | None = attrs.field(default=None, validator=_checks.optional_text)
    category: str | None = attrs.field(default=None, validator=_checks.optional_identifier)
    ci_refs: tuple[str, ...] = attrs.field(default=(), converter=_ci_refs)
    ci_types: tuple[str, ...] = attrs.field(default=(), converter=texts)
    products: tuple[AffectedProduct, ...] = attrs.field(default=(), converter=_products)
    keywords: tuple[str, ...] = attrs.field(default=(), converter=texts)

    @classmethod
    def from_problem(
        cls, problem: _ProblemSide, *, id: str, **details: Unpack[KnownErrorDetails]
    ) -> KnownError:
        """The known error a problem describes; `KnownErrorNotReady` until it can.

        The title is the problem statement, the symptom defaults to it too;
        the root cause comes from the problem's RCA, the workaround is the
        one the problem published, category and CIs are the problem's.
        """
        _checks.check_keywords(
            details, KnownErrorDetails.__annotations__, "KnownError.from_problem"
        )
        missing = known_error_gaps(problem)
        if missing:
            raise KnownErrorNotReady(missing)
        symptom = details.get("symptom")
        return cls(
            id=id,
            problem_id=problem.id,
            title=problem.statement,
            symptom=problem.statement if symptom is None else symptom,
            root_cause=problem.rca.root_cause,
            workaround=str(problem.workaround),
            permanent_fix=details.get("permanent_fix"),
            error_code=details.get("error_code"),
            domain=details.get("domain"),
            category=problem.category,
            ci_refs=problem.ci_refs,
            ci_types=details.get("ci_types", ()),
            products=details.get("products", ()),
            keywords=details.get("keywords", ()),
        )


def known_error_gaps(problem: _ProblemSide) -> tuple[str, ...]:
    """What a problem lacks before it is a known error: a root cause, a workaround."""
    missing = []
    if problem.rca is None or problem.rca.root_cause is None:
        missing.append("root cause statement (in the RCA)")
    if problem.workaround is None:
        missing.append("published workaround")
    return tuple(missing)


# -- matching ------------------------------------------------------------------------


class SymptomFacts(Protocol):
    """What the lookup reads from a ticket; `Ticket` provides it, so can a draft."""

    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def symptom(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def ci_refs(self) -> tuple[str, ...]: ...


def _weight(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:  # type: ignore[arg-type,operator]
        raise ValidationError(f"{attribute.name} must be a non-negative number, got {value!r}")


@frozen
class MatchWeights:
    """How much each kind of evidence counts, and the score a candidate needs.

    The defaults make a shared CI or the error code enough on its own, and
    need two more weakly shared facts (category, keywords) otherwise.
    """

    ci: float = attrs.field(default=3.0, validator=_weight)
    ci_type: float = attrs.field(default=1.5, validator=_weight)
    category: float = attrs.field(default=1.0, validator=_weight)
    error_code: float = attrs.field(default=5.0, validator=_weight)
    keyword: float = attrs.field(default=1.0, validator=_weight)
    min_score: float = attrs.field(default=2.0, validator=_weight)


@frozen
class KnownErrorMatch:
    """A candidate known error for a ticket, its score and why it matched."""

    known_error: KnownError
    score: float
    reasons: tuple[str, ...]


_TOKEN = re.compile(r"[a-z0-9]+(?:[-_./][a-z0-9]+)*")
_STOPWORD_TEXT = """
the and for with not from this that are was were has have had but can cannot after before
when all any our out into since via per than then there their they them its also only some
does did doesn don get gets got will would should could been being error errors issue
issues problem problems please user users works working none one two now still again
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def keywords(*parts: str | None) -> frozenset[str]:
    """The lower-case words (and compound codes like `ora-12541`) worth comparing."""
    found: set[str] = set()
    for text in parts:
        for token in _TOKEN.findall((text or "").lower()):
            found.add(token)
            found.update(re.split(r"[-_./]", token))
    return frozenset(t for t in found if len(t) >= 3 and t not in _STOPWORDS)


def _known_words(ke: KnownError) -> frozenset[str]:
    names = [p.name for p in ke.products]
    return keywords(ke.title, ke.symptom, *ke.keywords, *names)  # the code counts apart


def _score(
    ke: KnownError,
    facts: tuple[set[str], set[str], str | None, str, frozenset[str]],
    w: MatchWeights,
) -> tuple[float, list[str]]:
    cis, types, category, text, words = facts
    score, reasons = 0.0, []
    for ci in sorted(cis & set(ke.ci_refs)):
        score += w.ci
        reasons.append(f"ci {ci}")
    for kind in sorted(types & set(ke.ci_types)):
        score += w.ci_type
        reasons.append(f"ci type {kind}")
    if category is not None and ke.category is not None and category == ke.category.lower():
        score += w.category
        reasons.append(f"category {ke.category}")
    if ke.error_code is not None and ke.error_code.lower() in text:
        score += w.error_code
        reasons.append(f"error code {ke.error_code}")
    shared = sorted(words & _known_words(ke))
    if shared:
        score += w.keyword * len(shared)
        reasons.append("keywords " + ", ".join(shared))
    return score, reasons


def match_known_errors(
    ticket: SymptomFacts,
    known_errors: Iterable[KnownError],
    *,
    weights: MatchWeights | None = None,
    ci_types: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> tuple[KnownErrorMatch, ...]:
    """Known errors that may explain `ticket`, best first (ties by id).

    Scores add up: each shared CI, each shared CI type (`ci_types` maps the
    ticket's CI refs to their types, from the host's CMDB), the same
    category, the known error's code appearing in the ticket's text, and
    each shared symptom keyword. Candidates below `weights.min_score` are
    left out.

    >>> from types import SimpleNamespace
    >>> from itil_l2 import KnownError
    >>> from itil_l2.problems import match_known_errors
    >>> ke = KnownError(id="KE-1", problem_id="PRB-1", title="Order app loses its database",
    ...                 symptom="ORA-12541 no listener", root_cause="log volume full",
    ...                 workaround="clear old listener logs", error_code="ORA-12541")
    >>> ticket = SimpleNamespace(title="Order entry fails", description="ORA-12541 again",
    ...                          symptom=None, category=None, ci_refs=())
    >>> [(m.known_error.id, m.reasons) for m in match_known_errors(ticket, [ke])]
    [('KE-1', ('error code ORA-12541', 'keywords 12541, ora, ora-12541, order'))]
    """
    w = weights or MatchWeights()
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValidationError(f"limit must be None or a non-negative int, got {limit!r}")
    cis = set(ticket.ci_refs)
    lookup = ci_types or {}
    types = {lookup[ci] for ci in cis if ci in lookup}
    category = ticket.category.lower() if ticket.category else None
    text = " ".join(p for p in (ticket.title, ticket.symptom, ticket.description) if p).lower()
    facts = (cis, types, category, text, keywords(ticket.title, ticket.symptom, ticket.description))
    found = []
    for ke in known_errors:
        _checks.check_instance(ke, KnownError, "known_errors")
        score, reasons = _score(ke, facts, w)
        if score >= w.min_score and score > 0:
            found.append(KnownErrorMatch(ke, score, tuple(reasons)))
    found.sort(key=lambda m: (-m.score, m.known_error.id))
    return tuple(found if limit is None else found[:limit])
