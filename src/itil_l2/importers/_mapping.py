"""The mapping file: how a foreign XES or CSV event log reads as tickets.

A log of another tool names its states, columns and teams its own way. An
`ImportMapping` says, once, in a small TOML file (or in code): the format,
which column or attribute holds what, the time format and zone, the state
vocabulary (raw value, or `"status/sub-status"`, → phase), the tier rules,
defaults for fields the log lacks (not deviations: the log has no such
field), and the workflow switches the log needs. Every mistake in the file
is a `MalformedExport` naming the file (and the line where it can be told).

File format: top-level `format` and `entity`, and the tables `[columns]`,
`[time]`, `[states]`, `[levels]`, `[tiers]`, `[defaults]`, `[workflow]`,
`[csv]`; `itil-l2 mapping suggest LOG` writes a starter file.
See the how-to page "Import any event log" for a worked example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, Unpack
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from attrs import frozen

from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import ImportPolicy, MalformedExport
from itil_l2.importers._groups import GroupDirectory, load_document
from itil_l2.importers._mapping_switches import KEY as _KEY
from itil_l2.importers._mapping_switches import WORKFLOW_SWITCHES, problem_config, workflow_config
from itil_l2.importers._mapping_switches import bad as _bad
from itil_l2.importers._mapping_switches import short as _short
from itil_l2.importers._problem_import import ProblemImportRun
from itil_l2.importers._problem_mapping import check_problem_mapping, read_problem_mapping
from itil_l2.importers._reading import ImportOptions
from itil_l2.importers._run import ImportRun
from itil_l2.importers._xes import KEEP, XesMapping, read_xes
from itil_l2.problems import ProblemConfig
from itil_l2.tickets import Phase, WorkflowConfig

__all__ = ["COLUMN_KEYS", "FORMATS", "WORKFLOW_SWITCHES", "ImportMapping"]

FORMATS = ("xes", "csv")
"""The log formats a mapping describes (ServiceNow exports have their own reader)."""

_ALIASES = {"sub_state": "lifecycle", "ci": "ci_refs"}
_NOT_COLUMNS = {"attribute_prefix", "states", "levels", "zone", "default_hold_reason"}
COLUMN_KEYS = tuple(
    sorted({f.name for f in attrs.fields(XesMapping) if f.name not in _NOT_COLUMNS} | set(_ALIASES))
)
"""The `[columns]` keys: what a column (CSV) or attribute (XES) can mean."""
_XES_ONLY = ("channel", "kind", "state")
_REQUIRED_CSV = ("case_id", "timestamp", "activity")
_LEVELS = ("high", "medium", "low")
_DEFAULTS = ("impact", "urgency")
_TOP = ("format", "entity", "columns", "time", "states", "levels", "tiers", "defaults")
_TOP_KEYS = (*_TOP, "workflow", "csv")
_UNFILLED = "?"


def _table(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@frozen
class ImportMapping:
    """How a foreign log reads as tickets; `load` a TOML file, or build one in code.

    `columns` maps a meaning (`COLUMN_KEYS`: `case_id`, `timestamp`,
    `activity`, `sub_state`, `group`, `resource`, `assignee`, `impact`,
    `urgency`, `category`, ...) to the log's column or attribute name (`""`
    switches an XES default off); `states` maps a raw state (or
    `"state/sub-state"`) to a phase token (`new`, `queued`, `in_progress`,
    `on_hold[:reason]`, `resolved`, `closed`, `cancelled`, `keep`); `levels`
    maps impact/urgency values to `high`/`medium`/`low`; `time_format` is
    `"iso"` or a `strptime` pattern, `zone` the zone of times without an
    offset; `groups` the tier directory; `defaults` the impact/urgency a log
    without them means; `workflow` the config the tickets replay under.

    >>> from itil_l2.importers import ImportMapping
    >>> m = ImportMapping("csv", columns={"case_id": "Case", "timestamp": "When",
    ...                                   "activity": "Status"},
    ...                   states={"Open": "queued", "Done": "resolved"})
    >>> m.xes_mapping().activity, m.xes_mapping().group, m.states["Done"]
    ('Status', None, 'resolved')
    >>> ImportMapping("csv", columns={"case_id": "Case"})
    Traceback (most recent call last):
    itil_l2.errors.ValidationError: a csv mapping names the columns timestamp, activity
    """

    format: str
    entity: str = "incident"
    columns: Mapping[str, str] = attrs.field(factory=dict, converter=_table)
    states: Mapping[str, str] = attrs.field(factory=dict, converter=_table)
    levels: Mapping[str, str] = attrs.field(factory=dict, converter=_table)
    time_format: str = "iso"
    zone: tzinfo = UTC
    groups: GroupDirectory | None = None
    defaults: Mapping[str, str] = attrs.field(factory=dict, converter=_table)
    workflow: WorkflowConfig | ProblemConfig | None = None
    delimiter: str = ","
    source: str = "<mapping>"

    def __attrs_post_init__(self) -> None:
        _check(self)

    @classmethod
    def load(cls, path: str | Path) -> ImportMapping:
        """Read a mapping TOML file; a tier file it names is read relative to it."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise MalformedExport(str(p), None, f"cannot read: {exc.strerror or exc}") from None
        data = load_document(raw, str(p))
        try:
            return cls.from_dict(data, source=str(p), folder=p.parent)
        except ValidationError as exc:
            key = getattr(exc, _KEY, None)
            line = None if key is None else _line_of(raw.decode("utf-8-sig"), key, str(exc))
            raise MalformedExport(str(p), line, str(exc)) from None

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "<mapping>", folder: Path | None = None
    ) -> ImportMapping:
        """Build from a parsed mapping file (tables as dicts); errors are `ValidationError`s."""
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise _bad(
                unknown[0], f"unknown key {unknown[0]!r:.80} (known: {', '.join(_TOP_KEYS)})"
            )
        fmt = data.get("format")
        if fmt == "servicenow":
            raise _bad("format", "ServiceNow exports need no mapping: import them without one")
        if fmt not in FORMATS:
            raise _bad("format", f"format is one of {', '.join(FORMATS)}, got {_short(fmt)}")
        time = _sub(data, "time")
        csv = _sub(data, "csv")
        _only(time, ("format", "zone"), "time")
        _only(csv, ("delimiter",), "csv")
        return cls(
            fmt,
            entity=_text(data.get("entity", "incident"), "entity"),
            columns=_texts(_sub(data, "columns"), "columns"),
            states=_texts(_sub(data, "states"), "states"),
            levels=_texts(_sub(data, "levels"), "levels"),
            time_format=_text(time.get("format", "iso"), "format"),
            zone=_zone(time.get("zone", "UTC")),
            groups=_tiers(data.get("tiers"), source, folder),
            defaults=_texts(_sub(data, "defaults"), "defaults"),
            workflow=_workflow(data) if "workflow" in data else None,
            delimiter=_text(csv.get("delimiter", ","), "delimiter"),
            source=source,
        )

    def xes_mapping(self) -> XesMapping:
        """The `XesMapping` this mapping means (for CSV: every unnamed attribute off)."""
        names: dict[str, Any] = {_ALIASES.get(k, k): (v or None) for k, v in self.columns.items()}
        if self.format == "csv":
            off: dict[str, Any] = {
                f.name: None for f in attrs.fields(XesMapping) if f.name not in _NOT_COLUMNS
            }
            off.pop("case_id"), off.pop("activity"), off.pop("timestamp")
            names = {**off, "attribute_prefix": None, **names}
        return XesMapping(**names, states=self.states, levels=self.levels, zone=self.zone)

    def options(self) -> ImportOptions:
        """The import options this mapping sets: the tier directory, the config, the defaults."""
        options = ImportOptions()
        if self.groups is not None:
            options["groups"] = self.groups
        if isinstance(self.workflow, WorkflowConfig):
            options["config"] = self.workflow
        if self.defaults:  # fields the log lacks: no deviation for them
            options["defaults"] = self.defaults
        return options

    def read(self, path: str | Path, **options: Unpack[ImportOptions]) -> ImportRun:
        """Stream the log at `path` into tickets; `options` override the mapping's own."""
        if self.entity == "problem":
            raise ValidationError(f"{self.source} maps a problem log: use read_problems")
        if self.format == "xes":
            merged = ImportOptions(**{**self.options(), **options})
            return read_xes(path, mapping=self.xes_mapping(), **merged)
        from itil_l2.importers._csvlog import read_csv_log  # it imports this module

        return read_csv_log(path, self, **options)

    def read_problems(
        self,
        path: str | Path,
        *,
        policy: ImportPolicy = ImportPolicy.LENIENT,
        groups: GroupDirectory | None = None,
    ) -> ProblemImportRun:
        """Read the problem log at `path` (`entity = "problem"`) with `read_problem_log`.

        `groups` overrides the mapping's tier rules. See `_problem_mapping.py`
        for how the file's tables read for problems.
        """
        if self.entity != "problem":
            raise ValidationError(f"{self.source} maps an incident log: use read")
        return read_problem_mapping(self, path, policy, groups)


# -- checks (ValidationError from code, MalformedExport with the line from a file) ------


def _check(m: ImportMapping) -> None:
    if m.groups is not None and not isinstance(m.groups, GroupDirectory):
        raise ValidationError(f"groups is a GroupDirectory, got {m.groups!r:.80}")
    if m.format not in FORMATS:
        raise _bad("format", f"format is one of {', '.join(FORMATS)}, got {_short(m.format)}")
    if m.entity == "problem":
        check_problem_mapping(m)
    elif m.entity != "incident":
        raise _bad("entity", f"entity is incident or problem, got {_short(m.entity)}")
    elif m.workflow is not None and not isinstance(m.workflow, WorkflowConfig):
        raise ValidationError(f"workflow is a WorkflowConfig, got {m.workflow!r:.80}")
    else:
        _check_columns(m)
        _check_states(m)
    _check_levels(m)
    if m.time_format != "iso" and "%" not in m.time_format:
        raise _bad(
            "format", f'[time] format is "iso" or a strptime pattern, got {m.time_format!r:.80}'
        )
    if m.format == "xes" and m.time_format != "iso":
        raise _bad("format", "[time] format: an XES log's times are ISO 8601, so it is iso")
    if len(m.delimiter) != 1 or m.delimiter in '\r\n"':
        raise _bad("delimiter", f"[csv] delimiter is one character, got {m.delimiter!r:.20}")


def _check_columns(m: ImportMapping) -> None:
    for key in m.columns:
        if key not in COLUMN_KEYS:
            known = ", ".join(COLUMN_KEYS)
            raise _bad(key, f"[columns]: unknown key {key!r:.80} (known: {known})")
    for key in ("case_id", "activity", "timestamp"):
        if key in m.columns and not m.columns[key]:
            raise _bad(key, f"[columns]: {key} cannot be switched off")
    if m.format != "csv":
        return
    for key in _XES_ONLY:
        if key in m.columns:
            raise _bad(key, f"[columns]: {key} is read from XES traces only")
    missing = [k for k in _REQUIRED_CSV if not m.columns.get(k)]
    if missing:
        raise _bad(missing[0], f"a csv mapping names the columns {', '.join(missing)}")
    seen: dict[str, str] = {}
    for key, column in m.columns.items():
        if column and column in seen:
            raise _bad(
                key, f"[columns]: column {column!r:.80} is named for {seen[column]} and {key}"
            )
        seen[column] = key


def _check_levels(m: ImportMapping) -> None:
    for raw, level in m.levels.items():
        if level not in _LEVELS:
            raise _bad(
                raw, f"[levels]: {raw!r:.80} = {level!r:.80}; a level is high, medium or low"
            )
    for key, value in m.defaults.items():
        if key not in _DEFAULTS:
            raise _bad(key, f"[defaults]: {key!r:.80} cannot be defaulted (only impact, urgency)")
        if value not in _LEVELS:
            raise _bad(key, f"[defaults]: {key} = {value!r:.80}; a level is high, medium or low")


def _check_states(m: ImportMapping) -> None:
    unfilled = [raw for raw, token in m.states.items() if token in (_UNFILLED, "")]
    if unfilled:
        listed = ", ".join(repr(s) for s in unfilled[:5]) + (", ..." if len(unfilled) > 5 else "")
        raise _bad(
            unfilled[0],
            f"[states]: {len(unfilled)} states have no phase yet ({listed}); give each a phase"
            " (new, queued, in_progress, on_hold[:reason], resolved, closed, cancelled, keep)",
        )
    config = m.workflow if isinstance(m.workflow, WorkflowConfig) else WorkflowConfig()
    reasons = {r.code for r in config.hold_reasons}
    phases = {p.value for p in Phase}
    for raw, token in m.states.items():
        name, colon, code = token.partition(":")
        fine = token == KEEP or (name in phases and not colon)
        fine = fine or (name == Phase.ON_HOLD.value and bool(colon) and code in reasons)
        if not fine:
            raise _bad(
                raw,
                f"[states]: {raw!r:.80} = {token!r:.80} is no phase; use new, queued,"
                f" in_progress, on_hold[:reason], resolved, closed, cancelled or keep"
                f" (hold reasons: {', '.join(sorted(reasons))})",
            )


def _sub(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _bad(key, f"[{key}] is a table, got {_short(value)}")
    return value


def _only(table: Mapping[str, Any], keys: tuple[str, ...], name: str) -> None:
    for key in table:
        if key not in keys:
            raise _bad(key, f"[{name}]: unknown key {key!r:.80} (known: {', '.join(keys)})")


def _text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise _bad(key, f"{key} is a text, got {_short(value)}")
    return value


def _texts(table: Mapping[str, Any], name: str) -> dict[str, str]:
    for key, value in table.items():
        if not isinstance(value, str):
            raise _bad(key, f"[{name}]: {key!r:.80} is a text, got {_short(value)}")
    return dict(table)


def _zone(name: object) -> tzinfo:
    if not isinstance(name, str):
        raise _bad("zone", f"[time] zone is a zone name, got {_short(name)}")
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad("zone", f"[time] zone: unknown time zone {name!r:.80}") from None


def _tiers(value: object, source: str, folder: Path | None) -> GroupDirectory | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad("tiers", f"[tiers] is a table, got {_short(value)}")
    if "file" not in value:
        try:
            return GroupDirectory.from_mapping(value, source=source)
        except MalformedExport as exc:
            raise _bad("tiers", str(exc).removeprefix(f"{source}: ")) from None
    if set(value) != {"file"}:
        raise _bad("tiers", "[tiers] names a file or lists the rules, not both")
    file = _text(value["file"], "file")
    return GroupDirectory.load((folder or Path()) / file)


def _workflow(data: Mapping[str, Any]) -> WorkflowConfig | ProblemConfig:
    table = _sub(data, "workflow")
    return problem_config(table) if data.get("entity") == "problem" else workflow_config(table)


def _line_of(text: str, key: str, message: str) -> int | None:
    """The line that sets `key` (bare or quoted), within the table the message names if any."""
    quoted = re.escape(key)
    setting = re.compile(
        rf'^\s*(?:\[+\s*)?(?:[\w.-]*\.)?(?:{quoted}|"{quoted}"|\'{quoted}\')\s*(?:=|\])',
        re.MULTILINE,
    )
    start = 0
    table = re.match(r"\[(\w+)\]", message)
    if table is not None:
        header = re.search(rf"^\s*\[\s*{table.group(1)}\s*\]", text, re.MULTILINE)
        start = header.end() if header is not None else 0
    found = setting.search(text, start) or setting.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None
