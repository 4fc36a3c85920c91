"""The normalised form every importer reads an export into.

A `Case` is one incident (a ServiceNow `number`, an XES trace); its `Step`s
are its rows or events in order, each saying what the export recorded after
that update: the phase, the group, the assignee, the fields. The replay
(`_replay.py`) turns a case into a ticket through the workflow, so every
format is mapped once, to this, and replayed the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import Tier
from itil_l2.tickets import Channel, HoldReason, L3TargetKind, Link, Phase, TicketKind

__all__ = ["Actors", "Case", "Step"]


class Step:
    """One row / event, normalised. `None` everywhere means "not in the export".

    `error` is set when the row cannot be used at all (bad date, unknown or
    corrupt state); the replay records a deviation for it and drops it.
    """

    __slots__ = (
        "actor",
        "assignee",
        "at",
        "category",
        "ci_refs",
        "error",
        "fix",
        "group",
        "hold_reason",
        "impact",
        "instructions",
        "kb_refs",
        "l3_kind",
        "l3_name",
        "l3_reference",
        "line",
        "links",
        "note",
        "phase",
        "raw_state",
        "resolution_code",
        "resolution_notes",
        "specialisations",
        "subcategory",
        "symptom",
        "tier",
        "urgency",
        "vendor_text",
    )

    def __init__(self, line: int, at: datetime | None, phase: Phase | None, raw_state: str) -> None:
        self.line = line
        self.at = at
        self.phase = phase
        self.raw_state = raw_state
        self.error: str | None = None
        self.hold_reason: HoldReason | None = None
        self.actor: str | None = None
        self.group: str | None = None
        self.tier: Tier | None = None
        self.assignee: str | None = None
        self.impact: Impact | None = None
        self.urgency: Urgency | None = None
        self.category: str | None = None
        self.subcategory: str | None = None
        self.symptom: str | None = None
        self.ci_refs: tuple[str, ...] | None = None
        self.links: tuple[Link, ...] = ()
        self.resolution_code: str | None = None
        self.resolution_notes: str | None = None
        self.l3_kind: L3TargetKind | None = None
        self.l3_name: str | None = None
        self.l3_reference: str | None = None
        self.kb_refs: tuple[str, ...] = ()
        self.specialisations: tuple[str, ...] = ()
        self.note: str | None = None
        self.vendor_text: str | None = None
        self.instructions: str | None = None
        self.fix: str | None = None

    def __repr__(self) -> str:
        return f"<Step line {self.line} {self.raw_state!r} at {self.at} group {self.group!r}>"


class Case:
    """One incident or trace: its id, the fields it opens with, and its steps."""

    __slots__ = (
        "attributes",
        "caller",
        "channel",
        "id",
        "kind",
        "opened_at",
        "steps",
        "title",
    )

    def __init__(self, id: str, steps: list[Step]) -> None:
        self.id = id
        self.steps = steps
        self.title: str = id
        self.opened_at: datetime | None = None
        self.caller: str | None = None
        self.channel: Channel = Channel.PHONE
        self.kind: TicketKind = TicketKind.INCIDENT
        self.attributes: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Case {self.id} {len(self.steps)} steps>"


class Actors:
    """Who an import's moves are made by: one actor per updater name, with the system role.

    A row without an updater is the system's. Made once per name (names repeat
    row after row).
    """

    def __init__(self) -> None:
        self.made: dict[str, Actor] = {}
        """Name → actor, for a caller that looks names up itself (a hot loop)."""

    def __call__(self, name: str | None) -> Actor:
        if name is None:
            return SYSTEM
        actor = self.made.get(name)
        if actor is None:
            actor = self.made[name] = Actor(name, roles={Role.SYSTEM})
        return actor
