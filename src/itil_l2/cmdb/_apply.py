"""How each CI event changes a configuration item: status, details, attributes, relations.

Checks run before an event exists; applying is the last step of a trigger
and of `ConfigurationItem.from_history` alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2._core.chain import Chain
from itil_l2._core.checks import FrozenDict, frozen
from itil_l2.cmdb import events as ev

_set = object.__setattr__


def _status_changed(ci: Any, p: ev.CiStatusChanged, _at: datetime) -> None:
    """The state itself is set by the engine; the payload is the record."""


def _details_updated(ci: Any, p: ev.CiDetailsUpdated, _at: datetime) -> None:
    _set(ci, "name", p.name)
    _set(ci, "owner", p.owner)
    _set(ci, "support_group", p.support_group)


def _attributes_changed(
    ci: Any, p: ev.CiAttributesUpdated | ev.CiResolutionChangesApplied, _at: datetime
) -> None:
    values = dict(ci.attributes)
    for change in p.changes:
        if change.new is None:
            values.pop(change.attribute, None)
        else:
            values[change.attribute] = frozen(change.new)
    _set(ci, "attributes", FrozenDict(values))


def _related(ci: Any, p: ev.CiRelated, _at: datetime) -> None:
    _set(ci, "relations", ci.relations.plus(p.relation))


def _unrelated(ci: Any, p: ev.CiUnrelated, _at: datetime) -> None:
    _set(ci, "relations", Chain(r for r in ci.relations if r != p.relation))


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    ev.CiStatusChanged: _status_changed,
    ev.CiDetailsUpdated: _details_updated,
    ev.CiAttributesUpdated: _attributes_changed,
    ev.CiResolutionChangesApplied: _attributes_changed,
    ev.CiRelated: _related,
    ev.CiUnrelated: _unrelated,
}
