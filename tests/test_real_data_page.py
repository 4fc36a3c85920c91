"""docs/real-data.md is exactly what scripts/real_data_page.py computes from the real log."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from real_data_page import compute  # noqa: E402


def test_the_committed_page_matches_the_library(servicenow_log_path: Path) -> None:
    committed = (ROOT / "docs" / "real-data.md").read_text(encoding="utf-8")
    assert compute(servicenow_log_path) == committed, "rerun python scripts/real_data_page.py"
