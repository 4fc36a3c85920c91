"""XES: export ↔ import round trip of simulated tickets, foreign mappings, malformed files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from itil_l2 import HoldReason, Phase, Ticket, Tier
from itil_l2.importers import KEEP, MalformedExport, XesMapping, read_xes, simulate, write_xes


def facts(t: Ticket) -> tuple[object, ...]:
    return (
        t.id, t.title, t.caller, t.channel, t.state, t.group, t.owner_group, t.impact, t.urgency,
        t.priority, t.category, t.ci_refs, t.links, t.resolution, t.resolved_at, t.assignee,
        t.hold_reason, t.l3_target, t.reopen_count, t.escalation_count, t.reassignment_count,
        [(e.kind, e.at, e.actor_id) for e in t.history],
    )  # fmt: skip


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_simulated_tickets_survive_an_xes_round_trip(tmp_path: Path, name: str) -> None:
    tickets = list(simulate(400, seed=11))
    written = write_xes(tickets, tmp_path / name)
    assert written == sum(len(t.history) for t in tickets)
    run = read_xes(tmp_path / name)
    back = list(run)
    assert [facts(t) for t in back] == [facts(t) for t in tickets]
    report = run.report
    assert (report.rows_read, report.rows_rejected, report.deviations) == (written, 0, ())
    # the escalations came back with imported handovers: nothing invented
    assert any(t.escalation_count for t in back)
    assert all(
        e.payload.handover.source.value == "imported"
        for t in back
        for e in t.history
        if e.kind == "escalate"
    )


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<log xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="CASE-1"/>
    <event>
      <string key="concept:name" value="Accepted"/><string key="lifecycle:transition" value="In Progress"/>
      <date key="time:timestamp" value="2012-04-02T07:00:00"/>
      <string key="org:group" value="Desk"/><string key="impact" value="Medium"/><string key="urgency" value="High"/>
      <string key="org:resource" value="Siebel"/>
    </event>
    <event>
      <string key="concept:name" value="Queued"/><string key="lifecycle:transition" value="Awaiting Assignment"/>
      <date key="time:timestamp" value="2012-04-02T11:00:00+02:00"/>
      <string key="org:group" value="Backoffice"/><string key="itil:tier" value="L2"/>
    </event>
    <event>
      <string key="concept:name" value="Note"/><date key="time:timestamp" value="2012-04-02T11:05:00+02:00"/>
    </event>
    <event>
      <string key="concept:name" value="Accepted"/><string key="lifecycle:transition" value="Wait - User"/>
      <date key="time:timestamp" value="2012-04-02T12:00:00+02:00"/><string key="org:group" value="Backoffice"/>
    </event>
    <event>
      <string key="concept:name" value="Completed"/><string key="lifecycle:transition" value="Resolved"/>
      <date key="time:timestamp" value="2012-04-03T12:00:00+02:00"/><string key="org:group" value="Backoffice"/>
    </event>
    <event>
      <string key="concept:name" value="Teleported"/><date key="time:timestamp" value="2012-04-03T13:00:00+02:00"/>
    </event>
  </trace>
</log>
"""

MAPPING = XesMapping(
    state=None,
    tier="itil:tier",
    impact="impact",
    urgency="urgency",
    levels={"Medium": "medium", "High": "high"},
    states={
        "Accepted/In Progress": "in_progress",
        "Queued/Awaiting Assignment": "queued",
        "Accepted/Wait - User": "on_hold:awaiting_caller",
        "Completed/Resolved": "resolved",
        "Note": KEEP,
    },
)


def test_a_foreign_log_through_a_declarative_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bpi.xes"
    path.write_text(FOREIGN)
    run = read_xes(path, mapping=MAPPING)
    (t,) = list(run)
    kinds = ["open", "assign", "start", "escalate", "start", "hold", "resolve", "add_note"]
    assert [e.kind for e in t.history] == kinds
    assert t.history[-1].payload.text.startswith("[import repair] line 6: unknown state")
    assert t.phase is Phase.RESOLVED and t.tier is Tier.L2 and t.escalation_count == 1
    assert [e.payload.reason for e in t.history if e.kind == "hold"] == [HoldReason.AWAITING_CALLER]
    assert t.history[0].at.utcoffset() is not None  # naive timestamps read in the mapping's zone
    assert t.history[0].actor_id == "Siebel"
    (deviation,) = run.report.deviations
    assert deviation.line == 6 and "unknown state 'Teleported'" in deviation.rule
    assert (run.report.rows_read, run.report.rows_rejected) == (6, 1)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("<log><trace><string key='concept:name' value='A'/>", "broken XML"),
        ("<notxes/>", "not an XES log"),
        ("<log><trace><event/></trace></log>", "a trace without concept:name"),
    ],
)
def test_malformed_xes_raises_with_the_file(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.xes"
    path.write_text(text)
    with pytest.raises(MalformedExport, match=match) as info:
        list(read_xes(path))
    assert info.value.path == str(path)


def test_a_truncated_xes_gz_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    write_xes(simulate(300, seed=2), path)
    cut = tmp_path / "cut.xes.gz"
    cut.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(MalformedExport):
        list(read_xes(cut))
    with gzip.open(path) as whole:
        assert len(whole.read()) > 5000  # the whole file was fine
