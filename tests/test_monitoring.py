"""Monitoring events → incidents: scenarios, atomicity, and a stateful check against an oracle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import Impact, Phase, SupportGroup, Tier, Urgency, ValidationError
from itil_l2.analytics import (
    CorrelationAction,
    CorrelatorConfig,
    EventCorrelator,
    MonitoringEvent,
    Severity,
)
from itil_l2.errors import EventOutOfOrder
from itil_l2.testing import snapshot
from itil_l2.tickets import Channel

A = CorrelationAction
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
OPS = SupportGroup("operations-l2", Tier.L2)
DESK = SupportGroup("service-desk", Tier.L1)
S = Severity


def ev(
    minutes: float, severity: Severity, ci: str = "db-prod-3", metric: str = "disk"
) -> MonitoringEvent:
    return MonitoringEvent("zabbix", ci, metric, severity, T0 + timedelta(minutes=minutes), "msg")


def actions(c: EventCorrelator, events: list[MonitoringEvent]) -> list[str]:
    return [r.action.value for r in c.handle_all(events)]


def test_first_event_opens_an_assigned_monitoring_ticket() -> None:
    c = EventCorrelator(group=OPS, owner_group=DESK)
    result = c.handle(ev(0, S.MAJOR))
    t = result.ticket
    assert result.action is A.OPENED and t is not None
    assert (t.id, t.channel, t.ci_refs, t.symptom) == (
        "EVT-1",
        Channel.MONITORING,
        ("db-prod-3",),
        "disk",
    )
    assert (t.impact, t.urgency) == (Impact.HIGH, Urgency.MEDIUM)  # MAJOR
    assert (t.phase, t.group, t.owner_group) == (Phase.QUEUED, OPS, DESK)
    assert c.ticket_for("db-prod-3", "disk") is t


def test_repeats_append_and_a_higher_severity_raises() -> None:
    c = EventCorrelator(group=OPS)
    got = actions(c, [ev(0, S.MINOR), ev(1, S.MINOR), ev(2, S.CRITICAL), ev(3, S.WARNING)])
    assert got == ["opened", "appended", "raised", "appended"]
    t = c.ticket_for("db-prod-3", "disk")
    assert t is not None and (t.impact, t.urgency) == (Impact.HIGH, Urgency.HIGH)
    assert t.version == 2 + 3  # open, assign, note, update, note


def test_other_keys_get_their_own_tickets() -> None:
    c = EventCorrelator(group=OPS)
    got = actions(c, [ev(0, S.MAJOR), ev(1, S.MAJOR, metric="cpu"), ev(2, S.MAJOR, ci="web-1")])
    assert got == ["opened", "opened", "opened"]


def test_recovery_resolves_and_a_problem_within_the_window_reopens() -> None:
    c = EventCorrelator(group=OPS)  # window 30 min
    got = actions(
        c, [ev(0, S.MAJOR), ev(10, S.CLEAR), ev(39, S.MAJOR), ev(50, S.CLEAR), ev(80, S.MAJOR)]
    )
    # 39 - 10 < 30: same ticket; 80 - 50 = 30: not within the half-open window, new ticket
    assert got == ["opened", "resolved", "reopened", "resolved", "opened"]
    first = c.handle_all([])  # nothing
    assert first == []


def test_recovery_without_a_ticket_or_twice_is_ignored() -> None:
    c = EventCorrelator(group=OPS)
    assert actions(c, [ev(0, S.CLEAR), ev(1, S.MAJOR), ev(2, S.CLEAR), ev(3, S.CLEAR)]) == [
        "ignored",
        "opened",
        "resolved",
        "ignored",
    ]


def test_flapping_keeps_one_ticket_open() -> None:
    c = EventCorrelator(group=OPS, config=CorrelatorConfig(flap_limit=4))
    events = [ev(m, S.MAJOR if i % 2 == 0 else S.CLEAR) for i, m in enumerate(range(0, 20, 2))]
    got = actions(c, events)
    # changes counted within 30 min: clear@2 (1st) resolves, major@4 reopens (2),
    # clear@6 (3rd) resolves, major@8 reopens (4), clear@10 would be the 5th >= 4: damped
    assert got == [
        "opened",
        "resolved",
        "reopened",
        "resolved",
        "reopened",
        "damped",
        "appended",
        "damped",
        "appended",
        "damped",
    ]
    tickets = {r.ticket.id for r in c.handle_all([ev(21, S.MAJOR)]) if r.ticket}
    assert tickets == {"EVT-1"}


def test_no_resolve_on_recovery_only_notes_it() -> None:
    c = EventCorrelator(group=OPS, config=CorrelatorConfig(resolve_on_recovery=False))
    assert actions(c, [ev(0, S.MAJOR), ev(1, S.CLEAR), ev(2, S.MAJOR)]) == [
        "opened",
        "noted",
        "appended",
    ]


def test_a_ticket_closed_by_a_person_is_not_reused() -> None:
    from itil_l2 import SOLVED_PERMANENTLY, SYSTEM, Resolution

    c = EventCorrelator(group=OPS)
    t = c.handle(ev(0, S.MAJOR)).ticket
    assert t is not None
    t.resolve(Resolution(SOLVED_PERMANENTLY, "fixed"), at=T0 + timedelta(minutes=1), actor=SYSTEM)
    t.close(at=T0 + timedelta(minutes=2), actor=SYSTEM)
    assert c.handle(ev(3, S.MAJOR)).action is A.OPENED


def test_a_refused_event_changes_nothing() -> None:
    c = EventCorrelator(group=OPS)
    t = c.handle(ev(10, S.MAJOR)).ticket
    assert t is not None
    before = snapshot(t)
    with pytest.raises(EventOutOfOrder):
        c.handle(ev(5, S.CRITICAL))
    with pytest.raises(EventOutOfOrder):
        c.handle(ev(5, S.CLEAR))
    assert snapshot(t) == before
    assert actions(c, [ev(11, S.CLEAR)]) == ["resolved"]


def test_validation() -> None:
    with pytest.raises(ValidationError):
        MonitoringEvent("z", "ci", "m", S.MAJOR, datetime(2026, 1, 1))  # naive
    with pytest.raises(ValidationError):
        CorrelatorConfig(flap_limit=1)
    with pytest.raises(ValidationError):
        CorrelatorConfig(window=timedelta(0))
    with pytest.raises(ValidationError):
        CorrelatorConfig(severity_map={S.MAJOR: (Impact.HIGH, Urgency.HIGH)})


# -- stateful check against an independent oracle -------------------------------------

RANK = {S.CLEAR: 0, S.WARNING: 1, S.MINOR: 2, S.MAJOR: 3, S.CRITICAL: 4}


@dataclass
class _Key:
    phase: str  # "open" or "resolved"
    resolved_at: datetime | None = None
    level: int = 0  # the severity rank the ticket's impact reflects
    down: bool = True
    changes: list[datetime] = field(default_factory=list)


def oracle(events: list[MonitoringEvent], window: timedelta, limit: int) -> list[str]:
    """The expected actions, from the rules in the module docstring, per key."""
    keys: dict[tuple[str, str], _Key] = {}
    out = []
    for e in events:
        k = keys.get(e.key)
        if k is not None:
            k.changes = [c for c in k.changes if e.at - c < window]
        if e.severity is S.CLEAR:
            if k is None or k.phase != "open" or not k.down:
                out.append("ignored")
                continue
            if len(k.changes) + 1 >= limit:
                out.append("damped")
            else:
                out.append("resolved")
                k.phase, k.resolved_at = "resolved", e.at
            k.changes.append(e.at)
            k.down = False
        elif k is None or (k.phase == "resolved" and e.at - k.resolved_at >= window):  # type: ignore[operator]
            keys[e.key] = _Key("open", level=RANK[e.severity])
            out.append("opened")
        elif k.phase == "resolved":
            k.phase, k.down = "open", True
            k.level = max(k.level, RANK[e.severity])
            k.changes.append(e.at)
            out.append("reopened")
        else:
            out.append("raised" if RANK[e.severity] > k.level else "appended")
            k.level = max(k.level, RANK[e.severity])
            if not k.down:
                k.changes.append(e.at)
                k.down = True
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from(list(S)), st.sampled_from(["db", "web"])),
        max_size=25,
    ),
    st.integers(2, 5),
    st.integers(5, 40),
)
def test_actions_match_the_oracle(
    steps: list[tuple[int, Severity, str]], limit: int, window: int
) -> None:
    now = 0
    events = []
    for gap, severity, ci in steps:
        now += gap
        events.append(ev(now, severity, ci=ci))
    config = CorrelatorConfig(window=timedelta(minutes=window), flap_limit=limit)
    c = EventCorrelator(group=OPS, config=config)
    assert actions(c, events) == oracle(events, timedelta(minutes=window), limit)
    open_now = [c.ticket_for(ci, "disk") for ci in ("db", "web")]
    for t in open_now:  # at most one ticket per key, and it holds only its key's CI
        assert t is None or t.ci_refs in (("db",), ("web",))
