"""How each changes event changes its entity's fields.

Appliers never fail: every check happens before an event exists, so applying
is the last, infallible step of a trigger, and replay uses the same appliers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2.changes.events import (
    Approval,
    ApprovalDecision,
    ChangeApprovalRequested,
    ChangeApproved,
    ChangeCancelled,
    ChangeClosed,
    ChangeCompleted,
    ChangeImplementationStarted,
    ChangeLinked,
    ChangeRejected,
    ChangeRescheduled,
    ChangeRiskSet,
    ChangeScheduled,
    ChangeSubmitted,
)

# -- appliers -------------------------------------------------------------------

_set = object.__setattr__


def _nothing(_c: Any, _p: Any, _at: datetime) -> None:
    """Submitting and requesting approval change no field; the state and event say it."""


def _risk_set(c: Any, p: ChangeRiskSet, _at: datetime) -> None:
    _set(c, "risk", p.new)


def _approved(c: Any, p: ChangeApproved, at: datetime) -> None:
    approval = Approval(p.approver_id, p.board, ApprovalDecision.APPROVED, p.comment, at)
    _set(c, "approvals", (*c.approvals, approval))


def _rejected(c: Any, p: ChangeRejected, at: datetime) -> None:
    _set(c, "approvals", ())
    _set(c, "rejection", Approval(p.approver_id, p.board, ApprovalDecision.REJECTED, p.comment, at))


def _scheduled(c: Any, p: ChangeScheduled | ChangeRescheduled, _at: datetime) -> None:
    _set(c, "planned_start", p.planned_start)
    _set(c, "planned_end", p.planned_end)


def _started(c: Any, _p: ChangeImplementationStarted, at: datetime) -> None:
    _set(c, "implementation_started_at", at)


def _completed(c: Any, p: ChangeCompleted, at: datetime) -> None:
    _set(c, "outcome", p.outcome)
    _set(c, "outcome_notes", p.notes)
    _set(c, "implementation_ended_at", at)


def _closed(c: Any, p: ChangeClosed, _at: datetime) -> None:
    _set(c, "close_notes", p.notes)


def _cancelled(c: Any, p: ChangeCancelled, _at: datetime) -> None:
    _set(c, "cancel_reason", p.reason)


def _linked(c: Any, p: ChangeLinked, _at: datetime) -> None:
    _set(c, "links", (*c.links, p.link))


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    ChangeSubmitted: _nothing,
    ChangeRiskSet: _risk_set,
    ChangeApprovalRequested: _nothing,
    ChangeApproved: _approved,
    ChangeRejected: _rejected,
    ChangeScheduled: _scheduled,
    ChangeRescheduled: _scheduled,
    ChangeImplementationStarted: _started,
    ChangeCompleted: _completed,
    ChangeClosed: _closed,
    ChangeCancelled: _cancelled,
    ChangeLinked: _linked,
}
