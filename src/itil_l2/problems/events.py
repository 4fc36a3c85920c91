"""Problem domain events, and how each one changes a problem.

A problem's history is a tuple of `ProblemEvent`s; replaying it through the
workflow (`Problem.from_history`) rebuilds the problem exactly. Payloads hold
only values (RCA records and known errors included), so the history
serialises to JSON through cattrs. Appliers never fail: every check happens
before an event exists.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.entity import Event
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.serialization import UPCASTERS, rename_entity_id
from itil_l2._core.tier import SupportGroup
from itil_l2.errors import ValidationError
from itil_l2.problems._config import ProblemResolutionCode
from itil_l2.problems._known_error import KnownError
from itil_l2.problems._workflow import ProblemTrigger
from itil_l2.problems.rca import RcaRecord

__all__ = [
    "ProblemAnalysisStarted",
    "ProblemAssessed",
    "ProblemAssigned",
    "ProblemCancelled",
    "ProblemClosed",
    "ProblemEvent",
    "ProblemFixStarted",
    "ProblemIncidentLinked",
    "ProblemKnownErrorRaised",
    "ProblemNoteAdded",
    "ProblemOpened",
    "ProblemPayload",
    "ProblemRcaRecorded",
    "ProblemReanalyzed",
    "ProblemResolution",
    "ProblemResolved",
    "ProblemWorkaroundPublished",
]

SCHEMA_VERSION = 2
"""2 since 0.2.0: the envelope names the entity `entity_id` (was `problem_id`)."""

UPCASTERS.register("problem", 1, rename_entity_id("problem_id"))
_T = ProblemTrigger


def _code(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, ProblemResolutionCode):
        raise ValidationError(f"code must be a ProblemResolutionCode, got {value!r}")


def _duplicate_needs_original(inst: ProblemResolution, _attr: object, value: object) -> None:
    if inst.code.duplicate and value is None:
        raise ValidationError(f"resolving as {inst.code.code} names the original problem")
    if not inst.code.duplicate and value is not None:
        raise ValidationError(f"duplicate_of is only given with a duplicate code, not {inst.code}")


@frozen
class ProblemResolution:
    """How a problem was resolved: code, fix notes, and the original if it is a duplicate.

    >>> from itil_l2.problems import ProblemResolutionCode
    >>> from itil_l2.problems.events import ProblemResolution
    >>> ProblemResolution(ProblemResolutionCode.DUPLICATE, "same as PRB-7", "PRB-7").duplicate_of
    'PRB-7'
    """

    code: ProblemResolutionCode = attrs.field(validator=_code)
    notes: str = attrs.field(validator=_checks.text)
    duplicate_of: str | None = attrs.field(
        default=None, validator=[_checks.optional_text, _duplicate_needs_original]
    )


@frozen
class ProblemOpened:
    """The problem was logged; carries every initial field."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.OPEN
    statement: str
    description: str
    category: str | None
    service: str | None
    ci_refs: tuple[str, ...]
    impact: Impact
    urgency: Urgency
    priority: Priority
    group: SupportGroup | None


@frozen
class ProblemAssigned:
    """The problem went to a group and perhaps an analyst (None: nobody)."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.ASSIGN
    group: SupportGroup | None
    assignee: str | None


@frozen
class ProblemAssessed:
    """The problem manager took the problem up for assessment."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.ASSESS


@frozen
class ProblemAnalysisStarted:
    """Root cause analysis began."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.START_ANALYSIS


@frozen
class ProblemRcaRecorded:
    """The RCA record as it now stands (each step of the analysis is one event)."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.RECORD_RCA
    rca: RcaRecord


@frozen
class ProblemFixStarted:
    """Work on the permanent fix began, perhaps through a change request."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.START_FIX
    change_ref: str | None = None


@frozen
class ProblemWorkaroundPublished:
    """A workaround linked and future matching tickets can use."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.PUBLISH_WORKAROUND
    text: str


@frozen
class ProblemIncidentLinked:
    """An incident was linked (its own history records the link too)."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.LINK_INCIDENT
    ticket_id: str
    moved_from: str | None = None


@frozen
class ProblemKnownErrorRaised:
    """The problem became a known error; the KEDB entry as published."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.RAISE_KNOWN_ERROR
    known_error: KnownError


@frozen
class ProblemNoteAdded:
    """A work note."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.ADD_NOTE
    text: str


@frozen
class ProblemResolved:
    """Resolved; `incident_ids` are the waiting incidents resolved with it."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.RESOLVE
    resolution: ProblemResolution
    incident_ids: tuple[str, ...] = ()


@frozen
class ProblemReanalyzed:
    """Back to root cause analysis: the fix did not hold, or the cause was wrong."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.REANALYZE
    reason: str


@frozen
class ProblemClosed:
    """The resolution was confirmed."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.CLOSE


@frozen
class ProblemCancelled:
    """Withdrawn: not a problem after all."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.CANCEL
    reason: str


ProblemPayload = (
    ProblemOpened
    | ProblemAssigned
    | ProblemAssessed
    | ProblemAnalysisStarted
    | ProblemRcaRecorded
    | ProblemFixStarted
    | ProblemWorkaroundPublished
    | ProblemIncidentLinked
    | ProblemKnownErrorRaised
    | ProblemNoteAdded
    | ProblemResolved
    | ProblemReanalyzed
    | ProblemClosed
    | ProblemCancelled
)


@frozen
class ProblemEvent(Event[ProblemPayload]):
    """One change to one problem: who, when, what, and the resulting version."""

    schema: int = SCHEMA_VERSION
