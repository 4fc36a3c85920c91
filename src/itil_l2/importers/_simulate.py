"""A workload generator: realistic ticket streams through the workflow.

For demos, load tests and benchmarks. Tickets arrive as a Poisson process
whose rate follows the hour of day and the day of week (busy weekday
mornings, quiet nights and weekends); each gets a category with its CIs and
L2 group, an impact and urgency, and a life through the real triggers: L1
work, holds awaiting the caller, escalation to the category's L2 group with
a complete handover, now and then to an L3 vendor or development team and
back, hand-backs to L1, resolution (with KB articles), reopens, closure.
Everything is drawn from one `random.Random(seed)`: the same seed gives the
same tickets. Events that would lie after the last arrival are not made, so
the newest tickets are still open (a realistic backlog).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    SOLVED_WORKAROUND,
    Channel,
    Handover,
    HoldReason,
    L3Target,
    L3TargetKind,
    LinkKind,
    Resolution,
    SolutionAttempt,
    Ticket,
)

__all__ = ["CATEGORIES", "HOURLY_PROFILE", "WEEKDAY_PROFILE", "simulate"]

HOURLY_PROFILE = (
    0.08, 0.05, 0.04, 0.04, 0.05, 0.1, 0.3, 0.7, 1.4, 1.9, 2.0, 1.8,
    1.2, 1.6, 1.8, 1.7, 1.4, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1,
)  # fmt: skip
"""Relative arrival rate per hour of day (mean 1 on weekdays' working hours)."""
WEEKDAY_PROFILE = (1.15, 1.05, 1.0, 1.0, 0.9, 0.25, 0.15)
"""Relative arrival rate Monday … Sunday."""

CATEGORIES: dict[str, tuple[str, ...]] = {
    "network": ("core-switch-1", "vpn-gw", "wlan-ctrl", "fw-edge"),
    "database": ("db-prod-1", "db-prod-3", "db-dwh"),
    "email": ("exchange-1", "exchange-2"),
    "application": ("erp-app", "crm-app", "hr-portal", "order-app"),
    "hardware": ("laptop-fleet", "printer-floor2", "dock-stations"),
    "access": ("ad-dc1", "sso-idp"),
}
"""Category → the CIs its incidents name (the first ones more often)."""
_CATEGORY_WEIGHTS = (18, 10, 12, 25, 20, 15)
_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.SELF_SERVICE, Channel.CHAT, Channel.MONITORING)
_CHANNEL_WEIGHTS = (35, 25, 25, 10, 5)
_LEVELS_IMPACT = (Impact.HIGH, Impact.MEDIUM, Impact.LOW)
_LEVELS_URGENCY = (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)
_HOUR = timedelta(hours=1)


class _Org:
    """The simulated organisation: groups, agents, vendors."""

    def __init__(self) -> None:
        self.desk = SupportGroup("service-desk", Tier.L1)
        self.l2 = {c: SupportGroup(f"{c}-l2", Tier.L2, {c}) for c in CATEGORIES}
        self.vendor = SupportGroup("vendor-l3", Tier.L3)
        self.dev = SupportGroup("development-l3", Tier.L3)
        self.agents = {g.name: _agents(g, 6 if g is self.desk else 3) for g in self._groups()}

    def _groups(self) -> list[SupportGroup]:
        return [self.desk, *self.l2.values(), self.vendor, self.dev]


def _agents(group: SupportGroup, count: int) -> tuple[Actor, ...]:
    roles = {"vendor"} if group.tier is Tier.L3 else set()
    return tuple(
        Actor(f"{group.name}-{i + 1}", groups={group.name}, roles=roles) for i in range(count)
    )


def _arrivals(rng: random.Random, n: int, start: datetime, per_day: float) -> list[datetime]:
    """`n` arrival times by thinning a Poisson process at the peak rate."""
    peak = max(HOURLY_PROFILE) * max(WEEKDAY_PROFILE)
    mean_hourly = sum(HOURLY_PROFILE) / 24 * sum(WEEKDAY_PROFILE) / 7
    peak_per_hour = per_day / 24 / mean_hourly * peak
    times: list[datetime] = []
    at = start
    while len(times) < n:
        at += timedelta(hours=rng.expovariate(peak_per_hour))
        rate = HOURLY_PROFILE[at.hour] * WEEKDAY_PROFILE[at.weekday()]
        if rng.random() * peak < rate:
            times.append(at.replace(microsecond=0))
    return times


class _Life:
    """One ticket's simulated life; stops making events past `horizon`."""

    def __init__(self, rng: random.Random, org: _Org, ticket: Ticket, horizon: datetime) -> None:
        self.rng, self.org, self.t, self.horizon = rng, org, ticket, horizon
        self.at = ticket.opened_at

    def wait(self, mean_hours: float) -> bool:
        """Advance the clock; False once past the horizon (the ticket stays as it is)."""
        self.at += timedelta(hours=self.rng.expovariate(1 / mean_hours), minutes=1)
        return self.at <= self.horizon

    def agent(self, group: SupportGroup) -> Actor:
        return self.rng.choice(self.org.agents[group.name])

    def run(self) -> None:
        rng, t = self.rng, self.t
        desk = self.org.desk
        if rng.random() < 0.12:  # solved on the phone
            if self.wait(0.2):
                t.resolve(self.resolution(), at=self.at, actor=self.agent(desk))
                self.after_resolve(desk)
            return
        if not self.wait(0.3):
            return
        t.assign(desk, at=self.at, actor=SYSTEM)
        self.work(desk)

    def work(self, group: SupportGroup) -> None:
        """Work at `group` until resolved, escalated, or the horizon."""
        rng, t = self.rng, self.t
        if not self.wait({Tier.L1: 1.0, Tier.L2: 3.0, Tier.L3: 12.0}[group.tier]):
            return
        agent = self.agent(group)
        t.start(at=self.at, actor=agent)
        held = rng.random() < (0.25 if group.tier is Tier.L1 else 0.15)
        if held and not self.hold(agent):
            return
        up = {Tier.L1: 0.35, Tier.L2: 0.12, Tier.L3: 0.0}[group.tier]
        if rng.random() < up:
            self.escalate(group, agent)
            return
        if group.tier is Tier.L3:
            self.back_from_l3(group, agent)
            return
        if group.tier is Tier.L2 and rng.random() < 0.06 and self.wait(2.0):
            t.hand_back(self.org.desk, "apply the steps in KB-2001", at=self.at, actor=agent)
            self.work(self.org.desk)
            return
        if self.wait({Tier.L1: 1.5, Tier.L2: 6.0}[group.tier]):
            t.resolve(self.resolution(), at=self.at, actor=agent)
            self.after_resolve(group)

    def hold(self, agent: Actor) -> bool:
        rng = self.rng
        reason = HoldReason.AWAITING_CALLER if rng.random() < 0.85 else HoldReason.AWAITING_CHANGE
        if not self.wait(0.5):
            return False
        self.t.hold(reason, at=self.at, actor=agent)
        if not self.wait(8.0):
            return False
        self.t.resume("the caller answered", at=self.at, actor=agent)
        return True

    def escalate(self, group: SupportGroup, agent: Actor) -> None:
        rng, t = self.rng, self.t
        if not self.wait(0.5):
            return
        category = t.category or "application"
        handover = Handover(
            description=f"{category} incident on {', '.join(t.ci_refs)}: users report failures",
            attempts=[SolutionAttempt("checked the known-issues list and KB", "no match")],
            ci_refs=t.ci_refs,
            priority=t.priority,
            impact=t.impact,
        )
        if group.tier is Tier.L1:
            t.escalate(self.org.l2[category], handover, at=self.at, actor=agent)
            self.work(self.org.l2[category])
            return
        vendor = rng.random() < 0.6
        target_group = self.org.vendor if vendor else self.org.dev
        kind = L3TargetKind.VENDOR if vendor else L3TargetKind.DEVELOPMENT
        name = "Acme Support" if vendor else "platform team"
        target = L3Target(kind, name, f"CASE-{rng.randrange(10_000, 99_999)}")
        t.escalate(target_group, handover, at=self.at, actor=agent, target=target)
        self.work(target_group)

    def back_from_l3(self, group: SupportGroup, agent: Actor) -> None:
        t = self.t
        if group is self.org.vendor and self.wait(6.0):
            t.vendor_update("reproduced; a fix is planned", at=self.at, actor=agent)
        if not self.wait(12.0):
            return
        back = self.org.l2[t.category or "application"]
        t.hand_back(back, "apply the fix and verify", at=self.at, actor=agent, fix="patch 1.2.3")
        self.work(back)

    def resolution(self) -> Resolution:
        rng = self.rng
        code = SOLVED_PERMANENTLY if rng.random() < 0.8 else SOLVED_WORKAROUND
        kb = (f"KB-{rng.randrange(1000, 1060)}",) if rng.random() < 0.35 else ()
        return Resolution(code, "fixed and verified with the caller", kb_refs=kb)

    def after_resolve(self, group: SupportGroup) -> None:
        rng, t = self.rng, self.t
        if rng.random() < 0.05 and self.wait(20.0):
            t.reopen("the problem is back", at=self.at, actor=SYSTEM)
            self.work_after_reopen(group)
            return
        if self.wait(24.0 * rng.choice((1, 2, 5))):
            t.close(at=self.at, actor=SYSTEM)

    def work_after_reopen(self, group: SupportGroup) -> None:
        if self.wait(2.0):
            self.t.resolve(self.resolution(), at=self.at, actor=self.agent(group))
            if self.wait(24.0):
                self.t.close(at=self.at, actor=SYSTEM)


def simulate(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    per_day: float = 120.0,
    prefix: str = "SIM-",
) -> Iterator[Ticket]:
    """Yield `n` simulated tickets in arrival order; the same seed, the same tickets.

    `start` (aware; default 2026-01-05 00:00 UTC) is when the stream begins;
    `per_day` the mean arrivals per day. About 12 % are solved on first
    contact, a third of the rest go to L2 and an eighth of those to L3;
    a quarter wait on hold, 5 % are reopened; about 1 in 15 also links a
    problem record on a recurring CI.

    >>> from itil_l2.importers import simulate
    >>> tickets = list(simulate(200, seed=42))
    >>> again = list(simulate(200, seed=42))
    >>> len(tickets), tickets[0].id
    (200, 'SIM-000001')
    >>> [t.history[-1].at for t in tickets] == [t.history[-1].at for t in again]
    True
    """
    if not isinstance(n, int) or n < 0:
        raise ValidationError(f"n must be a non-negative int, got {n!r}")
    if not (isinstance(per_day, (int, float)) and math.isfinite(per_day) and per_day > 0):
        raise ValidationError(f"per_day must be a positive number, got {per_day!r}")
    start = ensure_aware(start, "start") if start is not None else datetime(2026, 1, 5, tzinfo=UTC)
    rng = random.Random(seed)
    org = _Org()
    arrivals = _arrivals(rng, n, start, per_day)
    horizon = arrivals[-1] if arrivals else start
    categories = tuple(CATEGORIES)
    for number, at in enumerate(arrivals, start=1):
        yield _ticket(rng, org, f"{prefix}{number:06d}", at, horizon, categories)


def _ticket(
    rng: random.Random,
    org: _Org,
    id: str,
    at: datetime,
    horizon: datetime,
    categories: tuple[str, ...],
) -> Ticket:
    category = rng.choices(categories, _CATEGORY_WEIGHTS)[0]
    cis = CATEGORIES[category]
    ci = cis[min(int(rng.expovariate(1.2)), len(cis) - 1)]
    ticket = Ticket.open(
        id=id,
        title=f"{category}: {ci} not working as expected",
        impact=rng.choices(_LEVELS_IMPACT, (10, 35, 55))[0],
        urgency=rng.choices(_LEVELS_URGENCY, (15, 45, 40))[0],
        owner_group=org.desk,
        at=at,
        actor=org.agents[org.desk.name][0],
        caller=f"user{rng.randrange(1, 800)}",
        channel=rng.choices(_CHANNELS, _CHANNEL_WEIGHTS)[0],
        category=category,
        ci_refs=(ci,),
    )
    if rng.random() < 0.07:
        ticket.link(LinkKind.PROBLEM, f"PRB-{category}-{ci}", at=at, actor=SYSTEM)
    _Life(rng, org, ticket, horizon).run()
    return ticket
