"""The events a store decodes: read-only all the way down, and each stored text decoded once.

A stored event's text never changes, so a store keeps the event decoded
from it (`functools.lru_cache`, keyed by kind, schema and the whole text):
loading a ticket read before decodes nothing again. Every load of that text,
in any ticket or tenant, and every notification, is handed the same event.
An event is frozen, but a few hold JSON containers (a ticket's or CI's
`attributes`, a field change's old and new values): the store makes those
read-only when it decodes them (`FrozenDict`, `FrozenList`: equal to,
and instances of, `dict` and `list`), so no host can change what another
load replays. `dict(value)` or `list(value)` gives a copy to change.

The cache is cleared whenever a step is added to the store's `Upcasters`, so
a step registered after a load applies to the next load as with no cache.
"""

from __future__ import annotations

import functools
import sys
import typing
from datetime import date, datetime, timedelta
from enum import Enum
from operator import is_
from types import UnionType
from typing import Any, Union

import attrs

from itil_l2._core.checks import FrozenDict, FrozenList
from itil_l2._core.serialization import Upcasters
from itil_l2.errors import ValidationError
from itil_l2.storage._kinds import EventDecoder

__all__ = ["cache_size", "cached_decoder", "decoder", "read_only"]


def cache_size(value: Any) -> int:
    """`event_cache` as given, if it is a whole number of events (0: no cache), else an error."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"event_cache must be a whole number >= 0, got {value!r}")
    return value


def decoder(upcasters: Upcasters) -> EventDecoder:
    """A store's decoder of stored events: upcast, decoded, made `read_only`."""
    return lambda kind, schema, data: read_only(kind.event(schema, data, upcasters))


def cached_decoder(decoded: EventDecoder, size: int, upcasters: Upcasters) -> EventDecoder:
    """`decoded` with its last `size` events kept, forgotten when `upcasters` gains a step."""
    cached = functools.lru_cache(maxsize=size)(decoded)
    upcasters._caches.add(cached)  # held weakly: it goes with its store
    return cached


def read_only(value: Any) -> Any:
    """`value` (a freshly decoded event, not yet shared) with its dicts and lists read-only.

    Changed in place, field by field (`object.__setattr__`: the event is
    frozen to everyone else); only the fields whose type may hold a container
    are looked at (`_positions`), so most events cost two dict lookups.

    >>> from itil_l2.storage import MemoryStore
    >>> from itil_l2.testing import example_ticket
    >>> store = MemoryStore()
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.add(example_ticket())
    ...     uow.commit()
    >>> with store.unit_of_work() as uow:
    ...     attributes = uow.tickets.get("INC-EXAMPLE").history[0].payload.attributes
    >>> attributes == {}, isinstance(attributes, dict)
    (True, True)
    >>> attributes["site"] = "oslo"
    Traceback (most recent call last):
    TypeError: read-only: change it with a trigger (or a copy: dict(value), list(value))
    """
    positions = _POSITIONS.get(type(value))
    if positions is None:  # a dict, list or tuple, or a class not met before
        return _other(value)
    for name in positions:
        field = getattr(value, name)
        if _POSITIONS.get(type(field)) == ():  # most payloads: nothing to look at
            continue
        done = read_only(field)
        if done is not field:
            object.__setattr__(value, name, done)
    return value


def _other(value: Any) -> Any:
    kind = type(value)
    if kind is dict or kind is list:
        return _json(value)
    if kind is tuple:  # attrs items are changed in place: a new tuple only for a dict or list
        if not value:
            return value
        items = list(map(read_only, value))
        return value if all(map(is_, items, value)) else tuple(items)
    _known(kind)
    return read_only(value)


def _json(value: Any) -> Any:
    """A JSON value with every dict and list (at any depth) read-only."""
    kind = type(value)
    if kind is dict:
        return FrozenDict({k: _json(v) for k, v in value.items()})
    if kind is list:
        return FrozenList(map(_json, value))
    return value


_POSITIONS: dict[type[Any], tuple[str, ...]] = {}
"""`_positions` of every class met (a plain dict: it is read for every event decoded)."""


_WORKING: set[type[Any]] = set()
"""Classes whose positions are being worked out: one met again inside itself (a tree of
its own kind) may hold a container as far as its own fields are concerned."""


def _known(kind: type[Any]) -> tuple[str, ...]:
    """`_positions(kind)`, worked out once."""
    found = _POSITIONS.get(kind)
    if found is None:
        _WORKING.add(kind)
        try:
            found = _POSITIONS[kind] = _positions(kind)
        finally:
            _WORKING.discard(kind)
    return found


def _positions(kind: type[Any]) -> tuple[str, ...]:
    """The fields of attrs class `kind` whose type may hold a dict or a list; () for others."""
    fields = getattr(kind, "__attrs_attrs__", None)
    if fields is None:
        return ()
    hints = _hints(kind)
    return tuple(f.name for f in fields if _may_hold(hints.get(f.name, Any)))


def _hints(kind: type[Any]) -> dict[str, Any]:
    """`kind`'s resolved annotations; {} (every field looked at) where they cannot be resolved.

    A public class names its package as `__module__`, whose namespace may
    lack names its annotations use: then the modules below that package that
    hold the class are tried as the namespace.
    """
    try:
        return typing.get_type_hints(kind)
    except Exception:
        pass
    package = kind.__module__
    for name, module in list(sys.modules.items()):
        if name.startswith(package + ".") and vars(module).get(kind.__name__) is kind:
            try:
                return typing.get_type_hints(kind, globalns=vars(module))
            except Exception:
                continue
    return {}


_ATOMS = (str, int, float, bool, type(None), bytes, date, datetime, timedelta, Enum)


def _may_hold(tp: Any) -> bool:
    """Whether a value of type `tp` may be, or hold, a dict or a list (when unsure: yes)."""
    origin = typing.get_origin(tp)
    if origin is tuple or origin is Union or origin is UnionType or origin is frozenset:
        return any(_may_hold(a) for a in typing.get_args(tp) if a is not Ellipsis)
    if origin is typing.Literal:
        return False
    if origin is None and isinstance(tp, type):
        if issubclass(tp, _ATOMS):
            return False
        if attrs.has(tp):
            return tp in _WORKING or bool(_known(tp))
    return True  # Any, a type variable, dict[...], list[...], Mapping[...], ...
