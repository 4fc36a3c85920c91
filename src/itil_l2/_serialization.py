"""JSON-safe dicts for events and entities, through one cattrs converter.

An entity serialises as its history (event sourcing): loading replays the
events through the entity's workflow, so stored data can never hold a state
the rules would not allow. Datetimes are ISO 8601 with their offset; a naive
one is refused on load as on input. Payload unions are tagged with the
trigger's name under `"type"`.

Any `Entity` subclass works here without changes to this module, as long as
it names its event class (`_EVENT`) and its payload union (`_PAYLOADS`) and
has `from_history(events, **kwargs)`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from cattrs import Converter
from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter
from cattrs.strategies import configure_tagged_union

from ._config import WorkflowConfig
from ._entity import Entity
from ._errors import ItilL2Error, ValidationError
from ._hold import HoldReason
from ._ticket import Ticket
from ._ticket_events import SCHEMA_VERSION
from ._time import ensure_aware

__all__ = ["converter", "entity_from_json", "entity_to_json", "ticket_from_json", "ticket_to_json"]

En = TypeVar("En", bound=Entity[Any])


def _make() -> Converter:
    conv = make_converter(detailed_validation=False)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_structure_hook(timedelta, _structure_timedelta)
    conv.register_unstructure_hook(frozenset, sorted)
    conv.register_unstructure_hook(HoldReason, lambda reason: reason.code)
    conv.register_structure_hook(HoldReason, lambda value, _t: HoldReason(value))
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

_REGISTERED: set[type] = set()


def _tag(payload_class: Any) -> str:
    return str(payload_class.TRIGGER)


def _register(cls: type[Entity[Any]]) -> None:
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
    _register(cls)
    return {
        "schema": SCHEMA_VERSION,
        "kind": cls.__name__,
        "id": entity.id,
        "version": entity.version,
        "history": [converter.unstructure(e, cls._EVENT) for e in entity.history],
    }


def entity_from_json(cls: type[En], data: Any, **kwargs: Any) -> En:
    """Rebuild an entity of `cls` from `entity_to_json` data by replaying its history.

    `kwargs` go to `cls.from_history` (e.g. `config=`). Raises
    `ValidationError` for malformed data and `CorruptHistory` when the events
    do not replay.
    """
    _register(cls)
    event_type: type[Any] = cls._EVENT  # type: ignore[assignment]
    try:
        events = [converter.structure(e, event_type) for e in data["history"]]
        version, kind = data["version"], data.get("kind", cls.__name__)
    except ItilL2Error:
        raise
    except (BaseValidationError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"not a serialised {cls.__name__}: {exc!r}") from exc
    if kind != cls.__name__:
        raise ValidationError(f"expected a serialised {cls.__name__}, got {kind!r}")
    entity: En = cls.from_history(events, **kwargs)  # type: ignore[attr-defined]
    if entity.version != version or entity.id != data.get("id"):
        raise ValidationError(
            f"serialised {cls.__name__}'s id or version does not match its history"
        )
    return entity


def ticket_to_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as JSON-safe data: its id, version and full history.

    >>> import json
    >>> from itil_l2.testing import example_ticket
    >>> data = ticket_to_json(example_ticket())
    >>> ticket_from_json(json.loads(json.dumps(data))).version == data["version"]
    True
    """
    return entity_to_json(ticket)


def ticket_from_json(data: Any, *, config: WorkflowConfig | None = None) -> Ticket:
    """Rebuild a ticket from `ticket_to_json` data by replaying its history."""
    return entity_from_json(Ticket, data, config=config or WorkflowConfig())


_register(Ticket)
