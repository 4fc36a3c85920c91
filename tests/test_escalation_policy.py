"""Escalation policies: thresholds, functional, ping-pong, priority, composites, next_due."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import SYSTEM, BusinessCalendar, Impact, Tier, Urgency, ValidationError
from itil_l2.sla import (
    TWENTY_FOUR_SEVEN,
    AllOf,
    AnyOf,
    EscalationKind,
    EscalationRole,
    FirstMatch,
    FunctionalEscalationPolicy,
    PingPongPolicy,
    PriorityPolicy,
    RoutingPolicy,
    SlaMetric,
    SlaThresholdPolicy,
    next_due,
    record_decision,
)
from itil_l2.testing import snapshot
from support import ANN, BOB, DBA, DESK, FIELD, GOOD_HANDOVER, NET, NINA
from test_sla import FIX, OFFICE, H, berlin, target, ticket_at

UTC9 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def utc(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_thresholds_worked_example_with_business_hours() -> None:
    # Logged Fri 2026-05-22 17:30 Berlin, 8 h target on Mon-Fri 08-18 with Whit Monday:
    # 50 % = 4 h -> 0.5 h Fri + 3.5 h Tue = Tue 11:30; 75 % = 6 h -> Tue 13:30;
    # 100 % = 8 h -> Tue 15:30.
    t = ticket_at(berlin(2026, 5, 22, 17, 30))
    policy = SlaThresholdPolicy(target(SlaMetric.RESOLUTION))
    friday = berlin(2026, 5, 22, 17, 31)
    assert policy.evaluate(t, friday) == []
    assert policy.next_due(t, friday) == berlin(2026, 5, 26, 11, 30)
    assert next_due(t, [policy], berlin(2026, 5, 26, 11, 30)) == berlin(2026, 5, 26, 13, 30)
    due = policy.evaluate(t, berlin(2026, 5, 26, 14))
    assert [(d.role, d.due_at) for d in due] == [
        (EscalationRole.ASSIGNEE, berlin(2026, 5, 26, 11, 30)),
        (EscalationRole.ASSIGNEE, berlin(2026, 5, 26, 13, 30)),
        (EscalationRole.TEAM_LEAD, berlin(2026, 5, 26, 13, 30)),
    ]
    assert all(d.kind is EscalationKind.HIERARCHICAL for d in due)
    assert "75 %" in due[1].reason and "6h00 of 8h00" in due[1].reason
    breach = policy.evaluate(t, berlin(2026, 5, 26, 16))[-1]
    assert (breach.role, breach.due_at) == (EscalationRole.MANAGER, berlin(2026, 5, 26, 15, 30))


def test_a_decision_acted_on_is_not_repeated() -> None:
    t = ticket_at(utc(8))
    policy = SlaThresholdPolicy(target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN))
    first = policy.evaluate(t, utc(13))  # 5 h of 8: the 50 % notice
    assert len(first) == 1
    assert policy.evaluate(t, utc(13)) == first  # evaluating again: the same
    record_decision(t, first[0], at=utc(13), actor=SYSTEM)
    assert policy.evaluate(t, utc(13)) == []
    assert policy.evaluate(t, utc(13, 30)) == []
    assert [d.due_at for d in policy.evaluate(t, utc(15))] == [utc(14), utc(14)]


def test_no_notice_while_paused_or_after_resolution() -> None:
    t = ticket_at(utc(8))
    t.assign(DESK, at=utc(8), actor=ANN)
    t.start(at=utc(8), actor=ANN)
    t.hold(__import__("itil_l2").HoldReason.AWAITING_CALLER, at=utc(9), actor=ANN)
    policy = SlaThresholdPolicy(target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN))
    assert policy.evaluate(t, utc(20)) == [] and policy.next_due(t, utc(20)) is None
    t.resume("back", at=utc(20), actor=ANN)
    assert policy.next_due(t, utc(20)) == utc(23)  # 1 h used, 50 % after 3 h more
    t.resolve(FIX, at=utc(21), actor=ANN)
    assert policy.evaluate(t, utc(23, 30)) == [] and policy.next_due(t, utc(21)) is None


def test_reminders_never_fall_outside_working_hours() -> None:
    # Logged Mon 17:00 Berlin; 8 h on Mon-Fri 08-18: 50 % is Tue 11:00, not midnight.
    t = ticket_at(berlin(2026, 3, 2, 17))
    policy = SlaThresholdPolicy(target(SlaMetric.RESOLUTION))
    due = next_due(t, [policy], berlin(2026, 3, 2, 17, 1))
    assert due == berlin(2026, 3, 3, 11)
    # A 24x7 target with an office delivery calendar: the notice waits for office hours.
    night = SlaThresholdPolicy(
        target(SlaMetric.RESOLUTION, hours=2, cal=TWENTY_FOUR_SEVEN), calendar=OFFICE
    )
    # 50 % of 2 h is 18:00 (closing time: still inside), 75 % is 18:30 -> Tue 08:00.
    assert night.next_due(t, berlin(2026, 3, 2, 17, 1)) == berlin(2026, 3, 2, 18)
    assert night.next_due(t, berlin(2026, 3, 2, 18)) == berlin(2026, 3, 3, 8)


INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None)
@given(INSTANTS, st.integers(min_value=1, max_value=40))
def test_every_next_due_is_in_working_time_and_evaluate_then_fires(
    opened: datetime, hours: int
) -> None:
    t = ticket_at(opened)
    policies = [
        SlaThresholdPolicy(target(SlaMetric.RESOLUTION, hours=hours / 2)),
        FunctionalEscalationPolicy(Tier.L1, after=timedelta(hours=hours), calendar=OFFICE),
    ]
    t.assign(DESK, at=opened, actor=ANN)
    at = opened
    for _ in range(4):
        due = next_due(t, policies, at)
        assert due is not None and due > at
        assert OFFICE.next_working(due) == due  # inside hours, or exactly at closing time
        fired = [d for p in policies for d in p.evaluate(t, due)]
        assert any(d.due_at == due for d in fired)
        assert [p.evaluate(t, due) for p in policies] == [p.evaluate(t, due) for p in policies]
        at = due


def test_functional_escalation_after_business_time_routes_and_stops_once_done() -> None:
    routing = RoutingPolicy([NET, DBA])
    policy = FunctionalEscalationPolicy(
        Tier.L1, after=2 * H, calendar=TWENTY_FOUR_SEVEN, routing=routing
    )
    t = ticket_at(utc(8))
    assert policy.evaluate(t, utc(12)) == []  # still new: not at a tier yet
    t.assign(DESK, at=utc(9), actor=ANN)
    t.update(category="database", at=utc(9), actor=ANN)
    assert policy.next_due(t, utc(9)) == utc(11)
    [d] = policy.evaluate(t, utc(12))
    assert (d.kind, d.tier, d.group, d.due_at) == (EscalationKind.FUNCTIONAL, Tier.L2, DBA, utc(11))
    assert "2h00" in d.reason
    t.escalate(d.group, GOOD_HANDOVER, at=utc(12), actor=ANN)
    assert policy.evaluate(t, utc(15)) == [] and policy.next_due(t, utc(15)) is None


def test_functional_escalation_excludes_caller_holds_and_counts_failed_attempts() -> None:
    t = ticket_at(utc(8))
    t.assign(DESK, at=utc(8), actor=ANN)
    t.start(at=utc(8), actor=ANN)
    t.hold(__import__("itil_l2").HoldReason.AWAITING_CALLER, at=utc(9), actor=ANN)
    t.resume("back", at=utc(12), actor=ANN)
    by_time = FunctionalEscalationPolicy(Tier.L1, after=2 * H)
    assert by_time.next_due(t, utc(12)) == utc(13)  # 08-09 counted, 09-12 paused, 12-13
    by_tries = FunctionalEscalationPolicy(Tier.L1, max_attempts=2)
    t.resolve(FIX, at=utc(12, 10), actor=ANN)
    t.reopen("no", at=utc(12, 20), actor=ANN)
    assert by_tries.evaluate(t, utc(12, 30)) == []
    t.resolve(FIX, at=utc(12, 40), actor=ANN)
    t.reopen("still no", at=utc(12, 50), actor=ANN)
    [d] = by_tries.evaluate(t, utc(13))
    assert d.due_at == utc(12, 50) and "failed 2 attempts" in d.reason
    custom = FunctionalEscalationPolicy(Tier.L1, max_attempts=1, attempts=lambda _t: 0)
    assert custom.evaluate(t, utc(13)) == []


def test_functional_policy_never_skips_a_tier_unless_configured() -> None:
    with pytest.raises(ValidationError):
        FunctionalEscalationPolicy(Tier.L1, Tier.L3, after=H)
    assert FunctionalEscalationPolicy(Tier.L1, Tier.L3, after=H, allow_skip=True).to_tier is Tier.L3
    with pytest.raises(ValidationError):
        FunctionalEscalationPolicy(Tier.L2, Tier.L1, after=H)
    with pytest.raises(ValidationError):
        FunctionalEscalationPolicy(Tier.L1)


def test_ping_pong_bounce_and_too_many_reassignments() -> None:
    t = ticket_at(utc(8))
    t.assign(DESK, at=utc(8), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=utc(9), actor=ANN)
    policy = PingPongPolicy(coordinator_group=DESK)
    t.reassign(NET, at=utc(10), actor=BOB)
    assert policy.evaluate(t, utc(10)) == []
    t.reassign(DBA, at=utc(11), actor=NINA)  # database-l2 -> network-l2 -> database-l2
    decisions = policy.evaluate(t, utc(11))
    assert [d.kind for d in decisions] == [EscalationKind.HIERARCHICAL, EscalationKind.REASSIGN]
    assert decisions[0].role == EscalationRole.COORDINATOR and decisions[0].due_at == utc(11)
    assert "database-l2 → network-l2 → database-l2" in decisions[0].reason
    counted = PingPongPolicy(max_reassignments=1)
    [d] = counted.evaluate(t, utc(11))
    assert "reassigned 2 times (limit 1)" in d.reason
    u = ticket_at(utc(8), tid="INC-2")
    u.assign(DESK, at=utc(8), actor=ANN)
    u.reassign(FIELD, at=utc(9), actor=ANN)
    assert PingPongPolicy().evaluate(u, utc(10)) == []


def test_priority_policy_notifies_the_incident_manager_at_once() -> None:
    policy = PriorityPolicy()
    p1 = ticket_at(berlin(2026, 3, 7, 3), urgency=Urgency.HIGH)  # Saturday 03:00
    [d] = policy.evaluate(p1, berlin(2026, 3, 7, 3))
    assert (d.role, d.due_at) == (EscalationRole.INCIDENT_MANAGER, berlin(2026, 3, 7, 3))
    p2 = ticket_at(utc(8), tid="INC-2")
    assert policy.evaluate(p2, utc(9)) == []
    p2.update(urgency=Urgency.HIGH, impact=Impact.HIGH, at=utc(10), actor=ANN)
    [d] = policy.evaluate(p2, utc(10))
    assert d.due_at == utc(10)
    assert policy.evaluate(p2, utc(9, 59)) == [] and policy.next_due(p2, utc(11)) is None


def test_composites() -> None:
    t = ticket_at(utc(8), urgency=Urgency.HIGH)  # P1: 4 h target in `target()` terms
    sla = SlaThresholdPolicy(target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN))
    prio = PriorityPolicy()
    both = AllOf([prio, sla])
    assert both.evaluate(t, utc(9)) == []  # P1 yes, 50 % of 4 h not yet
    assert both.next_due(t, utc(9)) == utc(10)
    assert len(both.evaluate(t, utc(10))) == 2
    anyof = AnyOf([prio, sla])
    assert [d.rule for d in anyof.evaluate(t, utc(9))] == ["priority"]
    assert anyof.next_due(t, utc(9)) == utc(10)
    first = FirstMatch([sla, prio])
    assert [d.rule for d in first.evaluate(t, utc(9))] == ["priority"]
    assert [d.rule for d in first.evaluate(t, utc(10))] == ["sla-threshold"]
    assert first.next_due(t, utc(10)) == utc(11)
    with pytest.raises(ValidationError):
        AnyOf([object()])  # type: ignore[list-item]


def test_evaluating_changes_nothing_on_the_ticket() -> None:
    t = ticket_at(utc(8), urgency=Urgency.HIGH)
    before = snapshot(t)
    policy = AnyOf(
        [
            PriorityPolicy(),
            PingPongPolicy(),
            SlaThresholdPolicy(target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN)),
            FunctionalEscalationPolicy(Tier.L1, after=H),
        ]
    )
    policy.evaluate(t, utc(20))
    policy.next_due(t, utc(20))
    assert snapshot(t) == before


def test_working_hours_calendar_for_functional_rule_has_no_weekend_due() -> None:
    cal = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin")
    t = ticket_at(berlin(2026, 3, 6, 17))  # Friday
    t.assign(DESK, at=berlin(2026, 3, 6, 17), actor=ANN)
    policy = FunctionalEscalationPolicy(Tier.L1, after=2 * H, calendar=cal)
    assert policy.next_due(t, berlin(2026, 3, 6, 17)) == berlin(2026, 3, 9, 9)
