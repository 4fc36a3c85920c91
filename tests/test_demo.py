"""The main job (`python -m itil_l2`) runs and tells the seed's story."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_history_and_diagram() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "itil_l2"], capture_output=True, text=True, check=True, timeout=60
    )
    out = result.stdout
    history = out.split("History of")[1].split("Resolution SLA")[0]
    kinds = [line.split()[4] for line in history.strip().splitlines()[1:]]
    assert "Refused first escalation: incomplete handover" in out
    assert kinds.count("escalate") == 2 and "hand_back" in kinds and "reopen" in kinds
    assert kinds[0] == "open" and kinds[-1] == "close"
    assert "closed at L2" in out
    assert "stateDiagram-v2" in out and "L2 --> L3.queued: escalate" in out


def test_demo_runs_on_the_embedded_sqlite_store_and_reports_the_sla() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "itil_l2"], capture_output=True, text=True, check=True, timeout=60
    )
    out = result.stdout
    assert "Stored in SQLite (" in out and "1 ticket, 16 events" in out
    # Opened 08:55, resolved for good 11:40 (a Monday, inside 08:00-18:00 Berlin): 2 h 45 min,
    # minus the 11 min on hold awaiting the caller and the 11 min between the first resolve
    # and the reopen = 2 h 23 min of the P1 target's 4 h.
    assert "Resolution SLA (P1, Mon-Fri 08:00-18:00 Berlin): met, 2:23:00 of 4:00:00" in out
