"""JSON-safe dicts for events and tickets, through one cattrs converter.

A ticket serialises as its history (event sourcing): loading replays the
events through the workflow, so a stored ticket can never hold a state the
rules would not allow. Datetimes are ISO 8601 with their offset; a naive one
is refused on load as on input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cattrs import Converter
from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter
from cattrs.strategies import configure_tagged_union

from ._config import WorkflowConfig
from ._errors import ItilL2Error, ValidationError
from ._hold import HoldReason
from ._ticket import Ticket
from ._ticket_events import PAYLOAD_TYPES, SCHEMA_VERSION, TicketEvent, TicketPayload
from ._time import ensure_aware

__all__ = ["converter", "ticket_from_json", "ticket_to_json"]


_TAGS: dict[type, str] = {cls: cls.TRIGGER.value for cls in PAYLOAD_TYPES}


def _make() -> Converter:
    conv = make_converter(detailed_validation=False)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(frozenset, sorted)
    conv.register_unstructure_hook(HoldReason, lambda reason: reason.code)
    conv.register_structure_hook(HoldReason, lambda value, _t: HoldReason(value))
    configure_tagged_union(
        TicketPayload,
        conv,
        tag_generator=_TAGS.__getitem__,
        tag_name="type",
    )
    return conv


def _structure_datetime(value: Any, _type: Any) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO 8601 timestamp, got {value!r}")
    return ensure_aware(datetime.fromisoformat(value), "timestamp")


converter = _make()
"""The library's cattrs converter: `converter.unstructure(event)` gives JSON-safe data."""


def ticket_to_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as JSON-safe data: its id, version and full history.

    >>> import json
    >>> from itil_l2.testing import example_ticket
    >>> data = ticket_to_json(example_ticket())
    >>> ticket_from_json(json.loads(json.dumps(data))).version == data["version"]
    True
    """
    return {
        "schema": SCHEMA_VERSION,
        "id": ticket.id,
        "version": ticket.version,
        "history": [converter.unstructure(e, TicketEvent) for e in ticket.history],
    }


def ticket_from_json(data: Any, *, config: WorkflowConfig | None = None) -> Ticket:
    """Rebuild a ticket from `ticket_to_json` data by replaying its history.

    Raises `ValidationError` for malformed data and `CorruptHistory` when
    the events do not replay.
    """
    try:
        events = [converter.structure(e, TicketEvent) for e in data["history"]]
        version = data["version"]
    except ItilL2Error:
        raise
    except (BaseValidationError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"not a serialised ticket: {exc!r}") from exc
    ticket = Ticket.from_history(events, config=config or WorkflowConfig())
    if ticket.version != version or ticket.id != data.get("id"):
        raise ValidationError("serialised ticket's id or version does not match its history")
    return ticket


converter.register_unstructure_hook(Ticket, ticket_to_json)
converter.register_structure_hook(Ticket, lambda data, _t: ticket_from_json(data))
