"""XES event logs (IEEE 1849, `.xes` / `.xes.gz`) → tickets, streamed.

Read with expat in linear time, one trace in memory at a time, under caps
on what one file may hold (see `_xes_stream.py`). A trace is a ticket
(`concept:name` its id); each event is a step replayed through the workflow
exactly like a ServiceNow row (see `_replay.py`). Which XES attribute means
what is a small declarative `XesMapping`; its defaults read what
`write_xes` writes, and `states` maps a foreign log's activity names (or
`activity/lifecycle` pairs) to phases.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar, Unpack

import attrs
from attrs import frozen

from itil_l2._core.checks import MAX_JSON_DEPTH
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import (
    ConformanceError,
    Deviation,
    ImportPolicy,
    MalformedExport,
    Tally,
)
from itil_l2.importers._reading import (
    ImportOptions,
    case_fault,
    open_export,
    policy_of,
    start_import,
)
from itil_l2.importers._run import ImportRun
from itil_l2.importers._steps import Case, Step
from itil_l2.importers._xes_stream import (
    DEFAULT_MAX_EVENTS_PER_TRACE,
    DEFAULT_MAX_VALUE_LENGTH,
    Orphan,
    RawTrace,
    XesLimits,
    raw_traces,
)
from itil_l2.tickets import (
    Channel,
    HoldReason,
    L3TargetKind,
    Link,
    LinkKind,
    Phase,
    TicketKind,
)

__all__ = ["KEEP", "NO_TRACE", "XesMapping", "read_xes"]

KEEP = "keep"
"""A `states` value meaning "this event changes no phase" (fields, group, links still apply)."""


def _mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@frozen
class XesMapping:
    """Which XES attribute means what; `None` switches an attribute off.

    `state` names the event attribute holding the phase after the event;
    when an event lacks it, the phase is looked up in `states` by
    `"activity/lifecycle"`, then by `activity`. A phase is a `Phase` value
    (`new`, `queued`, `in_progress`, `on_hold`, `resolved`, `closed`,
    `cancelled`), `on_hold:<hold reason code>`, or `KEEP`. `levels` maps a
    log's impact/urgency values to `high`/`medium`/`low`. Naive timestamps
    are read in `zone`.

    >>> m = XesMapping(state=None, states={"Accepted/In Progress": "in_progress",
    ...                                    "Completed/Resolved": "resolved"})
    >>> m.phase_of({"concept:name": "Accepted", "lifecycle:transition": "In Progress"})
    ('in_progress', 'Accepted/In Progress')
    """

    case_id: str = "concept:name"
    activity: str = "concept:name"
    lifecycle: str | None = "lifecycle:transition"
    timestamp: str = "time:timestamp"
    resource: str | None = "org:resource"
    group: str | None = "org:group"
    tier: str | None = "itil:tier"
    state: str | None = "itil:phase"
    states: Mapping[str, str] = attrs.field(factory=dict, converter=_mapping)
    hold_reason: str | None = "itil:hold_reason"
    default_hold_reason: HoldReason = HoldReason.AWAITING_CALLER
    assignee: str | None = "itil:assignee"
    impact: str | None = "itil:impact"
    urgency: str | None = "itil:urgency"
    levels: Mapping[str, str] = attrs.field(factory=dict, converter=_mapping)
    category: str | None = "itil:category"
    subcategory: str | None = "itil:subcategory"
    symptom: str | None = "itil:symptom"
    ci_refs: str | None = "itil:ci_refs"
    link: str | None = "itil:link"
    resolution_code: str | None = "itil:resolution_code"
    resolution_notes: str | None = "itil:resolution_notes"
    l3_kind: str | None = "itil:l3_kind"
    l3_name: str | None = "itil:l3_name"
    l3_reference: str | None = "itil:l3_reference"
    kb_refs: str | None = "itil:kb_refs"
    specialisations: str | None = "itil:specialisations"
    note: str | None = "itil:note"
    vendor_update: str | None = "itil:vendor_update"
    instructions: str | None = "itil:instructions"
    fix: str | None = "itil:fix"
    title: str | None = "itil:title"
    caller: str | None = "itil:caller"
    channel: str | None = "itil:channel"
    kind: str | None = "itil:kind"
    attribute_prefix: str | None = "attr:"
    zone: tzinfo = UTC

    def phase_of(self, values: Mapping[str, str]) -> tuple[str | None, str | None]:
        """(phase token or None when unmapped, the raw state it came from)."""
        raw = values.get(self.state) if self.state else None
        if raw is not None:
            return self.states.get(raw, raw), raw
        activity = values.get(self.activity)
        lifecycle = values.get(self.lifecycle) if self.lifecycle else None
        if lifecycle is not None:
            pair = f"{activity}/{lifecycle}"
            if pair in self.states:
                return self.states[pair], pair
        if activity is not None and activity in self.states:
            return self.states[activity], activity
        return None, f"{activity}/{lifecycle}" if lifecycle else activity


def read_xes(
    path: str | Path,
    *,
    mapping: XesMapping | None = None,
    max_value_length: int = DEFAULT_MAX_VALUE_LENGTH,
    max_events_per_trace: int = DEFAULT_MAX_EVENTS_PER_TRACE,
    max_traces: int | None = None,
    **options: Unpack[ImportOptions],
) -> ImportRun:
    """Stream an XES log into tickets (see `read_servicenow` for the options).

    A step's `line` in deviations is the event's number in the file (1-based).
    The caps keep a hostile file from taking unbounded time or memory; past
    one, the read ends in a `MalformedExport` with the file and line:
    `max_value_length` (characters of one attribute value; a tag or other
    piece of markup over 4 × that + 64 KiB bytes is refused before it is
    parsed), `max_events_per_trace` (a trace is held whole until it ends),
    `max_traces` (None: no limit). An `<event>` outside a `<trace>` belongs
    to no ticket: a deviation (ticket id `(no trace)`) under lenient and
    skip, a `ConformanceError` under strict.
    """
    chosen = mapping or XesMapping()
    limits = XesLimits(max_value_length, max_events_per_trace, max_traces)
    policy = policy_of(options)

    def cases(file: Path, tally: Tally) -> Iterator[Case]:
        return _cases(file, chosen, tally, limits, policy)

    return start_import(path, cases, options, "read_xes")


NO_TRACE = "(no trace)"
"""The ticket id a deviation names for an event outside any trace."""


def _cases(
    path: Path, mapping: XesMapping, tally: Tally, limits: XesLimits, policy: ImportPolicy
) -> Iterator[Case]:
    source = str(path)

    def make_step(number: int, values: dict[str, str]) -> Step:
        return _step(number, values, mapping)

    try:
        with open_export(path, "rb") as handle:
            for item in raw_traces(handle, source, limits, make_step):
                if isinstance(item, Orphan):
                    _orphan(item, tally, policy)
                    continue
                tally.rows_read = item.events_read
                case = _case(source, item, mapping, tally, policy)
                if case is not None:
                    yield case
    except (EOFError, OSError, zlib.error) as exc:
        raise MalformedExport(source, None, f"cannot read further: {exc}") from None


def _orphan(item: Orphan, tally: Tally, policy: ImportPolicy) -> None:
    """An event outside any trace: counted, rejected, a deviation of no ticket."""
    lenient = policy is ImportPolicy.LENIENT
    rule = f"event outside a trace: file line {item.line}"
    repair = "event ignored" if lenient else None
    deviation = Deviation(NO_TRACE, item.number, rule, repair, tally.source)
    tally.rows_read = item.events_read
    if policy is ImportPolicy.STRICT:
        raise ConformanceError(deviation)
    tally.deviations.append(deviation)
    tally.rows_rejected += 1


def _case(
    source: str, trace: RawTrace[Step], mapping: XesMapping, tally: Tally, policy: ImportPolicy
) -> Case | None:
    values, line = trace.values, trace.line
    case_id = values.get(mapping.case_id)
    if not case_id or not case_id.strip():
        raise MalformedExport(source, line, f"a trace without {mapping.case_id}")
    case = Case(case_id, trace.steps)
    if mapping.title and values.get(mapping.title, "").strip():
        case.title = values[mapping.title]
    if mapping.caller:
        case.caller = values.get(mapping.caller) or None
    try:
        if mapping.channel and mapping.channel in values:
            case.channel = Channel(values[mapping.channel])
        if mapping.kind and mapping.kind in values:
            case.kind = TicketKind(values[mapping.kind])
    except ValueError as exc:
        raise MalformedExport(source, line, f"{case_id}: {exc}") from None
    prefix = mapping.attribute_prefix
    if prefix:
        for key, text in values.items():
            if key.startswith(prefix):
                try:
                    case.attributes[key[len(prefix) :]] = _json_or_text(text)
                except ValueError as exc:
                    rule = f"attribute {key!r:.80} unreadable: {exc}"
                    if not case_fault(tally, policy, case, None, rule, "attribute left out"):
                        return None
    return case


def _json_or_text(text: str) -> Any:
    """The JSON value `text` holds, else `text`; JSON nested too deep: `ValueError`.

    Too deep is what a ticket's attributes cannot hold (`MAX_JSON_DEPTH`
    levels, the attributes mapping itself the first), found before any
    recursion can fail.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except ValueError:
        return text
    if isinstance(value, (list, dict)) and _depth(value) >= MAX_JSON_DEPTH:
        raise ValueError(_TOO_DEEP)
    return value


_TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep (the attributes the first)"


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (1 for a flat list), without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                todo.extend(
                    (x, level + 1) for x in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def _step(number: int, values: dict[str, str], mapping: XesMapping) -> Step:
    token, raw = mapping.phase_of(values)
    at = _timestamp(values.get(mapping.timestamp), mapping.zone)
    step = Step(number, at, None, raw or "")
    if at is None:
        step.error = f"{mapping.timestamp} {values.get(mapping.timestamp)!r} is not a timestamp"
    try:
        _phase(step, token, values, mapping)
        _fields(step, values, mapping)
    except (ValueError, ValidationError) as exc:
        step.error = step.error or f"unreadable event: {exc}"
    return step


def _phase(step: Step, token: str | None, values: dict[str, str], mapping: XesMapping) -> None:
    if token is None:
        step.error = step.error or f"unknown state {step.raw_state!r}"
        return
    if token == KEEP:
        return
    name, _, code = token.partition(":")
    phase = _PHASES.get(name)
    step.phase = Phase(name) if phase is None else phase  # the call raises as ever
    if step.phase is Phase.ON_HOLD:
        code = code or (values.get(mapping.hold_reason, "") if mapping.hold_reason else "")
        step.hold_reason = HoldReason(code) if code else mapping.default_hold_reason


def _get(values: dict[str, str], key: str | None) -> str | None:
    if key is None:
        return None
    value = values.get(key)
    return value if value is not None and value.strip() else None


def _fields(step: Step, values: dict[str, str], mapping: XesMapping) -> None:
    step.actor = _get(values, mapping.resource)
    step.group = _get(values, mapping.group)
    tier = _get(values, mapping.tier)
    step.tier = Tier(tier.upper()) if tier else None
    step.assignee = _get(values, mapping.assignee)
    impact, urgency = _get(values, mapping.impact), _get(values, mapping.urgency)
    step.impact = _level(_IMPACTS, Impact, mapping.levels.get(impact, impact)) if impact else None
    step.urgency = (
        _level(_URGENCIES, Urgency, mapping.levels.get(urgency, urgency)) if urgency else None
    )
    step.category = _get(values, mapping.category)
    step.subcategory = _get(values, mapping.subcategory)
    step.symptom = _get(values, mapping.symptom)
    cis = _get(values, mapping.ci_refs)
    step.ci_refs = _strings(cis) if cis is not None else None
    link = _get(values, mapping.link)
    if link is not None:
        kind, _, ref = link.partition(":")
        step.links = (Link(LinkKind(kind), ref),)
    step.resolution_code = _get(values, mapping.resolution_code)
    step.resolution_notes = _get(values, mapping.resolution_notes)
    l3_kind = _get(values, mapping.l3_kind)
    step.l3_kind = L3TargetKind(l3_kind) if l3_kind else None
    step.l3_name = _get(values, mapping.l3_name)
    step.l3_reference = _get(values, mapping.l3_reference)
    step.kb_refs = _strings(_get(values, mapping.kb_refs))
    step.specialisations = _strings(_get(values, mapping.specialisations))
    step.note = _get(values, mapping.note)
    step.vendor_text = _get(values, mapping.vendor_update)
    step.instructions = _get(values, mapping.instructions)
    step.fix = _get(values, mapping.fix)


_PHASES = {p.value: p for p in Phase}
_IMPACTS: dict[object, Impact] = {i.value: i for i in Impact}
_URGENCIES: dict[object, Urgency] = {u.value: u for u in Urgency}
L = TypeVar("L", Impact, Urgency)


def _level(known: dict[object, L], kind: Callable[[str], L], text: str) -> L:
    """`kind(text)`, looked up by value first (an enum call is slow; it still raises)."""
    level = known.get(text)
    return kind(text) if level is None else level


def _strings(text: str | None) -> tuple[str, ...]:
    """A JSON list of strings, or one string; () when absent."""
    if text is None:
        return ()
    parsed = _json_or_text(text)
    if isinstance(parsed, list):
        return tuple(str(item) for item in parsed)
    return (text,)


def _timestamp(text: str | None, zone: tzinfo) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)
