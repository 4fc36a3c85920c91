"""`kpi_facts` reads a history in one flat pass; every fact it gives equals a plain reading.

The oracle below reads each fact the slow, obvious way (one scan per fact,
tier stretches through `tier_intervals`, the owner's tier from the ticket),
so a shortcut in the one pass that changes a figure shows here. A stored
row read back (`KpiFacts.from_row`) must give the very same facts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Impact,
    Resolution,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.importers import simulate
from itil_l2.kpis import KpiFacts, facts_row, kpi_facts
from itil_l2.kpis._kept import tier_intervals
from itil_l2.testing import tickets
from itil_l2.tickets import events as ev

_HOUR = timedelta(hours=1)
_MOVES = (ev.Reassigned, ev.Escalated, ev.HandedBack)
_GROUPS = (
    SupportGroup("desk", Tier.L1),
    SupportGroup("apps-l2", Tier.L2),
    SupportGroup("db-l2", Tier.L2),
    SupportGroup("vendor-l3", Tier.L3),
)
_SLOTS = (
    "id",
    "opened_at",
    "owner_tier",
    "end_kind",
    "end_at",
    "end_group",
    "resolved_tier",
    "successful",
    "restored_at",
    "responded_at",
    "tier_mask",
    "escalation_mask",
    "hand_back_mask",
    "group_changes",
    "ping_pongs",
    "reopens",
    "hours",
    "resolution_code",
)


def _oracle(t: Ticket) -> dict[str, Any]:
    """Every fact, read the obvious way (several scans, no shared state)."""
    history = t.history
    kinds = [type(e.payload) for e in history]
    resolves = [e for e in history if type(e.payload) is ev.Resolved]
    reopens = kinds.count(ev.Reopened)
    last_reopen = max((i for i, k in enumerate(kinds) if k is ev.Reopened), default=-1)
    last_resolve = max((i for i, k in enumerate(kinds) if k is ev.Resolved), default=-1)
    standing = history[last_resolve] if last_resolve > last_reopen else None
    cancels = [e.at for e in history if type(e.payload) is ev.Cancelled]
    groups = [e.payload.group for e in history if type(e.payload) in GROUP_KINDS]  # type: ignore[union-attr]
    first_group = next((i for i, k in enumerate(kinds) if k in GROUP_KINDS), len(kinds))
    ended_unassigned = any(k in (ev.Resolved, ev.Cancelled) for k in kinds[:first_group])
    tiers = {g.tier for g in groups} | ({t.owner_group.tier} if ended_unassigned else set())
    hours = [0.0] * 16
    for tier, part, start, end in tier_intervals(t):
        span = (end - start) / _HOUR
        hours[4 * tier.level + ("queue", "work", "hold").index(part)] += span
        hours[4 * tier.level + 3] += span
    escalations = hand_backs = 0
    moves = [type(e.payload) for e in history if type(e.payload) in GROUP_KINDS]
    # a ticket resolved or cancelled unassigned was at its owner group until its next move
    previous = [t.owner_group if ended_unassigned else None, *groups]
    for before, after, kind in zip(previous, groups, moves, strict=False):
        if before is not None and kind is ev.Escalated:
            escalations |= 1 << (4 * before.tier.level + after.tier.level)
        elif before is not None and kind is ev.HandedBack:
            hand_backs |= 1 << before.tier.level
    names = [g.name for g in groups]
    group_at_resolve = None
    if standing is not None:
        before = [e.payload.group for e in history[:last_resolve] if type(e.payload) in GROUP_KINDS]  # type: ignore[union-attr]
        group_at_resolve = before[-1] if before else t.owner_group
    first_response = next(
        (e.at for e in history if type(e.payload) in (ev.Started, ev.Resolved)), None
    )
    restored = next((e.at for e in resolves if e.payload.resolution.code.successful), None)  # type: ignore[union-attr]
    code = None if standing is None else standing.payload.resolution.code  # type: ignore[union-attr]
    return {
        "id": t.id,
        "opened_at": history[0].at,
        "owner_tier": t.owner_group.tier,
        "end_kind": "resolved" if standing else "cancelled" if cancels else None,
        "end_at": standing.at if standing else cancels[-1] if cancels else None,
        "end_group": (
            (groups[-1] if groups else t.owner_group).name,
            (groups[-1] if groups else t.owner_group).tier,
        ),
        "resolved_tier": None if group_at_resolve is None else group_at_resolve.tier,
        "successful": bool(code and code.successful),
        "restored_at": restored,
        "responded_at": first_response,
        "tier_mask": sum(1 << tier.level for tier in tiers),
        "escalation_mask": escalations,
        "hand_back_mask": hand_backs,
        "group_changes": sum(1 for k in kinds if k in _MOVES),
        "ping_pongs": sum(
            1 for i in range(2, len(names)) if names[i] == names[i - 2] != names[i - 1]
        ),
        "reopens": reopens,
        "hours": hours,
        "resolution_code": None if code is None else code.code,
    }


GROUP_KINDS = (ev.Assigned, *_MOVES)


def _facts(f: KpiFacts) -> dict[str, Any]:
    got = {name: getattr(f, name) for name in _SLOTS}
    got["end_group"] = (f.end_group.name, f.end_group.tier)  # a row keeps no specialisations
    return got


def _check(t: Ticket) -> None:
    facts = kpi_facts(t)
    want = _oracle(t)
    assert _facts(facts) == want
    assert _facts(KpiFacts.from_row(facts_row(facts))) == want  # stored, read back


@settings(max_examples=150, deadline=None)
@given(tickets(groups=_GROUPS, max_steps=14))
def test_one_pass_facts_equal_a_plain_reading_of_random_histories(t: Ticket) -> None:
    _check(t)


def test_one_pass_facts_equal_a_plain_reading_of_simulated_histories() -> None:
    for t in simulate(300, seed=11):
        _check(t)


def test_a_ticket_resolved_unassigned_is_handled_at_its_owner_tier_l2() -> None:
    opened = datetime(2026, 3, 2, 9, tzinfo=UTC)
    t = Ticket.open(
        id="INC-L2", title="batch job failed", impact=Impact.LOW, urgency=Urgency.LOW,
        owner_group=_GROUPS[2], at=opened, actor=SYSTEM,
    )  # fmt: skip
    t.resolve(Resolution(SOLVED_PERMANENTLY, "rerun"), at=opened + _HOUR, actor=SYSTEM)
    facts = kpi_facts(t)
    assert (facts.owner_tier, facts.tier_mask, facts.resolved_tier) == (Tier.L2, 4, Tier.L2)
    assert (facts.responded_at, facts.hours[8], facts.hours[11]) == (opened + _HOUR, 1.0, 1.0)
    _check(t)
