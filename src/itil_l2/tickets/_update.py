"""Turn `Ticket.update(...)` keyword arguments into validated field changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from itil_l2._core.checks import (
    check_instance,
    check_optional_text,
    check_text,
    check_texts,
    frozen_json,
)
from itil_l2._core.fields import FieldChange
from itil_l2._core.fields import field_changes as _changes
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.unset import UNSET
from itil_l2.tickets._apply import FIELD_CODECS
from itil_l2.tickets._fields import Channel

__all__ = ["field_changes"]


_VALIDATORS: dict[str, Callable[[Any, str], Any]] = {
    "title": check_text,
    "description": lambda v, n: check_instance(v, str, n),
    "caller": check_optional_text,
    "service": check_optional_text,
    "category": check_optional_text,
    "subcategory": check_optional_text,
    "symptom": check_optional_text,
    "channel": lambda v, n: check_instance(v, Channel, n),
    "impact": lambda v, n: check_instance(v, Impact, n),
    "urgency": lambda v, n: check_instance(v, Urgency, n),
    "ci_refs": check_texts,
    "major_incident": lambda v, n: check_instance(v, bool, n),
    "attributes": lambda v, _n: frozen_json(v),
}


def field_changes(ticket: Any, given: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Validate the given values and return the changes, priority included."""
    new = {
        name: _VALIDATORS[name](value, name) for name, value in given.items() if value is not UNSET
    }
    impact = new.get("impact", ticket.impact)
    urgency = new.get("urgency", ticket.urgency)
    new["priority"] = ticket.config.priority_matrix.priority(impact, urgency)
    return _changes(ticket, new, FIELD_CODECS, "update")
