"""Generated structuring: stored JSON data built into events without their validators.

Code generated once per attrs class builds an instance field by field,
checking each value's type (a string, a whole number and not a bool, a
member of the enum, a time with an offset, a list) but not running the
field validators: they ran when the event was made, before it was written.
See `itil_l2._core.codec` for why, and for what still checks a stored event.
"""

from __future__ import annotations

import enum
import sys
import threading
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import msgspec

from itil_l2.errors import ValidationError

__all__ = [
    "Structurer",
    "absent_value",
    "attrs_structurer",
    "field_types",
    "parse",
    "trusted_structurer",
    "wrong",
]

Structurer = Callable[[Any], Any]

_new = object.__new__
_set = object.__setattr__
_MISSING = object()
parse = msgspec.json.Decoder().decode
_fromisoformat = datetime.fromisoformat
_CACHE: dict[Any, Structurer] = {}


def wrong(value: Any, expected: str) -> ValidationError:
    return ValidationError(f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def _str(value: Any) -> str:
    if type(value) is not str:
        raise wrong(value, "a string")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise wrong(value, "a whole number")
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise wrong(value, "true or false")
    return value


def _float(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise wrong(value, "a number")
    return float(value)


def _any(value: Any) -> Any:
    return value


def _none(value: Any) -> None:
    if value is not None:
        raise wrong(value, "null")


def _datetime(value: Any) -> datetime:
    if type(value) is not str:
        raise wrong(value, "an ISO 8601 time")
    moment = _fromisoformat(value)
    if moment.tzinfo is None:
        raise ValidationError(f"a stored time must have an offset, got {value!r}")
    return moment


def _timedelta(value: Any) -> timedelta:
    if type(value) is not float and type(value) is not int:
        raise wrong(value, "a duration in seconds")
    return timedelta(seconds=value)


_SIMPLE: dict[Any, Structurer] = {
    str: _str,
    int: _int,
    bool: _bool,
    float: _float,
    Any: _any,
    type(None): _none,
    datetime: _datetime,
    timedelta: _timedelta,
}


def trusted_structurer(tp: Any, fallback: Callable[[Any, Any], Any]) -> Structurer:
    """A function building a value of type `tp` from decoded JSON, types checked.

    Attrs classes are built without their validators (see the module doc);
    a type this module does not know is built by `fallback(value, tp)` (the
    converter's `structure`, validators and all), so nothing is ever built
    wrong, only sometimes slower.
    """
    known = _CACHE.get(tp)
    if known is not None:
        return known
    with _LOCK:  # one thread builds; a class being built is found in _BUILDING by itself only
        known = _CACHE.get(tp) or _BUILDING.get(tp)
        if known is None:
            known = _CACHE[tp] = _make(tp, fallback)
        return known


_LOCK = threading.RLock()
_BUILDING: dict[Any, Structurer] = {}
"""Classes whose code is being built (by the thread holding `_LOCK`): their placeholders."""


def _make(tp: Any, fallback: Callable[[Any, Any], Any]) -> Structurer:
    simple = _SIMPLE.get(tp)
    if simple is not None:
        return simple
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _optional(tp, args, fallback)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(tuple, trusted_structurer(args[0], fallback))
    if origin is frozenset and len(args) == 1:
        return _sequence(frozenset, trusted_structurer(args[0], fallback))
    if origin is dict and args and args[0] is str and args[1] is Any:
        return _json_object
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _member(tp)
    if isinstance(tp, type) and attrs.has(tp) and _plain(tp) and _generated(tp, fallback):
        return attrs_structurer(tp, fallback)
    return lambda value: fallback(value, tp)


def _optional(tp: Any, args: tuple[Any, ...], fallback: Callable[[Any, Any], Any]) -> Structurer:
    others = [a for a in args if a is not type(None)]
    if len(others) != 1 or len(args) != 2:
        return lambda value: fallback(value, tp)
    inner = trusted_structurer(others[0], fallback)

    def optional(value: Any) -> Any:
        return None if value is None else inner(value)

    return optional


def _sequence(kind: Callable[[Any], Any], item: Structurer) -> Structurer:
    if item is _str:

        def strings(value: Any) -> Any:
            if type(value) is not list:
                raise wrong(value, "a list")
            for x in value:
                if type(x) is not str:
                    raise wrong(x, "a string")
            return kind(value)

        return strings

    def items(value: Any) -> Any:
        if type(value) is not list:
            raise wrong(value, "a list")
        return kind([item(x) for x in value])

    return items


def _json_object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise wrong(value, "an object")
    return value


def _member(cls: type[enum.Enum]) -> Structurer:
    members = dict(cls._value2member_map_)
    types_ = {type(m.value) for m in cls}

    def member(value: Any) -> Any:
        found = members.get(value) if type(value) in types_ else None
        if found is None:
            raise wrong(value, f"a {cls.__name__} value")
        return found

    return member


def _generated(cls: type, fallback: Callable[[Any, Any], Any]) -> bool:
    """Whether the converter builds `cls` from its fields (no hook of its own, e.g. a code)."""
    converter = getattr(fallback, "__self__", None)
    if converter is None:
        return True
    hook = converter.get_structure_hook(cls)
    return getattr(hook, "__name__", "") == f"structure_{cls.__name__}"


def _plain(cls: type) -> bool:
    """Whether `cls` is fully described by its fields (what generated code may build)."""
    fields = attrs.fields(cls)
    return (
        not hasattr(cls, "__attrs_post_init__")
        and all(f.init for f in fields)
        and "__attrs_cached_hash" not in getattr(cls, "__slots__", ())
    )


def field_types(cls: type) -> dict[str, Any]:
    """`cls`'s field types; names imported only for type checkers are looked up in the library."""
    try:
        return typing.get_type_hints(cls)
    except NameError:
        names: dict[str, Any] = {}
        for module_name, module in list(sys.modules.items()):
            if module_name.startswith("itil_l2"):
                names.update((k, v) for k, v in vars(module).items() if isinstance(v, type))
        return typing.get_type_hints(cls, localns=names)


_INLINE = {str: "a string", int: "a whole number", bool: "true or false"}


def _inline(tp: Any, n: int, scope: dict[str, Any]) -> list[str] | None:
    """Inline code checking (and building) `v` for the commonest field types, else None.

    Plain and optional strings, numbers, flags, enums and times, and tuples
    of strings: a call less per field, which is most of a small event's cost.
    """
    args = typing.get_args(tp)
    optional = typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args
    if optional:
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            return None
        tp = inner[0]
    lines = _plain_lines(tp, n, scope)
    if lines is None or not optional:
        return lines
    return ["if v is not None:", *(f"    {line}" for line in lines)]


def _plain_lines(tp: Any, n: int, scope: dict[str, Any]) -> list[str] | None:
    if tp in _INLINE:
        return [f"if type(v) is not {tp.__name__}: raise wrong(v, {_INLINE[tp]!r})"]
    if tp is datetime:
        scope["_iso"] = _fromisoformat
        return [
            "if type(v) is not str: raise wrong(v, 'an ISO 8601 time')",
            "v = _iso(v)",  # a ValueError for a string that is not a time
            "if v.tzinfo is None: raise wrong(v, 'a time with an offset')",
        ]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        scope[f"_e{n}"], scope[f"_t{n}"] = dict(tp._value2member_map_), {type(m.value) for m in tp}
        return [
            f"w = _e{n}.get(v) if type(v) in _t{n} else None",
            f"if w is None: raise wrong(v, 'a {tp.__name__} value')",
            "v = w",
        ]
    if typing.get_origin(tp) is tuple and typing.get_args(tp) == (str, Ellipsis):
        return [
            "if type(v) is not list: raise wrong(v, 'a list')",
            "for w in v:",
            "    if type(w) is not str: raise wrong(w, 'a string')",
            "v = tuple(v)",
        ]
    return None


def attrs_structurer(
    cls: type, fallback: Callable[[Any, Any], Any], overrides: dict[str, Structurer] | None = None
) -> Structurer:
    """Generated code building `cls` field by field, types checked, defaults for absent keys."""
    try:
        hints = field_types(cls)
    except NameError:  # pragma: no cover - an annotation no module of the library names
        return lambda value: fallback(value, cls)
    ready: list[Structurer] = []
    if overrides is None:  # a class that contains itself finds its builder once built

        def later(value: Any) -> Any:
            return ready[0](value)

        _BUILDING[cls] = later
    scope: dict[str, Any] = {"_new": _new, "_set": _set, "_M": _MISSING, "_cls": cls}
    scope["wrong"], scope["_dict"] = wrong, dict
    lines = [
        "def build(d):",
        "    if type(d) is not _dict:",
        f"        raise wrong(d, 'a {cls.__name__} object')",
        "    o = _new(_cls)",
    ]
    for n, field in enumerate(attrs.fields(cls)):
        lines += _field_lines(n, field, hints[field.name], scope, fallback, overrides or {})
    lines.append("    return o")
    exec("\n".join(lines), scope)  # code built from field names only
    built: Structurer = scope["build"]
    ready.append(built)
    if overrides is None:
        _BUILDING.pop(cls, None)
    return built


def _field_lines(
    n: int,
    field: attrs.Attribute[Any],
    tp: Any,
    scope: dict[str, Any],
    fallback: Callable[[Any, Any], Any],
    overrides: dict[str, Structurer],
) -> list[str]:
    name = field.name
    build = None if name in overrides else _inline(tp, n, scope)
    if build is None:
        scope[f"_f{n}"] = overrides.get(name) or trusted_structurer(tp, fallback)
        build = [f"v = _f{n}(v)"]
    if field.default is attrs.NOTHING:
        return [
            f"    v = d[{name!r}]",
            *(f"    {line}" for line in build),
            f"    _set(o, {name!r}, v)",
        ]
    absent = absent_value(n, field, scope)
    return [
        f"    v = d.get({name!r}, _M)",
        "    if v is _M:",
        f"        v = {absent}",
        "    else:",
        *(f"        {line}" for line in build),
        f"    _set(o, {name!r}, v)",
    ]


def absent_value(n: int, field: attrs.Attribute[Any], scope: dict[str, Any]) -> str:
    """Generated code's expression of `field`'s attrs default (a factory called, with `o`)."""
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        scope[f"_d{n}"] = getattr(default, "factory", None)
        return f"_d{n}(o)" if getattr(default, "takes_self", False) else f"_d{n}()"
    scope[f"_d{n}"] = default
    return f"_d{n}"
