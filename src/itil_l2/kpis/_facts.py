"""One pass over a ticket's history: the facts every ticket KPI is computed from.

KPIs are measured from histories, so an imported log and a live ticket are
measured the same way. Reading a history once per ticket and handing the
summary to every KPI keeps a full KPI set over many tickets to one pass.

Terms used by every KPI definition:

- *ended*: the ticket's standing state is resolved, closed or cancelled. A
  resolved or closed ticket ended at its standing resolution (the last
  resolve no reopen undid); a cancelled one when it was cancelled.
- *handled at* a tier: the ticket was assigned to a group of that tier at
  some point (a ticket resolved or cancelled while still unassigned was
  handled by its owner group's tier).
- *group changes*: reassignments, escalations and hand-backs, i.e. every
  change of the assignment group after the first assignment (what
  ServiceNow calls the reassignment count).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.kpis._kept import GROUP_EVENTS, FactsWithoutTicket, Interval, Kept, tier_intervals
from itil_l2.tickets import Resolution, Ticket
from itil_l2.tickets import events as ev

__all__ = ["KpiFacts", "kpi_facts"]

_HOUR = timedelta(hours=1)
PARTS = ("queue", "work", "hold", "total")
_PART_INDEX = {"queue": 0, "work": 1, "hold": 2, "total": 3}


def _level(tier: Tier) -> int:
    """1, 2 or 3 by identity (an Enum's hash and `level` are Python-level calls)."""
    return 1 if tier is Tier.L1 else 2 if tier is Tier.L2 else 3


def tier_bit(tier: Tier) -> int:
    """The bit of `tier` in `KpiFacts.tier_mask`."""
    return 1 << _level(tier)


def escalation_bit(source: Tier, target: Tier) -> int:
    """The bit of an escalation from `source` to `target` in `KpiFacts.escalation_mask`."""
    return 1 << (4 * _level(source) + _level(target))


_TIERS = {1: Tier.L1, 2: Tier.L2, 3: Tier.L3}


class KpiFacts:
    """The summary of one ticket's history that ticket KPIs read (see module doc).

    Read-only by convention; built by `kpi_facts`. Tier sets are kept as
    bit masks (`tier_mask`, `escalation_mask`, `hand_back_mask`) because a
    KPI set asks them many times per ticket; `tiers`, `escalated` and
    `handed_back_from` give them as sets of `Tier`s.

    >>> from itil_l2 import Tier
    >>> from itil_l2.kpis import kpi_facts
    >>> from itil_l2.testing import example_printer_ticket
    >>> f = kpi_facts(example_printer_ticket(resolved=True))
    >>> f.end_kind, f.resolved_tier.value, f.group_changes, f.tier_hours(Tier.L1, "work")
    ('resolved', 'L1', 0, 0.9666666666666667)
    """

    __slots__ = (
        "_resolution",
        "_ticket",
        "end_at",
        "end_group",
        "end_kind",
        "escalation_mask",
        "group_changes",
        "hand_back_mask",
        "hours",
        "id",
        "intervals_cache",
        "kept",
        "opened_at",
        "owner_tier",
        "ping_pongs",
        "reopens",
        "resolved_tier",
        "responded_at",
        "restored_at",
        "successful",
        "tier_mask",
    )

    def __init__(self, ticket: Ticket | None) -> None:
        self._ticket = ticket
        self.end_at: datetime | None = None
        self.end_kind: Literal["resolved", "cancelled"] | None = None
        self._resolution: Resolution | None = None
        self.resolved_tier: Tier | None = None
        self.restored_at: datetime | None = None
        self.responded_at: datetime | None = None
        """When an agent first started work on it, or resolved it unstarted (None: neither)."""
        self.successful = False
        """Whether the standing resolution's code counts as solved."""
        self.tier_mask = 0
        self.escalation_mask = 0
        self.hand_back_mask = 0
        self.group_changes = 0
        self.ping_pongs = 0
        self.reopens = 0
        self.hours = [0.0] * 16  # wall-clock hours by 4 * tier level + part index
        self.intervals_cache: list[Interval] | None = None
        self.kept: Kept | None = None  # what facts without a ticket keep of it
        if ticket is not None:
            self.id: str = ticket.id
            self.opened_at: datetime = ticket.history[0].at
            self.end_group: SupportGroup = ticket.owner_group
            self.owner_tier: Tier = self.end_group.tier
            """The tier of the ticket's owner group."""

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> KpiFacts:
        """Facts without a ticket behind them, from a `facts_row` (e.g. read from storage).

        Every metric of `standard_metrics()` and their clocked or coded
        variants read them as they read a ticket's facts; what needs the
        ticket itself (`ticket`, `resolution`, SLA compliance, a report's
        recorded flags) raises `FactsWithoutTicket`. A row of another
        `FACTS_VERSION` is `OutdatedFacts`, one that is no facts row
        `CorruptHistory`.

        >>> from itil_l2.kpis import KpiFacts, facts_row, kpi_facts
        >>> from itil_l2.testing import example_printer_ticket
        >>> f = kpi_facts(example_printer_ticket(resolved=True))
        >>> g = KpiFacts.from_row(facts_row(f))
        >>> (g.id, g.end_kind, g.category, g.successful) == (f.id, f.end_kind, f.category, True)
        True
        """
        from itil_l2.kpis._stored import facts_from_row

        return facts_from_row(row)

    @property
    def ticket(self) -> Ticket:
        """The ticket these facts were read from (`FactsWithoutTicket` for stored facts)."""
        if self._ticket is None:
            raise FactsWithoutTicket(f"ticket {self.id!r}: the ticket")
        return self._ticket

    @property
    def resolution(self) -> Resolution | None:
        """The standing resolution (stored facts: `FactsWithoutTicket`; see `resolution_code`)."""
        if self._ticket is None:
            raise FactsWithoutTicket(f"ticket {self.id!r}: its resolution")
        return self._resolution

    @property
    def resolution_code(self) -> str | None:
        """The standing resolution's code string (None: no standing resolution)."""
        if self.kept is not None:
            return self.kept.resolution_code
        res = self._resolution
        return None if res is None else res.code.code

    @property
    def category(self) -> str | None:
        """The ticket's category."""
        return self.kept.category if self.kept is not None else self.ticket.category

    @property
    def priority(self) -> str:
        """The ticket's priority name, "P1" .. "P5"."""
        return self.kept.priority if self.kept is not None else self.ticket.priority.name

    @property
    def ci_refs(self) -> tuple[str, ...]:
        """The ticket's distinct configuration items, in order."""
        if self.kept is not None:
            return self.kept.ci_refs()
        return tuple(dict.fromkeys(self.ticket.ci_refs))

    @property
    def resolves(self) -> tuple[tuple[datetime, str], ...]:
        """Every resolve of the history, in order: (when, resolution code string)."""
        if self.kept is not None:
            return self.kept.resolves()
        return tuple(
            (e.at, e.payload.resolution.code.code)
            for e in self.ticket.history
            if type(e.payload) is ev.Resolved
        )

    @property
    def tiers(self) -> frozenset[Tier]:
        """The tiers the ticket was handled at."""
        return frozenset(t for level, t in _TIERS.items() if self.tier_mask >> level & 1)

    @property
    def escalated(self) -> frozenset[tuple[Tier, Tier]]:
        """The (from, to) tier pairs of its escalations."""
        return frozenset(
            (a, b) for a in Tier for b in Tier if self.escalation_mask & escalation_bit(a, b)
        )

    @property
    def handed_back_from(self) -> frozenset[Tier]:
        """The tiers that handed it back down."""
        return frozenset(t for level, t in _TIERS.items() if self.hand_back_mask >> level & 1)

    def handled_at(self, tier: Tier) -> bool:
        """Whether the ticket was ever at `tier`."""
        return bool(self.tier_mask & tier_bit(tier))

    def tier_hours(self, tier: Tier, part: str) -> float:
        """Wall-clock hours at `tier` in `part` ("queue", "work", "hold" or "total")."""
        return self.hours[4 * _level(tier) + _PART_INDEX[part]]

    @property
    def intervals(self) -> list[Interval]:
        """`tier_intervals(ticket)`, read once and kept for the next metric."""
        if self.intervals_cache is None:
            kept = self.kept
            self.intervals_cache = (
                kept.intervals() if kept is not None else tier_intervals(self.ticket)
            )
        return self.intervals_cache


# For the one pass: which part of the clock an event starts (0 queue, 1 work,
# 2 hold, -1 none), and which events move the ticket to another group.
_NEXT = {
    ev.Assigned: 0,
    ev.Reassigned: 0,
    ev.Escalated: 0,
    ev.HandedBack: 0,
    ev.Requeued: 0,
    ev.Started: 1,
    ev.Resumed: 1,
    ev.Reopened: 1,
    ev.Held: 2,
    ev.Resolved: -1,
    ev.Cancelled: -1,
    ev.Closed: -1,
}
_GROUP_EVENTS = GROUP_EVENTS
# Module constants: a global read is cheaper than an attribute of a module or an Enum.
_L1, _L2 = Tier.L1, Tier.L2
_ASSIGNED, _ESCALATED, _HANDED_BACK = ev.Assigned, ev.Escalated, ev.HandedBack
_STARTED, _RESOLVED, _REOPENED, _CANCELLED = ev.Started, ev.Resolved, ev.Reopened, ev.Cancelled


def kpi_facts(ticket: Ticket) -> KpiFacts:  # noqa: PLR0912, PLR0915 - flat on purpose
    """Read `ticket`'s history once and return its `KpiFacts`.

    The hot path of every KPI over tickets, so one flat loop (a helper call
    per event would cost more than the loop's own work): state in locals,
    tier levels by identity, every slot written once at the end.
    """
    history = ticket.history
    owner: SupportGroup = ticket.owner_group
    group: SupportGroup | None = None
    names: list[str] = []
    resolution: Resolution | None = None
    resolved_at = responded = restored = cancelled = None
    resolved_tier: Tier | None = None
    hours = [0.0] * 16  # wall-clock hours by 4 * tier level + part index
    mask = escalations = hand_backs = changes = reopens = 0
    owner_tier = tier = owner.tier
    opened = since = history[0].at
    level, part = 1 if tier is _L1 else 2 if tier is _L2 else 3, 0
    for event in history:
        p = event.payload
        cls = type(p)
        nxt = _NEXT.get(cls)
        if nxt is None:
            continue
        at = event.at
        if part >= 0 and at > since:
            span = (at - since) / _HOUR
            hours[4 * level + part] += span
            hours[4 * level + 3] += span
        part, since = nxt, at
        if cls in _GROUP_EVENTS:
            group_had = group is not None
            group = p.group  # type: ignore[union-attr]
            tier = group.tier
            new = 1 if tier is _L1 else 2 if tier is _L2 else 3
            mask |= 1 << new
            if cls is not _ASSIGNED:
                changes += 1
                if group_had and cls is _ESCALATED:
                    escalations |= 1 << (4 * level + new)
                elif group_had and cls is _HANDED_BACK:
                    hand_backs |= 1 << level
            level = new
            names.append(group.name)
        elif cls is _STARTED:
            if responded is None:
                responded = at
        elif cls is _RESOLVED:
            if responded is None:
                responded = at
            if group is None:
                group = owner
                mask |= 1 << level
            resolution = p.resolution  # type: ignore[union-attr]
            resolved_tier = group.tier
            resolved_at = at
            if restored is None and resolution.code.successful:
                restored = at
        elif cls is _REOPENED:
            resolution = resolved_at = resolved_tier = None  # a reopen undoes the resolution
            reopens += 1
        elif cls is _CANCELLED:
            if group is None:
                group = owner
                mask |= 1 << level
            cancelled = at
    facts: KpiFacts = _new(KpiFacts)
    facts._ticket = ticket
    facts.id = ticket.id
    facts.opened_at = opened
    facts.owner_tier = owner_tier
    facts.end_group = owner if group is None else group
    facts._resolution = resolution
    facts.resolved_tier = resolved_tier
    if resolution is not None:  # the standing resolution
        facts.end_kind, facts.end_at = "resolved", resolved_at
        facts.successful = resolution.code.successful
    else:
        facts.end_kind = None if cancelled is None else "cancelled"
        facts.end_at = cancelled
        facts.successful = False
    facts.restored_at = restored
    facts.responded_at = responded
    facts.tier_mask = mask
    facts.escalation_mask = escalations
    facts.hand_back_mask = hand_backs
    facts.group_changes = changes
    facts.ping_pongs = _bounces(names) if len(names) > 2 else 0
    facts.reopens = reopens
    facts.hours = hours
    facts.intervals_cache = facts.kept = None
    return facts


_new = object.__new__


def _bounces(names: list[str]) -> int:
    """A→B→A returns in a sequence of groups."""
    return sum(
        1 for i in range(2, len(names)) if names[i] == names[i - 2] and names[i] != names[i - 1]
    )
