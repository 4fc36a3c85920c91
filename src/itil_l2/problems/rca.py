"""Root cause analysis records and the structured RCA methods they hold.

No ticketing tool ships structured RCA: a "cause notes" text field is the
norm. Here each method's structure is data a program can check and report on:
a five-whys chain is an ordered list of (question, answer) ending at a root
cause; an Ishikawa diagram maps categories to causes; a Kepner-Tregoe
analysis holds an IS / IS NOT specification and possible causes tested
against it; a timeline is ordered in time; a fault tree is a tree of AND/OR
gates whose minimal cut sets are computed. A host's own method fits in
`CustomAnalysis`. Everything here is a frozen value; a problem records a new
`RcaRecord` whenever the analysis moves on, so its history shows each step.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.public import expose
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError, WorkflowError
from itil_l2.problems import _fault_tree, _rca_methods
from itil_l2.problems._fault_tree import *  # noqa: F403  (re-exported below)
from itil_l2.problems._fault_tree import FaultTree
from itil_l2.problems._rca_methods import *  # noqa: F403  (the RCA methods, re-exported below)
from itil_l2.problems._rca_methods import (
    FiveWhys,
    Ishikawa,
    KepnerTregoe,
    RcaMethod,
    flag,
    snake_name,
    texts,
    tuple_of,
)

__all__ = [
    "RcaAction",
    "Analysis",
    "CustomAnalysis",
    "CustomSection",
    "Evidence",
    "EvidenceKind",
    "RcaIncomplete",
    "RcaRecord",
    "RcaStatus",
    "Timeline",
    "TimelineEntry",
]
__all__ += _rca_methods.__all__ + _fault_tree.__all__  # the RCA methods, re-exported here


def _entries(value: Any) -> tuple[TimelineEntry, ...]:
    return tuple_of(value, TimelineEntry, "entries")


def _sections(value: Any) -> tuple[CustomSection, ...]:
    return tuple_of(value, CustomSection, "sections")


# -- timeline ---------------------------------------------------------------------------


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    ensure_aware(value, attribute.name)  # type: ignore[arg-type]


@frozen
class TimelineEntry:
    """Something that happened, when, and where we know it from."""

    at: datetime = attrs.field(validator=_aware)
    description: str = attrs.field(validator=_checks.text)
    source: str | None = attrs.field(default=None, validator=_checks.optional_text)


def _in_time_order(_inst: object, _attr: object, value: tuple[TimelineEntry, ...]) -> None:
    if any(later.at < earlier.at for earlier, later in itertools.pairwise(value)):
        raise ValidationError("timeline entries must be in time order")


@frozen
class Timeline:
    """What happened in what order, the backbone of most incident reviews."""

    entries: tuple[TimelineEntry, ...] = attrs.field(converter=_entries, validator=_in_time_order)

    @property
    def method(self) -> str:
        """`timeline`."""
        return RcaMethod.TIMELINE.value

    def missing_parts(self) -> tuple[str, ...]:
        """At least one entry."""
        return () if self.entries else ("timeline: at least one entry",)


# -- custom ---------------------------------------------------------------------------------


@frozen
class CustomSection:
    """A titled list of entries in a host's own method."""

    title: str = attrs.field(validator=_checks.text)
    entries: tuple[str, ...] = attrs.field(default=(), converter=texts)


def _custom_name(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    snake_name(inst, attribute, value)
    if value in {m.value for m in RcaMethod}:
        raise ValidationError(f"{value!r} is a built-in method; use its own structure")


@frozen
class CustomAnalysis:
    """A method of the host's own, e.g. `CustomAnalysis("change_analysis", [...])`.

    >>> from itil_l2.problems.rca import CustomAnalysis, CustomSection
    >>> ca = CustomAnalysis("change_analysis", [CustomSection("changes", ["CHG-7"])])
    >>> ca.method, ca.section("changes"), ca.missing_parts()
    ('change_analysis', ('CHG-7',), ())
    """

    method: str = attrs.field(validator=_custom_name)
    sections: tuple[CustomSection, ...] = attrs.field(converter=_sections)

    def section(self, title: str) -> tuple[str, ...]:
        """The entries of the section called `title` (none if absent)."""
        return next((s.entries for s in self.sections if s.title == title), ())

    def missing_parts(self) -> tuple[str, ...]:
        """At least one section with entries."""
        if any(s.entries for s in self.sections):
            return ()
        return (f"{self.method}: at least one section with entries",)


Analysis = FiveWhys | Ishikawa | KepnerTregoe | Timeline | FaultTree | CustomAnalysis
"""Any one structured RCA method."""
_ANALYSES = (FiveWhys, Ishikawa, KepnerTregoe, Timeline, FaultTree, CustomAnalysis)


class RcaIncomplete(WorkflowError):
    """The RCA lacks what the step needs (a root cause, a corrective action, ...); names all."""

    def __init__(self, missing: Iterable[str], step: str = "this step") -> None:
        self.missing = tuple(missing)
        super().__init__(f"{step} needs a complete RCA, missing: " + "; ".join(self.missing))


class EvidenceKind(StrEnum):
    """Where a piece of evidence lives."""

    TICKET = "ticket"
    CI = "ci"
    MONITORING = "monitoring"
    LOG = "log"
    DOCUMENT = "document"


@frozen
class Evidence:
    """A reference backing the analysis: a ticket id, a CI, a monitoring alert, ...

    >>> from itil_l2.problems.rca import Evidence, EvidenceKind
    >>> Evidence(EvidenceKind.MONITORING, "zabbix:event/88121", "listener down 09:09").kind.value
    'monitoring'
    """

    kind: EvidenceKind = attrs.field(validator=_checks.member(EvidenceKind))
    ref: str = attrs.field(validator=_checks.text)
    note: str | None = attrs.field(default=None, validator=_checks.optional_text)


def _evidence(value: Any) -> tuple[Evidence, ...]:
    return tuple_of(value, Evidence, "evidence")


def _calendar_day(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(f"{attribute.name} must be a date (a calendar day), got {value!r}")


@frozen
class RcaAction:
    """A corrective or preventive action: what, who owns it, by when, and whether done.

    `ref` may name the change request or task that carries it out.

    >>> from datetime import date
    >>> from itil_l2.problems.rca import RcaAction
    >>> a = RcaAction("add a listener health check", "bob", date(2026, 4, 1))
    >>> a.overdue(date(2026, 4, 2)), a.overdue(date(2026, 4, 1))
    (True, False)
    """

    description: str = attrs.field(validator=_checks.text)
    owner: str = attrs.field(validator=_checks.text)
    due: date = attrs.field(validator=_calendar_day)
    done: bool = attrs.field(default=False, validator=flag)
    ref: str | None = attrs.field(default=None, validator=_checks.optional_text)

    def overdue(self, on: date) -> bool:
        """Not done and past its due day on `on`."""
        return not self.done and on > self.due


def _preventive_actions(value: Any) -> tuple[RcaAction, ...]:
    return tuple_of(value, RcaAction, "preventive_actions")


def _corrective_actions(value: Any) -> tuple[RcaAction, ...]:
    return tuple_of(value, RcaAction, "corrective_actions")


class RcaStatus(StrEnum):
    """An RCA's own progress; `completed` needs a root cause and a corrective action."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"


def _analysis(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, _ANALYSES):
        raise ValidationError(f"analysis must be one of the RCA method structures, got {value!r}")


def _complete_when_completed(inst: RcaRecord, _attr: object, value: RcaStatus) -> None:
    if value is RcaStatus.COMPLETED and inst.missing_parts():
        raise ValidationError("a completed RCA lacks: " + "; ".join(inst.missing_parts()))


@frozen
class RcaRecord:
    """One root cause analysis: the method's structure, the findings and the actions.

    A record is complete when its status is `completed`, and that status is
    refused unless a root cause is stated, at least one corrective action
    exists and the method's own structure reached a conclusion. A problem
    resolved with a code that requires an RCA needs a complete record.

    >>> from datetime import date
    >>> from itil_l2.problems.rca import RcaAction, FiveWhys, RcaRecord, RcaStatus, Why
    >>> chain = FiveWhys([Why("Why did orders fail?", "The DB listener was down"),
    ...                   Why("Why was it down?", "The log volume was full")],
    ...                  root_cause="Listener logs are never rotated")
    >>> rca = RcaRecord(chain, root_cause="Listener logs are never rotated",
    ...                 corrective_actions=[RcaAction("rotate listener logs", "bob",
    ...                                            date(2026, 3, 9))],
    ...                 status=RcaStatus.COMPLETED)
    >>> rca.method, rca.is_complete
    ('five_whys', True)
    >>> RcaRecord(chain).missing_parts()
    ('root cause statement', 'corrective action (at least one)')
    """

    analysis: Analysis = attrs.field(validator=_analysis)
    findings: tuple[str, ...] = attrs.field(default=(), converter=texts)
    root_cause: str | None = attrs.field(default=None, validator=_checks.optional_text)
    contributing_factors: tuple[str, ...] = attrs.field(default=(), converter=texts)
    evidence: tuple[Evidence, ...] = attrs.field(default=(), converter=_evidence)
    corrective_actions: tuple[RcaAction, ...] = attrs.field(
        default=(), converter=_corrective_actions
    )
    preventive_actions: tuple[RcaAction, ...] = attrs.field(
        default=(), converter=_preventive_actions
    )
    status: RcaStatus = attrs.field(
        default=RcaStatus.DRAFT,
        validator=[_checks.member(RcaStatus), _complete_when_completed],
    )

    @property
    def method(self) -> str:
        """The method's name: `five_whys`, `ishikawa`, ... or a custom method's own."""
        return self.analysis.method

    @property
    def is_complete(self) -> bool:
        """Completed: a root cause, a corrective action and a concluded method."""
        return self.status is RcaStatus.COMPLETED

    def missing_parts(self) -> tuple[str, ...]:
        """What the record lacks before it may be completed (empty when nothing)."""
        missing = []
        if self.root_cause is None:
            missing.append("root cause statement")
        if not self.corrective_actions:
            missing.append("corrective action (at least one)")
        return (*missing, *self.analysis.missing_parts())

    @property
    def actions(self) -> tuple[RcaAction, ...]:
        """Corrective, then preventive actions."""
        return (*self.corrective_actions, *self.preventive_actions)

    def open_actions(self) -> tuple[RcaAction, ...]:
        """Actions not done yet."""
        return tuple(a for a in self.actions if not a.done)

    def overdue_actions(self, on: date) -> tuple[RcaAction, ...]:
        """Actions not done whose due day has passed on `on`."""
        return tuple(a for a in self.actions if a.overdue(on))

    def evidence_refs(self, kind: EvidenceKind) -> tuple[str, ...]:
        """The references of one kind of evidence, e.g. every ticket id."""
        return tuple(e.ref for e in self.evidence if e.kind is kind)


expose(__name__, globals(), __all__, source="itil_l2.problems._")
