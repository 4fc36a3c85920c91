"""The rule of every RFC trigger: what its event must hold, checked live and on replay.

`RULES` maps each payload type to one function taking the RFC as it is
before the event, the payload and the actor's id. `ChangeRequest`'s triggers
only build payloads; the entity engine runs the payload's rule both when a
trigger fires and when a stored history is replayed, so a check cannot exist
for one path only. The rules cover the config (the board the risk demands,
the risks a standard change may carry), "changes something" (no risk set to
itself, no reschedule to the same window, no duplicate link, no second
approval by the same approver) and the values a trigger derives (the old
risk, the approver is the actor).

Each payload checks its own values (types, non-blank texts, an aware window
ending after its start) when it is made, and replay checks them again; the
rules of the payloads that hold attrs values of their own (the creation's
`raised_from` and `group`, a link) check those nested values too, so an
event built around its validators cannot load either. What depends on the
actor's roles and groups (may this actor decide for that board) is checked
live only, in `check_decider`: a stored event names its actor's id, not its
rights.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.checks import check_identifier
from itil_l2._core.entity import Rule
from itil_l2.changes import events as ev
from itil_l2.changes._workflow import ApprovalRefused
from itil_l2.errors import DuplicateLink, NotPermitted, ValidationError

__all__ = ["RULES", "check_decider", "check_raised"]


def check_values(value: Any) -> None:
    """Run the validators of an attrs value and of every attrs value it holds."""
    if attrs.has(type(value)):
        attrs.validate(value)
        for field in attrs.fields(type(value)):
            check_values(getattr(value, field.name))


def check_raised(id: str, payload: ev.ChangeRaised, config: Any) -> None:
    """A creation event: an id (an identifier), valid values, and a risk the type may carry."""
    check_identifier(id, "id")
    check_values(payload)
    config.check_standard_risk(payload.change_type, payload.risk)


def check_decider(c: Any, board: ev.ApprovalBoard, actor: Actor) -> None:
    """Live only: `actor` may approve or reject for `board` (roles and groups)."""
    if not c.config.may_decide(actor, board, c.group):
        raise NotPermitted(actor.id, f"decide for the {board.value} on", c.id)


# -- one rule per payload type --------------------------------------------------------


def _risk_set(c: Any, p: ev.ChangeRiskSet, _actor: str, _at: datetime) -> None:
    if p.old is not c.risk:
        raise ValidationError(f"{c.id}: risk is {c.risk.value}, not {p.old}")
    if p.new is c.risk:
        raise ValidationError(f"{c.id}: risk is already {p.new.value}")
    c.config.check_standard_risk(c.change_type, p.new)


def _approved(c: Any, p: ev.ChangeApproved, actor: str, _at: datetime) -> None:
    _decision(c, p, actor, _at)
    if any(a.approver_id == p.approver_id and a.board is p.board for a in c.approvals):
        raise ApprovalRefused(f"{p.approver_id} already approved {c.id} for {p.board.value}")


def _decision(c: Any, p: ev.ChangeApproved | ev.ChangeRejected, actor: str, _at: datetime) -> None:
    """An approval or rejection: by its actor, for the board the RFC's risk demands."""
    if p.approver_id != actor:
        raise ValidationError(f"{c.id}: {actor} cannot decide as {p.approver_id!r}")
    needed = c.config.required_board(c.risk)
    if p.board is not needed:
        raise ApprovalRefused(
            f"{c.id} is {c.risk.value} risk: {needed.value} decides, not {p.board.value}"
        )


def _rescheduled(c: Any, p: ev.ChangeRescheduled, _actor: str, _at: datetime) -> None:
    if (p.planned_start, p.planned_end) == (c.planned_start, c.planned_end):
        raise ValidationError(f"{c.id} is already scheduled for that window")


def _linked(c: Any, p: ev.ChangeLinked, _actor: str, _at: datetime) -> None:
    link = p.link
    check_values(link)
    if link in c.links:
        raise DuplicateLink(f"{c.id} is already linked to {link.kind.value} {link.ref}")


RULES: dict[type[Any], Rule] = {
    ev.ChangeRiskSet: _risk_set,
    ev.ChangeApproved: _approved,
    ev.ChangeRejected: _decision,
    ev.ChangeRescheduled: _rescheduled,
    ev.ChangeLinked: _linked,
}
"""Payload type -> its rule; payloads without one need only the workflow and their values."""
