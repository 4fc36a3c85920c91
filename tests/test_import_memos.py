"""The import's speed-ups remember verdicts; a remembered one is always the computed one (issue 18).

`read_servicenow` maps each combination of the steady columns once (a
template) and reuses it; the replay's vetting remembers the names and texts
found sound; `report_figures` labels each month once. Each test below runs
the fast path after many other values (so memos are warm and hits happen)
and compares it with the plain computation on a fresh object, over hostile
values: blanks, `?`, control characters, NUL, lone surrogates, overlong
names, unknown levels, unusable links.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import MAX_ID_LENGTH
from itil_l2.importers._conformance import Tally
from itil_l2.importers._replay import Replayer
from itil_l2.importers._servicenow_rows import RowMapper
from itil_l2.importers._steps import Step
from itil_l2.kpis import period_of
from itil_l2.report._figures import _MonthLabels
from itil_l2.tickets import Link, LinkKind

COLUMNS = [
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "sys_updated_by",
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "closed_code",
    "vendor",
    "problem_id",
    "rfc",
    "caused_by",
]
INDEX = {name: i for i, name in enumerate(COLUMNS)}

HOSTILE = [
    "?",
    "",
    "  ",
    "Group 1",
    "Group 2",
    "a\x00b",
    "tab\there",
    "\ud800",
    "é",
    "x" * (MAX_ID_LENGTH + 1),
    "x" * MAX_ID_LENGTH,
]
texts = st.sampled_from(HOSTILE) | st.text(max_size=6)
levels = st.sampled_from(["1 - High", "2 - Medium", "3 - Low", "?", "", "4 - None", " 1 - High"])
states = st.sampled_from(["New", "Active", "Resolved", "Closed", "Awaiting Vendor", "-100", "x"])
times = st.sampled_from(["1/3/2016 09:00", "2/3/2016 10:30", "31/2/2016 09:00", "?", "1/3/2016"])
mods = st.sampled_from(["0", "1", "2", " 3", "x", "", "99999999999999999999"])


@st.composite
def export_rows(draw: Any) -> list[str]:
    values = {
        "number": "INC1",
        "incident_state": draw(states),
        "sys_mod_count": draw(mods),
        "sys_updated_at": draw(times),
        "impact": draw(levels),
        "urgency": draw(levels),
    }
    return [values[c] if c in values else draw(texts) for c in COLUMNS]


def _slots(step: Step) -> dict[str, Any]:
    return {name: getattr(step, name) for name in Step.__slots__}


@st.composite
def updates(draw: Any) -> list[list[str]]:
    """Rows as an export has them: each like one of the rows before, a column or two changed."""
    rows = [draw(export_rows())]
    for _ in range(draw(st.integers(0, 30))):
        other = draw(export_rows())
        row = list(draw(st.sampled_from(rows)))
        for i in draw(st.lists(st.integers(0, len(COLUMNS) - 1), max_size=2)):
            row[i] = other[i]
        rows.append(row)
    return rows


@settings(max_examples=150, deadline=None)
@given(st.lists(updates(), min_size=1, max_size=3))
def test_a_row_maps_the_same_with_warm_memos_as_on_a_fresh_mapper(
    cases: list[list[list[str]]],
) -> None:
    rows = [row for case in cases for row in case]
    shared = RowMapper(INDEX, len(COLUMNS), UTC)
    for line, raw in enumerate(rows, 2):
        warm, warm_mod = shared.step(line, list(raw), 7)
        cold, cold_mod = RowMapper(INDEX, len(COLUMNS), UTC).step(line, list(raw), 7)
        assert (_slots(warm), warm_mod) == (_slots(cold), cold_mod)


def _step(values: dict[str, Any]) -> Step:
    step = Step(2, datetime(2026, 3, 1, tzinfo=UTC), None, values.pop("raw_state"))
    for name, value in values.items():
        setattr(step, name, value)
    return step


optional_texts = st.none() | texts
refs = st.tuples(texts) | st.tuples(texts, texts) | st.just((None,))


@st.composite
def vetted_steps(draw: Any) -> Step:
    names = ("actor", "group", "assignee", "category", "subcategory", "l3_name", "l3_reference")
    values: dict[str, Any] = {name: draw(optional_texts) for name in names}
    for name in ("symptom", "resolution_code", "resolution_notes", "note", "vendor_text"):
        values[name] = draw(optional_texts)
    values["raw_state"] = draw(texts)
    values["ci_refs"] = draw(st.none() | refs)
    values["kb_refs"] = draw(st.just(()) | refs)
    values["specialisations"] = draw(st.just(()) | st.tuples(texts))
    ref = draw(st.sampled_from(["PRB1", "CHG2", "PRB 3"]))
    values["links"] = draw(st.just(()) | st.just((Link(LinkKind.PROBLEM, ref),)))
    return _step(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(vetted_steps(), min_size=1, max_size=40))
def test_a_rows_fault_is_the_same_with_remembered_values_as_checked_afresh(
    steps: list[Step],
) -> None:
    warm = Replayer(Tally("memo"))
    for step in steps:
        assert warm._step_fault(step) == Replayer(Tally("fresh"))._first_fault(step)


def test_a_value_never_sound_is_never_let_through() -> None:
    """The fast path's sets hold only values found sound: a bad one, seen again, is refused."""
    replayer = Replayer(Tally("memo"))
    good = _step({"raw_state": "Active", "group": "G1", "ci_refs": ("CI 1",)})
    assert replayer._step_fault(good) is None
    bad_group = _step({"raw_state": "Active", "group": "G\x001", "ci_refs": ("CI 1",)})
    none_ref = _step({"raw_state": "Active", "group": "G1", "ci_refs": (None,)})
    for _ in range(2):
        assert (
            replayer._step_fault(bad_group) == "group must not hold '\\x00' (a control character)"
        )
        assert replayer._step_fault(none_ref) == "reference must be a non-blank string"


zones = (
    st.sampled_from(
        [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone.min]
    )
    | st.timezones()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.datetimes(timezones=zones), min_size=1, max_size=30))
def test_a_month_label_is_the_one_period_of_gives(instants: list[datetime]) -> None:
    labels = _MonthLabels()
    for at in instants:
        assert labels(at) == period_of(at, "month").start.strftime("%Y-%m")
