"""The real log end to end: `itil-l2 kpi PATH` agrees with the raw CSV read independently.

The independent side reads the UCI ServiceNow incident event log with `csv`
and `gzip` only: per incident the last row (highest `sys_mod_count`), then
counts of reopened incidents (`reopen_count` > 0), SLA-missed incidents
(`made_sla` false) and KB-used incidents (`knowledge` true), and the median
of `opened_at` → `resolved_at` hours over resolved incidents. The library side
imports the same file through the workflow (the importers) and measures it
through the command line's JSON output.
"""

from __future__ import annotations

import csv
import gzip
import importlib
import json
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest


def _importers_ready() -> bool:
    try:
        return hasattr(importlib.import_module("itil_l2.importers"), "import_into")
    except ImportError:
        return False


pytestmark = pytest.mark.skipif(
    not _importers_ready(), reason="itil_l2.importers (issue 8, part A) is not there yet"
)


def raw_figures(path: Path) -> dict[str, float]:
    last: dict[str, dict[str, str]] = {}
    rows = 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            seen = last.get(row["number"])
            if seen is None or int(row["sys_mod_count"]) >= int(seen["sys_mod_count"]):
                last[row["number"]] = row

    def when(text: str) -> datetime:
        return datetime.strptime(text, "%d/%m/%Y %H:%M")

    hours = [
        (when(r["resolved_at"]) - when(r["opened_at"])).total_seconds() / 3600
        for r in last.values()
        if r["resolved_at"] != "?"
    ]
    return {
        "rows": rows,
        "incidents": len(last),
        "reopened": sum(int(r["reopen_count"]) > 0 for r in last.values()),
        "sla_missed": sum(r["made_sla"] == "false" for r in last.values()),
        "kb_used": sum(r["knowledge"] == "true" for r in last.values()),
        "median_hours": statistics.median(hours),
    }


@pytest.fixture(scope="module")
def both(servicenow_log_path: Path) -> tuple[dict[str, float], dict[str, dict[str, object]]]:
    result = subprocess.run(
        [sys.executable, "-m", "itil_l2.cli", "kpi", str(servicenow_log_path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    return raw_figures(servicenow_log_path), row["kpis"]


def test_every_incident_is_measured(both: tuple[dict[str, float], dict]) -> None:
    raw, kpis = both
    assert raw["rows"] == 141_712 and raw["incidents"] == 24_918
    assert kpis["reopened_tickets"]["n"] == raw["incidents"]


def test_reopened_sla_missed_and_kb_used_counts_agree(both: tuple[dict, dict]) -> None:
    raw, kpis = both
    assert kpis["reopened_tickets"]["numerator"] == raw["reopened"]
    sla = kpis["recorded_sla_met"]
    assert sla["n"] - sla["numerator"] == raw["sla_missed"]
    assert kpis["recorded_kb_used"]["numerator"] == raw["kb_used"]


def test_median_resolution_hours_agree(both: tuple[dict, dict]) -> None:
    raw, kpis = both
    assert kpis["resolution_time_median"]["value"] == pytest.approx(raw["median_hours"], abs=0.01)
