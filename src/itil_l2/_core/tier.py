"""Support tiers and the groups that work at them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks

__all__ = ["SupportGroup", "Tier"]


class Tier(StrEnum):
    """A support line: first (L1), second (L2) or third (L3) level.

    >>> Tier.L2.level, Tier.L1 < Tier.L3
    (2, True)
    """

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"

    @property
    def level(self) -> int:
        """1, 2 or 3: used to compare tiers and to detect skipped ones."""
        return int(self.value[1])

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.level < other.level


def _specialisations(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@frozen
class SupportGroup:
    """A team that tickets are assigned to; the one place its tier is defined.

    A ticket's tier is always its assigned group's tier, so moving a ticket
    between tiers means assigning it to a group of another tier. The name is an
    identifier: at most `MAX_ID_LENGTH` characters, no control character.

    >>> dba = SupportGroup("database-l2", Tier.L2, {"database"})
    >>> dba.tier, "database" in dba.specialisations
    (<Tier.L2: 'L2'>, True)
    """

    name: str = attrs.field(validator=_checks.identifier)
    tier: Tier = attrs.field(validator=_checks.member(Tier))
    specialisations: frozenset[str] = attrs.field(
        default=frozenset(),
        converter=_specialisations,
        validator=attrs.validators.deep_iterable(_checks.text),
    )
