"""The ticket workflow, defined once with transitions and compiled for speed.

Open work lives inside a tier: `L1`, `L2` and `L3` are compound states whose
children are the phases `queued`, `in_progress` and `on_hold`. Escalation and
hand-back are edges *between* tiers, so the generated diagram shows the
L1→L2→L3 machine itself. `new`, `resolved`, `closed` and `cancelled` are
top-level; a resolved or closed ticket's tier is its group's tier.

Why a hierarchical machine: tier-wide rules (escalate, resolve, cancel,
reassign, notes) are written once on the compound state and hold for each of
its phases, exactly the way transitions' HSM bubbles events from child to
parent. Conditions pick the destination tier from the target group's tier.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from itil_l2._core.tier import Tier
from itil_l2._core.workflow import Lifecycle, Workflow
from itil_l2.errors import InvalidTransition, TierSkipRefused
from itil_l2.tickets._handover import L3TargetKind

__all__ = ["PHASE_OF", "WORKFLOW", "Phase", "Trigger", "state_of"]


class Phase(Lifecycle):
    """Where a ticket is in its life; the tier comes from its group."""

    NEW = "new"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Trigger(StrEnum):
    """Every ticket trigger; the permissions policy is asked about these."""

    OPEN = "open"
    ASSIGN = "assign"
    ASSIGN_TO = "assign_to"
    START = "start"
    REQUEUE = "requeue"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    HAND_BACK = "hand_back"
    HOLD = "hold"
    CHANGE_HOLD_REASON = "change_hold_reason"
    RESUME = "resume"
    VENDOR_UPDATE = "vendor_update"
    ADD_NOTE = "add_note"
    UPDATE = "update"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    CANCEL = "cancel"
    LINK = "link"


TIERS = ("L1", "L2", "L3")
TIERED_PHASES = (Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD)

STATES: list[Any] = [
    "new",
    *({"name": t, "children": [p.value for p in TIERED_PHASES]} for t in TIERS),
    "resolved",
    "closed",
    "cancelled",
]


def _group_at(tier: Tier) -> Any:
    def condition(_ticket: Any, payload: Any) -> bool:
        return payload.group.tier is tier

    condition.__name__ = condition.__qualname__ = f"group_at_{tier.value}"
    return condition


def _ticket_at(tier: Tier) -> Any:
    def condition(ticket: Any, _payload: Any) -> bool:
        return ticket.tier is tier

    condition.__name__ = condition.__qualname__ = f"ticket_at_{tier.value}"
    return condition


def tier_skip_allowed(ticket: Any, _payload: Any) -> bool:
    """The ticket's config lets moves skip a tier."""
    return bool(ticket.config.allow_tier_skip)


def l3_vendor(ticket: Any, _payload: Any) -> bool:
    """The ticket is with an L3 vendor."""
    target = ticket.l3_target
    return target is not None and target.kind is L3TargetKind.VENDOR


GROUP_AT = {tier: _group_at(tier) for tier in Tier}
TICKET_AT = {tier: _ticket_at(tier) for tier in Tier}
_OPEN = ["new", *TIERS]


_t = Workflow.transition

TRANSITIONS: list[dict[str, Any]] = [
    *(_t(Trigger.ASSIGN, "new", f"{t.value}.queued", GROUP_AT[t]) for t in Tier),
    *(_t(Trigger.START, f"{t}.queued", f"{t}.in_progress") for t in TIERS),
    *(_t(Trigger.REQUEUE, f"{t}.in_progress", f"{t}.queued") for t in TIERS),
    *(_t(Trigger.REASSIGN, t.value, f"{t.value}.queued", GROUP_AT[t]) for t in Tier),
    _t(Trigger.ESCALATE, "L1", "L2.queued", GROUP_AT[Tier.L2]),
    _t(Trigger.ESCALATE, "L1", "L3.queued", GROUP_AT[Tier.L3], tier_skip_allowed),
    _t(Trigger.ESCALATE, "L2", "L3.queued", GROUP_AT[Tier.L3]),
    _t(Trigger.HAND_BACK, "L2", "L1.queued", GROUP_AT[Tier.L1]),
    _t(Trigger.HAND_BACK, "L3", "L2.queued", GROUP_AT[Tier.L2]),
    _t(Trigger.HAND_BACK, "L3", "L1.queued", GROUP_AT[Tier.L1], tier_skip_allowed),
    *(_t(Trigger.HOLD, f"{t}.in_progress", f"{t}.on_hold") for t in TIERS),
    *(_t(Trigger.RESUME, f"{t}.on_hold", f"{t}.in_progress") for t in TIERS),
    _t(Trigger.CHANGE_HOLD_REASON, [f"{t}.on_hold" for t in TIERS], None),
    _t(Trigger.ASSIGN_TO, list(TIERS), None),
    _t(Trigger.VENDOR_UPDATE, "L3", None, l3_vendor),
    _t(Trigger.UPDATE, _OPEN, None),
    _t(Trigger.ADD_NOTE, [*_OPEN, "resolved"], None),
    _t(Trigger.RESOLVE, _OPEN, "resolved"),
    *(_t(Trigger.REOPEN, "resolved", f"{t.value}.in_progress", TICKET_AT[t]) for t in Tier),
    _t(Trigger.CLOSE, "resolved", "closed"),
    _t(Trigger.CANCEL, _OPEN, "cancelled"),
    _t(Trigger.LINK, [*_OPEN, "resolved", "closed", "cancelled"], None),
]


def state_of(phase: Phase, tier: Tier) -> str:
    """The machine state name for a phase at a tier."""
    if phase in TIERED_PHASES:
        return f"{tier.value}.{phase.value}"
    return phase.value


def _where(ticket: Any) -> tuple[str, str | None]:
    """A ticket is refused by phase and tier (`cannot escalate from in_progress at L2`)."""
    phase = PHASE_OF[ticket.state]
    return phase.value, ticket.tier.value if phase in TIERED_PHASES else None


def _invalid(ticket: Any, trigger: Trigger, detail: str = "") -> InvalidTransition:
    return WORKFLOW.invalid(ticket, trigger, detail)


def _diagnose(ticket: Any, trigger: Any, payload: Any) -> Exception:
    """Explain why no candidate's conditions held (error path only)."""
    here: Tier = ticket.tier
    if trigger is Trigger.VENDOR_UPDATE:
        return _invalid(ticket, trigger, "vendor updates need an L3 vendor target")
    there: Tier = payload.group.tier
    step = there.level - here.level
    if trigger is Trigger.REASSIGN:
        return _invalid(
            ticket, trigger, f"reassign stays at {here}; {there} needs escalate/hand_back"
        )
    if (trigger is Trigger.ESCALATE and step > 1) or (trigger is Trigger.HAND_BACK and step < -1):
        return TierSkipRefused(
            f"{trigger.value} from {here} to {there} skips a tier; "
            "set WorkflowConfig(allow_tier_skip=True) to allow it"
        )
    direction = "higher" if trigger is Trigger.ESCALATE else "lower"
    return _invalid(
        ticket, trigger, f"needs a group at a {direction} tier than {here}, got {there}"
    )


WORKFLOW: Workflow[Trigger] = Workflow(
    "ticket",
    Trigger,
    states=STATES,
    transitions=TRANSITIONS,
    initial="new",
    title="Ticket workflow (L1 → L2 → L3)",
    where=_where,
    diagnose=_diagnose,
)
"""The ticket workflow: one shared machine, compiled; routing, refusals and diagram."""

PHASE_OF = {name: Phase(name.rpartition(".")[2]) for name in WORKFLOW.leaf_states()}
"""The phase of every state the ticket can be in (`"L2.on_hold"` → `Phase.ON_HOLD`)."""
