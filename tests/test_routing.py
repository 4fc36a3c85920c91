"""Routing: category and CI facts pick the next tier's specialist group, with a fallback."""

from __future__ import annotations

import pytest

from itil_l2 import SupportGroup, Tier
from itil_l2.sla import NoRoute, RoutingPolicy
from support import DBA, GOOD_HANDOVER, NET, Clock, at_l1, at_l2, open_ticket

SRV = SupportGroup("server-l2", Tier.L2, {"server", "linux"})
GEN = SupportGroup("l2-generalists", Tier.L2)
DEV = SupportGroup("dev-l3", Tier.L3, {"application"})
POLICY = RoutingPolicy(
    [NET, DBA, SRV, DEV],
    fallbacks={Tier.L2: GEN},
    categories={"vpn": "network", "Slow DB": ["database", "server"]},
)


def test_category_table_and_category_as_its_own_need() -> None:
    assert POLICY.group_for(tier=Tier.L2, category="VPN") == NET
    assert POLICY.group_for(tier=Tier.L2, category="database") == DBA
    assert POLICY.group_for(tier=Tier.L2, category="printer") == GEN


def test_ci_facts_as_mapping_or_callable() -> None:
    facts = {"db-prod-3": "database", "web-1": ["server", "linux"]}
    assert POLICY.group_for(tier=Tier.L2, ci_refs=["web-1"], ci_facts=facts) == SRV
    assert POLICY.group_for(tier=Tier.L2, ci_refs=["db-prod-3"], ci_facts=facts.get) == DBA
    assert POLICY.group_for(tier=Tier.L2, ci_refs=["unknown"], ci_facts=facts.get) == GEN


def test_most_matches_win_and_ties_go_to_the_earlier_group() -> None:
    # "Slow DB" needs database and server: DBA covers 1, SRV covers 1 -> DBA listed first.
    assert POLICY.group_for(tier=Tier.L2, category="slow db") == DBA
    # adding a linux CI gives SRV two matches
    route = POLICY.explain(
        tier=Tier.L2, category="slow db", ci_refs=["web-1"], ci_facts={"web-1": "linux"}
    )
    assert route.group == SRV and route.matched == {"server", "linux"} and not route.fallback
    assert "server-l2" in route.reason


def test_extra_specialisations_without_redefining_groups() -> None:
    policy = RoutingPolicy([GEN, DBA], extra_specialisations={"l2-generalists": ["printer"]})
    assert policy.group_for(tier=Tier.L2, category="printer") == GEN


def test_route_a_ticket_to_the_next_tier(clock: Clock) -> None:
    t = at_l1(clock)  # category None, CI db-prod-3
    route = POLICY.route(t, ci_facts={"db-prod-3": "database"})
    assert route.group == DBA
    t2 = at_l2(clock)
    assert POLICY.route(t2, ci_facts=lambda ref: "application").group == DEV
    assert t2.handover == GOOD_HANDOVER


def test_no_route_without_fallback_and_no_tier_above_l3(clock: Clock) -> None:
    with pytest.raises(NoRoute):
        POLICY.group_for(tier=Tier.L3, category="printer")
    t = open_ticket(clock)
    fallback = POLICY.route(t)
    assert fallback.fallback and fallback.group == GEN and "fallback" in fallback.reason
    with pytest.raises(NoRoute):
        RoutingPolicy([]).route(t)
    l3 = SupportGroup("vendor", Tier.L3)
    with pytest.raises(ValueError):
        RoutingPolicy([], fallbacks={Tier.L2: l3})


def test_a_ticket_at_l3_has_no_next_tier(clock: Clock) -> None:
    from support import at_l3

    t = at_l3(clock)
    with pytest.raises(NoRoute):
        POLICY.route(t)
    assert POLICY.route(t, tier=Tier.L3, ci_facts={"db-prod-3": "application"}).group == DEV
