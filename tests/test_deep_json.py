"""JSON nested deeper than any parser follows, wherever the library reads JSON it did not write.

A parser gives up on such text with `RecursionError`, which is no `ValueError`:
each place must still answer with its typed error (`CorruptHistory` for a
stored row, `ValidationError` for a cursor), never a traceback.
"""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest

from breaking import example_store
from itil_l2.errors import CorruptHistory, ValidationError
from itil_l2.kpis import KpiFacts, facts_row, kpi_facts
from itil_l2.storage import SqliteStore
from itil_l2.testing import example_printer_ticket

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_forged_view_too_deep_to_parse_is_corrupt_history(tmp_path: Path) -> None:
    path = example_store(tmp_path / "desk.sqlite")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE itil_heads SET view = ?", (DEEP,))
    db.close()
    store = SqliteStore(path, read_only=True)
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match="view"):
        uow.tickets.get("INC-EXAMPLE")
    store.close()


def test_a_cursor_too_deep_to_parse_is_a_validation_error(tmp_path: Path) -> None:
    store = SqliteStore(example_store(tmp_path / "desk.sqlite"))
    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()
    with store.unit_of_work() as uow, pytest.raises(ValidationError, match="not a cursor"):
        uow.tickets.list(cursor=cursor)
    store.close()


@pytest.mark.parametrize("column", ["ci_text", "detail"])
def test_stored_facts_json_too_deep_to_parse_is_corrupt_history(column: str) -> None:
    row = list(facts_row(kpi_facts(example_printer_ticket(resolved=True))))
    row[-2 if column == "ci_text" else -1] = DEEP
    facts = KpiFacts.from_row(tuple(row))
    with pytest.raises(CorruptHistory, match="JSON"):
        facts.ci_refs if column == "ci_text" else facts.intervals  # noqa: B018
