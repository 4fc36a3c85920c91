"""Why a ticket waits. Whether a reason pauses an SLA is decided by the SLA, not here."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import attrs
from attrs import frozen

from itil_l2._core.checks import MAX_ID_LENGTH
from itil_l2.errors import ValidationError

__all__ = ["HoldReason"]

_CODE = re.compile(r"[a-z][a-z0-9_]*")


def _code(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value) or len(value) > MAX_ID_LENGTH:
        raise ValidationError(
            f"a hold reason code is lower_snake_case of at most {MAX_ID_LENGTH} characters,"
            f" got {value!r:.80}"
        )


@frozen
class HoldReason:
    """An on-hold reason, identified by its code; extensible with your own.

    The five standard reasons are class attributes; a host adds its own by
    constructing one and listing it in `WorkflowConfig.hold_reasons`.

    >>> HoldReason.AWAITING_VENDOR.code
    'awaiting_vendor'
    >>> HoldReason("awaiting_spare_part").code
    'awaiting_spare_part'
    """

    code: str = attrs.field(validator=_code)

    AWAITING_CALLER: ClassVar[HoldReason]
    AWAITING_VENDOR: ClassVar[HoldReason]
    AWAITING_CHANGE: ClassVar[HoldReason]
    AWAITING_PROBLEM: ClassVar[HoldReason]
    AWAITING_EVIDENCE: ClassVar[HoldReason]

    def __str__(self) -> str:
        return self.code


HoldReason.AWAITING_CALLER = HoldReason("awaiting_caller")
HoldReason.AWAITING_VENDOR = HoldReason("awaiting_vendor")
HoldReason.AWAITING_CHANGE = HoldReason("awaiting_change")
HoldReason.AWAITING_PROBLEM = HoldReason("awaiting_problem")
HoldReason.AWAITING_EVIDENCE = HoldReason("awaiting_evidence")

STANDARD_HOLD_REASONS = (
    HoldReason.AWAITING_CALLER,
    HoldReason.AWAITING_VENDOR,
    HoldReason.AWAITING_CHANGE,
    HoldReason.AWAITING_PROBLEM,
    HoldReason.AWAITING_EVIDENCE,
)
