"""The shared, compiled workflow under many threads firing on different tickets."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from itil_l2 import Impact, Phase, Ticket, Tier, Urgency
from itil_l2.testing import assert_same_ticket
from support import ANN, BOB, DBA, DESK, FIXED, GOOD_HANDOVER, ORACLE, T0, VENDOR, VIC

THREADS = 8
TICKETS_PER_THREAD = 150


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _lifecycle(worker: int, barrier: threading.Barrier) -> list[Ticket]:
    barrier.wait()
    done = []
    for n in range(TICKETS_PER_THREAD):
        at = T0 + timedelta(seconds=n)
        t = Ticket.open(
            id=f"INC-{worker}-{n}",
            title="parallel",
            impact=Impact.LOW,
            urgency=Urgency.LOW,
            owner_group=DESK,
            at=at,
            actor=ANN,
        )
        t.assign(DESK, at=at, actor=ANN)
        t.start(at=at, actor=ANN)
        t.escalate(DBA, GOOD_HANDOVER, at=at, actor=ANN)
        t.start(at=at, actor=BOB)
        t.escalate(VENDOR, GOOD_HANDOVER, at=at, actor=BOB, target=ORACLE)
        t.hand_back(DBA, "apply the patch", at=at, actor=VIC)
        t.start(at=at, actor=BOB)
        t.resolve(FIXED, at=at, actor=BOB)
        t.close(at=at, actor=ANN)
        done.append(t)
    return done


@pytest.mark.usefixtures("tiny_switch_interval")
def test_many_threads_fire_on_different_tickets() -> None:
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(_lifecycle, range(THREADS), [barrier] * THREADS))
    tickets = [t for batch in results for t in batch]
    assert len(tickets) == THREADS * TICKETS_PER_THREAD
    for t in tickets:
        assert (t.phase, t.tier, t.version) == (Phase.CLOSED, Tier.L2, 10)
        assert [e.kind for e in t.history][3:7] == ["escalate", "start", "escalate", "hand_back"]
        assert all(e.entity_id == t.id for e in t.history)
        assert_same_ticket(Ticket.from_history(t.history), t)
