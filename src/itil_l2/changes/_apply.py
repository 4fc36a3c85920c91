"""How each RFC event changes a change request: risk, approvals, window, outcome, links.

Every check ran before the event existed, so an applier cannot fail, and
`ChangeRequest.from_history` replays through these same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2.changes import events as ev

# -- appliers -------------------------------------------------------------------

_set = object.__setattr__


def _nothing(_c: Any, _p: Any, _at: datetime) -> None:
    """Submitting and requesting approval change no field; the state and event say it."""


def _risk_set(c: Any, p: ev.ChangeRiskSet, _at: datetime) -> None:
    _set(c, "risk", p.new)


def _approved(c: Any, p: ev.ChangeApproved, at: datetime) -> None:
    approval = ev.Approval(p.approver_id, p.board, ev.ApprovalDecision.APPROVED, p.comment, at)
    _set(c, "approvals", (*c.approvals, approval))


def _rejected(c: Any, p: ev.ChangeRejected, at: datetime) -> None:
    _set(c, "approvals", ())
    _set(
        c,
        "rejection",
        ev.Approval(p.approver_id, p.board, ev.ApprovalDecision.REJECTED, p.comment, at),
    )


def _scheduled(c: Any, p: ev.ChangeScheduled | ev.ChangeRescheduled, _at: datetime) -> None:
    _set(c, "planned_start", p.planned_start)
    _set(c, "planned_end", p.planned_end)


def _started(c: Any, _p: ev.ChangeImplementationStarted, at: datetime) -> None:
    _set(c, "implementation_started_at", at)


def _completed(c: Any, p: ev.ChangeCompleted, at: datetime) -> None:
    _set(c, "outcome", p.outcome)
    _set(c, "outcome_notes", p.notes)
    _set(c, "implementation_ended_at", at)


def _closed(c: Any, p: ev.ChangeClosed, _at: datetime) -> None:
    _set(c, "close_notes", p.notes)


def _cancelled(c: Any, p: ev.ChangeCancelled, _at: datetime) -> None:
    _set(c, "cancel_reason", p.reason)


def _linked(c: Any, p: ev.ChangeLinked, _at: datetime) -> None:
    _set(c, "links", c.links.plus(p.link))


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    ev.ChangeSubmitted: _nothing,
    ev.ChangeRiskSet: _risk_set,
    ev.ChangeApprovalRequested: _nothing,
    ev.ChangeApproved: _approved,
    ev.ChangeRejected: _rejected,
    ev.ChangeScheduled: _scheduled,
    ev.ChangeRescheduled: _scheduled,
    ev.ChangeImplementationStarted: _started,
    ev.ChangeCompleted: _completed,
    ev.ChangeClosed: _closed,
    ev.ChangeCancelled: _cancelled,
    ev.ChangeLinked: _linked,
}
