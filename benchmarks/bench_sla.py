"""Benchmark SLA clocks and business-calendar arithmetic.

Run as a script (a report, not a test; the exit code is always 0)::

    python benchmarks/bench_sla.py [--tickets N] [--repeat R] [--quick]

1. `sla_status` for N tickets (default 100,000) with 8-event histories
   (open, assign, start, hold awaiting caller, resume, escalate to L2, start,
   note) on a Mon-Fri 08:00-18:00 Europe/Berlin calendar with German
   holidays. Target: at most 20 µs per ticket. The calendar's day cache is
   warmed once before timing (a long-running host has it warm too).
2. Baseline, same run, same histories: a plain wall-clock version of the
   same clock (sum of running stretches by datetime subtraction, no
   calendar, no status object). The ratio is the price of business time,
   pauses, re-basing and the status.
3. `calendar.add` for spans of 1, 10, 100 and 1,000 working days (fresh
   calendar each repeat, so holiday lookup and day cache fills are timed):
   the time per span should grow linearly with the days, i.e. O(days), not
   O(minutes).
4. `calendar.between` over the same spans, cold (fresh calendar: holidays,
   day cache and prefix-sum blocks are built inside the timing) and warm
   (a long-running host): warm spans cost the two edge days plus one step
   per block of 64 days, so 1,000 days cost little more than one.

Medians over R repeats (default 5), each timed section after a full
collection with the cyclic collector off.
"""

from __future__ import annotations

import argparse
import gc
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from time import perf_counter
from typing import Any

from itil_l2 import (
    Actor,
    BusinessCalendar,
    Handover,
    HoldReason,
    Impact,
    Priority,
    SlaTarget,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    sla_status,
)
from itil_l2.sla import SlaMetric
from itil_l2.tickets.events import Held, Resolved, Resumed

DESK = SupportGroup("service-desk", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2, {"database"})
ANN = Actor("ann", groups={"service-desk"})
BOB = Actor("bob", groups={"database-l2"})
HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the order app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P2,
    impact=Impact.HIGH,
)


def office() -> BusinessCalendar:
    return BusinessCalendar.weekdays(time(8), time(18), zone="Europe/Berlin", country="DE")


def build(n: int) -> list[Ticket]:
    tickets = []
    base = datetime(2026, 1, 5, 7, tzinfo=UTC)
    for i in range(n):
        t0 = base + timedelta(minutes=37 * i % (60 * 24 * 330))
        step = timedelta(minutes=25 + i % 90)
        t = Ticket.open(
            id=f"INC-{i}",
            title="Order app down",
            impact=Impact.HIGH,
            urgency=Urgency.MEDIUM,
            owner_group=DESK,
            at=t0,
            actor=ANN,
        )
        t.assign(DESK, at=t0 + step, actor=ANN)
        t.start(at=t0 + 2 * step, actor=ANN)
        t.hold(HoldReason.AWAITING_CALLER, at=t0 + 3 * step, actor=ANN)
        t.resume("caller answered", at=t0 + 5 * step, actor=ANN)
        t.escalate(DBA, HANDOVER, at=t0 + 6 * step, actor=ANN)
        t.start(at=t0 + 7 * step, actor=BOB)
        t.add_note("checking the listener", at=t0 + 8 * step, actor=BOB)
        tickets.append(t)
    return tickets


def wall_clock(ticket: Ticket, at: datetime) -> timedelta:
    """Baseline: running wall time of the resolution clock, no calendar."""
    total = timedelta(0)
    start: datetime | None = ticket.history[0].at
    for event in ticket.history:
        p = event.payload
        if type(p) is Held and p.reason == HoldReason.AWAITING_CALLER and start is not None:
            total += event.at - start
            start = None
        elif type(p) is Resumed and start is None:
            start = event.at
        elif type(p) is Resolved and start is not None:
            total += event.at - start
            start = None
    if start is not None:
        total += at - start
    return total


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    gc.disable()
    try:
        begin = perf_counter()
        fn()
        return perf_counter() - begin
    finally:
        gc.enable()


def bench_status(n: int, repeat: int) -> None:
    print(f"building {n:,} tickets with 8-event histories ...", flush=True)
    tickets = build(n)
    target = SlaTarget(
        "resolution",
        SlaMetric.RESOLUTION,
        {p: timedelta(hours=4 * p.value) for p in Priority},
        office(),
    )
    ats = [t.updated_at + timedelta(hours=3) for t in tickets]
    pairs = list(zip(tickets, ats, strict=True))
    for t, at in pairs[:2000]:  # warm the calendar's day cache
        sla_status(t, target, at)
    for t, at in pairs:
        sla_status(t, target, at)
    ours, base, ratios = [], [], []
    for _ in range(repeat):
        a = timed(lambda: [sla_status(t, target, at) for t, at in pairs])
        b = timed(lambda: [wall_clock(t, at) for t, at in pairs])
        ours.append(a / n * 1e6)
        base.append(b / n * 1e6)
        ratios.append(a / b)
    verdict = "met" if statistics.median(ours) <= 20 else "MISSED"
    print(f"sla_status       : {statistics.median(ours):7.2f} µs/ticket (target <= 20: {verdict})")
    print(f"wall-clock base  : {statistics.median(base):7.2f} µs/ticket")
    print(f"ratio            : {statistics.median(ratios):7.1f}x")


def bench_add(repeat: int) -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    spans = (1, 10, 100, 1000)
    results: dict[int, list[float]] = {d: [] for d in spans}
    for _ in range(repeat):
        for days in spans:
            cal = office()  # cold: holidays and day cache are built inside the timing
            results[days].append(
                timed(lambda c=cal, d=days: c.add(start, d * 10 * timedelta(hours=1)))
            )
    one = statistics.median(results[1])
    print("calendar.add (cold calendar), working days spanned:")
    for days in spans:
        med = statistics.median(results[days])
        print(
            f"  {days:5d} days: {med * 1e6:10.1f} µs  ({med / one:7.1f}x the 1-day span, "
            f"{med / days * 1e6:6.2f} µs/day)"
        )
    warm = office()
    warm.add(start, 1000 * 10 * timedelta(hours=1))
    med = statistics.median(
        timed(lambda: warm.add(start, 1000 * 10 * timedelta(hours=1))) for _ in range(repeat)
    )
    print(f"  1000 days, warm cache: {med * 1e6:10.1f} µs ({med / 1000 * 1e6:.2f} µs/day)")


def bench_between(repeat: int) -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    print("calendar.between, working days spanned (cold calendar / warm calendar):")
    for days in (1, 10, 100, 1000):
        end = office().add(start, days * 10 * timedelta(hours=1))
        cold = []
        for _ in range(repeat):
            cal = office()
            cold.append(timed(lambda c=cal, e=end: c.between(start, e)))
        warm = office()
        warm.between(start, end)
        calls = range(1000)  # warm calls are too short to time one by one
        hot = [timed(lambda e=end: [warm.between(start, e) for _ in calls]) for _ in range(repeat)]
        print(
            f"  {days:5d} days: {statistics.median(cold) * 1e6:10.1f} µs cold, "
            f"{statistics.median(hot) * 1e3:8.2f} µs warm"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5,000 tickets, 3 repeats")
    args = parser.parse_args()
    n, repeat = (5_000, 3) if args.quick else (args.tickets, args.repeat)
    bench_status(n, repeat)
    bench_add(repeat)
    bench_between(repeat)


if __name__ == "__main__":
    main()
