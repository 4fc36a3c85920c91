"""The demo: a scripted L1→L2→L3 incident, printed as history and diagram.

Run with `python -m itil_l2` (or `make demo`). It exercises the public API
only, so it doubles as a worked example.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from ._actor import SYSTEM, Actor
from ._calendar import BusinessCalendar
from ._diagram import diagram
from ._errors import IncompleteHandover
from ._handover import Handover, L3Target, L3TargetKind, SolutionAttempt
from ._hold import HoldReason
from ._priority import Impact, Priority, Urgency
from ._resolution import SOLVED_PERMANENTLY, Resolution
from ._sla import SlaMetric, SlaTarget
from ._sla_clock import sla_status
from ._ticket import Ticket
from ._ticket_events import TicketEvent
from ._tier import SupportGroup, Tier
from .storage import SqliteStore


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


def _store_and_reload(ticket: Ticket, folder: str) -> Ticket:
    """Save the ticket in the embedded SQLite store, then load it back through a new one."""
    path = os.path.join(folder, "helpdesk.sqlite")
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    store.close()
    again = SqliteStore(path)
    with again.unit_of_work() as uow:
        loaded = uow.tickets.get(ticket.id)
        print(f"Stored in SQLite ({path}): {uow.tickets.count()} ticket, {loaded.version} events")
    again.close()
    return loaded


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


def main() -> None:
    """Print the scenario's history (as stored and reloaded), its SLA and the diagram."""
    ticket, refused = scenario()
    print(f"Refused first escalation: {refused}\n")
    with tempfile.TemporaryDirectory(prefix="itil_l2-demo-") as folder:
        ticket = _store_and_reload(ticket, folder)
    print("\nHistory of", ticket.id)
    for event in ticket.history:
        print(_describe(event))
    print(_sla_line(ticket))
    print(
        f"\nFinal: {ticket!r}; escalations={ticket.escalation_count}, reopens={ticket.reopen_count}"
    )
    print("\nWorkflow diagram (mermaid):\n")
    print(diagram("ticket"))


if __name__ == "__main__":
    main()
