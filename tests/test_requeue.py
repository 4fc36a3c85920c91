"""The same-team return to the queue: `Ticket.requeue` (issue 16, item 6).

In progress → queued within the same group, nobody holding the ticket; no
reassignment; the time until the next start is queue time in the KPIs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from sqlalchemy import create_engine

from itil_l2 import Actor, HoldReason, InvalidTransition, NotPermitted, Tier, ValidationError
from itil_l2.kpis import kpi_facts, tier_intervals
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import assert_same_ticket, tickets
from itil_l2.testing._common import refusal
from itil_l2.tickets import Phase, Ticket, Trigger, ticket_from_json, ticket_to_json
from support import ANN, BOB, DBA, DESK, FIXED, GOOD_HANDOVER, Clock, at_l1, open_ticket
from test_storage_contract import postgres_url


def test_requeue_puts_a_ticket_in_progress_back_in_its_groups_queue(clock: Clock) -> None:
    t = at_l1(clock)  # started by ann
    t.assign_to("dora", at=clock(), actor=ANN)
    before = (t.group, t.reassignment_count, t.escalation_count, t.reopen_count)
    t.requeue(at=clock(), actor=ANN, reason="ann went home")
    assert (t.phase, t.tier, t.assignee) == (Phase.QUEUED, Tier.L1, None)
    assert (t.group, t.reassignment_count, t.escalation_count, t.reopen_count) == before
    last = t.history[-1]
    assert (last.kind, last.payload.reason) == ("requeue", "ann went home")
    t.start(at=clock(), actor=ANN)  # the same group takes it up again
    assert (t.phase, t.assignee) == (Phase.IN_PROGRESS, "ann")


def test_requeue_works_at_every_tier(clock: Clock) -> None:
    t = at_l1(clock)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.start(at=clock(), actor=BOB)
    t.requeue(at=clock(), actor=BOB)
    assert (t.state, t.group) == ("L2.queued", DBA)


@settings(max_examples=60, deadline=None)
@given(tickets())
def test_requeue_is_allowed_from_in_progress_only(ticket: Ticket) -> None:
    at = ticket.updated_at + timedelta(minutes=1)
    state, group = ticket.state, ticket.group
    error = refusal(ticket, Trigger.REQUEUE, at, Actor("bot", roles={"system"}))
    if state.endswith(".in_progress"):
        assert error is None
        assert (ticket.state, ticket.group, ticket.assignee) == (
            state.replace("in_progress", "queued"),
            group,
            None,
        )
    else:
        assert isinstance(error, InvalidTransition), (state, error)
        assert ticket.state == state


def test_requeue_needs_a_member_of_the_assigned_group(clock: Clock) -> None:
    t = at_l1(clock)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.start(at=clock(), actor=BOB)
    for outsider in (ANN, Actor("carol")):  # the owner desk, the caller
        with pytest.raises(NotPermitted):
            t.requeue(at=clock(), actor=outsider)
    assert t.phase is Phase.IN_PROGRESS


def test_a_blank_reason_is_refused(clock: Clock) -> None:
    t = at_l1(clock)
    with pytest.raises(ValidationError):
        t.requeue(at=clock(), actor=ANN, reason="  ")
    assert t.phase is Phase.IN_PROGRESS


def test_requeue_is_in_the_allowed_triggers_and_the_diagram(clock: Clock) -> None:
    from itil_l2 import diagram

    t = at_l1(clock)
    assert Trigger.REQUEUE in t.allowed_triggers()
    t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=ANN)
    assert Trigger.REQUEUE not in t.allowed_triggers()
    text = diagram("ticket")
    for tier in ("L1", "L2", "L3"):
        assert f"{tier}.in_progress --> {tier}.queued: requeue" in text


# -- KPIs: the queue time after a requeue is queue time ------------------------------


def test_time_after_a_requeue_until_the_next_start_is_queue_time(clock: Clock) -> None:
    t = open_ticket(clock)
    start = t.opened_at
    hour = timedelta(hours=1)
    t.assign(DESK, at=start + 1 * hour, actor=ANN)  # 1 h new (queue)
    t.start(at=start + 3 * hour, actor=ANN)  # 2 h queued
    t.requeue(at=start + 7 * hour, actor=ANN)  # 4 h work
    t.start(at=start + 15 * hour, actor=ANN)  # 8 h queued again
    t.resolve(FIXED, at=start + 31 * hour, actor=ANN)  # 16 h work
    facts = kpi_facts(t)
    assert facts.tier_hours(Tier.L1, "queue") == 1 + 2 + 8
    assert facts.tier_hours(Tier.L1, "work") == 4 + 16
    assert facts.tier_hours(Tier.L1, "total") == 31
    parts = [(part, (end - begin) / hour) for _tier, part, begin, end in tier_intervals(t)]
    assert parts == [("queue", 1), ("queue", 2), ("work", 4), ("queue", 8), ("work", 16)]
    assert facts.group_changes == 0 and facts.reopens == 0


# -- serialization: JSON and every storage adapter -----------------------------------


def _requeued(clock: Clock) -> Ticket:
    t = at_l1(clock)
    t.requeue(at=clock(), actor=ANN, reason="shift ended")
    t.start(at=clock(), actor=ANN)
    t.requeue(at=clock(), actor=ANN)
    return t


def test_a_requeue_round_trips_through_json(clock: Clock) -> None:
    t = _requeued(clock)
    data = json.loads(json.dumps(ticket_to_json(t)))
    kinds = [e["payload"]["type"] for e in data["history"]]
    assert kinds.count("requeue") == 2
    assert_same_ticket(ticket_from_json(data), t)


@pytest.fixture(params=["memory", "sqlite", "sqlalchemy", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        made = SqliteStore(tmp_path / "t.sqlite")
        yield made
        made.close()
    else:
        url = f"sqlite:///{tmp_path / 'a.sqlite'}" if request.param == "sqlalchemy" else None
        url = url or postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL: set ITIL_L2_POSTGRES_URL to run these tests")
        engine = create_engine(url)
        metadata.drop_all(engine)
        metadata.create_all(engine)
        yield SqlAlchemyStore(engine)
        engine.dispose()


def test_a_requeue_round_trips_through_every_store(clock: Clock, store: Store) -> None:
    t = _requeued(clock)
    with store.unit_of_work() as uow:
        uow.tickets.add(t)
        uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.tickets.get(t.id)
    assert_same_ticket(loaded, t)
    assert loaded.history[-1].kind == "requeue" and loaded.phase is Phase.QUEUED
