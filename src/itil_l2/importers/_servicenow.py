"""ServiceNow incident event log (CSV, plain or gzip) → tickets, streamed.

The export has one row per update of an incident (the UCI "incident
management process enriched event log" is one). Rows are read with a plain
`csv.reader`, grouped per incident (the export lists each incident's rows
together), ordered by `sys_mod_count` (ties keep file order) and replayed
through the workflow (see `_replay.py` for the moves), one incident at a time.

Mapping: `incident_state` New / Active / Awaiting User Info, Vendor, Problem,
Evidence / Resolved / Closed → new / in progress / on hold (awaiting caller,
vendor, problem, evidence) / resolved / closed; `sys_updated_at` is the
step's time (`d/m/yyyy HH:MM`, local time in the caller's zone); `opened_at`
opens the ticket; `assignment_group`, `assigned_to`, `impact`, `urgency`,
`category`, `subcategory`, `u_symptom`, `cmdb_ci` per row; `problem_id`,
`rfc`, `caused_by` become links; `vendor` names the L3 target; the fields
the workflow does not model are kept in `attributes` (last row's values). `?` means missing.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Unpack

from itil_l2._core.priority import Impact, Urgency
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import ImportPolicy, MalformedExport, Tally
from itil_l2.importers._reading import (
    ImportOptions,
    case_fault,
    check_cap,
    open_export,
    policy_of,
    start_import,
)
from itil_l2.importers._replay import LINK_COLUMNS
from itil_l2.importers._run import ImportRun
from itil_l2.importers._steps import Case, Step
from itil_l2.tickets import Channel, HoldReason, Link, Phase

__all__ = [
    "DEFAULT_MAX_ROWS_PER_INCIDENT",
    "REQUIRED_COLUMNS",
    "SERVICENOW_STATES",
    "read_servicenow",
]

MISSING = "?"
DEFAULT_MAX_ROWS_PER_INCIDENT = 100_000
"""How many rows of one incident `read_servicenow` holds by default."""
REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "impact",
    "urgency",
    "assignment_group",
)
"""Columns without which the export cannot be read (a `MalformedExport` names them)."""

SERVICENOW_STATES: dict[str, tuple[Phase, HoldReason | None]] = {
    "New": (Phase.NEW, None),
    "Active": (Phase.IN_PROGRESS, None),
    "Awaiting User Info": (Phase.ON_HOLD, HoldReason.AWAITING_CALLER),
    "Awaiting Vendor": (Phase.ON_HOLD, HoldReason.AWAITING_VENDOR),
    "Awaiting Problem": (Phase.ON_HOLD, HoldReason.AWAITING_PROBLEM),
    "Awaiting Evidence": (Phase.ON_HOLD, HoldReason.AWAITING_EVIDENCE),
    "Resolved": (Phase.RESOLVED, None),
    "Closed": (Phase.CLOSED, None),
}
"""`incident_state` → (phase, hold reason). Anything else is a deviation (row ignored)."""

_LEVELS = {"1 - High": "high", "2 - Medium": "medium", "3 - Low": "low"}
_CHANNELS = {
    "Phone": Channel.PHONE,
    "Email": Channel.EMAIL,
    "Self service": Channel.SELF_SERVICE,
    "IVR": Channel.PHONE,
    "Direct opening": Channel.WALK_IN,
}
_FLAGS = ("made_sla", "knowledge", "u_priority_confirmation", "active")
_COUNTS = ("reassignment_count", "reopen_count")
_TEXTS = (
    "notify",
    "location",
    "contact_type",
    "opened_by",
    "closed_code",
    "resolved_by",
    "priority",
    "vendor",
    "resolved_at",
    "closed_at",
)


def read_servicenow(
    path: str | Path,
    *,
    zone: tzinfo = UTC,
    max_rows_per_incident: int = DEFAULT_MAX_ROWS_PER_INCIDENT,
    **options: Unpack[ImportOptions],
) -> ImportRun:
    r"""Stream a ServiceNow incident event log (`.csv` or `.csv.gz`) into tickets.

    `zone` is the time zone the export's local times are in; `groups` the
    tier directory (without one, tiers are inferred per ticket, see
    `infer_tiers`); `resolution_code` is the code imported resolutions get
    (`closed_code` is kept in the notes and attributes). Nothing is read
    until the run is iterated. Past `max_rows_per_incident` rows of one
    incident (held to be ordered): `MalformedExport`. A count that is no
    whole number of ≤ 18 digits is left out (a deviation).

    >>> import gzip, tempfile, pathlib
    >>> from itil_l2.importers import read_servicenow
    >>> head = ("number,incident_state,sys_mod_count,sys_updated_at,impact,urgency,"
    ...         "assignment_group,made_sla\n")
    >>> rows = ["INC1,New,0,1/3/2016 09:00,2 - Medium,2 - Medium,Group 1,true",
    ...         "INC1,Active,1,1/3/2016 09:30,2 - Medium,2 - Medium,Group 2,true",
    ...         "INC1,Resolved,2,1/3/2016 11:00,2 - Medium,2 - Medium,Group 2,true",
    ...         "INC1,Closed,3,6/3/2016 11:00,2 - Medium,2 - Medium,Group 2,true"]
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "log.csv").write_text(head + "\n".join(rows) + "\n")
    >>> run = read_servicenow(folder / "log.csv")
    >>> [(t.id, t.phase.value, t.tier.value, t.escalation_count) for t in run]
    [('INC1', 'closed', 'L2', 1)]
    >>> run.report.rows_read, run.report.rows_accepted, run.report.deviations
    (4, 4, ())
    """
    max_rows = check_cap("max_rows_per_incident", max_rows_per_incident)
    policy = policy_of(options)

    def cases(file: Path, tally: Tally) -> Iterator[Case]:
        return _cases(file, zone, tally, (policy, max_rows))

    return start_import(path, cases, options, "read_servicenow")


def _cases(
    path: Path, zone: tzinfo, tally: Tally, limits: tuple[ImportPolicy, int]
) -> Iterator[Case]:
    """Cases in file order; every read error becomes a `MalformedExport` with its line."""
    source = str(path)
    with open_export(path, "rt") as handle:
        reader = csv.reader(handle)
        try:
            yield from _group(reader, source, zone, tally, limits)
        except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
            line = reader.line_num + (not isinstance(exc, csv.Error))  # csv: line read
            raise MalformedExport(source, line, f"cannot read further: {exc}") from None


def _group(
    reader: Any, source: str, zone: tzinfo, tally: Tally, limits: tuple[ImportPolicy, int]
) -> Iterator[Case]:
    header = next(reader, None)
    if header is None:
        raise MalformedExport(source, 1, "empty file: no header row")
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise MalformedExport(source, 1, f"missing columns: {', '.join(missing)}")
    builder = _Builder(index, len(header), zone)
    policy, max_rows = limits

    def build(number: str, lines: list[int], rows: list[list[str]]) -> Case | None:
        case = builder.case(number, lines, rows)
        kept = all(
            case_fault(tally, policy, case, lines[-1], f, "left out") for f in builder.faults
        )
        return case if kept else None

    key_at = index["number"]
    seen: set[str] = set()
    current: str | None = None
    lines: list[int] = []
    rows: list[list[str]] = []
    read = tally.rows_read  # counted here, handed to the tally before each yield
    try:
        for row in reader:
            read += 1
            key = row[key_at] if len(row) > key_at else current
            if key != current:
                if rows:
                    tally.rows_read = read
                    if (case := build(current or "", lines, rows)) is not None:
                        yield case
                if key in seen:
                    raise MalformedExport(
                        source, reader.line_num, f"rows of {key} are not together; sort by number"
                    )
                seen.add(key or "")
                current, lines, rows = key, [], []
            if len(rows) >= max_rows:
                raise MalformedExport(
                    source,
                    reader.line_num,
                    f"{key!r:.80} has more than {max_rows:,} rows (max_rows_per_incident)",
                )
            lines.append(reader.line_num)
            rows.append(row)
    finally:
        tally.rows_read = read
    if rows and (case := build(current or "", lines, rows)) is not None:
        yield case


_STEP_COLUMNS = (
    "incident_state",
    "sys_updated_at",
    "sys_mod_count",
    "impact",
    "urgency",
    "sys_updated_by",
    "assignment_group",
    "assigned_to",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "closed_code",
    "vendor",
)
_IMPACTS = {text: Impact(level) for text, level in _LEVELS.items()}
_URGENCIES = {text: Urgency(level) for text, level in _LEVELS.items()}
_MEMO_LIMIT = 1_000_000
_COUNT_DIGITS = 18  # any such count fits a 64-bit integer, as JSON attributes must


class _Builder:
    """Turns one incident's raw rows into a `Case`.

    Columns the export lacks point one past the row's end, where every row
    gets a `?` appended, so each lookup is a plain index. Why it is built
    for speed (a real log has 100,000s of rows): the column indices are
    computed once, and the values that repeat (times, group and user names,
    categories, CIs) are looked up in memo dicts, so each distinct text is
    parsed once and every row shares the same objects.
    """

    def __init__(self, index: dict[str, int], width: int, zone: tzinfo) -> None:
        self.width = width
        self.columns = tuple(index.get(name, width) for name in _STEP_COLUMNS)
        self.link_columns = tuple(
            (index.get(name, width), kind) for name, kind in LINK_COLUMNS.items()
        )
        self.opening = tuple(
            index.get(n, width) for n in ("opened_at", "caller_id", "contact_type")
        )
        self.flags = tuple((n, index.get(n, width)) for n in _FLAGS)
        self.counts = tuple((n, index.get(n, width)) for n in _COUNTS)
        self.texts = tuple((n, index.get(n, width)) for n in _TEXTS)
        self.known = _Memo(_known)
        self.dates = _Memo(_date_parser(zone))
        self.ci_refs = _Memo(_one)
        self.notes = _Memo(_closed_code_note)
        self.faults: list[str] = []

    def case(self, number: str, lines: list[int], rows: list[list[str]]) -> Case:
        steps: list[Step] = []
        mods: list[int] = []
        mod = -1
        step_of = self.step
        for line, row in zip(lines, rows, strict=True):
            step, mod = step_of(line, row, mod)
            steps.append(step)
            mods.append(mod)
        if mods != sorted(mods):  # stable: ties keep file order
            order = sorted(range(len(steps)), key=mods.__getitem__)
            steps = [steps[i] for i in order]
        case = Case(number, steps)
        self._fields(case, rows)
        return case

    def step(self, line: int, row: list[str], mod: int) -> tuple[Step, int]:
        if len(row) != self.width:
            step = Step(line, None, None, "")
            step.error = f"malformed row: {len(row)} fields, the header has {self.width}"
            return step, mod
        row.append(MISSING)
        (i_state, i_at, i_mod, i_impact, i_urgency, i_actor, i_group, i_assignee, i_cat, i_sub,
         i_symptom, i_ci, i_code, i_vendor) = self.columns  # fmt: skip
        known = self.known
        raw_state = row[i_state]
        at = self.dates[row[i_at]]
        mapped = SERVICENOW_STATES.get(raw_state)
        step = Step(line, at, mapped[0] if mapped else None, raw_state)
        error = None
        try:
            mod = int(row[i_mod])
        except ValueError:
            error = f"sys_mod_count {row[i_mod]!r} is not a number"
        if at is None:
            error = f"sys_updated_at {row[i_at]!r} is not d/m/yyyy HH:MM"
        elif mapped is None:
            kind = "corrupt" if raw_state.lstrip("-").isdigit() else "unknown"
            error = f"{kind} incident_state {raw_state!r}"
        else:
            step.hold_reason = mapped[1]
        impact, urgency = row[i_impact], row[i_urgency]
        step.impact = impact_level = _IMPACTS.get(impact)
        if impact_level is None and impact != MISSING:
            error = error or f"unknown impact {impact!r}"
        step.urgency = urgency_level = _URGENCIES.get(urgency)
        if urgency_level is None and urgency != MISSING:
            error = error or f"unknown urgency {urgency!r}"
        step.error = error
        step.actor = known[row[i_actor]]
        step.group = group = known[row[i_group]]
        if group is not None and step.phase is Phase.NEW:
            step.phase = Phase.QUEUED  # New with a group: in that group's queue
        step.assignee = known[row[i_assignee]]
        step.category = known[row[i_cat]]
        step.subcategory = known[row[i_sub]]
        step.symptom = known[row[i_symptom]]
        step.ci_refs = self.ci_refs[known[row[i_ci]]]
        links = [(kind, ref) for i, kind in self.link_columns if (ref := known[row[i]]) is not None]
        if links:
            try:
                step.links = tuple(Link(kind, ref) for kind, ref in links)
            except ValidationError as exc:  # a reference no ticket can hold: the row is unusable
                step.error = step.error or f"unusable link: {exc}"
        step.resolution_code = code = known[row[i_code]]
        step.resolution_notes = self.notes[code]
        step.l3_name = known[row[i_vendor]]
        return step, mod

    def _fields(self, case: Case, rows: list[list[str]]) -> None:
        known = self.known
        self.faults = []
        first, last = rows[0], rows[-1]
        if len(first) > self.width:  # a well-formed row (it got its `?` appended)
            i_opened, i_caller, i_contact = self.opening
            opened = known[first[i_opened]]
            case.opened_at = self.dates[opened] if opened else None
            case.caller = known[first[i_caller]]
            case.channel = _CHANNELS.get(known[first[i_contact]] or "", Channel.PHONE)
        if len(last) <= self.width:
            return
        attributes: dict[str, Any] = {}
        for name, i in self.flags:
            value = last[i]
            if value in ("true", "false"):
                attributes[name] = value == "true"
        for name, i in self.counts:
            value = last[i]
            if value.isascii() and value.isdigit() and len(value) <= _COUNT_DIGITS:
                attributes[name] = int(value)
            elif value != MISSING and value.strip():
                self.faults.append(f"{name} {value!r:.40} is not a count")
        for name, i in self.texts:
            value = known[last[i]]
            if value is not None:
                attributes[name] = value
        case.attributes = attributes


class _Memo(dict[Any, Any]):
    """`memo[text]`: `compute(text)`, computed once per distinct text (up to a limit)."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Any) -> Any:
        value = self.compute(key)
        if len(self) < _MEMO_LIMIT:
            self[key] = value
        return value


def _known(value: str) -> str | None:
    return None if value == MISSING or not value.strip() else value


def _one(value: str | None) -> tuple[str, ...] | None:
    return (value,) if value is not None else None


def _closed_code_note(code: str | None) -> str | None:
    return f"ServiceNow closed_code {code}" if code else None


def _date_parser(zone: tzinfo) -> Callable[[str], datetime | None]:
    """`d/m/yyyy HH:MM` → aware datetime in `zone` (or None)."""

    def parse(text: str) -> datetime | None:
        try:
            day, month, rest = text.split("/")
            year, clock = rest.split(" ")
            hour, minute = clock.split(":")
            return datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=zone)
        except (ValueError, OverflowError):  # OverflowError: a year of 20 digits
            return None

    return parse
