"""Who may fire which CI trigger (`CiPermissions`, with a default) and the frozen `CmdbConfig`."""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from itil_l2._core.actor import Actor, Role
from itil_l2._core.entity import EntityFacts
from itil_l2._core.tier import SupportGroup
from itil_l2.cmdb._workflow import CiTrigger

__all__ = [
    "CONFIGURATION_MANAGER",
    "CiFacts",
    "CiPermissions",
    "CmdbConfig",
    "DefaultCiPermissions",
]

CONFIGURATION_MANAGER = Role.CONFIGURATION_MANAGER


class CiFacts(EntityFacts, Protocol):
    """What a CI permissions policy may look at; `ConfigurationItem` provides it."""

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
