"""Breaking the stored-facts read path and the lazily joined KPI exclusions.

Promises under attack: `kpi_table(stored_facts(uow, ...))` gives exactly the
figures, exclusions (ids, reasons, order) and distributions of the replayed
tickets and of the same rows read one by one, at every batch size, with and
without a filter, per tenant; bad stored data is a typed error; a ticket
without facts is `OutdatedFacts`; a lazily joined `KpiResult` compares,
hashes, pickles and prints as one built by hand, from several threads too.
"""

from __future__ import annotations

import pickle
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2.errors import ItilL2Error
from itil_l2.importers import simulate
from itil_l2.knowledge import Period
from itil_l2.kpis import (
    FACTS_COLUMNS,
    Exclusion,
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
from itil_l2.kpis._batch import Columns, Split, with_batch
from itil_l2.kpis._engine import measure_facts
from itil_l2.storage import Query, SqliteStore, stored_facts
from itil_l2.tickets import Ticket
from sql_facts import copy_facts_row, store_by_tenant

Row = tuple[Any, ...]
_AT = {name: i for i, name in enumerate(FACTS_COLUMNS)}
_DIMS = ([], ["group"], ["tier", "priority"], ["month"], ["category"], ["ci"])


def _canon(table: list[KpiRow]) -> list[Any]:
    """A table as plain data: every figure, exclusion and distribution value."""
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
                    r.reasons(),
                    None if r.distribution is None else repr(r.distribution.values),
                    None if r.distribution is None else [type(v) for v in r.distribution.values],
                    r.unit,
                )
                for name, r in row.results.items()
            },
        )
        for row in table
    ]


def _read(
    path: Path,
    *,
    tenant: str | None = None,
    query: Query | None = None,
    batch_size: int = 1000,
    by: list[str] | None = None,
) -> tuple[list[Any], list[Any], list[Any]]:
    """(stored table, replayed table, rows-one-by-one table), canonical."""
    by = by or []
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work(tenant) as uow:
            replayed = sorted(uow.tickets.find(query), key=lambda t: t.id)
            stored = kpi_table(stored_facts(uow, query, batch_size=batch_size), by=by)
            rows = [facts_row(f) for f in stored_facts(uow, query, batch_size=batch_size)]
    finally:
        store.close()
    one_by_one = kpi_table([KpiFacts.from_row(r) for r in rows], by=by)
    return (
        _canon(stored),
        _canon(kpi_table(replayed, by=by)),  # type: ignore[arg-type]
        _canon(one_by_one),
    )


_TEMPLATES: dict[tuple[int, int], tuple[bytes, list[str]]] = {}


def _template(folder: Path, n: int, seed: int) -> tuple[bytes, list[str]]:
    if (n, seed) not in _TEMPLATES:
        path = folder / f"template-{n}-{seed}.sqlite"
        made = list(simulate(n, seed=seed))
        store_by_tenant(path, {None: made})
        _TEMPLATES[n, seed] = (path.read_bytes(), sorted(t.id for t in made))
    return _TEMPLATES[n, seed]


# -- the stored path against replay, at batch edges ------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 14),
    seed=st.integers(0, 3),
    batch_size=st.integers(1, 7),
    by=st.sampled_from(_DIMS),
    filtered=st.sampled_from((None, Query(), Query(priority=3), Query(tier="L2"))),
)
def test_stored_equals_replayed_at_every_batch_size(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    seed: int,
    batch_size: int,
    by: list[str],
    filtered: Query | None,
) -> None:
    data, _ = _template(tmp_path_factory.getbasetemp(), n, seed)
    path = tmp_path_factory.mktemp("edge") / "f.sqlite"
    path.write_bytes(data)
    stored, replayed, one_by_one = _read(path, query=filtered, batch_size=batch_size, by=by)
    assert stored == replayed
    assert stored == one_by_one


def _sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    conn.close()


def _outdated_at_every_batch_size(
    path: Path, tenant: str | None = None, queries: tuple[Query | None, ...] = (None,)
) -> None:
    """`kpi_table(stored_facts(...))` is OutdatedFacts at batch sizes 1-7 (for each query)."""
    store = SqliteStore(path, read_only=True)
    try:
        for batch_size in range(1, 8):
            for query in queries:
                with store.unit_of_work(tenant) as uow, pytest.raises(OutdatedFacts):
                    kpi_table(stored_facts(uow, query, batch_size=batch_size))
    finally:
        store.close()


def test_two_tenants_with_the_same_ids_read_only_their_own_rows(tmp_path: Path) -> None:
    """Tenant b's facts rows lie inside tenant a's id range; a row of b gone is b's only."""
    path = tmp_path / "t.sqlite"
    a = list(simulate(9, seed=1))
    b = list(simulate(12, seed=2))  # same ids SIM-000000.., more of them, other facts
    store_by_tenant(path, {"a": a, "b": b})
    for batch_size in range(1, 8):
        stored, replayed, one = _read(path, tenant="a", batch_size=batch_size, by=["group"])
        assert stored == replayed == one
        stored, replayed, one = _read(path, tenant="b", batch_size=batch_size)
        assert stored == replayed == one
    _sql(path, "DELETE FROM itil_kpi_facts WHERE tenant = 'b' AND id = 'SIM-000004'")
    for batch_size in range(1, 8):
        stored, replayed, one = _read(path, tenant="a", batch_size=batch_size)
        assert stored == replayed == one
    _outdated_at_every_batch_size(path, "b")


def test_a_facts_row_moved_to_another_tenant_is_not_read(tmp_path: Path) -> None:
    """Tenant a's row of one ticket relabelled as tenant c's: a's ticket has none."""
    path = tmp_path / "m.sqlite"
    store_by_tenant(path, {"a": list(simulate(6, seed=4))})
    _sql(path, "UPDATE itil_kpi_facts SET tenant = 'c' WHERE id = 'SIM-000002'")
    _outdated_at_every_batch_size(path, "a")


def test_a_facts_row_whose_id_is_a_blob_is_no_facts_row(tmp_path: Path) -> None:
    """The same bytes as a BLOB id: not the ticket's row (OutdatedFacts), on either path."""
    path = tmp_path / "b.sqlite"
    store_by_tenant(path, {None: list(simulate(5, seed=4))})
    _sql(path, "UPDATE itil_kpi_facts SET id = CAST(id AS BLOB) WHERE id = 'SIM-000003'")
    _outdated_at_every_batch_size(path, queries=(None, Query()))


# -- forged values in a batch read as one range -----------------------------------------------

_FORGED: list[tuple[str, Any]] = [
    ("opened_us", "12"),
    ("opened_us", 1.5),
    ("opened_us", b"\x00"),
    ("opened_us", "99999999999999999999999"),
    ("end_us", "x"),
    ("end_us", 2.0**70),
    ("end_kind", "closed"),
    ("end_kind", 1),
    ("end_group", 5),
    ("end_group", ""),
    ("end_tier", "L4"),
    ("owner_tier", None),
    ("owner_tier", "l1"),
    ("resolved_tier", "L9"),
    ("resolution_code", 3),
    ("successful", "yes"),
    ("successful", 2.5),
    ("restored_us", "soon"),
    ("responded_us", 1e30),
    ("tier_mask", -1),
    ("tier_mask", "7"),
    ("tier_mask", 2.0**64),
    ("group_changes", "99999999999999999999999"),
    ("reopens", b"\x01"),
    ("l1_queue_h", "1.5"),
    ("l1_queue_h", "abc"),
    ("l1_queue_h", float("inf")),
    ("l2_work_h", float("-inf")),
    ("l3_total_h", 1e308),
    ("l1_total_h", -0.0),
    ("l1_total_h", 7),
    ("category", 5),
    ("priority", None),
    ("priority", 3),
    ("ci_refs", "[1"),
    ("ci_refs", 4),
    ("detail", b"{}"),
    ("facts_version", "1"),
    ("facts_version", 1.0),
]


def _forge(path: Path, ids: list[str], column: str, value: Any, where: list[int]) -> bool:
    """Set `column` of the rows at `where`; False when SQLite refuses the value."""
    try:
        with sqlite3.connect(path) as conn:
            for i in where:
                conn.execute(
                    f"UPDATE itil_kpi_facts SET {column} = ? WHERE id = ?", (value, ids[i])
                )
    except sqlite3.IntegrityError:
        return False
    finally:
        conn.close()
    return True


def _outcome(path: Path, batch_size: int, by: list[str], query: Query | None) -> Any:
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            try:
                return _canon(kpi_table(stored_facts(uow, query, batch_size=batch_size), by=by))
            except ItilL2Error as exc:
                return type(exc)
    finally:
        store.close()


def _one_by_one(path: Path, by: list[str]) -> Any:
    """The table of the raw stored rows read by `KpiFacts.from_row`, or its error type."""
    with sqlite3.connect(path) as conn:
        raw = conn.execute(
            f"SELECT {', '.join(FACTS_COLUMNS)} FROM itil_kpi_facts ORDER BY id"
        ).fetchall()
    conn.close()
    try:
        return _canon(kpi_table([KpiFacts.from_row(r) for r in raw], by=by))
    except ItilL2Error as exc:
        return type(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    forged=st.sampled_from(_FORGED),
    where=st.sets(st.integers(0, 9), min_size=1, max_size=3),
    batch_size=st.integers(1, 7),
    by=st.sampled_from(([], ["group"], ["ci"], ["month"])),
)
def test_a_forged_value_is_a_typed_error_or_read_as_row_by_row(
    tmp_path_factory: pytest.TempPathFactory,
    forged: tuple[str, Any],
    where: set[int],
    batch_size: int,
    by: list[str],
) -> None:
    data, ids = _template(tmp_path_factory.getbasetemp(), 10, 5)
    path = tmp_path_factory.mktemp("forged") / "f.sqlite"
    path.write_bytes(data)
    column, value = forged
    if not _forge(path, ids, column, value, sorted(where)):
        return
    want = _one_by_one(path, by)
    try:
        got = _outcome(path, batch_size, by, None)
        filtered = _outcome(path, batch_size, by, Query())
    except Exception as exc:  # a raw error: the break itself
        pytest.fail(f"{column}={value!r} at {sorted(where)}: raw {type(exc).__name__}: {exc}")
    assert got == want, (column, value)
    assert filtered == want, (column, value)


def test_hours_whose_sum_overflows_are_each_finite_and_read(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    store_by_tenant(path, {None: list(simulate(8, seed=6))})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE itil_kpi_facts SET l1_total_h = 1.5e308")
    conn.close()
    for batch_size in (1, 3, 8):
        got = _outcome(path, batch_size, [], None)
        assert got == _one_by_one(path, [])
        assert got != OutdatedFacts


# -- metrics with a period, and host metrics without batch rules ------------------------------


def _period_results(path: Path, period: Period, metrics: list[Metric]) -> tuple[Any, Any]:
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = sorted(uow.tickets.find(), key=lambda t: t.id)
            stored = measure_facts(stored_facts(uow, batch_size=3), metrics, period=period)
    finally:
        store.close()
    again = measure_facts([kpi_facts(t) for t in replayed], metrics, period=period)
    return (
        {k: (r, r.excluded, r.distribution) for k, r in stored.items()},
        {k: (r, r.excluded, r.distribution) for k, r in again.items()},
    )


def test_metrics_with_a_period_read_stored_facts_as_replayed(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    store_by_tenant(path, {None: list(simulate(40, seed=8))})
    metrics = list(standard_metrics().values())
    for start, end in ((5, 7), (1, 30), (6, 6)):
        period = Period(
            datetime(2026, 1, start, tzinfo=UTC), datetime(2026, 1, end + 1, tzinfo=UTC)
        )
        stored, replayed = _period_results(path, period, metrics)
        assert stored == replayed


def _host_metric() -> Metric:
    def rule(f: KpiFacts) -> bool | str:
        return "still open" if f.end_kind is None else f.reopens == 0

    return Metric("host_no_reopen", "rate", rule)


def test_a_host_metric_without_batch_rule_mixed_with_standard_ones(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    store_by_tenant(path, {None: list(simulate(30, seed=9))})
    metrics = [*standard_metrics().values(), _host_metric()]
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = sorted(uow.tickets.find(), key=lambda t: t.id)
            for batch_size in (1, 2, 7, 1000):
                for by in (["group"], []):
                    stored = kpi_table(
                        stored_facts(uow, batch_size=batch_size), by=by, metrics=metrics
                    )
                    want = kpi_table(replayed, by=by, metrics=metrics)  # type: ignore[arg-type]
                    assert _canon(stored) == _canon(want)
    finally:
        store.close()


# -- the lazily joined exclusions ---------------------------------------------------------


def _lazy(path: Path) -> dict[str, KpiResult]:
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            return kpi_table(stored_facts(uow, batch_size=4))[0].results
    finally:
        store.close()


def test_lazy_exclusions_equal_hash_pickle_and_print_as_made_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    store_by_tenant(path, {None: list(simulate(25, seed=10))})
    for name in _lazy(path):
        lazy = _lazy(path)[name]
        other = _lazy(path)[name]
        pickled = pickle.loads(pickle.dumps(other))
        by_hand = KpiResult(
            lazy.definition,
            lazy.value,
            lazy.sample_size,
            tuple(Exclusion(e.record_id, e.reason) for e in _lazy(path)[name].excluded),
            numerator=lazy.numerator,
            distribution=lazy.distribution,
            unit=lazy.unit,
        )
        assert by_hand == lazy  # lazy not yet read
        assert hash(by_hand) == hash(_lazy(path)[name])
        assert repr(by_hand) == repr(_lazy(path)[name])
        assert pickled == by_hand
        assert pickled.excluded == by_hand.excluded
        assert pickled.reasons() == by_hand.reasons()
        assert lazy.excluded == lazy.excluded == by_hand.excluded


def test_lazy_exclusions_read_from_many_threads_at_once(tmp_path: Path) -> None:
    path = tmp_path / "th.sqlite"
    store_by_tenant(path, {None: list(simulate(60, seed=11))})
    want = {k: r.excluded for k, r in _lazy(path).items()}
    for _ in range(5):
        results = _lazy(path)
        seen: list[Any] = []
        barrier = threading.Barrier(8)

        def read(
            results: dict[str, KpiResult] = results,
            seen: list[Any] = seen,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait()
            seen.append({k: (r.reasons(), r.excluded, r._excluded) for k, r in results.items()})

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seen) == 8
        for found in seen:
            assert {k: v[1] for k, v in found.items()} == want


# -- a batch rule whose Split does not match its tickets ----------------------------------


def _mismatched() -> Metric:
    def rule(f: KpiFacts) -> bool | str:
        return "still open" if f.end_kind is None else True

    def batch(c: Columns) -> Split:
        done = c.excluded("my still open", lambda: [None for _ in c["end_kind"]])
        return Split(done, [True])  # one value however many tickets

    return Metric("mismatched", "rate", with_batch(rule, batch))


def test_a_split_that_does_not_match_its_tickets_is_refused_with_or_without_a_period() -> None:
    """Host batch rules are trusted, but a Split's lengths are checked on the period path;
    without a period the same Split is silently summed."""
    facts = [kpi_facts(t) for t in simulate(10, seed=12)]
    period = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    with pytest.raises(AssertionError):
        measure_facts(facts, [_mismatched()], period=period)
    with pytest.raises(AssertionError):
        measure_facts(facts, [_mismatched()])


# -- ids out of the ordinary, pending changes, Floats, JoinedRows ---------------------------


def test_unusual_id_prefixes_read_in_the_same_order_as_replayed(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    made: list[Ticket] = []
    for i, prefix in enumerate(("SIM-", "sim-", "é-", "Z", "a b-", "ÿ", "😀-", "0", "SIM-0")):
        try:
            made.extend(simulate(3 + i % 3, seed=20 + i, prefix=prefix))
        except ItilL2Error:
            continue
    ids = [t.id for t in made]
    made = [t for i, t in enumerate(made) if t.id not in ids[:i]]  # unique ids
    store_by_tenant(path, {None: made})
    for batch_size in range(1, 8):
        for by in ([], ["group"]):
            stored, replayed, one = _read(path, batch_size=batch_size, by=by)
            assert stored == replayed == one
            stored, replayed, one = _read(path, query=Query(), batch_size=batch_size, by=by)
            assert stored == replayed == one


def test_tickets_added_in_the_same_unit_of_work_read_alike_on_both_paths(tmp_path: Path) -> None:
    """Before commit: the range path and the joined path agree (figures or the same error)."""
    path = tmp_path / "w.sqlite"
    store_by_tenant(path, {None: list(simulate(6, seed=30))})
    extra = list(simulate(5, seed=31, prefix="NEW-"))
    store = SqliteStore(path)
    try:
        for batch_size in (1, 2, 4, 1000):
            with store.unit_of_work() as uow:
                for t in extra:
                    uow.tickets.add(t)
                outcomes = []
                for query in (None, Query()):
                    try:
                        outcomes.append(
                            _canon(kpi_table(stored_facts(uow, query, batch_size=batch_size)))
                        )
                    except ItilL2Error as exc:
                        outcomes.append(type(exc))
                assert outcomes[0] == outcomes[1]
                uow.rollback()
    finally:
        store.close()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_stored_distribution_pickles_at_every_protocol(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "d.sqlite"
    store_by_tenant(path, {None: list(simulate(20, seed=40))})
    results = _lazy(path)
    for name, r in results.items():
        if r.distribution is None:
            continue
        back = pickle.loads(pickle.dumps(r, protocol=protocol))
        assert back == r, name
        assert back.distribution == r.distribution
        assert back.distribution is not None and r.distribution is not None
        assert back.distribution.values == r.distribution.values
        assert all(type(v) is float for v in back.distribution.values)


def test_joined_rows_read_as_a_sequence_of_pairs(tmp_path: Path) -> None:
    """`JoinedRows` is public and a `Sequence`: a slice gives pairs, or is refused."""
    from itil_l2.kpis import JoinedRows

    path = tmp_path / "j.sqlite"
    store_by_tenant(path, {None: list(simulate(4, seed=41))})
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            batch = next(stored_facts(uow).batches())
    finally:
        store.close()
    assert type(batch) is JoinedRows
    pairs = list(batch)
    assert [batch[i] for i in range(len(batch))] == pairs
    assert list(reversed(batch)) == pairs[::-1]
    try:
        sliced = batch[0:2]  # type: ignore[index]
    except TypeError:
        return
    assert list(sliced) == pairs[0:2]


def test_a_lazy_result_copied_or_evolved_reads_the_same_exclusions(tmp_path: Path) -> None:
    import copy

    import attrs

    path = tmp_path / "c.sqlite"
    store_by_tenant(path, {None: list(simulate(20, seed=42))})
    want = {k: r.excluded for k, r in _lazy(path).items()}
    for name, r in _lazy(path).items():
        copied, deep = copy.copy(r), copy.deepcopy(r)
        evolved = attrs.evolve(r, value=r.value)
        assert evolved.excluded == want[name]
        assert r.excluded == want[name]
        assert copied.excluded == deep.excluded == want[name]
        assert evolved == r == copied == deep


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.tuples(st.integers(0, 9), st.integers(0, 9)),
    seeds=st.tuples(st.integers(0, 5), st.integers(0, 5)),
    batch_size=st.integers(1, 7),
    drop=st.sets(st.integers(0, 9), max_size=2),
)
def test_tenants_at_batch_edges_with_rows_of_the_other_tenant_gone(
    tmp_path_factory: pytest.TempPathFactory,
    sizes: tuple[int, int],
    seeds: tuple[int, int],
    batch_size: int,
    drop: set[int],
) -> None:
    path = tmp_path_factory.mktemp("tenants") / "t.sqlite"
    a = list(simulate(sizes[0], seed=seeds[0]))
    b = list(simulate(sizes[1], seed=seeds[1]))
    store_by_tenant(path, {"a": a, "b": b})
    with sqlite3.connect(path) as conn:
        for i in drop:
            conn.execute(
                "DELETE FROM itil_kpi_facts WHERE tenant = 'b' AND id = ?", (f"SIM-{i:06d}",)
            )
    conn.close()
    for by in ([], ["group"]):
        for query in (None, Query()):
            stored, replayed, one = _read(
                path, tenant="a", query=query, batch_size=batch_size, by=by
            )
            assert stored == replayed == one


def test_measure_facts_without_a_period_reads_stored_facts_as_replayed(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite"
    store_by_tenant(path, {None: list(simulate(30, seed=43))})
    metrics = [*standard_metrics().values(), _host_metric()]
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = sorted(uow.tickets.find(), key=lambda t: t.id)
            for batch_size in (1, 5, 1000):
                stored = measure_facts(stored_facts(uow, batch_size=batch_size), metrics)
                again = measure_facts([kpi_facts(t) for t in replayed], metrics)
                assert {k: (r, r.excluded) for k, r in stored.items()} == {
                    k: (r, r.excluded) for k, r in again.items()
                }
    finally:
        store.close()


# -- a database in UTF-16: SQLite's id order is not Python's ---------------------------------


def _utf16_store(path: Path, ghost: bool) -> list[str]:
    """A UTF-16le database whose ids sort differently in SQLite (bytes) and Python."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA encoding = 'UTF-16le'")
        conn.execute("CREATE TABLE scratch (a)")
        conn.execute("DROP TABLE scratch")
    conn.close()
    made: list[Ticket] = []
    for prefix in ("b-", "Ā-", "a-"):
        made.extend(simulate(3, seed=50, prefix=prefix))
    store_by_tenant(path, {None: made})
    if ghost:  # facts of no ticket: the unfiltered read falls back to the join
        with sqlite3.connect(path) as conn:
            copy_facts_row(conn, "a-000001x", of="a-000001")
        conn.close()
    return [t.id for t in made]


@pytest.mark.parametrize("ghost", [False, True])
@pytest.mark.parametrize("batch_size", [1, 2, 4, 1000])
@pytest.mark.parametrize(
    "query", [None, Query(opened_from=datetime(2000, 1, 1, tzinfo=UTC))], ids=["none", "filter"]
)
def test_a_utf16_database_reads_each_ticket_once_in_the_stores_order(
    tmp_path: Path, ghost: bool, batch_size: int, query: Query | None
) -> None:
    path = tmp_path / "u16.sqlite"
    _utf16_store(path, ghost)
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = list(uow.tickets.find(query))
            stored = list(stored_facts(uow, query, batch_size=batch_size))
            table = kpi_table(stored_facts(uow, query, batch_size=batch_size))
    finally:
        store.close()
    assert [f.id for f in stored] == [t.id for t in replayed]
    assert _canon(table) == _canon(kpi_table(replayed))  # type: ignore[arg-type]
