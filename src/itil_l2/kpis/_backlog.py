"""Backlog at an instant: how many tickets are owed work, and how old they are."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from itil_l2._core.tier import Tier
from itil_l2._core.time import ensure_aware
from itil_l2.kpis._result import Distribution, Exclusion, KpiResult
from itil_l2.tickets import Ticket
from itil_l2.tickets import events as ev

__all__ = ["backlog"]

_HOUR = timedelta(hours=1)
_MOVES = (ev.Assigned, ev.Reassigned, ev.Escalated, ev.HandedBack)


def _state_at(ticket: Ticket, at: datetime) -> tuple[str | None, Tier]:
    """(None if open, else why not in the backlog) and the tier, as of `at`."""
    history = ticket.history
    if history[0].at > at:
        return "not yet opened", ticket.owner_group.tier
    reason: str | None = None
    tier = ticket.owner_group.tier
    for event in history:
        if event.at > at:
            break
        p = event.payload
        if isinstance(p, _MOVES):
            tier = p.group.tier
        elif isinstance(p, ev.Resolved):
            reason = "resolved"
        elif isinstance(p, ev.Reopened):
            reason = None
        elif isinstance(p, ev.Closed | ev.Cancelled):
            reason = "closed" if isinstance(p, ev.Closed) else "cancelled"
    return reason, tier


def backlog(tickets: Iterable[Ticket], at: datetime, *, tier: Tier | None = None) -> KpiResult:
    """The open tickets at instant `at`, with their ages.

    Definition ("backlog"): tickets opened at or before `at` whose phase at
    `at`, replayed from the history, was new, queued, in progress or on hold
    (a resolved ticket is not owed work; a reopened one is again). With
    `tier`, only tickets at that tier at `at` count. `value` is the count;
    `distribution` holds each one's age at `at` in hours (read
    `distribution.median`, `.p90` or `.percentile(p)`). Excluded, with the
    reason: not yet opened, resolved, closed, cancelled, or at another tier.

    >>> from datetime import timedelta
    >>> from itil_l2.testing import example_printer_ticket
    >>> t = example_printer_ticket(resolved=False)
    >>> r = backlog([t], t.opened_at + timedelta(hours=2))
    >>> r.value, r.distribution.values
    (1.0, (2.0,))
    """
    ensure_aware(at)
    wanted = None if tier is None else Tier(tier)
    ages: list[float] = []
    excluded: list[Exclusion] = []
    for ticket in tickets:
        reason, now_tier = _state_at(ticket, at)
        if reason is None and wanted is not None and now_tier is not wanted:
            reason = f"at {now_tier}"
        if reason is None:
            ages.append((at - ticket.opened_at) / _HOUR)
        else:
            excluded.append(Exclusion(ticket.id, reason))
    dist = Distribution(ages)
    return KpiResult(
        "backlog", float(dist.count), dist.count, tuple(excluded), distribution=dist, unit="tickets"
    )
