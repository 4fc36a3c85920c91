"""The tier directory: which support group works at which tier.

Exports name groups but rarely tiers. A `GroupDirectory` says, once, which
group is L1, L2 or L3 (from code, a TOML file or a JSON file). Real logs
often carry the tier in the team's name (`"Desk 2nd"`, `"L2-Network"`), so
besides exact names a directory takes rules: patterns (regex → tier, in
order) and, from Python, a callable `name -> Tier | None`. The first that
answers wins: the exact name, then the patterns in order, then the
callable, then `default_tier`. Without a directory the importers use a
documented per-ticket heuristic (`infer_tiers`) and mark the ticket's tiers
as inferred.

File format (TOML; JSON has the same shape)::

    default_tier = "L1"            # optional: tier of groups no rule names
    [groups]
    "Group 56" = "L1"
    "Group 24" = { tier = "L2", specialisations = ["database"] }
    [[patterns]]                   # regular expressions (Python `re.search`)
    pattern = " 2nd$"
    tier = "L2"

A pattern is compiled once and tried with `re.search` on every new group
name (each name once). Python's `re` has no time limit, so a pattern with
nested repetition (`(a+)+$`) can take very long on a long name: keep
patterns plain (anchors, literals, classes). Patterns over
`MAX_PATTERN_LENGTH` characters are refused.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import MalformedExport

__all__ = ["MAX_PATTERN_LENGTH", "GroupDirectory", "TierRule", "infer_tiers"]

MAX_PATTERN_LENGTH = 1000
"""The longest tier pattern accepted (characters)."""

TierRule = Callable[[str], Tier | None]
"""A callable tier rule: a group name → its tier, or None to let the next rule answer."""

_RESOLVED_KEPT = 100_000


class GroupDirectory:
    """Group name → `SupportGroup` (with its tier); the caller's word on tiers.

    `patterns` are `(regex, tier)` pairs tried in order with `re.search`;
    `rule` a callable tried after them. Groups no rule names get
    `default_tier` (L1 unless given); the importer counts how many tickets
    met such a group.

    >>> from itil_l2 import SupportGroup, Tier
    >>> d = GroupDirectory([SupportGroup("desk", Tier.L1), SupportGroup("dba", Tier.L2)])
    >>> d.group("dba").tier.value, d.group("unknown").tier.value, d.knows("unknown")
    ('L2', 'L1', False)
    >>> r = GroupDirectory(patterns=[(" 2nd$", Tier.L2), ("^L3-", Tier.L3)],
    ...                    rule=lambda name: Tier.L3 if "vendor" in name else None)
    >>> [r.group(n).tier.value for n in ("Net 2nd", "L3-DB", "oracle vendor", "Desk")]
    ['L2', 'L3', 'L3', 'L1']
    >>> r.knows("Net 2nd"), r.knows("Desk")
    (True, False)
    """

    def __init__(
        self,
        groups: Iterable[SupportGroup] = (),
        *,
        default_tier: Tier = Tier.L1,
        patterns: Iterable[tuple[str | re.Pattern[str], Tier]] = (),
        rule: TierRule | None = None,
    ) -> None:
        self._groups: dict[str, SupportGroup] = {}
        for group in groups:
            if not isinstance(group, SupportGroup):
                raise ValidationError(f"a group directory holds SupportGroups, got {group!r}")
            self._groups[group.name] = group
        if not isinstance(default_tier, Tier):
            raise ValidationError(f"default_tier must be a Tier, got {default_tier!r}")
        if rule is not None and not callable(rule):
            raise ValidationError(f"rule must be a callable name -> Tier | None, got {rule!r}")
        self.default_tier = default_tier
        self.patterns: tuple[tuple[re.Pattern[str], Tier], ...] = tuple(
            _pattern(p, t) for p, t in patterns
        )
        self.rule = rule
        self._resolved: dict[str, tuple[SupportGroup, bool]] = {}

    def knows(self, name: str) -> bool:
        """Whether a name, pattern or the rule gives `name` its tier (not just the default)."""
        return name in self._groups or self._resolve(name)[1]

    def group(self, name: str) -> SupportGroup:
        """The listed group, else one of the tier the first matching rule gives."""
        found = self._groups.get(name)
        return found if found is not None else self._resolve(name)[0]

    def tier_of(self, name: str) -> Tier:
        """The tier `group(name)` has."""
        return self.group(name).tier

    def _resolve(self, name: str) -> tuple[SupportGroup, bool]:
        """(the group a rule or the default makes, whether a rule matched), once per name."""
        found = self._resolved.get(name)
        if found is not None:
            return found
        tier = self._ruled(name)
        made = SupportGroup(name, tier or self.default_tier), tier is not None
        if len(self._resolved) < _RESOLVED_KEPT:
            self._resolved[name] = made
        return made

    def _ruled(self, name: str) -> Tier | None:
        for pattern, tier in self.patterns:
            if pattern.search(name):
                return tier
        if self.rule is None:
            return None
        ruled = self.rule(name)
        if ruled is not None and not isinstance(ruled, Tier):
            raise ValidationError(f"the tier rule gave {ruled!r} for {name!r:.80}, not a Tier")
        return ruled

    def __len__(self) -> int:
        return len(self._groups)

    def __iter__(self) -> Iterator[SupportGroup]:
        return iter(self._groups.values())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<mapping>") -> GroupDirectory:
        """Build from a parsed tier file: `default_tier`, `groups` and/or `patterns`.

        `groups` maps a name to a tier or `{tier, specialisations}`; `patterns`
        is a list of `{pattern, tier}` tables.
        """
        if not isinstance(data, Mapping):
            raise MalformedExport(source, None, "a tier directory is a table")
        unknown = sorted(set(data) - {"default_tier", "groups", "patterns"})
        if unknown:
            raise MalformedExport(source, None, f"unknown tier directory key {unknown[0]!r:.80}")
        groups, patterns = data.get("groups", {}), data.get("patterns", [])
        if not isinstance(groups, Mapping) or ("groups" not in data and "patterns" not in data):
            raise MalformedExport(source, None, "a tier directory needs a 'groups' table")
        if not isinstance(patterns, list):
            raise MalformedExport(source, None, "'patterns' is a list of {pattern, tier} tables")
        entries = [_entry(name, value, source) for name, value in groups.items()]
        default = _tier(data.get("default_tier", "L1"), "default_tier", source)
        rules = [_pattern_entry(i, item, source) for i, item in enumerate(patterns, 1)]
        return cls(entries, default_tier=default, patterns=rules)

    @classmethod
    def load(cls, path: str | Path) -> GroupDirectory:
        """Read a `.toml` or `.json` tier directory file (by its suffix)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise MalformedExport(str(p), None, f"cannot read: {exc.strerror}") from None
        data = load_document(raw, str(p), json_file=p.suffix.lower() == ".json")
        return cls.from_mapping(data, source=str(p))


def load_document(raw: bytes, source: str, *, json_file: bool = False) -> dict[str, Any]:
    """A TOML (or JSON) file's table; every failure a `MalformedExport` naming the file.

    A nesting too deep for the parser (a hostile file) is refused like a syntax error.
    """
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if json_file else tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise MalformedExport(source, None, f"not UTF-8 text: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        line = _toml_line(str(exc))
        raise MalformedExport(source, line, f"not valid TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise MalformedExport(source, exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise MalformedExport(source, None, "nested too deeply to read") from None
    if not isinstance(data, dict):
        raise MalformedExport(source, None, "the file holds no table of settings")
    return data


def _toml_line(message: str) -> int | None:
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


def _tier(value: object, what: str, source: str) -> Tier:
    text = value.upper() if isinstance(value, str) else None
    if text not in ("L1", "L2", "L3"):
        raise MalformedExport(source, None, f"{what}: {_short(value)} is not L1, L2 or L3")
    return Tier(text)


def _short(value: object) -> str:
    """A value for a message, cut short (a hostile file's value may be huge or nested)."""
    if isinstance(value, str | int | float | bool):
        return f"{value!r:.80}"
    return f"a {type(value).__name__}"


def _pattern(pattern: str | re.Pattern[str], tier: Tier) -> tuple[re.Pattern[str], Tier]:
    if not isinstance(tier, Tier):
        raise ValidationError(f"a tier pattern's tier must be a Tier, got {tier!r}")
    if isinstance(pattern, re.Pattern):
        text = pattern.pattern
    elif isinstance(pattern, str):
        text = pattern
    else:
        raise ValidationError(f"a tier pattern is a regular expression, got {_short(pattern)}")
    if not isinstance(text, str) or len(text) > MAX_PATTERN_LENGTH:
        raise ValidationError(f"a tier pattern is a text of at most {MAX_PATTERN_LENGTH} chars")
    if isinstance(pattern, re.Pattern):
        return pattern, tier
    try:
        return re.compile(text), tier
    except (re.error, RecursionError, OverflowError) as exc:
        message = f"tier pattern {text!r:.80} is not a regular expression: {exc}"
        raise ValidationError(message) from None


def _pattern_entry(number: int, item: object, source: str) -> tuple[re.Pattern[str], Tier]:
    what = f"pattern {number}"
    if not isinstance(item, Mapping) or set(item) != {"pattern", "tier"}:
        raise MalformedExport(source, None, f"{what}: a table with 'pattern' and 'tier' only")
    try:
        return _pattern(item["pattern"], _tier(item["tier"], what, source))
    except MalformedExport:
        raise
    except ValidationError as exc:
        raise MalformedExport(source, None, f"{what}: {exc}") from None


def _entry(name: str, value: object, source: str) -> SupportGroup:
    specs: Sequence[str] = ()
    if isinstance(value, Mapping):
        tier = _tier(value.get("tier"), f"group {name!r:.80}", source)
        specs = value.get("specialisations", ())
        if not isinstance(specs, list | tuple) or not all(isinstance(s, str) for s in specs):
            raise MalformedExport(
                source, None, f"group {name!r:.80}: specialisations is a list of texts"
            )
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
