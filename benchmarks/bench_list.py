"""Benchmark lists of views (`Repository.list`) against loading the same tickets by replay.

Run as a script (a report, not a test; the exit code is always 0)::

    python benchmarks/bench_list.py [--tickets N] [--repeat R] [--db PATH]

N tickets (default 100,000) are stored once in an SQLite file (kept with
`--db` to rerun without rebuilding): opened over a year, at L1 or L2, queued,
in progress, on hold or resolved, assigned to one of 400 agents, with a
`customer` attribute (one of 500). Then, for each filter, the median over R
repeats of:

* **list**: `uow.tickets.list(query, order_by=..., limit=50)`: one indexed
  query that returns the stored views, nothing replayed;
* **replay**: loading the same 50 tickets with `get` (rows read, events
  decoded, histories replayed, heads checked) and making their views: what
  a list cost before views were stored. Cold: a new store (no decoded-event
  cache); warm: the same store again.

Targets (issue 17): the list of 50 by a filter ≤ 5 ms, and ≥ 50× faster than replay.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from itil_l2 import Actor, Impact, Priority, Query, SupportGroup, Ticket, Tier, Urgency
from itil_l2.storage import SqliteStore
from itil_l2.tickets import Handover, HoldReason, SolutionAttempt
from itil_l2.views import ticket_view

DESK = SupportGroup("service-desk", Tier.L1)
L2 = SupportGroup("network-l2", Tier.L2)
AGENTS = [f"agent-{i:03d}" for i in range(400)]
START = datetime(2025, 1, 1, tzinfo=UTC)
HANDOVER = Handover(
    description="Tried the runbook: restart did not help; VPN logs attached",
    attempts=[SolutionAttempt("restarted the VPN client", "no change")],
    ci_refs=["vpn-gw-1"],
    priority=Priority.P3,
    impact=Impact.MEDIUM,
)


def make_ticket(i: int, rng: random.Random) -> Ticket:
    at = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
    agent = rng.choice(AGENTS)
    desk = Actor(agent, groups={DESK.name, L2.name})
    t = Ticket.open(
        id=f"INC-{i:07d}",
        title=f"VPN drops every {rng.randrange(2, 60)} minutes",
        impact=rng.choice(list(Impact)),
        urgency=rng.choice(list(Urgency)),
        owner_group=DESK,
        caller=f"user-{rng.randrange(20_000)}",
        attributes={"customer": f"c-{rng.randrange(500):03d}"},
        at=at,
        actor=desk,
    )
    step = rng.random()
    t.assign(DESK, at=at + timedelta(minutes=1), actor=desk)
    if step < 0.15:
        return t  # queued at L1
    t.start(at=at + timedelta(minutes=2), actor=desk)
    if step < 0.5:
        t.escalate(L2, HANDOVER, at=at + timedelta(minutes=3), actor=desk)
        t.start(at=at + timedelta(minutes=4), actor=desk)
    if step < 0.3:
        return t
    if step < 0.45:
        t.hold(HoldReason.AWAITING_CALLER, at=at + timedelta(minutes=5), actor=desk)
        return t
    return t


def build(path: Path, n: int) -> None:
    rng = random.Random(17)
    store = SqliteStore(path, indexed_attributes=("customer",))
    for start in range(0, n, 5_000):
        with store.unit_of_work() as uow:
            for i in range(start, min(n, start + 5_000)):
                uow.tickets.add(make_ticket(i, rng))
            uow.commit()
        print(f"  stored {min(n, start + 5_000):,} tickets", file=sys.stderr)
    store.close()


def median_ms(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = perf_counter()
        action()
        times.append((perf_counter() - began) * 1000)
    return statistics.median(times)


FILTERS: list[tuple[str, Query, str]] = [
    ("one agent's work, newest first", Query(assignee="agent-042"), "-updated_at"),
    ("one agent, in progress", Query(assignee="agent-042", state="in_progress"), "-updated_at"),
    ("one customer's L2 tickets", Query(attributes={"customer": "c-007"}, tier=Tier.L2), "id"),
    ("title text 'every 17 minutes'", Query(title_contains="EVERY 17 MINUTES"), "opened_at"),
    ("L2 queue on hold, oldest first", Query(tier=Tier.L2, state="on_hold"), "opened_at"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args(argv)
    path = args.db or Path(tempfile.mkdtemp()) / "list.sqlite"
    if not path.exists():
        print(f"building {args.tickets:,} tickets in {path} ...", file=sys.stderr)
        build(path, args.tickets)
    store = SqliteStore(path, indexed_attributes=("customer",))
    with store.unit_of_work() as uow:
        total = uow.tickets.count()
    print(f"{total:,} tickets stored; medians of {args.repeat} repeats; 50 per page")
    print(
        f"{'filter':34} {'matches':>8} {'list ms':>8} {'cold ms':>8} {'warm ms':>8}"
        f" {'cold/list':>9} {'warm/list':>9}"
    )
    for name, query, order in FILTERS:
        with store.unit_of_work() as uow:
            matches = uow.tickets.count(query)
            page = uow.tickets.list(query, order_by=order, limit=50)
            ids = [v["id"] for v in page.items]

        def listed(query: Query = query, order: str = order) -> Any:
            with store.unit_of_work() as uow:
                return uow.tickets.list(query, order_by=order, limit=50)

        def replayed(on: SqliteStore, ids: list[str] = ids) -> list[Any]:
            with on.unit_of_work() as uow:
                return [ticket_view(uow.tickets.get(i)) for i in ids]

        assert [v for v in replayed(store)] == list(listed().items)  # the same 50 views
        list_ms = median_ms(listed, args.repeat)
        cold = []
        for _ in range(max(3, args.repeat // 4)):
            fresh = SqliteStore(path, read_only=True)
            cold.append(median_ms(lambda fresh=fresh: replayed(fresh), 1))
            fresh.close()
        cold_ms = statistics.median(cold)
        warm_ms = median_ms(lambda: replayed(store), args.repeat)
        print(
            f"{name:34} {matches:>8,} {list_ms:>8.2f} {cold_ms:>8.1f} {warm_ms:>8.1f}"
            f" {cold_ms / list_ms:>8.0f}x {warm_ms / list_ms:>8.0f}x"
        )
    store.close()


if __name__ == "__main__":
    main()
