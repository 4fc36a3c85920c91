"""Impact, urgency and the matrix that turns them into a priority."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum

import attrs
from attrs import frozen

from itil_l2.errors import ValidationError

__all__ = ["Impact", "Priority", "PriorityMatrix", "Urgency"]


class Impact(StrEnum):
    """How much of the business an issue touches."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(StrEnum):
    """How fast the business needs the issue solved."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(IntEnum):
    """P1 (critical) … P5 (planning), as in ServiceNow."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4
    P5 = 5

    def __str__(self) -> str:
        return self.name


_LEVELS = (Impact.HIGH, Impact.MEDIUM, Impact.LOW)
_URGENCIES = (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)
_INDEX = {"high": 0, "medium": 1, "low": 2}


def _check_rows(_inst: object, _attr: object, rows: tuple[tuple[Priority, ...], ...]) -> None:
    ok = len(rows) == 3 and all(
        len(row) == 3 and all(isinstance(p, Priority) for p in row) for row in rows
    )
    if not ok:
        raise ValidationError("a priority matrix needs a Priority for each of the 3x3 cells")


@frozen
class PriorityMatrix:
    """Impact × urgency → priority. The default is ServiceNow's.

    Rows are impact high/medium/low, columns urgency high/medium/low.

    >>> PriorityMatrix().priority(Impact.HIGH, Urgency.MEDIUM)
    <Priority.P2: 2>
    >>> PriorityMatrix().priority(Impact.LOW, Urgency.LOW)
    <Priority.P5: 5>
    """

    rows: tuple[tuple[Priority, ...], ...] = attrs.field(
        default=(
            (Priority.P1, Priority.P2, Priority.P3),
            (Priority.P2, Priority.P3, Priority.P4),
            (Priority.P3, Priority.P4, Priority.P5),
        ),
        validator=_check_rows,
    )

    @classmethod
    def from_mapping(cls, cells: Mapping[tuple[Impact, Urgency], Priority]) -> PriorityMatrix:
        """Build a matrix from a complete `{(impact, urgency): priority}` mapping."""
        missing = [(i, u) for i in _LEVELS for u in _URGENCIES if (i, u) not in cells]
        if missing:
            names = ", ".join(f"{i.value}/{u.value}" for i, u in missing)
            raise ValidationError(f"priority matrix lacks cells: {names}")
        return cls(tuple(tuple(cells[(i, u)] for u in _URGENCIES) for i in _LEVELS))

    def priority(self, impact: Impact, urgency: Urgency) -> Priority:
        """The priority for this impact and urgency."""
        return self.rows[_INDEX[impact]][_INDEX[urgency]]  # StrEnum members key by value

    def check(self, impact: Impact, urgency: Urgency, priority: Priority) -> None:
        """Refuse a recorded `priority` that is not this matrix's for impact and urgency."""
        expected = self.priority(impact, urgency)
        if priority != expected:
            raise ValidationError(
                f"priority {priority!r} is not the matrix's {expected.name} "
                f"for impact {impact.value} and urgency {urgency.value}"
            )
