"""Hypothesis strategies for the CMDB: CI graphs (cycles included) and configuration items.

Graphs are drawn over a few references with many relations, so cycles,
self-loops, diamonds and several relations between the same two CIs are
common, which is where impact analysis goes wrong.

>>> from hypothesis import given, settings
>>> from itil_l2.testing import cmdb_graphs
>>> @settings(max_examples=20)
... @given(cmdb_graphs())
... def test_nothing_impacts_outside_the_graph(graph):
...     for ref in graph.refs:
...         assert set(graph.impacted_by(ref)) <= set(graph.refs)
>>> test_nothing_impacts_outside_the_graph()
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.cmdb import DEFAULT_PROPAGATING, CiNode, CiStatus, CmdbGraph, ConfigurationItem, Edge
from itil_l2.cmdb.events import CiKind, Relation, RelationKind
from itil_l2.testing._common import T0

_GROUPS = (
    SupportGroup("server-l2", Tier.L2, {"server"}),
    SupportGroup("network-l2", Tier.L2, {"network"}),
    SupportGroup("database-l2", Tier.L2, {"database"}),
    SupportGroup("app-l2", Tier.L2, {"application"}),
)
_KEYS = st.sampled_from(["os", "ram_gb", "version", "patch", "site", "tags"])


_KINDS = st.sampled_from(RelationKind)
_PROPAGATING = st.one_of(st.just(DEFAULT_PROPAGATING), st.frozensets(_KINDS))


_JSON_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
"""What JSON strings may hold: no lone surrogate, no NUL (neither is storable text)."""


def ci_refs(size: int = 8) -> st.SearchStrategy[str]:
    """CI references from a small pool (`ci-0` ... `ci-{size-1}`), so they collide."""
    return st.integers(0, size - 1).map(lambda i: f"ci-{i}")


def relation_kinds() -> st.SearchStrategy[RelationKind]:
    """Any relation kind."""
    return _KINDS


def propagating_kinds() -> st.SearchStrategy[frozenset[RelationKind]]:
    """Sets of relation kinds a graph propagates along: mostly the default, sometimes others."""
    return _PROPAGATING


_NODE_FACTS = st.tuples(
    st.none() | st.sampled_from(CiKind),
    st.none() | st.sampled_from(CiStatus),
    st.none() | st.sampled_from(_GROUPS),
)


def ci_nodes(ref: str) -> st.SearchStrategy[CiNode]:
    """A node for `ref`, with kind, status and support group each possibly unknown."""
    return _NODE_FACTS.map(lambda facts: CiNode(ref, *facts))


@st.composite
def cmdb_graphs(
    draw: st.DrawFn,
    *,
    min_size: int = 1,
    max_size: int = 8,
    max_edges: int = 20,
    propagating: st.SearchStrategy[frozenset[RelationKind]] | None = None,
    kinds: st.SearchStrategy[CiKind | None] | None = None,
) -> CmdbGraph:
    """Random CI graphs: any relations between any two CIs, so cycles and self-loops too.

    `kinds` overrides the node kinds (e.g. `st.just(CiKind.SERVER)` for graphs
    without services).
    """
    size = draw(st.integers(min_size, max_size))
    refs = [f"ci-{i}" for i in range(size)]
    facts = draw(st.lists(_NODE_FACTS, min_size=size, max_size=size))
    nodes = [CiNode(ref, *fact) for ref, fact in zip(refs, facts, strict=True)]
    if kinds is not None:
        chosen = draw(st.lists(kinds, min_size=size, max_size=size))
        nodes = [
            CiNode(n.ref, k, n.status, n.support_group) for n, k in zip(nodes, chosen, strict=True)
        ]
    index = st.integers(0, size - 1)
    triples = draw(st.lists(st.tuples(index, _KINDS, index), max_size=max_edges))
    edges = [Edge(refs[a], kind, refs[b]) for a, kind, b in triples]
    kinds_along = draw(propagating if propagating is not None else _PROPAGATING)
    return CmdbGraph.from_relations(edges, nodes=nodes, propagating=kinds_along)


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """JSON-safe attribute values (never None at the top: None means "absent")."""
    leaves = st.one_of(
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.text(_JSON_CHARS, max_size=12),
    )
    nested = st.recursive(
        leaves | st.none(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(_JSON_CHARS, max_size=5), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )
    return leaves | nested.filter(lambda v: v is not None)


def ci_attributes() -> st.SearchStrategy[dict[str, Any]]:
    """Attribute mappings a CI can be registered with."""
    return st.dictionaries(_KEYS, json_values(), max_size=4)


@st.composite
def configuration_items(draw: st.DrawFn, ref: str | None = None) -> ConfigurationItem:
    """A registered CI, then a few legal status changes and relations (by the system actor)."""
    ci_id = ref if ref is not None else draw(ci_refs())
    moment = T0

    def tick() -> datetime:
        nonlocal moment
        moment += timedelta(minutes=draw(st.integers(0, 90)))
        return moment

    others = [r for r in (f"ci-{i}" for i in range(8)) if r != ci_id]
    relations = draw(
        st.lists(
            st.builds(Relation, relation_kinds(), st.sampled_from(others)),
            unique=True,
            max_size=4,
        )
    )
    ci = ConfigurationItem.register(
        id=ci_id,
        name=draw(st.sampled_from(["web", "db", "core switch", "order app", "shop"])),
        kind=draw(st.sampled_from(CiKind)),
        support_group=draw(st.sampled_from(_GROUPS)),
        attributes=draw(ci_attributes()),
        relations=relations,
        at=tick(),
        actor=SYSTEM,
    )
    path = draw(st.sampled_from(_STATUS_PATHS))
    for status in path:
        ci.change_status(status, at=tick(), actor=SYSTEM)
    return ci


_STATUS_PATHS: tuple[tuple[CiStatus, ...], ...] = (
    (),
    (CiStatus.ACTIVE,),
    (CiStatus.ACTIVE, CiStatus.MAINTENANCE),
    (CiStatus.ACTIVE, CiStatus.MAINTENANCE, CiStatus.ACTIVE),
    (CiStatus.ACTIVE, CiStatus.RETIRED),
    (CiStatus.RETIRED,),
)
