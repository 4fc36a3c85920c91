"""itil_l2: ITIL second-level support workflows as a typed, pure-Python library.

Everything public is importable from here; modules starting with `_` are
private and may change without notice.
"""

from __future__ import annotations

import attrs

from ._actor import SYSTEM, Actor, Role
from ._cmdb import ConfigurationItem, apply_resolution, ci_changes_for
from ._cmdb_events import (
    AttributeChange,
    AttributeRecord,
    CiAttributesUpdated,
    CiDetailsUpdated,
    CiEvent,
    CiKind,
    CiPayload,
    CiRegistered,
    CiRelated,
    CiResolutionChangesApplied,
    CiStatus,
    CiStatusChanged,
    CiTrigger,
    CiUnrelated,
    HealthState,
    Relation,
    RelationKind,
)
from ._cmdb_graph import (
    DEFAULT_PROPAGATING,
    CiNode,
    CiReach,
    CmdbGraph,
    Edge,
    cis_with_open_incidents,
    support_groups_for,
)
from ._cmdb_workflow import (
    CiChangeConflict,
    CiFacts,
    CiPermissions,
    CmdbConfig,
    DefaultCiPermissions,
    ResolutionAlreadyApplied,
    UnknownCi,
    UnknownRelation,
)
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
    "DEFAULT_PROPAGATING",
    "DEFAULT_RESOLUTION_CODES",
    "DUPLICATE",
    "NOT_REPRODUCIBLE",
    "NOT_SOLVED",
    "SOLVED_PERMANENTLY",
    "SOLVED_WORKAROUND",
    "SYSTEM",
    "UNSET",
    "Actor",
    "Assigned",
    "AssigneeSet",
    "AttributeChange",
    "AttributeRecord",
    "Cancelled",
    "Channel",
    "CiAttributesUpdated",
    "CiChange",
    "CiChangeConflict",
    "CiDetailsUpdated",
    "CiEvent",
    "CiFacts",
    "CiKind",
    "CiNode",
    "CiPayload",
    "CiPermissions",
    "CiReach",
    "CiRegistered",
    "CiRelated",
    "CiResolutionChangesApplied",
    "CiStatus",
    "CiStatusChanged",
    "CiTrigger",
    "CiUnrelated",
    "Closed",
    "CmdbConfig",
    "CmdbGraph",
    "ConcurrencyError",
    "ConfigurationItem",
    "CorruptHistory",
    "DefaultCiPermissions",
    "DefaultPermissions",
    "DuplicateLink",
    "Edge",
    "EntryPolicy",
    "EntryRefused",
    "Escalated",
    "EventOutOfOrder",
    "FieldChange",
    "HandedBack",
    "Handover",
    "HandoverSource",
    "HealthState",
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
    "NotPermitted",
    "NoteAdded",
    "NoteVisibility",
    "Opened",
    "Permissions",
    "Phase",
    "Priority",
    "PriorityMatrix",
    "Reassigned",
    "Relation",
    "RelationKind",
    "Reopened",
    "Resolution",
    "ResolutionAlreadyApplied",
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
    "UnknownCi",
    "UnknownHoldReason",
    "UnknownRelation",
    "UnknownResolutionCode",
    "Updated",
    "Urgency",
    "ValidationError",
    "VendorUpdated",
    "WorkflowConfig",
    "WorkflowError",
    "apply_resolution",
    "ci_changes_for",
    "cis_with_open_incidents",
    "converter",
    "diagram",
    "entity_from_json",
    "entity_to_json",
    "support_groups_for",
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
