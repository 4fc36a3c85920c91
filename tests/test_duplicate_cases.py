"""A second case under an id already read is never a second ticket, and never silent.

Readers that group rows by case (CSV) cannot meet one; an XES log can hold two
traces with one `concept:name`. The first is imported; every event of the later
one is a deviation naming the duplicate (lenient, skip), or the import stops
(strict). Nothing of the first ticket is marked repaired or skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itil_l2 import SYSTEM
from itil_l2.importers import ConformanceError, ImportPolicy, read_xes, write_xes
from support import working_ticket


def _log(tmp_path: Path) -> Path:
    first, second, other = working_ticket("INC-1"), working_ticket("INC-1"), working_ticket("INC-2")
    second.add_note("a later trace under the same id", at=second.updated_at, actor=SYSTEM)
    path = tmp_path / "dup.xes"
    write_xes([first, other, second], path)
    return path


@pytest.mark.parametrize("policy", [ImportPolicy.LENIENT, ImportPolicy.SKIP])
def test_the_later_trace_is_deviations_and_the_first_ticket_stays(
    tmp_path: Path, policy: ImportPolicy
) -> None:
    run = read_xes(_log(tmp_path), policy=policy)
    tickets = list(run)
    report = run.report
    assert [t.id for t in tickets] == ["INC-1", "INC-2"]
    assert [e.kind for e in tickets[0].history] == ["open", "assign", "start"]  # the first trace
    duplicates = [d for d in report.deviations if "duplicate" in d.rule]
    assert [d.ticket_id for d in duplicates] == ["INC-1"] * 4  # open, assign, start, note
    assert [d.line for d in duplicates] == [7, 8, 9, 10]  # events 7..10 of the file
    assert report.rows_read == 10 and report.rows_deviated == 4 and report.rows_rejected == 4
    assert report.rows_replayed == 6
    assert report.deviations == tuple(duplicates)  # nothing else deviated
    assert report.skipped == () and report.repairs == 0


def test_strict_stops_at_the_duplicate(tmp_path: Path) -> None:
    run = read_xes(_log(tmp_path), policy=ImportPolicy.STRICT)
    with pytest.raises(ConformanceError, match=r"dup\.xes:7: INC-1: duplicate case id"):
        list(run)
