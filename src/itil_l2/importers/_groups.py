"""The tier directory: which support group works at which tier.

Exports name groups but rarely tiers. A `GroupDirectory` says, once, which
group is L1, L2 or L3 (from code, a TOML file or a JSON file). Without one
the importers use a documented per-ticket heuristic (`infer_tiers`) and mark
the ticket's tiers as inferred.

File format (TOML; JSON has the same shape)::

    default_tier = "L1"            # optional: tier of groups not listed
    [groups]
    "Group 56" = "L1"
    "Group 24" = { tier = "L2", specialisations = ["database"] }
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import MalformedExport

__all__ = ["GroupDirectory", "infer_tiers"]


class GroupDirectory:
    """Group name → `SupportGroup` (with its tier); the caller's word on tiers.

    Groups not listed get `default_tier` (L1 unless given); the importer
    counts how many tickets met such a group.

    >>> from itil_l2 import SupportGroup, Tier
    >>> d = GroupDirectory([SupportGroup("desk", Tier.L1), SupportGroup("dba", Tier.L2)])
    >>> d.group("dba").tier.value, d.group("unknown").tier.value, d.knows("unknown")
    ('L2', 'L1', False)
    """

    def __init__(self, groups: Iterable[SupportGroup], *, default_tier: Tier = Tier.L1) -> None:
        self._groups: dict[str, SupportGroup] = {}
        for group in groups:
            if not isinstance(group, SupportGroup):
                raise ValidationError(f"a group directory holds SupportGroups, got {group!r}")
            self._groups[group.name] = group
        if not isinstance(default_tier, Tier):
            raise ValidationError(f"default_tier must be a Tier, got {default_tier!r}")
        self.default_tier = default_tier
        self._unknown: dict[str, SupportGroup] = {}

    def knows(self, name: str) -> bool:
        """Whether `name` is listed (not just given the default tier)."""
        return name in self._groups

    def group(self, name: str) -> SupportGroup:
        """The listed group, or a group of `default_tier` with this name."""
        found = self._groups.get(name)
        if found is None:
            found = self._unknown.get(name)
            if found is None:
                found = self._unknown[name] = SupportGroup(name, self.default_tier)
        return found

    def __len__(self) -> int:
        return len(self._groups)

    def __iter__(self) -> Any:
        return iter(self._groups.values())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<mapping>") -> GroupDirectory:
        """Build from `{"default_tier": "L1", "groups": {name: tier | {tier, specialisations}}}`."""
        if not isinstance(data, Mapping) or not isinstance(data.get("groups"), Mapping):
            raise MalformedExport(source, None, "a tier directory needs a 'groups' table")
        groups = [_entry(name, value, source) for name, value in data["groups"].items()]
        default = _tier(data.get("default_tier", "L1"), "default_tier", source)
        return cls(groups, default_tier=default)

    @classmethod
    def load(cls, path: str | Path) -> GroupDirectory:
        """Read a `.toml` or `.json` tier directory file (by its suffix)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise MalformedExport(str(p), None, f"cannot read: {exc.strerror}") from None
        try:
            if p.suffix.lower() == ".json":
                data = json.loads(raw)
            else:
                data = tomllib.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, TOMLDecodeError
            raise MalformedExport(str(p), None, f"not a tier directory: {exc}") from None
        return cls.from_mapping(data, source=str(p))


def _tier(value: object, what: str, source: str) -> Tier:
    try:
        return Tier(str(value).upper())
    except ValueError:
        raise MalformedExport(source, None, f"{what}: {value!r} is not L1, L2 or L3") from None


def _entry(name: str, value: object, source: str) -> SupportGroup:
    specs: Sequence[str] = ()
    if isinstance(value, Mapping):
        tier = _tier(value.get("tier"), f"group {name!r:.80}", source)
        specs = value.get("specialisations", ())
        if isinstance(specs, str) or not isinstance(specs, Sequence):
            raise MalformedExport(source, None, f"group {name!r:.80}: specialisations is a list")
    else:
        tier = _tier(value, f"group {name!r:.80}", source)
    try:  # a name no group can have (see `itil_l2.MAX_ID_LENGTH`) is the file's fault
        return SupportGroup(name, tier, specs)
    except ValidationError as exc:
        raise MalformedExport(source, None, f"group {name!r:.80}: {exc}") from None


def infer_tiers(groups: Sequence[str], resolvers: Iterable[str]) -> dict[str, SupportGroup]:
    """The documented heuristic for one ticket when no directory is given.

    `groups` are the ticket's known groups in order of appearance,
    `resolvers` the groups holding it when it was resolved. The first group
    is L1; a group the ticket was transferred to that later resolves it is
    L2 (the transfer into it was an escalation); every other group is L1
    (transfers between them are reassignments). Nothing is ever L3.

    >>> t = infer_tiers(["Group 1", "Group 2", "Group 3"], ["Group 3"])
    >>> [(g.name, g.tier.value) for g in t.values()]
    [('Group 1', 'L1'), ('Group 2', 'L1'), ('Group 3', 'L2')]
    """
    return {
        name: SupportGroup(name, tier) for name, tier in _inferred_tiers(groups, resolvers).items()
    }


def _inferred_tiers(groups: Sequence[str], resolvers: Iterable[str]) -> dict[str, Tier]:
    """`infer_tiers` as plain tiers (the importer shares one `SupportGroup` per name and tier)."""
    first = groups[0] if groups else None
    escalated = set(resolvers) - {first}
    return {name: Tier.L2 if name in escalated else Tier.L1 for name in dict.fromkeys(groups)}
