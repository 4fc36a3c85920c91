"""The main job (`python -m itil_l2`) runs and tells the seed's story."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_history_and_diagram() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "itil_l2"], capture_output=True, text=True, check=True, timeout=60
    )
    out = result.stdout
    history = out.split("History of")[1].split("Final:")[0]
    kinds = [line.split()[4] for line in history.strip().splitlines()[1:]]
    assert "Refused first escalation: incomplete handover" in out
    assert kinds.count("escalate") == 2 and "hand_back" in kinds and "reopen" in kinds
    assert kinds[0] == "open" and kinds[-1] == "close"
    assert "closed at L2" in out
    assert "stateDiagram-v2" in out and "L2 --> L3.queued: escalate" in out
