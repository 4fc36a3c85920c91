"""`itil-l2 import --mapping` and `itil-l2 mapping suggest` on foreign logs the test writes.

The logs use another tool's words: other status names, the tier only as a suffix of the team
name, no impact or urgency. The KPIs the command prints are checked against figures this test
computes from the rows it wrote, not from the library.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from itil_l2.cli import main
from itil_l2.storage.sqlite import SqliteStore

START = datetime(2024, 2, 1, 8, 0)
DESK, NET, ORACLE = "Service Desk", "Network 2nd", "Oracle 3rd"
STATES = {  # the foreign vocabulary → phases
    "Logged": "new",
    "Assigned": "queued",
    "In Work": "in_progress",
    "Pending/Customer": "on_hold:awaiting_caller",
    "Solved": "resolved",
    "Archived": "closed",
}
MAPPING = """\
format = "{fmt}"
[columns]
{columns}
[time]
format = "{time}"
[states]
{states}
[[tiers.patterns]]
pattern = " 2nd$"
tier = "L2"
[[tiers.patterns]]
pattern = " 3rd$"
tier = "L3"
[defaults]
impact = "medium"
urgency = "medium"
"""
CSV_COLUMNS = (
    'case_id = "Case ID"\ntimestamp = "Timestamp"\nactivity = "Status"\n'
    'sub_state = "Sub Status"\ngroup = "Team"\nresource = "Agent"'
)
XES_COLUMNS = 'group = "team"'


@dataclass
class Story:
    """One ticket as the foreign tool logged it, and the facts the test expects of it."""

    id: str
    rows: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    escalated: bool = False
    to_l3: bool = False
    reopened: bool = False

    def add(self, at: datetime, status: str, sub: str, team: str) -> None:
        self.rows.append((at, status, sub, team))

    def first(self, status: str) -> datetime:
        return next(at for at, s, _, _ in self.rows if s == status)

    def last(self, status: str) -> datetime:
        return [at for at, s, _, _ in self.rows if s == status][-1]


def stories(n: int, seed: int) -> list[Story]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = Story(f"HD-{i:04d}")
        at = START + timedelta(minutes=37 * i)

        def later(low: int = 5, high: int = 90) -> datetime:
            nonlocal at
            at += timedelta(minutes=rng.randint(low, high))
            return at

        team = DESK
        s.add(at, "Logged", "", team)
        s.add(later(), "Assigned", "", team)
        s.add(later(), "In Work", "", team)
        if rng.random() < 0.3:
            s.add(later(), "Pending", "Customer", team)
            s.add(later(), "In Work", "", team)
        if rng.random() < 0.5:
            s.escalated, team = True, NET
            s.add(later(), "Assigned", "", team)
            s.add(later(), "In Work", "", team)
            if rng.random() < 0.3:
                s.to_l3, team = True, ORACLE
                s.add(later(), "Assigned", "", team)
                s.add(later(), "In Work", "", team)
        s.add(later(), "Solved", "", team)
        if rng.random() < 0.2:
            s.reopened = True
            s.add(later(), "In Work", "", team)
            s.add(later(), "Solved", "", team)
        if rng.random() < 0.8:
            s.add(later(3 * 24 * 60, 3 * 24 * 60), "Archived", "", team)
        out.append(s)
    return out


def expected(tickets: list[Story]) -> dict[str, tuple[float, int]]:
    """The KPIs computed from the rows: (value, sample size)."""
    hours = timedelta(hours=1)
    at_l2 = [s for s in tickets if s.escalated]
    n = len(tickets)
    return {
        "resolution_time": (mean((s.last("Solved") - s.rows[0][0]) / hours for s in tickets), n),
        "response_time": (mean((s.first("In Work") - s.rows[0][0]) / hours for s in tickets), n),
        "resolution_rate": (1.0, n),
        "escalation_rate_l1_l2": (len(at_l2) / n, n),
        "escalation_rate_l2_l3": (sum(s.to_l3 for s in at_l2) / len(at_l2), len(at_l2)),
        "reopen_rate": (sum(s.reopened for s in tickets) / n, n),
        "first_contact_resolution": (
            sum(not s.escalated and not s.reopened for s in tickets) / n,
            n,
        ),
    }


def write_csv(path: Path, tickets: list[Story], *, by_time: bool = True) -> Path:
    rows = [(at, s.id, st, sub, team) for s in tickets for at, st, sub, team in s.rows]
    if by_time:
        rows.sort(key=lambda r: r[0])  # a log sorted by time, not by case
    lines = ["Case ID,Timestamp,Status,Sub Status,Team,Agent"]
    lines += [
        f"{i},{at:%d/%m/%Y %H:%M:%S},{st},{sub},{team},agent-{len(team)}"
        for at, i, st, sub, team in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xes(path: Path, tickets: list[Story]) -> Path:
    traces = []
    for s in tickets:
        events = "".join(
            f'<event><string key="concept:name" value="{st}"/>'
            + (f'<string key="lifecycle:transition" value="{sub}"/>' if sub else "")
            + f'<date key="time:timestamp" value="{at:%Y-%m-%dT%H:%M:%S}"/>'
            f'<string key="team" value="{team}"/><string key="org:resource" value="a{len(team)}"/>'
            "</event>"
            for at, st, sub, team in s.rows
        )
        traces.append(f'<trace><string key="concept:name" value="{s.id}"/>{events}</trace>')
    path.write_text(f'<?xml version="1.0"?><log xes.version="1.0">{"".join(traces)}</log>')
    return path


def mapping_text(fmt: str, states: dict[str, str] = STATES) -> str:
    columns = CSV_COLUMNS if fmt == "csv" else XES_COLUMNS
    time = "%d/%m/%Y %H:%M:%S" if fmt == "csv" else "iso"
    lines = "\n".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in states.items())
    return MAPPING.format(fmt=fmt, columns=columns, time=time, states=lines)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itil-l2: error: "), err
    return lines[0]


def kpis(out: str) -> dict[str, Any]:
    (row,) = json.loads(out)
    return dict(row["kpis"])


def assert_figures(got: dict[str, Any], want: dict[str, tuple[float, int]]) -> None:
    for name, (value, n) in want.items():
        assert got[name]["n"] == n, name
        assert got[name]["value"] == pytest.approx(value, abs=1e-9), name


TICKETS = stories(60, seed=16)


@pytest.mark.parametrize("fmt", ["csv", "xes"])
def test_a_foreign_log_imports_with_a_mapping_and_its_kpis_match_the_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    log = (write_csv if fmt == "csv" else write_xes)(tmp_path / f"log.{fmt}", TICKETS)
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text(fmt))
    code, out, err = cli(capsys, "import", log, "--mapping", mapping)
    assert code == 0, err
    rows = sum(len(s.rows) for s in TICKETS)
    assert f"{rows:,} rows read = {rows:,} accepted + 0 rejected" in out
    assert "0 repaired" in out and ", 0 deviations" in out  # no impact: the defaults, no deviation
    code, out, err = cli(capsys, "kpi", log, "--mapping", mapping, "--format", "json")
    assert code == 0, err
    assert_figures(kpis(out), expected(TICKETS))


def test_the_same_log_sorted_by_case_or_by_time_gives_the_same_kpis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text("csv"))
    outs = []
    for by_time in (True, False):
        log = write_csv(tmp_path / f"log-{by_time}.csv", TICKETS, by_time=by_time)
        code, out, _ = cli(capsys, "kpi", log, "--mapping", mapping, "--format", "json")
        outs.append(out)
    assert code == 0 and outs[0] == outs[1]


def write_to(folder: Path, text: str) -> Path:
    path = folder / "suggested.toml"
    path.write_text(text)
    return path


def fill_states(suggested: str, states: dict[str, str]) -> str:
    """What a user does with a suggestion: give each listed state its phase."""
    listed = re.findall(r'^("[^"\n]*") = "[^"\n]*"  # .*events$', suggested, flags=re.MULTILINE)
    assert sorted(json.loads(k) for k in listed) == sorted(states)
    for key in listed:
        phase = states[json.loads(key)]
        suggested = re.sub(
            rf"^{re.escape(key)} = .*$", f'{key} = "{phase}"', suggested, flags=re.MULTILINE
        )
    return suggested


@pytest.mark.parametrize("fmt", ["csv", "xes"])
def test_a_suggested_mapping_filled_in_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    log = (write_csv if fmt == "csv" else write_xes)(tmp_path / f"log.{fmt}", TICKETS)
    code, suggested, err = cli(capsys, "mapping", "suggest", log)
    assert code == 0, err
    rows = sum(len(s.rows) for s in TICKETS)
    assert f"{rows:,} events in {len(TICKETS)} cases" in suggested
    for team in (DESK, NET, ORACLE):
        count = sum(1 for s in TICKETS for r in s.rows if r[3] == team)
        assert f'#   "{team}"  {count:,}' in suggested
    lines = {line.partition(" = ")[0]: line for line in suggested.splitlines()}
    for raw, shown in [
        ("In Work", '"in_progress"  # guessed; '),
        ("Pending/Customer", '"on_hold"  # guessed; '),
        ("Archived", '"?"  # '),  # no word says what it means: the user says
    ]:
        status, _, sub = raw.partition("/")
        count = sum(1 for s in TICKETS for r in s.rows if (r[1], r[2]) == (status, sub))
        assert lines[f'"{raw}"'] == f'"{raw}" = {shown}{count:,} events'
    code, _, err = cli(capsys, "import", log, "--mapping", write_to(tmp_path, suggested))
    assert code == 1 and "have no phase yet ('Archived')" in one_line(err)
    assert 'pattern = " 2nd$"' in suggested and 'pattern = " 3rd$"' in suggested
    assert "[defaults]" in suggested and 'impact = "medium"' in suggested
    mapping = tmp_path / "m.toml"
    mapping.write_text(fill_states(suggested, STATES))
    code, out, err = cli(capsys, "kpi", log, "--mapping", mapping, "--format", "json")
    assert code == 0, err
    assert_figures(kpis(out), expected(TICKETS))


def test_suggest_writes_a_new_file_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_csv(tmp_path / "log.csv", TICKETS[:3])
    out_file = tmp_path / "m.toml"
    code, out, _ = cli(capsys, "mapping", "suggest", log, "-o", out_file)
    assert code == 0 and f"wrote {out_file}" in out and out_file.exists()
    before = out_file.read_bytes()
    code, _, err = cli(capsys, "mapping", "suggest", log, "-o", out_file)
    assert code == 2 and "never overwrites" in one_line(err) and out_file.read_bytes() == before
    code, _, err = cli(capsys, "mapping", "suggest", tmp_path / "missing.csv")
    assert code == 2 and "not found" in one_line(err)
    broken = tmp_path / "broken.xes"
    broken.write_text("<log><trace>")
    code, _, err = cli(capsys, "mapping", "suggest", broken)
    assert code == 1 and "MalformedExport" in one_line(err)
    code, _, err = cli(capsys, "mapping", "suggest", log, "--format", "xes")
    assert code == 1 and "broken XML" in one_line(err)


def test_nothing_imported_is_exit_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_csv(tmp_path / "log.csv", TICKETS[:5])
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text("csv", {"Something": "resolved"}))
    rows = sum(len(s.rows) for s in TICKETS[:5])
    in_work = sum(1 for s in TICKETS[:5] for r in s.rows if r[1] == "In Work")
    code, out, err = cli(capsys, "import", log, "--mapping", mapping)
    line = one_line(err)
    assert (
        code == 1
        and f"0 tickets imported from {log}: {rows:,} of {rows:,} rows had no mapped state" in line
    )
    assert f"'In Work' ({in_work:,})" in line and "itil-l2 mapping suggest" in line
    assert f"{rows:,} rows read" in out  # the summary still says what happened
    code, out, err = cli(capsys, "kpi", log, "--mapping", mapping)
    assert code == 1 and out == "" and "0 tickets imported" in one_line(err)
    report = tmp_path / "r.html"
    code, _, err = cli(capsys, "report", log, "--mapping", mapping, "-o", report)
    assert code == 1 and "0 tickets imported" in one_line(err) and not report.exists()
    db = tmp_path / "t.sqlite"
    code, _, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    assert code == 1 and "0 tickets imported" in one_line(err)
    for args in (["kpi"], ["report", "-o", report]):
        code, out, err = cli(capsys, *args, "--db", db)
        assert code == 1 and out == "" and "holds no ticket" in one_line(err)


def test_an_empty_log_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    log.write_text("Case ID,Timestamp,Status,Sub Status,Team,Agent\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text("csv"))
    code, _, err = cli(capsys, "import", log, "--mapping", mapping)
    assert code == 1 and "it holds no row or event" in one_line(err)


def test_mapping_mistakes_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_csv(tmp_path / "log.csv", TICKETS[:2])
    good = tmp_path / "m.toml"
    good.write_text(mapping_text("csv"))
    bad = tmp_path / "bad.toml"
    bad.write_text(mapping_text("csv").replace('"Archived" = "closed"', '"Archived" = "archived"'))
    code, _, err = cli(capsys, "import", log, "--mapping", bad)
    line = one_line(err)
    assert (
        code == 1
        and f"MalformedExport: {bad}:" in line
        and "'Archived' = 'archived' is no phase" in line
    )
    cases = [
        (["--mapping", tmp_path / "nope.toml"], "mapping not found"),
        (["--mapping", good, "--tz", "Europe/Berlin"], "--tz"),
        (["--mapping", good, "--format", "xes"], "reads csv"),
        (["--format", "csv"], "needs --mapping"),
        (["--format", "xes", "--tz", "Nowhere/Land"], "unknown time zone"),
    ]
    for extra, needle in cases:
        code, _, err = cli(capsys, "import", log, *extra)
        assert code == 2 and needle in one_line(err), extra
    code, _, err = cli(capsys, "kpi", "--db", tmp_path / "x.sqlite", "--mapping", good)
    assert code == 2 and "--mapping reads an export" in one_line(err)


def test_tz_applies_to_xes_times_without_an_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An XES log in the library's own vocabulary, but with local times: `--tz` says where."""
    events = "".join(
        f'<event><string key="itil:phase" value="{phase}"/>'
        f'<date key="time:timestamp" value="2024-05-01T{clock}"/>'
        '<string key="org:group" value="Desk"/></event>'
        for phase, clock in [("queued", "09:00:00"), ("resolved", "10:30:00")]
    )
    log = tmp_path / "own.xes"
    log.write_text(f'<log><trace><string key="concept:name" value="TZ-1"/>{events}</trace></log>')
    opened = {}
    for zone in ("UTC", "Asia/Tokyo"):
        db = tmp_path / f"{zone.replace('/', '-')}.sqlite"
        code, _, err = cli(capsys, "import", log, "--tz", zone, "--db", db)
        assert code == 0, err
        store = SqliteStore(db, read_only=True)
        try:
            with store.unit_of_work() as uow:
                (ticket,) = list(uow.tickets.find())
        finally:
            store.close()
        opened[zone] = ticket.history[0].at
    assert opened["UTC"] - opened["Asia/Tokyo"] == timedelta(hours=9)
    assert opened["UTC"].hour == 9


def test_the_mapping_is_recorded_with_the_import_and_resume_refuses_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hashlib import sha256

    log = write_csv(tmp_path / "log.csv", TICKETS[:4])
    with log.open("a") as f:
        f.write("HD-9999," + "x" * 200_000 + "\n")  # a field past csv's limit: the import fails
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text("csv"))
    db = tmp_path / "t.sqlite"
    code, _, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    assert code == 1 and "field larger than field limit" in one_line(err)
    store = SqliteStore(db, read_only=True)
    try:
        (run,) = store.imports.runs()
    finally:
        store.close()
    assert (
        run.status == "failed"
        and f"mapping={sha256(mapping.read_bytes()).hexdigest()}" in run.options
    )
    other = tmp_path / "other.toml"
    other.write_text(mapping_text("csv") + "# another mapping\n")
    code, _, err = cli(capsys, "import", log, "--mapping", other, "--db", db, "--resume")
    assert code == 2 and "resume it with the same options" in one_line(err)


def test_the_workflow_of_the_mapping_travels_with_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log that skips L2 needs `allow_tier_skip`; `kpi --db` reads it back without the file."""
    skipping = [Story("SK-1")]
    s = skipping[0]
    for minutes, status, team in [
        (0, "Logged", DESK),
        (10, "In Work", DESK),
        (20, "Assigned", ORACLE),
        (30, "In Work", ORACLE),
        (90, "Solved", ORACLE),
    ]:
        s.add(START + timedelta(minutes=minutes), status, "", team)
    log = write_csv(tmp_path / "log.csv", skipping + TICKETS[:5])
    mapping = tmp_path / "m.toml"
    mapping.write_text(mapping_text("csv") + "[workflow]\nallow_tier_skip = true\n")
    db = tmp_path / "t.sqlite"
    code, out, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    assert code == 0 and ", 0 deviations" in out, out + err
    code, from_db, err = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0, err
    code, in_memory, _ = cli(capsys, "kpi", log, "--mapping", mapping, "--format", "json")
    assert from_db == in_memory and kpis(from_db)["escalation_rate_l1_l2"]["numerator"] >= 1


# -- the how-to page's example ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "howto-foreign-logs.md"
EXAMPLES = ROOT / "docs" / "examples"


def text_block_after(marker: str) -> list[str]:
    """The lines of the first ```text block after `marker` on the how-to page."""
    page = PAGE.read_text(encoding="utf-8")
    rest = page[page.index(marker) + len(marker) :]
    found = re.search(r"```text\n(.*?)```", rest, flags=re.DOTALL)
    assert found is not None, marker
    return found.group(1).splitlines()


def test_the_how_to_example_imports_as_the_page_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert '--8<-- "docs/examples/foreign_mapping.toml"' in page  # the page shows this file
    monkeypatch.chdir(EXAMPLES)
    code, out, err = cli(capsys, "import", "foreign_log.csv", "--mapping", "foreign_mapping.toml")
    assert code == 0, err
    shown = text_block_after("## 3. Import\n\n```text\nitil-l2 import foreign_log.csv")
    assert out.splitlines()[: len(shown)] == shown
    code, out, err = cli(
        capsys, "kpi", "foreign_log.csv", "--mapping", "foreign_mapping.toml", "--format", "json"
    )
    assert code == 0, err
    figures = kpis(out)
    assert (figures["resolution_rate"]["value"], figures["resolution_rate"]["n"]) == (1.0, 12)
    assert figures["escalation_rate_l1_l2"]["numerator"] == 4
    assert round(100 * figures["escalation_rate_l1_l2"]["value"], 1) == 33.3
    assert (
        figures["resolution_rate_l3"]["n"] == 1
        and figures["escalation_rate_l2_l3"]["numerator"] == 0
    )
    assert (
        figures["reopen_rate"]["numerator"] == 2
        and round(100 * figures["reopen_rate"]["value"], 1) == 16.7
    )
    head = text_block_after("## The log")
    assert (EXAMPLES / "foreign_log.csv").read_text().splitlines()[: len(head)] == head


def test_the_how_to_error_lines_are_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    example = (EXAMPLES / "foreign_mapping.toml").read_text()
    Path("mapping.toml").write_text(example.replace('"closed" = "closed"', '"closed" = "archived"'))
    Path("log.csv").write_bytes((EXAMPLES / "foreign_log.csv").read_bytes())
    code, _, err = cli(capsys, "import", "log.csv", "--mapping", "mapping.toml")
    (shown,) = text_block_after("in the file (an unknown key")
    assert code == 1 and one_line(err) == shown
    start, end = example.index("[states]"), example.index("[tiers]")
    Path("mapping.toml").write_text(example[:start] + "[states]\n" + example[end:])
    code, _, err = cli(capsys, "import", "log.csv", "--mapping", "mapping.toml")
    (shown,) = text_block_after("## When nothing imports")
    assert code == 1 and one_line(err) == shown
