"""An independent statement of the ticket workflow's rules, for property tests.

Written as plain if/else from the issue's transition table, deliberately not
derived from the transitions definition, so the two can check each other.
"""

from __future__ import annotations

from itil_l2._core.tier import Tier
from itil_l2.tickets import Phase, Trigger

__all__ = ["expected_move"]

_WORK = (Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD)


def expected_move(
    phase: Phase,
    tier: Tier,
    trigger: Trigger,
    *,
    target: Tier | None = None,
    allow_skip: bool = False,
    vendor: bool = False,
) -> tuple[Phase, Tier] | None:
    """The (phase, tier) a trigger leads to, or None when the workflow forbids it.

    `tier` is the ticket's tier (its owner group's while new), `target` the
    tier of the group named by assign/reassign/escalate/hand_back, `vendor`
    whether the ticket is with an L3 vendor. Permissions and payload checks
    are not the oracle's business.
    """
    if trigger is Trigger.LINK:
        return (phase, tier)
    if phase in (Phase.CLOSED, Phase.CANCELLED):
        return None
    if trigger is Trigger.ADD_NOTE:
        return (phase, tier)
    if phase is Phase.RESOLVED:
        return _from_resolved(tier, trigger)
    if trigger is Trigger.UPDATE:
        return (phase, tier)
    if trigger is Trigger.RESOLVE:
        return (Phase.RESOLVED, tier)
    if trigger is Trigger.CANCEL:
        return (Phase.CANCELLED, tier)
    if phase is Phase.NEW:
        if trigger is Trigger.ASSIGN and target is not None:
            return (Phase.QUEUED, target)
        return None
    return _within_tiers(phase, tier, trigger, target, allow_skip, vendor)


def _from_resolved(tier: Tier, trigger: Trigger) -> tuple[Phase, Tier] | None:
    if trigger is Trigger.REOPEN:
        return (Phase.IN_PROGRESS, tier)
    if trigger is Trigger.CLOSE:
        return (Phase.CLOSED, tier)
    return None


def _within_tiers(
    phase: Phase,
    tier: Tier,
    trigger: Trigger,
    target: Tier | None,
    allow_skip: bool,
    vendor: bool,
) -> tuple[Phase, Tier] | None:
    assert phase in _WORK
    simple = {
        (Trigger.ASSIGN_TO, Phase.QUEUED): phase,
        (Trigger.ASSIGN_TO, Phase.IN_PROGRESS): phase,
        (Trigger.ASSIGN_TO, Phase.ON_HOLD): phase,
        (Trigger.START, Phase.QUEUED): Phase.IN_PROGRESS,
        (Trigger.HOLD, Phase.IN_PROGRESS): Phase.ON_HOLD,
        (Trigger.CHANGE_HOLD_REASON, Phase.ON_HOLD): Phase.ON_HOLD,
        (Trigger.RESUME, Phase.ON_HOLD): Phase.IN_PROGRESS,
    }
    if (trigger, phase) in simple:
        return (simple[(trigger, phase)], tier)
    if trigger is Trigger.VENDOR_UPDATE:
        return (phase, tier) if tier is Tier.L3 and vendor else None
    if target is None:
        return None
    step = target.level - tier.level
    if trigger is Trigger.REASSIGN and step == 0:
        return (Phase.QUEUED, tier)
    if trigger is Trigger.ESCALATE and (step == 1 or (step == 2 and allow_skip)):
        return (Phase.QUEUED, target)
    if trigger is Trigger.HAND_BACK and (step == -1 or (step == -2 and allow_skip)):
        return (Phase.QUEUED, target)
    return None
