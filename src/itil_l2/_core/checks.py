"""attrs validators that raise the library's `ValidationError` instead of bare ones."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

import attrs

from itil_l2.errors import ValidationError


def text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name} must be a non-blank string, got {value!r}")


def optional_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """None or a non-blank string."""
    if value is not None:
        text(_inst, attribute, value)


def texts(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A tuple of non-blank strings."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError(f"{attribute.name} must be a tuple of non-blank strings")


def instance(kind: type[Any]) -> Any:
    """A validator demanding an instance of `kind` (a `ValidationError` otherwise)."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{attribute.name} must be a {kind.__name__}, got {value!r}")

    return check


def optional_instance(kind: type[Any]) -> Any:
    """A validator demanding None or an instance of `kind`."""
    inner = instance(kind)

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(inst, attribute, value)

    return check


def member(enum: type[Enum]) -> Any:
    """A validator demanding a member of `enum`."""
    return instance(enum)


def optional_member(enum: type[Enum]) -> Any:
    """A validator demanding None or a member of `enum`."""
    return optional_instance(enum)


def json_mapping(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A JSON-safe mapping with string keys (see `json_safe` for the bounds)."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{attribute.name} must be a mapping with string keys")
    json_safe(value, attribute.name)


_PLAIN = frozenset({str, bool, type(None)})
"""Exact types that are JSON-safe as they are (checked first: most values are these)."""

MAX_JSON_DEPTH = 32
"""How deeply JSON values (ticket and CI attributes) may nest: lists and objects in lists..."""
MAX_JSON_INT = 2**63 - 1
"""The largest magnitude of a whole number in JSON values: what a 64-bit integer holds."""


def json_safe(value: object, where: str = "attributes", depth: int = 0) -> None:
    """Refuse anything that would not survive a JSON round trip unchanged.

    Values may nest `MAX_JSON_DEPTH` levels deep, and whole numbers lie within
    ±`MAX_JSON_INT`; beyond that a `ValidationError`, never a recursion or
    conversion error later, when the value is stored.
    """
    if type(value) in _PLAIN or _scalar(value, where):
        return
    if depth >= MAX_JSON_DEPTH and isinstance(value, (list, tuple, Mapping)):
        raise ValidationError(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if type(item) not in _PLAIN:  # the path is built only for what needs a look
                json_safe(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{where}: keys must be strings, got {key!r}")
            if type(item) not in _PLAIN:
                json_safe(item, f"{where}.{key}", depth + 1)
        return
    raise ValidationError(f"{where}: {type(value).__name__} is not JSON-safe")


def _scalar(value: object, where: str) -> bool:
    """True for a JSON-safe number, string, bool or None; an unsafe number is refused."""
    if isinstance(value, bool | str) or value is None:
        return True
    if isinstance(value, int):
        if -MAX_JSON_INT <= value <= MAX_JSON_INT:
            return True
        raise ValidationError(f"{where}: whole numbers must lie within ±(2**63 - 1)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{where}: {value!r} is not a finite number")
        return True
    return False


def frozen_json(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate and deep-copy a JSON-safe mapping (lists become lists, never tuples)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("attributes must be a mapping with string keys")
    json_safe(value)
    return _copy(value)  # type: ignore[no-any-return]


class FrozenDict(dict[str, Any]):
    """A read-only dict: JSON-serialisable like any dict, but refuses every change."""

    __slots__ = ()

    def _refuse(self, *_args: Any, **_kwargs: Any) -> None:
        raise TypeError("attributes are read-only; change them with a trigger")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))


def frozen(value: Any) -> Any:
    """A deep read-only copy of a JSON value: `FrozenDict`s, and lists as tuples.

    An entity's attributes are frozen, so nothing can change them but an
    event, and they never share a list or a dict with the history.
    """
    if type(value) in _PLAIN or type(value) is float:
        return value
    if isinstance(value, Mapping):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def thawed(value: Any) -> Any:
    """Plain JSON again (dicts and lists) from a `frozen` view."""
    if type(value) in _PLAIN or type(value) is float:
        return value
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thawed(v) for v in value]
    return value


def _copy(value: Any) -> Any:
    if type(value) in _PLAIN or type(value) is float:
        return value
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def check_text(value: object, name: str) -> str:
    """Return `value` if it is a non-blank string, else raise `ValidationError`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-blank string, got {value!r}")
    return value


def check_optional_text(value: object, name: str) -> str | None:
    """None, or a non-blank string."""
    return None if value is None else check_text(value, name)


def check_texts(value: object, name: str) -> tuple[str, ...]:
    """An iterable of non-blank strings (not a bare string), as a tuple."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{name} must be an iterable of strings, not {value!r}")
    items = tuple(value)
    for item in items:
        check_text(item, name)
    return items


T = TypeVar("T")


def check_instance(value: object, kind: type[T], name: str) -> T:
    """Return `value` if it is a `kind`, else raise `ValidationError`."""
    if not isinstance(value, kind):
        raise ValidationError(f"{name} must be a {kind.__name__}, got {value!r}")
    return value


def check_keywords(given: Iterable[str], allowed: Iterable[str], where: str) -> None:
    """Refuse a keyword a call does not take, with the `TypeError` Python itself raises.

    For calls that take their options as `**kwargs: Unpack[SomeTypedDict]`.
    """
    names = set(allowed)
    for name in given:
        if name not in names:
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")
