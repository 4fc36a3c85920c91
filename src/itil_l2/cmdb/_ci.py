"""The ConfigurationItem entity: a CMDB record with a lifecycle, relations and history.

A CI changes only through triggers, like a ticket: each one builds its
payload (which checks its own values), and the entity engine asks the
permissions policy, checks time, routes through the compiled CI lifecycle, runs
the payload's rule (`_rules.RULES`, the same on replay) and only then
appends exactly one event, so a refused trigger leaves the CI untouched. The
history says who changed what, and for changes made while resolving a
ticket, which ticket.

Attribute values are JSON-safe; None means "absent" (setting an attribute to
None removes it, and a `CiChange` with `old=None` creates one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.chain import Chain
from itil_l2._core.checks import check_instance, frozen, frozen_json
from itil_l2._core.entity import Entity
from itil_l2._core.tier import SupportGroup
from itil_l2._core.unset import UNSET, Unset
from itil_l2.cmdb import events as ev
from itil_l2.cmdb._apply import APPLIERS
from itil_l2.cmdb._config import CmdbConfig
from itil_l2.cmdb._rules import RULES, check_registered, same_json
from itil_l2.cmdb._workflow import WORKFLOW, CiStatus, CiTrigger
from itil_l2.cmdb.events import AttributeChange, AttributeRecord, CiKind, Relation, RelationKind
from itil_l2.errors import CorruptHistory, ValidationError
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
    relations: Chain[Relation]
    config: CmdbConfig

    _WORKFLOW = WORKFLOW
    _EVENT = ev.CiEvent
    _KIND = "ci"
    _APPLIERS = APPLIERS
    _RULES = RULES
    _DEFAULT = _DEFAULT_CONFIG

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
        """Record a new CI; it starts planned (`change_status` puts it in production).

        Relations go to other CIs, each once; attributes are JSON-safe and
        never None (leave absent ones out).
        """
        check_instance(config, CmdbConfig, "config")
        if isinstance(relations, Relation) or not isinstance(relations, Iterable):
            raise ValidationError("relations must be an iterable of Relation values")
        payload = ev.CiRegistered(
            name=name,
            kind=kind,
            support_group=support_group,
            owner=owner,
            relations=tuple(relations),
            attributes=frozen_json(attributes),
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
        check_registered(event.entity_id, p)
        return cls._start(
            event,
            [
                ("id", event.entity_id),
                ("name", p.name),
                ("kind", p.kind),
                ("support_group", p.support_group),
                ("owner", p.owner),
                ("relations", Chain(p.relations)),
                ("attributes", frozen(p.attributes)),
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
        self._fire(ev.CiStatusChanged(self.status, status, reason), at, actor)

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
            self.name if name is UNSET else name,
            self.owner if owner is UNSET else owner,
            self.support_group if support_group is UNSET else support_group,
        )
        self._fire(payload, at, actor)

    def update_attributes(self, values: Mapping[str, Any], *, at: datetime, actor: Actor) -> None:
        """Set attributes (None removes one); records old and new value of each change.

        Values that are already set are left out; an update that changes
        nothing is refused.
        """
        given = frozen_json(values)
        changes = tuple(
            AttributeChange(key, self.attributes.get(key), new)
            for key, new in given.items()
            if not same_json(self.attributes.get(key), new)
        )
        self._fire(ev.CiAttributesUpdated(changes), at, actor)

    def apply_resolution_changes(self, ticket: Ticket, *, at: datetime, actor: Actor) -> None:
        """Record the CI changes the ticket's resolution lists for this CI, naming the ticket.

        Each change's `old` must equal the current value (changes apply in
        order, so a later one sees an earlier one's result); otherwise
        `CiChangeConflict`, and nothing changes. Applying the same ticket's
        same changes twice raises `ResolutionAlreadyApplied`. Those are the
        event's rule, checked on replay too; that the ticket has a resolution
        recording changes for this CI is read from the ticket, live only
        (a stored event names the ticket, it does not hold it).
        """
        self._fire(self._resolution_payload(ticket), at, actor)

    def relate(self, kind: RelationKind, target: str, *, at: datetime, actor: Actor) -> None:
        """Add an outgoing relation, e.g. `app.relate(RelationKind.RUNS_ON, "srv-1", ...)`."""
        self._fire(ev.CiRelated(Relation(kind, target)), at, actor)

    def unrelate(self, kind: RelationKind, target: str, *, at: datetime, actor: Actor) -> None:
        """Remove an outgoing relation (also allowed on a retired CI, to clean up)."""
        self._fire(ev.CiUnrelated(Relation(kind, target)), at, actor)

    # -- helpers ---------------------------------------------------------------

    def _resolution_payload(self, ticket: Ticket) -> ev.CiResolutionChangesApplied:
        changes = ci_changes_for(ticket, self.id)  # checks the ticket first
        return ev.CiResolutionChangesApplied(ticket.id, changes)

    def _preflight_resolution(self, ticket: Ticket, at: datetime, actor: Actor) -> None:
        """What `apply_resolution_changes` checks, changing nothing (for all-or-nothing batches)."""
        self._vet(self._resolution_payload(ticket), at, actor)


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


def _json(value: Any) -> Any:
    """A deep, JSON-shaped copy (tuples become lists), as stored attributes are."""
    return frozen_json({"v": value})["v"]
