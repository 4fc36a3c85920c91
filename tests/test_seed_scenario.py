"""The seed's story end to end: L1 logs, escalates to L2, L2 to a vendor at L3, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Actor,
    Handover,
    HoldReason,
    Impact,
    IncompleteHandover,
    L3Target,
    L3TargetKind,
    Phase,
    Priority,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.testing import assert_same_ticket
from itil_l2.tickets import Channel


def test_database_incident_from_l1_to_vendor_and_back() -> None:
    start = datetime(2026, 11, 2, 8, 55, tzinfo=UTC)
    minutes = iter(range(0, 10_000, 7))

    def at() -> datetime:
        return start + timedelta(minutes=next(minutes))

    desk = SupportGroup("service-desk", Tier.L1)
    dba = SupportGroup("database-l2", Tier.L2, {"database"})
    oracle_l3 = SupportGroup("oracle-vendor", Tier.L3, {"database"})
    lena = Actor("lena", groups={"service-desk"})
    dario = Actor("dario", groups={"database-l2"})
    oracle = Actor("oracle-support", groups={"oracle-vendor"}, roles={"vendor"})
    caller = Actor("c.meyer")

    t = Ticket.open(
        id="INC0042",
        title="Order entry fails with ORA-01654",
        description="Since 08:40 every order save fails for all users in sales",
        caller="c.meyer",
        channel=Channel.PHONE,
        category="database",
        ci_refs=["db-prod-3"],
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        owner_group=desk,
        at=at(),
        actor=lena,
    )
    t.assign(desk, at=at(), actor=lena)
    t.start(at=at(), actor=lena)
    attempts = [
        SolutionAttempt("asked user to log off and on", "same error"),
        SolutionAttempt("restarted the order-entry app server", "same error"),
    ]
    for attempt in attempts:
        t.add_note(f"{attempt.action}: {attempt.result}", at=at(), actor=lena)

    # An incomplete handover is refused and names what is missing; nothing changes.
    with pytest.raises(IncompleteHandover) as refused:
        t.escalate(dba, Handover(description="DB broken", attempts=attempts), at=at(), actor=lena)
    assert {"description", "affected CI", "priority", "impact"} <= {
        m.split(" (")[0].replace("affected CI references", "affected CI")
        for m in refused.value.missing
    }
    assert (t.phase, t.tier, t.version) == (Phase.IN_PROGRESS, Tier.L1, 5)

    handover = Handover(
        description="ORA-01654 unable to extend index in tablespace ORDERS since 08:40",
        attempts=attempts,
        ci_refs=["db-prod-3"],
        priority=t.priority,
        impact=Impact.HIGH,
        hypothesis="tablespace ORDERS is full",
        next_check="check free extents in ORDERS",
    )
    t.escalate(dba, handover, at=at(), actor=lena)
    assert (t.phase, t.tier, t.group) == (Phase.QUEUED, Tier.L2, dba)

    t.start(at=at(), actor=dario)
    t.hold(HoldReason.AWAITING_CALLER, at=at(), actor=dario)
    t.resume("caller sent the failing order ids", at=at(), actor=dario)
    t.escalate(
        oracle_l3,
        handover,
        at=at(),
        actor=dario,
        target=L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 3-3004221"),
    )
    assert t.tier is Tier.L3 and t.l3_target is not None
    t.start(at=at(), actor=oracle)
    t.vendor_update(
        "known bug 3320, patch 19.3.1 fixes it", at=at(), actor=oracle, status="solution offered"
    )
    t.hand_back(
        dba, "apply patch 19.3.1, then rebuild the index", at=at(), actor=oracle, fix="patch 19.3.1"
    )
    assert (t.phase, t.tier, t.l3_target) == (Phase.QUEUED, Tier.L2, None)

    t.start(at=at(), actor=dario)
    fixed = Resolution(SOLVED_PERMANENTLY, "applied 19.3.1, rebuilt index", ["KB-0815"])
    t.resolve(fixed, at=at(), actor=dario)
    t.reopen("orders fail again for region south", at=at(), actor=caller)
    assert (t.phase, t.tier, t.reopen_count) == (Phase.IN_PROGRESS, Tier.L2, 1)
    t.resolve(fixed, at=at(), actor=dario)
    assert not t.auto_close_due(t.updated_at + timedelta(days=1))
    t.close(at=t.updated_at + timedelta(days=5), actor=SYSTEM)

    assert t.phase is Phase.CLOSED and t.tier is Tier.L2 and t.owner_group == desk
    assert t.priority is Priority.P1 and t.escalation_count == 2 and t.reassignment_count == 0
    assert t.resolution is not None and t.resolution.kb_refs == ("KB-0815",)
    kinds = [e.kind for e in t.history]
    assert kinds == [
        "open", "assign", "start", "add_note", "add_note", "escalate", "start", "hold",
        "resume", "escalate", "start", "vendor_update", "hand_back", "start", "resolve",
        "reopen", "resolve", "close",
    ]  # fmt: skip
    assert_same_ticket(Ticket.from_history(t.history), t)
