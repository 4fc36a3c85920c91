"""Benchmark the full ticket KPI set against a hand-written single loop.

Run as a script (a report, not a test; the exit code is 0 unless the two
sides disagree)::

    python benchmarks/bench_kpi.py [--tickets N] [--repeat R] [--quick]

What is measured:

1. Generation (reported, not compared): N tickets (default 1,000,000)
   built with the library's own API (`Ticket.open` and triggers, by the
   system actor), in eight shapes: solved at L1 on first contact, solved at
   L2, solved at L3, handed back and solved at L1, solved with a hold,
   reopened and re-solved, cancelled, and still open.
2. itil_l2: `measure(tickets, standard_metrics())`, every ticket metric of
   `kpi_table` (resolution time, response time, time to restore, resolution rates overall
   and per tier, FCR, escalation and hand-back rates, reopen rate,
   reassignment count, ping-pong, and queue/work/hold/total time per tier:
   27 figures) over the same ticket objects.
3. Baseline: one hand-written loop over the same objects that reads each
   history once and computes the same 27 figures with plain counters.
   Both sides must produce the same figures (checked).

Timings are medians over R repeats (default 3), each running both sides one
after the other with the cyclic garbage collector off; the ratio is the
median of the per-repeat ratios. Target: itil_l2 ≤ 2x the hand loop.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Handover,
    HoldReason,
    Impact,
    L3Target,
    L3TargetKind,
    Priority,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.kpis import measure, standard_metrics
from itil_l2.tickets import NOT_SOLVED
from itil_l2.tickets import events as ev

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
DESK = SupportGroup("service-desk", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2, {"database"})
VENDOR = SupportGroup("vendor-l3", Tier.L3)
HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the order app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P3,
    impact=Impact.MEDIUM,
)
TARGET = L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 1")
FIXED = Resolution(SOLVED_PERMANENTLY, "fixed")
FAILED = Resolution(NOT_SOLVED, "no fix")
HOUR = timedelta(hours=1)


def make_ticket(i: int) -> Ticket:
    """Ticket number `i`, in one of eight shapes (i % 8), through the public API."""
    start = T0 + timedelta(seconds=37 * i)
    step = iter(start + HOUR * k for k in range(1, 20))
    t = Ticket.open(
        id=f"INC-{i}", title="order app slow", impact=Impact.MEDIUM, urgency=Urgency.MEDIUM,
        owner_group=DESK, category=("database", "network", "printing")[i % 3],
        ci_refs=[f"ci-{i % 50}"], at=start, actor=SYSTEM,
    )  # fmt: skip
    shape = i % 8
    t.assign(DESK, at=next(step), actor=SYSTEM)
    if shape == 6:
        t.cancel("duplicate", at=next(step), actor=SYSTEM)
        return t
    t.start(at=next(step), actor=SYSTEM)
    if shape in (1, 2, 3, 7):
        t.escalate(DBA, HANDOVER, at=next(step), actor=SYSTEM)
        t.start(at=next(step), actor=SYSTEM)
    if shape == 2:
        t.escalate(VENDOR, HANDOVER, at=next(step), actor=SYSTEM, target=TARGET)
        t.start(at=next(step), actor=SYSTEM)
    if shape == 3:
        t.hand_back(DESK, "solve with KB-1", at=next(step), actor=SYSTEM)
        t.start(at=next(step), actor=SYSTEM)
    if shape == 4:
        t.hold(HoldReason.AWAITING_CALLER, at=next(step), actor=SYSTEM)
        t.resume("answered", at=next(step), actor=SYSTEM)
    if shape == 7:
        return t  # still open at L2
    t.resolve(FAILED if i % 16 == 4 else FIXED, at=next(step), actor=SYSTEM)
    if shape == 5:
        t.reopen("still slow", at=next(step), actor=SYSTEM)
        t.resolve(FIXED, at=next(step), actor=SYSTEM)
    if i % 2 == 0:
        t.close(at=next(step), actor=SYSTEM)
    return t


_MOVES = (ev.Reassigned, ev.Escalated, ev.HandedBack)
_PART = {ev.Started: 1, ev.Resumed: 1, ev.Reopened: 1, ev.Held: 2}
_TIERS = (Tier.L1, Tier.L2, Tier.L3)


def hand_loop(tickets: list[Ticket]) -> dict[str, float | None]:
    """Every figure of `standard_metrics()` in one plain loop over the histories."""
    res_sum = restore_sum = response_sum = 0.0
    res_n = restore_n = response_n = ended = solved = fcr = fcr_n = reopened = reopen_n = 0
    at_tier = dict.fromkeys(_TIERS, 0)
    solved_at = dict.fromkeys(_TIERS, 0)
    esc12 = esc23 = back2 = back3 = moves_sum = bounces = 0
    tier_sum = [[0.0] * 4 for _ in _TIERS]  # queue, work, hold, total
    for t in tickets:
        history = t.history
        owner = history[0].payload.owner_group  # type: ignore[union-attr]
        opened = history[0].at
        group = None
        names: list[str] = []
        tiers: set[Tier] = set()
        e12 = e23 = b2 = b3 = False
        moves = reopens = 0
        resolution = resolved_at = resolved_tier = restored = cancelled = responded = None
        times = [[0.0] * 3 for _ in _TIERS]
        cur_tier, part, since = owner.tier, 0, opened
        for e in history[1:]:
            p: Any = e.payload
            cls = type(p)
            nxt_tier, nxt = cur_tier, part
            if cls is ev.Assigned or cls in _MOVES:
                old = group
                group = p.group
                names.append(group.name)
                tiers.add(group.tier)
                nxt_tier, nxt = group.tier, 0
                if cls is not ev.Assigned:
                    moves += 1
                    if cls is ev.Escalated and old is not None:
                        e12 |= old.tier is Tier.L1 and group.tier is Tier.L2
                        e23 |= old.tier is Tier.L2 and group.tier is Tier.L3
                    elif cls is ev.HandedBack and old is not None:
                        b2 |= old.tier is Tier.L2
                        b3 |= old.tier is Tier.L3
            elif cls in _PART:
                nxt = _PART[cls]
                if cls is ev.Started and responded is None:
                    responded = e.at
                if cls is ev.Reopened:
                    resolution = resolved_at = resolved_tier = None
                    reopens += 1
            elif cls is ev.Resolved or cls is ev.Cancelled or cls is ev.Closed:
                nxt = -1
                if group is None and cls is not ev.Closed:
                    group = owner
                    tiers.add(owner.tier)
                if cls is ev.Resolved:
                    if responded is None:
                        responded = e.at
                    resolution, resolved_at, resolved_tier = p.resolution, e.at, group.tier  # type: ignore[union-attr]
                    if restored is None and p.resolution.code.successful:
                        restored = e.at
                elif cls is ev.Cancelled:
                    cancelled = e.at
            else:
                continue
            if part >= 0 and e.at > since:
                times[cur_tier.level - 1][part] += (e.at - since) / HOUR
            cur_tier, part, since = nxt_tier, nxt, e.at
        if resolution is None and cancelled is None:
            continue  # still open: excluded by every figure
        ended += 1
        ok = resolution is not None and resolution.code.successful
        solved += ok
        for tier in tiers:
            at_tier[tier] += 1
            solved_at[tier] += ok and resolved_tier is tier
        if resolution is not None:
            res_sum += (resolved_at - opened) / HOUR  # type: ignore[operator]
            res_n += 1
            fcr_n += 1
            fcr += ok and resolved_tier is Tier.L1 and moves == 0 and not reopens
        if responded is not None:
            response_sum += (responded - opened) / HOUR
            response_n += 1
        if restored is not None:
            restore_sum += (restored - opened) / HOUR
            restore_n += 1
        if resolution is not None or reopens:
            reopen_n += 1
            reopened += reopens > 0
        esc12 += e12
        esc23 += e23
        back2 += b2
        back3 += b3
        moves_sum += moves
        bounces += sum(1 for k in range(2, len(names)) if names[k] == names[k - 2] != names[k - 1])
        for level, tier in enumerate(_TIERS):
            if tier in tiers or owner.tier is tier:
                q, w, h = times[level]
                sums = tier_sum[level]
                sums[0] += q
                sums[1] += w
                sums[2] += h
                sums[3] += q + w + h

    def div(a: float, b: int) -> float | None:
        return a / b if b else None

    out: dict[str, float | None] = {
        "resolution_time": div(res_sum, res_n),
        "response_time": div(response_sum, response_n),
        "time_to_restore": div(restore_sum, restore_n),
        "resolution_rate": div(solved, ended),
        "first_contact_resolution": div(fcr, fcr_n),
        "escalation_rate_l1_l2": div(esc12, at_tier[Tier.L1]),
        "escalation_rate_l2_l3": div(esc23, at_tier[Tier.L2]),
        "hand_back_rate_l2": div(back2, at_tier[Tier.L2]),
        "hand_back_rate_l3": div(back3, at_tier[Tier.L3]),
        "reopen_rate": div(reopened, reopen_n),
        "reassignment_count": div(moves_sum, ended),
        "ping_pong": float(bounces) if ended else None,
    }
    for level, tier in enumerate(_TIERS):
        out[f"resolution_rate_{tier.value.lower()}"] = div(solved_at[tier], at_tier[tier])
        n = at_tier[tier] if tier is not Tier.L1 else ended  # every ticket's owner is at L1
        for k, part in enumerate(("queue", "work", "hold", "total")):
            out[f"{tier.value.lower()}_{part}_time"] = div(tier_sum[level][k], n)
    return out


def library(tickets: list[Ticket]) -> dict[str, float | None]:
    """The same figures through `measure` with every standard metric."""
    results = measure(tickets, list(standard_metrics().values()))
    return {name: r.value for name, r in results.items()}


def timed(fn: Callable[[list[Ticket]], Any], tickets: list[Ticket]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        begin = perf_counter()
        out = fn(tickets)
        return perf_counter() - begin, out
    finally:
        gc.enable()


def same(a: dict[str, float | None], b: dict[str, float | None]) -> list[str]:
    bad = []
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name), b.get(name)
        if (x is None) != (y is None) or (x is not None and not math.isclose(x, y, rel_tol=1e-9)):  # type: ignore[arg-type]
            bad.append(f"{name}: library {x} vs hand loop {y}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 tickets, 1 repeat")
    args = parser.parse_args(argv)
    n, repeat = (2_000, 1) if args.quick else (args.tickets, args.repeat)

    begin = perf_counter()
    tickets = [make_ticket(i) for i in range(n)]
    generated = perf_counter() - begin
    events = sum(len(t.history) for t in tickets)
    print(f"generated {n:,} tickets ({events:,} events) with the library API in {generated:.1f} s")

    lib_times, hand_times, ratios = [], [], []
    for _ in range(repeat):
        lib_s, lib_out = timed(library, tickets)
        hand_s, hand_out = timed(hand_loop, tickets)
        lib_times.append(lib_s)
        hand_times.append(hand_s)
        ratios.append(lib_s / hand_s)
        mismatches = same(lib_out, hand_out)
        if mismatches:
            print("FIGURES DIFFER:", *mismatches, sep="\n  ")
            return 1
    lib, hand, ratio = (statistics.median(x) for x in (lib_times, hand_times, ratios))
    print(f"full KPI set ({len(lib_out)} figures), median of {repeat}:")
    print(f"  itil_l2 measure(): {lib:8.3f} s  ({lib / n * 1e6:6.2f} µs per ticket)")
    print(f"  hand-written loop: {hand:8.3f} s  ({hand / n * 1e6:6.2f} µs per ticket)")
    print(f"  ratio: {ratio:.2f}x (target <= 2x) -> {'OK' if ratio <= 2 else 'OVER TARGET'}")
    print("  every repeat:", ", ".join(f"{r:.2f}x" for r in sorted(ratios)))
    print("figures agree:", ", ".join(f"{k}={v:.4g}" for k, v in sorted(lib_out.items()) if v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
