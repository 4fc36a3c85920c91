"""Rate and count KPIs: resolution rate, FCR, escalations, reopens, reassignments.

Every rate is numerator ÷ denominator over ended tickets (resolved, closed
or cancelled), in the period in which they ended; `value` is None when the
denominator is empty. Tickets outside the denominator are listed in
`excluded` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from itil_l2._core.tier import Tier
from itil_l2.knowledge import Period
from itil_l2.kpis._batch import Columns, Excluded, Split, with_batch
from itil_l2.kpis._engine import STILL_OPEN, Metric, ended, measure_one
from itil_l2.kpis._facts import KpiFacts, escalation_bit, tier_bit
from itil_l2.kpis._result import KpiResult
from itil_l2.tickets import Ticket

__all__ = [
    "NO_GROUP_DATA",
    "NO_GROUP_NAME",
    "escalation_rate",
    "escalation_rate_metric",
    "first_contact_resolution",
    "first_contact_resolution_metric",
    "hand_back_rate",
    "hand_back_rate_metric",
    "ping_pong",
    "ping_pong_metric",
    "reassignment_count",
    "reassignment_count_metric",
    "reopen_rate",
    "reopen_rate_metric",
    "reopened_tickets_metric",
    "resolution_rate",
    "resolution_rate_metric",
]


NO_GROUP_NAME = "(no group)"
"""The group an importer puts a ticket in when its log names no group at all."""
NO_GROUP_DATA = "no group data"
"""Why an escalation rate leaves out a ticket that never had a group."""


def resolution_rate_metric(tier: Tier | None = None) -> Metric:
    """The resolution-rate metric (see `resolution_rate`)."""
    wanted = None if tier is None else Tier(tier)
    bit = 0 if wanted is None else tier_bit(wanted)
    never = f"never at {wanted}"

    def rule(f: KpiFacts) -> bool | str:
        if f.end_kind is None:
            return STILL_OPEN
        if wanted is None:
            return f.successful
        if not f.tier_mask & bit:
            return never
        return f.successful and f.resolved_tier is wanted

    def batch(c: Columns) -> Split:
        if wanted is None:
            done = ended(c)
            return Split(done, done.kept(c["successful"]))
        at = _at_tier(c, bit, never)
        return Split(
            at,
            [
                s and r is wanted
                for s, r in zip(at.kept(c["successful"]), at.kept(c["resolved_tier"]), strict=True)
            ],
        )

    name = "resolution_rate" if wanted is None else f"resolution_rate_{wanted.value.lower()}"
    return Metric(name, "rate", with_batch(rule, batch))


def resolution_rate(
    tickets: Iterable[Ticket], *, tier: Tier | None = None, period: Period | None = None
) -> KpiResult:
    """The seed's "% successfully resolved".

    Definition ("resolution_rate"): tickets whose standing resolution has a
    `ResolutionCode` with `successful=True` ÷ tickets that ended (resolved,
    closed or cancelled). Excluded: tickets still open.

    Per tier ("resolution_rate_l2" with `tier=Tier.L2`): tickets resolved
    successfully while assigned to an L2 group ÷ ended tickets that were
    handled at L2; tickets never at L2 are excluded ("never at L2").

    >>> from itil_l2.testing import example_printer_ticket
    >>> resolution_rate([example_printer_ticket(resolved=True),
    ...                  example_printer_ticket(resolved=False)]).value  # 1 solved / 1 ended
    1.0
    """
    return measure_one(resolution_rate_metric(tier), tickets, period)


def first_contact_resolution_metric() -> Metric:
    """The first-contact-resolution metric (see `first_contact_resolution`)."""

    def rule(f: KpiFacts) -> bool | str:
        if f.end_kind is None:
            return STILL_OPEN
        if f.end_kind == "cancelled":
            return "cancelled"
        return (
            f.successful and f.resolved_tier is Tier.L1 and f.group_changes == 0 and not f.reopens
        )

    def batch(c: Columns) -> Split:
        l1 = Tier.L1
        done = c.excluded(
            "still open, cancelled",
            lambda: [
                STILL_OPEN if k is None else "cancelled" if k == "cancelled" else None
                for k in c["end_kind"]
            ],
        )
        kept = done.kept
        return Split(
            done,
            [
                s and r is l1 and g == 0 and not o
                for s, r, g, o in zip(
                    kept(c["successful"]),
                    kept(c["resolved_tier"]),
                    kept(c["group_changes"]),
                    kept(c["reopens"]),
                    strict=True,
                )
            ],
        )

    return Metric("first_contact_resolution", "rate", with_batch(rule, batch))


def first_contact_resolution(
    tickets: Iterable[Ticket], *, period: Period | None = None
) -> KpiResult:
    """First-contact resolution (HDI): solved by the first line without a transfer.

    Definition ("first_contact_resolution"): tickets resolved successfully
    at L1 that never changed group (no reassignment, escalation or hand-
    back) and were never reopened ÷ resolved or closed tickets. Excluded:
    cancelled tickets ("cancelled"), tickets still open.
    """
    return measure_one(first_contact_resolution_metric(), tickets, period)


def escalation_rate_metric(source: Tier = Tier.L2, target: Tier = Tier.L3) -> Metric:
    """The escalation-rate metric (see `escalation_rate`)."""
    source, target = Tier(source), Tier(target)
    step = escalation_bit(source, target)
    name = f"escalation_rate_{source.value.lower()}_{target.value.lower()}"
    return _rate_at(name, source, "escalation_mask", step, needs_groups=True)


def escalation_rate(
    tickets: Iterable[Ticket],
    *,
    source: Tier = Tier.L2,
    target: Tier = Tier.L3,
    period: Period | None = None,
) -> KpiResult:
    """The seed's "% escalated to third level" (and the L1→L2 rate).

    Definition ("escalation_rate_l2_l3" by default): ended tickets that were
    escalated from a `source` group to a `target` group ÷ ended tickets
    handled at `source`. With the defaults: tickets that reached L3 from L2
    ÷ tickets handled at L2. `source=Tier.L1, target=Tier.L2` gives the
    L1→L2 escalation rate. Excluded: tickets never at `source`, tickets
    still open, tickets without group data ("no group data": an imported
    ticket whose log names no group is in `NO_GROUP_NAME` and never
    changed group), so a log without any group data gives no value (not
    measurable), not 0 %.
    """
    return measure_one(escalation_rate_metric(source, target), tickets, period)


def hand_back_rate_metric(source: Tier = Tier.L2) -> Metric:
    """The hand-back-rate metric (see `hand_back_rate`)."""
    source = Tier(source)
    name = f"hand_back_rate_{source.value.lower()}"
    return _rate_at(name, source, "hand_back_mask", tier_bit(source))


def hand_back_rate(
    tickets: Iterable[Ticket], *, source: Tier = Tier.L2, period: Period | None = None
) -> KpiResult:
    """How often a tier hands tickets back down (e.g. "solve with KB-123").

    Definition ("hand_back_rate_l2"): ended tickets handed back at least once
    from a `source` group ÷ ended tickets handled at `source`. Excluded:
    tickets never at `source`, tickets still open.
    """
    return measure_one(hand_back_rate_metric(source), tickets, period)


def reopen_rate_metric() -> Metric:
    """The reopen-rate metric (see `reopen_rate`)."""

    def rule(f: KpiFacts) -> bool | str:
        if f.end_kind is None:
            return STILL_OPEN
        if f.end_kind == "cancelled" and not f.reopens:
            return "cancelled"
        return f.reopens > 0

    def batch(c: Columns) -> Split:
        done = c.excluded(
            "still open, cancelled unreopened",
            lambda: [
                STILL_OPEN if k is None else "cancelled" if k == "cancelled" and not r else None
                for k, r in zip(c["end_kind"], c["reopens"], strict=True)
            ],
        )
        return Split(done, [r > 0 for r in done.kept(c["reopens"])])

    return Metric("reopen_rate", "rate", with_batch(rule, batch))


def reopened_tickets_metric() -> Metric:
    """The "reopened_tickets" metric: the share of all tickets, open or not, ever reopened.

    Unlike `reopen_rate` (resolutions that did not hold, among ended
    tickets) it excludes nothing: a support lead's first question, "how
    many of our tickets came back?".

    >>> from itil_l2.kpis import measure, reopened_tickets_metric
    >>> from itil_l2.testing import example_printer_ticket
    >>> result = measure([example_printer_ticket()], [reopened_tickets_metric()])
    >>> result["reopened_tickets"].value, result["reopened_tickets"].sample_size
    (0.0, 1)
    """

    def rule(f: KpiFacts) -> bool:
        return f.reopens > 0

    def batch(c: Columns) -> list[bool]:
        return [r > 0 for r in c["reopens"]]

    return Metric("reopened_tickets", "rate", with_batch(rule, batch))


def reopen_rate(tickets: Iterable[Ticket], *, period: Period | None = None) -> KpiResult:
    """Share of resolutions that did not hold.

    Definition ("reopen_rate"): ended tickets reopened at least once ÷ ended
    tickets that were resolved at least once (resolved or closed now, or
    cancelled after a reopen). Excluded: tickets cancelled without ever
    being resolved ("cancelled"), tickets still open.
    """
    return measure_one(reopen_rate_metric(), tickets, period)


def reassignment_count_metric(statistic: str = "mean") -> Metric:
    """The reassignment-count metric (see `reassignment_count`)."""
    return _count_metric("reassignment_count", "group_changes", statistic)


def reassignment_count(
    tickets: Iterable[Ticket], *, statistic: str = "mean", period: Period | None = None
) -> KpiResult:
    """The distribution of group changes per ended ticket.

    Definition ("reassignment_count"): per ended ticket, the number of times
    its assignment group changed after the first assignment (reassign,
    escalate and hand back all count, as in ServiceNow's reassignment
    count). `value` is the `statistic` (mean by default);
    `distribution.histogram()` gives how many tickets had 0, 1, 2, ...
    Excluded: tickets still open.
    """
    return measure_one(reassignment_count_metric(statistic), tickets, period)


def ping_pong_metric(statistic: str = "sum") -> Metric:
    """The ping-pong metric (see `ping_pong`)."""
    return _count_metric("ping_pong", "ping_pongs", statistic)


def ping_pong(
    tickets: Iterable[Ticket], *, statistic: str = "sum", period: Period | None = None
) -> KpiResult:
    """Tickets bouncing between groups: A → B → A.

    Definition ("ping_pong"): per ended ticket, the number of group changes
    that return the ticket to the group it had just before the previous
    change (in the sequence of assigned groups g0, g1, ..., each i ≥ 2 with
    g[i] = g[i−2] ≠ g[i−1]). `value` is the total over all tickets (the
    `statistic` "sum"); the per-ticket counts are in `distribution`.
    Excluded: tickets still open.
    """
    return measure_one(ping_pong_metric(statistic), tickets, period)


def _count_metric(name: str, count: str, statistic: str) -> Metric:
    """The count attribute `count` per ended ticket, as a distribution; open tickets excluded."""
    read = attrgetter(count)

    def rule(f: KpiFacts) -> float | str:
        return STILL_OPEN if f.end_kind is None else float(read(f))

    def batch(c: Columns) -> Split:
        done = ended(c)
        return Split(done, list(map(float, done.kept(c[count]))))

    return Metric(name, "distribution", with_batch(rule, batch), statistic, "count")


def _rate_at(
    name: str, tier: Tier, mask: str, hit_bit: int, *, needs_groups: bool = False
) -> Metric:
    """A rate over the ended tickets handled at `tier`: is `hit_bit` set in the mask `mask`?

    With `needs_groups`, a ticket without group data is excluded too: it was
    never routed, so whether it would have been escalated is unknown.
    """
    bit, never = tier_bit(tier), f"never at {tier}"
    read = attrgetter(mask)

    def rule(f: KpiFacts) -> bool | str:
        if f.end_kind is None:
            return STILL_OPEN
        if not f.tier_mask & bit:
            return never
        if needs_groups and f.group_changes == 0 and f.end_group.name == NO_GROUP_NAME:
            return NO_GROUP_DATA
        return bool(read(f) & hit_bit)

    def batch(c: Columns) -> Split:
        at = _routed_at(c, bit, never) if needs_groups else _at_tier(c, bit, never)
        return Split(at, list(map(bool, map(hit_bit.__and__, at.kept(c[mask])))))

    return Metric(name, "rate", with_batch(rule, batch))


def _at_tier(c: Columns, bit: int, never: str) -> Excluded:
    """Still open, or never at the tier of `bit` (`never`): shared by that tier's rates."""
    return c.excluded(
        never,
        lambda: [
            STILL_OPEN if k is None else never if not m & bit else None
            for k, m in zip(c["end_kind"], c["tier_mask"], strict=True)
        ],
    )


def _routed_at(c: Columns, bit: int, never: str) -> Excluded:
    """`_at_tier`, and never routed to a group (`NO_GROUP_DATA`)."""
    return c.excluded(
        f"{never}, {NO_GROUP_DATA}",
        lambda: [
            STILL_OPEN
            if k is None
            else never
            if not m & bit
            else NO_GROUP_DATA
            if g == 0 and n == NO_GROUP_NAME
            else None
            for k, m, g, n in zip(
                c["end_kind"],
                c["tier_mask"],
                c["group_changes"],
                c["end_group_name"],
                strict=True,
            )
        ],
    )
