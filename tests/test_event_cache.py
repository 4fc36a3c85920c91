"""The store's cache of decoded events: what the `event_cache` docstring promises.

`event_cache` events stay decoded, keyed by their whole text, so loading a
ticket read before decodes nothing again; a `find()` caches at most that many
of its events (a longer scan would only evict its own unread), and caching or
not never changes what is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from itil_l2.importers import simulate
from itil_l2.storage import MemoryStore, SqliteStore
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata

_TICKETS = list(simulate(40, seed=11))
_EVENTS = {t.id: len(t.history) for t in _TICKETS}


def _sqlalchemy(event_cache: int, _path: Path) -> Any:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return SqlAlchemyStore(engine, event_cache=event_cache)


_ADAPTERS: dict[str, Callable[[int, Path], Any]] = {
    "memory": lambda n, _path: MemoryStore(event_cache=n),
    "sqlite": lambda n, path: SqliteStore(path / "cache.sqlite", event_cache=n),
    "sqlalchemy": _sqlalchemy,
}


def _filled(adapter: str, event_cache: int, path: Path) -> Any:
    store = _ADAPTERS[adapter](event_cache, path)
    with store.unit_of_work() as uow:
        for ticket in simulate(40, seed=11):
            uow.tickets.add(ticket)
        uow.commit()
    return store


def _cached(store: Any) -> Any:
    return store._event.cache_info()


@pytest.mark.parametrize("adapter", sorted(_ADAPTERS))
@pytest.mark.parametrize(("event_cache", "batch_size"), [(0, 7), (1, 1), (25, 4), (60, 9)])
def test_a_scan_caches_whole_batches_up_to_the_cache_and_no_more(
    adapter: str, event_cache: int, batch_size: int, tmp_path: Path
) -> None:
    store = _filled(adapter, event_cache, tmp_path)
    with store.unit_of_work() as uow:
        ids = [t.id for t in uow.tickets.find(batch_size=batch_size)]
    assert ids == sorted(_EVENTS)
    fitting, room = 0, event_cache  # the batches whose events fit, counted by hand
    for start in range(0, len(ids), batch_size):
        room -= sum(_EVENTS[id] for id in ids[start : start + batch_size])
        if room < 0:
            break
        fitting += sum(_EVENTS[id] for id in ids[start : start + batch_size])
    info = _cached(store)
    assert info.currsize == fitting <= event_cache
    assert info.hits == 0 and info.misses == fitting


@pytest.mark.parametrize("adapter", sorted(_ADAPTERS))
def test_a_ticket_read_before_decodes_nothing_again(adapter: str, tmp_path: Path) -> None:
    store = _filled(adapter, 1000, tmp_path)
    first, second = _TICKETS[3].id, _TICKETS[17].id
    with store.unit_of_work() as uow:
        uow.tickets.get(first)
        uow.tickets.get(second)
        before = _cached(store)
        again = uow.tickets.get(first)
    after = _cached(store)
    assert before.misses == _EVENTS[first] + _EVENTS[second]
    assert after.misses == before.misses
    assert after.hits == before.hits + _EVENTS[first]
    assert again.history == next(t for t in _TICKETS if t.id == first).history


@pytest.mark.parametrize("adapter", sorted(_ADAPTERS))
def test_a_second_scan_finds_the_first_scans_cached_batches(adapter: str, tmp_path: Path) -> None:
    store = _filled(adapter, 30, tmp_path)
    with store.unit_of_work() as uow:
        list(uow.tickets.find(batch_size=3))
        cached = _cached(store).currsize
        list(uow.tickets.find(batch_size=3))
    info = _cached(store)
    assert 0 < cached <= 30
    assert info.hits == cached and info.currsize == cached


@settings(max_examples=25, deadline=None)
@given(
    event_cache=st.integers(0, 400),
    batch_size=st.integers(1, 50),
    gets=st.lists(st.sampled_from(sorted(_EVENTS)), max_size=8),
)
def test_caching_never_changes_what_is_loaded(
    event_cache: int, batch_size: int, gets: list[str]
) -> None:
    """The same tickets, whatever the cache holds and in whatever order it was filled."""
    store = MemoryStore(event_cache=event_cache)
    with store.unit_of_work() as uow:
        for ticket in simulate(40, seed=11):
            uow.tickets.add(ticket)
        uow.commit()
    want = {t.id: t.history for t in _TICKETS}
    with store.unit_of_work() as uow:
        for id in gets:
            assert uow.tickets.get(id).history == want[id]
        for _ in range(2):
            found = {t.id: t.history for t in uow.tickets.find(batch_size=batch_size)}
            assert found == want
    assert _cached(store).currsize <= event_cache


@pytest.mark.parametrize("adapter", sorted(_ADAPTERS))
def test_batches_that_fill_the_cache_exactly_are_all_cached(adapter: str, tmp_path: Path) -> None:
    ids = sorted(_EVENTS)
    exact = sum(_EVENTS[id] for id in ids[:10])  # the first two batches of 5, to the event
    store = _filled(adapter, exact, tmp_path)
    with store.unit_of_work() as uow:
        list(uow.tickets.find(batch_size=5))
    assert _cached(store).currsize == exact
