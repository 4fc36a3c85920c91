"""Every tunable of the ticket workflow, in one frozen object that is passed in."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core.errors import ValidationError
from itil_l2._core.priority import PriorityMatrix
from itil_l2.tickets._hold import STANDARD_HOLD_REASONS, HoldReason
from itil_l2.tickets._permissions import DefaultPermissions, Permissions
from itil_l2.tickets._resolution import DEFAULT_RESOLUTION_CODES, ResolutionCode

__all__ = ["EntryPolicy", "WorkflowConfig"]


class EntryPolicy(StrEnum):
    """Whether a new ticket may be assigned straight to an L2 or L3 group."""

    FORBIDDEN = "forbidden"
    WITH_REASON = "with_reason"
    ALLOWED = "allowed"


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"{attribute.name} must be a non-negative int, got {value!r}")


def _positive_period(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"auto_close_after must be a positive timedelta, got {value!r}")


def _unique_codes(_inst: object, _attr: object, value: tuple[ResolutionCode, ...]) -> None:
    codes = [c.code for c in value]
    if not codes or len(set(codes)) != len(codes):
        raise ValidationError("resolution_codes must be non-empty with unique codes")


@frozen
class WorkflowConfig:
    """The ticket workflow's settings; the default follows common ITIL practice.

    Pass one to `Ticket.open(config=...)`; tickets keep it, and rebuilt
    tickets take it in `Ticket.from_history(events, config=...)`.

    >>> from datetime import timedelta
    >>> cfg = WorkflowConfig(allow_tier_skip=True, auto_close_after=timedelta(days=3))
    >>> cfg.entry_above_l1
    <EntryPolicy.WITH_REASON: 'with_reason'>
    """

    priority_matrix: PriorityMatrix = PriorityMatrix()
    resolution_codes: tuple[ResolutionCode, ...] = attrs.field(
        default=DEFAULT_RESOLUTION_CODES, converter=tuple, validator=_unique_codes
    )
    hold_reasons: tuple[HoldReason, ...] = attrs.field(
        default=STANDARD_HOLD_REASONS, converter=tuple
    )
    handover_min_description: int = attrs.field(default=30, validator=_non_negative)
    permissions: Permissions = DefaultPermissions()
    auto_close_after: timedelta = attrs.field(default=timedelta(days=5), validator=_positive_period)
    allow_tier_skip: bool = False
    entry_above_l1: EntryPolicy = EntryPolicy.WITH_REASON
