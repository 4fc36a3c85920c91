"""A ticket's own fields, validated once for `Ticket.open` and `Ticket.update`.

`FIELD_CHECKS` names the check of every field a caller sets; `open` checks
all of them into the `Opened` payload, `update` the given ones into field
changes. Either way the priority comes from the config's priority matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

import attrs

from itil_l2._core.chain import Chain
from itil_l2._core.checks import (
    check_identifiers,
    check_instance,
    check_optional_identifier,
    check_optional_text,
    check_string,
    check_text,
    frozen,
    frozen_json,
)
from itil_l2._core.fields import FieldChange
from itil_l2._core.fields import field_changes as _changes
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup
from itil_l2._core.unset import UNSET
from itil_l2.tickets import events as ev
from itil_l2.tickets._apply import FIELD_CODECS
from itil_l2.tickets._fields import Channel, TicketKind

__all__ = ["FIELD_CHECKS", "UPDATABLE", "field_changes", "initial_fields", "opened"]


FIELD_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "kind": lambda v, n: check_instance(v, TicketKind, n),
    "title": check_text,
    "description": check_string,
    "caller": check_optional_identifier,
    "service": check_optional_identifier,
    "category": check_optional_identifier,
    "subcategory": check_optional_identifier,
    "symptom": check_optional_text,
    "channel": lambda v, n: check_instance(v, Channel, n),
    "impact": lambda v, n: check_instance(v, Impact, n),
    "urgency": lambda v, n: check_instance(v, Urgency, n),
    "ci_refs": check_identifiers,
    "major_incident": lambda v, n: check_instance(v, bool, n),
    "owner_group": lambda v, n: check_instance(v, SupportGroup, n),
    "attributes": lambda v, _n: frozen_json(v),
}
"""Field name → its check (returns the value to store; raises `ValidationError`)."""

UPDATABLE = frozenset(FIELD_CHECKS) - {"kind", "owner_group"}
"""The fields `Ticket.update` may change (the priority follows impact and urgency)."""


def opened(given: Mapping[str, Any], config: Any) -> ev.Opened:
    """The `Opened` payload of `Ticket.open`'s fields and the derived priority.

    Only what must be converted (or read for the priority) is checked here;
    the payload checks every other value as it is made.
    """
    values = dict(given)
    for name in _CONVERTED:
        values[name] = FIELD_CHECKS[name](values[name], name)
    priority = config.priority_matrix.priority(values["impact"], values["urgency"])
    return ev.Opened(priority=priority, **values)


_CONVERTED = ("impact", "urgency", "ci_refs", "attributes")
"""The fields `opened` checks itself: two read for the priority, two converted."""


def field_changes(ticket: Any, given: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Validate the given values and return the changes, priority included."""
    new = {
        name: FIELD_CHECKS[name](value, name)
        for name, value in given.items()
        if value is not UNSET and name in UPDATABLE
    }
    impact = new.get("impact", ticket.impact)
    urgency = new.get("urgency", ticket.urgency)
    new["priority"] = ticket.config.priority_matrix.priority(impact, urgency)
    return _changes(ticket, new, FIELD_CODECS, "update")


def initial_fields(id: str, payload: ev.Opened, config: Any) -> list[tuple[str, Any]]:
    """Every field of a ticket just opened: the payload's, then the blank rest."""
    return [
        *zip(_OPENED_FIELDS, _opened_values(payload), strict=True),  # read in C, in one call
        *_BLANK,
        ("attributes", frozen(payload.attributes)),
        ("links", Chain()),  # its own: a chain grows in place
        ("id", id),
        ("config", config),
    ]


_OPENED_FIELDS = tuple(f.name for f in attrs.fields(ev.Opened) if f.name != "attributes")
_opened_values = attrgetter(*_OPENED_FIELDS)
_BLANK: tuple[tuple[str, Any], ...] = (
    ("group", None),
    ("assignee", None),
    ("hold_reason", None),
    ("l3_target", None),
    ("handover", None),
    ("resolution", None),
    ("resolved_at", None),
    ("duplicate_of", None),
    ("reassignment_count", 0),
    ("reopen_count", 0),
    ("escalation_count", 0),
    ("state", "new"),
)
