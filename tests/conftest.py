"""Shared fixtures.

The real-data tests read the UCI ServiceNow incident event log from the shared
data folder beside the repository (`../shared/data/...` from the repo root).
Without that folder they are skipped, unless `ITIL_L2_REQUIRE_DATA` is set to a
non-empty value (as in CI), in which case they fail so a missing data set is
never mistaken for a pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import Clock

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICENOW_LOG_DIR = REPO_ROOT.parent / "shared" / "data" / "uci-incident-event-log"
SERVICENOW_LOG_FILE = "incident_event_log.csv.gz"
REQUIRE_DATA_ENV = "ITIL_L2_REQUIRE_DATA"


def _missing_data(message: str) -> None:
    """Skip, or fail when the environment says the data must be there."""
    if os.environ.get(REQUIRE_DATA_ENV):
        pytest.fail(f"{message} ({REQUIRE_DATA_ENV} is set, so this is an error)")
    pytest.skip(f"{message} (set {REQUIRE_DATA_ENV}=1 to make this an error)")


@pytest.fixture(scope="session")
def servicenow_log_path() -> Path:
    """The UCI ServiceNow incident event log (gzip CSV, 141,712 rows)."""
    if not SERVICENOW_LOG_DIR.is_dir():
        _missing_data(f"real-data folder not found: {SERVICENOW_LOG_DIR}")
    path = SERVICENOW_LOG_DIR / SERVICENOW_LOG_FILE
    if not path.is_file():
        _missing_data(f"real-data file not found: {path}")
    return path


@pytest.fixture
def clock() -> Clock:
    """Strictly increasing aware timestamps for one test."""
    return Clock()
