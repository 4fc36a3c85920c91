"""Each WorkflowConfig switch changes exactly what it says."""

from __future__ import annotations

import pytest

from itil_l2 import (
    Handover,
    HoldReason,
    IncompleteHandover,
    Priority,
    PriorityMatrix,
    Resolution,
    ResolutionCode,
    Tier,
    WorkflowConfig,
)
from itil_l2.errors import EntryRefused, UnknownHoldReason, UnknownResolutionCode
from itil_l2.tickets import EntryPolicy
from support import (
    ANN,
    DBA,
    DESK,
    FIXED,
    GOOD_HANDOVER,
    ORACLE,
    VENDOR,
    VIC,
    Clock,
    at_l1,
    at_l3,
    open_ticket,
)


def test_allow_tier_skip_opens_l1_to_l3_and_back() -> None:
    clock = Clock()
    t = at_l1(clock, WorkflowConfig(allow_tier_skip=True))
    t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=ANN, target=ORACLE)
    assert t.tier is Tier.L3
    t.hand_back(DESK, "try KB-1", at=clock(), actor=VIC)
    assert t.tier is Tier.L1


@pytest.mark.parametrize(
    ("policy", "reason", "allowed"),
    [
        (EntryPolicy.FORBIDDEN, "major incident", False),
        (EntryPolicy.WITH_REASON, None, False),
        (EntryPolicy.WITH_REASON, "major incident", True),
        (EntryPolicy.ALLOWED, None, True),
    ],
)
def test_entry_above_l1(policy: EntryPolicy, reason: str | None, allowed: bool) -> None:
    clock = Clock()
    t = open_ticket(clock, WorkflowConfig(entry_above_l1=policy))
    if allowed:
        t.assign(DBA, at=clock(), actor=ANN, reason=reason)
        assert t.tier is Tier.L2
    else:
        with pytest.raises(EntryRefused):
            t.assign(DBA, at=clock(), actor=ANN, reason=reason)
        assert t.version == 1
    # L1 entry never needs a reason, whatever the policy
    t2 = open_ticket(clock, WorkflowConfig(entry_above_l1=policy), id="INC-2")
    t2.assign(DESK, at=clock(), actor=ANN)


def test_handover_minimum_is_configurable() -> None:
    clock = Clock()
    short = Handover(
        description="DB down",
        attempts=GOOD_HANDOVER.attempts,
        ci_refs=GOOD_HANDOVER.ci_refs,
        priority=Priority.P1,
        impact=GOOD_HANDOVER.impact,
    )
    with pytest.raises(IncompleteHandover):
        at_l1(clock).escalate(DBA, short, at=clock(), actor=ANN)
    lenient = at_l1(clock, WorkflowConfig(handover_min_description=5))
    lenient.escalate(DBA, short, at=clock(), actor=ANN)


def test_custom_hold_reasons_and_resolution_codes() -> None:
    clock = Clock()
    parts = HoldReason("awaiting_spare_part")
    workaround = ResolutionCode("workaround_only", "Workaround only", successful=True)
    cfg = WorkflowConfig(hold_reasons=[parts], resolution_codes=[workaround])
    t = at_l1(clock, cfg)
    with pytest.raises(UnknownHoldReason):
        t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=ANN)
    t.hold(parts, at=clock(), actor=ANN)
    with pytest.raises(UnknownResolutionCode):
        t.resolve(FIXED, at=clock(), actor=ANN)
    t.resolve(Resolution(workaround, "swapped the disk"), at=clock(), actor=ANN)


def test_custom_priority_matrix_and_auto_close() -> None:
    from datetime import timedelta

    clock = Clock()
    everything_p4 = PriorityMatrix(((Priority.P4,) * 3,) * 3)
    cfg = WorkflowConfig(priority_matrix=everything_p4, auto_close_after=timedelta(hours=1))
    t = at_l1(clock, cfg)
    assert t.priority is Priority.P4
    t.resolve(FIXED, at=clock(), actor=ANN)
    assert t.auto_close_due(t.updated_at + timedelta(hours=1))


def test_config_travels_with_rebuilt_tickets() -> None:
    from itil_l2 import Ticket

    clock = Clock()
    cfg = WorkflowConfig(allow_tier_skip=True)
    t = at_l3(clock, cfg)
    rebuilt = Ticket.from_history(t.history, config=cfg)
    rebuilt.hand_back(DESK, "KB-1", at=clock(), actor=VIC)
    assert rebuilt.tier is Tier.L1
