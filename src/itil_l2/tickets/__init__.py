"""Tickets: the incident and service-request entity, its L1→L2→L3 workflow and values.

The ticket's payload events are in `itil_l2.tickets.events`.
"""

from __future__ import annotations

from itil_l2._core.public import expose
from itil_l2._core.unset import UNSET

from ._config import (
    DefaultPermissions,
    EntryPolicy,
    Permissions,
    TicketFacts,
    WorkflowConfig,
)
from ._fields import Channel, Link, LinkKind, NoteVisibility, TicketKind
from ._handover import (
    Handover,
    HandoverSource,
    L3Target,
    L3TargetKind,
    SolutionAttempt,
)
from ._hold import (
    HoldReason,
)
from ._json import ticket_from_json, ticket_to_json
from ._resolution import (
    CANCELLED_BY_CALLER,
    DEFAULT_RESOLUTION_CODES,
    DUPLICATE,
    NOT_REPRODUCIBLE,
    NOT_SOLVED,
    SOLVED_PERMANENTLY,
    SOLVED_WORKAROUND,
    CiChange,
    Resolution,
    ResolutionCode,
)
from ._ticket import (
    Ticket,
)
from ._workflow import WORKFLOW, Phase, Trigger
from .events import (
    FieldChange,
    TicketEvent,
    TicketPayload,
)

__all__ = [
    "WORKFLOW",
    "CANCELLED_BY_CALLER",
    "Channel",
    "CiChange",
    "DEFAULT_RESOLUTION_CODES",
    "DUPLICATE",
    "DefaultPermissions",
    "EntryPolicy",
    "FieldChange",
    "Handover",
    "HandoverSource",
    "HoldReason",
    "L3Target",
    "L3TargetKind",
    "Link",
    "LinkKind",
    "NOT_REPRODUCIBLE",
    "NOT_SOLVED",
    "NoteVisibility",
    "Permissions",
    "Phase",
    "Resolution",
    "ResolutionCode",
    "SOLVED_PERMANENTLY",
    "SOLVED_WORKAROUND",
    "SolutionAttempt",
    "Ticket",
    "TicketEvent",
    "TicketFacts",
    "TicketKind",
    "TicketPayload",
    "Trigger",
    "UNSET",
    "WorkflowConfig",
    "ticket_from_json",
    "ticket_to_json",
]

expose(__name__, globals(), __all__)
expose(__name__, globals(), ["FieldChange"], source="itil_l2._core.")
