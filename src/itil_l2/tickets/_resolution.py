"""How a ticket was resolved: a configurable code set and the resolution record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError


def _json_value(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _checks.json_safe(value, attribute.name)


__all__ = [
    "CANCELLED_BY_CALLER",
    "DEFAULT_RESOLUTION_CODES",
    "DUPLICATE",
    "NOT_REPRODUCIBLE",
    "NOT_SOLVED",
    "SOLVED_PERMANENTLY",
    "SOLVED_WORKAROUND",
    "CiChange",
    "Resolution",
    "ResolutionCode",
]


@frozen
class ResolutionCode:
    """A resolution code; `successful` says whether it counts as solved.

    The resolution-rate KPI counts tickets whose code is successful, so the
    flag is part of the code, not a guess made later.

    >>> ResolutionCode("solved_permanently", "Solved (permanently)", successful=True).successful
    True
    """

    code: str = attrs.field(validator=_checks.identifier)
    label: str = attrs.field(validator=_checks.text)
    successful: bool = attrs.field(validator=attrs.validators.instance_of(bool))


SOLVED_PERMANENTLY = ResolutionCode("solved_permanently", "Solved (permanently)", successful=True)
SOLVED_WORKAROUND = ResolutionCode("solved_workaround", "Solved (workaround)", successful=True)
NOT_REPRODUCIBLE = ResolutionCode("not_reproducible", "Not reproducible", successful=False)
NOT_SOLVED = ResolutionCode(
    "not_solved", "Not solved (not reproducible or no fix)", successful=False
)
CANCELLED_BY_CALLER = ResolutionCode("cancelled_by_caller", "Cancelled by caller", successful=False)
DUPLICATE = ResolutionCode("duplicate", "Duplicate", successful=False)

DEFAULT_RESOLUTION_CODES = (
    SOLVED_PERMANENTLY,
    SOLVED_WORKAROUND,
    NOT_REPRODUCIBLE,
    NOT_SOLVED,
    CANCELLED_BY_CALLER,
    DUPLICATE,
)


def _kb_refs(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@frozen
class CiChange:
    """A configuration item change made while resolving (the CMDB records which ticket did it).

    Values are JSON-safe (strings, numbers, booleans, None, lists, mappings).
    """

    ci_ref: str = attrs.field(validator=_checks.identifier)
    attribute: str = attrs.field(validator=_checks.text)
    old: Any = attrs.field(validator=_json_value)
    new: Any = attrs.field(validator=_json_value)


def _ci_changes(value: Iterable[CiChange]) -> tuple[CiChange, ...]:
    items = tuple(value)
    if not all(isinstance(item, CiChange) for item in items):
        raise ValidationError("ci_changes must be CiChange values")
    return items


@frozen
class Resolution:
    """A resolution: its code, notes, the KB articles that helped, and more.

    `problem_ref` names the problem whose fix resolved the ticket;
    `ci_changes` lists the CMDB changes the resolution made.

    >>> r = Resolution(SOLVED_PERMANENTLY, "rebuilt index", kb_refs=["KB-123"])
    >>> r.kb_refs, r.problem_ref, r.ci_changes
    (('KB-123',), None, ())
    """

    code: ResolutionCode = attrs.field(validator=attrs.validators.instance_of(ResolutionCode))
    notes: str = attrs.field(validator=_checks.text)
    kb_refs: tuple[str, ...] = attrs.field(
        default=(), converter=_kb_refs, validator=_checks.identifiers
    )
    problem_ref: str | None = attrs.field(default=None, validator=_checks.optional_identifier)
    ci_changes: tuple[CiChange, ...] = attrs.field(default=(), converter=_ci_changes)
