"""The rule of every CI trigger: what its event must hold, checked live and on replay.

`RULES` maps each payload type to one function taking the configuration item
as it is before the event, the payload and the actor's id. The triggers of
`ConfigurationItem` only build payloads; the entity engine runs the payload's
rule both when a trigger fires and when a stored history is replayed, so a
check cannot exist for one path only. `check_registered` is the rule of the
creation event, which `ConfigurationItem._first` runs live and on replay.

Every rule first runs the payload's own value checks again (`_values`): a
payload made by a trigger or decoded from JSON has passed them already, but an
event object built around its validators must not load either. Then come the
checks that need the CI: an update changes something, a relation is neither
given twice nor to the CI itself, only an existing relation is removed, the
old values an event records are the CI's current ones, and a ticket's
changes are applied once.

Nothing here depends on who the actor is: the engine asks the permissions
policy, live only. What depends on the ticket a resolution comes from (it has
a resolution, which records changes for this CI) is read while the trigger
builds the payload (`ci_changes_for`), live only too: replay has the payload,
not the ticket.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import attrs

from itil_l2._core.checks import check_identifier, thawed
from itil_l2._core.entity import Rule
from itil_l2.cmdb import events as ev
from itil_l2.cmdb._workflow import CiChangeConflict, ResolutionAlreadyApplied, UnknownRelation
from itil_l2.cmdb.events import Relation
from itil_l2.errors import DuplicateLink, ValidationError

__all__ = ["RULES", "check_registered", "same_json"]


def check_registered(ci_id: str, p: ev.CiRegistered) -> None:
    """The creation event: its values, an id, and relations neither to itself nor twice."""
    _values(p)
    check_identifier(ci_id, "id")
    for relation in p.relations:
        _not_itself(ci_id, relation)
    if len(set(p.relations)) != len(p.relations):
        raise DuplicateLink(f"{ci_id}: a relation is given twice")


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON (so 1 and True, or 1 and 1.0, differ; key order does not matter)."""
    return json.dumps(thawed(a), sort_keys=True) == json.dumps(thawed(b), sort_keys=True)


# -- one rule per payload type --------------------------------------------------------


def _status_changed(ci: Any, p: ev.CiStatusChanged, _actor: str, _at: datetime) -> None:
    """The recorded old status is the CI's and the new one differs.

    The lifecycle's `to_<status>` conditions refuse a false old status first
    (`InvalidTransition`); this keeps the rule true of the payload on its own.
    """
    _values(p)
    if p.old != ci.state or p.new == p.old:
        raise ValidationError(f"{ci.id} is {ci.state}: it cannot go from {p.old} to {p.new}")


def _details_updated(ci: Any, p: ev.CiDetailsUpdated, _actor: str, _at: datetime) -> None:
    _values(p)
    if (p.name, p.owner, p.support_group) == (ci.name, ci.owner, ci.support_group):
        raise ValidationError(f"{ci.id}: the update changes nothing")


def _attributes_updated(ci: Any, p: ev.CiAttributesUpdated, _actor: str, _at: datetime) -> None:
    """Each change names an attribute once, its true old value and a different new one."""
    _values(p)
    if not p.changes:
        raise ValidationError(f"{ci.id}: the update changes nothing")
    seen: set[str] = set()
    for change in p.changes:
        name = change.attribute
        if name in seen:
            raise ValidationError(f"{ci.id}: the update changes {name!r} twice")
        seen.add(name)
        current = ci.attributes.get(name)
        if not same_json(current, change.old):
            raise CiChangeConflict(ci.id, name, change.old, current)
        if same_json(change.old, change.new):
            raise ValidationError(f"{ci.id}: the update leaves {name!r} as it is")


def _resolution_applied(
    ci: Any, p: ev.CiResolutionChangesApplied, _actor: str, _at: datetime
) -> None:
    """Each change's old value is the current one (in order), and only once per ticket.

    Changes apply in order, so a later one sees an earlier one's result; a
    change may confirm a value (old equals new).
    """
    _values(p)
    if not p.changes:
        raise ValidationError(f"{ci.id}: {p.ticket_id}'s resolution records no change for it")
    values = dict(ci.attributes)
    for change in p.changes:
        current = values.get(change.attribute)
        if not same_json(current, change.old):
            raise CiChangeConflict(ci.id, change.attribute, change.old, current)
        values[change.attribute] = change.new
    for event in ci.history:
        if event.payload == p:
            raise ResolutionAlreadyApplied(
                f"{ci.id}: {p.ticket_id}'s changes were applied in v{event.version}"
            )


def _related(ci: Any, p: ev.CiRelated, _actor: str, _at: datetime) -> None:
    _values(p)
    relation = _not_itself(ci.id, p.relation)
    if relation in ci.relations:
        raise DuplicateLink(f"{ci.id} already {relation.kind.value} {relation.target}")


def _unrelated(ci: Any, p: ev.CiUnrelated, _actor: str, _at: datetime) -> None:
    _values(p)
    relation = _not_itself(ci.id, p.relation)
    if relation not in ci.relations:
        raise UnknownRelation(f"{ci.id} has no relation {relation.kind.value} {relation.target}")


# -- shared parts -----------------------------------------------------------------------


def _values(value: Any) -> None:
    """Run the validators of an attrs value and of the attrs values inside it again."""
    attrs.validate(value)
    for f in attrs.fields(type(value)):
        item = getattr(value, f.name)
        for inner in item if isinstance(item, tuple) else (item,):
            if attrs.has(type(inner)):
                _values(inner)


def _not_itself(ci_id: str, relation: Relation) -> Relation:
    if relation.target == ci_id:
        raise ValidationError(f"{ci_id} cannot relate to itself")
    return relation


RULES: dict[type[Any], Rule] = {
    ev.CiStatusChanged: _status_changed,
    ev.CiDetailsUpdated: _details_updated,
    ev.CiAttributesUpdated: _attributes_updated,
    ev.CiResolutionChangesApplied: _resolution_applied,
    ev.CiRelated: _related,
    ev.CiUnrelated: _unrelated,
}
"""Payload type -> its rule (every CI payload but the creation event has one)."""
