"""Random ticket trigger calls ("moves") that follow a `WorkflowConfig`, and know if valid.

A `Move` is one trigger call with its arguments and knows whether they are
valid; `draw_move` draws one for a ticket. Validity is judged here, from the
config's data (its handover minimum, entry policy, hold reasons and
resolution codes), never by calling the ticket's own rules, so the moves can
check them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.actor import Actor, Role
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.testing._common import Draw, call_trigger
from itil_l2.tickets import (
    EntryPolicy,
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
    Trigger,
    WorkflowConfig,
)

DEFAULT_GROUPS = (
    SupportGroup("service-desk", Tier.L1),
    SupportGroup("field-support", Tier.L1),
    SupportGroup("network-l2", Tier.L2, {"network"}),
    SupportGroup("database-l2", Tier.L2, {"database"}),
    SupportGroup("vendor-l3", Tier.L3),
    SupportGroup("development-l3", Tier.L3),
)
"""Two groups per tier: enough for reassignments, escalations and hand-backs."""

_DESCRIPTION = "Users get ORA-12541 from db-prod-3 since 09:10; listener is down."
_IMPORTED_HANDOVER = Handover(description="copied from export", source=HandoverSource.IMPORTED)
_ROGUE_REASON = HoldReason("awaiting_nothing_configured")
_ROGUE_CODE = ResolutionCode("made_up", "Made up", successful=True)


def sized_text(text: str, size: int) -> str:
    """`text`, repeated and cut so it has exactly `max(size, 1)` characters, none blank at the ends.

    >>> sized_text("abc", 7)
    'abc abc'
    >>> len(sized_text("Users cannot log in.", 80))
    80
    """
    size = max(size, 1)
    body = " ".join([text] * (size // (len(text) + 1) + 1))[:size]
    return body[:-1] + "x" if body.endswith(" ") else body


def complete_handover(min_description: int) -> Handover:
    """A complete agent handover whose description just meets `min_description` (or more).

    >>> h = complete_handover(80)
    >>> len(h.description) >= 80 and h.missing_parts(80) == ()
    True
    """
    return Handover(
        description=sized_text(_DESCRIPTION, max(min_description, len(_DESCRIPTION))),
        attempts=(SolutionAttempt("restarted the listener", "no change"),),
        ci_refs=("db-prod-3",),
        priority=Priority.P2,
        impact=Impact.HIGH,
    )


def _incomplete_handovers(min_description: int) -> list[Handover]:
    """Handovers that miss one part: no attempts, nothing at all, a description one short."""
    good = complete_handover(min_description)
    bad = [attrs.evolve(good, attempts=()), attrs.evolve(good, ci_refs=())]
    if min_description > 0:
        bad.append(attrs.evolve(good, description=sized_text(_DESCRIPTION, min_description - 1)))
        bad.append(Handover())
    return bad


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
    config: WorkflowConfig | None = None,
) -> Move:
    """Draw arguments for `trigger` on `ticket`; `valid=True` draws only valid ones.

    The arguments and their validity follow `config` (the ticket's own when
    None): handovers sized to its minimum, its entry policy, its hold
    reasons and resolution codes.
    """
    cfg = ticket.config if config is None else config
    want_valid = draw(st.sampled_from([True, True, False])) if valid is None else valid
    return _BUILDERS[trigger](draw, ticket, trigger, groups, want_valid, cfg)


_STEP = {Trigger.ESCALATE: 1, Trigger.HAND_BACK: -1, Trigger.REASSIGN: 0, Trigger.ASSIGN: 0}


def _by_fit(
    ticket: Ticket, trigger: Trigger, groups: tuple[SupportGroup, ...]
) -> list[SupportGroup]:
    """Groups the move fits first (hypothesis favours early entries), the rest after."""
    level = 1 if trigger is Trigger.ASSIGN else ticket.tier.level + _STEP[trigger]
    return sorted(groups, key=lambda g: (g.tier.level != level, g == ticket.group))


def _entry_ok(group: SupportGroup, reason: str | None, cfg: WorkflowConfig) -> bool:
    """Whether a new ticket may be assigned to `group` under the config's entry policy."""
    if group.tier is Tier.L1 or cfg.entry_above_l1 is EntryPolicy.ALLOWED:
        return True
    return cfg.entry_above_l1 is EntryPolicy.WITH_REASON and reason is not None


def _group(draw: Draw, ticket: Ticket, trigger: Trigger, groups: Any, ok: bool, cfg: Any) -> Move:
    group: SupportGroup = draw(st.sampled_from(_by_fit(ticket, trigger, groups)))
    kwargs: dict[str, Any] = {"group": group}
    fine = group != ticket.group
    if trigger is Trigger.ASSIGN:
        reason = "monitoring alert" if ok else draw(st.sampled_from([None, "major incident"]))
        kwargs["reason"] = reason
        fine = _entry_ok(group, reason, cfg)
    if trigger is Trigger.HAND_BACK:
        kwargs["instructions"] = "solve with KB-123"
        kwargs["fix"] = draw(st.sampled_from([None, "patch 7.1"]))
        fine = True
    if trigger is Trigger.ESCALATE:
        return _escalation(draw, group, ok, cfg.handover_min_description)
    return Move(trigger, kwargs, fine, group.tier)


def _escalation(draw: Draw, group: SupportGroup, ok: bool, minimum: int) -> Move:
    to_l3 = group.tier is Tier.L3
    target = (
        L3Target(draw(st.sampled_from(L3TargetKind)), "Acme Support", "CASE-1") if to_l3 else None
    )
    handover = complete_handover(minimum)
    kwargs: dict[str, Any] = {"group": group, "handover": handover, "target": target}
    if ok:
        return Move(Trigger.ESCALATE, kwargs, True, group.tier)
    flaw = draw(st.sampled_from(["handover", "target", "imported"]))
    if flaw == "imported":
        return Move(Trigger.ESCALATE, {**kwargs, "handover": _IMPORTED_HANDOVER}, None, group.tier)
    if flaw == "handover":
        kwargs["handover"] = draw(st.sampled_from(_incomplete_handovers(minimum)))
    else:
        kwargs["target"] = None if to_l3 else L3Target(L3TargetKind.VENDOR, "Acme", None)
    return Move(Trigger.ESCALATE, kwargs, False, group.tier)


def _hold(draw: Draw, ticket: Ticket, trigger: Trigger, _g: Any, ok: bool, cfg: Any) -> Move:
    known = cfg.hold_reasons
    if ok and known:
        choices = [r for r in known if r != ticket.hold_reason] or list(known)
        reason = draw(st.sampled_from(choices))
    else:
        reason = draw(st.sampled_from([_ROGUE_REASON, ticket.hold_reason or _ROGUE_REASON]))
    fine = reason in known and (trigger is Trigger.HOLD or reason != ticket.hold_reason)
    return Move(trigger, {"reason": reason}, fine)


def _resolve(draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, ok: bool, cfg: Any) -> Move:
    code = draw(st.sampled_from(cfg.resolution_codes)) if ok else _ROGUE_CODE
    return Move(trigger, {"resolution": Resolution(code, "fixed it", ("KB-1",))}, ok)


def _text(name: str, value: str) -> Callable[..., Move]:
    def build(draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
        return Move(trigger, {name: value if ok else draw(st.sampled_from(["", "   "]))}, ok)

    return build


def _bare(_draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, _ok: bool, _cfg: Any) -> Move:
    return Move(trigger, {}, True)


def _requeue(draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
    reason = draw(st.sampled_from([None, "waiting for a free agent"])) if ok else " "
    return Move(trigger, {"reason": reason}, ok)


def _assign_to(draw: Draw, t: Ticket, trigger: Trigger, _g: Any, _ok: bool, _cfg: Any) -> Move:
    who = draw(st.sampled_from(["ann", "bob", None]))
    return Move(trigger, {"assignee": who}, who != t.assignee)


def _note(draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
    visibility = draw(st.sampled_from(NoteVisibility))
    return Move(trigger, {"text": "called the user" if ok else "", "visibility": visibility}, ok)


def _vendor(draw: Draw, _t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
    ref = draw(st.sampled_from([None, "SR-42"]))
    return Move(trigger, {"text": "patch in test" if ok else " ", "ref": ref}, ok)


def _update(draw: Draw, t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
    impact = draw(st.sampled_from(Impact))
    urgency = draw(st.sampled_from(Urgency))
    if not ok:
        return Move(trigger, {"title": ""}, False)
    kwargs: dict[str, Any] = {"impact": impact, "urgency": urgency, "category": "database"}
    changes = impact != t.impact or urgency != t.urgency or t.category != "database"
    return Move(trigger, kwargs, changes)


def _cancel(draw: Draw, t: Ticket, trigger: Trigger, _g: Any, ok: bool, _cfg: Any) -> Move:
    dup = draw(st.sampled_from([None, "INC-OTHER"])) if ok else t.id
    return Move(trigger, {"reason": "caller withdrew", "duplicate_of": dup}, ok)


def _link(draw: Draw, t: Ticket, trigger: Trigger, _g: Any, _ok: bool, _cfg: Any) -> Move:
    kind = draw(st.sampled_from(LinkKind))
    ref = draw(st.sampled_from(["PRB-1", "CHG-2", "KB-3"]))
    fresh = all((link.kind, link.ref) != (kind, ref) for link in t.links)
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
"""Every trigger `draw_move` draws arguments for."""
