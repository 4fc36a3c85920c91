"""Every error the library's core raises; all derive from `ItilL2Error`.

Errors that belong to one concept live in its package too (for example
`itil_l2.changes.ApprovalMissing`, `itil_l2.sla.NoTargetForPriority`); each is
a subclass of one of these families.

>>> from itil_l2.errors import InvalidTransition, ItilL2Error, WorkflowError
>>> issubclass(InvalidTransition, WorkflowError) and issubclass(WorkflowError, ItilL2Error)
True
"""

from __future__ import annotations

from itil_l2._core.errors import (
    AlreadyExists,
    ConcurrencyError,
    CorruptHistory,
    DuplicateLink,
    EntryRefused,
    EventOutOfOrder,
    IncompleteHandover,
    InvalidTransition,
    ItilL2Error,
    NaiveDatetime,
    NotFound,
    NotPermitted,
    StorageError,
    TierSkipRefused,
    UnknownHoldReason,
    UnknownResolutionCode,
    UnknownSchema,
    ValidationError,
    WorkflowError,
)
from itil_l2._core.public import expose

__all__ = [
    "AlreadyExists",
    "ConcurrencyError",
    "CorruptHistory",
    "DuplicateLink",
    "EntryRefused",
    "EventOutOfOrder",
    "IncompleteHandover",
    "InvalidTransition",
    "ItilL2Error",
    "NaiveDatetime",
    "NotFound",
    "NotPermitted",
    "StorageError",
    "TierSkipRefused",
    "UnknownHoldReason",
    "UnknownResolutionCode",
    "UnknownSchema",
    "ValidationError",
    "WorkflowError",
]

expose(__name__, globals(), __all__, source="itil_l2._core.")
