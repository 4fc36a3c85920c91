"""Every tunable of change management, and who may fire which change trigger.

Which risks go to the change advisory board, how many CAB approvals make a
quorum, which risks a standard (pre-approved) change may carry, and the role
names for CAB members, group managers and change managers all live in one
frozen `ChangeConfig` that is passed in, never in module globals.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.actor import Actor, Role
from itil_l2._core.entity import EntityFacts
from itil_l2._core.tier import SupportGroup
from itil_l2.changes._workflow import ChangeTrigger, ChangeType
from itil_l2.changes.events import Approval, ApprovalBoard, ApprovalDecision, ChangeRisk
from itil_l2.errors import ValidationError

__all__ = [
    "CAB_MEMBER",
    "GROUP_MANAGER",
    "ChangeConfig",
    "ChangeFacts",
    "ChangePermissions",
    "DefaultChangePermissions",
]

CAB_MEMBER = Role.CAB_MEMBER
"""The default role of change advisory board members."""
GROUP_MANAGER = Role.GROUP_MANAGER
"""The default role of a group's manager (who must also be a member of the group)."""


class ChangeFacts(EntityFacts, Protocol):
    """What a change permissions policy may look at; `ChangeRequest` provides all of it."""

    @property
    def change_type(self) -> ChangeType: ...
    @property
    def group(self) -> SupportGroup: ...
    @property
    def requested_by(self) -> str: ...
    @property
    def config(self) -> ChangeConfig: ...


class ChangePermissions(Protocol):
    """A policy deciding whether `actor` may fire `trigger` on a request for change.

    Implement `permits` in your own class and pass it in `ChangeConfig`.
    Approvals are checked twice: here (may this actor decide at all) and in
    the trigger (may this actor decide for the board it names).
    """

    def permits(self, actor: Actor, trigger: ChangeTrigger, change: ChangeFacts) -> bool:
        """True when the actor may fire the trigger on this RFC now."""
        ...


_GROUP_TRIGGERS = frozenset(
    {
        ChangeTrigger.SUBMIT,
        ChangeTrigger.SET_RISK,
        ChangeTrigger.SCHEDULE,
        ChangeTrigger.RESCHEDULE,
        ChangeTrigger.IMPLEMENT,
        ChangeTrigger.COMPLETE,
        ChangeTrigger.CANCEL,
        ChangeTrigger.LINK,
    }
)
_REQUESTER_TRIGGERS = frozenset(
    {ChangeTrigger.SUBMIT, ChangeTrigger.SET_RISK, ChangeTrigger.CANCEL, ChangeTrigger.LINK}
)
_DECISIONS = frozenset({ChangeTrigger.APPROVE, ChangeTrigger.REJECT})


@frozen
class DefaultChangePermissions:
    """The default policy.

    - the system actor may do everything (automation, imports);
    - approvals and rejections need a board role: a CAB member, or a group
      manager who belongs to the RFC's implementing group; nobody else
      decides, not even a change manager;
    - a change manager may fire every other trigger (assessment, requesting
      approval, the post-implementation review that closes the RFC, ...);
    - members of the implementing group may submit, set the risk, schedule,
      reschedule, implement, complete, cancel and link, and close standard
      changes (no review board for pre-approved work);
    - the requester may submit, set the risk, cancel and link.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2 import ChangeRequest
    >>> from itil_l2.changes.events import ChangeRisk
    >>> from itil_l2.changes import ChangeTrigger, ChangeType
    >>> rfc = ChangeRequest.raise_(
    ...     id="CHG-1", title="Rebuild index", change_type=ChangeType.NORMAL,
    ...     risk=ChangeRisk.LOW, group=SupportGroup("database-l2", Tier.L2),
    ...     at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), actor=Actor("rita"))
    >>> DefaultChangePermissions().permits(Actor("rita"), ChangeTrigger.SUBMIT, rfc)
    True
    >>> DefaultChangePermissions().permits(Actor("rita"), ChangeTrigger.APPROVE, rfc)
    False
    """

    def permits(self, actor: Actor, trigger: ChangeTrigger, change: ChangeFacts) -> bool:
        """Apply the rules listed in the class docstring."""
        config = change.config
        if Role.SYSTEM in actor.roles:
            return True
        if trigger in _DECISIONS:
            return any(config.may_decide(actor, board, change.group) for board in ApprovalBoard)
        if config.change_manager_role in actor.roles:
            return True
        if change.group.name in actor.groups:
            if trigger in _GROUP_TRIGGERS:
                return True
            if trigger is ChangeTrigger.CLOSE:
                return change.change_type is ChangeType.STANDARD
        return actor.id == change.requested_by and trigger in _REQUESTER_TRIGGERS


def _risks(_inst: object, attribute: attrs.Attribute[Any], value: frozenset[Any]) -> None:
    if not all(isinstance(risk, ChangeRisk) for risk in value):
        raise ValidationError(f"{attribute.name} must hold ChangeRisk members, got {value!r}")


def _some_risks(inst: object, attribute: attrs.Attribute[Any], value: frozenset[Any]) -> None:
    _risks(inst, attribute, value)
    if not value:
        raise ValidationError(f"{attribute.name} must name at least one risk")


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{attribute.name} must be a positive int, got {value!r}")


def _as_risks(value: Any) -> frozenset[Any]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@frozen
class ChangeConfig:
    """Change management's settings; the default follows ServiceNow's change models.

    `cab_risks` go to the change advisory board (`cab_quorum` distinct CAB
    members must approve); every other risk is approved by a manager of the
    implementing group. A standard change is pre-approved and may only carry
    one of `standard_risks`.

    >>> cfg = ChangeConfig(cab_quorum=2)
    >>> cfg.required_board(ChangeRisk.HIGH), cfg.required_board(ChangeRisk.LOW)
    (<ApprovalBoard.CAB: 'cab'>, <ApprovalBoard.GROUP_MANAGER: 'group_manager'>)
    >>> cfg.quorum(ApprovalBoard.CAB), cfg.quorum(ApprovalBoard.GROUP_MANAGER)
    (2, 1)
    """

    cab_risks: frozenset[ChangeRisk] = attrs.field(
        default=frozenset({ChangeRisk.MODERATE, ChangeRisk.HIGH}),
        converter=_as_risks,
        validator=_risks,
    )
    cab_quorum: int = attrs.field(default=1, validator=_positive)
    standard_risks: frozenset[ChangeRisk] = attrs.field(
        default=frozenset({ChangeRisk.LOW}), converter=_as_risks, validator=_some_risks
    )
    cab_role: str = attrs.field(default=CAB_MEMBER, validator=_checks.text)
    group_manager_role: str = attrs.field(default=GROUP_MANAGER, validator=_checks.text)
    change_manager_role: str = attrs.field(default=Role.CHANGE_MANAGER, validator=_checks.text)
    permissions: ChangePermissions = DefaultChangePermissions()

    def required_board(self, risk: ChangeRisk) -> ApprovalBoard:
        """The board whose approval a change of this risk needs."""
        return ApprovalBoard.CAB if risk in self.cab_risks else ApprovalBoard.GROUP_MANAGER

    def quorum(self, board: ApprovalBoard) -> int:
        """How many distinct approvers of `board` make its approval."""
        return self.cab_quorum if board is ApprovalBoard.CAB else 1

    def missing_approvals(self, risk: ChangeRisk, approvals: tuple[Approval, ...]) -> int:
        """How many more approvals of the required board the RFC needs (0: authorized)."""
        board = self.required_board(risk)
        approvers = {
            a.approver_id
            for a in approvals
            if a.board is board and a.decision is ApprovalDecision.APPROVED
        }
        return max(self.quorum(board) - len(approvers), 0)

    def check_standard_risk(self, change_type: ChangeType, risk: ChangeRisk) -> None:
        """Refuse a standard change whose risk is not one of `standard_risks`."""
        if change_type is ChangeType.STANDARD and risk not in self.standard_risks:
            allowed = ", ".join(sorted(r.value for r in self.standard_risks))
            raise ValidationError(f"a standard change carries {allowed} risk, not {risk.value}")

    def may_decide(self, actor: Actor, board: ApprovalBoard, group: SupportGroup) -> bool:
        """Whether `actor` may approve or reject for `board` a change implemented by `group`."""
        if Role.SYSTEM in actor.roles:
            return True
        if board is ApprovalBoard.CAB:
            return self.cab_role in actor.roles
        return self.group_manager_role in actor.roles and group.name in actor.groups
