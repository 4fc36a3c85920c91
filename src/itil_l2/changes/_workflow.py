"""The request-for-change workflow, defined once with transitions and compiled.

The full path is new → assess → authorize → scheduled → implement → review
→ closed, with cancelled as the way out before implementation. The change
type picks the path, and it is written as conditions on the transitions, so
the generated diagram shows all three (ServiceNow's change models):

- a standard change is pre-approved: `schedule` takes it from new straight
  to scheduled, skipping assess and authorize;
- an emergency change skips assessment: `submit` takes it to authorize;
- a normal change takes the full path.

Leaving authorize for scheduled needs the approvals the risk demands (the
`approvals_complete` condition); a rejection sends the RFC back to new,
where the requester may rework and resubmit it or cancel it (as in
ServiceNow). Conditions look only at the RFC, never at the payload.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from itil_l2._core.workflow import Workflow
from itil_l2.errors import InvalidTransition, WorkflowError

if TYPE_CHECKING:
    from itil_l2.changes.events import ApprovalBoard

__all__ = [
    "WORKFLOW",
    "ChangeState",
    "ChangeTrigger",
    "ChangeType",
    "ApprovalMissing",
    "ApprovalRefused",
    "approvals_complete",
    "is_emergency",
    "is_normal",
    "is_standard",
    "open_triggers",
]


class ChangeType(StrEnum):
    """ServiceNow's change models; the type decides the path through the workflow.

    Standard changes are pre-approved (new → scheduled), emergency changes
    skip assessment (new → authorize), normal changes take the full path.
    """

    STANDARD = "standard"
    NORMAL = "normal"
    EMERGENCY = "emergency"


class ChangeState(StrEnum):
    """Where a request for change is in its life."""

    NEW = "new"
    ASSESS = "assess"
    AUTHORIZE = "authorize"
    SCHEDULED = "scheduled"
    IMPLEMENT = "implement"
    REVIEW = "review"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Closed or cancelled: only `link` may still change the request."""
        return self in (ChangeState.CLOSED, ChangeState.CANCELLED)


class ChangeTrigger(StrEnum):
    """Every change trigger; the change permissions policy is asked about these."""

    RAISE = "raise"
    SUBMIT = "submit"
    SET_RISK = "set_risk"
    REQUEST_APPROVAL = "request_approval"
    APPROVE = "approve"
    REJECT = "reject"
    SCHEDULE = "schedule"
    RESCHEDULE = "reschedule"
    IMPLEMENT = "implement"
    COMPLETE = "complete"
    CLOSE = "close"
    CANCEL = "cancel"
    LINK = "link"


class ApprovalMissing(WorkflowError):
    """Scheduling an RFC before the approvals its risk demands are recorded."""

    def __init__(self, change_id: str, board: ApprovalBoard, missing: int) -> None:
        self.change_id = change_id
        self.board = board
        self.missing = missing
        super().__init__(f"{change_id} needs {missing} more {board.value} approval(s) first")


class ApprovalRefused(WorkflowError):
    """An approval or rejection the rules do not take (wrong board, same approver twice)."""


STATES = ["new", "assess", "authorize", "scheduled", "implement", "review", "closed", "cancelled"]


def is_standard(change: Any, _payload: Any) -> bool:
    """A pre-approved standard change."""
    return change.change_type is ChangeType.STANDARD


def is_normal(change: Any, _payload: Any) -> bool:
    """A normal change (the full path)."""
    return change.change_type is ChangeType.NORMAL


def is_emergency(change: Any, _payload: Any) -> bool:
    """An emergency change (no assessment)."""
    return change.change_type is ChangeType.EMERGENCY


def approvals_complete(change: Any, _payload: Any) -> bool:
    """The board the risk demands has approved (CAB quorum, or the group manager)."""
    missing: int = change.config.missing_approvals(change.risk, change.approvals)
    return missing == 0


_t = Workflow.transition


_BEFORE_IMPLEMENTATION = ["new", "assess", "authorize", "scheduled"]

TRANSITIONS: list[dict[str, Any]] = [
    _t(ChangeTrigger.SUBMIT, "new", "assess", is_normal),
    _t(ChangeTrigger.SUBMIT, "new", "authorize", is_emergency),
    _t(ChangeTrigger.SCHEDULE, "new", "scheduled", is_standard),
    _t(ChangeTrigger.SET_RISK, ["new", "assess"], None),
    _t(ChangeTrigger.REQUEST_APPROVAL, "assess", "authorize"),
    _t(ChangeTrigger.APPROVE, "authorize", None),
    _t(ChangeTrigger.REJECT, "authorize", "new"),
    _t(ChangeTrigger.SCHEDULE, "authorize", "scheduled", approvals_complete),
    _t(ChangeTrigger.RESCHEDULE, "scheduled", None),
    _t(ChangeTrigger.IMPLEMENT, "scheduled", "implement"),
    _t(ChangeTrigger.COMPLETE, "implement", "review"),
    _t(ChangeTrigger.CLOSE, "review", "closed"),
    _t(ChangeTrigger.CANCEL, _BEFORE_IMPLEMENTATION, "cancelled"),
    _t(ChangeTrigger.LINK, STATES, None),
]


def open_triggers(change: Any) -> tuple[ChangeTrigger, ...]:
    """The triggers with a transition from here whose conditions hold for this RFC."""
    return WORKFLOW.open_triggers(change)


def _invalid(change: Any, trigger: ChangeTrigger, detail: str = "") -> InvalidTransition:
    return WORKFLOW.invalid(change, trigger, detail)


def _diagnose(change: Any, trigger: Any, _payload: Any) -> Exception:
    """Explain why no candidate's conditions held (error path only)."""
    if change.state == "authorize":  # only `schedule` is conditional there
        board = change.config.required_board(change.risk)
        return ApprovalMissing(
            change.id, board, change.config.missing_approvals(change.risk, change.approvals)
        )
    if trigger is ChangeTrigger.SUBMIT:
        return _invalid(
            change, trigger, "a standard change is pre-approved: schedule it straight from new"
        )
    kind = change.change_type.value
    return _invalid(
        change, trigger, f"a {kind} change is scheduled once authorized; submit it first"
    )


WORKFLOW: Workflow[ChangeTrigger] = Workflow(
    "change",
    ChangeTrigger,
    states=STATES,
    transitions=TRANSITIONS,
    initial="new",
    title="Request for change (standard / normal / emergency)",
    diagnose=_diagnose,
)
"""The RFC workflow: one shared machine, compiled; routing, refusals and diagram."""
