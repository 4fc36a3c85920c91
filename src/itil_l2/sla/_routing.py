"""Routing: which group of the next tier should get an escalated ticket.

L2 staff are specialists (network, server, database, ...). A `RoutingPolicy`
matches what a ticket needs against the specialisations of the groups the
host lists, and falls back to a default group per tier. What a ticket needs
comes from its category and subcategory (through a category table) and from
its affected CIs' types, which the caller supplies as data: a mapping or a
lookup callable. The policy never reads a repository, so it stays a pure
function a host calls before `ticket.escalate(...)`.

Specialisations are those of `SupportGroup.specialisations`; a host may add
more per group name in `extra_specialisations` without redefining groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, Unpack

import attrs
from attrs import frozen

from itil_l2._core.checks import check_keywords
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ErrorCategory, ValidationError, WorkflowError

__all__ = ["CiLookup", "NoRoute", "Route", "RouteFacts", "RoutingPolicy"]

CiLookup = Mapping[str, str | Iterable[str]] | Callable[[str], str | Iterable[str] | None]
"""CI reference → its type or specialisations ("database", {"server", "linux"}), or None."""


class NoRoute(WorkflowError):
    """No group at the wanted tier matches and there is no fallback for it."""

    category = ErrorCategory.CONFIGURATION  # a gap in the host's routing rules


class RouteFacts(TypedDict, total=False):
    """The ticket facts a route is chosen by, besides the tier; each key is optional."""

    category: str | None
    subcategory: str | None
    ci_refs: Iterable[str]
    ci_facts: CiLookup | None


@frozen
class Route:
    """The chosen group and why: the specialisations that matched, or the fallback."""

    group: SupportGroup
    needs: frozenset[str]
    matched: frozenset[str]
    fallback: bool

    @property
    def reason(self) -> str:
        """A sentence for the work note or the UI."""
        if self.fallback:
            wanted = ", ".join(sorted(self.needs)) or "nothing known"
            return f"no {self.group.tier} group matches ({wanted}); fallback {self.group.name}"
        return f"{self.group.name} matches {', '.join(sorted(self.matched))}"


def _groups(value: Iterable[SupportGroup]) -> tuple[SupportGroup, ...]:
    items = tuple(value)
    if not all(isinstance(g, SupportGroup) for g in items):
        raise ValidationError("groups must be SupportGroup values")
    return items


def _fallbacks(value: Mapping[Tier, SupportGroup]) -> tuple[tuple[Tier, SupportGroup], ...]:
    items = dict(value).items()
    for tier, group in items:
        if not isinstance(tier, Tier) or not isinstance(group, SupportGroup):
            raise ValidationError("fallbacks maps Tier to SupportGroup")
        if group.tier is not tier:
            raise ValidationError(f"fallback {group.name} is at {group.tier}, not {tier}")
    return tuple(sorted(items))


def _table(value: Mapping[str, str | Iterable[str]]) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(value, Mapping):
        value = dict(value)
    return tuple(sorted((key.lower(), _words(v)) for key, v in value.items()))


def _words(value: str | Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value.lower()})
    return frozenset(v.lower() for v in value)


@frozen
class RoutingPolicy:
    """Ticket category / CI type → the matching `SupportGroup` of a tier.

    `categories` maps a category or subcategory (case-insensitive) to the
    specialisations it needs; an unlisted category needs itself. Groups are
    ranked by how many needs they cover; ties go to the earlier group in
    `groups`, so the answer is deterministic.

    >>> from itil_l2 import SupportGroup, Tier
    >>> dba = SupportGroup("database-l2", Tier.L2, {"database"})
    >>> net = SupportGroup("network-l2", Tier.L2, {"network"})
    >>> l2 = SupportGroup("l2-generalists", Tier.L2)
    >>> policy = RoutingPolicy([net, dba], fallbacks={Tier.L2: l2},
    ...                        categories={"vpn": "network"})
    >>> policy.group_for(category="vpn", tier=Tier.L2).name
    'network-l2'
    >>> policy.group_for(ci_refs=["db-prod-3"], tier=Tier.L2,
    ...                  ci_facts={"db-prod-3": "database"}).name
    'database-l2'
    >>> policy.group_for(category="printer", tier=Tier.L2).name
    'l2-generalists'
    """

    groups: tuple[SupportGroup, ...] = attrs.field(converter=_groups)
    fallbacks: tuple[tuple[Tier, SupportGroup], ...] = attrs.field(
        factory=dict, converter=_fallbacks
    )
    categories: tuple[tuple[str, frozenset[str]], ...] = attrs.field(factory=dict, converter=_table)
    extra_specialisations: tuple[tuple[str, frozenset[str]], ...] = attrs.field(
        factory=dict, converter=_table
    )

    def route(
        self, ticket: Any, *, tier: Tier | None = None, ci_facts: CiLookup | None = None
    ) -> Route:
        """The route for `ticket` to `tier` (default: the tier above the ticket's).

        Raises `NoRoute` when the ticket is at L3 and no tier is given, or when
        nothing matches and `fallbacks` has no group for the tier.
        """
        if tier is None:
            if ticket.tier is Tier.L3:
                raise NoRoute(f"{ticket.id} is at L3; there is no next tier")
            tier = Tier(f"L{ticket.tier.level + 1}")
        refs = tuple(ticket.ci_refs)
        if ticket.handover is not None:
            refs += tuple(r for r in ticket.handover.ci_refs if r not in refs)
        return self.explain(
            category=ticket.category,
            subcategory=ticket.subcategory,
            ci_refs=refs,
            tier=tier,
            ci_facts=ci_facts,
        )

    def explain(
        self,
        *,
        tier: Tier,
        category: str | None = None,
        subcategory: str | None = None,
        ci_refs: Iterable[str] = (),
        ci_facts: CiLookup | None = None,
    ) -> Route:
        """The route for these facts, with what matched."""
        needs = self._needs(category) | self._needs(subcategory)
        lookup = _lookup(ci_facts)
        for ref in ci_refs:
            needs |= _words(lookup(ref))
        best: tuple[int, SupportGroup, frozenset[str]] | None = None
        for group in self.groups:
            if group.tier is not tier:
                continue
            matched = needs & self._specialisations(group)
            if matched and (best is None or len(matched) > best[0]):
                best = (len(matched), group, matched)
        if best is not None:
            return Route(best[1], needs, best[2], fallback=False)
        for fallback_tier, group in self.fallbacks:
            if fallback_tier is tier:
                return Route(group, needs, frozenset(), fallback=True)
        raise NoRoute(f"no {tier} group for {', '.join(sorted(needs)) or 'this ticket'}")

    def group_for(self, *, tier: Tier, **facts: Unpack[RouteFacts]) -> SupportGroup:
        """Just the group of `explain(tier=..., **facts)`."""
        check_keywords(facts, RouteFacts.__annotations__, "RoutingPolicy.group_for")
        return self.explain(tier=tier, **facts).group

    def _needs(self, category: str | None) -> frozenset[str]:
        if category is None:
            return frozenset()
        key = category.lower()
        for name, needs in self.categories:
            if name == key:
                return needs
        return frozenset({key})

    def _specialisations(self, group: SupportGroup) -> frozenset[str]:
        own = frozenset(s.lower() for s in group.specialisations)
        for name, extra in self.extra_specialisations:
            if name == group.name.lower():
                return own | extra
        return own


def _nothing(_ref: str) -> None:
    return None


def _lookup(facts: Any) -> Callable[[str], str | Iterable[str] | None]:
    if facts is None:
        return _nothing
    if callable(facts):
        return facts  # type: ignore[no-any-return]
    table = dict(facts)
    return table.get
