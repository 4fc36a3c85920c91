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

from typing import Any

from itil_l2._core.errors import InvalidTransition, TierSkipRefused
from itil_l2._core.tier import Tier
from itil_l2._core.workflow import allowed_triggers, first_match, shared_machine
from itil_l2.tickets._fields import Phase, Trigger
from itil_l2.tickets._handover import L3TargetKind

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


def _t(trigger: Trigger, source: Any, dest: str | None, *conditions: Any) -> dict[str, Any]:
    return {
        "trigger": trigger.value,
        "source": source,
        "dest": dest,
        "conditions": list(conditions),
    }


TRANSITIONS: list[dict[str, Any]] = [
    *(_t(Trigger.ASSIGN, "new", f"{t.value}.queued", GROUP_AT[t]) for t in Tier),
    *(_t(Trigger.START, f"{t}.queued", f"{t}.in_progress") for t in TIERS),
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

INITIAL = "new"
TITLE = "Ticket workflow (L1 → L2 → L3)"

MACHINE, TABLE = shared_machine("ticket", STATES, TRANSITIONS, INITIAL)
"""The single shared machine (no models); the source of truth for routing and diagrams."""


def state_of(phase: Phase, tier: Tier) -> str:
    """The machine state name for a phase at a tier."""
    if phase in TIERED_PHASES:
        return f"{tier.value}.{phase.value}"
    return phase.value


PHASE_OF = {
    name: Phase(name.rpartition(".")[2])
    for name in MACHINE.get_nested_state_names()
    if name not in TIERS
}

ALLOWED_TRIGGERS = allowed_triggers(TABLE, Trigger)
_NO_TRIGGERS: tuple[Trigger, ...] = ()


def route(ticket: Any, trigger: Trigger, payload: Any) -> str:
    """The state `trigger` leads to from the ticket's state, or a typed refusal.

    Internal transitions return the current state. Thread-safe: reads only
    the compiled table.
    """
    state: str = ticket.state
    candidates = TABLE.get((state, trigger))  # a StrEnum hashes and compares as its value
    if candidates is None:
        raise _invalid(ticket, trigger)
    dest = first_match(candidates, ticket, payload, state)
    if dest is not None:
        return dest
    raise _diagnose(ticket, trigger, payload)


def _invalid(ticket: Any, trigger: Trigger, detail: str = "") -> InvalidTransition:
    phase = PHASE_OF[ticket.state]
    tier = ticket.tier.value if phase in TIERED_PHASES else None
    allowed = (t.value for t in ALLOWED_TRIGGERS.get(ticket.state, _NO_TRIGGERS))
    return InvalidTransition(trigger.value, phase.value, tier, allowed, detail)


def _diagnose(ticket: Any, trigger: Trigger, payload: Any) -> Exception:
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
