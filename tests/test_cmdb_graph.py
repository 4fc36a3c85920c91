"""The CI graph: impact analysis and health propagation, by example and against an oracle."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import ConfigurationItem, SupportGroup, Tier, ValidationError
from itil_l2.cmdb import (
    DEFAULT_PROPAGATING,
    CiNode,
    CiStatus,
    CmdbGraph,
    Edge,
    UnknownCi,
    cis_with_open_incidents,
    support_groups_for,
)
from itil_l2.cmdb.events import CiKind, HealthState, Relation, RelationKind
from itil_l2.testing import cmdb_graphs, configuration_items
from itil_l2.tickets import TicketKind
from support import BOB, DBA, DESK, FIXED, NET, Clock, at_l2, open_ticket

R = RelationKind
OK, WARN, FAIL = "ok", "warning", "failed"
ACTIVE, MAINT = CiStatus.ACTIVE, CiStatus.MAINTENANCE

# The Znuny picture: a shop service with an application in production and one
# in maintenance, servers, a database, a switch, and a CRM service on top.
SHOP_NODES = [
    CiNode("shop", CiKind.SERVICE, ACTIVE),
    CiNode("crm", CiKind.SERVICE, ACTIVE),
    CiNode("web", CiKind.APPLICATION, ACTIVE),
    CiNode("reports", CiKind.APPLICATION, MAINT),
    CiNode("srv-1", CiKind.SERVER, ACTIVE),
    CiNode("srv-2", CiKind.SERVER, ACTIVE),
    CiNode("db-1", CiKind.DATABASE, ACTIVE),
    CiNode("sw-1", CiKind.NETWORK_DEVICE, ACTIVE),
]
SHOP_RELATIONS = [
    ("shop", R.INCLUDES, "web"),
    ("shop", R.INCLUDES, "reports"),
    ("crm", R.DEPENDS_ON, "shop"),
    ("web", R.RUNS_ON, "srv-1"),
    ("web", R.DEPENDS_ON, "db-1"),
    ("reports", R.DEPENDS_ON, "db-1"),
    ("db-1", R.RUNS_ON, "srv-2"),
    ("srv-1", R.CONNECTS_TO, "sw-1"),
]


def shop(propagating: Iterable[RelationKind] = DEFAULT_PROPAGATING) -> CmdbGraph:
    return CmdbGraph.from_relations(SHOP_RELATIONS, nodes=SHOP_NODES, propagating=propagating)


def states(graph: CmdbGraph, *incidents: str) -> dict[str, str]:
    return {ref: state.value for ref, state in graph.propagate(set(incidents)).items()}


def not_ok(graph: CmdbGraph, *incidents: str) -> dict[str, str]:
    return {ref: s for ref, s in states(graph, *incidents).items() if s != OK}


# -- examples -------------------------------------------------------------------------


def test_a_failed_server_warns_everything_above_it() -> None:
    assert not_ok(shop(), "srv-2") == {
        "srv-2": FAIL,
        "db-1": WARN,
        "web": WARN,
        "reports": WARN,
        "shop": WARN,  # worst of its productive members: web is warning
        "crm": WARN,
    }


def test_a_service_takes_the_worst_of_its_productive_members() -> None:
    assert not_ok(shop(), "web") == {"web": FAIL, "shop": FAIL, "crm": FAIL}
    # reports is in maintenance: its incident does not count for the service
    assert not_ok(shop(), "reports") == {"reports": FAIL}
    assert not_ok(shop(), "shop") == {"shop": FAIL, "crm": FAIL}


def test_connects_to_propagates_only_when_asked_and_then_both_ways() -> None:
    assert not_ok(shop(), "sw-1") == {"sw-1": FAIL}
    peers = shop(DEFAULT_PROPAGATING | {R.CONNECTS_TO})
    assert not_ok(peers, "sw-1") == {
        "sw-1": FAIL,
        "srv-1": WARN,
        "web": WARN,
        "shop": WARN,
        "crm": WARN,
    }
    assert not_ok(peers, "srv-1")["sw-1"] == WARN


def test_propagation_along_chosen_relations_only() -> None:
    graph = shop({R.INCLUDES})
    assert not_ok(graph, "srv-2") == {"srv-2": FAIL}
    assert not_ok(graph, "web") == {"web": FAIL, "shop": FAIL}  # crm depends_on: not followed


def test_impacted_by_with_shortest_paths() -> None:
    reach = shop().impacted_by("srv-2")
    assert set(reach) == {"db-1", "web", "reports", "shop", "crm"}
    assert reach.path("db-1") == ("srv-2", "db-1")
    assert reach.path("web") == ("srv-2", "db-1", "web")
    assert reach.path("shop") in {("srv-2", "db-1", "web", "shop"),
                                  ("srv-2", "db-1", "reports", "shop")}  # fmt: skip
    assert reach.distance("crm") == 4
    assert reach.refs[0] == "db-1" and reach.refs[-1] == "crm"  # nearest first
    assert len(reach) == 5 and "srv-2" not in reach and "sw-1" not in reach
    assert reach.paths["web"] == reach.path("web")
    with pytest.raises(UnknownCi):
        reach.path("sw-1")


def test_depends_on_looks_upstream() -> None:
    graph = shop()
    assert set(graph.depends_on("shop")) == {"web", "reports", "srv-1", "db-1", "srv-2"}
    assert graph.depends_on("crm").path("srv-2")[-2:] == ("db-1", "srv-2")
    assert set(graph.depends_on("srv-2")) == set()
    assert graph.dependencies("shop") == ("reports", "web")
    assert graph.dependents("db-1") == ("reports", "web")
    assert graph.services_impacted_by("srv-2") == ("shop", "crm")


def test_a_ci_on_a_cycle_impacts_itself() -> None:
    graph = CmdbGraph.from_relations(
        [("a", R.DEPENDS_ON, "b"), ("b", R.DEPENDS_ON, "a"), ("c", R.DEPENDS_ON, "a")]
    )
    reach = graph.impacted_by("a")
    assert set(reach) == {"a", "b", "c"}
    assert reach.path("a") == ("a", "b", "a")
    assert reach.path("c") == ("a", "c")
    assert set(graph.impacted_by("c")) == set()
    assert not_ok(graph, "c") == {"c": FAIL}
    assert not_ok(graph, "b") == {"b": FAIL, "a": WARN, "c": WARN}


def test_a_self_loop_is_a_cycle_of_one() -> None:
    graph = CmdbGraph.from_relations([("a", R.RUNS_ON, "a")])
    assert graph.impacted_by("a").path("a") == ("a", "a")
    assert states(graph, "a") == {"a": FAIL}


def test_service_cycles_settle_on_the_least_state() -> None:
    nodes = [CiNode("s1", CiKind.SERVICE), CiNode("s2", CiKind.SERVICE)]
    relations = [("s1", R.INCLUDES, "s2"), ("s2", R.INCLUDES, "s1"), ("s2", R.INCLUDES, "db")]
    graph = CmdbGraph.from_relations(relations, nodes=nodes)
    assert states(graph) == {"s1": OK, "s2": OK, "db": OK}
    assert states(graph, "db") == {"s1": FAIL, "s2": FAIL, "db": FAIL}


def _finishes(work: Callable[[], Any], seconds: float = 10.0) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the graph query did not finish: a cycle hangs it"
    return result[0]


def test_big_cycles_finish() -> None:
    size = 3000
    ring = CmdbGraph.from_relations(
        [(f"n{i}", R.DEPENDS_ON, f"n{(i + 1) % size}") for i in range(size)]
    )
    reach = _finishes(lambda: ring.impacted_by("n0"))
    assert len(reach) == size and reach.distance("n0") == size and reach.distance("n1") == size - 1
    health = _finishes(lambda: ring.propagate({"n5"}))
    assert sum(s is HealthState.WARNING for s in health.values()) == size - 1
    refs = [f"c{i}" for i in range(40)]
    dense = CmdbGraph.from_relations(
        [(a, kind, b) for a in refs for b in refs for kind in RelationKind],
        nodes=[CiNode(r, CiKind.SERVICE if i % 3 == 0 else None) for i, r in enumerate(refs)],
        propagating=set(RelationKind),
    )
    health = _finishes(lambda: dense.propagate({"c1"}))
    assert health["c1"] is HealthState.FAILED
    assert set(health.values()) == {HealthState.FAILED, HealthState.WARNING}


# -- building and refusing --------------------------------------------------------------


def test_from_cis_leaves_retired_cis_out_and_keeps_unknown_targets(clock: Clock) -> None:
    def ci(ref: str, kind: CiKind, *relations: Relation, retired: bool = False) -> Any:
        item = ConfigurationItem.register(
            id=ref, name=ref, kind=kind, support_group=DBA, relations=relations,
            at=clock(), actor=BOB,
        )  # fmt: skip
        item.change_status(CiStatus.RETIRED if retired else CiStatus.ACTIVE, at=clock(), actor=BOB)
        return item

    app = ci("app", CiKind.APPLICATION, Relation(R.DEPENDS_ON, "db"), Relation(R.RUNS_ON, "old"))
    db = ci("db", CiKind.DATABASE, Relation(R.RUNS_ON, "vm-9"))
    old = ci("old", CiKind.SERVER, Relation(R.CONNECTS_TO, "db"), retired=True)
    graph = CmdbGraph.from_cis([app, db, old])
    assert graph.refs == ("app", "db", "vm-9")
    assert graph.node("vm-9") == CiNode("vm-9")  # known only as a relation target
    assert graph.node("db") == CiNode("db", CiKind.DATABASE, ACTIVE, DBA)
    assert set(graph.impacted_by("vm-9")) == {"db", "app"}
    full = CmdbGraph.from_cis([app, db, old], include_retired=True)
    assert set(full.impacted_by("old")) == {"app"} and not full.node("old").productive
    with pytest.raises(ValidationError):
        CmdbGraph.from_cis([app, app])
    with pytest.raises(ValidationError):
        CmdbGraph.from_cis(["app"])  # type: ignore[list-item]


def test_graphs_are_values() -> None:
    one = shop()
    other = CmdbGraph.from_relations(list(reversed(SHOP_RELATIONS)), nodes=SHOP_NODES[::-1])
    assert one == other and hash(one) == hash(other)
    assert one != shop({R.INCLUDES})
    assert one.impacted_by("db-1") == other.impacted_by("db-1")
    with pytest.raises(AttributeError):
        one.edges = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda g: g.impacted_by("nope"), UnknownCi),
        (lambda g: g.depends_on("nope"), UnknownCi),
        (lambda g: g.dependents("nope"), UnknownCi),
        (lambda g: g.propagate({"web", "nope"}), UnknownCi),
        (lambda g: g.propagate("web"), ValidationError),
        (lambda g: g.node(""), UnknownCi),
    ],
)
def test_unknown_references_are_refused(
    call: Callable[[CmdbGraph], Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(shop())


def test_malformed_graph_input_is_refused() -> None:
    with pytest.raises(ValidationError):
        CmdbGraph.from_relations([("a", R.DEPENDS_ON)])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        CmdbGraph.from_relations([("a", "depends_on", "b")])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        CmdbGraph.from_relations([], propagating=["depends_on"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        CmdbGraph((CiNode("a"), CiNode("a")), ())
    with pytest.raises(UnknownCi):
        CmdbGraph((CiNode("a"),), (Edge("a", R.RUNS_ON, "b"),))


# -- routing data and incidents from tickets -------------------------------------------


def test_support_groups_for_routing(clock: Clock) -> None:
    apps = SupportGroup("app-l2", Tier.L2, {"application"})
    nodes = [CiNode("db-1", support_group=DBA), CiNode("sw-1", support_group=NET),
             CiNode("web", support_group=apps), CiNode("db-2", support_group=DBA),
             CiNode("bare")]  # fmt: skip
    graph = CmdbGraph.from_relations([], nodes=nodes)
    assert support_groups_for(["db-2", "web", "x", "bare", "db-1"], graph) == (DBA, apps)
    cis = [
        ConfigurationItem.register(
            id=ref, name=ref, kind=CiKind.SERVER, support_group=group, at=clock(), actor=BOB
        )
        for ref, group in (("s1", NET), ("s2", DESK), ("s3", NET))
    ]
    assert support_groups_for(["s3", "s2", "s1", "s9"], cis) == (NET, DESK)
    assert support_groups_for([], cis) == ()
    with pytest.raises(ValidationError):
        support_groups_for("s1", cis)
    with pytest.raises(ValidationError):
        support_groups_for(["s1"], {"s1": cis[0]})  # type: ignore[arg-type]


def test_open_incidents_name_the_failed_cis(clock: Clock) -> None:
    broken = open_ticket(clock, ci_refs=["db-1", "srv-2"])
    working = at_l2(clock)  # names db-prod-3
    done = at_l2(clock)
    done.resolve(FIXED, at=clock(), actor=BOB)
    wish = open_ticket(clock, kind=TicketKind.SERVICE_REQUEST, ci_refs=["web"])
    assert cis_with_open_incidents([broken, working, done, wish]) == {
        "db-1",
        "srv-2",
        "db-prod-3",
    }
    with pytest.raises(ValidationError):
        cis_with_open_incidents(["INC-1"])


# -- properties, against an independent oracle ----------------------------------------

INF = 10**9
LEVEL = {OK: 0, WARN: 1, FAIL: 2}


def impact_pairs(graph: CmdbGraph) -> set[tuple[str, str]]:
    """(failing, impacted) pairs, read straight from the relation semantics."""
    pairs = set()
    for e in graph.edges:
        if e.kind not in graph.propagating:
            continue
        pairs.add((e.target, e.source))
        if e.kind is R.CONNECTS_TO:
            pairs.add((e.source, e.target))
    return pairs


def shortest(graph: CmdbGraph) -> dict[tuple[str, str], int]:
    """Floyd–Warshall over non-empty paths (the diagonal starts at infinity)."""
    refs = graph.refs
    d = {(a, b): INF for a in refs for b in refs}
    for a, b in impact_pairs(graph):
        d[a, b] = 1
    for k in refs:
        for i in refs:
            if d[i, k] == INF:
                continue
            for j in refs:
                if d[i, k] + d[k, j] < d[i, j]:
                    d[i, j] = d[i, k] + d[k, j]
    return d


def oracle_health(graph: CmdbGraph, incidents: set[str]) -> dict[str, str]:
    """Kleene iteration of the propagation rules: full passes until nothing changes."""
    pairs = impact_pairs(graph)
    level = {ref: 2 if ref in incidents else 0 for ref in graph.refs}
    changed = True
    while changed:
        changed = False
        for node in graph.nodes:
            if node.ref in incidents:
                continue
            ups = [a for a, b in pairs if b == node.ref]
            if node.kind is CiKind.SERVICE:
                counted = [level[a] for a in ups if graph.node(a).status in (None, CiStatus.ACTIVE)]
                new = max(counted, default=0)
            else:
                new = 1 if any(level[a] > 0 for a in ups) else 0
            if new != level[node.ref]:
                level[node.ref], changed = new, True
    names = {0: OK, 1: WARN, 2: FAIL}
    return {ref: names[v] for ref, v in level.items()}


@settings(max_examples=150, deadline=None)
@given(cmdb_graphs())
def test_impact_sets_and_paths_match_the_oracle(graph: CmdbGraph) -> None:
    d = shortest(graph)
    pairs = impact_pairs(graph)
    for origin in graph.refs:
        reach = graph.impacted_by(origin)
        assert set(reach) == {b for b in graph.refs if d[origin, b] < INF}
        for ref in reach:
            path = reach.path(ref)
            assert path[0] == origin and path[-1] == ref
            assert len(path) - 1 == d[origin, ref]  # shortest
            assert all(step in pairs for step in itertools.pairwise(path))
        distances = [reach.distance(r) for r in reach]
        assert distances == sorted(distances)


@settings(max_examples=150, deadline=None)
@given(cmdb_graphs())
def test_impact_set_contains_its_dependents_impact_sets(graph: CmdbGraph) -> None:
    for ref in graph.refs:
        impacted = set(graph.impacted_by(ref))
        for dependent in graph.dependents(ref):
            assert dependent in impacted
            assert set(graph.impacted_by(dependent)) <= impacted


@settings(max_examples=100, deadline=None)
@given(cmdb_graphs())
def test_upstream_is_the_mirror_of_impact(graph: CmdbGraph) -> None:
    for a in graph.refs:
        for b in graph.refs:
            assert (b in graph.impacted_by(a)) == (a in graph.depends_on(b))
        for b in graph.depends_on(a):
            assert len(graph.depends_on(a).path(b)) == len(graph.impacted_by(b).path(a))


@settings(max_examples=200, deadline=None)
@given(st.data(), cmdb_graphs())
def test_propagation_matches_the_oracle(data: st.DataObject, graph: CmdbGraph) -> None:
    incidents = data.draw(st.sets(st.sampled_from(graph.refs)))
    assert states(graph, *incidents) == oracle_health(graph, incidents)


@settings(max_examples=150, deadline=None)
@given(st.data(), cmdb_graphs())
def test_propagation_is_idempotent_and_monotone(data: st.DataObject, graph: CmdbGraph) -> None:
    incidents = data.draw(st.sets(st.sampled_from(graph.refs)))
    more = incidents | data.draw(st.sets(st.sampled_from(graph.refs)))
    first = graph.propagate(incidents)
    assert dict(graph.propagate(incidents)) == dict(first)
    failed = {ref for ref, s in first.items() if s is HealthState.FAILED}
    assert incidents <= failed
    assert dict(graph.propagate(failed)) == dict(first)  # feeding the result back: no change
    bigger = graph.propagate(more)
    assert all(LEVEL[first[r].value] <= LEVEL[bigger[r].value] for r in graph.refs)


@settings(max_examples=100, deadline=None)
@given(st.data(), cmdb_graphs(kinds=st.sampled_from([CiKind.SERVER, CiKind.DATABASE, None])))
def test_without_services_health_is_reachability(data: st.DataObject, graph: CmdbGraph) -> None:
    incidents = data.draw(st.sets(st.sampled_from(graph.refs)))
    reached = set().union(*(set(graph.impacted_by(i)) for i in incidents))
    expected = {r: FAIL if r in incidents else WARN if r in reached else OK for r in graph.refs}
    assert states(graph, *incidents) == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(configuration_items(), max_size=6, unique_by=lambda ci: ci.id))
def test_graphs_from_random_cis(cis: list[ConfigurationItem]) -> None:
    graph = CmdbGraph.from_cis(cis)
    live = {ci.id for ci in cis if ci.status is not CiStatus.RETIRED}
    assert live <= set(graph.refs)
    expected_edges = {
        (ci.id, r.kind, r.target)
        for ci in cis
        if ci.id in live
        for r in ci.relations
        if r.target in live or r.target not in {c.id for c in cis}
    }
    assert {(e.source, e.kind, e.target) for e in graph.edges} == expected_edges
    for ref in graph.refs:
        graph.impacted_by(ref)
    graph.propagate(set(graph.refs))
