"""Acceptance: the real ServiceNow log, end to end through `itil_l2.importers`.

The UCI incident event log (141,712 rows, 24,918 incidents; PROVENANCE.md
beside the data) is imported with `read_servicenow` under each policy. The
mapping is documented in docs/importing.md and in `_replay.py`. Expected
figures come from the data's provenance notes and from counting the raw CSV
here with the standard library, not from the importer.

Run with `pytest -s` to see the report.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections import Counter
from pathlib import Path

import pytest

from itil_l2 import Phase, Ticket
from itil_l2.importers import ConformanceError, ImportPolicy, read_servicenow

EXPECTED_INCIDENTS = 24_918
EXPECTED_ROWS = 141_712
CORRUPT_ROWS = 5


def raw_figures(path: Path) -> tuple[int, int, Counter[str]]:
    """Rows, incidents and the last row's made_sla per incident, by plain csv."""
    rows, last = 0, {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            rows += 1
            last[record["number"]] = record["made_sla"]
    return rows, len(last), Counter(last.values())


def test_the_real_log_imports_leniently_with_few_repairs(servicenow_log_path: Path) -> None:
    started = time.perf_counter()
    run = read_servicenow(servicenow_log_path, policy=ImportPolicy.LENIENT)
    tickets = list(run)
    seconds = time.perf_counter() - started
    report = run.report
    print()
    print(report.summary())
    print(f"  import wall time {seconds:.1f} s")

    rows, incidents, made_sla = raw_figures(servicenow_log_path)
    assert rows == report.rows_read == EXPECTED_ROWS
    assert report.rows_accepted + report.rows_rejected == report.rows_read
    assert incidents == report.incidents == len(tickets) == EXPECTED_INCIDENTS
    assert report.skipped == ()
    assert report.repair_rate < 0.01, "repairs must stay under 1 % of tickets"

    rules = report.rules()
    assert rules["corrupt incident_state '-100'"] == CORRUPT_ROWS
    # rejected rows: the corrupt ones and the premature closes, each named by a deviation
    premature = sum(1 for d in report.deviations if d.rule.startswith("activity after closed"))
    assert report.rows_rejected == CORRUPT_ROWS + premature
    assert all(d.line is not None and d.line > 1 for d in report.deviations)
    # every incident ends closed in the export (PROVENANCE.md), and so in the import
    assert Counter(t.phase for t in tickets) == {Phase.CLOSED: EXPECTED_INCIDENTS}
    # the export's own SLA verdict is kept, as the last row states it
    kept = Counter(str(t.attributes.get("made_sla")).lower() for t in tickets)
    assert kept == made_sla
    # repairs are visible in the history of the repaired tickets, and only there
    noted = {
        t.id
        for t in tickets
        if any("[import repair]" in str(getattr(e.payload, "text", "")) for e in t.history)
    }
    assert noted == set(report.repaired)
    # tiers were inferred: escalations exist and carry imported handovers only
    escalations = [e for t in tickets for e in t.history if e.kind == "escalate"]
    assert len(escalations) > 1000
    assert {e.payload.handover.source.value for e in escalations} == {"imported"}
    # imported histories replay through the workflow (a sample, to keep the budget)
    for t in tickets[::25]:
        again = Ticket.from_history(t.history)
        assert (again.state, again.version, again.reopen_count) == (
            t.state,
            t.version,
            t.reopen_count,
        )
    assert seconds < 60


def test_strict_stops_at_the_first_deviation_and_skip_drops_tickets(
    servicenow_log_path: Path,
) -> None:
    with pytest.raises(ConformanceError) as info:
        list(read_servicenow(servicenow_log_path, policy=ImportPolicy.STRICT))
    assert info.value.path == str(servicenow_log_path) and info.value.line is not None
    run = read_servicenow(servicenow_log_path, policy=ImportPolicy.SKIP)
    tickets = list(run)
    report = run.report
    print(f"\nskip: {report.tickets:,} imported, {len(report.skipped):,} skipped")
    assert report.rows_read == EXPECTED_ROWS == report.rows_accepted + report.rows_rejected
    assert len(tickets) + len(report.skipped) == EXPECTED_INCIDENTS
    assert 0 < len(report.skipped) < EXPECTED_INCIDENTS // 100
