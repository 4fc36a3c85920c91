"""Escalation decisions, the policy protocol, composites and `next_due`.

A policy is an object the host configures and evaluates; there is no
scheduler inside. `evaluate(ticket, at)` returns what is due at `at`;
`next_due(ticket, at)` says when something new will be due, so a host can
keep one timer per ticket instead of polling.

How "already acted on" is read from the history: every decision has a
stable `key`. A host that acts on a decision records it with
`record_decision`, a work note starting with the decision's `marker`;
policies skip every decision whose marker is in the ticket's notes. A
functional escalation is also acted on by the escalation itself: its key
names the ticket's arrival at the tier, and once the ticket has moved up
the rule no longer matches. So evaluating twice gives the same list, and a
recorded decision never comes back, even after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.actor import Actor
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2.tickets.events import NoteAdded

__all__ = [
    "AllOf",
    "AnyOf",
    "EscalationDecision",
    "EscalationKind",
    "EscalationPolicy",
    "EscalationRole",
    "FirstMatch",
    "acted_on_keys",
    "next_due",
    "record_decision",
]

MARKER_PREFIX = "[escalation "


class EscalationKind(StrEnum):
    """Functional (to another tier), hierarchical (tell a role) or reassign (to a group)."""

    FUNCTIONAL = "functional"
    HIERARCHICAL = "hierarchical"
    REASSIGN = "reassign"


class EscalationRole:
    """Role names hierarchical decisions notify; hosts map them to people."""

    ASSIGNEE: ClassVar[str] = "assignee"
    TEAM_LEAD: ClassVar[str] = "team_lead"
    MANAGER: ClassVar[str] = "manager"
    INCIDENT_MANAGER: ClassVar[str] = "incident_manager"
    COORDINATOR: ClassVar[str] = "coordinator"


@frozen
class EscalationDecision:
    """What to do, why, since when, and the key that makes it idempotent.

    >>> from datetime import UTC, datetime
    >>> d = EscalationDecision(EscalationKind.HIERARCHICAL, "priority", "P1 logged",
    ...                        datetime(2026, 1, 5, 9, tzinfo=UTC), "INC-1/priority/P1",
    ...                        role=EscalationRole.INCIDENT_MANAGER)
    >>> d.marker
    '[escalation INC-1/priority/P1]'
    """

    kind: EscalationKind = attrs.field(validator=_checks.member(EscalationKind))
    rule: str = attrs.field(validator=_checks.text)
    reason: str = attrs.field(validator=_checks.text)
    due_at: datetime
    key: str = attrs.field(validator=_checks.text)
    tier: Tier | None = None
    role: str | None = None
    group: SupportGroup | None = None

    @property
    def marker(self) -> str:
        """The text a work note starts with once the decision was acted on."""
        return f"{MARKER_PREFIX}{self.key}]"


@runtime_checkable
class EscalationPolicy(Protocol):
    """What every policy answers; built-ins and composites follow it."""

    def evaluate(self, ticket: Any, at: datetime) -> list[EscalationDecision]:
        """The decisions due at `at` that were not acted on yet, sorted by due time."""
        ...

    def next_due(self, ticket: Any, at: datetime) -> datetime | None:
        """The first instant after `at` when a new decision becomes due, or None."""
        ...


class RulePolicy:
    """Base of the built-in rules: `candidates` lists decisions with their due times.

    `evaluate` keeps the ones due by `at`, `next_due` the earliest later one,
    both skipping decisions already acted on. Keeping one source for both is
    what makes "evaluate at `next_due`" return the announced decision.
    """

    def candidates(self, ticket: Any, at: datetime) -> Iterable[EscalationDecision]:
        """Every decision this rule would make for the ticket as it is at `at`."""
        raise NotImplementedError

    def evaluate(self, ticket: Any, at: datetime) -> list[EscalationDecision]:
        ensure_aware(at)
        done = acted_on_keys(ticket)
        due = [d for d in self.candidates(ticket, at) if d.due_at <= at and d.key not in done]
        return sorted(due, key=_order)

    def next_due(self, ticket: Any, at: datetime) -> datetime | None:
        ensure_aware(at)
        done = acted_on_keys(ticket)
        later = [
            d.due_at for d in self.candidates(ticket, at) if d.due_at > at and d.key not in done
        ]
        return min(later, default=None)


def hm(value: timedelta) -> str:
    """A duration as hours and minutes, e.g. "6h00"."""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


def _order(decision: EscalationDecision) -> tuple[datetime, str]:
    return (decision.due_at, decision.key)


def _policies(value: Iterable[EscalationPolicy]) -> tuple[EscalationPolicy, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, EscalationPolicy):
            raise _checks.ValidationError(f"{item!r} is not an escalation policy")
    return items


def _merge(lists: Iterable[list[EscalationDecision]]) -> list[EscalationDecision]:
    seen: dict[str, EscalationDecision] = {}
    for decisions in lists:
        for d in decisions:
            seen.setdefault(d.key, d)
    return sorted(seen.values(), key=_order)


@frozen
class AnyOf:
    """Every decision of every child (a rule set where each rule stands alone)."""

    policies: tuple[EscalationPolicy, ...] = attrs.field(converter=_policies)

    def evaluate(self, ticket: Any, at: datetime) -> list[EscalationDecision]:
        return _merge(p.evaluate(ticket, at) for p in self.policies)

    def next_due(self, ticket: Any, at: datetime) -> datetime | None:
        return next_due(ticket, self.policies, at)


@frozen
class AllOf:
    """Decisions only when every child has one (e.g. "P1 *and* 75 % used").

    `next_due` is when the last child still waiting becomes due (None if one
    never will); once all fire, the earliest next decision of any child.
    """

    policies: tuple[EscalationPolicy, ...] = attrs.field(converter=_policies)

    def evaluate(self, ticket: Any, at: datetime) -> list[EscalationDecision]:
        results = [p.evaluate(ticket, at) for p in self.policies]
        if not results or not all(results):
            return []
        return _merge(results)

    def next_due(self, ticket: Any, at: datetime) -> datetime | None:
        waiting = [p for p in self.policies if not p.evaluate(ticket, at)]
        if not waiting:
            return next_due(ticket, self.policies, at)
        dues = [p.next_due(ticket, at) for p in waiting]
        if any(d is None for d in dues):
            return None
        return max(d for d in dues if d is not None)


@frozen
class FirstMatch:
    """The decisions of the first child that has any (an ordered rule list)."""

    policies: tuple[EscalationPolicy, ...] = attrs.field(converter=_policies)

    def evaluate(self, ticket: Any, at: datetime) -> list[EscalationDecision]:
        for policy in self.policies:
            decisions = policy.evaluate(ticket, at)
            if decisions:
                return decisions
        return []

    def next_due(self, ticket: Any, at: datetime) -> datetime | None:
        upto: list[EscalationPolicy] = []
        for policy in self.policies:
            upto.append(policy)
            if policy.evaluate(ticket, at):
                break
        return next_due(ticket, upto, at)


def next_due(
    ticket: Any, policies: Sequence[EscalationPolicy] | EscalationPolicy, at: datetime
) -> datetime | None:
    """The next instant after `at` at which any of `policies` will decide something.

    A host schedules one timer per ticket for it and calls `evaluate` then.
    Built-in rules place due instants inside their calendar's working time,
    so no reminder falls at midnight unless the calendar is 24x7. History
    events (a hold, a resume, an update) can change the answer, so hosts
    recompute it after every trigger.
    """
    ensure_aware(at)
    items = [policies] if isinstance(policies, EscalationPolicy) else list(policies)
    dues = [d for d in (p.next_due(ticket, at) for p in items) if d is not None]
    return min(dues, default=None)


def acted_on_keys(ticket: Any) -> frozenset[str]:
    """The keys of every decision the ticket's notes record as acted on."""
    keys = set()
    for event in ticket.history:
        payload = event.payload
        if type(payload) is NoteAdded and payload.text.startswith(MARKER_PREFIX):
            end = payload.text.find("]")
            if end > 0:
                keys.add(payload.text[len(MARKER_PREFIX) : end])
    return frozenset(keys)


def record_decision(
    ticket: Any, decision: EscalationDecision, *, at: datetime, actor: Actor
) -> None:
    """Note on the ticket that `decision` was acted on, so no policy repeats it.

    The work note is `marker` followed by the reason; it is an ordinary
    `add_note`, so the usual permissions and phase rules apply.
    """
    ticket.add_note(f"{decision.marker} {decision.reason}", at=at, actor=actor)
