"""XES event logs (IEEE 1849, `.xes` / `.xes.gz`) → tickets, streamed.

Read with `xml.etree.ElementTree.iterparse`, one trace in memory at a time
(elements are cleared as soon as they are read). A trace is a ticket
(`concept:name` its id); each event is a step replayed through the workflow
exactly like a ServiceNow row (see `_replay.py`). Which XES attribute means
what is a small declarative `XesMapping`; its defaults read what
`write_xes` writes, and `states` maps a foreign log's activity names (or
`activity/lifecycle` pairs) to phases.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Unpack
from xml.etree.ElementTree import Element, ParseError, iterparse

import attrs
from attrs import frozen

from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import MalformedExport, Tally
from itil_l2.importers._reading import ImportOptions, open_export, start_import
from itil_l2.importers._run import ImportRun
from itil_l2.importers._steps import Case, Step
from itil_l2.tickets import (
    Channel,
    HoldReason,
    L3TargetKind,
    Link,
    LinkKind,
    Phase,
    TicketKind,
)

__all__ = ["KEEP", "XesMapping", "read_xes"]

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
    **options: Unpack[ImportOptions],
) -> ImportRun:
    """Stream an XES log into tickets (see `read_servicenow` for the options).

    A step's `line` in deviations is the event's number in the file (1-based).
    """
    chosen = mapping or XesMapping()

    def cases(file: Path, tally: Tally) -> Iterator[Case]:
        return _cases(file, chosen, tally)

    return start_import(path, cases, options, "read_xes")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _values(element: Element) -> dict[str, str]:
    """The element's direct key/value attribute children."""
    return {
        child.attrib["key"]: child.attrib.get("value", "")
        for child in element
        if "key" in child.attrib and _local(child.tag) not in ("event", "trace")
    }


def _cases(path: Path, mapping: XesMapping, tally: Tally) -> Iterator[Case]:
    source = str(path)
    steps: list[Step] = []
    try:
        with open_export(path, "rb") as handle:
            parser = iterparse(handle, events=("start", "end"))
            root: Element | None = None
            for kind, element in parser:
                if root is None:
                    root = element
                    if _local(element.tag) != "log":
                        raise MalformedExport(source, 1, "not an XES log: the root is not <log>")
                    continue
                if kind != "end":
                    continue
                tag = _local(element.tag)
                if tag == "event":
                    tally.rows_read += 1
                    steps.append(_step(tally.rows_read, _values(element), mapping))
                    element.clear()
                elif tag == "trace":
                    yield _case(source, _values(element), steps, mapping, tally.rows_read)
                    steps = []
                    element.clear()
                    root.clear()
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise MalformedExport(source, line, f"broken XML: {exc}") from None
    except (EOFError, OSError, zlib.error) as exc:
        raise MalformedExport(source, None, f"cannot read further: {exc}") from None


def _case(
    source: str, values: dict[str, str], steps: list[Step], mapping: XesMapping, line: int
) -> Case:
    case_id = values.get(mapping.case_id)
    if not case_id or not case_id.strip():
        raise MalformedExport(source, line, f"a trace without {mapping.case_id}")
    case = Case(case_id, steps)
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
                case.attributes[key[len(prefix) :]] = _json_or_text(text)
    return case


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


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
    step.phase = Phase(name)
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
    step.impact = Impact(mapping.levels.get(impact, impact)) if impact else None
    step.urgency = Urgency(mapping.levels.get(urgency, urgency)) if urgency else None
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
