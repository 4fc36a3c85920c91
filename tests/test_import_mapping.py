"""`ImportMapping`: a mapping file loads into what its keys say, and every mistake in it is a
`MalformedExport` naming the file (and the line where one can be told)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from itil_l2 import Tier, ValidationError
from itil_l2.importers import (
    KEEP,
    GroupDirectory,
    ImportMapping,
    MalformedExport,
    XesMapping,
    write_xes,
)
from itil_l2.tickets import EntryPolicy, Phase, WorkflowConfig

FULL = """\
format = "csv"
entity = "incident"

[columns]
case_id = "Case"
timestamp = "When"
activity = "Status"
sub_state = "Detail"
group = "Team"
resource = "Agent"
ci = "Asset"

[time]
format = "%d.%m.%Y %H:%M"
zone = "Europe/Berlin"

[csv]
delimiter = ";"

[states]
"Open" = "queued"
"Open/Working" = "in_progress"
"Waiting/Vendor" = "on_hold:awaiting_vendor"
"Note" = "keep"
"Done" = "resolved"

[levels]
"1 - High" = "high"

[tiers]
default_tier = "L1"
[tiers.groups]
"Oracle" = "L3"
[[tiers.patterns]]
pattern = " 2nd$"
tier = "L2"

[defaults]
impact = "low"
urgency = "medium"

[workflow]
allow_tier_skip = true
auto_close_after = "3d"
entry_above_l1 = "allowed"
handover_min_description = 0
"""


def write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_mapping_file_loads_into_what_it_says(tmp_path: Path) -> None:
    m = ImportMapping.load(write(tmp_path, FULL))
    assert (m.format, m.entity, m.time_format, m.delimiter) == (
        "csv",
        "incident",
        "%d.%m.%Y %H:%M",
        ";",
    )
    assert m.zone == ZoneInfo("Europe/Berlin")
    assert m.states["Waiting/Vendor"] == "on_hold:awaiting_vendor" and m.states["Note"] == KEEP
    assert m.defaults == {"impact": "low", "urgency": "medium"}
    assert m.workflow == WorkflowConfig(
        allow_tier_skip=True,
        auto_close_after=timedelta(days=3),
        entry_above_l1=EntryPolicy.ALLOWED,
        handover_min_description=0,
    )
    assert isinstance(m.groups, GroupDirectory)
    tiers = [m.groups.tier_of(n) for n in ("Oracle", "Net 2nd", "Desk")]
    assert tiers == [Tier.L3, Tier.L2, Tier.L1]
    xes = m.xes_mapping()
    assert (xes.case_id, xes.activity, xes.lifecycle, xes.group, xes.ci_refs) == (
        "Case",
        "When" and "Status",
        "Detail",
        "Team",
        "Asset",
    )
    assert xes.timestamp == "When" and xes.state is None and xes.impact is None
    assert xes.phase_of({"Status": "Open", "Detail": "Working"}) == ("in_progress", "Open/Working")
    assert xes.phase_of({"Status": "Open", "Detail": "Other"}) == ("queued", "Open")
    options = m.options()
    assert options.get("groups") is m.groups and options.get("config") is m.workflow


def test_an_xes_mapping_keeps_the_xes_defaults_it_does_not_name(tmp_path: Path) -> None:
    m = ImportMapping.load(
        write(tmp_path, 'format = "xes"\n[columns]\ngroup = "team"\ntier = ""\n')
    )
    xes = m.xes_mapping()
    default = XesMapping()
    assert (xes.group, xes.tier) == ("team", None)
    assert (xes.case_id, xes.timestamp, xes.lifecycle) == (
        default.case_id,
        default.timestamp,
        default.lifecycle,
    )
    assert m.groups is None and m.workflow is None and m.options() == {}


def test_a_tier_file_is_read_relative_to_the_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    write(folder, '[[patterns]]\npattern = "^L2-"\ntier = "L2"\n', "tiers.toml")
    mapping = write(folder, 'format = "xes"\n[tiers]\nfile = "tiers.toml"\n')
    m = ImportMapping.load(mapping)
    assert m.groups is not None and m.groups.tier_of("L2-Net") is Tier.L2


BAD = [
    ('format = "servicenow"\n', 1, "need no mapping"),
    ('format = "json"\n', 1, "format is one of"),
    ("entity = 'incident'\n", None, "format is one of"),
    ('format = "xes"\nentity = "problem"\n', 1, "a problem log is read from CSV"),
    ('format = "xes"\nentity = "change"\n', 2, "entity is incident or problem"),
    ('format = "xes"\ncolour = 1\n', 2, "unknown key 'colour'"),
    ('format = "xes"\ncolumns = 3\n', 2, "[columns] is a table"),
    ('format = "xes"\n[columns]\nwhatever = "x"\n', 3, "unknown key 'whatever'"),
    ('format = "xes"\n[columns]\ngroup = 3\n', 3, "is a text"),
    ('format = "xes"\n[columns]\ncase_id = ""\n', 3, "cannot be switched off"),
    ('format = "csv"\n[columns]\ncase_id = "C"\n', None, "names the columns timestamp, activity"),
    (
        'format = "csv"\n[columns]\ncase_id = "C"\ntimestamp = "T"\nactivity = "S"\ngroup = "S"\n',
        6,
        "named for activity and group",
    ),
    (
        'format = "csv"\n[columns]\ncase_id = "C"\ntimestamp = "T"\nactivity = "S"\nkind = "K"\n',
        6,
        "XES traces only",
    ),
    ('format = "xes"\n[states]\n"A" = "?"\n"B" = "done"\n', 3, "1 states have no phase yet ('A')"),
    ('format = "xes"\n[states]\n"A" = "finished"\n', 3, "'A' = 'finished' is no phase"),
    ('format = "xes"\n[states]\n"A" = "on_hold:lunch"\n', 3, "is no phase"),
    ('format = "xes"\n[states]\n"A" = "closed:x"\n', 3, "is no phase"),
    ('format = "xes"\n[levels]\n"1" = "huge"\n', 3, "a level is high, medium or low"),
    ('format = "xes"\n[defaults]\npriority = "high"\n', 3, "cannot be defaulted"),
    ('format = "xes"\n[defaults]\nimpact = "big"\n', 3, "a level is high"),
    ('format = "xes"\n[time]\nformat = "dd.mm.yyyy"\n', 3, "strptime pattern"),
    ('format = "xes"\n[time]\nformat = "%d.%m.%Y"\n', 3, "ISO 8601"),
    ('format = "xes"\n[time]\nzone = "Nowhere/Land"\n', 3, "unknown time zone"),
    ('format = "xes"\n[time]\nzone = "../../etc/passwd"\n', 3, "unknown time zone"),
    ('format = "xes"\n[time]\nzone = 1\n', 3, "zone name"),
    ('format = "xes"\n[time]\nwhen = 1\n', 3, "unknown key 'when'"),
    ('format = "xes"\n[csv]\ndelimiter = ";;"\n', 3, "one character"),
    ('format = "xes"\n[tiers]\nfile = "t.toml"\ndefault_tier = "L1"\n', 2, "not both"),
    ('format = "xes"\n[tiers]\ndefault_tier = "L9"\n', 2, "needs a 'groups' table"),
    ('format = "xes"\n[tiers]\ndefault_tier = "L9"\n[tiers.groups]\n', 2, "is not L1, L2 or L3"),
    ('format = "xes"\n[[tiers.patterns]]\npattern = "("\ntier = "L2"\n', None, "regular expr"),
    ('format = "xes"\n[workflow]\nallow_tier_jump = true\n', 3, "is no switch"),
    ('format = "xes"\n[workflow]\npermissions = "all"\n', 3, "is no switch"),
    ('format = "xes"\n[workflow]\nallow_tier_skip = "yes"\n', 3, "true or false"),
    ('format = "xes"\n[workflow]\nauto_close_after = 5\n', 3, "a period such as"),
    ('format = "xes"\n[workflow]\nauto_close_after = "0d"\n', 3, "a period such as"),
    ('format = "xes"\n[workflow]\nhandover_min_description = -1\n', 3, "whole number"),
    ('format = "xes"\n[workflow]\nhandover_min_description = true\n', 3, "whole number"),
    ('format = "xes"\n[workflow]\nentry_above_l1 = "sometimes"\n', 3, "is one of"),
    ('format = "xes"\n[states]\n"A" = 1\n', 3, "is a text"),
    ('format = "xes"\nformat = "csv"\n', 2, "not valid TOML"),
    ("a = " + "[" * 50_000 + "]" * 50_000, None, "nested too deeply"),
]


@pytest.mark.parametrize(("text", "line", "needle"), BAD)
def test_every_mistake_is_malformed_with_the_file(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(MalformedExport) as caught:
        ImportMapping.load(path)
    assert caught.value.path == str(path), caught.value
    assert needle in str(caught.value)
    assert caught.value.line == line, caught.value


def test_unreadable_mapping_files_are_malformed(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(MalformedExport, match="cannot read"):
        ImportMapping.load(missing)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MalformedExport, match="not UTF-8"):
        ImportMapping.load(binary)
    tiers_missing = write(tmp_path, 'format = "xes"\n[tiers]\nfile = "nope.toml"\n')
    with pytest.raises(MalformedExport, match=r"nope\.toml: cannot read"):
        ImportMapping.load(tiers_missing)


def test_from_code_a_mistake_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="is no phase"):
        ImportMapping("xes", states={"A": "done"})
    with pytest.raises(ValidationError, match="GroupDirectory"):
        ImportMapping("xes", groups={"A": "L2"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="WorkflowConfig"):
        ImportMapping("xes", workflow={"allow_tier_skip": True})  # type: ignore[arg-type]


def test_a_hold_reason_the_mapping_adds_to_its_workflow_is_accepted() -> None:
    from itil_l2.tickets import HoldReason

    reasons = (*WorkflowConfig().hold_reasons, HoldReason("awaiting_parts"))
    config = WorkflowConfig(hold_reasons=reasons)
    m = ImportMapping("xes", states={"Parts": "on_hold:awaiting_parts"}, workflow=config)
    assert m.xes_mapping().phase_of({"concept:name": "Parts"}) == (
        "on_hold:awaiting_parts",
        "Parts",
    )


def test_an_xes_log_reads_through_its_mapping_with_its_zone(tmp_path: Path) -> None:
    """Foreign XES: activity/lifecycle pairs, naive times in the mapping's zone, tiers by suffix."""
    log = tmp_path / "foreign.xes"
    events = [
        ("Accepted", "Queued", "2024-03-01T09:00:00", "Desk"),
        ("Accepted", "In Progress", "2024-03-01T09:30:00", "Desk"),
        ("Accepted", "In Progress", "2024-03-01T10:00:00", "Net 2nd"),
        ("Completed", "Resolved", "2024-03-01T12:00:00", "Net 2nd"),
    ]
    body = "".join(
        f'<event><string key="concept:name" value="{a}"/>'
        f'<string key="lifecycle:transition" value="{lc}"/>'
        f'<date key="time:timestamp" value="{at}"/><string key="team" value="{g}"/></event>'
        for a, lc, at, g in events
    )
    log.write_text(
        f'<log xes.version="1.0"><trace><string key="concept:name" value="T-1"/>{body}</trace></log>'
    )
    mapping = write(
        tmp_path,
        'format = "xes"\n[columns]\ngroup = "team"\n[time]\nzone = "Europe/Berlin"\n'
        '[states]\n"Accepted/Queued" = "queued"\n"Accepted/In Progress" = "in_progress"\n'
        '"Completed/Resolved" = "resolved"\n[[tiers.patterns]]\npattern = " 2nd$"\ntier = "L2"\n',
    )
    run = ImportMapping.load(mapping).read(log)
    (ticket,) = list(run)
    assert ticket.phase is Phase.RESOLVED and ticket.escalation_count == 1
    assert ticket.group is not None and ticket.group.tier is Tier.L2
    berlin = datetime(2024, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert ticket.history[0].at == berlin == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert run.report.rows_read == run.report.rows_accepted == 4


def test_a_mapping_reads_what_write_xes_wrote(tmp_path: Path) -> None:
    from itil_l2.importers import read_xes, simulate

    log = tmp_path / "own.xes"
    write_xes(simulate(30, seed=3), log)
    m = ImportMapping("xes")
    assert [t.history for t in m.read(log)] == [t.history for t in read_xes(log)]
