"""Every tunable of the ticket workflow in one frozen object, and who may fire which trigger.

The permissions policy is pluggable; the default is ITIL-minded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

import attrs
from attrs import frozen

from itil_l2._core.actor import Actor, Role
from itil_l2._core.entity import EntityFacts
from itil_l2._core.priority import PriorityMatrix
from itil_l2._core.tier import SupportGroup
from itil_l2.errors import ValidationError
from itil_l2.tickets._fields import Link, LinkKind
from itil_l2.tickets._hold import STANDARD_HOLD_REASONS, HoldReason
from itil_l2.tickets._resolution import DEFAULT_RESOLUTION_CODES, ResolutionCode
from itil_l2.tickets._workflow import Phase, Trigger

__all__ = [
    "DefaultPermissions",
    "EntryPolicy",
    "Permissions",
    "TicketFacts",
    "WorkflowConfig",
]


class TicketFacts(EntityFacts, Protocol):
    """What a permissions policy may look at; `Ticket` provides all of it."""

    @property
    def phase(self) -> Phase: ...
    @property
    def group(self) -> SupportGroup | None: ...
    @property
    def owner_group(self) -> SupportGroup: ...
    @property
    def caller(self) -> str | None: ...
    @property
    def links(self) -> Sequence[Link]: ...


class Permissions(Protocol):
    """A policy deciding whether `actor` may fire `trigger` on `ticket`.

    Implement `permits` in your own class and pass it in `WorkflowConfig`
    to apply your organisation's rules.
    """

    def permits(self, actor: Actor, trigger: Trigger, ticket: TicketFacts) -> bool:
        """True when the actor may fire the trigger on this ticket now."""
        ...


_CALLER_TRIGGERS = frozenset({Trigger.ADD_NOTE, Trigger.REOPEN, Trigger.CANCEL})
_OWNER_TRIGGERS = frozenset(
    {Trigger.ADD_NOTE, Trigger.LINK, Trigger.CLOSE, Trigger.REOPEN, Trigger.CANCEL, Trigger.UPDATE}
)


@frozen
class DefaultPermissions:
    """The default policy.

    - the system actor may do everything (automation, imports);
    - members of the assigned group may fire every trigger on the ticket;
      escalating to L3 therefore needs an L2 member, since only L2 tickets
      can go to L3;
    - members of the owner group (the desk that logged the ticket) may act on
      it while it is new or unassigned, and may always add notes, link,
      update, close, reopen and cancel (ITIL: the service desk owns it);
    - the caller may comment, reopen and cancel their own ticket;
    - a vendor contact (role `vendor`) may post vendor updates;
    - a problem manager may link any ticket, and resolve tickets that are
      linked to a problem.

    >>> from itil_l2 import Actor
    >>> from itil_l2.tickets import DefaultPermissions, Trigger
    >>> from itil_l2.testing import example_ticket
    >>> ticket = example_ticket()  # assigned to "service-desk"
    >>> DefaultPermissions().permits(Actor("x"), Trigger.ADD_NOTE, ticket)
    False
    >>> DefaultPermissions().permits(Actor("x", groups={"service-desk"}), Trigger.HOLD, ticket)
    True
    """

    problem_manager_role: str = Role.PROBLEM_MANAGER
    vendor_role: str = Role.VENDOR

    def permits(self, actor: Actor, trigger: Trigger, ticket: TicketFacts) -> bool:
        """Apply the rules listed in the class docstring."""
        if Role.SYSTEM in actor.roles:
            return True
        group = ticket.group
        if group is not None and group.name in actor.groups:
            return True
        if ticket.owner_group.name in actor.groups and (
            group is None or trigger in _OWNER_TRIGGERS
        ):
            return True
        if actor.id == ticket.caller and trigger in _CALLER_TRIGGERS:
            return True
        if trigger is Trigger.VENDOR_UPDATE:
            return self.vendor_role in actor.roles
        if self.problem_manager_role in actor.roles:
            if trigger is Trigger.LINK:
                return True
            if trigger is Trigger.RESOLVE:
                return any(link.kind is LinkKind.PROBLEM for link in ticket.links)
        return False


class EntryPolicy(StrEnum):
    """Whether a new ticket may be assigned straight to an L2 or L3 group."""

    FORBIDDEN = "forbidden"
    WITH_REASON = "with_reason"
    ALLOWED = "allowed"


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"{attribute.name} must be a non-negative int, got {value!r}")


def _positive_period(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"auto_close_after must be a positive timedelta, got {value!r}")


def _unique_codes(_inst: object, _attr: object, value: tuple[ResolutionCode, ...]) -> None:
    codes = [c.code for c in value]
    if not codes or len(set(codes)) != len(codes):
        raise ValidationError("resolution_codes must be non-empty with unique codes")


@frozen
class WorkflowConfig:
    """The ticket workflow's settings; the default follows common ITIL practice.

    Pass one to `Ticket.open(config=...)`; tickets keep it, and rebuilt
    tickets take it in `Ticket.from_history(events, config=...)`.

    >>> from datetime import timedelta
    >>> cfg = WorkflowConfig(allow_tier_skip=True, auto_close_after=timedelta(days=3))
    >>> cfg.entry_above_l1
    <EntryPolicy.WITH_REASON: 'with_reason'>
    """

    priority_matrix: PriorityMatrix = PriorityMatrix()
    resolution_codes: tuple[ResolutionCode, ...] = attrs.field(
        default=DEFAULT_RESOLUTION_CODES, converter=tuple, validator=_unique_codes
    )
    hold_reasons: tuple[HoldReason, ...] = attrs.field(
        default=STANDARD_HOLD_REASONS, converter=tuple
    )
    handover_min_description: int = attrs.field(default=30, validator=_non_negative)
    permissions: Permissions = DefaultPermissions()
    auto_close_after: timedelta = attrs.field(default=timedelta(days=5), validator=_positive_period)
    allow_tier_skip: bool = False
    entry_above_l1: EntryPolicy = EntryPolicy.WITH_REASON
