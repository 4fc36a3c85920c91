"""Requests for change: standard, normal and emergency paths, approvals and windows.

The RFC's payload events are in `itil_l2.changes.events`.
"""

from __future__ import annotations

from itil_l2._core.public import expose

from ._change import (
    ChangeRequest,
)
from ._config import (
    ChangeConfig,
    ChangeFacts,
    ChangePermissions,
    DefaultChangePermissions,
)
from ._workflow import (
    WORKFLOW,
    ApprovalMissing,
    ApprovalRefused,
    ChangeState,
    ChangeTrigger,
    ChangeType,
)
from .events import (
    Approval,
    ApprovalBoard,
    ApprovalDecision,
    ChangeEvent,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangePayload,
    ChangeRisk,
)

__all__ = [
    "WORKFLOW",
    "Approval",
    "ApprovalBoard",
    "ApprovalDecision",
    "ApprovalMissing",
    "ApprovalRefused",
    "ChangeConfig",
    "ChangeEvent",
    "ChangeFacts",
    "ChangeLink",
    "ChangeLinkKind",
    "ChangeOutcome",
    "ChangePayload",
    "ChangePermissions",
    "ChangeRequest",
    "ChangeRisk",
    "ChangeState",
    "ChangeTrigger",
    "ChangeType",
    "DefaultChangePermissions",
]

expose(__name__, globals(), __all__)
