"""Who fires a trigger: people, vendor contacts, and the system itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks

__all__ = ["SYSTEM", "Actor", "Role"]


class Role:
    """Well-known role names; hosts may use any string as a role."""

    SYSTEM: ClassVar[str] = "system"
    VENDOR: ClassVar[str] = "vendor"
    PROBLEM_MANAGER: ClassVar[str] = "problem_manager"
    CHANGE_MANAGER: ClassVar[str] = "change_manager"
    SUPERVISOR: ClassVar[str] = "supervisor"
    CONFIGURATION_MANAGER: ClassVar[str] = "configuration_manager"
    KNOWLEDGE_MANAGER: ClassVar[str] = "knowledge_manager"
    CAB_MEMBER: ClassVar[str] = "cab_member"
    GROUP_MANAGER: ClassVar[str] = "group_manager"


def _names(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@frozen
class Actor:
    """An actor: an id, the support groups (by name) it belongs to, and its roles.

    The id is an identifier: at most `MAX_ID_LENGTH` characters, no control character.

    >>> alice = Actor("alice", groups={"service-desk"})
    >>> alice.in_group("service-desk"), alice.has_role(Role.SYSTEM)
    (True, False)
    >>> SYSTEM.has_role(Role.SYSTEM)
    True
    """

    id: str = attrs.field(validator=_checks.identifier)
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def in_group(self, name: str) -> bool:
        """Whether the actor is a member of the group called `name`."""
        return name in self.groups

    def has_role(self, role: str) -> bool:
        """Whether the actor holds `role`."""
        return role in self.roles


SYSTEM = Actor("system", roles={Role.SYSTEM})
"""The actor for automation and imports; the default permissions allow it everything."""
