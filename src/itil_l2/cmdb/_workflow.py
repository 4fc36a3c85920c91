"""The configuration-item lifecycle, defined once with transitions and compiled.

planned → active (in production) ⇄ maintenance, and from any of them →
retired, which is final. Status changes go through one trigger,
`change_status`, whose conditions pick the destination from the requested
status, so the drawn diagram reads `planned --> active: change_status
[to_active]`. Attribute, detail and relation changes are internal
transitions (the status stays) that a retired CI refuses; only `unrelate`
still works on a retired CI, to clean up relations left behind.

The `to_<status>` conditions also demand that the payload's recorded old
status is the CI's current one: live triggers always fill it in that way,
and a tampered history that claims otherwise cannot be replayed.

Also here: who may fire which CI trigger (`CiPermissions`, with a default),
the frozen `CmdbConfig` a CI keeps, and the CMDB's typed errors.
"""

from __future__ import annotations

from typing import Any, Protocol

from attrs import frozen

from itil_l2._core.actor import Actor, Role
from itil_l2._core.errors import InvalidTransition, ValidationError, WorkflowError
from itil_l2._core.tier import SupportGroup
from itil_l2._core.workflow import allowed_triggers, first_match, shared_machine
from itil_l2.cmdb.events import CiStatus, CiTrigger

__all__ = [
    "CiChangeConflict",
    "ResolutionAlreadyApplied",
    "UnknownCi",
    "UnknownRelation",
    "CONFIGURATION_MANAGER",
    "CiFacts",
    "CiPermissions",
    "CmdbConfig",
    "DefaultCiPermissions",
    "INITIAL",
    "STATES",
    "TITLE",
    "TRANSITIONS",
]

STATES: list[Any] = [s.value for s in CiStatus]
INITIAL = CiStatus.PLANNED.value
TITLE = "Configuration item lifecycle"
CONFIGURATION_MANAGER = Role.CONFIGURATION_MANAGER
"""The role the default CI permissions let change every CI."""


def _to(status: CiStatus) -> Any:
    def condition(ci: Any, payload: Any) -> bool:
        return payload.new is status and payload.old == ci.state

    condition.__name__ = condition.__qualname__ = f"to_{status.value}"
    return condition


TO = {status: _to(status) for status in CiStatus}
_LIVE = [CiStatus.PLANNED.value, CiStatus.ACTIVE.value, CiStatus.MAINTENANCE.value]


def _t(trigger: CiTrigger, source: Any, dest: str | None, *conditions: Any) -> dict[str, Any]:
    return {
        "trigger": trigger.value,
        "source": source,
        "dest": dest,
        "conditions": list(conditions),
    }


_STATUS_MOVES = [
    (CiStatus.PLANNED, CiStatus.ACTIVE),
    (CiStatus.PLANNED, CiStatus.RETIRED),
    (CiStatus.ACTIVE, CiStatus.MAINTENANCE),
    (CiStatus.ACTIVE, CiStatus.RETIRED),
    (CiStatus.MAINTENANCE, CiStatus.ACTIVE),
    (CiStatus.MAINTENANCE, CiStatus.RETIRED),
]

TRANSITIONS: list[dict[str, Any]] = [
    *(_t(CiTrigger.CHANGE_STATUS, a.value, b.value, TO[b]) for a, b in _STATUS_MOVES),
    _t(CiTrigger.UPDATE, _LIVE, None),
    _t(CiTrigger.UPDATE_ATTRIBUTES, _LIVE, None),
    _t(CiTrigger.APPLY_RESOLUTION_CHANGES, _LIVE, None),
    _t(CiTrigger.RELATE, _LIVE, None),
    _t(CiTrigger.UNRELATE, [*_LIVE, CiStatus.RETIRED.value], None),
]

MACHINE, TABLE = shared_machine("configuration_item", STATES, TRANSITIONS, INITIAL)
"""The single shared machine (no models); the source of truth for routing and diagrams."""
ALLOWED_TRIGGERS = allowed_triggers(TABLE, CiTrigger)
NEXT_STATUSES: dict[CiStatus, tuple[CiStatus, ...]] = {
    status: tuple(b for a, b in _STATUS_MOVES if a is status) for status in CiStatus
}


def route(ci: Any, trigger: CiTrigger, payload: Any) -> str:
    """The state `trigger` leads to from the CI's state, or `InvalidTransition`.

    Internal transitions return the current state. Thread-safe: reads only
    the compiled table.
    """
    state: str = ci.state
    candidates = TABLE.get((state, trigger))
    dest = None if candidates is None else first_match(candidates, ci, payload, state)
    if dest is not None:
        return dest
    detail = ""
    if trigger is CiTrigger.CHANGE_STATUS:
        allowed = ", ".join(s.value for s in NEXT_STATUSES[CiStatus(state)]) or "nothing"
        detail = f"from {state} a CI can become: {allowed}"
    names = (t.value for t in ALLOWED_TRIGGERS.get(state, ()))
    raise InvalidTransition(trigger.value, state, None, names, detail)


class CiFacts(Protocol):
    """What a CI permissions policy may look at; `ConfigurationItem` provides it."""

    @property
    def id(self) -> str: ...
    @property
    def support_group(self) -> SupportGroup: ...
    @property
    def state(self) -> str: ...


class CiPermissions(Protocol):
    """A policy deciding whether `actor` may fire `trigger` on a CI.

    Implement `permits` in your own class and pass it in `CmdbConfig`.
    """

    def permits(self, actor: Actor, trigger: CiTrigger, ci: CiFacts) -> bool:
        """True when the actor may fire the trigger on this CI now."""
        ...


@frozen
class DefaultCiPermissions:
    """The default policy.

    - the system actor and configuration managers may do everything;
    - members of the CI's support group may do everything to it;
    - anyone else may only apply a resolution's CI changes: those come from
      a resolved ticket, whose own permissions already decided who could
      resolve it, and the changes must still match the CMDB's current values.

    >>> from types import SimpleNamespace
    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2.cmdb.events import CiTrigger
    >>> from itil_l2.cmdb import DefaultCiPermissions
    >>> ci = SimpleNamespace(id="db-1", support_group=SupportGroup("dba", Tier.L2), state="active")
    >>> policy = DefaultCiPermissions()
    >>> policy.permits(Actor("x"), CiTrigger.RELATE, ci)
    False
    >>> policy.permits(Actor("x"), CiTrigger.APPLY_RESOLUTION_CHANGES, ci)
    True
    >>> policy.permits(Actor("bob", groups={"dba"}), CiTrigger.RELATE, ci)
    True
    """

    configuration_manager_role: str = CONFIGURATION_MANAGER

    def permits(self, actor: Actor, trigger: CiTrigger, ci: CiFacts) -> bool:
        """Apply the rules listed in the class docstring."""
        if Role.SYSTEM in actor.roles or self.configuration_manager_role in actor.roles:
            return True
        if ci.support_group.name in actor.groups:
            return True
        return trigger == CiTrigger.APPLY_RESOLUTION_CHANGES


@frozen
class CmdbConfig:
    """The CMDB's settings: for now, who may change CIs.

    >>> from itil_l2 import CmdbConfig
    >>> CmdbConfig().permissions
    DefaultCiPermissions(configuration_manager_role='configuration_manager')
    """

    permissions: CiPermissions = DefaultCiPermissions()


class CiChangeConflict(WorkflowError):
    """A recorded change's `old` value is not the CI's current value: someone else changed it."""

    def __init__(self, ci_id: str, attribute: str, expected: Any, actual: Any) -> None:
        super().__init__(
            f"{ci_id}: {attribute} is {actual!r}, but the change expects it to be {expected!r}"
        )
        self.ci_id = ci_id
        self.attribute = attribute
        self.expected = expected
        self.actual = actual


class ResolutionAlreadyApplied(WorkflowError):
    """Exactly these changes from this ticket are already in the CI's history."""


class UnknownRelation(WorkflowError):
    """The CI has no such relation to remove."""


class UnknownCi(ValidationError):
    """A CI reference the graph does not know."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no CI {ref!r} in the graph")
        self.ref = ref
