"""What a lower tier hands to the next one up, and who the L3 target is."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.priority import Impact, Priority
from itil_l2.errors import ValidationError

__all__ = ["Handover", "HandoverSource", "L3Target", "L3TargetKind", "SolutionAttempt"]


class HandoverSource(StrEnum):
    """Who wrote a handover: an agent, or an importer copying an export."""

    AGENT = "agent"
    IMPORTED = "imported"


@frozen
class SolutionAttempt:
    """One thing tried before escalating, and what came of it."""

    action: str = attrs.field(validator=_checks.text)
    result: str = attrs.field(validator=_checks.text)


def _attempts(value: Iterable[SolutionAttempt]) -> tuple[SolutionAttempt, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, SolutionAttempt):
            raise ValidationError("attempts must be SolutionAttempt values")
    return items


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@frozen
class Handover:
    """The escalation record L1 must send up (and L2 sends to L3).

    The seed asks for: a detailed problem description, the solution attempts
    so far, the affected systems (CMDB references), and priority and impact as
    the sender sees them. Every part may be left out when constructing, so that
    `escalate` can name *all* missing parts at once in `IncompleteHandover`.

    Imported handovers (`source=HandoverSource.IMPORTED`) hold only what an
    export contained; the workflow never asks them for invented text.

    >>> from itil_l2 import Handover, Impact, Priority, SolutionAttempt
    >>> h = Handover(description="ORA-12541 on db-prod-3 since 09:10, all users",
    ...              attempts=[SolutionAttempt("restarted listener", "no change")],
    ...              ci_refs=["db-prod-3"], priority=Priority.P2, impact=Impact.HIGH)
    >>> h.missing_parts(min_description=20)
    ()
    >>> Handover().missing_parts(min_description=20)[0]
    'description (at least 20 characters)'
    """

    description: str = attrs.field(default="", validator=_checks.string)
    attempts: tuple[SolutionAttempt, ...] = attrs.field(default=(), converter=_attempts)
    ci_refs: tuple[str, ...] = attrs.field(
        default=(), converter=_strings, validator=_checks.identifiers
    )
    priority: Priority | None = attrs.field(
        default=None, validator=_checks.optional_member(Priority)
    )
    impact: Impact | None = attrs.field(default=None, validator=_checks.optional_member(Impact))
    hypothesis: str | None = attrs.field(default=None, validator=_checks.optional_text)
    next_check: str | None = attrs.field(default=None, validator=_checks.optional_text)
    source: HandoverSource = attrs.field(
        default=HandoverSource.AGENT, validator=_checks.member(HandoverSource)
    )

    def missing_parts(self, min_description: int) -> tuple[str, ...]:
        """Every required part this handover lacks, in the seed's order."""
        missing = []
        if len(self.description.strip()) < min_description:
            missing.append(f"description (at least {min_description} characters)")
        if not self.attempts:
            missing.append("solution attempts (at least one)")
        if not self.ci_refs:
            missing.append("affected CI references (at least one)")
        if self.priority is None:
            missing.append("priority")
        if self.impact is None:
            missing.append("impact")
        return tuple(missing)


class L3TargetKind(StrEnum):
    """The three kinds of third-level support the seed names."""

    VENDOR = "vendor"
    DEVELOPMENT = "development"
    EXTERNAL_SPECIALIST = "external_specialist"


@frozen
class L3Target:
    """Who works the ticket at L3: a vendor, developers or an external specialist.

    >>> from itil_l2 import L3Target, L3TargetKind
    >>> L3Target(L3TargetKind.VENDOR, "Oracle Support", reference="SR 3-1234").kind.value
    'vendor'
    """

    kind: L3TargetKind = attrs.field(validator=_checks.member(L3TargetKind))
    name: str = attrs.field(validator=_checks.identifier)
    reference: str | None = attrs.field(default=None, validator=_checks.optional_identifier)
