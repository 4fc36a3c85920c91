"""Tickets → an XES event log (IEEE 1849), streamed to `.xes` or `.xes.gz`.

One trace per ticket, one event per history event. Each event carries the
trigger (`concept:name`), `lifecycle:transition` "complete", the time, the
actor (`org:resource`), the group after the event (`org:group`) and, under
the `itil:` prefix, the tier, phase, hold reason, assignee, impact, urgency,
category, CIs, links, resolution and L3 target after the event, which is
exactly what `read_xes` with the default `XesMapping` reads back. Trace
attributes: title, kind, channel, caller, and each ticket attribute as
`attr:<name>` (JSON text).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from itil_l2.tickets import Phase, Ticket
from itil_l2.tickets import events as ev

__all__ = ["write_xes"]

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <string key="concept:name" value="itil_l2 ticket export"/>
"""


def write_xes(tickets: Iterable[Ticket], path: str | Path) -> int:
    """Write `tickets` as an XES log (gzip when the name ends in `.gz`); returns events written.

    >>> import tempfile, pathlib
    >>> from itil_l2.importers import read_xes, simulate, write_xes
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tickets.xes.gz"
    >>> events = write_xes(simulate(5, seed=3), path)
    >>> [t.id for t in read_xes(path)]
    ['SIM-000001', 'SIM-000002', 'SIM-000003', 'SIM-000004', 'SIM-000005']
    """
    p = Path(path)
    written = 0
    with _create(p) as handle:
        handle.write(_HEAD)
        for ticket in tickets:
            handle.write("  <trace>\n")
            handle.writelines(_trace_attributes(ticket))
            for lines in _events(ticket):
                handle.write("    <event>\n")
                handle.writelines(lines)
                handle.write("    </event>\n")
                written += 1
            handle.write("  </trace>\n")
        handle.write("</log>\n")
    return written


def _create(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")


def _attr(key: str, value: object, indent: str = "    ") -> str:
    if isinstance(value, bool):
        return f'{indent}<boolean key="{key}" value="{"true" if value else "false"}"/>\n'
    return f'{indent}<string key="{key}" value={quoteattr(str(value))}/>\n'


def _trace_attributes(ticket: Ticket) -> list[str]:
    lines = [
        _attr("concept:name", ticket.id),
        _attr("itil:title", ticket.title),
        _attr("itil:kind", ticket.kind.value),
        _attr("itil:channel", ticket.channel.value),
    ]
    if ticket.caller is not None:
        lines.append(_attr("itil:caller", ticket.caller))
    for name, value in ticket.attributes.items():
        lines.append(_attr(f"attr:{name}", json.dumps(value, sort_keys=True)))
    return lines


def _events(ticket: Ticket) -> Iterator[list[str]]:
    """Per history event, the attribute lines describing the ticket after it."""
    history = ticket.history
    replayed = Ticket.from_history(history[:1], config=ticket.config)
    yield _event_lines(replayed, history[0])
    for number, event in enumerate(history[1:], start=2):
        replayed._replay(number, event)
        yield _event_lines(replayed, event)


def _event_lines(t: Ticket, event: ev.TicketEvent) -> list[str]:
    i = "      "
    group = t.group or t.owner_group
    lines = [
        _attr("concept:name", event.kind, i),
        _attr("lifecycle:transition", "complete", i),
        f'{i}<date key="time:timestamp" value="{event.at.isoformat()}"/>\n',
        _attr("org:resource", event.actor_id, i),
        _attr("org:group", group.name, i),
        _attr("itil:tier", group.tier.value, i),
        _attr("itil:phase", t.phase.value, i),
        _attr("itil:impact", t.impact.value, i),
        _attr("itil:urgency", t.urgency.value, i),
        _attr("itil:ci_refs", json.dumps(list(t.ci_refs)), i),
    ]
    if group.specialisations:
        lines.append(_attr("itil:specialisations", json.dumps(sorted(group.specialisations)), i))
    optional: dict[str, Any] = {
        "itil:hold_reason": t.hold_reason.code
        if t.phase is Phase.ON_HOLD and t.hold_reason
        else None,
        "itil:assignee": t.assignee,
        "itil:category": t.category,
        "itil:subcategory": t.subcategory,
        "itil:symptom": t.symptom,
    }
    payload = event.payload
    if isinstance(payload, ev.Linked):
        optional["itil:link"] = f"{payload.link.kind.value}:{payload.link.ref}"
    if isinstance(payload, ev.Resolved):
        optional["itil:resolution_code"] = payload.resolution.code.code
        optional["itil:resolution_notes"] = payload.resolution.notes
        if payload.resolution.kb_refs:
            optional["itil:kb_refs"] = json.dumps(list(payload.resolution.kb_refs))
    if isinstance(payload, ev.NoteAdded):
        optional["itil:note"] = payload.text
    if isinstance(payload, ev.VendorUpdated):
        optional["itil:vendor_update"] = payload.text
    if isinstance(payload, ev.HandedBack):
        optional["itil:instructions"] = payload.instructions
        optional["itil:fix"] = payload.fix
    if isinstance(payload, ev.Escalated) and payload.target is not None:
        optional["itil:l3_kind"] = payload.target.kind.value
        optional["itil:l3_name"] = payload.target.name
        optional["itil:l3_reference"] = payload.target.reference
    lines += [_attr(key, value, i) for key, value in optional.items() if value is not None]
    return lines
