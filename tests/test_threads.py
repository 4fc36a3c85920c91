"""Threads: the shared, compiled workflow on many tickets, and many threads on one ticket."""

from __future__ import annotations

import copy
import gc
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from itil_l2 import HoldReason, Impact, LinkKind, Phase, Ticket, Tier, Urgency, WorkflowConfig
from itil_l2.errors import InvalidTransition, ItilL2Error
from itil_l2.storage import MemoryStore
from itil_l2.testing import assert_same_ticket
from support import (
    ANN,
    BOB,
    DBA,
    DESK,
    FIXED,
    GOOD_HANDOVER,
    ORACLE,
    T0,
    VENDOR,
    VIC,
    working_ticket,
)

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


# -- one ticket, many threads -------------------------------------------------------


CALLS_PER_THREAD = 1_000


def _hammer(ticket: Ticket, worker: int, barrier: threading.Barrier) -> list[tuple[str, object]]:
    """Fire 1,000 triggers on the shared ticket: links (unique), notes, holds and resumes.

    Returns what each call did: ("ok", <trigger>) or ("refused", <error type>).
    Holds and resumes race each other, so many are refused; links and notes never are.
    """
    barrier.wait()
    outcomes: list[tuple[str, object]] = []
    for n in range(CALLS_PER_THREAD):
        at = T0 + timedelta(hours=1)  # one instant: time never goes back
        step = n % 4
        try:
            if step == 0:
                ticket.link(LinkKind.CHILD, f"INC-{worker}-{n}", at=at, actor=ANN)
            elif step == 1:
                ticket.add_note(f"note {worker}-{n}", at=at, actor=ANN)
            elif step == 2:
                ticket.hold(HoldReason.AWAITING_CALLER, at=at, actor=ANN)
            else:
                ticket.resume("caller answered", at=at, actor=ANN)
        except ItilL2Error as exc:
            outcomes.append(("refused", type(exc)))
        else:
            outcomes.append(("ok", ("link", "add_note", "hold", "resume")[step]))
    return outcomes


@pytest.mark.usefixtures("tiny_switch_interval")
def test_eight_threads_fire_on_one_ticket_and_every_call_counts_once() -> None:
    t = working_ticket("INC-SHARED")
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(_hammer, [t] * THREADS, range(THREADS), [barrier] * THREADS))
    outcomes = [o for batch in results for o in batch]
    assert len(outcomes) == THREADS * CALLS_PER_THREAD
    done = Counter(what for status, what in outcomes if status == "ok")
    refused = Counter(what for status, what in outcomes if status == "refused")
    assert set(refused) <= {InvalidTransition}, refused  # holds and resumes out of turn
    # every call that succeeded is exactly one event; the refused ones left none
    kinds = Counter(e.kind for e in t.history[3:])
    assert kinds == done, (kinds, done)
    assert t.version == 3 + sum(done.values())
    assert done["link"] == done["add_note"] == THREADS * CALLS_PER_THREAD // 4
    assert len(t.links) == len(set(t.links)) == done["link"]
    assert [e.version for e in t.history] == list(range(1, t.version + 1))
    assert_same_ticket(Ticket.from_history(t.history), t)


@pytest.mark.usefixtures("tiny_switch_interval")
def test_a_copy_made_while_another_thread_fires_equals_its_own_replay() -> None:
    t = working_ticket("INC-COPIED")
    stop = threading.Event()

    def fire() -> None:
        n = 0
        while not stop.is_set() and n < 2_000:
            t.hold(HoldReason.AWAITING_CALLER, at=T0, actor=ANN)
            t.link(LinkKind.CHILD, f"INC-{n}", at=T0, actor=ANN)
            t.resume("caller answered", at=T0, actor=ANN)
            n += 1

    worker = threading.Thread(target=fire)
    worker.start()
    try:
        copies = [copy.copy(t) for _ in range(300)]
        for c in copies[::10]:  # the twins fire on their own, never into the original
            c.link(LinkKind.PARENT, "INC-TWIN", at=T0, actor=ANN)
    finally:
        stop.set()
        worker.join()
    for c in copies:
        assert_same_ticket(Ticket.from_history(c.history), c)
    assert LinkKind.PARENT not in {link.kind for link in t.links}
    assert_same_ticket(Ticket.from_history(t.history), t)


@pytest.mark.parametrize("enabled", [True, False])
def test_loads_in_many_threads_leave_the_garbage_collector_as_they_found_it(enabled: bool) -> None:
    """Loading pauses the cyclic collector per history; the pause is counted across threads."""
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for n in range(20):
            uow.tickets.add(working_ticket(f"INC-GC-{n}"))
        uow.commit()

    def load(worker: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        loaded = 0
        for _ in range(25):
            with store.unit_of_work() as uow:
                loaded += len(list(uow.tickets.find()))
                loaded += uow.tickets.get(f"INC-GC-{worker}").version > 0
        return loaded

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        barrier = threading.Barrier(THREADS)
        with ThreadPoolExecutor(THREADS) as pool:
            counts = list(pool.map(load, range(THREADS), [barrier] * THREADS))
        assert counts == [25 * 21] * THREADS
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_slow_trigger_holds_up_only_its_own_ticket() -> None:
    """A permissions policy blocking inside one ticket's trigger leaves other tickets free."""
    inside, release = threading.Event(), threading.Event()

    class SlowOnA:
        def permits(self, actor: object, trigger: str, entity: Ticket) -> bool:
            if entity.id == "INC-A" and trigger == "add_note":
                inside.set()
                assert release.wait(10)
            return True

    config = WorkflowConfig(permissions=SlowOnA())
    a, b = working_ticket("INC-A", config), working_ticket("INC-B", config)
    slow = threading.Thread(target=lambda: a.add_note("slow", at=T0, actor=ANN))
    slow.start()
    assert inside.wait(10)
    other = threading.Thread(target=lambda: b.add_note("not held up", at=T0, actor=ANN))
    other.start()
    other.join(10)
    try:
        assert not other.is_alive(), "a trigger on INC-B waited for INC-A's"
        assert b.version == 4 and a.version == 3  # a's trigger is still running
    finally:
        release.set()
        slow.join()
        other.join()
    assert a.version == 4
