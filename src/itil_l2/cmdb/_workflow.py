"""The configuration-item lifecycle, defined once with transitions and compiled.

planned → active (in production) ⇄ maintenance, and from any of them →
retired, which is final. Status changes go through one trigger,
`change_status`, whose conditions pick the destination from the requested
status, so the drawn diagram reads `planned --> active: change_status
[to_active]`. Attribute, detail and relation changes are internal
transitions (the status stays) that a retired CI refuses; only `unrelate`
still works on a retired CI, to clean up relations left behind.

The `to_<status>` conditions also demand that the payload's recorded old
status is the CI's current one: live triggers always fill it in that way,
and a tampered history that claims otherwise cannot be replayed.

Also here: the CMDB's typed errors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from itil_l2._core.workflow import Workflow
from itil_l2.errors import ValidationError, WorkflowError

__all__ = [
    "CiStatus",
    "CiTrigger",
    "WORKFLOW",
    "CiChangeConflict",
    "ResolutionAlreadyApplied",
    "UnknownCi",
    "UnknownRelation",
]


class CiStatus(StrEnum):
    """Where a CI is in its life: planned, active (in production), maintenance, retired.

    Only `ACTIVE` CIs are *productive*: a service ignores members that are
    planned, in maintenance or retired when it takes the worst of their states.
    """

    PLANNED = "planned"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class CiTrigger(StrEnum):
    """Every CI trigger; the CMDB permissions policy is asked about these."""

    REGISTER = "register"
    CHANGE_STATUS = "change_status"
    UPDATE = "update"
    UPDATE_ATTRIBUTES = "update_attributes"
    APPLY_RESOLUTION_CHANGES = "apply_resolution_changes"
    RELATE = "relate"
    UNRELATE = "unrelate"


"""The role the default CI permissions let change every CI."""


def _to(status: CiStatus) -> Any:
    def condition(ci: Any, payload: Any) -> bool:
        return payload.new is status and payload.old == ci.state

    condition.__name__ = condition.__qualname__ = f"to_{status.value}"
    return condition


TO = {status: _to(status) for status in CiStatus}
_LIVE = [CiStatus.PLANNED.value, CiStatus.ACTIVE.value, CiStatus.MAINTENANCE.value]


_t = Workflow.transition


_STATUS_MOVES = [
    (CiStatus.PLANNED, CiStatus.ACTIVE),
    (CiStatus.PLANNED, CiStatus.RETIRED),
    (CiStatus.ACTIVE, CiStatus.MAINTENANCE),
    (CiStatus.ACTIVE, CiStatus.RETIRED),
    (CiStatus.MAINTENANCE, CiStatus.ACTIVE),
    (CiStatus.MAINTENANCE, CiStatus.RETIRED),
]

TRANSITIONS: list[dict[str, Any]] = [
    *(_t(CiTrigger.CHANGE_STATUS, a.value, b.value, TO[b]) for a, b in _STATUS_MOVES),
    _t(CiTrigger.UPDATE, _LIVE, None),
    _t(CiTrigger.UPDATE_ATTRIBUTES, _LIVE, None),
    _t(CiTrigger.APPLY_RESOLUTION_CHANGES, _LIVE, None),
    _t(CiTrigger.RELATE, _LIVE, None),
    _t(CiTrigger.UNRELATE, [*_LIVE, CiStatus.RETIRED.value], None),
]

NEXT_STATUSES: dict[CiStatus, tuple[CiStatus, ...]] = {
    status: tuple(b for a, b in _STATUS_MOVES if a is status) for status in CiStatus
}


def _diagnose(ci: Any, trigger: Any, _payload: Any) -> Exception:
    """Name the statuses a CI can move to when a status change is refused."""
    detail = ""
    if trigger is CiTrigger.CHANGE_STATUS:
        allowed = ", ".join(s.value for s in NEXT_STATUSES[CiStatus(ci.state)]) or "nothing"
        detail = f"from {ci.state} a CI can become: {allowed}"
    return WORKFLOW.invalid(ci, trigger, detail)


WORKFLOW: Workflow[CiTrigger] = Workflow(
    "ci",
    CiTrigger,
    states=[s.value for s in CiStatus],
    transitions=TRANSITIONS,
    initial=CiStatus.PLANNED.value,
    title="Configuration item lifecycle",
    diagnose=_diagnose,
)
"""The CI lifecycle: one shared machine, compiled; routing, refusals and diagram."""


class CiChangeConflict(WorkflowError):
    """A recorded change's `old` value is not the CI's current value: someone else changed it."""

    def __init__(self, ci_id: str, attribute: str, expected: Any, actual: Any) -> None:
        super().__init__(
            f"{ci_id}: {attribute} is {actual!r}, but the change expects it to be {expected!r}"
        )
        self.ci_id = ci_id
        self.attribute = attribute
        self.expected = expected
        self.actual = actual


class ResolutionAlreadyApplied(WorkflowError):
    """Exactly these changes from this ticket are already in the CI's history."""


class UnknownRelation(WorkflowError):
    """The CI has no such relation to remove."""


class UnknownCi(ValidationError):
    """A CI reference the graph does not know."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no CI {ref!r} in the graph")
        self.ref = ref
