"""Time KPIs: resolution time, time to restore, time spent per tier.

"MTTR" has four meanings (repair, recovery/restore, respond, resolve) and a
mean hides a long tail, so each figure here says which clock it reads and
returns the whole distribution: `value` is the chosen statistic (mean by
default; "median", "p90", any "pNN"), the rest is in `result.distribution`.
Durations are in hours, wall-clock by default, business hours with a
`clock` (anything with `between(a, b) -> timedelta`, such as the SLA
work's `BusinessCalendar`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Literal, Protocol

from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis._batch import Columns, Split, with_batch
from itil_l2.kpis._engine import STILL_OPEN, Metric, measure_one
from itil_l2.kpis._facts import KpiFacts, tier_bit
from itil_l2.kpis._result import KpiResult
from itil_l2.tickets import Ticket

__all__ = [
    "BusinessClock",
    "resolution_time",
    "resolution_time_metric",
    "response_time",
    "response_time_metric",
    "tier_time",
    "tier_time_metric",
    "time_to_restore",
    "time_to_restore_metric",
]

_HOUR = timedelta(hours=1)
Part = Literal["queue", "work", "hold", "total"]


class BusinessClock(Protocol):
    """Anything that counts the business time between two instants."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        """The business time from `a` to `b`."""
        ...


def _hours(clock: BusinessClock | None, a: datetime, b: datetime) -> float:
    return (b - a if clock is None else clock.between(a, b)) / _HOUR


def _name(base: str, clock: BusinessClock | None) -> str:
    return base if clock is None else f"business_{base}"


def _since_opened(
    base: str,
    until: Callable[[KpiFacts], datetime | None],
    missing: str,
    statistic: str,
    clock: BusinessClock | None,
    column: str | None = None,
) -> Metric:
    """Hours per ended ticket from opened to `until(facts)`; excluded as `missing` without one.

    `column`: "responded" or "restored" when `until` reads that moment
    (then, without a clock, the metric has a batch rule).
    """

    def rule(f: KpiFacts) -> float | str:
        if f.end_kind is None:
            return STILL_OPEN
        end = until(f)
        if end is None:
            return missing
        if clock is None:  # the common case: no call to a clock
            return (end - f.opened_at) / _HOUR
        return clock.between(f.opened_at, end) / _HOUR

    def batch(c: Columns) -> Split:
        hours = c[f"to_{column}"]
        done = c.excluded(
            f"still open, {missing} ({column})",
            lambda: [
                STILL_OPEN if k is None else missing if h is None else None
                for k, h in zip(c["end_kind"], hours, strict=True)
            ],
        )
        return Split(done, done.kept(hours))

    if clock is None and column is not None:
        rule = with_batch(rule, batch)
    return Metric(_name(base, clock), "distribution", rule, statistic, "hours")


def resolution_time_metric(statistic: str = "mean", clock: BusinessClock | None = None) -> Metric:
    """The resolution-time metric (see `resolution_time`)."""

    def rule(f: KpiFacts) -> float | str:
        if f.end_kind == "resolved":
            if clock is None:  # the common case: no call to a clock
                return (f.end_at - f.opened_at) / _HOUR  # type: ignore[operator]
            return clock.between(f.opened_at, f.end_at) / _HOUR  # type: ignore[arg-type]
        return "cancelled" if f.end_kind == "cancelled" else STILL_OPEN

    def batch(c: Columns) -> Split:
        done = c.excluded(
            "not resolved",
            lambda: [
                None if k == "resolved" else "cancelled" if k == "cancelled" else STILL_OPEN
                for k in c["end_kind"]
            ],
        )
        return Split(done, done.kept(c["to_end"]))

    if clock is None:
        rule = with_batch(rule, batch)
    return Metric(_name("resolution_time", clock), "distribution", rule, statistic, "hours")


def resolution_time(
    tickets: Iterable[Ticket],
    *,
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Resolution time in hours: opened → standing resolution.

    Definition ("resolution_time", or "business_resolution_time" with a
    `clock`): for every ticket whose standing state is resolved or closed,
    the time from its first event (opened) to its standing resolution (the
    last resolve no reopen undid, so time spent reopened counts). Excluded:
    cancelled tickets ("cancelled"), tickets still open or reopened
    ("still open"), with `period` those that ended outside it. Any
    resolution code counts (use `resolution_rate` for success).

    >>> from itil_l2.testing import example_printer_ticket
    >>> t = example_printer_ticket(resolved=True)
    >>> r = resolution_time([t])
    >>> r.value == (t.resolved_at - t.opened_at).total_seconds() / 3600, r.sample_size
    (True, 1)
    """
    return measure_one(resolution_time_metric(statistic, clock), tickets, period)


def response_time_metric(statistic: str = "mean", clock: BusinessClock | None = None) -> Metric:
    """The response-time metric (see `response_time`)."""
    return _since_opened("response_time", _RESPONDED, "never worked", statistic, clock, "responded")


_RESPONDED: Callable[[KpiFacts], datetime | None] = attrgetter("responded_at")
_RESTORED: Callable[[KpiFacts], datetime | None] = attrgetter("restored_at")


def response_time(
    tickets: Iterable[Ticket],
    *,
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Response time in hours: opened → an agent first started work.

    Definition ("response_time" / "business_response_time"): for every
    ended ticket, the time from opened to its first `start` (or to its
    first resolve, when it was resolved without being started), as the SLA
    work's response clock reads it. Excluded: tickets that ended without
    either, e.g. cancelled unstarted ("never worked"), tickets still open.
    Grouped by "group" in `kpi_table`, this is the "average response per
    group".
    """
    return measure_one(response_time_metric(statistic, clock), tickets, period)


def _first_resolve(f: KpiFacts, codes: Collection[str]) -> datetime | None:
    for at, code in f.resolves:
        if code in codes:
            return at
    return None


def time_to_restore_metric(
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    codes: Collection[str] | None = None,
) -> Metric:
    """The time-to-restore metric (see `time_to_restore`)."""

    def restored(f: KpiFacts) -> datetime | None:
        return _first_resolve(f, codes)  # type: ignore[arg-type]

    if codes is None:
        return _since_opened(
            "time_to_restore", _RESTORED, "never restored", statistic, clock, "restored"
        )
    return _since_opened("time_to_restore", restored, "never restored", statistic, clock)


def time_to_restore(
    tickets: Iterable[Ticket],
    *,
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    codes: Collection[str] | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Time to restore service in hours: opened → first workaround or fix.

    Definition ("time_to_restore" / "business_time_to_restore"): for every
    ended ticket, the time from opened to its FIRST resolve with a
    successful code (a workaround restores service as much as a fix does,
    and a later reopen does not undo the restore). With `codes` (e.g.
    `{"solved_workaround"}`), the first resolve with one of those code
    strings counts instead. Excluded: tickets never restored ("never
    restored", e.g. cancelled), tickets still open ("still open").
    """
    return measure_one(time_to_restore_metric(statistic, clock, codes), tickets, period)


def tier_time_metric(
    tier: Tier,
    part: Part = "total",
    statistic: str = "mean",
    clock: BusinessClock | None = None,
) -> Metric:
    """The time-per-tier metric (see `tier_time`)."""
    if part not in ("queue", "work", "hold", "total"):
        raise ValidationError(f"part is queue, work, hold or total, not {part!r}")
    tier = Tier(tier)
    bit, never = tier_bit(tier), f"never at {tier}"
    slot = 4 * tier.level + ("queue", "work", "hold", "total").index(part)

    def rule(f: KpiFacts) -> float | str:
        if f.end_kind is None:
            return STILL_OPEN
        if not f.tier_mask & bit and f.owner_tier is not tier:
            return never
        if clock is None:  # kept by `kpi_facts` in its one pass
            return f.hours[slot]
        return sum(
            _hours(clock, start, end)
            for t, p, start, end in f.intervals
            if t is tier and part in ("total", p)
        )

    def excluded(c: Columns) -> list[str | None]:
        return [
            STILL_OPEN if k is None else never if not m & bit and o is not tier else None
            for k, m, o in zip(c["end_kind"], c["tier_mask"], c["owner_tier"], strict=True)
        ]

    def batch(c: Columns) -> Split:
        at = c.excluded(f"{never} (held or owned)", lambda: excluded(c))
        return Split(at, at.kept(c[f"h{slot}"]))

    if clock is None:
        rule = with_batch(rule, batch)
    name = _name(f"{tier.value.lower()}_{part}_time", clock)
    return Metric(name, "distribution", rule, statistic, "hours")


def tier_time(
    tickets: Iterable[Ticket],
    tier: Tier,
    *,
    part: Part = "total",
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Hours an ended ticket spent at `tier`: queued, worked, on hold, or in total.

    Definition (e.g. "l2_queue_time"): per ended ticket that was at `tier`,
    the sum of its stretches at that tier (see `tier_intervals`): queue =
    new or queued (waiting for someone to start), work = in progress, hold
    = on hold, total = all three. Time while resolved and after the end is
    not counted. Excluded: tickets never at `tier`, tickets still open.
    """
    return measure_one(tier_time_metric(tier, part, statistic, clock), tickets, period)
