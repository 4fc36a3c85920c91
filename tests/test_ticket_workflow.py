"""Every row of the workflow table, and every way a trigger can be refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    Handover,
    HoldReason,
    Impact,
    IncompleteHandover,
    InvalidTransition,
    ItilL2Error,
    L3Target,
    L3TargetKind,
    LinkKind,
    Phase,
    Priority,
    Ticket,
    Tier,
    Urgency,
    ValidationError,
)
from itil_l2.errors import (
    DuplicateLink,
    EntryRefused,
    EventOutOfOrder,
    NaiveDatetime,
    TierSkipRefused,
    UnknownHoldReason,
)
from itil_l2.testing import snapshot
from itil_l2.tickets import HandoverSource, NoteVisibility, Trigger
from support import (
    ANN,
    BOB,
    DBA,
    DESK,
    DEV,
    FIELD,
    FIXED,
    GOOD_HANDOVER,
    NET,
    NINA,
    ORACLE,
    VENDOR,
    VIC,
    Clock,
    at_l1,
    at_l2,
    at_l3,
    open_ticket,
)


def where(t: Ticket) -> tuple[str, str]:
    return (t.phase.value, t.tier.value)


def refused(t: Ticket, error: type[ItilL2Error], call: object) -> ItilL2Error:
    """Run `call`, demand `error`, and demand the ticket unchanged."""
    before = snapshot(t)
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert snapshot(t) == before
    return info.value


# -- open / assign / start ------------------------------------------------------


def test_open_computes_priority_and_records_one_event(clock: Clock) -> None:
    t = open_ticket(clock)
    assert where(t) == ("new", "L1")
    assert t.priority is Priority.P2  # high impact, medium urgency
    assert t.version == 1 and t.history[0].kind == "open"
    assert t.group is None and t.owner_group == DESK
    assert t.pending_events() == t.history


def test_assign_start_at_l1(clock: Clock) -> None:
    t = open_ticket(clock)
    t.assign(DESK, at=clock(), actor=ANN)
    assert where(t) == ("queued", "L1") and t.group == DESK
    t.start(at=clock(), actor=ANN)
    assert where(t) == ("in_progress", "L1")
    assert t.assignee == "ann"  # an unassigned ticket goes to whoever starts it


def test_assign_above_l1_needs_a_reason_by_default(clock: Clock) -> None:
    t = open_ticket(clock)
    error = refused(t, EntryRefused, lambda: t.assign(DBA, at=clock(), actor=ANN))
    assert "reason" in str(error)
    t.assign(DBA, at=clock(), actor=ANN, reason="monitoring alert on db-prod-3")
    assert where(t) == ("queued", "L2")
    assert t.history[-1].payload.reason == "monitoring alert on db-prod-3"  # type: ignore[union-attr]


def test_assign_to_stays_in_phase_and_is_not_a_reassignment(clock: Clock) -> None:
    t = at_l1(clock)
    for phase_setup in (None, "hold"):
        if phase_setup == "hold":
            t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=ANN)
        before = t.phase
        t.assign_to("dave", at=clock(), actor=ANN)
        assert t.assignee == "dave" and t.phase is before
        t.assign_to(None, at=clock(), actor=ANN)
        assert t.assignee is None
    assert t.reassignment_count == 0
    refused(t, ValidationError, lambda: t.assign_to(None, at=clock(), actor=ANN))


def test_start_only_from_queued(clock: Clock) -> None:
    t = at_l1(clock)
    error = refused(t, InvalidTransition, lambda: t.start(at=clock(), actor=ANN))
    assert isinstance(error, InvalidTransition)
    assert (error.phase, error.tier) == ("in_progress", "L1")
    assert "hold" in error.allowed and "start" not in error.allowed


# -- reassign / escalate / hand back -------------------------------------------


def test_reassign_within_tier_counts(clock: Clock) -> None:
    t = at_l1(clock)
    t.reassign(FIELD, at=clock(), actor=ANN, reason="on site work")
    assert where(t) == ("queued", "L1") and t.group == FIELD
    assert t.reassignment_count == 1 and t.assignee is None


def test_reassign_to_another_tier_is_refused(clock: Clock) -> None:
    t = at_l1(clock)
    error = refused(t, InvalidTransition, lambda: t.reassign(DBA, at=clock(), actor=ANN))
    assert "escalate" in str(error)


def test_escalate_l1_to_l2_with_complete_handover(clock: Clock) -> None:
    t = at_l1(clock)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    assert where(t) == ("queued", "L2")
    assert t.handover == GOOD_HANDOVER and t.escalation_count == 1
    assert t.owner_group == DESK  # the service desk keeps ownership


@pytest.mark.parametrize("phase", ["queued", "in_progress", "on_hold"])
def test_escalate_from_every_open_phase(clock: Clock, phase: str) -> None:
    t = open_ticket(clock)
    t.assign(DESK, at=clock(), actor=ANN)
    if phase != "queued":
        t.start(at=clock(), actor=ANN)
    if phase == "on_hold":
        t.hold(HoldReason.AWAITING_EVIDENCE, at=clock(), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    assert where(t) == ("queued", "L2") and t.hold_reason is None


def test_incomplete_handover_names_every_missing_part(clock: Clock) -> None:
    t = at_l1(clock)
    error = refused(
        t, IncompleteHandover, lambda: t.escalate(DBA, Handover(), at=clock(), actor=ANN)
    )
    assert isinstance(error, IncompleteHandover)
    assert len(error.missing) == 5
    for part in ("description", "attempts", "CI", "priority", "impact"):
        assert any(part in m for m in error.missing), part


def test_escalate_to_l3_needs_target_and_an_l2_actor(clock: Clock) -> None:
    t = at_l2(clock)
    error = refused(
        t, IncompleteHandover, lambda: t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=BOB)
    )
    assert any("L3 target" in m for m in error.missing)  # type: ignore[attr-defined]
    refused(
        t,
        ItilL2Error,
        lambda: t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=ANN, target=ORACLE),
    )
    t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=BOB, target=ORACLE)
    assert where(t) == ("queued", "L3") and t.l3_target == ORACLE


def test_target_only_when_going_to_l3(clock: Clock) -> None:
    t = at_l1(clock)
    refused(
        t,
        ValidationError,
        lambda: t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN, target=ORACLE),
    )


def test_skipping_a_tier_is_refused_by_default(clock: Clock) -> None:
    t = at_l1(clock)
    call = lambda: t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=ANN, target=ORACLE)  # noqa: E731
    error = refused(t, TierSkipRefused, call)
    assert "allow_tier_skip" in str(error)


def test_escalate_to_same_tier_is_invalid(clock: Clock) -> None:
    t = at_l2(clock)
    refused(t, InvalidTransition, lambda: t.escalate(NET, GOOD_HANDOVER, at=clock(), actor=BOB))


def test_hand_back_l3_fix_to_l2_then_instructions_to_l1(clock: Clock) -> None:
    t = at_l3(clock)
    t.hand_back(DBA, "apply the vendor patch", at=clock(), actor=VIC, fix="patch 19.3.1")
    assert where(t) == ("queued", "L2") and t.l3_target is None
    assert t.history[-1].payload.fix == "patch 19.3.1"  # type: ignore[union-attr]
    t.hand_back(DESK, "solve with KB-123", at=clock(), actor=BOB)
    assert where(t) == ("queued", "L1")
    refused(t, InvalidTransition, lambda: t.hand_back(DESK, "again", at=clock(), actor=ANN))


def test_hand_back_cannot_skip_or_go_up(clock: Clock) -> None:
    t = at_l3(clock)
    refused(t, TierSkipRefused, lambda: t.hand_back(DESK, "do it", at=clock(), actor=VIC))
    t2 = at_l2(clock)
    refused(t2, InvalidTransition, lambda: t2.hand_back(VENDOR, "up?", at=clock(), actor=BOB))


# -- hold / resume / vendor ----------------------------------------------------


def test_hold_change_reason_resume(clock: Clock) -> None:
    t = at_l2(clock)
    t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=BOB)
    assert where(t) == ("on_hold", "L2") and t.hold_reason == HoldReason.AWAITING_CALLER
    t.change_hold_reason(HoldReason.AWAITING_VENDOR, at=clock(), actor=BOB)
    assert t.hold_reason == HoldReason.AWAITING_VENDOR
    payload = t.history[-1].payload
    assert (payload.old, payload.new) == (HoldReason.AWAITING_CALLER, HoldReason.AWAITING_VENDOR)  # type: ignore[union-attr]
    refused(
        t,
        ValidationError,
        lambda: t.change_hold_reason(HoldReason.AWAITING_VENDOR, at=clock(), actor=BOB),
    )
    t.resume("vendor answered", at=clock(), actor=BOB)
    assert where(t) == ("in_progress", "L2") and t.hold_reason is None


def test_hold_needs_a_configured_reason_and_in_progress(clock: Clock) -> None:
    t = at_l2(clock)
    refused(
        t, UnknownHoldReason, lambda: t.hold(HoldReason("awaiting_godot"), at=clock(), actor=BOB)
    )
    t.reassign(NET, at=clock(), actor=BOB)
    refused(
        t, InvalidTransition, lambda: t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=NINA)
    )


def test_vendor_update_only_with_an_l3_vendor(clock: Clock) -> None:
    t = at_l3(clock)
    contact = Actor("oracle-contact", roles={"vendor"})
    t.vendor_update(
        "reproduced, patch in test", at=clock(), actor=contact, status="wip", ref="SR 3-9"
    )
    assert t.l3_target is not None and t.l3_target.reference == "SR 3-9"
    assert where(t) == ("in_progress", "L3")
    t2 = at_l2(clock)
    t2.escalate(
        DEV,
        GOOD_HANDOVER,
        at=clock(),
        actor=BOB,
        target=L3Target(L3TargetKind.DEVELOPMENT, "Team Ada"),
    )
    error = refused(t2, InvalidTransition, lambda: t2.vendor_update("x", at=clock(), actor=SYSTEM))
    assert "vendor" in str(error)
    t3 = at_l2(clock)
    refused(t3, InvalidTransition, lambda: t3.vendor_update("x", at=clock(), actor=SYSTEM))


# -- notes and updates ---------------------------------------------------------


def test_notes_in_every_phase_but_final_ones(clock: Clock) -> None:
    t = at_l1(clock)
    t.add_note("called the user", at=clock(), actor=ANN)
    t.add_note("we are on it", at=clock(), actor=ANN, visibility=NoteVisibility.COMMENT)
    t.resolve(FIXED, at=clock(), actor=ANN)
    t.add_note("user confirmed", at=clock(), actor=ANN)
    t.close(at=clock(), actor=ANN)
    refused(t, InvalidTransition, lambda: t.add_note("late", at=clock(), actor=ANN))
    assert [e.kind for e in t.history].count("add_note") == 3


def test_update_records_old_and_new_and_recomputes_priority(clock: Clock) -> None:
    t = at_l1(clock)
    t.update(
        at=clock(),
        actor=ANN,
        urgency=Urgency.HIGH,
        category="database",
        ci_refs=["db-prod-3", "app-7"],
    )
    assert t.priority is Priority.P1 and t.category == "database"
    changes = {c.field: (c.old, c.new) for c in t.history[-1].payload.changes}  # type: ignore[union-attr]
    assert changes["urgency"] == ("medium", "high")
    assert changes["priority"] == (2, 1)
    assert changes["ci_refs"] == (["db-prod-3"], ["db-prod-3", "app-7"])
    assert changes["category"] == (None, "database")
    assert "impact" not in changes


def test_update_that_changes_nothing_or_is_malformed_is_refused(clock: Clock) -> None:
    t = at_l1(clock)
    refused(t, ValidationError, lambda: t.update(at=clock(), actor=ANN, impact=Impact.HIGH))
    refused(t, ValidationError, lambda: t.update(at=clock(), actor=ANN, title="  "))
    refused(t, ValidationError, lambda: t.update(at=clock(), actor=ANN, attributes={"x": object()}))
    t.resolve(FIXED, at=clock(), actor=ANN)
    refused(t, InvalidTransition, lambda: t.update(at=clock(), actor=ANN, title="new"))


# -- resolve / reopen / close / cancel ------------------------------------------


@pytest.mark.parametrize("phase", ["new", "queued", "in_progress", "on_hold"])
def test_resolve_from_every_open_phase(clock: Clock, phase: str) -> None:
    t = open_ticket(clock)
    if phase != "new":
        t.assign(DESK, at=clock(), actor=ANN)
    if phase in ("in_progress", "on_hold"):
        t.start(at=clock(), actor=ANN)
    if phase == "on_hold":
        t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=ANN)
    t.resolve(FIXED, at=clock(), actor=ANN)
    assert where(t) == ("resolved", "L1")
    assert t.resolution == FIXED and t.resolved_at == t.updated_at
    assert t.group is not None  # first-contact resolution: resolved by the logging desk


def test_reopen_returns_to_the_same_tier_and_counts(clock: Clock) -> None:
    t = at_l2(clock)
    t.resolve(FIXED, at=clock(), actor=BOB)
    t.reopen("error is back", at=clock(), actor=Actor("carol"))  # the caller may reopen
    assert where(t) == ("in_progress", "L2")
    assert t.reopen_count == 1 and t.resolution is None and t.resolved_at is None


def test_close_and_auto_close_due(clock: Clock) -> None:
    t = at_l1(clock)
    assert not t.auto_close_due(clock())
    t.resolve(FIXED, at=clock(), actor=ANN)
    resolved = t.updated_at
    assert not t.auto_close_due(resolved + timedelta(days=4, hours=23))
    assert t.auto_close_due(resolved + timedelta(days=5))
    t.close(at=resolved + timedelta(days=5), actor=SYSTEM)
    assert where(t) == ("closed", "L1")
    assert not t.auto_close_due(resolved + timedelta(days=9))


def test_close_needs_resolved(clock: Clock) -> None:
    t = at_l1(clock)
    refused(t, InvalidTransition, lambda: t.close(at=clock(), actor=ANN))


def test_cancel_as_duplicate(clock: Clock) -> None:
    t = at_l1(clock)
    refused(
        t, ValidationError, lambda: t.cancel("dup", at=clock(), actor=ANN, duplicate_of="INC-1")
    )
    t.cancel("same as INC-0", at=clock(), actor=ANN, duplicate_of="INC-0")
    assert where(t) == ("cancelled", "L1") and t.duplicate_of == "INC-0"


def test_final_tickets_change_only_by_link(clock: Clock) -> None:
    t = at_l1(clock)
    t.cancel("withdrawn", at=clock(), actor=ANN)
    for trigger in (
        lambda: t.reopen("x", at=clock(), actor=ANN),
        lambda: t.resolve(FIXED, at=clock(), actor=ANN),
        lambda: t.add_note("x", at=clock(), actor=ANN),
        lambda: t.update(at=clock(), actor=ANN, title="x"),
        lambda: t.cancel("again", at=clock(), actor=ANN),
    ):
        refused(t, InvalidTransition, trigger)
    assert t.allowed_triggers() == (Trigger.LINK,)
    t.link(LinkKind.PROBLEM, "PRB-7", at=clock(), actor=ANN)
    assert where(t) == ("cancelled", "L1") and t.links[-1].ref == "PRB-7"


def test_links_parent_child_and_duplicates(clock: Clock) -> None:
    major = open_ticket(clock, id="INC-MAJOR", major_incident=True)
    child = open_ticket(clock, id="INC-CHILD")
    major.link(LinkKind.CHILD, "INC-CHILD", at=clock(), actor=ANN)
    child.link(LinkKind.PARENT, "INC-MAJOR", at=clock(), actor=ANN)
    assert major.children == ("INC-CHILD",) and child.parent == "INC-MAJOR"
    assert major.major_incident and child.phase is Phase.NEW
    refused(
        child,
        DuplicateLink,
        lambda: child.link(LinkKind.PARENT, "INC-MAJOR", at=clock(), actor=ANN),
    )


# -- time and input -------------------------------------------------------------


def test_naive_and_backward_times_are_refused(clock: Clock) -> None:
    t = at_l1(clock)
    refused(
        t,
        NaiveDatetime,
        lambda: t.hold(HoldReason.AWAITING_CALLER, at=datetime(2026, 3, 2, 12), actor=ANN),
    )
    earlier = t.updated_at - timedelta(seconds=1)
    refused(t, EventOutOfOrder, lambda: t.hold(HoldReason.AWAITING_CALLER, at=earlier, actor=ANN))
    t.hold(HoldReason.AWAITING_CALLER, at=t.updated_at, actor=ANN)  # the same instant is fine
    with pytest.raises(NaiveDatetime):
        open_ticket(clock, at=datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetime):
        t.auto_close_due(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("title", " "),
        ("impact", "high"),
        ("owner_group", "service-desk"),
        ("ci_refs", "db-1"),
        ("attributes", {"when": datetime(2026, 1, 1)}),
        ("attributes", {1: "x"}),
        ("actor", "ann"),
    ],
)
def test_open_refuses_bad_input(clock: Clock, field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        open_ticket(clock, **{field: value})


def test_triggers_refuse_wrong_types(clock: Clock) -> None:
    t = at_l1(clock)
    refused(
        t, ValidationError, lambda: t.escalate("database-l2", GOOD_HANDOVER, at=clock(), actor=ANN)
    )  # type: ignore[arg-type]
    refused(
        t, ValidationError, lambda: t.escalate(DBA, {"description": "x"}, at=clock(), actor=ANN)
    )  # type: ignore[arg-type]
    refused(t, ValidationError, lambda: t.hold("awaiting_caller", at=clock(), actor=ANN))  # type: ignore[arg-type]
    refused(t, ValidationError, lambda: t.start(at=clock(), actor="ann"))  # type: ignore[arg-type]
    refused(t, ValidationError, lambda: t.resume("", at=clock(), actor=ANN))


def test_start_refuses_a_non_actor_on_an_unassigned_ticket(clock: Clock) -> None:
    t = open_ticket(clock)
    t.assign(DESK, at=clock(), actor=ANN)
    refused(t, ValidationError, lambda: t.start(at=clock(), actor="ann"))  # type: ignore[arg-type]


def test_fields_are_read_only(clock: Clock) -> None:
    t = open_ticket(clock)
    with pytest.raises(AttributeError):
        t.phase = Phase.CLOSED  # type: ignore[misc]
    with pytest.raises(AttributeError):
        t.group = DBA  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.attributes["x"] = 1  # type: ignore[index]


def test_imported_handover_is_for_the_system_actor_only(clock: Clock) -> None:
    t = at_l1(clock)
    with pytest.raises(ValidationError):
        Handover(source="imported")  # type: ignore[arg-type]
    imported = Handover(description="copied from export", source=HandoverSource.IMPORTED)
    refused(t, ItilL2Error, lambda: t.escalate(DBA, imported, at=clock(), actor=ANN))
    t.escalate(DBA, imported, at=clock(), actor=SYSTEM)
    assert t.tier is Tier.L2 and t.handover == imported


def test_attributes_stay_read_only_after_update(clock: Clock) -> None:
    t = open_ticket(clock, attributes={"made_sla": True})
    t.update(at=clock(), actor=ANN, attributes={"made_sla": False, "rows": [1, 2]})
    assert dict(t.attributes) == {"made_sla": False, "rows": (1, 2)}  # deeply read-only
    with pytest.raises(TypeError):
        t.attributes["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        t.attributes["rows"].append(3)  # nested values are read-only too
    change = t.history[-1].payload.changes[0]  # type: ignore[union-attr]
    assert (change.field, change.old, change.new) == (
        "attributes",
        {"made_sla": True},
        {"made_sla": False, "rows": [1, 2]},
    )
