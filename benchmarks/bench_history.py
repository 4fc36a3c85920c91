"""Benchmark: long histories cost linear time (build, replay, store and load).

Run as a script (a report, not a test)::

    python benchmarks/bench_history.py [--events N] [--small M] [--repeat R]

One ticket gets N events (default 100,000) from its triggers: notes, links,
holds and resumes in turn. Measured, as medians over R repeats (default 3):

- build: firing the N triggers;
- replay: `Ticket.from_history` of the N events;
- store and load through `SqliteStore` (a file in a temporary directory):
  `add` + commit, then `get` through a newly opened store (read, decode,
  replay and the head check; no event is in the decode cache yet).

The same is measured for a ticket of M events (default 1,000). The per-event
cost ratio (N-event cost per event / M-event cost per event) is the linearity
figure: 1.0 is perfectly linear; issue 14 asks for <= 1.5, and < 2 s for
building and for loading the 100,000-event ticket.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

from itil_l2 import SYSTEM, HoldReason, Impact, LinkKind, SupportGroup, Ticket, Tier, Urgency
from itil_l2.storage import SqliteStore

DESK = SupportGroup("service-desk", Tier.L1)
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def build(events: int) -> Ticket:
    """A ticket with `events` events, fired through its triggers."""
    t = Ticket.open(
        id="INC-LONG",
        title="monitoring-fed",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        owner_group=DESK,
        at=T0,
        actor=SYSTEM,
    )
    t.assign(DESK, at=T0, actor=SYSTEM)
    t.start(at=T0, actor=SYSTEM)
    at = T0
    for n in range(events - 3):
        at += timedelta(seconds=1)
        step = n % 4
        if step == 0:
            t.add_note(f"alert {n}", at=at, actor=SYSTEM)
        elif step == 1:
            t.link(LinkKind.CHILD, f"EVT-{n}", at=at, actor=SYSTEM)
        elif step == 2:
            t.hold(HoldReason.AWAITING_EVIDENCE, at=at, actor=SYSTEM)
        else:
            t.resume("evidence arrived", at=at, actor=SYSTEM)
    assert t.version == events
    return t


def _median(
    repeat: int, run: Callable[[object], object], setup: Callable[[], object] = object
) -> float:
    times = []
    for _ in range(repeat):
        given = setup()
        start = perf_counter()
        run(given)
        times.append(perf_counter() - start)
    return statistics.median(times)


def measure(events: int, repeat: int) -> dict[str, float]:
    """Median seconds of each step for a ticket of `events` events."""
    ticket = build(events)
    history = ticket.history
    times = {
        "build": _median(repeat, lambda _: build(events)),
        "replay": _median(repeat, lambda _: Ticket.from_history(history)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "long.sqlite")

        def store_it(t: object) -> None:
            with store.unit_of_work(tenant=f"t{perf_counter()}") as uow:
                uow.tickets.add(t)  # type: ignore[arg-type]
                uow.commit()

        times["store"] = _median(repeat, store_it, lambda: build(events))
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            uow.commit()

        store.close()

        def load(_: object) -> None:  # a new store each time: no event cached yet
            again = SqliteStore(Path(tmp) / "long.sqlite")
            with again.unit_of_work() as uow:
                assert uow.tickets.get("INC-LONG").version == events
            again.close()

        times["load"] = _median(repeat, load)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    big, small = measure(args.events, args.repeat), measure(args.small, args.repeat)
    print(f"one ticket, medians of {args.repeat} runs")
    print(
        f"{'step':<8}{args.events:>12,} ev (s){args.small:>12,} ev (s)"
        f"{'µs/ev big':>12}{'µs/ev small':>13}{'ratio':>8}"
    )
    for step in big:
        per_big = big[step] / args.events * 1e6
        per_small = small[step] / args.small * 1e6
        print(
            f"{step:<8}{big[step]:>17.3f}{small[step]:>17.4f}"
            f"{per_big:>12.2f}{per_small:>13.2f}{per_big / per_small:>8.2f}"
        )


if __name__ == "__main__":
    main()
