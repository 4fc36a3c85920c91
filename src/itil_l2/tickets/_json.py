"""Tickets as JSON-safe data, through the library's one cattrs converter."""

from __future__ import annotations

from typing import Any

from itil_l2._core.serialization import converter, entity_from_json, entity_to_json, register_entity
from itil_l2.tickets._config import WorkflowConfig
from itil_l2.tickets._hold import HoldReason
from itil_l2.tickets._ticket import Ticket

__all__ = ["ticket_from_json", "ticket_to_json"]

converter.register_unstructure_hook(HoldReason, lambda reason: reason.code)
converter.register_structure_hook(HoldReason, lambda value, _t: HoldReason(value))
register_entity(Ticket)


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
