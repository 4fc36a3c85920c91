"""The ConfigurationItem entity: a CMDB record with a lifecycle, relations and history.

A CI changes only through triggers, like a ticket: each one validates its
input, checks time, routes through the compiled CI lifecycle, asks the
permissions policy, runs its own checks and only then appends exactly one
event, so a refused trigger leaves the CI untouched. The history says who
changed what, and for changes made while resolving a ticket, which ticket.

Attribute values are JSON-safe; None means "absent" (setting an attribute to
None removes it, and a `CiChange` with `old=None` creates one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.checks import check_instance, check_optional_text, check_text, frozen_json
from itil_l2._core.entity import Entity
from itil_l2._core.tier import SupportGroup
from itil_l2._core.unset import UNSET, Unset
from itil_l2.cmdb import events as ev
from itil_l2.cmdb._apply import APPLIERS
from itil_l2.cmdb._config import CmdbConfig
from itil_l2.cmdb._workflow import (
    WORKFLOW,
    CiChangeConflict,
    CiStatus,
    CiTrigger,
    ResolutionAlreadyApplied,
    UnknownRelation,
)
from itil_l2.cmdb.events import AttributeChange, AttributeRecord, CiKind, Relation, RelationKind
from itil_l2.errors import CorruptHistory, DuplicateLink, ValidationError
from itil_l2.tickets import Ticket

__all__ = ["ConfigurationItem", "apply_resolution", "ci_changes_for"]

_DEFAULT_CONFIG = CmdbConfig()


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class ConfigurationItem(Entity[ev.CiEvent]):  # type: ignore[override]  # attrs: no __init__
    """A configuration item: server, network device, database, application or service.

    Create one with `ConfigurationItem.register` (status planned), move it
    with its triggers, rebuild it with `ConfigurationItem.from_history`.
    Outgoing relations live on the CI ("this depends_on that"); build a
    `CmdbGraph` from many CIs for impact analysis.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2 import ConfigurationItem
    >>> from itil_l2.cmdb.events import CiKind, CiStatus, RelationKind
    >>> dba = SupportGroup("database-l2", Tier.L2, {"database"})
    >>> bob = Actor("bob", groups={"database-l2"})
    >>> t0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    >>> db = ConfigurationItem.register(id="db-prod-3", name="Orders DB", kind=CiKind.DATABASE,
    ...                                 support_group=dba, attributes={"version": "19.3.0"},
    ...                                 at=t0, actor=bob)
    >>> db.change_status(CiStatus.ACTIVE, at=t0, actor=bob)
    >>> db.relate(RelationKind.RUNS_ON, "srv-7", at=t0, actor=bob)
    >>> db.status.value, db.attributes["version"], db.version
    ('active', '19.3.0', 3)
    """

    name: str
    kind: CiKind
    support_group: SupportGroup
    owner: str | None
    attributes: Mapping[str, Any]
    relations: tuple[Relation, ...]
    config: CmdbConfig

    _WORKFLOW = WORKFLOW
    _EVENT = ev.CiEvent
    _KIND = "ci"
    _APPLIERS = APPLIERS

    # -- creation and replay -------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        id: str,
        name: str,
        kind: CiKind,
        support_group: SupportGroup,
        at: datetime,
        actor: Actor,
        owner: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        relations: Iterable[Relation] = (),
        config: CmdbConfig = _DEFAULT_CONFIG,
    ) -> ConfigurationItem:
        """Record a new CI; it starts planned (`change_status` puts it in production)."""
        check_text(id, "id")
        check_instance(config, CmdbConfig, "config")
        values = frozen_json(attributes)
        for key, value in values.items():
            check_text(key, "attribute name")
            if value is None:
                raise ValidationError(f"attribute {key!r} is None; leave absent ones out")
        payload = ev.CiRegistered(
            name=check_text(name, "name"),
            kind=check_instance(kind, CiKind, "kind"),
            support_group=check_instance(support_group, SupportGroup, "support_group"),
            owner=check_optional_text(owner, "owner"),
            relations=_relations(id, relations),
            attributes=values,
        )
        return cls._created(id, payload, at, actor, config)

    @classmethod
    def from_history(
        cls, events: Iterable[ev.CiEvent], *, config: CmdbConfig = _DEFAULT_CONFIG
    ) -> ConfigurationItem:
        """Rebuild a CI exactly by replaying its events through the lifecycle.

        Raises `CorruptHistory` when the events do not form one legal history.
        """
        return cls._replayed(events, config)

    @classmethod
    def _first(cls, event: ev.CiEvent, config: CmdbConfig) -> ConfigurationItem:
        p = event.payload
        if not isinstance(p, ev.CiRegistered):
            raise CorruptHistory("a CI history starts with a CiRegistered event")
        return cls._start(
            event,
            [
                ("id", event.entity_id),
                ("name", p.name),
                ("kind", p.kind),
                ("support_group", p.support_group),
                ("owner", p.owner),
                ("relations", p.relations),
                ("attributes", MappingProxyType(dict(p.attributes))),
                ("config", config),
                ("state", CiStatus.PLANNED.value),
            ],
        )

    # -- derived facts -------------------------------------------------------

    @property
    def status(self) -> CiStatus:
        """planned, active, maintenance or retired."""
        return CiStatus(self.state)

    @property
    def productive(self) -> bool:
        """Whether the CI is in production (active); services only count productive members."""
        return self.state == CiStatus.ACTIVE.value

    def allowed_triggers(self) -> tuple[CiTrigger, ...]:
        """The triggers the lifecycle allows from the current status."""
        return WORKFLOW.allowed_triggers(self.state)

    def attribute_history(self, attribute: str | None = None) -> tuple[AttributeRecord, ...]:
        """Every attribute change (registration included), oldest first; one attribute or all."""
        records = []
        for event in self.history:
            p = event.payload
            if isinstance(p, ev.CiRegistered):
                changes = tuple(AttributeChange(k, None, v) for k, v in p.attributes.items())
            elif isinstance(p, ev.CiAttributesUpdated | ev.CiResolutionChangesApplied):
                changes = p.changes
            else:
                continue
            ticket_id = p.ticket_id if isinstance(p, ev.CiResolutionChangesApplied) else None
            records += [
                AttributeRecord(c.attribute, c.old, c.new, event.at, event.actor_id,
                                event.version, ticket_id)
                for c in changes
                if attribute is None or c.attribute == attribute
            ]  # fmt: skip
        return tuple(records)

    def changes_by_ticket(self, ticket_id: str) -> tuple[AttributeRecord, ...]:
        """The attribute changes a given ticket's resolution made to this CI."""
        return tuple(r for r in self.attribute_history() if r.ticket_id == ticket_id)

    def __repr__(self) -> str:
        return f"<ConfigurationItem {self.id} {self.kind.value} {self.state} v{self.version}>"

    # -- triggers --------------------------------------------------------------

    def change_status(
        self, status: CiStatus, *, at: datetime, actor: Actor, reason: str | None = None
    ) -> None:
        """Move through the lifecycle: planned → active ⇄ maintenance, any → retired."""
        check_instance(status, CiStatus, "status")
        payload = ev.CiStatusChanged(self.status, status, check_optional_text(reason, "reason"))
        self._fire(payload, at, actor)

    def update(
        self,
        *,
        at: datetime,
        actor: Actor,
        name: str | Unset = UNSET,
        owner: str | Unset | None = UNSET,
        support_group: SupportGroup | Unset = UNSET,
    ) -> None:
        """Change the name, owner or support group; an update that changes nothing is refused."""
        payload = ev.CiDetailsUpdated(
            self.name if name is UNSET else check_text(name, "name"),
            self.owner if owner is UNSET else check_optional_text(owner, "owner"),
            self.support_group
            if support_group is UNSET
            else check_instance(support_group, SupportGroup, "support_group"),
        )
        current = (self.name, self.owner, self.support_group)
        unchanged = (payload.name, payload.owner, payload.support_group) == current
        self._fire(payload, at, actor, _nothing_changes(self.id) if unchanged else None)

    def update_attributes(self, values: Mapping[str, Any], *, at: datetime, actor: Actor) -> None:
        """Set attributes (None removes one); records old and new value of each change."""
        given = frozen_json(values)
        changes = tuple(
            AttributeChange(key, self.attributes.get(key), new)
            for key, new in given.items()
            if not _same(self.attributes.get(key), new)
        )
        check = None if changes else _nothing_changes(self.id)
        self._fire(ev.CiAttributesUpdated(changes), at, actor, check)

    def apply_resolution_changes(self, ticket: Ticket, *, at: datetime, actor: Actor) -> None:
        """Record the CI changes the ticket's resolution lists for this CI, naming the ticket.

        Each change's `old` must equal the current value (changes apply in
        order, so a later one sees an earlier one's result); otherwise
        `CiChangeConflict`, and nothing changes. Applying the same ticket's
        same changes twice raises `ResolutionAlreadyApplied`.
        """
        changes = ci_changes_for(ticket, self.id)
        payload = ev.CiResolutionChangesApplied(ticket.id, changes)
        self._fire(payload, at, actor, lambda: self._check_resolution(payload))

    def relate(self, kind: RelationKind, target: str, *, at: datetime, actor: Actor) -> None:
        """Add an outgoing relation, e.g. `app.relate(RelationKind.RUNS_ON, "srv-1", ...)`."""
        relation = _relation(self.id, kind, target)

        def check() -> None:
            if relation in self.relations:
                raise DuplicateLink(f"{self.id} already {kind.value} {target}")

        self._fire(ev.CiRelated(relation), at, actor, check)

    def unrelate(self, kind: RelationKind, target: str, *, at: datetime, actor: Actor) -> None:
        """Remove an outgoing relation (also allowed on a retired CI, to clean up)."""
        relation = _relation(self.id, kind, target)

        def check() -> None:
            if relation not in self.relations:
                raise UnknownRelation(f"{self.id} has no relation {kind.value} {target}")

        self._fire(ev.CiUnrelated(relation), at, actor, check)

    # -- helpers ---------------------------------------------------------------

    def _check_resolution(self, payload: ev.CiResolutionChangesApplied) -> None:
        values = dict(self.attributes)
        for change in payload.changes:
            current = values.get(change.attribute)
            if not _same(current, change.old):
                raise CiChangeConflict(self.id, change.attribute, change.old, current)
            values[change.attribute] = change.new
        for event in self.history:
            if event.payload == payload:
                raise ResolutionAlreadyApplied(
                    f"{self.id}: {payload.ticket_id}'s changes were applied in v{event.version}"
                )

    def _preflight_resolution(self, ticket: Ticket, at: datetime, actor: Actor) -> None:
        """What `apply_resolution_changes` checks, changing nothing (for all-or-nothing batches)."""
        changes = ci_changes_for(ticket, self.id)
        payload = ev.CiResolutionChangesApplied(ticket.id, changes)
        self._vet(payload, at, actor)
        self._check_resolution(payload)


def ci_changes_for(ticket: Ticket, ci_id: str) -> tuple[AttributeChange, ...]:
    """The changes a resolved ticket records for one CI, as JSON-normalised `AttributeChange`s.

    Pure: reads `ticket.resolution.ci_changes`. Raises `ValidationError` when
    the ticket has no resolution or records nothing for this CI.

    >>> from itil_l2 import ValidationError
    >>> from itil_l2.cmdb import ci_changes_for
    >>> from itil_l2.testing import example_ticket
    >>> try:
    ...     ci_changes_for(example_ticket(), "db-1")
    ... except ValidationError as exc:
    ...     print(exc)
    INC-EXAMPLE has no resolution (resolve it first)
    """
    check_instance(ticket, Ticket, "ticket")
    if ticket.resolution is None:
        raise ValidationError(f"{ticket.id} has no resolution (resolve it first)")
    changes = tuple(
        AttributeChange(c.attribute, _json(c.old), _json(c.new))
        for c in ticket.resolution.ci_changes
        if c.ci_ref == ci_id
    )
    if not changes:
        raise ValidationError(f"{ticket.id}'s resolution records no change for {ci_id}")
    return changes


def apply_resolution(
    ticket: Ticket,
    cis: Sequence[ConfigurationItem],
    *,
    at: datetime,
    actor: Actor,
) -> None:
    """Apply a resolution's CI changes to every CI it names, all or nothing.

    `cis` must hold every CI the resolution names (others are ignored). Every
    CI's trigger is checked before any is changed, so one conflict leaves
    all of them as they were.
    """
    check_instance(ticket, Ticket, "ticket")
    if ticket.resolution is None or not ticket.resolution.ci_changes:
        raise ValidationError(f"{ticket.id} has no resolution with CI changes to apply")
    by_id = {ci.id: ci for ci in cis}
    named = list(dict.fromkeys(c.ci_ref for c in ticket.resolution.ci_changes))
    missing = [ref for ref in named if ref not in by_id]
    if missing:
        raise ValidationError(f"{ticket.id} changes CIs that were not given: {', '.join(missing)}")
    for ref in named:
        by_id[ref]._preflight_resolution(ticket, at, actor)
    for ref in named:
        by_id[ref].apply_resolution_changes(ticket, at=at, actor=actor)


def _nothing_changes(ci_id: str) -> Callable[[], None]:
    """A trigger check refusing an update that changes nothing (after the lifecycle's say)."""

    def check() -> None:
        raise ValidationError(f"{ci_id}: the update changes nothing")

    return check


def _relation(ci_id: str, kind: RelationKind, target: str) -> Relation:
    check_instance(kind, RelationKind, "kind")
    if check_text(target, "target") == ci_id:
        raise ValidationError(f"{ci_id} cannot relate to itself")
    return Relation(kind, target)


def _relations(ci_id: str, relations: Iterable[Relation]) -> tuple[Relation, ...]:
    if isinstance(relations, Relation) or not isinstance(relations, Iterable):
        raise ValidationError("relations must be an iterable of Relation values")
    items = tuple(_relation(ci_id, check_instance(r, Relation, "relation").kind, r.target)
                  for r in relations)  # fmt: skip
    if len(set(items)) != len(items):
        raise DuplicateLink(f"{ci_id}: a relation is given twice")
    return items


def _json(value: Any) -> Any:
    """A deep, JSON-shaped copy (tuples become lists), as stored attributes are."""
    return frozen_json({"v": value})["v"]


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON (so 1 and True, or 1 and 1.0, differ; key order does not matter)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
