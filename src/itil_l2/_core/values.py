"""Replay's checks of hand-built events: the envelope, and values as constructors check them.

Events decoded from JSON went through their classes' constructors; events
built by hand (`object.__new__`, a forger's tool) did not. Replay runs these
checks on every event, so a value a constructor refuses never loads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from itil_l2._core.chain import Chain
from itil_l2._core.checks import MAX_ID_LENGTH, check_identifier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import UnknownSchema, ValidationError

__all__ = ["check_envelope", "check_values"]


def check_envelope(event: Any, schema: int, kind: str) -> None:
    """The envelope as a trigger writes it: an actor, an aware time, the current schema."""
    at, actor_id = event.at, event.actor_id
    # As an `Actor`'s id is; the common case (a short printable str) without a call.
    if (
        type(actor_id) is not str
        or not actor_id.isprintable()
        or not 0 < len(actor_id) <= MAX_ID_LENGTH
        or actor_id.isspace()
    ):
        check_identifier(actor_id, "actor_id")
    if (type(at) is not datetime or at.tzinfo is not UTC) and (  # UTC: aware, no call
        not isinstance(at, datetime) or at.utcoffset() is None
    ):
        ensure_aware(at)
    if type(event.version) is not int:
        raise ValidationError(f"an event's version is a whole number, got {event.version!r}")
    if event.schema != schema:
        if isinstance(event.schema, int) and event.schema > schema:
            raise UnknownSchema(f"{kind} event schema {event.schema} is newer than {schema}")
        raise ValidationError(f"event schema {event.schema!r} is not {schema} (upcast first)")


def check_values(value: object, depth: int = 0) -> None:
    """Check `value` and every attrs value inside it as their constructors would.

    Stored JSON is checked as it is decoded; this catches the same faults in
    events built by hand (`object.__new__`), nested values included: each
    field's converter must leave its value as it is, and its validator pass.
    """
    if depth > _MAX_DEPTH:
        raise ValidationError(f"values nest more than {_MAX_DEPTH} levels deep")
    cls = type(value)
    plan = _PLANS.get(cls)
    if plan is None:
        if not attrs.has(cls):
            if cls is tuple or cls is Chain:
                for item in value:  # type: ignore[attr-defined]
                    if type(item) not in _PLAIN:
                        check_values(item, depth + 1)
            return
        plan = _PLANS[cls] = _plan(cls)
    for field, convert, check in plan:
        inner = getattr(value, field.name)
        if convert is not None:
            again = convert(inner)
            if type(again) is not type(inner) or again != inner:
                raise ValidationError(f"{cls.__name__}.{field.name} is {inner!r}")
        if check is not None:
            check(value, field, inner)
        if type(inner) not in _PLAIN:
            check_values(inner, depth + 1)


Plan = tuple[tuple[Any, Callable[[Any], Any] | None, Callable[..., None] | None], ...]
_PLANS: dict[type, Plan] = {}
"""Per attrs class: each field with its converter and validator (built once)."""


def _plan(cls: type) -> Plan:
    return tuple((f, f.converter, f.validator) for f in attrs.fields(cls))


_PLAIN = frozenset({str, int, bool, float, type(None), datetime})
_MAX_DEPTH = 40
