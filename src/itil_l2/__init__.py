"""itil_l2: ITIL second-level support workflows as a typed, pure-Python library.

Everything public is importable from here; modules starting with `_` are
private and may change without notice.
"""

from __future__ import annotations

import attrs

from ._actor import SYSTEM, Actor, Role
from ._config import EntryPolicy, WorkflowConfig
from ._diagram import diagram
from ._errors import (
    ConcurrencyError,
    CorruptHistory,
    DuplicateLink,
    EntryRefused,
    EventOutOfOrder,
    IncompleteHandover,
    InvalidTransition,
    ItilL2Error,
    NaiveDatetime,
    NotPermitted,
    TierSkipRefused,
    UnknownHoldReason,
    UnknownResolutionCode,
    ValidationError,
    WorkflowError,
)
from ._handover import Handover, HandoverSource, L3Target, L3TargetKind, SolutionAttempt
from ._hold import HoldReason
from ._permissions import DefaultPermissions, Permissions, TicketFacts
from ._priority import Impact, Priority, PriorityMatrix, Urgency
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
from ._serialization import (
    converter,
    entity_from_json,
    entity_to_json,
    ticket_from_json,
    ticket_to_json,
)
from ._ticket import Ticket
from ._ticket_events import (
    Assigned,
    AssigneeSet,
    Cancelled,
    Closed,
    Escalated,
    FieldChange,
    HandedBack,
    Held,
    HoldReasonChanged,
    Linked,
    NoteAdded,
    Opened,
    Reassigned,
    Reopened,
    Resolved,
    Resumed,
    Started,
    TicketEvent,
    TicketPayload,
    Updated,
    VendorUpdated,
)
from ._ticket_fields import Channel, Link, LinkKind, NoteVisibility, Phase, TicketKind, Trigger
from ._ticket_update import UNSET
from ._tier import SupportGroup, Tier

__version__ = "0.1.0"

__all__ = [
    "CANCELLED_BY_CALLER",
    "DEFAULT_RESOLUTION_CODES",
    "DUPLICATE",
    "NOT_REPRODUCIBLE",
    "NOT_SOLVED",
    "SOLVED_PERMANENTLY",
    "SOLVED_WORKAROUND",
    "SYSTEM",
    "UNSET",
    "Actor",
    "AssigneeSet",
    "Assigned",
    "Cancelled",
    "Channel",
    "CiChange",
    "Closed",
    "ConcurrencyError",
    "CorruptHistory",
    "DefaultPermissions",
    "DuplicateLink",
    "EntryPolicy",
    "EntryRefused",
    "Escalated",
    "EventOutOfOrder",
    "FieldChange",
    "HandedBack",
    "Handover",
    "HandoverSource",
    "Held",
    "HoldReason",
    "HoldReasonChanged",
    "Impact",
    "IncompleteHandover",
    "InvalidTransition",
    "ItilL2Error",
    "L3Target",
    "L3TargetKind",
    "Link",
    "LinkKind",
    "Linked",
    "NaiveDatetime",
    "NoteAdded",
    "NoteVisibility",
    "NotPermitted",
    "Opened",
    "Permissions",
    "Phase",
    "Priority",
    "PriorityMatrix",
    "Reassigned",
    "Reopened",
    "Resolution",
    "ResolutionCode",
    "Resolved",
    "Resumed",
    "Role",
    "SolutionAttempt",
    "Started",
    "SupportGroup",
    "Ticket",
    "TicketEvent",
    "TicketFacts",
    "TicketKind",
    "TicketPayload",
    "Tier",
    "TierSkipRefused",
    "Trigger",
    "UnknownHoldReason",
    "UnknownResolutionCode",
    "Updated",
    "Urgency",
    "ValidationError",
    "VendorUpdated",
    "WorkflowConfig",
    "WorkflowError",
    "converter",
    "diagram",
    "entity_from_json",
    "entity_to_json",
    "ticket_from_json",
    "ticket_to_json",
]


def _set_public_module() -> None:
    """Show `itil_l2.Ticket`, not `itil_l2._ticket.Ticket`, in reprs and docs (as httpx does).

    attrs classes get their annotations resolved first, in their own module,
    so cattrs and `typing.get_type_hints` keep working after the rename.
    """
    for name in __all__:
        obj = globals()[name]
        if isinstance(obj, type) and obj.__module__.startswith("itil_l2._"):
            if attrs.has(obj):
                attrs.resolve_types(obj)
            obj.__module__ = __name__


_set_public_module()
