"""The CI relation graph: impact analysis and Znuny-style health propagation.

`CmdbGraph` is an immutable value built from CIs (or from relation tuples);
every query is a pure function of it. Traversals are iterative breadth-first
searches with visited sets, so cycles (A depends_on B depends_on A) never
hang anything and every reported path is a shortest one.

Direction (see `RelationKind`): an edge "A depends_on B", "A runs_on B" or
"A includes B" means a failure of B impacts A. `connects_to` is a peer link
and does not propagate unless the graph's `propagating` set includes it;
then it propagates both ways.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.tier import SupportGroup
from itil_l2.cmdb._ci import ConfigurationItem
from itil_l2.cmdb._workflow import CiStatus, UnknownCi
from itil_l2.cmdb.events import CiKind, HealthState, RelationKind
from itil_l2.errors import ValidationError
from itil_l2.tickets import Ticket, TicketKind

__all__ = [
    "DEFAULT_PROPAGATING",
    "CiNode",
    "CiReach",
    "CmdbGraph",
    "Edge",
    "cis_with_open_incidents",
    "support_groups_for",
]

DEFAULT_PROPAGATING = frozenset(
    {RelationKind.DEPENDS_ON, RelationKind.RUNS_ON, RelationKind.INCLUDES}
)
"""The relations a failure travels along by default (Znuny: DependsOn, Includes)."""


@frozen
class CiNode:
    """What the graph knows of one CI. Unknown kind or status stays None.

    A node without a known status counts as productive: nothing says it is
    out of production.
    """

    ref: str = attrs.field(validator=_checks.text)
    kind: CiKind | None = attrs.field(default=None, validator=_checks.optional_member(CiKind))
    status: CiStatus | None = attrs.field(default=None, validator=_checks.optional_member(CiStatus))
    support_group: SupportGroup | None = None

    @property
    def productive(self) -> bool:
        """Active, or of unknown status."""
        return self.status in (None, CiStatus.ACTIVE)

    @classmethod
    def of(cls, ci: ConfigurationItem) -> CiNode:
        """The node for a configuration item."""
        return cls(ci.id, ci.kind, ci.status, ci.support_group)


@frozen(order=True)
class Edge:
    """A directed relation "source kind target", e.g. `Edge("app", RelationKind.RUNS_ON, "srv")`."""

    source: str = attrs.field(validator=_checks.text)
    kind: RelationKind = attrs.field(validator=_checks.member(RelationKind))
    target: str = attrs.field(validator=_checks.text)


def _index(entries: tuple[tuple[str, tuple[str, ...]], ...]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(dict(entries))


@frozen
class CiReach:
    """The CIs reached from `origin`, each with one shortest path (origin first).

    `impacted_by` reaches along the impact direction, `depends_on` upstream.
    The origin itself appears only when it lies on a cycle (it then impacts,
    or depends on, itself); its path shows the cycle.
    """

    origin: str
    entries: tuple[tuple[str, tuple[str, ...]], ...]
    """(ref, path) pairs, nearest first, then by ref."""
    _paths: Mapping[str, tuple[str, ...]] = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(lambda s: _index(s.entries), True)
    )

    @property
    def refs(self) -> tuple[str, ...]:
        """The reached CI references, nearest first."""
        return tuple(ref for ref, _ in self.entries)

    @property
    def paths(self) -> Mapping[str, tuple[str, ...]]:
        """Read-only {ref: shortest path from origin to ref}."""
        return self._paths

    def path(self, ref: str) -> tuple[str, ...]:
        """The shortest path from the origin to `ref` (both included)."""
        if ref not in self._paths:
            raise UnknownCi(ref)
        return self._paths[ref]

    def distance(self, ref: str) -> int:
        """How many relations lie between the origin and `ref`."""
        return len(self.path(ref)) - 1

    def __contains__(self, ref: object) -> bool:
        return ref in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self.refs)

    def __len__(self) -> int:
        return len(self.entries)


def _sorted_adjacency(pairs: dict[str, set[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({ref: tuple(sorted(refs)) for ref, refs in pairs.items()})


@frozen
class CmdbGraph:
    """An immutable CI graph; build it with `from_cis` or `from_relations`.

    >>> from itil_l2.cmdb.events import CiKind, RelationKind as R
    >>> from itil_l2.cmdb import CiNode, CmdbGraph
    >>> graph = CmdbGraph.from_relations(
    ...     [("shop", R.INCLUDES, "app"), ("app", R.RUNS_ON, "srv"), ("app", R.DEPENDS_ON, "db")],
    ...     nodes=[CiNode("shop", CiKind.SERVICE)],
    ... )
    >>> graph.impacted_by("db").paths["shop"]
    ('db', 'app', 'shop')
    >>> {ref: state.value for ref, state in graph.propagate({"db"}).items()}
    {'app': 'warning', 'db': 'failed', 'shop': 'warning', 'srv': 'ok'}
    """

    nodes: tuple[CiNode, ...]
    edges: tuple[Edge, ...]
    propagating: frozenset[RelationKind] = DEFAULT_PROPAGATING
    _node: Mapping[str, CiNode] = attrs.field(init=False, eq=False, repr=False)
    _down: Mapping[str, tuple[str, ...]] = attrs.field(init=False, eq=False, repr=False)
    _up: Mapping[str, tuple[str, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        node = {n.ref: n for n in self.nodes}
        if len(node) != len(self.nodes):
            raise ValidationError("a CI reference appears twice among the nodes")
        down: dict[str, set[str]] = {ref: set() for ref in node}
        up: dict[str, set[str]] = {ref: set() for ref in node}
        for e in self.edges:
            for ref in (e.source, e.target):
                if ref not in node:
                    raise UnknownCi(ref)
            if e.kind in self.propagating:  # the target's failure impacts the source
                down[e.target].add(e.source)
                up[e.source].add(e.target)
                if e.kind is RelationKind.CONNECTS_TO:
                    down[e.source].add(e.target)
                    up[e.target].add(e.source)
        object.__setattr__(self, "_node", MappingProxyType(node))
        object.__setattr__(self, "_down", _sorted_adjacency(down))
        object.__setattr__(self, "_up", _sorted_adjacency(up))

    # -- building --------------------------------------------------------------

    @classmethod
    def from_relations(
        cls,
        relations: Iterable[tuple[str, RelationKind, str] | Edge],
        *,
        nodes: Iterable[CiNode] = (),
        propagating: Iterable[RelationKind] = DEFAULT_PROPAGATING,
    ) -> CmdbGraph:
        """A graph from (source, kind, target) tuples; refs without a node get a bare one."""
        edges = {_edge(e) for e in relations}
        known = {n.ref: n for n in nodes}
        for e in edges:
            for ref in (e.source, e.target):
                known.setdefault(ref, CiNode(ref))
        return cls(
            tuple(sorted(known.values(), key=lambda n: n.ref)),
            tuple(sorted(edges)),
            _propagating(propagating),
        )

    @classmethod
    def from_cis(
        cls,
        cis: Iterable[ConfigurationItem],
        *,
        propagating: Iterable[RelationKind] = DEFAULT_PROPAGATING,
        include_retired: bool = False,
    ) -> CmdbGraph:
        """A graph of CIs and their relations.

        Retired CIs and their relations are left out unless `include_retired`.
        A relation to a CI not given becomes a bare node (kind and status
        unknown), so a partial CMDB still yields a usable graph.
        """
        items = [_checks.check_instance(ci, ConfigurationItem, "ci") for ci in cis]
        if len({ci.id for ci in items}) != len(items):
            raise ValidationError("a CI is given twice")
        retired = {ci.id for ci in items if ci.status is CiStatus.RETIRED and not include_retired}
        live = [ci for ci in items if ci.id not in retired]
        edges = [
            Edge(ci.id, r.kind, r.target) for ci in live for r in ci.relations
            if r.target not in retired
        ]  # fmt: skip
        return cls.from_relations(
            edges, nodes=[CiNode.of(ci) for ci in live], propagating=propagating
        )

    # -- facts -------------------------------------------------------------------

    @property
    def refs(self) -> tuple[str, ...]:
        """Every CI reference in the graph, sorted."""
        return tuple(n.ref for n in self.nodes)

    def node(self, ref: str) -> CiNode:
        """What the graph knows of `ref`, or `UnknownCi`."""
        if ref not in self._node:
            raise UnknownCi(ref)
        return self._node[ref]

    def __contains__(self, ref: object) -> bool:
        return ref in self._node

    def dependents(self, ref: str) -> tuple[str, ...]:
        """The CIs a failure of `ref` impacts directly (one propagating relation away)."""
        self.node(ref)
        return self._down[ref]

    def dependencies(self, ref: str) -> tuple[str, ...]:
        """The CIs whose failure impacts `ref` directly (a service's members)."""
        self.node(ref)
        return self._up[ref]

    # -- queries -----------------------------------------------------------------

    def impacted_by(self, ref: str) -> CiReach:
        """Everything a failure of `ref` impacts, transitively, each with a shortest path."""
        return self._reach(ref, self._down)

    def depends_on(self, ref: str) -> CiReach:
        """Everything `ref` needs, transitively (upstream), each with a shortest path."""
        return self._reach(ref, self._up)

    def services_impacted_by(self, ref: str) -> tuple[str, ...]:
        """The services among `impacted_by(ref)`, nearest first."""
        return tuple(r for r in self.impacted_by(ref) if self._node[r].kind is CiKind.SERVICE)

    def propagate(self, incidents_on: Iterable[str]) -> Mapping[str, HealthState]:
        """Every CI's health when the given CIs have incidents (Znuny's incident state).

        - a CI with an incident is `failed`;
        - any other CI is `warning` when something it depends on (any
          propagating relation) is warning or failed, else `ok`;
        - a service instead takes the worst state of its *productive*
          members (the CIs it includes or depends on that are active), so a
          failed member makes it failed, and members in maintenance do not
          count.

        The result is the least solution of these rules, found by a worklist
        that only ever raises states, so cycles settle instead of looping.
        The same incidents always give the same mapping, and feeding the
        failed CIs back in changes nothing.
        """
        failed = self._incident_refs(incidents_on)
        state = {ref: HealthState.OK for ref in self._node}
        for ref in failed:
            state[ref] = HealthState.FAILED
        queue = deque(sorted(failed))
        while queue:
            for ref in self._down[queue.popleft()]:
                new = self._derived(ref, state)
                if new > state[ref]:
                    state[ref] = new
                    queue.append(ref)
        return MappingProxyType(state)

    # -- helpers -----------------------------------------------------------------

    def _derived(self, ref: str, state: Mapping[str, HealthState]) -> HealthState:
        upstream = self._up[ref]
        if self._node[ref].kind is CiKind.SERVICE:
            members = (state[m] for m in upstream if self._node[m].productive)
            return max(members, default=HealthState.OK)
        if any(state[m] is not HealthState.OK for m in upstream):
            return HealthState.WARNING
        return HealthState.OK

    def _incident_refs(self, incidents_on: Iterable[str]) -> frozenset[str]:
        if isinstance(incidents_on, str) or not isinstance(incidents_on, Iterable):
            raise ValidationError("incidents_on must be a collection of CI references")
        refs = frozenset(incidents_on)
        for ref in sorted(refs, key=str):
            self.node(ref)
        return refs

    def _reach(self, origin: str, adjacency: Mapping[str, tuple[str, ...]]) -> CiReach:
        self.node(origin)
        trail: dict[str, tuple[str, ...]] = {origin: (origin,)}
        found: dict[str, tuple[str, ...]] = {}
        queue = deque([origin])
        while queue:
            here = queue.popleft()
            for there in adjacency[here]:
                if there not in found:
                    found[there] = (*trail[here], there)
                if there not in trail:
                    trail[there] = found[there]
                    queue.append(there)
        entries = sorted(found.items(), key=lambda item: (len(item[1]), item[0]))
        return CiReach(origin, tuple(entries))


def _edge(value: object) -> Edge:
    if isinstance(value, Edge):
        return value
    if not isinstance(value, tuple) or len(value) != 3:
        raise ValidationError(f"a relation is (source, kind, target), got {value!r}")
    return Edge(*value)


def _propagating(kinds: Iterable[RelationKind]) -> frozenset[RelationKind]:
    items = frozenset(kinds)
    for kind in items:
        _checks.check_instance(kind, RelationKind, "propagating")
    return items


def support_groups_for(
    ci_refs: Iterable[str], source: CmdbGraph | Iterable[ConfigurationItem]
) -> tuple[SupportGroup, ...]:
    """The support groups responsible for the given CIs, first seen first, without repeats.

    Pure data for a routing policy (which never reads a repository): the
    caller looks the CIs up and hands them, or a graph, in. CIs the source
    does not know, or whose group is unknown, are skipped.

    >>> from itil_l2 import SupportGroup, Tier
    >>> from itil_l2.cmdb import CiNode, CmdbGraph, support_groups_for
    >>> dba = SupportGroup("database-l2", Tier.L2, {"database"})
    >>> graph = CmdbGraph.from_relations([], nodes=[CiNode("db-1", support_group=dba)])
    >>> [g.name for g in support_groups_for(["db-1", "unknown-ci"], graph)]
    ['database-l2']
    """
    refs = _checks.check_texts(ci_refs, "ci_refs")
    groups: dict[str, SupportGroup | None] = {}
    if isinstance(source, CmdbGraph):
        groups = {ref: source.node(ref).support_group for ref in refs if ref in source}
    else:
        cis = (_checks.check_instance(ci, ConfigurationItem, "ci") for ci in source)
        groups = {ci.id: ci.support_group for ci in cis}
    found = (groups.get(ref) for ref in refs)
    return tuple(dict.fromkeys(g for g in found if g is not None))


def cis_with_open_incidents(tickets: Iterable[Any]) -> frozenset[str]:
    """The CIs named by open incident tickets: the `incidents_on` for `propagate`.

    Service requests, and resolved, closed or cancelled incidents, do not count.
    """
    refs: set[str] = set()
    for ticket in tickets:
        _checks.check_instance(ticket, Ticket, "ticket")
        if ticket.kind is TicketKind.INCIDENT and ticket.phase.is_open:
            refs.update(ticket.ci_refs)
    return frozenset(refs)
