"""Event sourcing: history, versions, pending events, exact replay, corrupt histories."""

from __future__ import annotations

import attrs
import pytest

from itil_l2 import CorruptHistory, HoldReason, Ticket
from itil_l2.testing import assert_same_ticket
from itil_l2.tickets import TicketEvent
from itil_l2.tickets.events import Assigned, Opened, Resolved
from support import ANN, BOB, DBA, FIXED, Clock, at_l2, open_ticket


def test_every_trigger_appends_exactly_one_event(clock: Clock) -> None:
    t = open_ticket(clock)
    kinds = ["open"]
    t.assign(DBA, at=clock(), actor=ANN, reason="monitoring")
    kinds.append("assign")
    t.start(at=clock(), actor=BOB)
    kinds.append("start")
    t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=BOB)
    kinds.append("hold")
    assert [e.kind for e in t.history] == kinds
    assert [e.version for e in t.history] == [1, 2, 3, 4] == list(range(1, t.version + 1))
    assert {e.entity_id for e in t.history} == {"INC-1"}
    assert [e.actor_id for e in t.history] == ["ann", "ann", "bob", "bob"]
    assert all(e.schema == 2 for e in t.history)  # 2 since 0.2.0 (entity_id)
    assert isinstance(t.history[0].payload, Opened) and isinstance(t.history[1].payload, Assigned)


def test_pending_events_until_persisted(clock: Clock) -> None:
    t = open_ticket(clock)
    t.assign(DBA, at=clock(), actor=ANN, reason="monitoring")
    assert len(t.pending_events()) == 2
    t.mark_persisted()
    assert t.pending_events() == ()
    t.start(at=clock(), actor=BOB)
    assert [e.kind for e in t.pending_events()] == ["start"]


def test_from_history_rebuilds_field_by_field(clock: Clock) -> None:
    t = at_l2(clock)
    t.resolve(FIXED, at=clock(), actor=BOB)
    t.reopen("back again", at=clock(), actor=ANN)
    rebuilt = Ticket.from_history(t.history)
    assert_same_ticket(rebuilt, t)
    assert rebuilt.pending_events() == () and rebuilt.reopen_count == 1


def test_assert_same_ticket_notices_a_difference(clock: Clock) -> None:
    a = open_ticket(clock)
    b = Ticket.from_history(a.history)
    b.assign(DBA, at=clock(), actor=ANN, reason="monitoring")
    with pytest.raises(AssertionError, match="group"):
        assert_same_ticket(b, a)


def test_corrupt_histories_are_refused(clock: Clock) -> None:
    t = at_l2(clock)
    events = list(t.history)
    with pytest.raises(CorruptHistory):
        Ticket.from_history([])
    with pytest.raises(CorruptHistory):
        Ticket.from_history(events[1:])  # no Opened first
    with pytest.raises(CorruptHistory):
        Ticket.from_history([events[0], events[2]])  # a gap in the versions
    other = attrs.evolve(events[1], entity_id="INC-2")
    with pytest.raises(CorruptHistory):
        Ticket.from_history([events[0], other])
    backwards = attrs.evolve(events[1], at=events[0].at.replace(year=2000))
    with pytest.raises(CorruptHistory):
        Ticket.from_history([events[0], backwards])
    resolve = TicketEvent("INC-1", 2, events[1].at, "ann", Resolved(FIXED))
    assert Ticket.from_history([events[0], resolve]).phase.value == "resolved"  # legal
    start_while_new = attrs.evolve(events[2], version=2)  # start needs a queued ticket
    with pytest.raises(CorruptHistory, match="cannot be replayed"):
        Ticket.from_history([events[0], start_while_new])
