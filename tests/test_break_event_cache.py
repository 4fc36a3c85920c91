"""Attacks on the store's event cache: the cache must never change what loads or is refused.

Most tests compare a store whose cache is warm (or tiny, so it evicts all the
time) with a store that decodes everything afresh (`event_cache=0`) on the
same rows: the same entities must load and the same rows be refused, with
the same error. Rows are forged with raw SQL on the SQLite file, as
`test_storage_integrity` does, after the warm store has cached the originals.
"""

from __future__ import annotations

import copy
import pickle
import random
import shutil
import sqlite3
import tempfile
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from itil_l2 import (
    SYSTEM,
    ConcurrencyError,
    Impact,
    ItilL2Error,
    NotFound,
    Ticket,
    Urgency,
    ValidationError,
)
from itil_l2.importers import simulate
from itil_l2.storage import MemoryStore, SqliteStore, Store, Upcasters
from itil_l2.storage._event_cache import read_only
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import DEFAULT_GROUPS, example_problem, example_ticket

Outcome = tuple[Any, ...]
"""What one load gave: ("ok", value) or ("error", error type, message)."""

TENANTS = ("", "acme")
SIMULATED = {t.id: len(t.history) for t in simulate(10, seed=3)}
IDS = sorted(SIMULATED)
PROBLEM = example_problem().id
PROBLEM_EVENTS = len(example_problem().history)


def fresh_ticket(id: str, title: str = "Printer on floor 3 jams", **fields: Any) -> Ticket:
    """A ticket opened, assigned at L1 and started (version 3)."""
    desk = DEFAULT_GROUPS[0]
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    ticket = Ticket.open(
        id=id,
        title=title,
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=desk,
        at=at,
        actor=SYSTEM,
        **fields,
    )
    ticket.assign(desk, at=at + timedelta(minutes=1), actor=SYSTEM)
    ticket.start(at=at + timedelta(minutes=4), actor=SYSTEM)
    return ticket


def _cached(store: Any) -> Any:
    """The store's cache statistics (functools' CacheInfo)."""
    return store._event.cache_info()


def _outcome(load: Callable[[], Any]) -> Outcome:
    try:
        return ("ok", load())
    except ItilL2Error as exc:
        return ("error", type(exc), str(exc))


def _get(store: Store, tenant: str, id: str, repo: str = "tickets") -> Outcome:
    with store.unit_of_work(tenant or None) as uow:
        return _outcome(lambda: getattr(uow, repo).get(id).history)


def _find(store: Store, tenant: str, batch_size: int, repo: str = "tickets") -> Outcome:
    with store.unit_of_work(tenant or None) as uow:
        found = getattr(uow, repo).find(batch_size=batch_size)
        return _outcome(lambda: [(x.id, x.history) for x in found])


def _everything(store: Store, batch_size: int = 4) -> dict[Any, Outcome]:
    """Every ticket and problem id of both tenants, got one by one and found in batches."""
    seen: dict[Any, Outcome] = {}
    for tenant in TENANTS:
        for id in [*IDS, PROBLEM]:
            seen["ticket", tenant, id] = _get(store, tenant, id)
            seen["problem", tenant, id] = _get(store, tenant, id, "problems")
        seen["tickets found", tenant] = _find(store, tenant, batch_size)
        seen["problems found", tenant] = _find(store, tenant, batch_size, "problems")
    return seen


def _fill(path: Path) -> None:
    store = SqliteStore(path)
    for tenant in TENANTS:
        with store.unit_of_work(tenant or None) as uow:
            for ticket in simulate(10, seed=3):
                uow.tickets.add(ticket)
            uow.problems.add(example_problem())
            uow.commit()
    store.close()


def _sql(path: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Run statements on the file behind the stores' backs (events made editable)."""
    db = sqlite3.connect(path)
    try:
        db.execute("DROP TRIGGER IF EXISTS itil_events_append_only")
        for sql, params in statements:
            db.execute(sql, params)
        db.commit()
    finally:
        db.close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file: simulate(10, seed=3) and example_problem() in two tenants."""
    path = tmp_path_factory.mktemp("pristine") / "pristine.sqlite"
    _fill(path)
    return path


# -- forged rows: refused (or loaded) exactly as with a cold cache ---------------------------

_ROW = "kind = ? AND tenant = ? AND id = ? AND version = ?"
_AGGREGATE = "kind = ? AND tenant = ? AND id = ?"

Row = tuple[str, str, str, int]  # kind, tenant, id, version


@st.composite
def rows(draw: st.DrawFn) -> Row:
    tenant = draw(st.sampled_from(TENANTS))
    if draw(st.integers(0, 5)) == 0:
        return ("problem", tenant, PROBLEM, draw(st.integers(1, PROBLEM_EVENTS)))
    id = draw(st.sampled_from(IDS))
    return ("ticket", tenant, id, draw(st.integers(1, SIMULATED[id])))


def _copy_data(src: Row, dst: Row) -> list[tuple[str, tuple[Any, ...]]]:
    """Event `dst` gets the text (and schema) of event `src`: a row moved in time or place."""
    return [
        (
            f"UPDATE itil_events SET (schema, data) = (SELECT schema, data FROM itil_events"
            f" WHERE {_ROW}) WHERE {_ROW}",
            (*src, *dst),
        )
    ]


def _copy_aggregate(src: Row, dst: Row) -> list[tuple[str, tuple[Any, ...]]]:
    """The whole aggregate `src` stored again as `dst` (another kind, tenant or id)."""
    (kind, tenant, id, _), (to_kind, to_tenant, to_id, _) = src, dst
    heads = (
        "kind, tenant, id, version, state, tier, grp, priority, category, opened_at,"
        " resolved_at, updated_at, assignee, caller, title_key, view"
    )
    moved = heads.replace("kind, tenant, id,", "?, ?, ?,")
    return [
        *(
            (f"DELETE FROM {table} WHERE {_AGGREGATE}", (to_kind, to_tenant, to_id))
            for table in ("itil_heads", "itil_events", "itil_cis")
        ),
        (
            f"INSERT INTO itil_heads ({heads}) SELECT {moved} FROM itil_heads WHERE {_AGGREGATE}",
            (to_kind, to_tenant, to_id, kind, tenant, id),
        ),
        (
            "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data)"
            f" SELECT ?, ?, ?, version, schema, at, type, data FROM itil_events"
            f" WHERE {_AGGREGATE}",
            (to_kind, to_tenant, to_id, kind, tenant, id),
        ),
        (
            "INSERT INTO itil_cis (kind, tenant, ci, id) SELECT ?, ?, ci, ? FROM itil_cis"
            f" WHERE {_AGGREGATE}",
            (to_kind, to_tenant, to_id, kind, tenant, id),
        ),
    ]


def _set_schema(_src: Row, dst: Row, schema: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [(f"UPDATE itil_events SET schema = ? WHERE {_ROW}", (schema, *dst))]


def _edit_text(_src: Row, dst: Row, old: str, new: str) -> list[tuple[str, tuple[Any, ...]]]:
    """One character of the text changed: still JSON or not, still the same event or not."""
    return [(f"UPDATE itil_events SET data = replace(data, ?, ?) WHERE {_ROW}", (old, new, *dst))]


forgeries = st.one_of(
    st.builds(_copy_data, rows(), rows()),
    st.builds(_copy_aggregate, rows(), rows()),
    st.builds(_set_schema, rows(), rows(), st.sampled_from([0, 1, 2, 3, -1])),
    st.builds(
        _edit_text,
        rows(),
        rows(),
        st.sampled_from(['"', "1", "T", "a", ":", "-", "e"]),
        st.sampled_from(["", "2", "0", "b", " ", "\\u0061"]),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(forged=st.lists(forgeries, min_size=1, max_size=3))
def test_forged_rows_after_a_warm_load_are_refused_as_with_a_cold_cache(
    pristine: Path, forged: list[list[tuple[str, tuple[Any, ...]]]]
) -> None:
    """Texts the warm store cached, moved to another ticket, version, tenant or kind."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "forged.sqlite"
        shutil.copy(pristine, path)
        warm = SqliteStore(path)
        try:
            before = _everything(warm)  # every original event is in the cache now
            assert sum(o[0] == "ok" for o in before.values()) == 2 * (len(IDS) + 1 + 2)
            _sql(path, *(statement for forgery in forged for statement in forgery))
            cold = SqliteStore(path, event_cache=0)
            try:
                assert _everything(warm, batch_size=3) == _everything(cold, batch_size=3)
            finally:
                cold.close()
        finally:
            warm.close()


def test_a_ticket_text_stored_as_a_problem_is_refused_as_with_a_cold_cache(
    pristine: Path, tmp_path: Path
) -> None:
    """The same text under another kind column: the cache key's kind keeps them apart."""
    path = tmp_path / "kinds.sqlite"
    shutil.copy(pristine, path)
    warm = SqliteStore(path)
    id = IDS[0]
    assert _get(warm, "", id)[0] == "ok"
    _sql(path, *_copy_aggregate(("ticket", "", id, 1), ("problem", "", id, 1)))
    _sql(path, *_copy_aggregate(("problem", "", PROBLEM, 1), ("ticket", "", PROBLEM, 1)))
    assert _get(warm, "", PROBLEM, "problems")[0] == "ok"  # the problem's texts cached too
    cold = SqliteStore(path, event_cache=0)
    for store in (warm, cold):
        assert _get(store, "", id, "problems")[0] == "error"
        assert _get(store, "", PROBLEM)[0] == "error"
    assert _everything(warm) == _everything(cold)
    warm.close()
    cold.close()


# -- rows changed behind the store's back between two gets ------------------------------------


def test_a_row_rewritten_between_two_gets_is_read_again(pristine: Path, tmp_path: Path) -> None:
    """A note's text edited by another connection: the next get sees it, never the cached one."""
    path = tmp_path / "edited.sqlite"
    shutil.copy(pristine, path)
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        ticket = uow.tickets.get(IDS[0])
        ticket.add_note("the first text", at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)
        uow.tickets.save(ticket)
        uow.commit()
    version = ticket.version
    before = _get(store, "", IDS[0])
    assert before[1][-1].payload.text == "the first text"
    _sql(path, *_edit_text(("", "", "", 0), ("ticket", "", IDS[0], version), "first", "other"))
    after = _get(store, "", IDS[0])
    cold = SqliteStore(path, event_cache=0)
    assert after == _get(cold, "", IDS[0])
    assert after[0] == "ok" and after[1][-1].payload.text == "the other text"
    # and a text made unreadable is refused at once, not served from the cache
    _sql(path, *_edit_text(("", "", "", 0), ("ticket", "", IDS[0], version), "{", "["))
    refused = _get(store, "", IDS[0])
    assert refused[0] == "error" and refused == _get(cold, "", IDS[0])
    # and the old text put back loads again, as it did
    _sql(path, *_edit_text(("", "", "", 0), ("ticket", "", IDS[0], version), "[", "{"))
    assert _get(store, "", IDS[0]) == after == _get(cold, "", IDS[0])
    store.close()
    cold.close()


def test_a_ticket_saved_by_another_store_is_loaded_whole(pristine: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.sqlite"
    shutil.copy(pristine, path)
    mine, theirs = SqliteStore(path, event_cache=5), SqliteStore(path)
    first = _get(mine, "acme", IDS[1])
    with theirs.unit_of_work("acme") as uow:
        ticket = uow.tickets.get(IDS[1])
        ticket.add_note("from elsewhere", at=ticket.updated_at + timedelta(hours=1), actor=SYSTEM)
        uow.tickets.save(ticket)
        uow.commit()
    second = _get(mine, "acme", IDS[1])
    assert second[1][:-1] == first[1] and second[1][-1].payload.text == "from elsewhere"
    assert _find(mine, "acme", 2) == _find(theirs, "acme", 2)
    mine.close()
    theirs.close()


# -- rolled-back work is never served from the cache ---------------------------------------------


def _sqlalchemy(path: Path, event_cache: int) -> Store:
    engine = create_engine(f"sqlite:///{path / 'sa.sqlite'}")
    metadata.create_all(engine)
    return SqlAlchemyStore(engine, event_cache=event_cache)


ADAPTERS: dict[str, Callable[[Path, int], Store]] = {
    "memory": lambda _path, n: MemoryStore(event_cache=n),
    "sqlite": lambda path, n: SqliteStore(path / "store.sqlite", event_cache=n),
    "sqlalchemy": _sqlalchemy,
}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_rolled_back_adds_and_saves_are_not_served_from_the_cache(
    adapter: str, tmp_path: Path
) -> None:
    store = ADAPTERS[adapter](tmp_path, 64)
    kept = fresh_ticket("INC-KEPT")
    with store.unit_of_work() as uow:
        uow.tickets.add(kept)
        uow.commit()
    for end in ("rollback", "raise", "unfinished"):
        raised = pytest.raises(RuntimeError) if end == "raise" else nullcontext()
        with raised, store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-GONE", title="Never stored"))
            ticket = uow.tickets.get("INC-KEPT")
            ticket.add_note("rolled back", at=ticket.updated_at, actor=SYSTEM)
            uow.tickets.save(ticket)
            assert uow.tickets.get("INC-GONE").title == "Never stored"  # cached now
            assert len(uow.tickets.get("INC-KEPT").history) == 4
            assert len(list(uow.tickets.find(batch_size=1))) == 2
            if end == "rollback":
                uow.rollback()
            elif end == "raise":
                raise RuntimeError("the host fails mid-way")
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound):
                uow.tickets.get("INC-GONE")
            assert uow.tickets.get("INC-KEPT").history == kept.history
            assert [t.history for t in uow.tickets.find(batch_size=1)] == [kept.history]
    # the id stored afterwards with other content is that content, not the cached one
    other = fresh_ticket("INC-GONE", title="Stored at last")
    with store.unit_of_work() as uow:
        uow.tickets.add(other)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tickets.get("INC-GONE").history == other.history
    store.close()


# -- threads sharing one store with a tiny cache ------------------------------------------------


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
@pytest.mark.parametrize("event_cache", [3, 5])
def test_threads_sharing_a_tiny_cache_load_only_stored_histories(
    adapter: str, event_cache: int, tmp_path: Path
) -> None:
    """Gets, finds and saves from four threads: every history loaded is a stored one."""
    store = ADAPTERS[adapter](tmp_path, event_cache)
    ids = [f"INC-T{n}" for n in range(6)]
    with store.unit_of_work() as uow:
        for id in ids:
            uow.tickets.add(fresh_ticket(id))
        uow.commit()
    loaded: list[tuple[str, tuple[Any, ...]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for step in range(25):
                op, id = rng.choice(["get", "find", "save", "save"]), rng.choice(ids)
                try:
                    with store.unit_of_work() as uow:
                        if op == "get":
                            seen = [uow.tickets.get(id)]
                        elif op == "find":
                            seen = list(uow.tickets.find(batch_size=rng.choice([1, 2, 4])))
                        else:
                            ticket = uow.tickets.get(id)
                            at = ticket.updated_at + timedelta(seconds=1)
                            ticket.add_note(f"thread {seed} step {step}", at=at, actor=SYSTEM)
                            uow.tickets.save(ticket)
                            uow.commit()
                            seen = [ticket]
                        with lock:
                            loaded.extend((t.id, t.history) for t in seen)
                except ConcurrencyError:
                    pass
        except BaseException as exc:  # reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cold = Store(store.backend, event_cache=0)
    final = {id: _get(cold, "", id) for id in ids}
    assert all(outcome[0] == "ok" for outcome in final.values())
    assert sum(len(outcome[1]) for outcome in final.values()) > 3 * len(ids)  # saves happened
    for id, history in loaded:
        assert final[id][1][: len(history)] == history  # a stored prefix, never another one
    assert {id: _get(store, "", id) for id in ids} == final
    assert _cached(store).currsize <= event_cache
    store.close()


# -- finds longer than the cache, interleaved with gets and writes -----------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("get"), st.sampled_from(IDS)),
        st.tuples(st.just("note"), st.sampled_from(IDS)),
        st.tuples(st.just("find"), st.integers(1, 12)),
        st.tuples(st.just("interleaved"), st.integers(1, 5), st.sampled_from(IDS)),
        st.tuples(st.just("commit"), st.none()),
        st.tuples(st.just("rollback"), st.none()),
    ),
    max_size=12,
)


def _run(store: Store, ops: list[tuple[Any, ...]]) -> list[Any]:
    """Apply `ops` in units of work; what each returned (or the error's type and text)."""
    out: list[Any] = []
    uow = store.unit_of_work()
    for op, arg, *rest in ops:
        if op in ("commit", "rollback"):
            getattr(uow, op)()
            uow = store.unit_of_work()
        elif op == "get":
            out.append(_outcome(partial(_history, uow, arg)))
        elif op == "note":
            out.append(_outcome(partial(_note, uow, arg)))
        elif op == "find":
            out.append(_outcome(partial(_histories, uow.tickets.find(batch_size=arg))))
        else:  # a find read part-way, then a get and a write, then read to its end
            found = uow.tickets.find(batch_size=arg)
            head = [next(found).history for _ in range(3)]
            out.append(_outcome(partial(_history, uow, rest[0])))
            out.append(_outcome(partial(_note, uow, rest[0])))
            out.append((head, _histories(found)))
    uow.rollback()
    return out


def _history(uow: Any, id: str) -> Any:
    return uow.tickets.get(id).history


def _histories(found: Iterator[Any]) -> list[Any]:
    return [t.history for t in found]


def _note(uow: Any, id: str) -> int:
    ticket = uow.tickets.get(id)
    ticket.add_note(f"note {ticket.version}", at=ticket.updated_at, actor=SYSTEM)
    uow.tickets.save(ticket)
    return int(ticket.version)


@settings(max_examples=40, deadline=None)
@given(event_cache=st.sampled_from([1, 3, 7, 20, 45]), ops=operations)
def test_finds_longer_than_the_cache_interleaved_with_gets_and_writes(
    event_cache: int, ops: list[tuple[Any, ...]]
) -> None:
    results = []
    for n in (event_cache, 0):
        store = MemoryStore(event_cache=n)
        with store.unit_of_work() as uow:
            for ticket in simulate(10, seed=3):
                uow.tickets.add(ticket)
            uow.commit()
        results.append(_run(store, ops))
        assert _cached(store).currsize <= n
    assert results[0] == results[1]


# -- upcasters: each store its own cache, its own upcast events ----------------------------------


def _old_format(path: Path) -> None:
    """The stored opening event of INC-EXAMPLE as schema 0 wrote it: `reporter`, no `caller`."""
    db = sqlite3.connect(path)
    (data,) = db.execute("SELECT data FROM itil_events WHERE version = 1").fetchone()
    db.close()
    old = data.replace('"caller":null', '"reporter":"ann"').replace('"schema":2', '"schema":0')
    assert old != data
    _sql(
        path,
        ("UPDATE itil_events SET schema = 0, data = ? WHERE version = 1", (old,)),
        (
            "UPDATE itil_heads SET assignee = NULL, caller = NULL, title_key = NULL, view = NULL",
            (),
        ),
    )


def _upcaster(caller: str) -> Upcasters:
    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        payload = dict(data["payload"])
        payload.pop("reporter")
        return {**data, "payload": {**payload, "caller": caller}}

    upcasters = Upcasters()
    upcasters.register("ticket", 0, upcast)
    return upcasters


def test_each_store_upcasts_with_its_own_upcasters(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with SqliteStore(path).unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.commit()
    _old_format(path)
    ann, bob, none = (
        SqliteStore(path, upcasters=_upcaster("ann")),
        SqliteStore(path, upcasters=_upcaster("bob")),
        SqliteStore(path),
    )
    for _ in range(2):  # the second time from each store's cache
        for store, caller in ((ann, "ann"), (bob, "bob")):
            with store.unit_of_work() as uow:
                ticket = uow.tickets.get("INC-EXAMPLE")
                assert ticket.caller == caller and ticket.history[0].schema == 2
                assert [t.caller for t in uow.tickets.find()] == [caller]
        assert _get(none, "", "INC-EXAMPLE")[1].__name__ == "UnknownSchema"
    for store in (ann, bob, none):
        store.close()


def test_an_upcaster_registered_later_applies_as_with_a_cold_cache(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with SqliteStore(path).unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.commit()
    _old_format(path)
    upcasters = Upcasters()
    warm = SqliteStore(path, upcasters=upcasters)
    assert _get(warm, "", "INC-EXAMPLE")[0] == "error"  # no step from schema 0: not cached
    upcasters.register("ticket", 0, _upcaster("ann")._steps["ticket", 0])
    assert _get(warm, "", "INC-EXAMPLE")[1][0].payload.caller == "ann"
    # a host step for schema 1, the library's own (renaming ticket_id) until now
    _sql(path, ("UPDATE itil_events SET schema = 1 WHERE version = 2", ()))
    assert _get(warm, "", "INC-EXAMPLE")[0] == "ok"  # event 2 decoded (library step) and cached
    upcasters.register("ticket", 1, lambda data: {**data, "actor_id": "upcast"})
    cold = SqliteStore(path, upcasters=upcasters, event_cache=0)
    assert _get(warm, "", "INC-EXAMPLE") == _get(cold, "", "INC-EXAMPLE")


# -- event_cache values ----------------------------------------------------------------------


@pytest.mark.parametrize("event_cache", [0, 1, 2, 10**12])
def test_any_whole_cache_size_loads_the_same(event_cache: int) -> None:
    store = MemoryStore(event_cache=event_cache)
    with store.unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.commit()
    for _ in range(2):
        with store.unit_of_work() as uow:
            assert uow.tickets.get("INC-EXAMPLE").history == example_ticket().history
            assert [t.history for t in uow.tickets.find()] == [example_ticket().history]
    assert _cached(store).currsize <= event_cache


@pytest.mark.parametrize("event_cache", [2.5, 16.0, "100", None, True, -1])
@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_an_event_cache_that_is_not_a_size_is_a_validation_error(
    adapter: str, event_cache: Any, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="event_cache"):
        ADAPTERS[adapter](tmp_path, event_cache)


@pytest.mark.parametrize("refused", [{"event_cache": -1}, {"indexed_attributes": "site"}])
def test_a_refused_argument_leaves_no_connection_open(
    refused: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(ValidationError):
        SqliteStore(tmp_path / "store.sqlite", **refused)
    assert opened  # the store had opened its file before it read the argument
    for db in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            db.execute("SELECT 1")


# -- decoded events handed out twice: a change to one must not reach the other -----------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-9, 9) | st.text("ab", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("xyz", max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)
_ATTRIBUTES = st.dictionaries(st.text("abc", min_size=1, max_size=2), _JSON, max_size=3)

_DICT_CHANGES: list[Callable[[dict[str, Any]], Any]] = [
    lambda d: d.__setitem__("new", 1),
    lambda d: d.__delitem__(next(iter(d), "none")),
    lambda d: d.pop(next(iter(d), "none"), None),
    lambda d: d.popitem(),
    lambda d: d.clear(),
    lambda d: d.update(new=1),
    lambda d: d.setdefault("new", 1),
    lambda d: d.__ior__({"new": 1}),
]
_LIST_CHANGES: list[Callable[[list[Any]], Any]] = [
    lambda v: v.append(1),
    lambda v: v.extend([1]),
    lambda v: v.insert(0, 1),
    lambda v: v.pop(),
    lambda v: v.remove(v[0] if v else 1),
    lambda v: v.clear(),
    lambda v: v.sort(key=repr),
    lambda v: v.reverse(),
    lambda v: v.__setitem__(0, 1),
    lambda v: v.__setitem__(slice(0, 0), [1]),
    lambda v: v.__delitem__(slice(None)),
    lambda v: v.__iadd__([1]),
    lambda v: v.__imul__(2),
]


def _containers(value: Any) -> Iterator[Any]:
    """Every dict and list in a loaded event (attrs fields, tuples, nested JSON)."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _containers(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _containers(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from _containers(item)
    elif hasattr(type(value), "__attrs_attrs__"):
        for field in type(value).__attrs_attrs__:
            yield from _containers(getattr(value, field.name))


def _try_every_change(events: Any) -> int:
    """Try every in-place change on every dict and list of `events`; each must be refused."""
    tried = 0
    for container in _containers(events):
        changes = _DICT_CHANGES if isinstance(container, dict) else _LIST_CHANGES
        for change in changes:
            before = copy.deepcopy(container)
            with pytest.raises(TypeError, match="read-only"):
                change(container)
            assert container == before  # refused before anything changed
            tried += 1
        copied = dict(container) if isinstance(container, dict) else list(container)
        assert copied == container and type(copied) in (dict, list)  # a copy to change
    return tried


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(opened=_ATTRIBUTES, updated=_ATTRIBUTES, adapter=st.sampled_from(sorted(ADAPTERS)))
def test_no_change_to_a_loaded_history_reaches_another_load(
    opened: dict[str, Any], updated: dict[str, Any], adapter: str, tmp_path: Path
) -> None:
    """A host that edits a loaded event in place (it holds dicts and lists) is refused.

    The same rows are stored in two tenants (the same texts, so the same
    cached events); every change tried on every container of one tenant's
    loaded history, and of every notification, must be refused, and every
    load afterwards gives the history as written, as a store without a cache does.
    """
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    store = ADAPTERS[adapter](folder, 1000)
    written = {}
    for tenant in ("a", "b"):
        ticket = fresh_ticket("INC-SHARED", attributes=opened)
        ticket.update(ci_refs=["ci-1"], attributes=updated, at=ticket.updated_at, actor=SYSTEM)
        written[tenant] = ticket.history
        with store.unit_of_work(tenant) as uow:
            uow.tickets.add(ticket)
            uow.commit()
    with store.unit_of_work("a") as uow:
        loaded = uow.tickets.get("INC-SHARED").history
    assert loaded == written["a"]
    assert _try_every_change(loaded) >= len(_LIST_CHANGES) * 2  # the CI lists at least
    for tenant in ("a", "b"):
        _try_every_change(tuple(n.event for n in store.events_since(0, tenant=tenant)))
    cold = Store(store.backend, event_cache=0)
    for tenant in ("b", "a"):
        assert _get(store, tenant, "INC-SHARED") == ("ok", written[tenant])
        assert _get(cold, tenant, "INC-SHARED") == ("ok", written[tenant])
    store.close()


def test_a_loaded_event_pickles_and_copies_as_it_is() -> None:
    store = MemoryStore()
    ticket = fresh_ticket("INC-PII", attributes={"ssn": "123", "tags": ["a", {"b": []}]})
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        history = uow.tickets.get("INC-PII").history
    for again in (pickle.loads(pickle.dumps(history)), copy.deepcopy(history), copy.copy(history)):
        assert again == history == ticket.history
        assert _try_every_change(again) > 0  # a copy of a loaded event is read-only too


@attrs.frozen
class _Node:
    """A value that holds values of its own kind (as an RCA tree does)."""

    notes: list[str]
    children: tuple[_Node, ...] = ()


def test_a_tree_of_its_own_kind_is_made_read_only_to_the_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Working out which fields to look at ends at once: no recursion into the class itself.

    (Recursing until Python's limit could even pass by luck, where the limit
    hits inside `typing.get_type_hints` and the class falls back to every
    field: so the calls are counted.)
    """
    calls: list[type[Any]] = []
    real = typing.get_type_hints

    def counted(kind: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(kind)
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(typing, "get_type_hints", counted)
    leaf = _Node(["leaf"])
    tree = read_only(_Node(["root"], (_Node(["mid"], (leaf,)),)))
    assert tree == _Node(["root"], (_Node(["mid"], (_Node(["leaf"]),)),))
    for node in (tree, tree.children[0], tree.children[0].children[0]):
        with pytest.raises(TypeError, match="read-only"):
            node.notes.append("more")
    assert calls.count(_Node) == 1
