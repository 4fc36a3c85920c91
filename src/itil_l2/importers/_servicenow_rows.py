"""One ServiceNow incident's raw rows → a `Case`: the value mapping of `read_servicenow`.

`_servicenow.py` reads the file and groups the rows per incident; this
module maps each row's texts to a `Step` (phase, time, group, fields) and
the incident's last row to the ticket's `attributes`.

Why it is built for speed (a real log has 100,000s of rows, and the import
is measured against pandas in `benchmarks/bench_replay.py`): the column
indices are computed once into `itemgetter`s; the values that repeat
(times, group and user names, categories, CIs) are looked up in memo dicts,
so each distinct text is parsed once and every row shares the same objects;
and the columns that do not change from one update to the next (impact,
urgency, group, assignee, category, subcategory, symptom, CI, closed code,
vendor, links: 13 texts) are mapped once per distinct combination into a
template (about 1 in 5 rows of the UCI log has a new one). Every memo is
a pure function of its key, so a hit gives what the computation would have
given; each one is capped, past which values are computed row by row (the
cost stays linear, the memory bounded).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from operator import itemgetter
from typing import Any

from itil_l2._core.priority import Impact, Urgency
from itil_l2.errors import ValidationError
from itil_l2.importers._replay import LINK_COLUMNS
from itil_l2.importers._steps import Case, Step
from itil_l2.tickets import Channel, HoldReason, Link, Phase

__all__ = ["MISSING", "SERVICENOW_STATES", "RowMapper"]

MISSING = "?"

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
_IMPACTS = {text: Impact(level) for text, level in _LEVELS.items()}
_URGENCIES = {text: Urgency(level) for text, level in _LEVELS.items()}
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
_CHANGING_COLUMNS = ("incident_state", "sys_updated_at", "sys_mod_count", "sys_updated_by")
"""What each update sets anew: its state, time, count and updater."""
_STEADY_COLUMNS = (
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "closed_code",
    "vendor",
    *LINK_COLUMNS,
)
"""What mostly stays from one update to the next: mapped once per distinct combination."""
_MEMO_LIMIT = 1_000_000
_TEMPLATE_LIMIT = 100_000  # a template holds ~13 references: a few MB at the cap
_COUNT_DIGITS = 18  # any such count fits a 64-bit integer, as JSON attributes must

Steady = tuple[Any, ...]
"""A template: impact, urgency, group, assignee, category, subcategory, symptom,
CI refs, links, resolution code and notes, L3 name, and the first fault among them."""


class RowMapper:
    """Turns one incident's raw rows into a `Case` (see the module docstring for the memos).

    Columns the export lacks point one past the row's end, where every
    well-formed row gets a `?` appended, so each lookup is a plain index.
    """

    def __init__(self, index: dict[str, int], width: int, zone: tzinfo) -> None:
        self.width = width

        def column(name: str) -> int:
            return index.get(name, width)

        self.changing = itemgetter(*map(column, _CHANGING_COLUMNS))
        self.steady = itemgetter(*map(column, _STEADY_COLUMNS))
        self.link_kinds = tuple(LINK_COLUMNS.values())
        self.opening = itemgetter(*map(column, ("opened_at", "caller_id", "contact_type")))
        self.flags = itemgetter(*map(column, _FLAGS))
        self.counts = tuple((n, column(n)) for n in _COUNTS)
        self.texts = itemgetter(*map(column, _TEXTS))
        self.known = _Memo(_known)
        self.dates = _Memo(_date_parser(zone))
        self.ci_refs = _Memo(_one)
        self.notes = _Memo(_closed_code_note)
        self.templates: dict[tuple[str, ...], Steady] = {}
        self.last_key: tuple[str, ...] = ()
        self.last_steady: Steady = ()
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
        raw_state, raw_at, raw_mod, raw_actor = self.changing(row)
        key = self.steady(row)
        if key == self.last_key:  # as on the row before (most rows): no lookup at all
            steady = self.last_steady
        else:
            found = self.templates.get(key)
            steady = self._steady(key) if found is None else found
            self.last_key, self.last_steady = key, steady
        at = self.dates[raw_at]
        mapped = SERVICENOW_STATES.get(raw_state)
        step = Step(line, at, mapped[0] if mapped is not None else None, raw_state)
        (step.impact, step.urgency, group, step.assignee, step.category, step.subcategory,
         step.symptom, step.ci_refs, step.links, step.resolution_code, step.resolution_notes,
         step.l3_name, error) = steady  # fmt: skip
        step.group = group
        step.actor = self.known[raw_actor]
        try:
            mod = int(raw_mod)
        except ValueError:
            error = f"sys_mod_count {raw_mod!r} is not a number"
        if at is None:
            error = f"sys_updated_at {raw_at!r} is not d/m/yyyy HH:MM"
        elif mapped is None:
            kind = "corrupt" if raw_state.lstrip("-").isdigit() else "unknown"
            error = f"{kind} incident_state {raw_state!r}"
        else:
            step.hold_reason = mapped[1]
        if group is not None and step.phase is Phase.NEW:
            step.phase = Phase.QUEUED  # New with a group: in that group's queue
        step.error = error
        return step, mod

    def _steady(self, key: tuple[str, ...]) -> Steady:
        """The template of one combination of the steady columns (faults: impact, urgency, link)."""
        impact, urgency, group, assignee, category, subcategory, symptom, ci, code, vendor = key[
            :10
        ]
        known = self.known
        error = None
        impact_level = _IMPACTS.get(impact)
        if impact_level is None and impact != MISSING:
            error = f"unknown impact {impact!r}"
        urgency_level = _URGENCIES.get(urgency)
        if urgency_level is None and urgency != MISSING:
            error = error or f"unknown urgency {urgency!r}"
        found = [
            (kind, ref)
            for kind, raw in zip(self.link_kinds, key[10:], strict=True)
            if (ref := known[raw]) is not None
        ]
        links: tuple[Link, ...] = ()
        if found:
            try:
                links = tuple(Link(kind, ref) for kind, ref in found)
            except ValidationError as exc:  # a reference no ticket can hold: the row is unusable
                error = error or f"unusable link: {exc}"
        resolution_code = known[code]
        steady = (
            impact_level,
            urgency_level,
            known[group],
            known[assignee],
            known[category],
            known[subcategory],
            known[symptom],
            self.ci_refs[known[ci]],
            links,
            resolution_code,
            self.notes[resolution_code],
            known[vendor],
            error,
        )
        if len(self.templates) < _TEMPLATE_LIMIT:
            self.templates[key] = steady
        return steady

    def _fields(self, case: Case, rows: list[list[str]]) -> None:
        known = self.known
        self.faults = []
        first, last = rows[0], rows[-1]
        if len(first) > self.width:  # a well-formed row (it got its `?` appended)
            opened, caller, contact = self.opening(first)
            opened = known[opened]
            case.opened_at = self.dates[opened] if opened else None
            case.caller = known[caller]
            case.channel = _CHANNELS.get(known[contact] or "", Channel.PHONE)
        if len(last) <= self.width:
            return
        attributes: dict[str, Any] = {}
        for name, value in zip(_FLAGS, self.flags(last), strict=True):
            if value in ("true", "false"):
                attributes[name] = value == "true"
        for name, i in self.counts:
            value = last[i]
            if value.isascii() and value.isdigit() and len(value) <= _COUNT_DIGITS:
                attributes[name] = int(value)
            elif value != MISSING and value.strip():
                self.faults.append(f"{name} {value!r:.40} is not a count")
        for name, value in zip(_TEXTS, self.texts(last), strict=True):
            text = known[value]
            if text is not None:
                attributes[name] = text
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
