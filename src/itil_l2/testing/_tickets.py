"""Ticket helpers: strategies and example tickets (the moves live in `_ticket_moves`).

`tickets()` drives tickets into any reachable state through the real
workflow with valid moves drawn for its config.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error
from itil_l2.testing._common import T0, T1, walk
from itil_l2.testing._ticket_moves import DEFAULT_GROUPS, MOVABLE_TRIGGERS, Move, draw_move
from itil_l2.tickets import (
    Channel,
    Handover,
    HandoverSource,
    HoldReason,
    L3Target,
    L3TargetKind,
    Resolution,
    SolutionAttempt,
    Ticket,
    TicketKind,
    WorkflowConfig,
)

# The moves are re-exported: the package face and the machine import them from here.
__all__ = [
    "DEFAULT_GROUPS",
    "MOVABLE_TRIGGERS",
    "Move",
    "actors",
    "aware_datetimes",
    "draw_move",
    "example_ticket",
    "fresh_ticket",
    "handovers",
    "hold_reasons",
    "l3_targets",
    "resolutions",
    "support_groups",
    "tickets",
]

# -- strategies -----------------------------------------------------------------------

_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=1)),
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
    ]
)
_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=16).filter(
    lambda s: s.strip("-") != ""
)
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")  # no NUL, no lone surrogate
_TEXT = st.text(_CHARS, min_size=1, max_size=60).filter(lambda s: s.strip() != "")


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1), max_value: datetime = datetime(2100, 1, 1)
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes in assorted fixed offsets (the library refuses naive ones)."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=_ZONES)


def support_groups(tier: Tier | None = None) -> st.SearchStrategy[SupportGroup]:
    """Support groups, at `tier` or at any tier."""
    tiers = st.just(tier) if tier is not None else st.sampled_from(Tier)
    specs = st.frozensets(st.sampled_from(["network", "server", "database", "application"]))
    return st.builds(SupportGroup, _NAMES, tiers, specs)


def actors(groups: st.SearchStrategy[SupportGroup] | None = None) -> st.SearchStrategy[Actor]:
    """Actors belonging to some of the given groups (by name)."""
    group_names = st.frozensets((groups or support_groups()).map(lambda g: g.name), max_size=3)
    return st.builds(
        Actor, _NAMES, group_names, st.frozensets(st.sampled_from(["vendor", "supervisor"]))
    )


def handovers(*, complete: bool = True, min_description: int = 30) -> st.SearchStrategy[Handover]:
    """Agent handovers; complete ones pass `escalate`, others lack at least one part."""
    full = st.builds(
        Handover,
        description=st.text(
            _CHARS, min_size=min_description + 1, max_size=min_description + 60
        ).filter(lambda s: len(s.strip()) >= min_description),
        attempts=st.lists(st.builds(SolutionAttempt, _TEXT, _TEXT), min_size=1, max_size=3),
        ci_refs=st.lists(_NAMES, min_size=1, max_size=3),
        priority=st.sampled_from(Priority),
        impact=st.sampled_from(Impact),
        hypothesis=st.none() | _TEXT,
        next_check=st.none() | _TEXT,
        source=st.just(HandoverSource.AGENT),
    )
    if complete:
        return full
    return st.builds(
        Handover,
        description=st.sampled_from(["", "too short"]),
        attempts=st.lists(st.builds(SolutionAttempt, _TEXT, _TEXT), max_size=1),
        ci_refs=st.lists(_NAMES, max_size=1),
        priority=st.none() | st.sampled_from(Priority),
        impact=st.none() | st.sampled_from(Impact),
    )


def l3_targets() -> st.SearchStrategy[L3Target]:
    """L3 targets of every kind, with or without an external reference."""
    return st.builds(L3Target, st.sampled_from(L3TargetKind), _NAMES, st.none() | _NAMES)


def hold_reasons(config: WorkflowConfig | None = None) -> st.SearchStrategy[HoldReason]:
    """The hold reasons the config accepts."""
    return st.sampled_from((config or WorkflowConfig()).hold_reasons)


def resolutions(config: WorkflowConfig | None = None) -> st.SearchStrategy[Resolution]:
    """Resolutions with a configured code, notes and some KB references."""
    codes = st.sampled_from((config or WorkflowConfig()).resolution_codes)
    return st.builds(Resolution, codes, _TEXT, st.lists(_NAMES, max_size=2))


@st.composite
def tickets(
    draw: st.DrawFn,
    *,
    config: WorkflowConfig | None = None,
    groups: tuple[SupportGroup, ...] = DEFAULT_GROUPS,
    max_steps: int = 12,
) -> Ticket:
    """Tickets driven into any reachable state through the real workflow.

    Each ticket is opened at an L1 group and moved by up to `max_steps`
    random, legal, valid triggers fired by the system actor, so every
    phase and tier (and every history shape) can come out.
    """
    cfg = config or WorkflowConfig()
    owner = next(g for g in groups if g.tier is Tier.L1)
    ticket = Ticket.open(
        id=draw(_NAMES.map(lambda s: f"INC-{s}")),
        title=draw(_TEXT),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        owner_group=owner,
        kind=draw(st.sampled_from(TicketKind)),
        channel=draw(st.sampled_from(Channel)),
        ci_refs=draw(st.lists(_NAMES, max_size=2)),
        at=T0,
        actor=SYSTEM,
        config=cfg,
    )
    for now in walk(draw, max_steps):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        move = draw_move(draw, ticket, trigger, groups, valid=True)
        try:
            move.fire(ticket, now, SYSTEM)
        except ItilL2Error:
            continue  # e.g. the drawn group's tier fits no edge from here
    return ticket


# -- examples -------------------------------------------------------------------------


def fresh_ticket(id: str, title: str = "Printer on floor 3 jams", **fields: Any) -> Ticket:
    """A new ticket (opened, assigned at L1, started: version 3) with the given fields.

    Opened at `at` if given, else at an hour after `T1` that depends on the id.
    """
    desk = DEFAULT_GROUPS[0]
    opened = T1 + timedelta(hours=sum(map(ord, id)) % 97)
    ticket = Ticket.open(
        id=id,
        title=title,
        impact=fields.pop("impact", Impact.LOW),
        urgency=fields.pop("urgency", Urgency.MEDIUM),
        owner_group=desk,
        at=fields.pop("at", opened),
        actor=SYSTEM,
        **fields,
    )
    ticket.assign(desk, at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)
    ticket.start(at=ticket.updated_at + timedelta(minutes=4), actor=SYSTEM)
    return ticket


def example_ticket() -> Ticket:
    """A small fixed ticket (opened, assigned at L1, started), for examples and smoke tests."""
    return fresh_ticket("INC-EXAMPLE", at=T0 + timedelta(hours=1))
