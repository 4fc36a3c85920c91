"""The main job: a quarter of tickets into SQLite, the KPI table and the HTML report.

Run with `python -m itil_l2` (or `make demo`). First a scripted L1→L2→L3
incident shows the rules at work (an incomplete handover is refused); then
a simulated quarter of a service desk goes through the same workflow into
an SQLite file, and the demo prints the KPI table and writes `report.html`
beside it. It uses the public API only, so it doubles as a worked example.
"""

from __future__ import annotations

import argparse
import time as timer
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import IncompleteHandover
from itil_l2.importers import simulate
from itil_l2.sla import BusinessCalendar, SlaMetric, SlaTarget, sla_status
from itil_l2.storage import SqliteStore
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    Handover,
    HoldReason,
    L3Target,
    L3TargetKind,
    Resolution,
    SolutionAttempt,
    Ticket,
)
from itil_l2.tickets.events import TicketEvent

__all__ = ["main", "scenario"]

DEFAULT_FOLDER = Path("itil_l2-demo")
QUARTER_TICKETS = 3000
"""About a quarter of a mid-sized service desk (≈ 45 tickets per working day)."""


def _clock(start: datetime) -> Iterator[datetime]:
    step = 0
    while True:
        yield start + timedelta(minutes=step)
        step += 11


def scenario() -> tuple[Ticket, str]:
    """Run the seed's story; return the ticket and the refused first escalation's message."""
    at = _clock(datetime(2026, 11, 2, 8, 55, tzinfo=UTC))
    desk = SupportGroup("service-desk", Tier.L1)
    dba = SupportGroup("database-l2", Tier.L2, {"database"})
    vendor = SupportGroup("oracle-vendor", Tier.L3, {"database"})
    lena, dario = Actor("lena", groups={"service-desk"}), Actor("dario", groups={"database-l2"})
    oracle = Actor("oracle-support", groups={"oracle-vendor"}, roles={"vendor"})

    t = Ticket.open(
        id="INC0042",
        title="Order entry fails with ORA-01654",
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        owner_group=desk,
        caller="c.meyer",
        ci_refs=["db-prod-3"],
        at=next(at),
        actor=lena,
    )
    t.assign(desk, at=next(at), actor=lena)
    t.start(at=next(at), actor=lena)
    attempts = [SolutionAttempt("restarted the app server", "same error")]
    try:
        t.escalate(
            dba, Handover(description="DB broken", attempts=attempts), at=next(at), actor=lena
        )
    except IncompleteHandover as exc:
        refused = str(exc)
    handover = Handover(
        description="ORA-01654: cannot extend index in tablespace ORDERS since 08:40",
        attempts=attempts,
        ci_refs=["db-prod-3"],
        priority=t.priority,
        impact=Impact.HIGH,
        hypothesis="tablespace ORDERS is full",
    )
    t.escalate(dba, handover, at=next(at), actor=lena)
    t.start(at=next(at), actor=dario)
    t.hold(HoldReason.AWAITING_CALLER, at=next(at), actor=dario)
    t.resume("caller sent failing order ids", at=next(at), actor=dario)
    target = L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 3-3004221")
    t.escalate(vendor, handover, at=next(at), actor=dario, target=target)
    t.start(at=next(at), actor=oracle)
    t.vendor_update("known bug; patch 19.3.1 fixes it", at=next(at), actor=oracle)
    t.hand_back(dba, "apply patch 19.3.1", at=next(at), actor=oracle, fix="patch 19.3.1")
    t.start(at=next(at), actor=dario)
    fixed = Resolution(SOLVED_PERMANENTLY, "patched, index rebuilt", ["KB-0815"])
    t.resolve(fixed, at=next(at), actor=dario)
    t.reopen("fails again for region south", at=next(at), actor=Actor("c.meyer"))
    t.resolve(fixed, at=next(at), actor=dario)
    t.close(at=t.updated_at + timedelta(days=5), actor=SYSTEM)
    return t, refused


def _describe(event: TicketEvent) -> str:
    p = event.payload
    detail = ""
    group = getattr(p, "group", None)
    if group is not None:
        detail = f"→ {group.name} ({group.tier})"
    resolution = getattr(p, "resolution", None)
    if resolution is not None:
        detail = f"{resolution.code.code}: {resolution.notes} {list(resolution.kb_refs)}"
    for name in ("reason", "cause", "instructions", "text"):
        value = getattr(p, name, None)
        if value is not None:
            detail = f"{detail} {value}".strip()
    when = f"{event.at:%Y-%m-%d %H:%M}"
    return f"{event.version:>3}  {when}  {event.actor_id:<15} {event.kind:<14} {detail}"


def _sla_line(ticket: Ticket) -> str:
    office = BusinessCalendar.weekdays(
        time(8), time(18), zone="Europe/Berlin", country="DE", subdivision="BY"
    )
    target = SlaTarget(
        "resolution",
        SlaMetric.RESOLUTION,
        {p: timedelta(hours=4 * p.value) for p in Priority},
        office,
    )
    status = sla_status(ticket, target, ticket.updated_at)
    return (
        f"Resolution SLA ({ticket.priority.name}, Mon-Fri 08:00-18:00 Berlin):"
        f" {status.stage.value}, {status.elapsed} of {status.duration} business time used"
    )


def _part_one() -> Ticket:
    ticket, refused = scenario()
    print("== 1. One incident, L1 → L2 → L3 and back, by the rules\n")
    print(f"Refused first escalation: {refused}\n")
    print("History of", ticket.id)
    for event in ticket.history:
        print(_describe(event))
    print(_sla_line(ticket))
    print(
        f"Final: {ticket!r}; escalations={ticket.escalation_count}, reopens={ticket.reopen_count}"
    )
    return ticket


def _fresh_db(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "helpdesk.sqlite"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    return db


def _quarter(tickets: int, seed: int) -> list[Ticket]:
    """A simulated quarter of tickets (90 days at a realistic arrival rate)."""
    return list(simulate(tickets, seed=seed, per_day=max(tickets / 90, 1.0)))


def _store(db: Path, tickets: Sequence[Ticket]) -> int:
    store = SqliteStore(db)
    try:
        with store.unit_of_work() as uow:
            for ticket in tickets:
                uow.tickets.add(ticket)
            uow.commit()
        with store.unit_of_work() as uow:
            return uow.tickets.count()
    finally:
        store.close()


def _part_two(folder: Path, tickets: int, seed: int) -> None:
    from itil_l2.cli._output import kpi_rich_table, kpi_rows, terminal_width
    from itil_l2.report import HEADLINE_METRICS, as_of, render_report, report_figures

    print(f"\n== 2. A simulated quarter: {tickets:,} tickets (seed {seed}) through the workflow\n")
    started = timer.perf_counter()
    quarter = _quarter(tickets, seed)
    db = _fresh_db(folder)
    stored = _store(db, quarter)
    print(f"SQLite database: {db} ({stored:,} tickets, {timer.perf_counter() - started:.1f} s)")
    at = as_of(quarter)
    rows = kpi_rows(quarter, [], at)
    width = terminal_width(fallback=100)
    title = f"KPIs of the quarter, as of {at:%Y-%m-%d %H:%M}"
    print(kpi_rich_table(rows, [], HEADLINE_METRICS, title=title, width=width), end="")
    report = folder / "report.html"
    html = render_report(
        report_figures(quarter, at=at), title="ITIL L2 demo quarter", source=str(db)
    )
    report.write_text(html, encoding="utf-8")
    print(f"Report: {report} (open it in a browser)")
    print(f"Next: itil-l2 kpi --db {db} --by group,month")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; `--out DIR`, `--tickets N`, `--seed S` change where and how much."""
    parser = argparse.ArgumentParser(prog="python -m itil_l2", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help="output folder")
    parser.add_argument("--tickets", type=int, default=QUARTER_TICKETS, help="simulated tickets")
    parser.add_argument("--seed", type=int, default=2026, help="simulation seed")
    args = parser.parse_args(argv)
    _part_one()
    _part_two(args.out, args.tickets, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
