"""Ticket helpers: random trigger calls ("moves"), strategies, example tickets.

A `Move` is one trigger call with its arguments and knows whether they are
valid; `draw_move` draws one for a ticket. `tickets()` drives tickets into
any reachable state through the real workflow with valid moves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error
from itil_l2.testing._common import T0, T1, Draw, call_trigger, walk
from itil_l2.tickets import (
    Channel,
    Handover,
    HandoverSource,
    HoldReason,
    L3Target,
    L3TargetKind,
    LinkKind,
    NoteVisibility,
    Resolution,
    ResolutionCode,
    SolutionAttempt,
    Ticket,
    TicketKind,
    Trigger,
    WorkflowConfig,
)

# -- moves ----------------------------------------------------------------------------

DEFAULT_GROUPS = (
    SupportGroup("service-desk", Tier.L1),
    SupportGroup("field-support", Tier.L1),
    SupportGroup("network-l2", Tier.L2, {"network"}),
    SupportGroup("database-l2", Tier.L2, {"database"}),
    SupportGroup("vendor-l3", Tier.L3),
    SupportGroup("development-l3", Tier.L3),
)
"""Two groups per tier: enough for reassignments, escalations and hand-backs."""

_GOOD_HANDOVER = Handover(
    description="Users get ORA-12541 from db-prod-3 since 09:10; listener is down.",
    attempts=(SolutionAttempt("restarted the listener", "no change"),),
    ci_refs=("db-prod-3",),
    priority=Priority.P2,
    impact=Impact.HIGH,
)
_IMPORTED_HANDOVER = Handover(description="copied from export", source=HandoverSource.IMPORTED)
_BAD_HANDOVERS = (Handover(), attrs.evolve(_GOOD_HANDOVER, attempts=()))
_ROGUE_REASON = HoldReason("awaiting_nothing_configured")
_ROGUE_CODE = ResolutionCode("made_up", "Made up", successful=True)


@attrs.frozen
class Move:
    """One trigger call with its arguments; `valid` is False for known-bad input.

    `valid` is None when validity depends on who fires it (imported
    handovers are valid for the system actor only).
    """

    trigger: Trigger
    kwargs: dict[str, Any]
    valid: bool | None
    target: Tier | None = None

    def fire(self, ticket: Ticket, at: datetime, actor: Actor) -> None:
        """Call the trigger method on `ticket`."""
        call_trigger(ticket, self.trigger, at, actor, **self.kwargs)

    def valid_for(self, actor: Actor) -> bool | None:
        """Validity once the actor is known."""
        if self.valid is None:
            return actor.has_role(Role.SYSTEM)
        return self.valid


def draw_move(
    draw: Draw,
    ticket: Ticket,
    trigger: Trigger,
    groups: tuple[SupportGroup, ...],
    *,
    valid: bool | None = None,
) -> Move:
    """Draw arguments for `trigger` on `ticket`; `valid=True` draws only valid ones."""
    want_valid = draw(st.sampled_from([True, True, False])) if valid is None else valid
    return _BUILDERS[trigger](draw, ticket, trigger, groups, want_valid)


_STEP = {Trigger.ESCALATE: 1, Trigger.HAND_BACK: -1, Trigger.REASSIGN: 0, Trigger.ASSIGN: 0}


def _by_fit(
    ticket: Ticket, trigger: Trigger, groups: tuple[SupportGroup, ...]
) -> list[SupportGroup]:
    """Groups the move fits first (hypothesis favours early entries), the rest after."""
    level = 1 if trigger is Trigger.ASSIGN else ticket.tier.level + _STEP[trigger]
    return sorted(groups, key=lambda g: (g.tier.level != level, g == ticket.group))


def _group(draw: Draw, ticket: Ticket, trigger: Trigger, groups: Any, ok: bool) -> Move:
    group: SupportGroup = draw(st.sampled_from(_by_fit(ticket, trigger, groups)))
    kwargs: dict[str, Any] = {"group": group}
    fine = group != ticket.group
    if trigger is Trigger.ASSIGN:
        reason = "monitoring alert" if ok else draw(st.sampled_from([None, "major incident"]))
        kwargs["reason"] = reason
        fine = group.tier is Tier.L1 or reason is not None
    if trigger is Trigger.HAND_BACK:
        kwargs["instructions"] = "solve with KB-123"
        kwargs["fix"] = draw(st.sampled_from([None, "patch 7.1"]))
        fine = True
    if trigger is Trigger.ESCALATE:
        return _escalation(draw, group, ok)
    return Move(trigger, kwargs, fine, group.tier)


def _escalation(draw: Draw, group: SupportGroup, ok: bool) -> Move:
    to_l3 = group.tier is Tier.L3
    target = (
        L3Target(draw(st.sampled_from(L3TargetKind)), "Acme Support", "CASE-1") if to_l3 else None
    )
    kwargs: dict[str, Any] = {"group": group, "handover": _GOOD_HANDOVER, "target": target}
    if ok:
        return Move(Trigger.ESCALATE, kwargs, True, group.tier)
    flaw = draw(st.sampled_from(["handover", "target", "imported"]))
    if flaw == "imported":
        return Move(Trigger.ESCALATE, {**kwargs, "handover": _IMPORTED_HANDOVER}, None, group.tier)
    if flaw == "handover":
        kwargs["handover"] = draw(st.sampled_from(_BAD_HANDOVERS))
    else:
        kwargs["target"] = None if to_l3 else L3Target(L3TargetKind.VENDOR, "Acme", None)
    return Move(Trigger.ESCALATE, kwargs, False, group.tier)


def _hold(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    known = ticket.config.hold_reasons
    if ok:
        choices = [r for r in known if r != ticket.hold_reason] or list(known)
        reason = draw(st.sampled_from(choices))
    else:
        reason = draw(st.sampled_from([_ROGUE_REASON, ticket.hold_reason or _ROGUE_REASON]))
    fine = reason in known and (trigger is Trigger.HOLD or reason != ticket.hold_reason)
    return Move(trigger, {"reason": reason}, fine)


def _resolve(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    code = draw(st.sampled_from(ticket.config.resolution_codes)) if ok else _ROGUE_CODE
    return Move(trigger, {"resolution": Resolution(code, "fixed it", ("KB-1",))}, ok)


def _text(name: str, value: str) -> Callable[..., Move]:
    def build(draw: Draw, _ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
        return Move(trigger, {name: value if ok else draw(st.sampled_from(["", "   "]))}, ok)

    return build


def _bare(_draw: Draw, _ticket: Ticket, trigger: Trigger, _groups: Any, _ok: bool) -> Move:
    return Move(trigger, {}, True)


def _requeue(draw: Draw, _ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    reason = draw(st.sampled_from([None, "waiting for a free agent"])) if ok else " "
    return Move(trigger, {"reason": reason}, ok)


def _assign_to(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    who = draw(st.sampled_from(["ann", "bob", None]))
    return Move(trigger, {"assignee": who}, who != ticket.assignee)


def _note(draw: Draw, _ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    visibility = draw(st.sampled_from(NoteVisibility))
    return Move(trigger, {"text": "called the user" if ok else "", "visibility": visibility}, ok)


def _vendor(draw: Draw, _ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    ref = draw(st.sampled_from([None, "SR-42"]))
    return Move(trigger, {"text": "patch in test" if ok else " ", "ref": ref}, ok)


def _update(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    impact = draw(st.sampled_from(Impact))
    urgency = draw(st.sampled_from(Urgency))
    if not ok:
        return Move(trigger, {"title": ""}, False)
    kwargs: dict[str, Any] = {"impact": impact, "urgency": urgency, "category": "database"}
    changes = impact != ticket.impact or urgency != ticket.urgency or ticket.category != "database"
    return Move(trigger, kwargs, changes)


def _cancel(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    dup = draw(st.sampled_from([None, "INC-OTHER"])) if ok else ticket.id
    return Move(trigger, {"reason": "caller withdrew", "duplicate_of": dup}, ok)


def _link(draw: Draw, ticket: Ticket, trigger: Trigger, _groups: Any, ok: bool) -> Move:
    kind = draw(st.sampled_from(LinkKind))
    ref = draw(st.sampled_from(["PRB-1", "CHG-2", "KB-3"]))
    fresh = all((link.kind, link.ref) != (kind, ref) for link in ticket.links)
    return Move(trigger, {"kind": kind, "ref": ref}, fresh)


_BUILDERS: dict[Trigger, Callable[..., Move]] = {
    Trigger.ASSIGN: _group,
    Trigger.REASSIGN: _group,
    Trigger.ESCALATE: _group,
    Trigger.HAND_BACK: _group,
    Trigger.ASSIGN_TO: _assign_to,
    Trigger.START: _bare,
    Trigger.CLOSE: _bare,
    Trigger.HOLD: _hold,
    Trigger.CHANGE_HOLD_REASON: _hold,
    Trigger.REQUEUE: _requeue,
    Trigger.RESUME: _text("cause", "caller replied"),
    Trigger.REOPEN: _text("reason", "still broken"),
    Trigger.VENDOR_UPDATE: _vendor,
    Trigger.ADD_NOTE: _note,
    Trigger.UPDATE: _update,
    Trigger.RESOLVE: _resolve,
    Trigger.CANCEL: _cancel,
    Trigger.LINK: _link,
}

MOVABLE_TRIGGERS = tuple(_BUILDERS)

# -- strategies -----------------------------------------------------------------------

_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=1)),
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
    ]
)
_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=16).filter(
    lambda s: s.strip("-") != ""
)
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")  # no NUL, no lone surrogate
_TEXT = st.text(_CHARS, min_size=1, max_size=60).filter(lambda s: s.strip() != "")


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1), max_value: datetime = datetime(2100, 1, 1)
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes in assorted fixed offsets (the library refuses naive ones)."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=_ZONES)


def support_groups(tier: Tier | None = None) -> st.SearchStrategy[SupportGroup]:
    """Support groups, at `tier` or at any tier."""
    tiers = st.just(tier) if tier is not None else st.sampled_from(Tier)
    specs = st.frozensets(st.sampled_from(["network", "server", "database", "application"]))
    return st.builds(SupportGroup, _NAMES, tiers, specs)


def actors(groups: st.SearchStrategy[SupportGroup] | None = None) -> st.SearchStrategy[Actor]:
    """Actors belonging to some of the given groups (by name)."""
    group_names = st.frozensets((groups or support_groups()).map(lambda g: g.name), max_size=3)
    return st.builds(
        Actor, _NAMES, group_names, st.frozensets(st.sampled_from(["vendor", "supervisor"]))
    )


def handovers(*, complete: bool = True, min_description: int = 30) -> st.SearchStrategy[Handover]:
    """Agent handovers; complete ones pass `escalate`, others lack at least one part."""
    full = st.builds(
        Handover,
        description=st.text(_CHARS, min_size=min_description + 1, max_size=200).filter(
            lambda s: len(s.strip()) >= min_description
        ),
        attempts=st.lists(st.builds(SolutionAttempt, _TEXT, _TEXT), min_size=1, max_size=3),
        ci_refs=st.lists(_NAMES, min_size=1, max_size=3),
        priority=st.sampled_from(Priority),
        impact=st.sampled_from(Impact),
        hypothesis=st.none() | _TEXT,
        next_check=st.none() | _TEXT,
        source=st.just(HandoverSource.AGENT),
    )
    if complete:
        return full
    return st.builds(
        Handover,
        description=st.sampled_from(["", "too short"]),
        attempts=st.lists(st.builds(SolutionAttempt, _TEXT, _TEXT), max_size=1),
        ci_refs=st.lists(_NAMES, max_size=1),
        priority=st.none() | st.sampled_from(Priority),
        impact=st.none() | st.sampled_from(Impact),
    )


def l3_targets() -> st.SearchStrategy[L3Target]:
    """L3 targets of every kind, with or without an external reference."""
    return st.builds(L3Target, st.sampled_from(L3TargetKind), _TEXT, st.none() | _NAMES)


def hold_reasons(config: WorkflowConfig | None = None) -> st.SearchStrategy[HoldReason]:
    """The hold reasons the config accepts."""
    return st.sampled_from((config or WorkflowConfig()).hold_reasons)


def resolutions(config: WorkflowConfig | None = None) -> st.SearchStrategy[Resolution]:
    """Resolutions with a configured code, notes and some KB references."""
    codes = st.sampled_from((config or WorkflowConfig()).resolution_codes)
    return st.builds(Resolution, codes, _TEXT, st.lists(_NAMES, max_size=2))


@st.composite
def tickets(
    draw: st.DrawFn,
    *,
    config: WorkflowConfig | None = None,
    groups: tuple[SupportGroup, ...] = DEFAULT_GROUPS,
    max_steps: int = 12,
) -> Ticket:
    """Tickets driven into any reachable state through the real workflow.

    Each ticket is opened at an L1 group and moved by up to `max_steps`
    random, legal, valid triggers fired by the system actor, so every
    phase and tier (and every history shape) can come out.
    """
    cfg = config or WorkflowConfig()
    owner = next(g for g in groups if g.tier is Tier.L1)
    ticket = Ticket.open(
        id=draw(_NAMES.map(lambda s: f"INC-{s}")),
        title=draw(_TEXT),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        owner_group=owner,
        kind=draw(st.sampled_from(TicketKind)),
        channel=draw(st.sampled_from(Channel)),
        ci_refs=draw(st.lists(_NAMES, max_size=2)),
        at=T0,
        actor=SYSTEM,
        config=cfg,
    )
    for now in walk(draw, max_steps):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        move = draw_move(draw, ticket, trigger, groups, valid=True)
        try:
            move.fire(ticket, now, SYSTEM)
        except ItilL2Error:
            continue  # e.g. the drawn group's tier fits no edge from here
    return ticket


# -- examples -------------------------------------------------------------------------


def fresh_ticket(id: str, title: str = "Printer on floor 3 jams", **fields: Any) -> Ticket:
    """A new ticket (opened, assigned at L1, started: version 3) with the given fields.

    Opened at `at` if given, else at an hour after `T1` that depends on the id.
    """
    desk = DEFAULT_GROUPS[0]
    opened = T1 + timedelta(hours=sum(map(ord, id)) % 97)
    ticket = Ticket.open(
        id=id,
        title=title,
        impact=fields.pop("impact", Impact.LOW),
        urgency=fields.pop("urgency", Urgency.MEDIUM),
        owner_group=desk,
        at=fields.pop("at", opened),
        actor=SYSTEM,
        **fields,
    )
    ticket.assign(desk, at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)
    ticket.start(at=ticket.updated_at + timedelta(minutes=4), actor=SYSTEM)
    return ticket


def example_ticket() -> Ticket:
    """A small fixed ticket (opened, assigned at L1, started), for examples and smoke tests."""
    return fresh_ticket("INC-EXAMPLE", at=T0 + timedelta(hours=1))
