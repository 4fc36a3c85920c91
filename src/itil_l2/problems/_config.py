"""Every tunable of the problem workflow, its resolution codes and its permissions."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.actor import Actor, Role
from itil_l2._core.entity import EntityFacts
from itil_l2._core.priority import PriorityMatrix
from itil_l2._core.tier import SupportGroup
from itil_l2.errors import ValidationError
from itil_l2.problems._workflow import ProblemPhase, ProblemTrigger
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    SOLVED_WORKAROUND,
    HoldReason,
    ResolutionCode,
    TicketKind,
)

__all__ = [
    "DefaultProblemPermissions",
    "ProblemConfig",
    "ProblemFacts",
    "ProblemPermissions",
    "ProblemResolutionCode",
]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _code(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _CODE.match(value):
        raise ValidationError(f"a problem resolution code is lower_snake_case, got {value!r}")


def _instance(kind: type, *, optional: bool = False) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not (isinstance(value, kind) or (optional and value is None)):
            raise ValidationError(f"{attribute.name} must be a {kind.__name__}, got {value!r}")

    return check


def _bool(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"{attribute.name} must be a bool, got {value!r}")


@frozen
class ProblemResolutionCode:
    """How a problem ended (ServiceNow: fix applied, risk accepted, duplicate).

    - `requires_rca`: resolving with it needs a complete RCA;
    - `duplicate`: resolving with it names the problem this one duplicates;
    - `incident_code`: the ticket resolution code linked incidents waiting
      on the problem receive when it is resolved; None means the code
      resolves no incidents (a duplicate's incidents move to the original).

    >>> from itil_l2.problems import ProblemResolutionCode
    >>> ProblemResolutionCode.RISK_ACCEPTED.requires_rca
    False
    >>> ProblemResolutionCode.FIX_APPLIED.incident_code.code
    'solved_permanently'
    """

    code: str = attrs.field(validator=_code)
    label: str = attrs.field(validator=_checks.text)
    requires_rca: bool = attrs.field(validator=_bool)
    duplicate: bool = attrs.field(default=False, validator=_bool)
    incident_code: ResolutionCode | None = attrs.field(
        default=None, validator=_instance(ResolutionCode, optional=True)
    )

    FIX_APPLIED: ClassVar[ProblemResolutionCode]
    RISK_ACCEPTED: ClassVar[ProblemResolutionCode]
    DUPLICATE: ClassVar[ProblemResolutionCode]
    CLOSED_WITHOUT_RCA: ClassVar[ProblemResolutionCode]

    def __str__(self) -> str:
        return self.code


ProblemResolutionCode.FIX_APPLIED = ProblemResolutionCode(
    "fix_applied", "Fix applied", requires_rca=True, incident_code=SOLVED_PERMANENTLY
)
ProblemResolutionCode.RISK_ACCEPTED = ProblemResolutionCode(
    "risk_accepted", "Risk accepted", requires_rca=False, incident_code=SOLVED_WORKAROUND
)
ProblemResolutionCode.DUPLICATE = ProblemResolutionCode(
    "duplicate", "Duplicate", requires_rca=False, duplicate=True
)
ProblemResolutionCode.CLOSED_WITHOUT_RCA = ProblemResolutionCode(
    "closed_without_rca", "Closed without an RCA (imported)", requires_rca=False
)
"""The source system ended the problem and its log holds no RCA: for imported histories.

Accepted only with `ProblemConfig(allow_close_without_rca=True)`, whatever
`resolution_codes` says; it resolves no incidents.
"""
DEFAULT_PROBLEM_RESOLUTION_CODES = (
    ProblemResolutionCode.FIX_APPLIED,
    ProblemResolutionCode.RISK_ACCEPTED,
    ProblemResolutionCode.DUPLICATE,
)


class ProblemFacts(EntityFacts, Protocol):
    """What a problem permissions policy may look at; `Problem` provides all of it."""

    @property
    def phase(self) -> ProblemPhase: ...
    @property
    def group(self) -> SupportGroup | None: ...
    @property
    def assignee(self) -> str | None: ...


class ProblemPermissions(Protocol):
    """A policy deciding whether `actor` may fire `trigger` on `problem`.

    Implement `permits` in your own class and pass it in `ProblemConfig`.
    """

    def permits(self, actor: Actor, trigger: ProblemTrigger, problem: ProblemFacts) -> bool:
        """True when the actor may fire the trigger on this problem now."""
        ...


@frozen
class DefaultProblemPermissions:
    """The default policy: the system actor, problem managers, and the assigned group.

    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2.problems import DefaultProblemPermissions
    >>> from itil_l2.problems import ProblemTrigger
    >>> from types import SimpleNamespace
    >>> problem = SimpleNamespace(group=SupportGroup("database-l2", Tier.L2))
    >>> policy = DefaultProblemPermissions()
    >>> policy.permits(Actor("bob", groups={"database-l2"}), ProblemTrigger.ADD_NOTE, problem)
    True
    >>> policy.permits(Actor("ann", groups={"service-desk"}), ProblemTrigger.ADD_NOTE, problem)
    False
    """

    problem_manager_role: str = Role.PROBLEM_MANAGER

    def permits(self, actor: Actor, trigger: ProblemTrigger, problem: ProblemFacts) -> bool:
        """Apply the rules listed in the class docstring."""
        if Role.SYSTEM in actor.roles or self.problem_manager_role in actor.roles:
            return True
        group = problem.group
        return group is not None and group.name in actor.groups


def _unique_codes(_inst: object, _attr: object, value: tuple[ProblemResolutionCode, ...]) -> None:
    codes = [c.code for c in value if isinstance(c, ProblemResolutionCode)]
    if not codes or len(codes) != len(value) or len(set(codes)) != len(codes):
        raise ValidationError("resolution_codes must be non-empty ProblemResolutionCodes, unique")


def _kinds(value: Any) -> frozenset[TicketKind]:
    found = frozenset(value)
    if not found or not all(isinstance(k, TicketKind) for k in found):
        raise ValidationError("linkable_kinds must be a non-empty set of TicketKind")
    return found


@frozen
class ProblemConfig:
    """The problem workflow's settings; the default follows ServiceNow's practice.

    - `resolution_codes`: the codes `Problem.resolve` accepts;
    - `permissions`: who may fire which trigger;
    - `incident_resolver_role`: the role the problem's resolver acts with
      when resolving the linked incidents; the tickets' permissions policy
      must let it resolve tickets linked to a problem (`DefaultPermissions`
      does for `problem_manager`);
    - `awaiting_reason`: the hold reason of incidents waiting for the problem;
    - `linkable_kinds`: the ticket kinds a problem links (incidents only);
    - `fix_needs_root_cause`: starting the fix needs a stated root cause;
    - `allow_close_without_rca`: `Problem.resolve` accepts the code
      `ProblemResolutionCode.CLOSED_WITHOUT_RCA`, which ends a problem with
      no RCA at all. Off by default, so live problems keep the rule; it is
      for imported logs whose source system closed problems without one
      (`read_problem_log` turns it on). A history that uses the code does
      not load under a config without the switch.

    >>> from itil_l2 import ProblemConfig
    >>> ProblemConfig(fix_needs_root_cause=False).awaiting_reason.code
    'awaiting_problem'
    """

    priority_matrix: PriorityMatrix = PriorityMatrix()
    resolution_codes: tuple[ProblemResolutionCode, ...] = attrs.field(
        default=DEFAULT_PROBLEM_RESOLUTION_CODES, converter=tuple, validator=_unique_codes
    )
    permissions: ProblemPermissions = DefaultProblemPermissions()
    incident_resolver_role: str = attrs.field(default=Role.PROBLEM_MANAGER, validator=_checks.text)
    awaiting_reason: HoldReason = attrs.field(
        default=HoldReason.AWAITING_PROBLEM, validator=_instance(HoldReason)
    )
    linkable_kinds: frozenset[TicketKind] = attrs.field(
        default=frozenset({TicketKind.INCIDENT}), converter=_kinds
    )
    fix_needs_root_cause: bool = attrs.field(default=True, validator=_bool)
    allow_close_without_rca: bool = attrs.field(default=False, validator=_bool)
