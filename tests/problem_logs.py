"""Problem logs in another tool's dialect, written by the tests, with what they must give.

The dialect is a Volvo-style problem log (status + sub-status, "SR Number",
day-first dates in a fixed +01:00 zone). `PATHS` draws each problem's life as
phase tokens; `rows_of` turns lives into rows; the `expected_*` helpers read
the expected figures from those rows only, never from the code under test.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from attrs import frozen
from hypothesis import strategies as st

ZONE = timezone(timedelta(hours=1))
START = datetime(2024, 1, 1, 8, 0, tzinfo=ZONE)
TIME_FORMAT = "%d/%m/%Y %H:%M:%S"
HEADER = ["SR Number", "Change Date+Time", "Status", "Sub Status", "Involved ST", "Owner"]
COLUMNS = {
    "case": "SR Number",
    "timestamp": "Change Date+Time",
    "status": "Status",
    "sub_status": "Sub Status",
    "group": "Involved ST",
    "resource": "Owner",
}
PHASES = {
    "Queued/Awaiting Assignment": "new",
    "Accepted/Assigned": "assess",
    "Accepted/In Progress": "root_cause_analysis",
    "Accepted/Wait": "keep",
    "Accepted/Fixing": "fix_in_progress",
    "Completed/Resolved": "resolved",
    "Completed/Closed": "closed",
    "Completed/Cancelled": "cancelled",
    "Completed": "closed",
}
RAW = {
    "new": [("Queued", "Awaiting Assignment")],
    "assess": [("Accepted", "Assigned")],
    "root_cause_analysis": [("Accepted", "In Progress")],
    "keep": [("Accepted", "Wait")],
    "fix_in_progress": [("Accepted", "Fixing")],
    "resolved": [("Completed", "Resolved")],
    # the status alone maps "Completed" with a sub-status the mapping does not list
    "closed": [("Completed", "Closed"), ("Completed", "Finished"), ("Completed", "")],
    "cancelled": [("Completed", "Cancelled")],
}
TEAMS = ("PROD 2nd", "Org line C", "G97 3rd")
OWNERS = ("Frederic", "Anne", "Siebel")
OPEN_PHASES = ("new", "assess", "root_cause_analysis", "fix_in_progress")


@frozen
class Row:
    """One row the test writes, and the facts it stands for."""

    case: str
    at: datetime
    token: str
    status: str
    sub: str
    group: str
    owner: str

    def cells(self) -> list[str]:
        return [
            self.case,
            self.at.strftime(TIME_FORMAT),
            self.status,
            self.sub,
            self.group,
            self.owner,
        ]


@st.composite
def lives(draw: st.DrawFn) -> list[str]:
    """One problem's phase tokens, forward only (as a well-behaved source writes them)."""
    reach = draw(st.integers(0, 3))
    tokens = ["new"]
    for token in OPEN_PHASES[1 : reach + 1]:
        tokens += [token] + ["keep"] * draw(st.integers(0, 1))
    tokens += draw(
        st.sampled_from([[], ["resolved"], ["resolved", "closed"], ["closed"], ["cancelled"]])
    )
    return tokens


@st.composite
def logs(draw: st.DrawFn, max_problems: int = 6) -> list[Row]:
    """Rows of several problems, interleaved by time as a time-sorted export is."""
    rows: list[Row] = []
    for number in range(draw(st.integers(1, max_problems))):
        at = START + timedelta(minutes=draw(st.integers(0, 5000)))
        for token in draw(lives()):
            at += timedelta(minutes=draw(st.integers(1, 3000)))
            status, sub = draw(st.sampled_from(RAW[token]))
            group, owner = draw(st.sampled_from(TEAMS)), draw(st.sampled_from(OWNERS))
            rows.append(Row(f"1-{number:06d}", at, token, status, sub, group, owner))
    return sorted(rows, key=lambda r: r.at)


def write(path: Path, rows: Sequence[Row | list[str]]) -> Path:
    """The CSV file of `rows` (a `Row`, or raw cells for a hostile row)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for row in rows:
            out.writerow(row.cells() if isinstance(row, Row) else row)
    return path


def by_case(rows: Sequence[Row]) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(row.case, []).append(row)
    return found


def expected_phase(rows: Sequence[Row]) -> str:
    moved = [r.token for r in rows if r.token != "keep"]
    return moved[-1]


def expected_resolved_at(rows: Sequence[Row]) -> datetime | None:
    return next((r.at for r in rows if r.token in ("resolved", "closed")), None)


def expected_closed_at(rows: Sequence[Row]) -> datetime | None:
    return next((r.at for r in rows if r.token == "closed"), None)


def expected_ended_at(rows: Sequence[Row]) -> datetime | None:
    """When the problem left the backlog (resolved, closed or cancelled), or None."""
    return next((r.at for r in rows if r.token in ("resolved", "closed", "cancelled")), None)


def expected_owner(rows: Sequence[Row]) -> tuple[str, str]:
    """The group and analyst of the last row that arrived while the problem was open."""
    state, found = "new", (rows[0].group, rows[0].owner)
    for row in rows:
        if state in OPEN_PHASES:
            found = (row.group, row.owner)
        state = state if row.token == "keep" else row.token
    return found
