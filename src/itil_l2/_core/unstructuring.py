"""Generated unstructuring: an event as the converter's JSON data, without its dispatch.

The stored format is what the library's cattrs converter gives. cattrs
builds that data through a hook per value (a call for every enum, time and
nested class); here code generated once per class writes the same data in
one expression per field, and hands msgspec what it encodes the same way
itself (strings, numbers, flags, tuples of strings, JSON mappings). A type
with a hook of its own (a hold reason is its code) or one this module does
not know goes through the converter's hook, so the data is always the
converter's; `tests/test_codec.py` compares the two text for text.
"""

from __future__ import annotations

import enum
import threading
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

from itil_l2._core.structuring import field_types
from itil_l2._core.time import isoformat

__all__ = ["unstructurer"]

Unstructurer = Callable[[Any], Any]
_CACHE: dict[Any, Unstructurer] = {}
_AS_IS = frozenset({str, int, bool, float, type(None)})


def unstructurer(tp: Any, converter: Any, tag: str | None = None) -> Unstructurer:
    """A function giving `converter.unstructure(value, tp)`'s data for a value of `tp`.

    `tag`: the payload's trigger, written last under `"type"` as the
    converter's tagged union writes it.
    """
    key = (tp, tag)
    known = _CACHE.get(key)
    if known is not None:
        return known
    with _LOCK:  # one thread builds; a class that contains itself finds its placeholder
        known = _CACHE.get(key) or _BUILDING.get(key)
        if known is None:
            ready: list[Unstructurer] = []

            def later(value: Any) -> Any:
                return ready[0](value)

            _BUILDING[key] = later
            try:
                known = _make(tp, converter, tag)
            finally:
                del _BUILDING[key]
            ready.append(known)
            _CACHE[key] = known
        return known


_LOCK = threading.RLock()
_BUILDING: dict[Any, Unstructurer] = {}


def _make(tp: Any, converter: Any, tag: str | None) -> Unstructurer:
    hook = converter.get_unstructure_hook(tp)
    generated = getattr(hook, "__name__", "") == f"unstructure_{getattr(tp, '__name__', '')}"
    if not (isinstance(tp, type) and attrs.has(tp) and generated):
        return hook  # type: ignore[no-any-return]
    try:
        hints = field_types(tp)
    except NameError:  # pragma: no cover - an annotation no module of the library names
        return hook  # type: ignore[no-any-return]
    scope: dict[str, Any] = {}
    items = [
        f"{f.name!r}: {_expr(hints[f.name], f'o.{f.name}', n, scope, converter)}"
        for n, f in enumerate(attrs.fields(tp))
    ]
    if tag is not None:
        items.append(f"'type': {tag!r}")
    exec(f"def flat(o):\n    return {{{', '.join(items)}}}", scope)  # code from field names only
    flat: Unstructurer = scope["flat"]
    return flat


def _expr(tp: Any, src: str, n: int, scope: dict[str, Any], converter: Any) -> str:
    """A Python expression giving the JSON data of `src`, a value of type `tp`."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return f"(None if {src} is None else {_plain(inner[0], src, n, scope, converter)})"
    return _plain(tp, src, n, scope, converter)


def _plain(tp: Any, src: str, n: int, scope: dict[str, Any], converter: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _AS_IS or (origin is dict and args == (str, Any)) or args == (str, Ellipsis):
        return src  # msgspec writes these as the converter's data would be written
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return f"{src}._value_"  # `.value` is a Python-level property: a call per value
    if tp is datetime:
        scope["_iso"] = isoformat
        return f"_iso({src})"
    if tp is timedelta:
        return f"{src}.total_seconds()"
    if origin is frozenset:
        return f"sorted({src})"
    name = f"_u{n}"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        scope[name] = unstructurer(args[0], converter)
        return f"[{name}(x) for x in {src}]"
    scope[name] = unstructurer(tp, converter)
    return f"{name}({src})"
