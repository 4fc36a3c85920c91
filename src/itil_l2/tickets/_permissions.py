"""Who may fire which trigger: a pluggable policy with an ITIL-minded default."""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from itil_l2._core.actor import Actor, Role
from itil_l2._core.tier import SupportGroup
from itil_l2.tickets._fields import Link, LinkKind, Phase, Trigger

__all__ = ["DefaultPermissions", "Permissions", "TicketFacts"]


class TicketFacts(Protocol):
    """What a permissions policy may look at; `Ticket` provides all of it."""

    @property
    def id(self) -> str: ...
    @property
    def phase(self) -> Phase: ...
    @property
    def group(self) -> SupportGroup | None: ...
    @property
    def owner_group(self) -> SupportGroup: ...
    @property
    def caller(self) -> str | None: ...
    @property
    def links(self) -> tuple[Link, ...]: ...


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
