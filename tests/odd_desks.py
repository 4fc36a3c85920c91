"""Drawn desks for adversarial tests: tickets with odd names, categories, CIs, ids and dates.

`odd_desks()` draws the default tenant's tickets and sometimes another
tenant's with the same ids (a tenant name odd too); each ticket is opened
at an edge of the calendar (a year and ISO-week edge, week 53, 29 February, a
DST day, before 1970, another offset) and moved at random through valid
triggers. Names are the ones exports and tables stumble on: markup, a
spreadsheet formula, placeholders the library prints, unicode, quotes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from itil_l2 import SupportGroup, Tier
from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Urgency
from itil_l2.errors import ItilL2Error
from itil_l2.testing._common import walk
from itil_l2.testing._ticket_moves import draw_move
from itil_l2.tickets import Ticket

ODD = st.sampled_from(
    [
        "désk",
        "Ünïcode L2",
        "[bold]red[/bold]",
        "=cmd|' /C calc'!A0",
        "-neg",
        "a,b",
        'quo"te',
        "quo'te",
        "(no group)",
        "(none)",
        "(open)",
        "😀 emoji",
        "x" * 40,
        "null",
        "ŉ",
        "İstanbul",
    ]
)
STARTS = st.sampled_from(
    [
        datetime(2026, 1, 5, 8, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 59, tzinfo=UTC),  # a year and ISO-week edge
        datetime(2020, 12, 28, tzinfo=UTC),  # ISO week 53
        datetime(2024, 2, 29, 12, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # a European DST day
        datetime(1969, 12, 31, 23, 0, tzinfo=UTC),  # before the epoch: negative microseconds
        datetime(1999, 12, 31, 22, tzinfo=timezone(timedelta(hours=-5))),
    ]
)
TENANTS = st.sampled_from(["acme", "zürich ✓", "[bold]x[/bold]"])


@st.composite
def odd_groups(draw: st.DrawFn) -> tuple[SupportGroup, ...]:
    """One group per tier, each with an odd name."""
    names = draw(st.lists(ODD, min_size=3, max_size=3, unique=True))
    return tuple(SupportGroup(n, t) for n, t in zip(names, Tier, strict=True))


@st.composite
def odd_ticket(draw: st.DrawFn, groups: tuple[SupportGroup, ...], index: int) -> Ticket:
    """A ticket opened at a calendar edge, moved up to 14 times through valid triggers."""
    start = draw(STARTS) + timedelta(minutes=draw(st.integers(0, 5000)))
    attributes = draw(
        st.sampled_from([None, {"made_sla": True}, {"made_sla": "false"}, {"knowledge": "TRUE"}])
    )
    ticket = Ticket.open(
        id=f"INC-{index:03d}{draw(st.sampled_from(['', 'a', 'Z', 'é', '_', '-']))}",
        title=draw(ODD),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        owner_group=groups[0],
        at=start,
        actor=SYSTEM,
        category=draw(st.none() | ODD),
        ci_refs=draw(st.lists(ODD, max_size=3, unique=True)),
        attributes=attributes,
    )
    for now in walk(draw, 14, start):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        move = draw_move(draw, ticket, trigger, groups, valid=True)
        try:
            move.fire(ticket, now, SYSTEM)
        except ItilL2Error:
            continue
    return ticket


@st.composite
def odd_desks(draw: st.DrawFn) -> dict[str | None, list[Ticket]]:
    """The default tenant's tickets, and sometimes an odd tenant's with the same ids."""
    groups = draw(odd_groups())
    desk: dict[str | None, list[Ticket]] = {
        None: [draw(odd_ticket(groups, i)) for i in range(draw(st.integers(1, 8)))]
    }
    if draw(st.booleans()):
        desk[draw(TENANTS)] = [draw(odd_ticket(groups, i)) for i in range(draw(st.integers(1, 4)))]
    return desk
