"""`read_csv_log`: a generic CSV event log, read as its mapping says.

Columns named by the mapping, times in any strptime format and zone, composite states, rows
sorted by time rather than by case, and bad cells: every row read is either replayed or a
deviation with its line.
"""

from __future__ import annotations

import gzip
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import Tier, ValidationError
from itil_l2.importers import (
    ConformanceError,
    GroupDirectory,
    ImportMapping,
    ImportPolicy,
    MalformedExport,
    read_csv_log,
)
from itil_l2.tickets import HoldReason, Phase, Ticket

HEADER = ["Ticket", "Changed", "Status", "Detail", "Team", "Agent"]
STATES = {
    "Registered": "new",
    "Open": "queued",
    "Open/Working": "in_progress",
    "Waiting": "on_hold",
    "Waiting/Supplier": "on_hold:awaiting_vendor",
    "Comment": "keep",
    "Fixed": "resolved",
    "Done": "closed",
}


def mapping(**changes: Any) -> ImportMapping:
    settings_: dict[str, Any] = {
        "columns": {
            "case_id": "Ticket",
            "timestamp": "Changed",
            "activity": "Status",
            "sub_state": "Detail",
            "group": "Team",
            "resource": "Agent",
        },
        "states": STATES,
        "time_format": "%d.%m.%Y %H:%M",
        "delimiter": ";",
        "groups": GroupDirectory(patterns=[(" 2nd$", Tier.L2)]),
        "defaults": {"impact": "medium", "urgency": "medium"},
        **changes,
    }
    return ImportMapping("csv", **settings_)


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER, sep: str = ";") -> Path:
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def row(ticket: str, at: datetime, status: str, detail: str = "", team: str = "Desk") -> list[str]:
    return [ticket, f"{at:%d.%m.%Y %H:%M}", status, detail, team, "ann"]


T0 = datetime(2024, 3, 4, 9, 0)


def without_lines(ticket: Ticket) -> str:
    """The ticket's history with the file's line numbers (which a reordering moves) left out."""
    return re.sub(r"line \d+", "line N", repr(ticket.history))


def story(ticket: str, start: datetime, escalate: bool, hold: bool) -> list[list[str]]:
    """One ticket's rows: registered, queued, worked, maybe held and escalated, fixed, done."""
    at = iter(start + timedelta(minutes=15 * i) for i in range(20))
    rows = [row(ticket, next(at), "Registered"), row(ticket, next(at), "Open")]
    rows.append(row(ticket, next(at), "Open", "Working"))
    if hold:
        rows.append(row(ticket, next(at), "Waiting", "Supplier"))
        rows.append(row(ticket, next(at), "Open", "Working"))
    team = "Net 2nd" if escalate else "Desk"
    if escalate:
        rows.append(row(ticket, next(at), "Open", "Working", team))
    rows.append(row(ticket, next(at), "Comment", "", team))
    rows.append(row(ticket, next(at), "Fixed", "", team))
    rows.append(row(ticket, next(at) + timedelta(days=5), "Done", "", team))
    return rows


def test_columns_states_and_tiers_read_as_the_mapping_says(tmp_path: Path) -> None:
    rows = story("A-1", T0, escalate=True, hold=True) + story("A-2", T0, escalate=False, hold=False)
    run = read_csv_log(write(tmp_path / "log.csv", rows), mapping())
    a1, a2 = list(run)
    assert (a1.id, a1.phase, a1.escalation_count, a1.tier) == ("A-1", Phase.CLOSED, 1, Tier.L2)
    holds = [e.payload.reason for e in a1.history if e.kind == "hold"]
    assert holds == [HoldReason.AWAITING_VENDOR]
    assert (a2.phase, a2.escalation_count, a2.tier) == (Phase.CLOSED, 0, Tier.L1)
    assert a1.history[0].at == T0.replace(tzinfo=UTC)
    assert run.report.rows_read == len(rows) == run.report.rows_accepted


def test_times_read_in_the_zone_of_the_mapping_unless_they_carry_an_offset(tmp_path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rows = [
        ["Z-1", "2024-07-01 09:00", "Open", "", "Desk", "ann"],
        ["Z-1", "2024-07-01T10:00:00+00:00", "Fixed", "", "Desk", "ann"],  # 12:00 in Berlin
    ]
    m = mapping(time_format="iso", zone=berlin)
    (ticket,) = list(read_csv_log(write(tmp_path / "log.csv", rows), m))
    assert ticket.history[0].at == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)
    resolved = [e for e in ticket.history if e.kind == "resolve"]
    assert resolved[0].at == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)


def test_rows_sorted_by_time_read_as_rows_sorted_by_case(tmp_path: Path) -> None:
    stories = [
        story(f"S-{i}", T0 + timedelta(minutes=7 * i), i % 2 == 0, i % 3 == 0) for i in range(6)
    ]
    by_case = [r for s in stories for r in s]
    by_time = sorted(by_case, key=lambda r: datetime.strptime(r[1], "%d.%m.%Y %H:%M"))
    assert by_time != by_case
    first = list(read_csv_log(write(tmp_path / "a.csv", by_case), mapping()))
    second = list(read_csv_log(write(tmp_path / "b.csv", by_time), mapping()))
    assert [t.id for t in first] == [t.id for t in second]
    assert [without_lines(t) for t in first] == [without_lines(t) for t in second]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_any_row_order_gives_the_same_tickets(
    tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    """Rows of a case are ordered by time, stably: equal times keep file order."""
    rng = random.Random(seed)
    stories = [
        story(
            f"P-{i}",
            T0 + timedelta(minutes=rng.randrange(60)),
            rng.random() < 0.5,
            rng.random() < 0.5,
        )
        for i in range(4)
    ]
    rows = [r for s in stories for r in s]
    shuffled = rows[:]
    rng.shuffle(shuffled)
    folder = tmp_path_factory.mktemp("order")
    want = {t.id: without_lines(t) for t in read_csv_log(write(folder / "a.csv", rows), mapping())}
    got = {
        t.id: without_lines(t) for t in read_csv_log(write(folder / "b.csv", shuffled), mapping())
    }
    assert got == want


def test_equal_times_keep_file_order(tmp_path: Path) -> None:
    rows = [row("E-1", T0, "Open"), row("E-1", T0, "Open", "Working"), row("E-1", T0, "Fixed")]
    (ticket,) = list(read_csv_log(write(tmp_path / "log.csv", rows), mapping()))
    assert ticket.phase is Phase.RESOLVED and [e.kind for e in ticket.history][-2:] == [
        "start",
        "resolve",
    ]


def test_bad_cells_are_deviations_with_their_lines(tmp_path: Path) -> None:
    rows = [
        row("B-1", T0, "Open"),  # line 2
        ["B-1", "32.13.2024 25:00", "Open", "Working", "Desk", "ann"],  # line 3: no such time
        row("B-1", T0 + timedelta(hours=1), "Paused"),  # line 4: a state the mapping lacks
        ["B-1", "04.03.2024 11:00", "Fixed"],  # line 5: too few fields
        ["", "04.03.2024 11:30", "Fixed", "", "Desk", "ann"],  # line 6: no case id
        row("B-1", T0 + timedelta(hours=3), "Fixed"),  # line 7
    ]
    run = read_csv_log(write(tmp_path / "log.csv", rows), mapping())
    (ticket,) = list(run)
    report = run.report
    assert ticket.phase is Phase.RESOLVED
    assert report.rows_read == 6 and report.rows_rejected == 4 and report.rows_accepted == 2
    lines = {d.line: d.rule for d in report.deviations if d.line is not None}
    assert "is not a time (%d.%m.%Y %H:%M)" in lines[3] and "'32.13.2024 25:00'" in lines[3]
    assert lines[4] == "unknown state 'Paused'"
    assert lines[5] == "malformed row: 3 fields, the header has 6"
    assert lines[6] == "row without a case id"
    orphan = next(d for d in report.deviations if d.line == 6)
    assert orphan.ticket_id == "(no case id)" and orphan.source == str(tmp_path / "log.csv")


def test_a_row_without_a_case_id_stops_a_strict_import(tmp_path: Path) -> None:
    rows = [row("C-1", T0, "Open"), ["", "04.03.2024 11:30", "Fixed", "", "Desk", "ann"]]
    with pytest.raises(ConformanceError) as caught:
        list(read_csv_log(write(tmp_path / "log.csv", rows), mapping(), policy=ImportPolicy.STRICT))
    assert caught.value.line == 3
    run = read_csv_log(write(tmp_path / "log.csv", rows), mapping(), policy=ImportPolicy.SKIP)
    assert len(list(run)) == 1 and run.report.rows_rejected == 1


def test_a_byte_order_mark_gzip_and_blank_lines_are_read(tmp_path: Path) -> None:
    text = ";".join(HEADER) + "\n\n" + ";".join(row("G-1", T0, "Open")) + "\n"
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(("\ufeff" + text).encode("utf-8")))
    run = read_csv_log(path, mapping())
    assert [t.id for t in run] == ["G-1"] and run.report.rows_read == 1


@pytest.mark.parametrize(
    ("content", "line", "needle"),
    [
        ("", 1, "empty file"),
        ("Ticket;Changed;Status\n", 1, "missing columns: 'Detail', 'Team', 'Agent'"),
        ("Ticket;Changed;Status;Detail;Team;Agent;Team\n", 1, "'Team' appears twice"),
        ("Ticket;Changed;Status;Detail;Team;Agent\nX;" + "a" * 200_000 + "\n", 2, "field larger"),
    ],
)
def test_a_file_that_cannot_be_read_is_malformed(
    tmp_path: Path, content: str, line: int | None, needle: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(content)
    with pytest.raises(MalformedExport) as caught:
        list(read_csv_log(path, mapping()))
    assert needle in str(caught.value) and caught.value.path == str(path)
    if line is not None:
        assert caught.value.line == line


def test_an_undecodable_file_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(";".join(HEADER).encode() + b"\nX;\xff\xfe\n")
    with pytest.raises(MalformedExport, match="cannot read further"):
        list(read_csv_log(path, mapping()))


def test_past_max_rows_the_import_stops_with_the_line(tmp_path: Path) -> None:
    rows = [row(f"M-{i}", T0, "Open") for i in range(5)]
    path = write(tmp_path / "log.csv", rows)
    assert len(list(read_csv_log(path, mapping(), max_rows=5))) == 5
    with pytest.raises(MalformedExport, match="more than 4 rows") as caught:
        list(read_csv_log(path, mapping(), max_rows=4))
    assert caught.value.line == 6
    with pytest.raises(ValidationError, match="max_rows"):
        read_csv_log(path, mapping(), max_rows=0)


def test_only_a_csv_mapping_reads_a_csv_log(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="format csv"):
        read_csv_log(tmp_path / "x.csv", ImportMapping("xes"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        read_csv_log(tmp_path / "x.csv", mapping(colour="red"))  # type: ignore[call-arg]


def test_titles_callers_and_levels_come_from_their_columns(tmp_path: Path) -> None:
    header = ["Id", "At", "State", "Title", "Who", "Impact"]
    rows = [
        ["L-1", "2024-03-04 09:00", "Open", "", "", "1 - High"],
        ["L-1", "2024-03-04 10:00", "Fixed", "Printer jams", "carla", "1 - High"],
    ]
    m = ImportMapping(
        "csv",
        columns={
            "case_id": "Id",
            "timestamp": "At",
            "activity": "State",
            "title": "Title",
            "caller": "Who",
            "impact": "Impact",
        },
        states={"Open": "queued", "Fixed": "resolved"},
        levels={"1 - High": "high"},
        delimiter=",",
    )
    (ticket,) = list(read_csv_log(write(tmp_path / "log.csv", rows, header, ","), m))
    assert (ticket.title, ticket.caller, ticket.impact.value) == ("Printer jams", "carla", "high")


def test_options_override_the_mapping(tmp_path: Path) -> None:
    rows = story("O-1", T0, escalate=True, hold=False)
    path = write(tmp_path / "log.csv", rows)
    (ticket,) = list(read_csv_log(path, mapping(), groups=GroupDirectory(default_tier=Tier.L1)))
    assert ticket.escalation_count == 0  # "Net 2nd" is L1 by the directory given here
    assert isinstance(ticket, Ticket)
