"""Breaking `itil-l2 kpi --db F --stored-facts` and `KpiResult.excluded_count`.

Promises under attack (docs/cli.md, `kpi`; docs/kpis.md, stored facts):

- `--stored-facts` gives the values, sample sizes, numerators and exclusion
  counts of the replaying `kpi --db F` for every metric but
  `sla_compliance:resolution`, `recorded_sla_met` and `recorded_kb_used`,
  under every `--by` (tested on drawn tickets with odd names, categories,
  CIs, dates, other tenants, UTF-16 files);
- outdated facts (another version, a ticket without a row) are `OutdatedFacts`
  naming `itil-l2 rebuild-facts`, exit 1; forged rows a typed error, exit 1;
  a database without tickets "holds no ticket", exit 1; PATH or --mapping
  with `--stored-facts` exit 2; a file that is not an itil-l2 database exit 1;
- the database is opened read-only: same bytes, same mtime, same folder (no
  `-wal` or `-shm` appears); an unfinished import is refused unless
  `--allow-incomplete`;
- every mistake is one line on stderr, never a traceback;
- `KpiResult.excluded_count == len(result.excluded)`, always.

The tests under "Found" failed on commit 81a6903 (four bugs, fixed since): each says which
promise it holds.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breaking import cli, run_sql
from itil_l2 import SupportGroup, Tier
from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Urgency
from itil_l2.cli import main
from itil_l2.kpis import Exclusions, KpiResult, kpi_table, standard_metrics
from itil_l2.report import EXTRA_METRICS
from itil_l2.storage import SqliteStore, stored_facts
from itil_l2.testing import example_printer_ticket, example_problem
from itil_l2.tickets import Ticket
from odd_desks import odd_desks
from sql_facts import store_by_tenant

NEEDS_HISTORY = ("sla_compliance:", "recorded_")
DIMS = ("day", "week", "month", "group", "tier", "category", "priority", "ci")
FIXTURE = Path(__file__).parent / "fixtures" / "v0_1_0" / "store.sqlite"


# -- helpers --------------------------------------------------------------------------


def _one_line_error(err: str) -> None:
    assert err.startswith("itil-l2: error: ") and err.endswith("\n"), err
    assert len(err.splitlines()) == 1, err


def _without_history_metrics(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "key": row["key"],
            "kpis": {k: v for k, v in row["kpis"].items() if not k.startswith(NEEDS_HISTORY)},
        }
        for row in rows
    ]


def _state(db: Path) -> tuple[str, int, list[str]]:
    """The file's bytes (hash), its mtime and its folder's listing."""
    return (
        hashlib.sha256(db.read_bytes()).hexdigest(),
        db.stat().st_mtime_ns,
        sorted(os.listdir(db.parent)),
    )


def _utf16(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA encoding = 'UTF-16le'")
    con.execute("CREATE TABLE z (a)")  # the encoding is fixed by the first table
    con.execute("DROP TABLE z")
    con.commit()
    con.close()


def _store(path: Path, by_tenant: dict[str | None, list[Ticket]], *, utf16: bool = False) -> None:
    if utf16:
        _utf16(path)
    store_by_tenant(path, by_tenant)


# -- drawn desks (tests/odd_desks.py) against replay -------------------------------------


def _json(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = cli(capsys, "kpi", "--db", db, "--format", "json", *args)
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(odd_desks(), st.lists(st.sampled_from(DIMS), unique=True, max_size=3), st.booleans())
def test_stored_facts_give_the_replayed_figures_on_drawn_desks(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    desk: dict[str | None, list[Ticket]],
    by: list[str],
    utf16: bool,
) -> None:
    db = tmp_path_factory.mktemp("drawn") / "desk.sqlite"
    _store(db, desk, utf16=utf16)
    before = _state(db)
    grouping = ["--by", ",".join(by)] if by else []
    replayed = _json(capsys, db, *grouping)
    stored = _json(capsys, db, "--stored-facts", *grouping)
    assert stored == _without_history_metrics(replayed)
    names = set(stored[0]["kpis"])
    assert set(replayed[0]["kpis"]) - names <= {
        "sla_compliance:resolution",
        "recorded_sla_met",
        "recorded_kb_used",
    }
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--format", "csv", *grouping)
    assert code == 0 and err == "" and out.count("\n") == len(stored) + 1
    assert _state(db) == before  # read-only: same bytes, mtime and folder


# -- refused input: one line, the right exit code, nothing written ---------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sim") / "desk.sqlite"
    assert main(["simulate", "--tickets", "300", "--seed", "5", "--db", str(db)]) == 0
    return db


def _copy(simulated: Path, tmp_path: Path) -> Path:
    db = tmp_path / "copy.sqlite"
    shutil.copy(simulated, db)
    return db


_FIRST = "WHERE id = (SELECT min(id) FROM itil_kpi_facts)"
_LAST = "WHERE id = (SELECT max(id) FROM itil_kpi_facts)"


@pytest.mark.parametrize(
    ("sql", "by", "error"),
    [
        (f"UPDATE itil_kpi_facts SET facts_version = 2 {_LAST}", "", "OutdatedFacts"),
        (f"UPDATE itil_kpi_facts SET facts_version = 0 {_FIRST}", "", "OutdatedFacts"),
        (f"UPDATE itil_kpi_facts SET facts_version = 'one' {_LAST}", "", "OutdatedFacts"),
        (f"UPDATE itil_kpi_facts SET facts_version = 1.5 {_LAST}", "week", "OutdatedFacts"),
        (f"DELETE FROM itil_kpi_facts {_LAST}", "group", "OutdatedFacts"),
        ("DELETE FROM itil_kpi_facts", "", "OutdatedFacts"),
        ("UPDATE itil_kpi_facts SET tenant = 'acme'", "", "OutdatedFacts"),
        ("DROP TABLE itil_kpi_facts", "", "OutdatedFacts"),
        (f"UPDATE itil_kpi_facts SET tier_mask = -1 {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET reopens = 1e300 {_LAST}", "month", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET reopens = 'x' {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET opened_us = 'yesterday' {_LAST}", "", "CorruptHistory"),
        (
            f"UPDATE itil_kpi_facts SET opened_us = 9223372036854775807 {_LAST}",
            "",
            "CorruptHistory",
        ),
        (f"UPDATE itil_kpi_facts SET end_us = -9223372036854775808 {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET end_kind = 'closed' {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET end_tier = 'L9' {_LAST}", "tier", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET owner_tier = 'l1' {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET end_group = '' {_LAST}", "group", "CorruptHistory"),
        (
            f"UPDATE itil_kpi_facts SET end_group = 'a' || char(10) || 'b' {_LAST}",
            "",
            "CorruptHistory",
        ),
        (f"UPDATE itil_kpi_facts SET l2_work_h = 9e999 {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET l1_queue_h = 'nan' {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET priority = x'50' {_LAST}", "priority", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET detail = x'00ff' {_LAST}", "", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET ci_refs = '[1, 2]' {_LAST}", "ci", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET ci_refs = '[' {_LAST}", "ci", "CorruptHistory"),
        (f"UPDATE itil_kpi_facts SET ci_refs = '{{}}' {_LAST}", "ci", "CorruptHistory"),
    ],
)
def test_a_forged_or_outdated_facts_row_is_a_one_line_typed_error(
    simulated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sql: str,
    by: str,
    error: str,
) -> None:
    db = _copy(simulated, tmp_path)
    run_sql(db, sql)
    before = _state(db)
    code, out, err = cli(
        capsys,
        "kpi",
        "--db",
        db,
        "--stored-facts",
        "--format",
        "json",
        *(["--by", by] if by else []),
    )
    assert (code, out) == (1, "")
    _one_line_error(err)
    assert f"{error}: " in err
    if error == "OutdatedFacts":
        assert "rebuild-facts" in err
    assert _state(db) == before


def test_ghost_facts_rows_of_no_ticket_change_no_figure(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(simulated, tmp_path)
    con = sqlite3.connect(db)
    columns = [r[1] for r in con.execute("PRAGMA table_info(itil_kpi_facts)")]
    rest = ", ".join(c for c in columns if c != "id")
    for suffix in ("~", "", "0"):  # after each id, between ids, and at the end
        con.execute(
            f"INSERT OR IGNORE INTO itil_kpi_facts (id, {rest})"
            f" SELECT id || '{suffix}~', {rest} FROM itil_kpi_facts"
        )
    con.execute(
        f"INSERT INTO itil_kpi_facts (id, {rest}) SELECT '', {rest} FROM itil_kpi_facts LIMIT 1"
    )
    con.commit()
    con.close()
    for by in ([], ["group", "month"], ["ci"]):
        grouping = ["--by", ",".join(by)] if by else []
        assert _json(capsys, db, "--stored-facts", *grouping) == _json(
            capsys, simulated, "--stored-facts", *grouping
        )


def test_another_tenants_outdated_facts_do_not_concern_the_default_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "tenants.sqlite"
    t = example_printer_ticket(resolved=True)
    _store(db, {None: [t], "acme": [example_printer_ticket(resolved=False)]})
    run_sql(db, "UPDATE itil_kpi_facts SET facts_version = 99 WHERE tenant = 'acme'")
    assert _json(capsys, db, "--stored-facts") == _without_history_metrics(_json(capsys, db))
    run_sql(db, "DELETE FROM itil_kpi_facts WHERE tenant = 'acme'")
    assert cli(capsys, "kpi", "--db", db, "--stored-facts")[0] == 0


def _truncated(db: Path) -> None:
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size // 2)


def _garbage(db: Path) -> None:
    db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)


def _empty(db: Path) -> None:
    db.write_bytes(b"")


def _text(db: Path) -> None:
    db.write_text("id,state\nINC1,New\n")


def _other_app(db: Path) -> None:
    db.unlink()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE itil_heads (x)")  # a table of the same name, of another app
    con.commit()
    con.close()


@pytest.mark.parametrize("spoil", [_truncated, _garbage, _empty, _text, _other_app])
def test_a_file_that_is_not_an_itil_database_is_exit_1_untouched(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil: Any
) -> None:
    db = _copy(simulated, tmp_path)
    spoil(db)
    before = _state(db)
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts")
    assert (code, out) == (1, "")
    _one_line_error(err)
    assert _state(db) == before


def test_a_directory_or_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dir.sqlite").mkdir()
    for db in (tmp_path / "dir.sqlite", tmp_path / "missing.sqlite"):
        code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts")
        assert (code, out) == (2, "")
        _one_line_error(err)
    assert sorted(os.listdir(tmp_path)) == ["dir.sqlite"]


@pytest.mark.parametrize(
    "args",
    [
        ["--stored-facts", "export.csv"],
        ["--stored-facts", "export.csv", "--mapping", "m.toml"],
        ["--stored-facts", "--db", "x.sqlite", "--mapping", "m.toml", "--by", "ci"],
        ["--stored-facts", "--db", "x.sqlite", "--by", "ci,ci"],
        ["--stored-facts", "--db", "x.sqlite", "--by", "ticket"],
        ["--stored-facts", "--db", "x.sqlite", "--format", "xml"],
        ["--stored-facts", "--db", "x.sqlite", "export.csv"],
    ],
)
def test_usage_mistakes_with_stored_facts_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    os.chdir(tmp_path)
    code, out, err = cli(capsys, "kpi", *args)
    assert (code, out) == (2, "")
    _one_line_error(err)
    assert not list(tmp_path.iterdir())


def test_a_database_of_problems_or_of_another_tenant_holds_no_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = tmp_path / "problems.sqlite"
    store = SqliteStore(problems)
    with store.unit_of_work() as uow:
        uow.problems.add(example_problem())
        uow.commit()
    store.close()
    elsewhere = tmp_path / "acme.sqlite"
    _store(elsewhere, {"acme": [example_printer_ticket(resolved=True)]})
    for db in (problems, elsewhere):
        before = _state(db)
        code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--by", "group")
        assert (code, out) == (1, "")
        _one_line_error(err)
        assert "holds no ticket" in err
        assert _state(db) == before


def test_an_unfinished_import_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "half.sqlite"
    store = SqliteStore(db)
    store.imports.begin("export.csv", "ab" * 32, "opts")
    with store.unit_of_work() as uow:
        uow.tickets.add(example_printer_ticket(resolved=True))
        uow.commit()
    store.close()
    before = _state(db)
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--format", "json")
    assert (code, out) == (1, "")
    _one_line_error(err)
    assert "IncompleteImport" in err and "--allow-incomplete" in err
    code, out, err = cli(
        capsys, "kpi", "--db", db, "--stored-facts", "--format", "json", "--allow-incomplete"
    )
    assert code == 0 and "warning" in err and len(err.splitlines()) == 1
    assert json.loads(out)[0]["kpis"]["resolution_rate"]["n"] == 1
    assert _state(db) == before


def test_a_database_from_before_stored_facts_is_outdated_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, db)
    before = _state(db)
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts")
    assert (code, out) == (1, "")
    _one_line_error(err)
    assert "OutdatedFacts" in err and "rebuild-facts" in err
    assert cli(capsys, "kpi", "--db", db, "--format", "json")[0] == 0  # replay still reads it
    assert _state(db) == before


@pytest.mark.parametrize("journal", ["wal", "delete", "truncate"])
def test_every_journal_mode_and_a_read_only_file_read_without_a_write(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], journal: str
) -> None:
    db = _copy(simulated, tmp_path)
    if journal != "wal":
        con = sqlite3.connect(db)
        con.execute(f"PRAGMA journal_mode = {journal}")
        con.close()
    db.chmod(0o444)
    before = _state(db)
    for fmt in ("json", "csv", "table"):
        for by in ("", "day,ci"):
            grouping = ["--by", by] if by else []
            code, _, err = cli(
                capsys, "kpi", "--db", db, "--stored-facts", "--format", fmt, *grouping
            )
            assert code == 0 and err == ""
    assert _state(db) == before


def test_a_writer_holding_the_database_open_is_read_consistently(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(simulated, tmp_path)
    writer = SqliteStore(db)
    try:
        with writer.unit_of_work() as uow:
            uow.tickets.add(example_printer_ticket(resolved=True))
            uow.commit()  # in the -wal file, not yet checkpointed
        stored = _json(capsys, db, "--stored-facts", "--by", "tier")
        assert stored == _without_history_metrics(_json(capsys, db, "--by", "tier"))
        assert sum(r["kpis"]["reopened_tickets"]["n"] for r in stored) == 301
    finally:
        writer.close()


# -- excluded_count ----------------------------------------------------------------------

_REASONS = st.sampled_from(("still open", "cancelled", "never at L2", "", None))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_REASONS, max_size=7), st.booleans()),
        max_size=6,
    ),
    st.sampled_from(["none", "excluded", "reasons", "ids", "len"]),
)
def test_excluded_count_is_len_excluded_however_the_chunks_and_reads_come(
    chunks_spec: list[tuple[list[str | None], bool]], first: str
) -> None:
    chunks: list[Any] = [
        ([f"T{i}-{j}" for j in range(len(r))], tuple(r) if as_tuple else list(r))
        for i, (r, as_tuple) in enumerate(chunks_spec)
    ]
    want = sum(r is not None for spec, _ in chunks_spec for r in spec)
    exclusions = Exclusions.joined(chunks)
    result = KpiResult("reopen_rate", None, 0, exclusions)
    if first == "excluded":
        result.excluded  # noqa: B018
    elif first == "reasons":
        result.reasons()
    elif first == "ids":
        exclusions.ids  # noqa: B018
    elif first == "len":
        len(exclusions)
    copies = [
        result,
        pickle.loads(pickle.dumps(result)),
        copy.copy(result),
        copy.deepcopy(result),
        KpiResult("reopen_rate", None, 0, pickle.loads(pickle.dumps(Exclusions.joined(chunks)))),
    ]
    for r in copies:
        assert r.excluded_count == len(r.excluded) == want == sum(r.reasons().values())
    assert [e.record_id for e in result.excluded] == [
        i for ids, reasons in chunks for i, r in zip(ids, reasons, strict=True) if r is not None
    ]


def test_excluded_count_read_from_threads_while_others_make_the_exclusions() -> None:
    chunks: list[Any] = [
        ([f"T{i}-{j}" for j in range(50)], [None if j % 3 else "still open" for j in range(50)])
        for i in range(400)
    ]
    want = sum(r is not None for _, reasons in chunks for r in reasons)
    for _ in range(5):
        result = KpiResult("reopen_rate", None, 0, Exclusions.joined(chunks))
        seen: list[int] = []
        start = threading.Barrier(8)

        def read(made: bool, r: KpiResult, gate: threading.Barrier, out: list[int]) -> None:
            gate.wait()
            out.append(len(r.excluded) if made else r.excluded_count)

        threads = [
            threading.Thread(target=read, args=(i % 2 == 0, result, start, seen)) for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == [want] * 8
        assert result.excluded_count == want


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(odd_desks())
def test_every_stored_and_replayed_result_counts_its_exclusions(
    tmp_path_factory: pytest.TempPathFactory, desk: dict[str | None, list[Ticket]]
) -> None:
    db = tmp_path_factory.mktemp("counted") / "desk.sqlite"
    _store(db, desk)
    metrics = [*standard_metrics().values(), *EXTRA_METRICS]
    reader = SqliteStore(db, read_only=True)
    try:
        with reader.unit_of_work() as uow:
            groupings: list[list[Any]] = [[], ["ci", "month"], ["group"]]
            for by in groupings:
                stored = kpi_table(stored_facts(uow, batch_size=3), by=by, metrics=metrics)
                replayed = kpi_table(desk[None], by=by, metrics=metrics)
                for s_row, r_row in zip(stored, replayed, strict=True):
                    for name, s in s_row.results.items():
                        r = r_row.results[name]
                        assert s.excluded_count == r.excluded_count, name
                        assert s.excluded_count == len(s.excluded) == len(r.excluded), name
                        assert s.excluded == r.excluded, name
    finally:
        reader.close()


# -- Found: each failed on 81a6903 (fixed since) -------------------------------------------


def test_deeply_nested_ci_refs_json_is_a_typed_error_not_a_traceback(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: a forged `ci_refs` nested 1,000 deep escapes as `RecursionError` (a traceback).

    `Kept.ci_refs` turns `msgspec.DecodeError` into `CorruptHistory`, but msgspec raises
    `RecursionError` past its depth limit, which `main` does not catch. Promise: any bad
    input is a one-line error (exit 1), never a traceback; a forged row is a typed error.
    """
    db = _copy(simulated, tmp_path)
    deep = "[" * 1000 + "]" * 1000
    run_sql(db, f"UPDATE itil_kpi_facts SET ci_refs = '{deep}' {_LAST}")
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--by", "ci")
    assert (code, out) == (1, "")
    _one_line_error(err)
    assert "CorruptHistory" in err


def test_a_damaged_facts_page_is_refused_input_not_a_usage_error(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: a database whose facts table's page is damaged exits 2, as a usage mistake.

    `opened_db` turns every `sqlite3.DatabaseError` raised while reading into
    `UsageError` ("not an itil-l2 database (database disk image is malformed)"), exit 2,
    while docs/cli.md gives exit 1 for "a file that is not an itil-l2 database" and for
    input the library refused; 2 is for usage mistakes (option, missing file). A file
    damaged at its start is exit 1 (`NotAnItilDatabase`), one damaged further in exit 2.
    """
    db = _copy(simulated, tmp_path)
    con = sqlite3.connect(db)
    (root,) = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'itil_kpi_facts'"
    ).fetchone()
    (size,) = con.execute("PRAGMA page_size").fetchone()
    con.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts")
    assert out == ""
    _one_line_error(err)
    assert code == 1, err


def test_a_leftover_empty_wal_file_makes_no_shm_file_appear(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: with an (empty) `-wal` file beside the database, reading it creates `-shm`.

    docs/cli.md: `kpi` opens the database read-only, "the file's bytes, its modification
    time and its folder are the same afterwards (no -wal or -shm file appears)". A `-wal`
    left without its `-shm` (copied with the database, say) makes `read_only_uri` choose
    `mode=ro` without `immutable`, and SQLite then creates `F-shm` in the folder.
    """
    db = _copy(simulated, tmp_path)
    Path(f"{db}-wal").write_bytes(b"")
    before = _state(db)
    code, _, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--format", "json")
    assert code == 0, err
    assert _state(db) == before


def _desk_named(tmp_path: Path, names: list[str]) -> Path:
    db = tmp_path / "named.sqlite"
    at = datetime(2026, 1, 5, tzinfo=UTC)
    made = [
        Ticket.open(
            id=f"INC-{i}",
            title="t",
            impact=Impact.LOW,
            urgency=Urgency.LOW,
            owner_group=SupportGroup(name, Tier.L1),
            at=at,
            actor=SYSTEM,
            category=name,
            ci_refs=[name],
        )
        for i, name in enumerate(names)
    ]
    _store(db, {None: made})
    return db


@pytest.mark.parametrize("by", ["group", "category", "ci"])
def test_a_name_that_reads_as_rich_markup_is_shown_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], by: str
) -> None:
    """Was a bug: a group, category or CI named `[/]` ends `kpi --by ...` in `MarkupError`.

    The table format (the default) hands names from the log to rich as markup
    (`_wide_table` in cli/_output.py); `[/]` is a valid group name (no control character),
    and rich raises `rich.errors.MarkupError`, which `main` does not catch: a traceback
    (replay and `--stored-facts` alike). Promise: one-line errors, never a traceback.
    """
    db = _desk_named(tmp_path, ["[/]"])
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--by", by)
    assert code == 0, err
    assert "[/]" in out


def test_a_name_that_reads_as_rich_markup_is_not_shown_as_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: groups `desk` and `[bold]desk` are two rows both labelled `desk` in the table.

    rich reads `[bold]` as a style, so the figures of `[bold]desk` are shown under the
    name of another group: a wrong label on a figure (JSON and CSV name it right).
    """
    db = _desk_named(tmp_path, ["desk", "[bold]desk"])
    code, out, err = cli(capsys, "kpi", "--db", db, "--stored-facts", "--by", "group")
    assert code == 0, err
    assert "[bold]desk" in out


@pytest.fixture(autouse=True)
def _back_home() -> Iterator[None]:
    here = os.getcwd()
    yield
    os.chdir(here)
