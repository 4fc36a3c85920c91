"""The ServiceNow CSV importer: mapping, tiers, formats, malformed input, bulk storage."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from itil_l2 import HoldReason, LinkKind, Phase, SupportGroup, Ticket, Tier
from itil_l2.importers import (
    ConformanceError,
    GroupDirectory,
    ImportPolicy,
    MalformedExport,
    import_into,
    read_servicenow,
)
from itil_l2.storage import SqliteStore
from itil_l2.tickets import HandoverSource

COLUMNS = [
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "sys_updated_by",
    "opened_at",
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "cmdb_ci",
    "made_sla",
    "knowledge",
    "contact_type",
    "caller_id",
    "problem_id",
    "rfc",
    "caused_by",
    "vendor",
    "closed_code",
]


def row(number: str, state: str, mod: int, at: str, group: str = "G1", **extra: str) -> str:
    values = {
        "number": number,
        "incident_state": state,
        "sys_mod_count": str(mod),
        "sys_updated_at": at,
        "sys_updated_by": "Updated by 7",
        "opened_at": "1/3/2016 08:55",
        "impact": "2 - Medium",
        "urgency": "1 - High",
        "assignment_group": group,
        "assigned_to": "?",
        "category": "Category 5",
        "cmdb_ci": "?",
        "made_sla": "true",
        "knowledge": "false",
        "contact_type": "Email",
        "caller_id": "Caller 9",
        "problem_id": "?",
        "rfc": "?",
        "caused_by": "?",
        "vendor": "?",
        "closed_code": "code 5",
        **extra,
    }
    return ",".join(values[c] for c in COLUMNS)


def write(path: Path, rows: list[str], *, zipped: bool = False, header: str | None = None) -> Path:
    text = (header or ",".join(COLUMNS)) + "\n" + "\n".join(rows) + "\n"
    if zipped:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


SIMPLE = [
    row("INC1", "New", 0, "1/3/2016 09:00", "G1"),
    row("INC1", "Active", 1, "1/3/2016 09:30", "G2", assigned_to="Resolver 3"),
    row("INC1", "Resolved", 2, "1/3/2016 11:00", "G2", assigned_to="Resolver 3"),
    row("INC1", "Closed", 3, "6/3/2016 11:00", "G2", assigned_to="Resolver 3", made_sla="false"),
]


def test_a_transfer_to_the_resolving_group_is_an_inferred_escalation(tmp_path: Path) -> None:
    run = read_servicenow(write(tmp_path / "log.csv", SIMPLE))
    (t,) = list(run)
    assert t.phase is Phase.CLOSED
    assert [e.kind for e in t.history] == [
        "open", "assign", "escalate", "assign_to", "start", "resolve", "close",
    ]  # fmt: skip
    escalated = t.history[2].payload
    assert escalated.group == SupportGroup("G2", Tier.L2)
    assert escalated.handover.source is HandoverSource.IMPORTED
    assert escalated.handover.description == ""  # nothing invented
    assert t.owner_group == SupportGroup("G1", Tier.L1)
    assert t.opened_at == datetime(2016, 3, 1, 8, 55, tzinfo=UTC)
    assert t.resolved_at == datetime(2016, 3, 1, 11, tzinfo=UTC)
    assert t.assignee == "Resolver 3"
    assert t.history[4].actor_id == "Updated by 7"
    # the last row's values of the fields the workflow does not model
    assert t.attributes["made_sla"] is False and t.attributes["knowledge"] is False
    assert t.attributes["tier_source"] == "inferred"
    assert t.attributes["closed_code"] == "code 5"
    assert t.caller == "Caller 9" and t.channel.value == "email"
    assert t.resolution is not None and "code 5" in t.resolution.notes
    report = run.report
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 4, 0)
    assert (report.incidents, report.tickets, report.deviations) == (1, 1, ())


def test_the_group_directory_decides_reassignment_and_escalation(tmp_path: Path) -> None:
    directory = GroupDirectory(
        [SupportGroup("G1", Tier.L1), SupportGroup("G2", Tier.L1), SupportGroup("G3", Tier.L2)]
    )
    rows = [
        row("INC1", "New", 0, "1/3/2016 09:00", "G1"),
        row("INC1", "Active", 1, "1/3/2016 09:10", "G2"),
        row("INC1", "Active", 2, "1/3/2016 09:20", "G3"),
        row("INC1", "Active", 3, "1/3/2016 09:30", "G2"),
        row("INC1", "Resolved", 4, "1/3/2016 10:00", "G2"),
    ]
    (t,) = read_servicenow(write(tmp_path / "log.csv", rows), groups=directory)
    kinds = [e.kind for e in t.history]
    assert kinds == [
        "open", "assign", "reassign", "start", "escalate", "start", "hand_back", "start", "resolve",
    ]  # fmt: skip
    assert (t.reassignment_count, t.escalation_count, t.tier) == (1, 1, Tier.L1)
    assert t.attributes["tier_source"] == "directory"


def test_holds_reopen_links_and_field_changes(tmp_path: Path) -> None:
    rows = [
        row("INC1", "Active", 0, "1/3/2016 09:00"),
        row("INC1", "Awaiting User Info", 1, "1/3/2016 09:10"),
        row("INC1", "Awaiting Vendor", 2, "1/3/2016 09:20", vendor="Vendor 8"),
        row("INC1", "Active", 3, "1/3/2016 09:30", impact="1 - High", problem_id="Problem ID 2"),
        row("INC1", "Resolved", 4, "1/3/2016 10:00", rfc="CHG1"),
        row("INC1", "Awaiting Problem", 5, "2/3/2016 10:00", caused_by="CHG0"),
        row("INC1", "Resolved", 6, "2/3/2016 11:00", vendor="Vendor 8"),
    ]
    (t,) = read_servicenow(write(tmp_path / "log.csv", rows))
    kinds = [e.kind for e in t.history]
    assert kinds.count("hold") == 2 and "change_hold_reason" in kinds
    assert t.reopen_count == 1 and t.phase is Phase.RESOLVED
    holds = [e.payload.reason for e in t.history if e.kind == "hold"]
    assert holds == [HoldReason.AWAITING_CALLER, HoldReason.AWAITING_PROBLEM]
    assert {(link.kind, link.ref) for link in t.links} == {
        (LinkKind.PROBLEM, "Problem ID 2"),
        (LinkKind.CHANGE, "CHG1"),
        (LinkKind.CAUSED_BY_CHANGE, "CHG0"),
    }
    updates = [e.payload.changes for e in t.history if e.kind == "update"]
    assert [(c.field, c.new) for c in updates[0]][:1] == [("impact", "high")]
    assert t.impact.value == "medium"  # the later rows are medium again
    assert t.attributes["vendor"] == "Vendor 8"  # attributes: the last row's values


def test_rows_are_ordered_by_sys_mod_count_and_read_in_the_callers_zone(tmp_path: Path) -> None:
    rows = [
        row("INC1", "Resolved", 2, "1/7/2016 11:00"),
        row("INC1", "New", 0, "1/7/2016 09:00"),
        row("INC1", "Active", 1, "1/7/2016 09:30"),
    ]
    (t,) = read_servicenow(write(tmp_path / "log.csv", rows), zone=ZoneInfo("Europe/Berlin"))
    assert [e.kind for e in t.history] == ["open", "assign", "start", "resolve"]
    assert t.resolved_at == datetime(2016, 7, 1, 9, tzinfo=UTC)  # 11:00 CEST


def test_gzip_and_plain_give_the_same_tickets(tmp_path: Path) -> None:
    plain = list(read_servicenow(write(tmp_path / "a.csv", SIMPLE)))
    zipped = list(read_servicenow(write(tmp_path / "a.csv.gz", SIMPLE, zipped=True)))
    assert [t.history for t in plain] == [t.history for t in zipped]


def test_missing_columns_always_raise_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", ["INC1,New"], header="number,incident_state")
    with pytest.raises(MalformedExport) as info:
        list(read_servicenow(path, policy=ImportPolicy.LENIENT))
    assert info.value.line == 1 and str(path) in str(info.value)
    assert "sys_mod_count" in str(info.value)


def test_an_empty_file_and_a_missing_file_are_malformed(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(MalformedExport, match="empty"):
        list(read_servicenow(tmp_path / "empty.csv"))
    with pytest.raises(MalformedExport, match="cannot open"):
        list(read_servicenow(tmp_path / "nothing.csv"))


def test_a_truncated_gzip_raises_with_the_line_reached(tmp_path: Path) -> None:
    rows = [row(f"INC{i}", "New", 0, "1/3/2016 09:00") for i in range(3000)]
    whole = write(tmp_path / "whole.csv.gz", rows, zipped=True).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MalformedExport) as info:
        list(read_servicenow(cut))
    assert info.value.path == str(cut) and info.value.line is not None and info.value.line > 1


def test_rows_of_one_incident_must_be_together(tmp_path: Path) -> None:
    rows = [
        row("INC1", "New", 0, "1/3/2016 09:00"),
        row("INC2", "New", 0, "1/3/2016 09:00"),
        row("INC1", "Active", 1, "1/3/2016 09:10"),
    ]
    with pytest.raises(MalformedExport) as info:
        list(read_servicenow(write(tmp_path / "log.csv", rows)))
    assert info.value.line == 4 and "INC1" in str(info.value)


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"sys_updated_at": "2016-03-01 09:10"}, "sys_updated_at"),
        ({"sys_updated_at": "31/2/2016 09:10"}, "sys_updated_at"),
        ({"incident_state": "Frozen"}, "unknown incident_state 'Frozen'"),
        ({"incident_state": "-100"}, "corrupt incident_state '-100'"),
        ({"impact": "7 - Huge"}, "unknown impact"),
        ({"sys_mod_count": "x"}, "sys_mod_count"),
    ],
)
def test_a_bad_row_is_a_deviation_with_its_line(
    tmp_path: Path, bad: dict[str, str], rule: str
) -> None:
    fields = {"state": "Active", **bad}
    state = fields.pop("incident_state", "Active")
    fields.pop("state")
    at = fields.pop("sys_updated_at", "1/3/2016 09:10")
    mod = fields.pop("sys_mod_count", "1")
    rows = [
        row("INC1", "New", 0, "1/3/2016 09:00"),
        row("INC1", state, 1, at, **fields).replace(",1,", f",{mod},", 1),
        row("INC1", "Resolved", 2, "1/3/2016 09:20"),
    ]
    path = write(tmp_path / "log.csv", rows)
    run = read_servicenow(path)
    (t,) = list(run)
    (deviation,) = run.report.deviations
    assert deviation.line == 3 and rule in deviation.rule and deviation.repair == "row ignored"
    assert (run.report.rows_read, run.report.rows_rejected) == (3, 1)
    assert any("[import repair] line 3" in str(getattr(e.payload, "text", "")) for e in t.history)
    with pytest.raises(ConformanceError) as info:
        list(read_servicenow(path, policy=ImportPolicy.STRICT))
    assert info.value.line == 3 and info.value.path == str(path)


def test_a_row_with_the_wrong_number_of_fields_is_a_deviation(tmp_path: Path) -> None:
    rows = [
        row("INC1", "New", 0, "1/3/2016 09:00"),
        "INC1,Active",
        row("INC1", "Resolved", 2, "1/3/2016 09:20"),
    ]
    run = read_servicenow(write(tmp_path / "log.csv", rows))
    assert len(list(run)) == 1
    assert "malformed row" in run.report.deviations[0].rule


def test_on_row_reports_progress_and_the_run_is_iterated_once(tmp_path: Path) -> None:
    rows = [row(f"INC{i}", "New", 0, "1/3/2016 09:00") for i in range(5)]
    seen: list[int] = []
    run = read_servicenow(write(tmp_path / "log.csv", rows), on_row=seen.append)
    assert len(list(run)) == 5
    assert len(seen) == 5 and seen == sorted(seen) and seen[-1] == 5  # rows read, read-ahead incl.
    with pytest.raises(Exception, match="once"):
        list(run)


def test_import_into_sqlite_in_batches(tmp_path: Path) -> None:
    rows = [
        line
        for i in range(7)
        for line in (
            row(f"INC{i}", "New", 0, "1/3/2016 09:00"),
            row(f"INC{i}", "Resolved", 1, "1/3/2016 10:00"),
        )
    ]
    store = SqliteStore(str(tmp_path / "db.sqlite"))
    report = import_into(store, read_servicenow(write(tmp_path / "log.csv", rows)), batch_size=3)
    assert report is not None and (report.rows_read, report.tickets) == (14, 7)
    with store.unit_of_work() as uow:
        assert uow.tickets.count() == 7
        loaded = uow.tickets.get("INC4")
    assert isinstance(loaded, Ticket) and loaded.phase is Phase.RESOLVED
    store.close()
