"""How each cmdb event changes its entity's fields.

Appliers never fail: every check happens before an event exists, so applying
is the last, infallible step of a trigger, and replay uses the same appliers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType
from typing import Any

from itil_l2.cmdb.events import (
    CiAttributesUpdated,
    CiDetailsUpdated,
    CiRelated,
    CiResolutionChangesApplied,
    CiStatusChanged,
    CiUnrelated,
)

_set = object.__setattr__


def _status_changed(ci: Any, p: CiStatusChanged, _at: datetime) -> None:
    """The state itself is set by the engine; the payload is the record."""


def _details_updated(ci: Any, p: CiDetailsUpdated, _at: datetime) -> None:
    _set(ci, "name", p.name)
    _set(ci, "owner", p.owner)
    _set(ci, "support_group", p.support_group)


def _attributes_changed(
    ci: Any, p: CiAttributesUpdated | CiResolutionChangesApplied, _at: datetime
) -> None:
    values = dict(ci.attributes)
    for change in p.changes:
        if change.new is None:
            values.pop(change.attribute, None)
        else:
            values[change.attribute] = change.new
    _set(ci, "attributes", MappingProxyType(values))


def _related(ci: Any, p: CiRelated, _at: datetime) -> None:
    _set(ci, "relations", (*ci.relations, p.relation))


def _unrelated(ci: Any, p: CiUnrelated, _at: datetime) -> None:
    _set(ci, "relations", tuple(r for r in ci.relations if r != p.relation))


APPLIERS: dict[type[Any], Callable[[Any, Any, datetime], None]] = {
    CiStatusChanged: _status_changed,
    CiDetailsUpdated: _details_updated,
    CiAttributesUpdated: _attributes_changed,
    CiResolutionChangesApplied: _attributes_changed,
    CiRelated: _related,
    CiUnrelated: _unrelated,
}
