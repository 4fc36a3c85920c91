"""What facts without a ticket keep of it, and the stretches of a ticket's life per tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec

from itil_l2._core.tier import Tier
from itil_l2.errors import CorruptHistory, ValidationError
from itil_l2.tickets import Ticket
from itil_l2.tickets import events as ev

__all__ = ["GROUP_EVENTS", "FactsWithoutTicket", "Interval", "Kept", "Part", "tier_intervals"]

Part = Literal["queue", "work", "hold"]
Interval = tuple[Tier, Part, datetime, datetime]
"""(tier, part, start, end): a stretch of a ticket's life at one tier."""
GROUP_EVENTS = frozenset({ev.Assigned, ev.Reassigned, ev.Escalated, ev.HandedBack})
"""The events that move a ticket to another group."""


class Kept:
    """What facts without a ticket keep of it (`KpiFacts.from_row`).

    The CI list and `detail` (tier intervals and every resolve, for clocked
    and coded metrics) stay JSON text until a metric asks: most never do.
    """

    __slots__ = (
        "category",
        "ci_text",
        "detail",
        "opened_us",
        "priority",
        "resolution_code",
    )

    def __init__(
        self,
        category: str | None,
        priority: str,
        ci_text: str,
        resolution_code: str | None,
        opened_us: int,
        detail: str,
    ) -> None:
        self.category = category
        self.priority = priority
        self.ci_text = ci_text
        self.resolution_code = resolution_code
        self.opened_us = opened_us
        self.detail = detail

    def ci_refs(self) -> tuple[str, ...]:
        """The distinct CI references, in order."""
        try:
            refs = _loads(self.ci_text)
        except (msgspec.DecodeError, RecursionError) as exc:  # RecursionError: nested too deep
            raise CorruptHistory(f"stored facts: ci_refs is not JSON: {exc}") from None
        if type(refs) is not list or not all(type(r) is str for r in refs):
            raise CorruptHistory(
                f"stored facts: ci_refs is not a JSON list of strings: {self.ci_text!r}"
            )
        return tuple(refs)

    def _detail(self) -> dict[str, Any]:
        try:
            data = _loads(self.detail)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise CorruptHistory(f"stored facts: detail is not JSON: {exc}") from None
        if type(data) is not dict:
            raise CorruptHistory(f"stored facts: detail is not a JSON object: {self.detail[:80]!r}")
        return data

    def intervals(self) -> list[Interval]:
        """The tier intervals (`tier_intervals`), from the stored offsets."""
        base = self.opened_us
        try:
            return [
                (_TIERS[level], _PARTS[part], _time(base + a), _time(base + b))
                for level, part, a, b in self._detail()["i"]
            ]
        except (KeyError, IndexError, TypeError, ValueError, OverflowError) as exc:
            raise CorruptHistory(
                f"stored facts: detail holds no readable intervals: {exc!r}"
            ) from None

    def resolves(self) -> tuple[tuple[datetime, str], ...]:
        """Every resolve: (when, code string)."""
        base = self.opened_us
        try:
            found = tuple((_time(base + at), code) for at, code in self._detail()["r"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise CorruptHistory(
                f"stored facts: detail holds no readable resolves: {exc!r}"
            ) from None
        if not all(type(code) is str for _, code in found):
            raise CorruptHistory("stored facts: detail holds a resolve whose code is not a string")
        return found


_loads = msgspec.json.Decoder().decode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIERS = {1: Tier.L1, 2: Tier.L2, 3: Tier.L3}
_PARTS: tuple[Part, ...] = ("queue", "work", "hold")


def _time(us: int) -> datetime:
    if type(us) is not int:
        raise TypeError(f"a time offset is an integer of microseconds, not {us!r}")
    return _EPOCH + timedelta(0, 0, us)


class FactsWithoutTicket(ValidationError):
    """A metric needs the ticket itself, and these facts were read without one.

    Facts read from storage (`KpiFacts.from_row`) answer every metric of
    `standard_metrics()`; SLA compliance and a report's recorded flags read
    the ticket: measure those over tickets (replayed) instead.
    """

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is not kept in facts read without the ticket;"
            " measure this metric over the tickets themselves"
        )


_NEXT_PART: dict[type, Part | None] = {
    ev.Assigned: "queue",
    ev.Reassigned: "queue",
    ev.Escalated: "queue",
    ev.HandedBack: "queue",
    ev.Requeued: "queue",
    ev.Started: "work",
    ev.Resumed: "work",
    ev.Reopened: "work",
    ev.Held: "hold",
    ev.Resolved: None,
    ev.Cancelled: None,
    ev.Closed: None,
}


def tier_intervals(ticket: Ticket) -> list[Interval]:
    """The stretches of `ticket`'s life per tier: queue, work and hold time.

    Queue time runs while the ticket is new (at its owner group's tier) or
    queued, work time while in progress, hold time while on hold. Time
    between a resolution and a reopen, and after the ticket ended, is not
    counted. Stretches of zero length are left out.
    """
    out: list[Interval] = []
    tier = ticket.owner_group.tier
    part: Part | None = "queue"
    since = ticket.history[0].at
    for event in ticket.history[1:]:
        p = event.payload
        cls = type(p)
        if cls not in _NEXT_PART:
            continue
        at = event.at
        if part is not None and at > since:
            out.append((tier, part, since, at))
        if cls in GROUP_EVENTS:
            tier = p.group.tier  # type: ignore[union-attr]
        part, since = _NEXT_PART[cls], at
    return out
