"""Problem domain events, and how each one changes a problem.

A problem's history is a tuple of `ProblemEvent`s; replaying it through the
workflow (`Problem.from_history`) rebuilds the problem exactly. Payloads hold
only values (RCA records and known errors included), so the history
serialises to JSON through cattrs. Each payload checks its own values (types,
non-blank texts) when it is made, by a trigger or from stored JSON alike; the
rules that need the problem and its config (`_rules.RULES`) run in the trigger
engine, live and on replay. Appliers never fail: every check happens before an
event exists.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

from itil_l2._core import checks as _c
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

    code: ProblemResolutionCode = field(validator=_c.instance(ProblemResolutionCode))
    notes: str = field(validator=_c.text)
    duplicate_of: str | None = field(
        default=None, validator=[_c.optional_identifier, _duplicate_needs_original]
    )


@frozen
class ProblemOpened:
    """The problem was logged; carries every initial field."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.OPEN
    statement: str = field(validator=_c.text)
    description: str = field(validator=_c.string)
    category: str | None = field(validator=_c.optional_identifier)
    service: str | None = field(validator=_c.optional_identifier)
    ci_refs: tuple[str, ...] = field(validator=_c.identifiers)
    impact: Impact = field(validator=_c.member(Impact))
    urgency: Urgency = field(validator=_c.member(Urgency))
    priority: Priority = field(validator=_c.member(Priority))
    group: SupportGroup | None = field(validator=_c.optional_instance(SupportGroup))


@frozen
class ProblemAssigned:
    """The problem went to a group and perhaps an analyst (None: nobody)."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.ASSIGN
    group: SupportGroup = field(validator=_c.instance(SupportGroup))
    assignee: str | None = field(validator=_c.optional_identifier)


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
    rca: RcaRecord = field(validator=_c.instance(RcaRecord))


@frozen
class ProblemFixStarted:
    """Work on the permanent fix began, perhaps through a change request."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.START_FIX
    change_ref: str | None = field(default=None, validator=_c.optional_identifier)


@frozen
class ProblemWorkaroundPublished:
    """A workaround linked and future matching tickets can use."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.PUBLISH_WORKAROUND
    text: str = field(validator=_c.text)


@frozen
class ProblemIncidentLinked:
    """An incident was linked (its own history records the link too)."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.LINK_INCIDENT
    ticket_id: str = field(validator=_c.identifier)
    moved_from: str | None = field(default=None, validator=_c.optional_identifier)


@frozen
class ProblemKnownErrorRaised:
    """The problem became a known error; the KEDB entry as published."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.RAISE_KNOWN_ERROR
    known_error: KnownError = field(validator=_c.instance(KnownError))


@frozen
class ProblemNoteAdded:
    """A work note."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.ADD_NOTE
    text: str = field(validator=_c.text)


@frozen
class ProblemResolved:
    """Resolved; `incident_ids` are the waiting incidents resolved with it."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.RESOLVE
    resolution: ProblemResolution = field(validator=_c.instance(ProblemResolution))
    incident_ids: tuple[str, ...] = field(default=(), validator=_c.identifiers)


@frozen
class ProblemReanalyzed:
    """Back to root cause analysis: the fix did not hold, or the cause was wrong."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.REANALYZE
    reason: str = field(validator=_c.text)


@frozen
class ProblemClosed:
    """The resolution was confirmed."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.CLOSE


@frozen
class ProblemCancelled:
    """Withdrawn: not a problem after all."""

    TRIGGER: ClassVar[ProblemTrigger] = _T.CANCEL
    reason: str = field(validator=_c.text)


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
