"""Typed decoding of stored events: msgspec checks the JSON's shape, generated code builds.

`structuring` builds an event from the dicts msgspec parses, checking each
value's type in Python. Here msgspec decodes the text straight into *mirror*
`Struct`s, one per attrs class of the event (the envelope, each payload
tagged by its trigger under `"type"`, every value class inside), so the type
of every string, number, flag, enum member and list is checked in C while
the text is read; code generated once per class then copies the checked
values into the attrs instance, without its validators (they ran when the
event was made; see `itil_l2._core.codec`). About a third less time per event
than parsing to dicts and checking there.

The mirrors only ever build what the dict path builds, equal and of the
same types, and the dict path is the authority on everything else: a text
the mirrors refuse for any reason (a key no class has, a value of another
type, even in the first copy of a key given twice) is decoded again by the
dict path, which builds or refuses it as it always did. So a stored row
loads or is refused alike whichever path reads it (`tests/test_mirroring.py`
holds them to it on drawn events of every entity given hostile values in
every place). To build alike, times are parsed by the same
`datetime.fromisoformat` and checked for an offset as `structuring` does
(msgspec's RFC 3339 parser takes other spellings), floats and durations by
the same functions, and a field whose type `structuring` leaves to the
converter (a class with a structure hook of its own, a union) is handed over
raw to the converter, validators and all, as there. A class this module
cannot mirror makes `mirror_decoder` return None: the codec keeps the dict
path.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Union

import attrs
import msgspec

from itil_l2._core.structuring import (
    _float,
    _generated,
    _plain,
    _timedelta,
    absent_value,
    field_types,
    wrong,
)

__all__ = ["mirror_decoder"]

_ABSENT = msgspec.UNSET
"""A key the text does not hold: the field takes its attrs default, as in `structuring`."""
_SIMPLE = (str, int, bool, type(None))
_CHECKED: dict[Any, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    float: _float,
    timedelta: _timedelta,
}
"""Types checked by the functions `structuring` checks them with (msgspec would differ)."""


class _Unmirrorable(Exception):
    """A type this module leaves to the dict path."""


def mirror_decoder(
    event_type: type[Any], payloads: tuple[type[Any], ...], fallback: Callable[[Any, Any], Any]
) -> Callable[[str | bytes], Any] | None:
    """A function decoding stored text into an event of `event_type`, or None if unmirrorable.

    `payloads` are the payload classes, tagged by their trigger; `fallback`
    builds what `structuring` leaves to the converter (`converter.structure`).
    """
    try:
        return _Mirrors(fallback).decoder(event_type, payloads)
    except (_Unmirrorable, TypeError, ValueError, NameError, RecursionError):
        return None


class _Mirrors:
    """The mirror `Struct` and the building code of each attrs class met, made once."""

    def __init__(self, fallback: Callable[[Any, Any], Any]) -> None:
        self.fallback = fallback
        self.made: dict[type[Any], tuple[Any, Callable[[Any], Any]]] = {}

    def decoder(
        self, event_type: type[Any], payloads: tuple[type[Any], ...]
    ) -> Callable[[str | bytes], Any]:
        tagged = [self.mirror(p, tag=str(p.TRIGGER)) for p in payloads]
        builds = {m: build for m, build in tagged}
        union: Any = Union[tuple(m for m, _ in tagged)]  # noqa: UP007 - built at run time

        def payload(value: Any) -> Any:
            return builds[type(value)](value)

        envelope, build = self.mirror(event_type, payload=(union, payload))
        decode = msgspec.json.Decoder(envelope).decode

        def decoded(text: str | bytes) -> Any:
            return build(decode(text))

        return decoded

    def mirror(
        self,
        cls: type[Any],
        *,
        tag: str | None = None,
        payload: tuple[Any, Callable[[Any], Any]] | None = None,
    ) -> tuple[Any, Callable[[Any], Any]]:
        """(mirror Struct, building function) of the attrs class `cls`."""
        known = self.made.get(cls)
        if known is not None and tag is None and payload is None:
            return known
        if not (attrs.has(cls) and _plain(cls) and _generated(cls, self.fallback)):
            raise _Unmirrorable(cls)
        try:
            hints = field_types(cls)
        except NameError:  # as `structuring`: a class whose types cannot be read is converted
            raise _Unmirrorable(cls) from None
        specs: list[tuple[Any, ...]] = []
        scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_A": _ABSENT}
        lines = ["def build(m):", "    o = _new(_cls)"]
        for n, field in enumerate(attrs.fields(cls)):
            if field.name == "payload" and payload is not None:
                tp, scope[f"_c{n}"] = payload
                code = f"_c{n}(v)"
            else:
                tp, code = self._field(n, hints[field.name], scope)
            scope[f"_s{n}"] = _setter(cls, field.name)
            lines += _field_lines(n, field, code, scope)
            has_default = field.default is not attrs.NOTHING
            specs.append((field.name, tp, _ABSENT) if has_default else (field.name, tp))
        lines.append("    return o")
        exec("\n".join(lines), scope)  # code built from field names only
        options: dict[str, Any] = {"kw_only": True, "frozen": True, "forbid_unknown_fields": True}
        if tag is not None:
            options.update(tag_field="type", tag=tag)
        struct = msgspec.defstruct(f"Mirror{cls.__name__}", specs, **options)
        made = (struct, scope["build"])
        if tag is None and payload is None:
            self.made[cls] = made
        return made

    def _field(self, n: int, tp: Any, scope: dict[str, Any]) -> tuple[Any, str]:
        """(mirror type, expression building the value from `v`) for one field.

        The same decision as `structuring._make` for each type: what it checks
        inline msgspec checks, what it leaves to the converter goes there raw.
        """
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            others = [a for a in args if a is not type(None)]
            if len(args) != 2 or len(others) != 1:
                return self._raw(n, tp, scope)
            inner, code = self._field(n, others[0], scope)
            built = code if code == "v" else f"None if v is None else {code}"
            return typing.Optional[inner], built  # noqa: UP045 - built at run time
        if tp in _SIMPLE or tp is Any or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
            return tp, "v"
        if tp in _CHECKED:
            scope["_aware"], scope[f"_c{n}"] = _aware, _CHECKED[tp]
            return (str, f"_aware(_c{n}(v), v)") if tp is datetime else (Any, f"_c{n}(v)")
        if origin is dict and args == (str, Any):
            return dict[str, Any], "v"
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return self._sequence(n, tuple, args[0], scope)
        if origin is frozenset and len(args) == 1:
            return self._sequence(n, frozenset, args[0], scope)
        if isinstance(tp, type) and attrs.has(tp):
            try:
                struct, build = self.mirror(tp)
            except _Unmirrorable:
                return self._raw(n, tp, scope)
            scope[f"_c{n}"] = build
            return struct, f"_c{n}(v)"
        return self._raw(n, tp, scope)

    def _sequence(
        self, n: int, kind: type[Any], item: Any, scope: dict[str, Any]
    ) -> tuple[Any, str]:
        """A tuple or frozenset field: msgspec checks the list, each item built as a field."""
        inner: dict[str, Any] = {}
        item_type, code = self._field(0, item, inner)
        if code == "v":
            if kind is tuple:
                return tuple[item_type, ...], "v"  # type: ignore[valid-type]
            return list[item_type], "frozenset(v)"  # type: ignore[valid-type]
        exec(f"def item(v):\n    return {code}", inner)  # code built from types only
        scope[f"_c{n}"] = inner["item"]
        return list[item_type], f"{kind.__name__}(map(_c{n}, v))"  # type: ignore[valid-type]

    def _raw(self, n: int, tp: Any, scope: dict[str, Any]) -> tuple[Any, str]:
        """A type `structuring` leaves to the converter: the raw JSON value, handed over."""
        scope[f"_c{n}"], scope[f"_t{n}"] = self.fallback, tp
        return Any, f"_c{n}(v, _t{n})"


def _setter(cls: type[Any], name: str) -> Callable[[Any, Any], None]:
    """The slot's own setter (no attribute lookup, no frozen check), else `object.__setattr__`."""
    for klass in cls.__mro__:
        slot = klass.__dict__.get(name)
        if isinstance(slot, types.MemberDescriptorType):
            return slot.__set__
    return lambda o, v: object.__setattr__(o, name, v)


def _aware(moment: datetime, text: str) -> datetime:
    if moment.tzinfo is None:
        raise wrong(text, "a time with an offset")
    return moment


def _field_lines(
    n: int, field: attrs.Attribute[Any], code: str, scope: dict[str, Any]
) -> list[str]:
    name = field.name
    if field.default is attrs.NOTHING:
        return [
            f"    v = m.{name}",
            *([f"    v = {code}"] if code != "v" else []),
            f"    _s{n}(o, v)",
        ]
    absent = absent_value(n, field, scope)
    return [
        f"    v = m.{name}",
        "    if v is _A:",
        f"        v = {absent}",
        *([] if code == "v" else ["    else:", f"        v = {code}"]),
        f"    _s{n}(o, v)",
    ]
