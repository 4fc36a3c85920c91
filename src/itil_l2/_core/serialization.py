"""JSON-safe dicts for events and entities, through one cattrs converter.

An entity serialises as its history (event sourcing): loading replays the
events through the entity's workflow, so stored data can never hold a state
the rules would not allow. Datetimes are ISO 8601 with their offset; a naive
one is refused on load as on input.

Why a zone's name is not kept: a time in `ZoneInfo("Europe/Berlin")` is
stored as its instant and the offset in force then (`+01:00` or `+02:00`)
and loads back with that fixed offset, not with the zone. This is on
purpose. Python compares and subtracts two datetimes that share one
`ZoneInfo` by wall clock, ignoring the offset: across a daylight-saving
change `b - a` is an hour off and, in the repeated autumn hour, a later
event sorts before an earlier one. Stored histories, SLA clocks and KPIs
must not depend on that; fixed offsets make every comparison an instant's.
To show a stored time in a zone, convert it: `event.at.astimezone(zone)`.

Payload unions are tagged with the trigger's name under `"type"`.

Any `Entity` subclass works here without changes to this module, as long as
it names its event class (`_EVENT`), its payload union (`_PAYLOADS`) and its
default config (`_DEFAULT`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cattrs import Converter
from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter
from cattrs.strategies import configure_tagged_union

from itil_l2._core.entity import Entity
from itil_l2._core.time import ensure_aware
from itil_l2.errors import CorruptHistory, ItilL2Error, UnknownSchema, ValidationError

__all__ = [
    "UPCASTERS",
    "Upcaster",
    "Upcasters",
    "converter",
    "entity_from_json",
    "entity_to_json",
    "register_entity",
    "rename_entity_id",
]

En = TypeVar("En", bound=Entity[Any])


def _make() -> Converter:
    conv = make_converter(detailed_validation=False)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_structure_hook(timedelta, _structure_timedelta)
    conv.register_unstructure_hook(frozenset, sorted)
    return conv


def _structure_datetime(value: Any, _type: Any) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO 8601 timestamp, got {value!r}")
    return ensure_aware(datetime.fromisoformat(value), "timestamp")


def _structure_timedelta(value: Any, _type: Any) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"expected a duration in seconds, got {value!r}")
    return timedelta(seconds=value)


converter = _make()
"""The library's cattrs converter: `converter.unstructure(event)` gives JSON-safe data."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns one stored event's data from schema n into schema n + 1."""


class Upcasters:
    """A registry of format upgrades, per aggregate kind and schema version.

    >>> from itil_l2.storage import Upcasters
    >>> ups = Upcasters()
    >>> def rename_caller(data):
    ...     payload = dict(data["payload"], caller=data["payload"].pop("reporter", None))
    ...     return dict(data, payload=payload)
    >>> ups.register("ticket", 0, rename_caller)
    >>> ups.upgrade("ticket", 0, 1, {"schema": 0, "payload": {"reporter": "ann"}})
    {'schema': 1, 'payload': {'caller': 'ann'}}
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._caches: weakref.WeakSet[Any] = weakref.WeakSet()  # stores' decoded events

    def register(self, kind: str, from_schema: int, upcaster: Upcaster) -> None:
        """Add the step that upgrades `kind`'s events from `from_schema` to the next version."""
        if (kind, from_schema) in self._steps:
            raise ValidationError(f"an upcaster for {kind} schema {from_schema} is registered")
        self._steps[(kind, from_schema)] = upcaster
        for cache in list(self._caches):  # events decoded before this step decode anew
            cache.cache_clear()

    def upgrade(self, kind: str, schema: int, current: int, data: dict[str, Any]) -> dict[str, Any]:
        """Chain the steps from `schema` to `current`; a gap or a newer schema is an error.

        The library's own steps (`UPCASTERS`) always apply: a host's registry
        adds the steps for its own older formats and never loses the library's.
        """
        if schema > current:
            raise UnknownSchema(
                f"a {kind} event has schema {schema}; this library reads up to {current}"
            )
        while schema < current:
            step = self._steps.get((kind, schema)) or _LIBRARY._steps.get((kind, schema))
            if step is None:
                raise UnknownSchema(f"no upcaster from {kind} schema {schema} to {schema + 1}")
            data = step(data)
            schema += 1
            data["schema"] = schema
        return data


UPCASTERS = _LIBRARY = Upcasters()
"""The library's own upgrades of older stored formats; each entity package registers its own."""


def rename_entity_id(old: str) -> Upcaster:
    """The upcaster of 0.2.0: the envelope's `<kind>_id` key became `entity_id`."""

    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data)
        if old in data:
            named = data.pop(old)
            if data.setdefault("entity_id", named) != named:
                raise CorruptHistory(f"an event names two entities: {old}={named!r}, entity_id")
        return data

    return upcast


_REGISTERED: set[type] = set()


def _tag(payload_class: Any) -> str:
    return str(payload_class.TRIGGER)


def register_entity(cls: type[Entity[Any]]) -> None:
    """Teach the converter an entity's payload union (tagged by trigger name), once."""
    if cls in _REGISTERED:
        return
    configure_tagged_union(cls._PAYLOADS, converter, tag_generator=_tag, tag_name="type")
    converter.register_unstructure_hook(cls, entity_to_json)
    converter.register_structure_hook(cls, lambda data, target: entity_from_json(target, data))
    _REGISTERED.add(cls)


def entity_to_json(entity: Entity[Any]) -> dict[str, Any]:
    """An entity as JSON-safe data: its kind, id, version and full history."""
    cls = type(entity)
    register_entity(cls)
    return {
        "schema": cls._SCHEMA,
        "kind": cls.__name__,
        "id": entity.id,
        "version": entity.version,
        "history": [converter.unstructure(e, cls._EVENT) for e in entity.history],
    }


_UNDECODABLE = (
    ItilL2Error,
    BaseValidationError,
    LookupError,
    AttributeError,
    TypeError,
    ValueError,
)


def _event(cls: type[Entity[Any]], number: int, data: Any) -> Any:
    """Serialised event `number`, decoded (`CorruptHistory` if it cannot be)."""
    try:
        return converter.structure(_current(cls, data), cls._EVENT)
    except (CorruptHistory, UnknownSchema):
        raise
    except _UNDECODABLE as exc:
        raise CorruptHistory(
            f"{cls.__name__} event {number} cannot be decoded: {type(exc).__name__}: {exc}"
        ) from exc


def _current(cls: type[Entity[Any]], event: Any) -> Any:
    """One serialised event in the current format (upcast from an older schema)."""
    if not isinstance(event, dict):
        return event
    schema = event.get("schema", 1)
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise ValidationError(f"an event's schema must be a whole number, got {schema!r}")
    if schema == cls._SCHEMA:
        return event
    return UPCASTERS.upgrade(cls._KIND, schema, cls._SCHEMA, event)


def entity_from_json(cls: type[En], data: Any, *, config: Any = None) -> En:
    """Rebuild an entity of `cls` from `entity_to_json` data by replaying its history.

    `config` is the config to replay with (None: the kind's default). Raises
    `ValidationError` when `data` is not a serialised `cls` at all,
    `UnknownSchema` for events newer than this library, and `CorruptHistory`
    when an event cannot be decoded or the events do not replay to the id
    and version the data names.
    """
    register_entity(cls)
    try:
        written = data.get("schema", 1)
        history = list(data["history"])
        version, kind = data["version"], data.get("kind", cls.__name__)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"not a serialised {cls.__name__}: {exc!r}") from exc
    if kind != cls.__name__:
        raise ValidationError(f"expected a serialised {cls.__name__}, got {kind!r}")
    if isinstance(written, int) and written > cls._SCHEMA:
        raise UnknownSchema(
            f"a {cls.__name__} written with schema {written}; this library reads up to "
            f"{cls._SCHEMA}"
        )
    events = [_event(cls, number, e) for number, e in enumerate(history, start=1)]
    entity: En = cls._decoded(events, config)
    if entity.version != version or entity.id != data.get("id"):
        raise CorruptHistory(
            f"serialised {cls.__name__} {data.get('id')!r} v{version!r}: its history "
            f"replays to {entity.id!r} v{entity.version}"
        )
    return entity
