"""The workload generator: deterministic, realistic, through the workflow, fast."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from itil_l2 import Phase, Ticket, Tier, ValidationError
from itil_l2.importers import simulate
from itil_l2.tickets import HandoverSource


def test_the_same_seed_gives_the_same_tickets() -> None:
    a = [t.history for t in simulate(300, seed=4)]
    b = [t.history for t in simulate(300, seed=4)]
    c = [t.history for t in simulate(300, seed=5)]
    assert a == b and a != c


def test_every_simulated_ticket_replays_through_the_workflow() -> None:
    for t in simulate(500, seed=9):
        again = Ticket.from_history(t.history)
        assert (again.state, again.version) == (t.state, t.version)


def test_the_stream_looks_like_a_service_desk() -> None:
    start = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
    tickets = list(simulate(3000, seed=1, start=start))
    assert [t.id for t in tickets[:2]] == ["SIM-000001", "SIM-000002"]
    opened = [t.opened_at for t in tickets]
    assert opened == sorted(opened) and opened[0] >= start
    by_hour = Counter(at.hour for at in opened)
    assert sum(by_hour[h] for h in range(9, 12)) > 5 * sum(by_hour[h] for h in range(0, 3))
    weekday = sum(1 for at in opened if at.weekday() < 5) / 5
    weekend = sum(1 for at in opened if at.weekday() >= 5) / 2
    assert weekday > 2.5 * weekend
    kinds = Counter(e.kind for t in tickets for e in t.history)
    for kind in (
        "escalate",
        "hand_back",
        "hold",
        "resume",
        "reopen",
        "close",
        "vendor_update",
        "link",
    ):
        assert kinds[kind] > 0, kind
    reached = Counter(
        e.payload.group.tier for t in tickets for e in t.history if e.kind == "escalate"
    )
    assert reached[Tier.L2] > reached[Tier.L3] > 0
    for t in tickets:  # agent handovers are complete (the workflow demanded it)
        for e in t.history:
            if e.kind == "escalate":
                assert e.payload.handover.source is HandoverSource.AGENT
    phases = Counter(t.phase for t in tickets)
    assert (
        phases[Phase.CLOSED] > 0.8 * len(tickets) and sum(p.is_open for p in phases.elements()) > 0
    )


def test_ten_thousand_tickets_in_a_few_seconds() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in simulate(10_000, seed=3))
    took = time.perf_counter() - started
    print(f"\nsimulate(10_000): {took:.2f} s")
    assert count == 10_000 and took < 15


@pytest.mark.parametrize(
    "kwargs",
    [{"n": -1}, {"n": 5, "per_day": 0}, {"n": 5, "start": datetime(2026, 1, 1)}],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        list(simulate(**kwargs))  # type: ignore[arg-type]
