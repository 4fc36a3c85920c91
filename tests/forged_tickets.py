"""Forged ticket histories: every case issue 14 found, and the other ticket rules.

Each original is written by the real triggers; each forgery changes one
event the way a hand-built history or an edited row would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from forged import Forged, forced, replaced, with_payload
from itil_l2 import (
    SYSTEM,
    Handover,
    HoldReason,
    Impact,
    L3Target,
    L3TargetKind,
    LinkKind,
    Priority,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.errors import (
    DuplicateLink,
    EntryRefused,
    IncompleteHandover,
    InvalidTransition,
    UnknownHoldReason,
    UnknownResolutionCode,
    ValidationError,
)
from itil_l2.tickets import SOLVED_PERMANENTLY, ResolutionCode
from itil_l2.tickets import events as ev
from itil_l2.tickets._fields import Link

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
DESK = SupportGroup("service-desk", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2, {"database"})
VENDOR = SupportGroup("vendor-l3", Tier.L3)
ORACLE = L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 3-1")
HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the billing app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P2,
    impact=Impact.HIGH,
)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _worked() -> tuple[ev.TicketEvent, ...]:
    """Open, assign, start, link, hold, resume, escalate to L2, to L3, resolve: events 1-9."""
    t = Ticket.open(
        id="INC-F1",
        title="Billing cannot reach its database",
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        owner_group=DESK,
        at=_at(0),
        actor=SYSTEM,
    )
    t.assign(DESK, at=_at(1), actor=SYSTEM)
    t.start(at=_at(2), actor=SYSTEM)
    t.link(LinkKind.PROBLEM, "PRB-1", at=_at(3), actor=SYSTEM)
    t.hold(HoldReason.AWAITING_CALLER, at=_at(4), actor=SYSTEM)
    t.resume("caller answered", at=_at(5), actor=SYSTEM)
    t.escalate(DBA, HANDOVER, at=_at(6), actor=SYSTEM)
    t.escalate(VENDOR, HANDOVER, at=_at(7), actor=SYSTEM, target=ORACLE)
    t.resolve(Resolution(SOLVED_PERMANENTLY, "listener config fixed"), at=_at(8), actor=SYSTEM)
    return t.history


def _cancelled() -> tuple[ev.TicketEvent, ...]:
    """Open, cancel as a duplicate of another ticket, then update the title."""
    t = Ticket.open(
        id="INC-F2",
        title="Printer jam",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        owner_group=DESK,
        at=_at(0),
        actor=SYSTEM,
    )
    t.update(title="Printer jam on floor 2", impact=Impact.MEDIUM, at=_at(1), actor=SYSTEM)
    t.cancel("same as INC-F0", duplicate_of="INC-F0", at=_at(2), actor=SYSTEM)
    return t.history


def _requeued() -> tuple[ev.TicketEvent, ...]:
    """Open, assign, assign to ann, start, requeue, start again, hold, resolve: events 1-8."""
    t = Ticket.open(
        id="INC-F3",
        title="Laptop will not boot",
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        at=_at(0),
        actor=SYSTEM,
    )
    t.assign(DESK, at=_at(1), actor=SYSTEM)
    t.assign_to("ann", at=_at(2), actor=SYSTEM)
    t.start(at=_at(3), actor=SYSTEM)
    t.requeue(at=_at(4), actor=SYSTEM, reason="ann went home")
    t.start(at=_at(5), actor=SYSTEM)
    t.hold(HoldReason.AWAITING_CALLER, at=_at(6), actor=SYSTEM)
    t.resolve(Resolution(SOLVED_PERMANENTLY, "new disk"), at=_at(7), actor=SYSTEM)
    return t.history


WORKED = _worked()
REQUEUED = _requeued()
CANCELLED = _cancelled()
OPENED = WORKED[0].payload
UPDATE = CANCELLED[1].payload


def _case(
    name: str,
    original: tuple[ev.TicketEvent, ...],
    number: int,
    payload: object,
    rule: type[Exception],
) -> Forged:
    return Forged(name, Ticket, original, with_payload(original, number, payload), rule)


def _fields(item: object) -> dict[str, object]:
    return attrs.asdict(item, recurse=False)  # type: ignore[arg-type]


CASES = [
    _case(
        "escalation whose agent handover is empty",
        WORKED,
        7,
        attrs.evolve(WORKED[6].payload, handover=Handover()),
        IncompleteHandover,
    ),
    _case(
        "escalation to L3 without an L3 target",
        WORKED,
        8,
        ev.Escalated(VENDOR, HANDOVER),
        IncompleteHandover,
    ),
    _case(
        "escalation to L2 with an L3 target",
        WORKED,
        7,
        ev.Escalated(DBA, HANDOVER, L3Target(L3TargetKind.VENDOR, "Acme")),
        ValidationError,
    ),
    _case(
        "hold for a reason the config does not know",
        WORKED,
        5,
        ev.Held(HoldReason("awaiting_godot")),
        UnknownHoldReason,
    ),
    _case(
        "resolution code not_solved claiming to be successful",
        WORKED,
        9,
        ev.Resolved(Resolution(ResolutionCode("not_solved", "Not solved", successful=True), "x")),
        UnknownResolutionCode,
    ),
    _case(
        "resolution code the config does not know",
        WORKED,
        9,
        ev.Resolved(Resolution(ResolutionCode("magic", "Magic", successful=True), "x")),
        UnknownResolutionCode,
    ),
    _case(
        "priority P1 on low impact and low urgency",
        WORKED,
        1,
        attrs.evolve(OPENED, impact=Impact.LOW, urgency=Urgency.LOW, priority=Priority.P1),
        ValidationError,
    ),
    _case(
        "blank title",
        WORKED,
        1,
        forced(
            ev.Opened,
            **{
                **{f.name: getattr(OPENED, f.name) for f in attrs.fields(ev.Opened)},
                "title": "  ",
            },
        ),
        ValidationError,
    ),
    _case(
        "first assignment to an L2 group without a reason",
        WORKED,
        2,
        ev.Assigned(DBA),
        EntryRefused,
    ),
    _case(
        "a link added twice",
        WORKED,
        5,
        ev.Linked(Link(LinkKind.PROBLEM, "PRB-1")),
        DuplicateLink,
    ),
    _case(
        "cancelled as a duplicate of itself",
        CANCELLED,
        3,
        ev.Cancelled("same as itself", duplicate_of="INC-F2"),
        ValidationError,
    ),
    _case(
        "work started for someone else than the actor",
        WORKED,
        3,
        ev.Started("mallory"),
        ValidationError,
    ),
    _case(
        "blank resume cause",
        WORKED,
        6,
        forced(ev.Resumed, cause=""),
        ValidationError,
    ),
    _case(
        "update whose old value is not the ticket's",
        CANCELLED,
        2,
        ev.Updated((attrs.evolve(UPDATE.changes[0], old="Scanner jam"), *UPDATE.changes[1:])),
        ValidationError,
    ),
    _case(
        "update that sets a priority the matrix does not give",
        CANCELLED,
        2,
        ev.Updated((*UPDATE.changes[:-1], attrs.evolve(UPDATE.changes[-1], new=1))),
        ValidationError,
    ),
    _case(
        "update that changes the owner group",
        CANCELLED,
        2,
        ev.Updated((ev.FieldChange("owner_group", "service-desk", "field-desk"),)),
        ValidationError,
    ),
    _case(
        "update that changes nothing",
        CANCELLED,
        2,
        ev.Updated((attrs.evolve(UPDATE.changes[0], new=UPDATE.changes[0].old),)),
        ValidationError,
    ),
    _case(
        "reassignment to the group it is with",
        WORKED,
        4,
        ev.Reassigned(DESK),
        ValidationError,
    ),
    # found by a red-team review of the first version of the replay rules
    _case(
        "update recording ci_refs as a string that decodes to a list",
        CANCELLED,
        2,
        ev.Updated((ev.FieldChange("ci_refs", [], "ab"),)),
        ValidationError,
    ),
    _case(
        "update recording the same attributes in another shape",
        CANCELLED,
        2,
        ev.Updated((ev.FieldChange("attributes", {}, []),)),
        ValidationError,
    ),
    _case(
        "handover whose solution attempt is a bare string",
        WORKED,
        7,
        attrs.evolve(
            WORKED[6].payload,
            handover=forced(
                Handover,
                **{**attrs.asdict(HANDOVER, recurse=False), "attempts": ("tried nothing",)},
            ),
        ),
        ValidationError,
    ),
    _case(
        "resolution whose CI changes hold a string",
        WORKED,
        9,
        ev.Resolved(
            forced(
                Resolution,
                **{
                    **attrs.asdict(WORKED[8].payload.resolution, recurse=False),
                    "ci_changes": ("db-1.version=20",),
                },
            )
        ),
        ValidationError,
    ),
    Forged(
        "event with a blank actor",
        Ticket,
        WORKED,
        replaced(WORKED, 2, forced(ev.TicketEvent, **{**_fields(WORKED[1]), "actor_id": "  "})),
        ValidationError,
    ),
    Forged(
        "event whose actor id holds a control character",
        Ticket,
        WORKED,
        replaced(WORKED, 2, attrs.evolve(WORKED[1], actor_id="\x1b")),
        ValidationError,
    ),
    Forged(
        "event in an older schema that was never upcast",
        Ticket,
        WORKED,
        replaced(WORKED, 2, attrs.evolve(WORKED[1], schema=1)),
        ValidationError,
    ),
    _case("requeue of a queued ticket", REQUEUED, 4, ev.Requeued(), InvalidTransition),
    _case("requeue of a ticket on hold", REQUEUED, 8, ev.Requeued(), InvalidTransition),
    _case("requeue of a new ticket", REQUEUED, 2, ev.Requeued(), InvalidTransition),
    _case(
        "requeue whose reason is blank",
        REQUEUED,
        5,
        forced(ev.Requeued, reason="   "),
        ValidationError,
    ),
    _case(
        "start after a requeue with the old assignee",
        REQUEUED,
        6,
        ev.Started("ann"),
        ValidationError,
    ),
]
