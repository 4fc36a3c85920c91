"""How each problems event changes its entity's fields.

Appliers never fail: every check happens before an event exists, so applying
is the last, infallible step of a trigger, and replay uses the same appliers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2.problems.events import (
    ProblemAnalysisStarted,
    ProblemAssessed,
    ProblemAssigned,
    ProblemCancelled,
    ProblemClosed,
    ProblemFixStarted,
    ProblemIncidentLinked,
    ProblemKnownErrorRaised,
    ProblemNoteAdded,
    ProblemRcaRecorded,
    ProblemReanalyzed,
    ProblemResolved,
    ProblemWorkaroundPublished,
)

# -- appliers ---------------------------------------------------------------------

_set = object.__setattr__


def _assigned(p: Any, e: ProblemAssigned, _at: datetime) -> None:
    _set(p, "group", e.group)
    _set(p, "assignee", e.assignee)


def _rca(p: Any, e: ProblemRcaRecorded, _at: datetime) -> None:
    _set(p, "rca", e.rca)


def _fix(p: Any, e: ProblemFixStarted, _at: datetime) -> None:
    _set(p, "fix_change_ref", e.change_ref)


def _workaround(p: Any, e: ProblemWorkaroundPublished, _at: datetime) -> None:
    _set(p, "workaround", e.text)


def _linked(p: Any, e: ProblemIncidentLinked, _at: datetime) -> None:
    _set(p, "incident_ids", (*p.incident_ids, e.ticket_id))


def _known(p: Any, e: ProblemKnownErrorRaised, _at: datetime) -> None:
    _set(p, "known_error", e.known_error)


def _resolved(p: Any, e: ProblemResolved, at: datetime) -> None:
    _set(p, "resolution", e.resolution)
    _set(p, "resolved_at", at)


def _reanalyzed(p: Any, _e: ProblemReanalyzed, _at: datetime) -> None:
    _set(p, "resolution", None)
    _set(p, "resolved_at", None)


def _nothing(_p: Any, _e: Any, _at: datetime) -> None:
    """Phase moves and notes change no field; the event itself is the record."""


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    ProblemAssigned: _assigned,
    ProblemAssessed: _nothing,
    ProblemAnalysisStarted: _nothing,
    ProblemRcaRecorded: _rca,
    ProblemFixStarted: _fix,
    ProblemWorkaroundPublished: _workaround,
    ProblemIncidentLinked: _linked,
    ProblemKnownErrorRaised: _known,
    ProblemNoteAdded: _nothing,
    ProblemResolved: _resolved,
    ProblemReanalyzed: _reanalyzed,
    ProblemClosed: _nothing,
    ProblemCancelled: _nothing,
}
