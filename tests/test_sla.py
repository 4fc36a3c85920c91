"""SLA clocks: worked examples, the complaints we must not repeat, bad input, an oracle."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import (
    SOLVED_PERMANENTLY,
    Actor,
    BusinessCalendar,
    HoldReason,
    Impact,
    ItilL2Error,
    Phase,
    Priority,
    Resolution,
    SlaTarget,
    Ticket,
    Urgency,
    ValidationError,
    sla_status,
)
from itil_l2.errors import NaiveDatetime
from itil_l2.sla import TWENTY_FOUR_SEVEN, AgreementType, NoTargetForPriority, SlaMetric, SlaStage
from support import ANN, BOB, DBA, DESK, GOOD_HANDOVER, NET, ORACLE, VENDOR, VIC

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")
H = timedelta(hours=1)
M = timedelta(minutes=1)
FIX = Resolution(SOLVED_PERMANENTLY, "rebuilt the index")
NINA = Actor("nina", groups={"network-l2"})


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def ticket_at(when: datetime, urgency: Urgency = Urgency.MEDIUM, tid: str = "INC-1") -> Ticket:
    """A P2 (high impact, medium urgency) ticket logged at `when`."""
    return Ticket.open(
        id=tid,
        title="Order app down",
        impact=Impact.HIGH,
        urgency=urgency,
        owner_group=DESK,
        ci_refs=["db-prod-3"],
        at=when,
        actor=ANN,
    )


def target(
    metric: SlaMetric, hours: float = 8, cal: BusinessCalendar = OFFICE, **kw: object
) -> SlaTarget:
    durations = {p: timedelta(hours=hours) * p.value / 2 for p in Priority}  # P2 = hours
    return SlaTarget(metric.value, metric, durations, cal, **kw)  # type: ignore[arg-type]


def test_worked_example_friday_evening_whit_monday_two_hours_paused() -> None:
    # Logged Fri 2026-05-22 17:30 Berlin; Mon-Fri 08:00-18:00, Whit Monday 05-25 closed.
    t = ticket_at(berlin(2026, 5, 22, 17, 30))
    t.assign(DESK, at=berlin(2026, 5, 22, 17, 35), actor=ANN)
    t.start(at=berlin(2026, 5, 26, 8, 30), actor=ANN)
    t.hold(HoldReason.AWAITING_CALLER, at=berlin(2026, 5, 26, 9), actor=ANN)
    t.resume("caller answered", at=berlin(2026, 5, 26, 11), actor=ANN)
    s = sla_status(t, target(SlaMetric.RESOLUTION), berlin(2026, 5, 26, 12))
    # Fri 17:30-18:00 = 0.5 h; Sat, Sun, Whit Monday = 0; Tue 08:00-09:00 = 1 h;
    # 09:00-11:00 paused; 11:00-12:00 = 1 h. Elapsed 2.5 h, remaining 5.5 h,
    # due 12:00 + 5.5 h = 17:30 Tuesday (15:30 without the pause).
    assert s.elapsed == 2.5 * H
    assert s.remaining == 5.5 * H
    assert s.percentage == pytest.approx(2.5 / 8 * 100)
    assert s.due_at == berlin(2026, 5, 26, 17, 30)
    assert (s.stage, s.paused, s.breached, s.breached_at) == (
        SlaStage.IN_PROGRESS,
        False,
        False,
        None,
    )
    # One minute after the due instant the clock has breached, at 17:30 exactly.
    late = sla_status(t, target(SlaMetric.RESOLUTION), berlin(2026, 5, 26, 17, 31))
    assert late.breached and late.breached_at == berlin(2026, 5, 26, 17, 30)
    assert late.stage is SlaStage.IN_PROGRESS and late.remaining == timedelta(0)


def test_worked_example_across_the_spring_forward_weekend() -> None:
    # Fri 2026-03-27 17:00 CET: 1 h Friday; DST starts Sunday; Mon 08:00 CEST + 7 h = 15:00.
    t = ticket_at(berlin(2026, 3, 27, 17))
    s = sla_status(t, target(SlaMetric.RESOLUTION), berlin(2026, 3, 30, 9))
    assert s.elapsed == 2 * H  # Fri 17-18 and Mon 08-09
    assert s.due_at == datetime(2026, 3, 30, 13, tzinfo=UTC)


def test_paused_sla_does_not_tick_and_has_no_due_instant() -> None:
    t = ticket_at(berlin(2026, 3, 2, 9))
    t.assign(DESK, at=berlin(2026, 3, 2, 9, 1), actor=ANN)
    t.start(at=berlin(2026, 3, 2, 9, 2), actor=ANN)
    t.hold(HoldReason.AWAITING_CALLER, at=berlin(2026, 3, 2, 10), actor=ANN)
    early = sla_status(t, target(SlaMetric.RESOLUTION), berlin(2026, 3, 2, 11))
    later = sla_status(t, target(SlaMetric.RESOLUTION), berlin(2026, 3, 9, 11))  # a week on
    assert early.elapsed == later.elapsed == H
    assert later.paused and later.stage is SlaStage.PAUSED and later.due_at is None
    assert not later.breached


def test_awaiting_vendor_does_not_pause_by_default_but_can() -> None:
    t = ticket_at(datetime(2026, 3, 2, 9, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    t.hold(HoldReason.AWAITING_VENDOR, at=datetime(2026, 3, 2, 10, tzinfo=UTC), actor=ANN)
    at = datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert sla_status(t, target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN), at).elapsed == 4 * H
    pausing = target(
        SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN, pause_on={HoldReason.AWAITING_VENDOR}
    )
    assert sla_status(t, pausing, at).elapsed == H
    # switching the hold reason to the caller pauses from that instant on
    t.change_hold_reason(
        HoldReason.AWAITING_CALLER, at=datetime(2026, 3, 2, 11, tzinfo=UTC), actor=ANN
    )
    assert sla_status(t, target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN), at).elapsed == 2 * H


def test_priority_change_rebases_without_losing_paused_time() -> None:
    utc = TWENTY_FOUR_SEVEN
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC), urgency=Urgency.LOW)  # P3: 12 h
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.hold(HoldReason.AWAITING_CALLER, at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    t.resume("answer", at=datetime(2026, 3, 2, 12, tzinfo=UTC), actor=ANN)
    sla = target(SlaMetric.RESOLUTION, cal=utc)
    before = sla_status(t, sla, datetime(2026, 3, 2, 13, tzinfo=UTC))
    assert (before.priority, before.duration, before.elapsed) == (Priority.P3, 12 * H, 2 * H)
    t.update(urgency=Urgency.MEDIUM, at=datetime(2026, 3, 2, 13, tzinfo=UTC), actor=ANN)  # P2
    after = sla_status(t, sla, datetime(2026, 3, 2, 13, tzinfo=UTC))
    # 08-09 running, 09-12 paused (3 h stay paused), 12-13 running: 2 h of the P2's 8 h.
    assert (after.priority, after.duration, after.elapsed) == (Priority.P2, 8 * H, 2 * H)
    assert after.due_at == datetime(2026, 3, 2, 19, tzinfo=UTC)
    # upgrade to P1 (4 h) after 5 h elapsed: breached, but not before the change made it apply
    t.update(
        impact=Impact.HIGH, urgency=Urgency.HIGH, at=datetime(2026, 3, 2, 16, tzinfo=UTC), actor=ANN
    )
    p1 = sla_status(t, sla, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    assert p1.priority is Priority.P1 and p1.elapsed == 5.5 * H
    assert p1.breached and p1.breached_at == datetime(2026, 3, 2, 16, tzinfo=UTC)


def test_ola_clock_counts_only_time_at_its_tier() -> None:
    # 6 h at L1 before the late escalation; the L2 OLA (4 h) starts at L2.
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 8, 5, tzinfo=UTC), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=datetime(2026, 3, 2, 14, tzinfo=UTC), actor=ANN)
    at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    ola = target(SlaMetric.OLA_L2, hours=4, cal=TWENTY_FOUR_SEVEN)
    assert ola.agreement is AgreementType.OLA
    s = sla_status(t, ola, at)
    assert (s.elapsed, s.remaining, s.breached) == (H, 3 * H, False)
    assert s.started_at == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert s.due_at == datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert sla_status(t, target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN), at).elapsed == 7 * H
    l3 = sla_status(t, target(SlaMetric.OLA_L3, cal=TWENTY_FOUR_SEVEN), at)
    assert l3.stage is SlaStage.NOT_STARTED and l3.elapsed == timedelta(0) and l3.due_at is None


def test_per_group_ola_restarts_on_reassignment_tier_ola_does_not() -> None:
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    t.reassign(NET, at=datetime(2026, 3, 2, 12, tzinfo=UTC), actor=BOB)
    at = datetime(2026, 3, 2, 13, tzinfo=UTC)
    tier = sla_status(t, target(SlaMetric.OLA_L2, cal=TWENTY_FOUR_SEVEN), at)
    group = sla_status(t, target(SlaMetric.OLA_L2, cal=TWENTY_FOUR_SEVEN, per_group=True), at)
    assert tier.elapsed == 4 * H  # 09-13 at L2
    assert group.elapsed == H  # 12-13 with network-l2


def test_tier_clock_completes_when_the_ticket_moves_up_and_resumes_on_hand_back() -> None:
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    t.escalate(
        VENDOR, GOOD_HANDOVER, at=datetime(2026, 3, 2, 11, tzinfo=UTC), actor=BOB, target=ORACLE
    )
    t.start(at=datetime(2026, 3, 2, 11, tzinfo=UTC), actor=VIC)
    t.hold(HoldReason.AWAITING_VENDOR, at=datetime(2026, 3, 2, 12, tzinfo=UTC), actor=VIC)
    at = datetime(2026, 3, 2, 14, tzinfo=UTC)
    l2 = sla_status(t, target(SlaMetric.OLA_L2, hours=1, cal=TWENTY_FOUR_SEVEN), at)
    assert (l2.stage, l2.elapsed, l2.stopped_at) == (
        SlaStage.BREACHED,
        2 * H,
        datetime(2026, 3, 2, 11, tzinfo=UTC),
    )
    uc = target(SlaMetric.UC_VENDOR, cal=TWENTY_FOUR_SEVEN)
    assert uc.agreement is AgreementType.UC
    assert sla_status(t, uc, at).elapsed == 3 * H  # awaiting the vendor is the vendor's time
    t.resume("vendor answered", at=datetime(2026, 3, 2, 14, tzinfo=UTC), actor=VIC)
    t.hand_back(DBA, "apply patch 42", at=datetime(2026, 3, 2, 15, tzinfo=UTC), actor=VIC)
    back = sla_status(
        t,
        target(SlaMetric.OLA_L2, hours=1, cal=TWENTY_FOUR_SEVEN),
        datetime(2026, 3, 2, 16, tzinfo=UTC),
    )
    assert back.stage is SlaStage.IN_PROGRESS and back.elapsed == 3 * H
    assert sla_status(t, uc, datetime(2026, 3, 2, 16, tzinfo=UTC)).stage is SlaStage.MET


def test_response_stops_at_first_start() -> None:
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    response = target(SlaMetric.RESPONSE, hours=1, cal=TWENTY_FOUR_SEVEN)  # P2: 1 h
    t.start(at=datetime(2026, 3, 2, 8, 40, tzinfo=UTC), actor=ANN)
    s = sla_status(t, response, datetime(2026, 3, 3, tzinfo=UTC))
    assert (s.stage, s.elapsed, s.due_at) == (SlaStage.MET, 40 * M, None)
    assert s.stopped_at == datetime(2026, 3, 2, 8, 40, tzinfo=UTC)
    late = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC), tid="INC-2")
    late.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    late.start(at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC), actor=ANN)
    s = sla_status(late, response, datetime(2026, 3, 3, tzinfo=UTC))
    assert s.stage is SlaStage.BREACHED and s.breached_at == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_resolution_met_breached_reopen_and_cancel() -> None:
    sla = target(SlaMetric.RESOLUTION, hours=2, cal=TWENTY_FOUR_SEVEN)
    final = target(SlaMetric.RESOLUTION, hours=2, cal=TWENTY_FOUR_SEVEN, reopen_resumes=False)
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.resolve(FIX, at=datetime(2026, 3, 2, 9, tzinfo=UTC), actor=ANN)
    met = sla_status(t, sla, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert (met.stage, met.elapsed, met.due_at) == (SlaStage.MET, H, None)
    t.reopen("still broken", at=datetime(2026, 3, 2, 12, tzinfo=UTC), actor=ANN)
    resumed = sla_status(t, sla, datetime(2026, 3, 2, 13, 30, tzinfo=UTC))
    # 08-09 and 12-13:30: the resolved time 09-12 does not count; due at 13:00, breached.
    assert resumed.elapsed == 2.5 * H and resumed.stage is SlaStage.IN_PROGRESS
    assert resumed.breached_at == datetime(2026, 3, 2, 13, tzinfo=UTC)
    kept = sla_status(t, final, datetime(2026, 3, 2, 13, 30, tzinfo=UTC))
    assert (kept.stage, kept.elapsed) == (SlaStage.MET, H)
    c = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC), tid="INC-3")
    c.cancel("duplicate", at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC), actor=ANN)
    gone = sla_status(c, sla, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert (gone.stage, gone.elapsed, gone.due_at) == (SlaStage.CANCELLED, 30 * M, None)


def test_update_clock_measures_gaps_and_remembers_a_breached_gap() -> None:
    upd = target(SlaMetric.UPDATE, hours=2, cal=TWENTY_FOUR_SEVEN)  # P2: 2 h between updates
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC), actor=ANN)  # an update
    s = sla_status(t, upd, datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert (s.elapsed, s.breached) == (1.5 * H, False)
    assert s.due_at == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    t.add_note("still digging", at=datetime(2026, 3, 2, 11, tzinfo=UTC), actor=ANN)  # 2.5 h gap
    s = sla_status(t, upd, datetime(2026, 3, 2, 11, 30, tzinfo=UTC))
    assert s.elapsed == 30 * M
    assert s.breached and s.breached_at == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def test_events_after_the_instant_are_ignored() -> None:
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    t.assign(DESK, at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.start(at=datetime(2026, 3, 2, 8, tzinfo=UTC), actor=ANN)
    t.resolve(FIX, at=datetime(2026, 3, 2, 12, tzinfo=UTC), actor=ANN)
    s = sla_status(
        t, target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN), datetime(2026, 3, 2, 10, tzinfo=UTC)
    )
    assert s.stage is SlaStage.IN_PROGRESS and s.elapsed == 2 * H


def test_bad_input() -> None:
    t = ticket_at(datetime(2026, 3, 2, 8, tzinfo=UTC))
    sla = target(SlaMetric.RESOLUTION)
    with pytest.raises(NaiveDatetime):
        sla_status(t, sla, datetime(2026, 3, 2, 9))
    with pytest.raises(ValidationError):
        sla_status(t, sla, datetime(2026, 3, 1, 9, tzinfo=UTC))
    only_p1 = SlaTarget("p1", SlaMetric.RESOLUTION, {Priority.P1: H})
    with pytest.raises(NoTargetForPriority):
        sla_status(t, only_p1, datetime(2026, 3, 2, 9, tzinfo=UTC))
    with pytest.raises(ValidationError):
        SlaTarget("x", SlaMetric.RESOLUTION, {Priority.P1: -H})
    with pytest.raises(ValidationError):
        SlaTarget("x", SlaMetric.RESOLUTION, {})
    with pytest.raises(ValidationError):
        SlaTarget("x", SlaMetric.RESOLUTION, {"P1": H})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        SlaTarget("x", SlaMetric.RESOLUTION, {Priority.P1: H}, pause_on={"awaiting_caller"})  # type: ignore[arg-type]


def test_calendar_per_priority() -> None:
    sla = SlaTarget(
        "res",
        SlaMetric.RESOLUTION,
        {Priority.P1: 4 * H, Priority.P2: 8 * H},
        OFFICE,
        calendars={Priority.P1: TWENTY_FOUR_SEVEN},
    )
    t = ticket_at(berlin(2026, 3, 7, 10), urgency=Urgency.HIGH)  # P1 on a Saturday
    s = sla_status(t, sla, berlin(2026, 3, 7, 12))
    assert s.elapsed == 2 * H and s.due_at == berlin(2026, 3, 7, 14)


# -- an oracle over random lives (24x7, so wall time is business time) ---------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "assign",
                "start",
                "hold_c",
                "hold_v",
                "resume",
                "escalate",
                "resolve",
                "reopen",
                "update",
                "note",
                "swap",
            ]
        ),
        st.integers(min_value=1, max_value=600),
    ),
    max_size=14,
)


def _act(t: Ticket, name: str, at: datetime) -> None:
    actor = ANN if t.tier.value == "L1" else BOB
    if name == "assign":
        t.assign(DESK, at=at, actor=ANN)
    elif name == "start":
        t.start(at=at, actor=actor)
    elif name == "hold_c":
        t.hold(HoldReason.AWAITING_CALLER, at=at, actor=actor)
    elif name == "hold_v":
        t.hold(HoldReason.AWAITING_VENDOR, at=at, actor=actor)
    elif name == "swap":
        other = (
            HoldReason.AWAITING_VENDOR
            if t.hold_reason == HoldReason.AWAITING_CALLER
            else HoldReason.AWAITING_CALLER
        )
        t.change_hold_reason(other, at=at, actor=actor)
    elif name == "resume":
        t.resume("go on", at=at, actor=actor)
    elif name == "escalate":
        t.escalate(DBA, GOOD_HANDOVER, at=at, actor=ANN)
    elif name == "resolve":
        t.resolve(FIX, at=at, actor=actor)
    elif name == "reopen":
        t.reopen("again", at=at, actor=actor)
    elif name == "update":
        t.update(
            urgency=Urgency.LOW if t.urgency is Urgency.MEDIUM else Urgency.MEDIUM,
            at=at,
            actor=actor,
        )
    else:
        t.add_note("note", at=at, actor=actor)


def _life(actions: list[tuple[str, int]]) -> tuple[Ticket, list[tuple[datetime, bool]]]:
    """Run the actions; record after each event whether the resolution clock runs."""
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    t = ticket_at(now)
    marks = [(now, True)]
    for name, minutes in actions:
        now += timedelta(minutes=minutes)
        try:
            _act(t, name, now)
        except ItilL2Error:
            continue
        running = t.phase in (Phase.NEW, Phase.QUEUED, Phase.IN_PROGRESS) or (
            t.phase is Phase.ON_HOLD and t.hold_reason != HoldReason.AWAITING_CALLER
        )
        marks.append((now, running))
    return t, marks


def _oracle(marks: list[tuple[datetime, bool]], at: datetime) -> timedelta:
    total = timedelta(0)
    for (when, running), (nxt, _) in zip(marks, [*marks[1:], (at, False)], strict=True):
        if running and when < at:
            total += min(nxt, at) - when
    return total


@settings(max_examples=60, deadline=None)
@given(ACTIONS, st.lists(st.integers(min_value=0, max_value=9000), min_size=2, max_size=4))
def test_resolution_clock_matches_an_oracle_and_is_monotonic(
    actions: list[tuple[str, int]], offsets: list[int]
) -> None:
    t, marks = _life(actions)
    sla = target(SlaMetric.RESOLUTION, cal=TWENTY_FOUR_SEVEN)
    instants = sorted(marks[0][0] + timedelta(minutes=o) for o in offsets)
    previous = timedelta(0)
    for at in instants:
        s = sla_status(t, sla, at)
        assert s.elapsed == _oracle(marks, at)
        assert s.elapsed >= previous >= timedelta(0)
        previous = s.elapsed
        if s.paused:  # a paused clock does not grow while it stays paused
            assert sla_status(t, sla, at + timedelta(seconds=1)).elapsed in (
                s.elapsed,
                s.elapsed + timedelta(seconds=1),
            )
            nxt = next((w for w, _ in marks if w > at), None)
            if nxt is None:
                assert sla_status(t, sla, at + 9 * H).elapsed == s.elapsed


@settings(max_examples=40, deadline=None)
@given(ACTIONS)
def test_pausing_never_increases_elapsed(actions: list[tuple[str, int]]) -> None:
    t, marks = _life(actions)
    at = marks[-1][0] + 5 * H
    base = SlaTarget("r", SlaMetric.RESOLUTION, {p: H for p in Priority}, pause_on=())
    paused = SlaTarget("r", SlaMetric.RESOLUTION, {p: H for p in Priority})
    more = SlaTarget(
        "r",
        SlaMetric.RESOLUTION,
        {p: H for p in Priority},
        pause_on={HoldReason.AWAITING_CALLER, HoldReason.AWAITING_VENDOR},
    )
    a, b, c = (sla_status(t, x, at).elapsed for x in (base, paused, more))
    assert a >= b >= c >= timedelta(0)
