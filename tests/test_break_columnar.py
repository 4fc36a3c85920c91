"""Breaking the column path of stored facts (issue 18) and the lazy `KpiResult` / `Distribution`.

Promises under attack: `kpi_table(FactsRows)` gives exactly the table the
same rows give read one by one (`KpiFacts.from_row`), for every dimension
and zone, with extreme values too; a bad row raises the same typed error
with the same message, never a raw Python error; a `KpiResult` or
`Distribution` behaves as it did before the change (95f58b9).
"""

from __future__ import annotations

import itertools
import math
import pickle
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2.errors import CorruptHistory, ItilL2Error
from itil_l2.importers import simulate
from itil_l2.kpis import (
    FACTS_COLUMNS,
    FACTS_VERSION,
    Distribution,
    Exclusion,
    Exclusions,
    FactsRows,
    KpiFacts,
    KpiResult,
    KpiRow,
    Metric,
    OutdatedFacts,
    facts_row,
    kpi_facts,
    kpi_table,
    standard_metrics,
)
from itil_l2.kpis._columnar import _FIRST_US, _LAST_US, RowColumns, row_columns, row_keyers
from itil_l2.kpis._table import NONE, OPEN, _keyers
from itil_l2.kpis._time import resolution_time_metric, time_to_restore_metric

Row = tuple[Any, ...]
Pair = tuple[Any, Any]
_AT = {name: i for i, name in enumerate(FACTS_COLUMNS)}
_T0 = 1_767_225_600_000_000  # 2026-01-01 UTC in microseconds
_DIMENSIONS = ("day", "week", "month", "group", "tier", "category", "priority")


def _put(row: Row, **values: Any) -> Row:
    out = list(row)
    for name, value in values.items():
        out[_AT[name]] = value
    return tuple(out)


def _pairs(rows: list[Row]) -> list[Pair]:
    return [(r[0], r) for r in rows]


def _simulated(n: int, seed: int) -> list[Row]:
    return [facts_row(kpi_facts(t)) for t in simulate(n, seed=seed)]


def _canon(table: list[KpiRow]) -> list[Any]:
    """A table as plain data, NaN-safe (repr), with every figure a `KpiRow` holds."""
    return [
        (
            dict(row.key),
            {
                name: (
                    r.definition,
                    repr(r.value),
                    r.sample_size,
                    r.numerator,
                    r.excluded,
                    None if r.distribution is None else repr(r.distribution.values),
                    r.unit,
                )
                for name, r in row.results.items()
            },
        )
        for row in table
    ]


# -- extreme values: the column path against the facts read one by one ----------------------

_FLOATS = st.sampled_from((0.0, -0.0, 0.25, -3.5, 1e300, 5e-324, 2.0**53 + 1))
_INTS = st.sampled_from((0, 1, 2, 3, 2**63 - 1, 2**40, 15, 7))  # counts and masks: 0..2**63-1
_REFUSED_INTS = (-1, -(2**70), 2**64 - 1, 2**100, 10**400)  # a facts row holds none of these
_REFUSED_FLOATS = (math.inf, -math.inf, math.nan)


@st.composite
def _extreme_rows(draw: st.DrawFn) -> Row:
    """A facts row the column checks accept, with values no simulation makes."""
    end_kind = draw(st.sampled_from((None, "resolved", "cancelled")))
    anywhere = st.integers(_FIRST_US, _LAST_US)
    near = st.integers(-(10**12), 10**12).map(lambda d: _T0 + d)
    opened = draw(near)
    end = None if end_kind is None else draw(near | anywhere)
    moment = st.none() | near | st.sampled_from((_FIRST_US, _LAST_US))
    tier = st.sampled_from(("L1", "L2", "L3"))
    values: dict[str, Any] = {
        "id": draw(st.text("AB-01é", min_size=1, max_size=4)),
        "facts_version": FACTS_VERSION,
        "opened_us": opened,
        "end_kind": end_kind,
        "end_us": end,
        "end_group": draw(st.sampled_from(("desk", "(no group)", "apps", "(none)", "x" * 60))),
        "end_tier": draw(tier),
        "owner_tier": draw(tier),
        "resolved_tier": draw(st.none() | tier),
        "resolution_code": draw(st.none() | st.sampled_from(("solved", ""))),
        "successful": draw(st.sampled_from((0, 1, 2, -1))),
        "restored_us": draw(moment),
        "responded_us": draw(moment),
        "tier_mask": draw(_INTS),
        "escalation_mask": draw(_INTS),
        "hand_back_mask": draw(_INTS),
        "group_changes": draw(_INTS),
        "ping_pongs": draw(_INTS),
        "reopens": draw(_INTS),
        "category": draw(st.sampled_from((None, "", "net", NONE, OPEN))),
        "priority": draw(st.sampled_from(("P1", "P5", "", NONE))),
        "ci_refs": draw(st.sampled_from(("[]", '["ci-1","ci-2"]'))),
        "detail": '{"i":[[2,1,0,3600000000]],"r":[[60000000,"solved"]]}',
    }
    for column in FACTS_COLUMNS:
        if column.endswith("_h"):
            values[column] = draw(_FLOATS)
    return tuple(values[c] for c in FACTS_COLUMNS)


def _fixed_zones() -> st.SearchStrategy[tzinfo]:
    offsets = st.integers(-86_399_999_999, 86_399_999_999).map(
        lambda us: timezone(timedelta(microseconds=us))
    )
    return (
        st.sampled_from((UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))))
        | offsets
    )


def _custom() -> Metric:
    """A host's metric (no batch rule) reading what only facts give."""

    def rule(f: KpiFacts) -> bool | str:
        return "no CI" if not f.ci_refs else f.end_kind == "resolved"

    return Metric("host_has_ci_resolved", "rate", rule)


class _Clock:
    def between(self, a: datetime, b: datetime) -> timedelta:
        return (b - a) / 2


def _mixed_metrics() -> list[Metric]:
    """Standard metrics with batch rules and metrics without one, interleaved."""
    standard = list(standard_metrics().values())
    return [
        _custom(),
        *standard[:5],
        resolution_time_metric("p99.9", clock=_Clock()),
        *standard[5:],
        attrs.evolve(time_to_restore_metric("median", codes={"solved"}), name="restored_by_code"),
    ]


@settings(max_examples=120, deadline=None)
@given(
    rows=st.lists(_extreme_rows(), min_size=1, max_size=20),
    by=st.lists(st.sampled_from((*_DIMENSIONS, "ci")), max_size=3, unique=True),
    tz=_fixed_zones() | st.sampled_from((ZoneInfo("Europe/Berlin"), ZoneInfo("Pacific/Apia"))),
    cuts=st.lists(st.integers(0, 20), max_size=3),
    refused=st.lists(st.integers(0, 20), max_size=2),
)
def test_extreme_rows_measured_by_columns_equal_the_rows_read_one_by_one(
    rows: list[Row], by: list[Any], tz: tzinfo, cuts: list[int], refused: list[int]
) -> None:
    """Batches by columns and batches the checks refuse (a bool for 1) mixed, in every zone."""
    metrics = _mixed_metrics()
    assert all(row_columns([p]) is not None for p in _pairs(rows))  # each row: column path
    for j in refused:  # read the same, but its batch leaves the column path
        i = j % len(rows)
        rows[i] = _put(rows[i], successful=bool(rows[i][_AT["successful"]]))
    bounds = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    batches = [_pairs(rows[a:b]) for a, b in itertools.pairwise(bounds)]
    try:
        want: Any = _canon(
            kpi_table([KpiFacts.from_row(r) for r in rows], by=by, tz=tz, metrics=metrics)
        )
    except Exception as exc:  # the same error, both ways
        want = (type(exc), str(exc))
    try:
        got: Any = _canon(kpi_table(FactsRows(batches), by=by, tz=tz, metrics=metrics))
    except Exception as exc:
        got = (type(exc), str(exc))
    assert got == want


# -- period keys: the per-day memo of fixed-offset zones, DST in named zones ----------------------


def _keys_both_ways(ends: list[int | None], by: list[Any], tz: tzinfo) -> tuple[Any, Any]:
    row = _simulated(1, seed=1)[0]
    rows = [
        _put(row, id=f"T{i}", end_us=us, end_kind=None if us is None else "resolved")
        for i, us in enumerate(ends)
    ]
    found = row_columns(_pairs(rows))
    assert found is not None
    keyers = row_keyers(by, tz, NONE, OPEN)
    assert keyers is not None
    columns = RowColumns(*found)
    by_columns = list(zip(*(k(columns) for k in keyers), strict=True))
    facts = [KpiFacts.from_row(r) for r in rows]
    one_by_one = [tuple(k(f)[0] for k in _keyers(by, tz)) for f in facts]
    return by_columns, one_by_one


@settings(max_examples=150, deadline=None)
@given(
    ends=st.lists(
        st.none()
        | st.integers(_FIRST_US, _LAST_US)
        | st.integers(-(10**6), 10**6).map(lambda d: _LAST_US - abs(d))
        | st.integers(-(10**6), 10**6).map(lambda d: _FIRST_US + abs(d))
        | st.integers(-(2 * 86_400_000_000), 2 * 86_400_000_000).map(lambda d: _T0 + d),
        min_size=1,
        max_size=40,
    ),
    tz=_fixed_zones(),
)
def test_memoised_period_keys_of_fixed_offsets_equal_period_of(
    ends: list[int | None], tz: tzinfo
) -> None:
    by_columns, one_by_one = _keys_both_ways(ends, ["day", "week", "month"], tz)
    assert by_columns == one_by_one


def _transitions(zone: str, year: int) -> list[int]:
    """UTC microseconds around every offset change of `zone` in `year` (hourly steps)."""
    tz = ZoneInfo(zone)
    hour = 3_600_000_000
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    out: list[int] = []
    previous = None
    for h in range(0, 366 * 24):
        us = start + h * hour
        offset = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).astimezone(tz)
        if previous is not None and offset.utcoffset() != previous:
            out.extend(us + d for d in (-hour - 1, -hour, -1, 0, 1, hour - 1, hour))
        previous = offset.utcoffset()
    return out


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia"]
)
def test_period_keys_at_dst_transitions_of_named_zones(zone: str) -> None:
    ends: list[int | None] = [*_transitions(zone, 2011), *_transitions(zone, 2026), None]
    by_columns, one_by_one = _keys_both_ways(ends, ["day", "week", "month"], ZoneInfo(zone))
    assert by_columns == one_by_one


# -- bad rows: the same typed error and message, and never a raw Python error --------------------


class _Text(str):
    pass


_BAD: list[tuple[str, Callable[[Pair], Pair], type[Exception]]] = [
    ("opened_us is a bool", lambda p: (p[0], _put(p[1], opened_us=True)), CorruptHistory),
    ("end_us is a float", lambda p: (p[0], _put(p[1], end_us=float(p[1][4] or 1))), CorruptHistory),
    (
        "end_us is NaN",
        lambda p: (p[0], _put(p[1], end_kind="resolved", end_us=math.nan)),
        CorruptHistory,
    ),
    ("restored past 9999", lambda p: (p[0], _put(p[1], restored_us=_LAST_US + 1)), CorruptHistory),
    ("opened before year 1", lambda p: (p[0], _put(p[1], opened_us=_FIRST_US - 1)), CorruptHistory),
    ("responded 10**30", lambda p: (p[0], _put(p[1], responded_us=10**30)), CorruptHistory),
    ("id a str subclass", lambda p: (p[0], _put(p[1], id=_Text(p[0]))), CorruptHistory),
    ("id not text", lambda p: (7, _put(p[1], id=7)), CorruptHistory),
    ("pair id differs", lambda p: (p[0] + "x", p[1]), CorruptHistory),
    ("version 1.0", lambda p: (p[0], _put(p[1], facts_version=1.0)), OutdatedFacts),
    ("version 0", lambda p: (p[0], _put(p[1], facts_version=0)), OutdatedFacts),
    ("no row", lambda p: (p[0], None), OutdatedFacts),
    ("row too long", lambda p: (p[0], (*p[1], None)), CorruptHistory),
    ("group blank", lambda p: (p[0], _put(p[1], end_group=" ")), CorruptHistory),
    ("group control", lambda p: (p[0], _put(p[1], end_group="a\x00b")), CorruptHistory),
    ("group not text", lambda p: (p[0], _put(p[1], end_group=3)), CorruptHistory),
    ("end tier lower", lambda p: (p[0], _put(p[1], end_tier="l2")), CorruptHistory),
    ("owner tier None", lambda p: (p[0], _put(p[1], owner_tier=None)), CorruptHistory),
    ("resolved tier list", lambda p: (p[0], _put(p[1], resolved_tier=["L1"])), CorruptHistory),
    ("end kind a list", lambda p: (p[0], _put(p[1], end_kind=["resolved"])), CorruptHistory),
    ("priority None", lambda p: (p[0], _put(p[1], priority=None)), CorruptHistory),
    ("category bytes", lambda p: (p[0], _put(p[1], category=b"net")), CorruptHistory),
    ("mask a text", lambda p: (p[0], _put(p[1], tier_mask="3.5")), CorruptHistory),
]


@pytest.mark.parametrize(
    ("change", "error"), [(c, e) for _, c, e in _BAD], ids=[n for n, _, _ in _BAD]
)
@pytest.mark.parametrize("by", [(), ("day", "tier"), ("category",)])
def test_a_forged_row_among_good_batches_is_the_error_read_one_by_one(
    change: Callable[[Pair], Pair], error: type[Exception], by: tuple[Any, ...]
) -> None:
    pairs = _pairs(_simulated(30, seed=11))
    pairs[17] = change(pairs[17])
    batches = [pairs[:10], [], pairs[10:25], pairs[25:]]  # good, empty, bad, good
    with pytest.raises(ItilL2Error) as one_by_one:
        list(FactsRows(batches))
    with pytest.raises(ItilL2Error) as by_columns:
        kpi_table(FactsRows(batches), by=by)
    assert type(one_by_one.value) is error
    assert type(by_columns.value) is error
    assert str(by_columns.value) == str(one_by_one.value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        *(("group_changes", v) for v in _REFUSED_INTS),
        ("tier_mask", -1),
        *(("l2_total_h", v) for v in _REFUSED_FLOATS),
    ],
)
def test_a_count_or_hours_no_facts_row_holds_is_corrupt_history_both_ways(
    column: str, value: Any
) -> None:
    """Found by this file: 10**400 changes (a raw OverflowError in float()) and infinite hours
    (a raw ValueError in fsum) passed every check; both are refused as the row is read now."""
    rows = _simulated(20, seed=3)
    ended = next(i for i, r in enumerate(rows) if r[_AT["end_kind"]] is not None)
    rows[ended] = _put(rows[ended], **{column: value})
    assert row_columns(_pairs(rows)) is None  # the column checks refuse it
    with pytest.raises(CorruptHistory) as one_by_one:
        list(FactsRows([_pairs(rows)]))
    with pytest.raises(CorruptHistory) as by_columns:
        kpi_table(FactsRows([_pairs(rows)]), metrics=["reassignment_count", "l2_total_time"])
    assert str(by_columns.value) == str(one_by_one.value)


def test_two_bad_rows_in_two_batches_are_each_a_typed_error_whichever_comes_first() -> None:
    """Found by this file, kept as documented: batches are measured as they are read.

    A detail that is not JSON (read only by a metric without a batch rule) in
    batch 1 and a missing row in batch 2: read one by one, the missing row is
    met first (`OutdatedFacts`); by columns, batch 1 is measured before batch 2
    is read (`CorruptHistory`). Holding every batch until all are read would
    end streaming; both are typed errors naming what to do (docs/kpis.md).
    """
    rows = _simulated(20, seed=3)
    ended = next(i for i, r in enumerate(rows) if r[_AT["end_kind"]] is not None)
    rows[ended] = _put(rows[ended], detail="not json")
    pairs = _pairs(rows)
    pairs[-1] = (pairs[-1][0], None)
    metrics = [time_to_restore_metric(codes={"solved"})]
    batches = [pairs[:10], pairs[10:]]
    assert ended < 10
    with pytest.raises(OutdatedFacts):  # facts read one by one, as before issue 18
        kpi_table(iter(FactsRows(batches)), metrics=metrics)
    with pytest.raises(CorruptHistory, match="detail is not JSON"):
        kpi_table(FactsRows(batches), metrics=metrics)
    with pytest.raises(OutdatedFacts):  # alone, each is the error read one by one gives
        kpi_table(FactsRows([pairs[10:]]), metrics=metrics)


def test_batches_that_are_iterators_are_measured_not_dropped() -> None:
    """BUG: `row_columns` reads a batch twice; an iterator batch is emptied, the fallback reads none."""
    rows = _simulated(30, seed=3)
    want = kpi_table([KpiFacts.from_row(r) for r in rows], metrics=["resolution_rate"])
    assert len(list(FactsRows([iter(_pairs(rows))]))) == 30  # iterating reads all 30
    assert kpi_table(FactsRows([iter(_pairs(rows))]), metrics=["resolution_rate"]) == want


# -- stored hours near the float range: the mean of the unsorted values --------------------------


def test_distribution_mean_is_the_sorted_mean_where_that_does_not_overflow() -> None:
    """BUG: `math.fsum` overflows in some orders only; before the change the values were sorted."""
    values = [1e308, 1e308, -1e308]
    assert math.fsum(sorted(values)) == 1e308  # what 95f58b9 computed
    d = Distribution(values)
    assert d.mean == 1e308 / 3
    assert d.statistic("sum") == 1e308


def test_kpi_table_over_stored_hours_near_float_max_gives_a_value() -> None:
    """BUG (the same, end to end): stored L2 times of 1e308, 1e308, -1e308 and 0 hours."""
    rows = [_put(r, l2_total_h=0.0) for r in _simulated(60, seed=3)]
    ended = [i for i, r in enumerate(rows) if r[_AT["end_kind"]] is not None]
    for i, hours in zip(ended[:3], (1e308, 1e308, -1e308), strict=True):
        rows[i] = _put(rows[i], owner_tier="L2", l2_total_h=hours)
    zeros = [_put(r, l2_total_h=0.0) for r in rows]
    n = kpi_table(FactsRows([_pairs(zeros)]), metrics=["l2_total_time"])[0].results
    assert row_columns(_pairs(rows)) is not None
    table = kpi_table(FactsRows([_pairs(rows)]), metrics=["l2_total_time"])
    assert table[0].results["l2_total_time"].value == 1e308 / n["l2_total_time"].sample_size


# -- KpiResult and Distribution as before the change (95f58b9) -----------------------------------


def test_a_result_built_with_a_list_of_exclusions_reads_as_before() -> None:
    """BUG: `_made` calls `.made()` on anything not a tuple; 95f58b9 kept and compared the list."""
    listed = [Exclusion("INC-1", "still open")]
    r = KpiResult("resolution_rate", 0.5, 2, listed, numerator=1)  # type: ignore[arg-type]
    assert list(r.excluded) == listed
    assert r.reasons() == {"still open": 1}
    assert r == KpiResult("resolution_rate", 0.5, 2, listed, numerator=1)  # type: ignore[arg-type]
    assert "INC-1" in repr(r)


def test_a_result_built_with_a_tuple_subclass_of_exclusions_reads_as_before() -> None:
    """BUG (the same fault): `type(found) is tuple` refuses a tuple subclass."""

    class Listed(tuple[Exclusion, ...]):
        pass

    r = KpiResult("x", None, 0, Listed((Exclusion("A", "cancelled"),)))
    assert r.excluded == (Exclusion("A", "cancelled"),)
    assert r == KpiResult("x", None, 0, (Exclusion("A", "cancelled"),))


def test_lazy_and_made_exclusions_are_equal_with_one_stable_hash() -> None:
    made = (Exclusion("A", "still open"), Exclusion("B", "cancelled"))
    lazy = KpiResult("x", None, 0, Exclusions(["A", "B"], ["still open", "cancelled"]))
    other = KpiResult("x", None, 0, Exclusions(["A", "B"], ["still open", "cancelled"]))
    eager = KpiResult("x", None, 0, made)
    before = hash(lazy)
    assert lazy == eager and eager == lazy and hash(other) == hash(eager) == before
    assert lazy.reasons() == eager.reasons() == {"still open": 1, "cancelled": 1}
    assert lazy.excluded == made and type(lazy.excluded[0]) is Exclusion
    assert hash(lazy) == before and lazy == other and {lazy, other, eager} == {eager}
    assert repr(lazy) == repr(eager)
    assert attrs.evolve(other, value=1.0).excluded == made
    assert pickle.loads(pickle.dumps(other)) == eager


def test_a_lazy_result_pickles_with_every_protocol_as_before() -> None:
    """BUG (minor): `Exclusions` has __slots__ and no __getstate__: protocols 0 and 1 refuse it."""
    lazy = KpiResult("x", None, 0, Exclusions(["A"], ["still open"]))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(lazy, protocol)) == lazy, protocol


def test_a_result_pickled_before_the_change_still_loads() -> None:
    """BUG (minor): the state of a 95f58b9 pickle names `excluded` / `values`, now `_excluded` / `_given`."""
    r: KpiResult = object.__new__(KpiResult)
    r.__setstate__(  # type: ignore[attr-defined]
        {
            "definition": "x",
            "value": 1.0,
            "sample_size": 1,
            "excluded": (Exclusion("A", "still open"),),
            "numerator": None,
            "distribution": None,
            "unit": "ratio",
        }
    )
    assert r.excluded == (Exclusion("A", "still open"),)
    d: Distribution = object.__new__(Distribution)
    d.__setstate__({"values": (1.0, 2.0)})  # type: ignore[attr-defined]
    assert d.values == (1.0, 2.0)


def test_public_names_of_the_lazy_fields_are_as_before() -> None:
    """Constructor keywords, evolve, pickle state and repr speak of `excluded` and `values`.

    (attrs itself sees the private slots `_excluded` and `_given`: `attrs.asdict`
    keys and `__match_args__` changed; CHANGELOG says so.)
    """
    r = KpiResult("x", None, 0, excluded=Exclusions(["a"], ["r"]))
    assert attrs.evolve(r, excluded=()).excluded == ()
    assert set(r.__getstate__()) >= {"excluded", "definition"}
    assert "excluded=(Exclusion(record_id='a', reason='r'),)" in repr(r)
    d = Distribution(values=[2.0, 1.0])
    assert attrs.evolve(d, values=[3.0]).values == (3.0,)
    assert d.__getstate__() == {"values": (1.0, 2.0)}


def test_the_repr_of_a_result_subclass_names_the_subclass() -> None:
    """BUG (minor): the hand-written __repr__ hard-codes "KpiResult(" (attrs used the class name)."""

    class Mine(KpiResult):
        pass

    assert repr(Mine("x", None, 0)).startswith("Mine(")


@pytest.mark.parametrize(
    "given_",
    [
        lambda: (v for v in (3, 1, 2)),
        lambda: [True, False, True],
        lambda: (3.0, 1.0, 2.0),
        lambda: (1.0, 2.0, 3.0),
        lambda: (-0.0, 0.0),
        lambda: (0.0, -0.0),
        lambda: [math.nan, 1.0],
        lambda: (1.0, math.nan),
        lambda: {2.5: "a", 1.5: "b"},
        lambda: [],
    ],
)
def test_distribution_from_any_iterable_is_the_sorted_floats_as_before(
    given_: Callable[[], Any],
) -> None:
    src = list(given_())
    old = tuple(sorted(map(float, src)))  # what 95f58b9 stored
    d, fresh = Distribution(given_()), Distribution(given_())
    before = hash(fresh)
    assert repr(d.values) == repr(old)
    assert d.count == len(old) and repr(d) == f"Distribution(values=<{len(old)} values>)"
    if not any(map(math.isnan, old)):
        assert d == fresh and d == Distribution(old) and hash(fresh) == before == hash(d)
        assert d.mean == (math.fsum(old) / len(old) if old else None)
        assert d.median == (None if not old else Distribution(list(old)).percentile(50))
        assert pickle.loads(pickle.dumps(fresh)) == d


def test_results_read_lazily_from_several_threads_agree() -> None:
    rows = _simulated(300, seed=9)
    table = kpi_table(FactsRows([_pairs(rows)]), by=["tier"])
    want = _canon(kpi_table([KpiFacts.from_row(r) for r in rows], by=["tier"]))
    seen: list[Any] = []

    def read() -> None:
        seen.append(_canon(table))
        for row in table:
            for r in row.results.values():
                hash(r)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s == want for s in seen) and len(seen) == 6


def test_an_empty_row_is_corrupt_history_not_an_index_error() -> None:
    """BUG (pre-existing, moved into `facts_of`): `row[0]` is read before the length is checked."""
    pairs = _pairs(_simulated(10, seed=11))
    pairs[4] = (pairs[4][0], ())
    with pytest.raises(CorruptHistory):
        list(FactsRows([pairs]))
    with pytest.raises(CorruptHistory):
        kpi_table(FactsRows([pairs]))
