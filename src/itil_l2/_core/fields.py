"""Field updates as events: validated new values become recorded `FieldChange`s.

A ticket's `update` and an article's `edit` work alike: the trigger validates
the given values, keeps those that differ from the entity's, and records each
as old and new value in JSON form (so an event never holds a live object);
the applier decodes the new value back into the field. A `Codec` is the pair
(to JSON, from JSON) of one field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError

__all__ = [
    "MAPPING",
    "SAME",
    "STRINGS",
    "Codec",
    "FieldChange",
    "apply_changes",
    "check_changes",
    "enum_codec",
    "field_changes",
]

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
"""One field's (to JSON for the event, from JSON back to the field value)."""


def _json(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _checks.json_safe(value, attribute.name)


@frozen
class FieldChange:
    """One field's old and new value, in JSON form."""

    field: str = attrs.field(validator=_checks.text)
    old: Any = attrs.field(validator=_json)
    new: Any = attrs.field(validator=_json)


def _same(value: Any) -> Any:
    return value


SAME: Codec = (_same, _same)
"""Text, numbers and flags are their own JSON."""
STRINGS: Codec = (list, tuple)
"""A tuple of strings is a JSON list."""
MAPPING: Codec = (_checks.thawed, _checks.frozen)
"""A deeply read-only mapping (`frozen`) is a JSON object."""


def enum_codec(enum: type[Enum]) -> Codec:
    """An enum member is its value in JSON."""
    return (lambda member: member.value, enum)


def field_changes(
    entity: Any, new: Mapping[str, Any], codecs: Mapping[str, Codec], action: str
) -> tuple[FieldChange, ...]:
    """The changes validated `new` values make to `entity`; refuses a change of nothing."""
    changes = []
    for name, value in new.items():
        encode = codecs[name][0]
        old_json, new_json = encode(getattr(entity, name)), encode(value)
        if old_json != new_json:
            changes.append(FieldChange(name, old_json, new_json))
    if not changes:
        raise ValidationError(f"{entity.id}: the {action} changes nothing")
    return tuple(changes)


def check_changes(entity: Any, name: str, value: object) -> None:
    """A trigger that sets the field `name` to `value` must change it (a rule's check)."""
    if getattr(entity, name) == value:
        raise ValidationError(f"{entity.id}: {name} is already that; nothing changes")


def apply_changes(entity: Any, changes: Iterable[FieldChange], codecs: Mapping[str, Codec]) -> None:
    """Set each changed field to its decoded new value (an applier's work)."""
    for change in changes:
        object.__setattr__(entity, change.field, codecs[change.field][1](change.new))
