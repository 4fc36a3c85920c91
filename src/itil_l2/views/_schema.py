"""JSON Schema of every view, generated from the view classes' annotations.

The schema is derived from the same `TypedDict` a type checker and pydantic
read, so the three cannot drift apart: a field added to a view appears in its
schema, and a view that sets a key its class does not declare fails
validation (`additionalProperties: false`). Draft 2020-12, which OpenAPI 3.1
uses as is.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

import typing_extensions

from itil_l2.errors import ValidationError
from itil_l2.views._policy import Choice, Format

__all__ = ["json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def json_schema(view: type[Any]) -> dict[str, Any]:
    """The JSON Schema of a view class (`TicketView`, `SlaView`, ...).

    >>> from itil_l2.views import TicketView, json_schema
    >>> schema = json_schema(TicketView)
    >>> schema["properties"]["tier"]
    {'type': 'string', 'enum': ['L1', 'L2', 'L3']}
    >>> schema["properties"]["resolved_at"]
    {'type': ['string', 'null'], 'format': 'date-time'}
    >>> schema["additionalProperties"], "id" in schema["required"]
    (False, True)
    """
    if not typing_extensions.is_typeddict(view):
        raise ValidationError(f"{view!r} is not a view class (a TypedDict)")
    hints = typing_extensions.get_type_hints(view, include_extras=True)
    doc = (view.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return {
        "$schema": DIALECT,
        "title": view.__name__,
        "description": " ".join(doc.split()),
        "type": "object",
        "properties": {name: _field(hint) for name, hint in hints.items()},
        "required": list(hints),
        "additionalProperties": False,
    }


def _field(hint: Any) -> dict[str, Any]:
    """One field's schema: a scalar, list or object, optionally nullable and marked."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1 or len(args) != 2:
            raise TypeError(f"a view field is one type or that type or None, got {hint!r}")
        schema = _field(inner[0])
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if origin is typing.Annotated:
        schema = _field(args[0])
        for mark in args[1:]:
            if isinstance(mark, Choice):
                schema["enum"] = list(mark.values)
            elif isinstance(mark, Format):
                schema["format"] = mark.format
        return schema
    if origin is list:
        return {"type": "array", "items": _field(args[0])}
    if origin is dict:
        return {"type": "object"}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"a view field must be a JSON type, got {hint!r}")
