"""How each problem event changes a problem: group, RCA, workaround, fix, resolution.

Appliers never fail: every check ran before the event existed, and replay
(`Problem.from_history`) applies the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2.problems import events as ev

# -- appliers ---------------------------------------------------------------------

_set = object.__setattr__


def _assigned(p: Any, e: ev.ProblemAssigned, _at: datetime) -> None:
    _set(p, "group", e.group)
    _set(p, "assignee", e.assignee)


def _rca(p: Any, e: ev.ProblemRcaRecorded, _at: datetime) -> None:
    _set(p, "rca", e.rca)


def _fix(p: Any, e: ev.ProblemFixStarted, _at: datetime) -> None:
    _set(p, "fix_change_ref", e.change_ref)


def _workaround(p: Any, e: ev.ProblemWorkaroundPublished, _at: datetime) -> None:
    _set(p, "workaround", e.text)


def _linked(p: Any, e: ev.ProblemIncidentLinked, _at: datetime) -> None:
    _set(p, "incident_ids", p.incident_ids.plus(e.ticket_id))


def _known(p: Any, e: ev.ProblemKnownErrorRaised, _at: datetime) -> None:
    _set(p, "known_error", e.known_error)


def _resolved(p: Any, e: ev.ProblemResolved, at: datetime) -> None:
    _set(p, "resolution", e.resolution)
    _set(p, "resolved_at", at)


def _reanalyzed(p: Any, _e: ev.ProblemReanalyzed, _at: datetime) -> None:
    _set(p, "resolution", None)
    _set(p, "resolved_at", None)


def _nothing(_p: Any, _e: Any, _at: datetime) -> None:
    """Phase moves and notes change no field; the event itself is the record."""


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    ev.ProblemAssigned: _assigned,
    ev.ProblemAssessed: _nothing,
    ev.ProblemAnalysisStarted: _nothing,
    ev.ProblemRcaRecorded: _rca,
    ev.ProblemFixStarted: _fix,
    ev.ProblemWorkaroundPublished: _workaround,
    ev.ProblemIncidentLinked: _linked,
    ev.ProblemKnownErrorRaised: _known,
    ev.ProblemNoteAdded: _nothing,
    ev.ProblemResolved: _resolved,
    ev.ProblemReanalyzed: _reanalyzed,
    ev.ProblemClosed: _nothing,
    ev.ProblemCancelled: _nothing,
}
