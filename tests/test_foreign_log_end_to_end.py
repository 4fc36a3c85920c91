"""Issue 16, the first "Done when": a foreign log round trip through the command line.

Tickets are made through the public triggers (same-team requeues, reopens moved at the
same instant to another group and tier, holds, escalations, hand-backs, cancels, a
backlog), written with `write_xes`, rewritten as another tool's log (its own status
words, the tier only as a suffix of the team name, no impact or urgency, no `itil:`
attribute), spoiled with events outside any trace and a second trace under an existing
id, imported with `itil-l2 import --mapping --db`, and measured with `itil-l2 kpi`. The
KPIs must be the originals' exactly (computed here through the public API, as the
command defines them), and the report must name every injected anomaly as a deviation,
and nothing else. A log written as a reader that got the requeue or the reopen row
wrong would read it must give other KPIs: the check can fail.
"""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from foreign_dialect import (
    MAPPING,
    SPOILS,
    Anomalies,
    foreign_group,
    inject,
    originals,
    to_dialect,
)
from itil_l2 import Ticket, kpi_table
from itil_l2.cli import main
from itil_l2.importers import ImportMapping, write_xes
from itil_l2.report import DEFAULT_RESOLUTION_SLA, all_metrics, as_of
from itil_l2.storage.sqlite import SqliteStore

ORIGINALS = originals(80, seed=16)
ORPHANS = 4
NO_TRACE = "(no trace)"  # the ticket id a deviation of an event outside any trace names
LOGS = ["orphans", "all"]


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def expected_kpis(tickets: list[Ticket]) -> dict[str, dict[str, Any]]:
    """What `itil-l2 kpi --format json` prints, computed through the public API."""
    at = as_of(tickets)
    (row,) = kpi_table(tickets, by=[], metrics=all_metrics(DEFAULT_RESOLUTION_SLA, at, tickets))
    return {
        name: {
            "value": r.value,
            "n": r.sample_size,
            "numerator": r.numerator,
            "excluded": len(r.excluded),
            "unit": r.unit,
        }
        for name, r in row.results.items()
    }


def merged_rows(ticket: Ticket) -> int:
    """The reopens the dialect writes as one row with their move."""
    history = ticket.history
    return sum(e.kind == "reopen" and n.at == e.at for e, n in pairwise(history))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("foreign")


@pytest.fixture(scope="module")
def logs(folder: Path) -> dict[str, tuple[Path, Anomalies]]:
    """The clean dialect log, one with orphan events only, one with every anomaly."""
    own = folder / "own.xes"
    write_xes(ORIGINALS, own)
    clean = to_dialect(own, folder / "clean.xes")
    out = {}
    for name, orphans, duplicate in (
        ("clean", 0, None),
        ("orphans", ORPHANS, None),
        ("all", ORPHANS, 5),
    ):
        path = folder / f"{name}.xes"
        out[name] = (path, inject(clean, path, orphans=orphans, duplicate_of=duplicate))
    return out


@pytest.fixture(scope="module")
def mapping(folder: Path) -> Path:
    path = folder / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_the_originals_hold_every_move_the_dialect_must_carry() -> None:
    """The check is only as good as its originals: each move it is about is in them."""
    kinds = {e.kind for t in ORIGINALS for e in t.history}
    assert {"requeue", "reopen", "escalate", "reassign", "hand_back", "hold", "cancel"} <= kinds
    same_instant = {
        (nxt.kind, nxt.payload.group.tier != e_group.tier)
        for t in ORIGINALS
        for e, nxt, e_group in _reopens(t)
    }
    assert ("escalate", True) in same_instant and ("hand_back", True) in same_instant
    assert ("reassign", False) in same_instant
    assert all(t.impact.value == t.urgency.value == "medium" for t in ORIGINALS)
    assert any(t.phase.value in ("queued", "in_progress", "on_hold") for t in ORIGINALS)


def _reopens(ticket: Ticket) -> list[tuple[Any, Any, Any]]:
    """(reopen, the move at the same instant, the group before) of each such reopen."""
    found, group = [], ticket.owner_group
    history = ticket.history
    for e, nxt in pairwise(history):
        if e.kind == "reopen" and nxt.at == e.at:
            found.append((e, nxt, group))
        group = getattr(e.payload, "group", None) or group
    return found


def test_the_dialect_has_none_of_the_librarys_words(
    logs: dict[str, tuple[Path, Anomalies]],
) -> None:
    text = logs["all"][0].read_text(encoding="utf-8")
    assert "itil:" not in text and "org:group" not in text
    assert not re.search(r'value="(requeue|reopen|escalate|in_progress|queued|L[123])"', text)
    for name in ("Service Desk 1st", "Network 2nd", "Database 2nd", "Oracle 3rd"):
        assert f'value="{name}"' in text


@pytest.mark.parametrize("name", LOGS)
def test_a_foreign_log_imports_through_the_cli_with_the_originals_kpis(
    name: str,
    logs: dict[str, tuple[Path, Anomalies]],
    mapping: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log, anomalies = logs[name]
    db = tmp_path / "foreign.sqlite"
    code, out, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    assert code == 0, err
    deviated = anomalies.orphans + anomalies.duplicate_events
    read = anomalies.events_in_file
    assert f"{read:,} rows read = " in out, out
    assert f"= {read - deviated:,} replayed as recorded + {deviated:,} with a deviation" in out
    assert f"{len(ORIGINALS):,} tickets imported" in out, out
    assert f"({len(ORIGINALS):,} tickets written" in out, out

    code, out, err = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["key"] == {}
    assert row["kpis"] == expected_kpis(ORIGINALS)

    store = SqliteStore(db, read_only=True)
    try:
        with store.unit_of_work() as uow:
            imported = {t.id: t for t in uow.tickets.find()}
    finally:
        store.close()
    assert sorted(imported) == sorted(t.id for t in ORIGINALS)
    for original in ORIGINALS:  # the requeues and the reopen rows replay as the moves they were
        ticket = imported[original.id]
        assert [(e.kind, e.at) for e in ticket.history] == [
            (e.kind, e.at) for e in original.history
        ], original.id
        assert (ticket.phase, ticket.tier) == (original.phase, original.tier), original.id
        group = original.group or original.owner_group
        assert (ticket.group or ticket.owner_group).name == foreign_group(group.name)


@pytest.mark.parametrize("name", LOGS)
def test_every_injected_anomaly_is_a_deviation_and_nothing_else(
    name: str, logs: dict[str, tuple[Path, Anomalies]], mapping: Path
) -> None:
    log, anomalies = logs[name]
    run = ImportMapping.load(mapping).read(log)
    tickets = list(run)
    report = run.report
    assert sorted(t.id for t in tickets) == sorted(t.id for t in ORIGINALS)
    orphans = [d for d in report.deviations if d.ticket_id == NO_TRACE]
    assert len(orphans) == anomalies.orphans
    assert tuple(d.line for d in orphans) == anomalies.orphan_numbers
    assert all("outside a trace" in d.rule for d in orphans)
    others = [d for d in report.deviations if d.ticket_id != NO_TRACE]
    assert all(d.ticket_id == anomalies.duplicate_id for d in others), others
    assert all("duplicate" in d.rule.lower() for d in others), others
    assert bool(others) == (anomalies.duplicate_id is not None)
    assert report.rows_read == anomalies.events_in_file
    assert report.rows_deviated == anomalies.orphans + anomalies.duplicate_events
    assert report.rows_read == report.rows_replayed + report.rows_deviated
    assert report.tickets == len(ORIGINALS) and not report.repaired


def test_without_the_anomalies_the_dialect_replays_without_a_deviation(
    logs: dict[str, tuple[Path, Anomalies]], mapping: Path
) -> None:
    """The control: the requeues and the reopen rows with a new group are no deviations."""
    log, _ = logs["clean"]
    run = ImportMapping.load(mapping).read(log)
    assert len(list(run)) == len(ORIGINALS)
    report = run.report
    assert not report.deviations and report.rows_deviated == 0
    rows = sum(len(t.history) - merged_rows(t) for t in ORIGINALS)
    assert report.rows_read == report.rows_replayed == rows


@pytest.mark.parametrize("spoil", SPOILS)
def test_a_log_read_wrong_gives_other_kpis(
    folder: Path, logs: dict[str, tuple[Path, Anomalies]], mapping: Path, spoil: str
) -> None:
    """What a reader that got a requeue or a reopen row wrong would import: other KPIs."""
    assert logs  # own.xes is written
    wrong = folder / f"{spoil.replace(' ', '-')}.xes"
    to_dialect(folder / "own.xes", wrong, spoil=spoil)
    tickets = list(ImportMapping.load(mapping).read(wrong))
    assert len(tickets) == len(ORIGINALS)
    got, want = expected_kpis(tickets), expected_kpis(ORIGINALS)
    differ = sorted(k for k in want if got[k] != want[k])
    assert differ, spoil
