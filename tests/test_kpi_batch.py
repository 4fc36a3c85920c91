"""A standard metric's batch rule gives exactly what its rule gives, ticket by ticket.

The engine runs a metric's batch rule over a chunk's columns when it has one
(`itil_l2.kpis._batch`), its rule otherwise, so a batch rule that differs in
one ticket's outcome (True for 1, a float for an int, another reason) would
change a published figure. Each test compares outcome by outcome, type
included, on three sources of facts: random histories, simulated tickets
read back from their stored rows, and drawn facts rows that combine values
no simulation produces (a cancelled ticket that was reopened, a ticket with
no group data, masks with every bit).
"""

from __future__ import annotations

import itertools
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import SupportGroup, Ticket, Tier
from itil_l2.errors import CorruptHistory
from itil_l2.importers import simulate
from itil_l2.knowledge import Period
from itil_l2.kpis import (
    FACTS_COLUMNS,
    FACTS_VERSION,
    FactsRows,
    KpiFacts,
    Metric,
    OutdatedFacts,
    _engine,
    facts_row,
    kpi_facts,
    kpi_table,
    measure_facts,
    standard_metrics,
)
from itil_l2.kpis._batch import Columns, Split, batch_of
from itil_l2.kpis._columnar import _FIRST_US, _LAST_US, row_columns
from itil_l2.kpis._rates import escalation_rate_metric, hand_back_rate_metric
from itil_l2.kpis._time import resolution_time_metric, tier_time_metric, time_to_restore_metric
from itil_l2.report import EXTRA_METRICS
from itil_l2.testing import tickets

_GROUPS = (
    SupportGroup("desk", Tier.L1),
    SupportGroup("apps-l2", Tier.L2),
    SupportGroup("vendor-l3", Tier.L3),
    SupportGroup("(no group)", Tier.L1),
)


def _metrics() -> list[Metric]:
    """The standard set and variants with other tiers and statistics."""
    return [
        *standard_metrics().values(),
        *EXTRA_METRICS,  # the command line's set, read from stored facts too
        escalation_rate_metric(Tier.L1, Tier.L3),
        hand_back_rate_metric(Tier.L1),
        resolution_time_metric("p90"),
        tier_time_metric(Tier.L2, "hold", "median"),
    ]


def _typed(outcomes: list[Any]) -> list[tuple[type, Any]]:
    return [(type(o), o) for o in outcomes]


def _outcomes(found: list[Any] | Split) -> list[Any]:
    return found.outcomes() if isinstance(found, Split) else found


def _with(row: tuple[Any, ...], column: str, value: Any) -> tuple[Any, ...]:
    at = FACTS_COLUMNS.index(column)
    return (*row[:at], value, *row[at + 1 :])


def _check(facts: list[KpiFacts]) -> None:
    shared = Columns(facts)  # one chunk for every metric: exclusions shared under one key
    for metric in _metrics():
        batch = batch_of(metric.rule)
        assert batch is not None, metric.name
        want = [metric.rule(f) for f in facts]
        if metric.kind == "distribution":  # what the engine's `Floats` relies on
            assert all(type(o) in (float, str) for o in want), metric.name
        assert _typed(_outcomes(batch(Columns(facts)))) == _typed(want), metric.name
        assert _typed(_outcomes(batch(shared))) == _typed(want), metric.name


def _stored(facts: KpiFacts) -> KpiFacts:
    return KpiFacts.from_row(facts_row(facts))


@settings(max_examples=60, deadline=None)
@given(st.lists(tickets(groups=_GROUPS, max_steps=14), max_size=6))
def test_batch_rules_equal_rules_on_random_histories(drawn: list[Ticket]) -> None:
    facts = [kpi_facts(t) for t in drawn]
    _check(facts)
    _check([_stored(f) for f in facts])


def test_batch_rules_equal_rules_on_simulated_tickets_and_their_stored_rows() -> None:
    facts = [kpi_facts(t) for t in simulate(600, seed=5)]
    _check(facts)
    _check([_stored(f) for f in facts])


_T0 = 1_767_225_600_000_000  # 2026-01-01 UTC in microseconds
_HOURS = (0.0, 0.25, 1.5, 30.0)


@st.composite
def _rows(draw: st.DrawFn) -> tuple[Any, ...]:
    """A facts row of any combination of values its columns may hold."""
    end_kind = draw(st.sampled_from((None, "resolved", "cancelled")))
    hours = st.integers(0, 72).map(lambda h: h * 3_600_000_000)  # around local midnights
    end = None if end_kind is None else _T0 + draw(hours) + draw(st.integers(0, 10**9))
    moment = st.none() | st.integers(0, 10**11).map(lambda d: _T0 + d)
    tier = st.sampled_from(("L1", "L2", "L3"))
    values: dict[str, Any] = {
        "id": draw(st.text("ABC-0123", min_size=1, max_size=6)),
        "facts_version": FACTS_VERSION,
        "opened_us": _T0,
        "end_kind": end_kind,
        "end_us": end,
        "end_group": draw(st.sampled_from(("desk", "(no group)", "apps"))),
        "end_tier": draw(tier),
        "owner_tier": draw(tier),
        "resolved_tier": draw(st.none() | tier),
        "resolution_code": draw(st.none() | st.just("solved")),
        "successful": draw(st.integers(0, 1)),
        "restored_us": draw(moment),
        "responded_us": draw(moment),
        "tier_mask": draw(st.integers(0, 15)),
        "escalation_mask": draw(st.integers(0, 2**16 - 1)),
        "hand_back_mask": draw(st.integers(0, 15)),
        "group_changes": draw(st.integers(0, 3)),
        "ping_pongs": draw(st.integers(0, 2)),
        "reopens": draw(st.integers(0, 2)),
        "category": None,
        "priority": "P3",
        "ci_refs": "[]",
        "detail": '{"i":[],"r":[]}',
    }
    for column in FACTS_COLUMNS:
        if column.endswith("_h"):
            values[column] = draw(st.sampled_from(_HOURS))
    return tuple(values[c] for c in FACTS_COLUMNS)


@settings(max_examples=80, deadline=None)
@given(st.lists(_rows(), min_size=1, max_size=30))
def test_batch_rules_equal_rules_on_drawn_facts_rows(rows: list[tuple[Any, ...]]) -> None:
    _check([KpiFacts.from_row(r) for r in rows])


def test_metrics_with_a_clock_or_codes_have_no_batch_rule() -> None:
    class Clock:
        def between(self, a: datetime, b: datetime) -> timedelta:
            return b - a

    assert batch_of(resolution_time_metric(clock=Clock()).rule) is None
    assert batch_of(tier_time_metric(Tier.L2, clock=Clock()).rule) is None
    assert batch_of(time_to_restore_metric(codes={"solved"}).rule) is None


@pytest.mark.parametrize("by", [(), ("tier", "month"), ("group", "priority")])
def test_kpi_table_is_the_same_with_and_without_batch_rules(
    monkeypatch: pytest.MonkeyPatch, by: tuple[Any, ...]
) -> None:
    facts = [kpi_facts(t) for t in simulate(1500, seed=8)]
    period = Period(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC))
    metrics = _metrics()[:-2]  # names are unique in one measurement
    batched = kpi_table(facts, by=by), measure_facts(facts, metrics, period=period)
    monkeypatch.setattr(_engine, "batch_of", lambda rule: None)
    by_rule = kpi_table(facts, by=by), measure_facts(facts, metrics, period=period)
    assert batched == by_rule
    assert any(r.excluded for r in batched[1].values())


# -- stored rows measured column by column (`FactsRows`, `itil_l2.kpis._columnar`) ---------

_ZONES = (
    UTC,
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=45)),
    ZoneInfo("America/New_York"),
)
_DIMENSIONS = ("day", "week", "month", "group", "tier", "category", "priority")
_EDGES = st.sampled_from((_FIRST_US, _FIRST_US + 1, _LAST_US - 1, _LAST_US))


def _pairs(rows: list[tuple[Any, ...]]) -> list[tuple[str, tuple[Any, ...]]]:
    return [(r[0], r) for r in rows]


def _split(rows: list[Any], cuts: list[int]) -> list[list[Any]]:
    bounds = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    return [rows[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(_rows(), min_size=1, max_size=25),
    edge=st.lists(_EDGES, max_size=3),
    by=st.lists(st.sampled_from(_DIMENSIONS), max_size=3, unique=True),
    tz=st.sampled_from(_ZONES),
    cuts=st.lists(st.integers(0, 30), max_size=3),
    category=st.sampled_from((None, "", "net", "(none)")),
)
def test_rows_measured_column_by_column_equal_the_facts_read_one_by_one(
    rows: list[tuple[Any, ...]],
    edge: list[int],
    by: list[Any],
    tz: Any,
    cuts: list[int],
    category: str | None,
) -> None:
    column = FACTS_COLUMNS.index
    for i, us in enumerate(edge):  # ends at the calendar's edges, in every zone
        row = list(rows[i % len(rows)])
        row[column("end_kind")], row[column("end_us")] = "resolved", us
        rows[i % len(rows)] = tuple(row)
    rows[0] = tuple(
        category if c == "category" else v for c, v in zip(FACTS_COLUMNS, rows[0], strict=True)
    )
    one_by_one = kpi_table([KpiFacts.from_row(r) for r in rows], by=by, tz=tz)
    batches = _split(_pairs(rows), cuts)
    assert all(row_columns(b) is not None for b in batches)  # the column path, not a fallback
    assert kpi_table(FactsRows(batches), by=by, tz=tz) == one_by_one


@pytest.mark.parametrize(
    ("column", "value"),
    [("successful", True), ("l2_work_h", 2), ("tier_mask", 6.0), ("reopens", "2")],
)
def test_a_row_the_column_checks_refuse_is_read_one_by_one(column: str, value: Any) -> None:
    """Values `facts_from_row` converts (a bool for 1, an int for a float) leave the column path."""
    facts = [kpi_facts(t) for t in simulate(60, seed=3)]
    rows = [facts_row(f) for f in facts]
    rows[7] = _with(rows[7], column, value)
    batch = _pairs(rows)
    assert row_columns(batch) is None
    want = kpi_table([KpiFacts.from_row(r) for r in rows], by=["tier"])
    assert kpi_table(FactsRows([batch]), by=["tier"]) == want


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda r: (r[0], None), OutdatedFacts),  # a ticket without stored facts
        (lambda r: ("INC-other", r[1]), CorruptHistory),  # a row of another ticket
        (lambda r: (r[0], (*r[1][:1], FACTS_VERSION + 1, *r[1][2:])), OutdatedFacts),
        (lambda r: (r[0], (*r[1][:1], True, *r[1][2:])), OutdatedFacts),  # True == 1
        (lambda r: (r[0], (*r[1][:2], "noon", *r[1][3:])), CorruptHistory),
        (lambda r: (r[0], (*r[1][:7], "L4", *r[1][8:])), CorruptHistory),
        (lambda r: (r[0], r[1][:-1]), CorruptHistory),
        (lambda r: (r[0], _with(r[1], "reopens", 2.5)), CorruptHistory),  # never rounded to 2
        (lambda r: (r[0], _with(r[1], "tier_mask", 6.5)), CorruptHistory),
    ],
)
def test_a_bad_row_in_a_batch_is_the_same_typed_error_as_read_one_by_one(
    change: Any, error: type[Exception]
) -> None:
    rows = [facts_row(kpi_facts(t)) for t in simulate(40, seed=4)]
    batch = _pairs(rows)
    batch[20] = change(batch[20])
    with pytest.raises(error) as one_by_one:
        list(FactsRows([batch]))
    with pytest.raises(error) as by_columns:
        kpi_table(FactsRows([batch]), by=["month"])
    assert str(by_columns.value) == str(one_by_one.value)


def test_exclusions_given_in_chunks_read_as_one_list_in_order() -> None:
    from itil_l2.kpis import Exclusion, Exclusions

    ids = [["a", "b"], ["c", "-"], ["d", "e", "-", "-"]]
    chunks: list[Any] = list(
        zip(ids, [["x", "y"], ["x", None], ["z", "x", None, None]], strict=True)
    )
    joined = Exclusions.joined(chunks)
    assert joined.made() == tuple(Exclusion(i, r) for i, r in zip("abcde", "xyxzx", strict=True))
    assert (joined.ids, joined.reasons) == (list("abcde"), list("xyxzx"))
    copied = pickle.loads(pickle.dumps(Exclusions.joined(chunks)))
    assert (copied.ids, copied.reasons) == (list("abcde"), list("xyxzx"))
    assert len(Exclusions.joined(chunks)) == 5 == len(joined)
    joined.ids.append("f")  # its own lists: the chunks (shared by metrics) stay as they were
    assert ids == [["a", "b"], ["c", "-"], ["d", "e", "-", "-"]]


@given(
    st.lists(st.lists(st.sampled_from(("cancelled", "still open", None)), max_size=6), max_size=5),
    st.booleans(),
)
def test_the_excluded_count_is_the_number_of_exclusions(
    reasons: list[list[str | None]], read_first: bool
) -> None:
    from itil_l2.kpis import Exclusions, KpiResult

    chunks: list[Any] = [([f"T{i}-{j}" for j in range(len(r))], r) for i, r in enumerate(reasons)]
    result = KpiResult("reopen_rate", None, 0, Exclusions.joined(chunks))
    if read_first:  # made, or still chunks: the same count
        result.excluded  # noqa: B018
    assert (
        result.excluded_count
        == len(result.excluded)
        == sum(r is not None for chunk in reasons for r in chunk)
    )


def test_checked_facts_rows_hand_on_only_rows_of_their_columns_types() -> None:
    from itil_l2.kpis import checked_facts_rows

    rows = [facts_row(kpi_facts(t)) for t in simulate(30, seed=5)]
    assert checked_facts_rows(_pairs(rows)) == rows
    assert checked_facts_rows([]) == []
    for column, value in [("reopens", "2"), ("tier_mask", 6.0), ("l2_work_h", 2)]:
        changed = [*rows]
        changed[9] = _with(rows[9], column, value)  # read alone, each converts: never handed on
        with pytest.raises(CorruptHistory, match="not of its column's type"):
            checked_facts_rows(_pairs(changed))
    changed = [*rows]
    changed[3] = _with(rows[3], "facts_version", FACTS_VERSION - 1)
    with pytest.raises(OutdatedFacts):
        checked_facts_rows(_pairs(changed))
