"""The storage contract suite: every adapter, the library's and a host's, must pass it.

Subclass `StoreContract` in a test module and provide a `store` fixture that
returns a fresh, empty `Store` over your adapter::

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            return Store(MyBackend(...))

The suite checks what hosts rely on: full-history round trips of every
aggregate, `NotFound`, `AlreadyExists`, version conflicts that write nothing,
rollback on exception or missing commit, events handed over only after
commit, queries, streaming in batches, text stored verbatim (unicode and SQL
metacharacters), tenants that never see each other, entities that stay in
the tenant they were loaded or added in, loads that check the stored
head against the replayed history (so the adapter must return the head row
it stored, not one made up from the events), and the workflow config stored
with the data (skipped for an adapter whose session has no `load_config`),
and lists of views (`ListChecks`: each listed view is the replayed entity's,
filters and keyset paging agree with a brute-force filter; the fixture's store
must declare `indexed_attributes=("customer",)` or another name).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM
from itil_l2._core.entity import Entity
from itil_l2._core.tier import Tier
from itil_l2.errors import (
    AlreadyExists,
    ConcurrencyError,
    NotFound,
    StorageError,
    TenantMismatch,
)
from itil_l2.storage import Query, Store
from itil_l2.testing._changes import change_requests
from itil_l2.testing._cmdb import configuration_items
from itil_l2.testing._common import assert_same
from itil_l2.testing._config_checks import ConfigChecks
from itil_l2.testing._knowledge import knowledge_articles, training_sessions
from itil_l2.testing._list_checks import ListChecks
from itil_l2.testing._outbox_checks import OutboxChecks
from itil_l2.testing._problems import example_known_error, example_problem
from itil_l2.testing._storage_checks import (
    _HANDOVER,
    NASTY,
    NASTY_ID,
    TenantAndLoadChecks,
    note,
    store_one,
    store_varied,
)
from itil_l2.testing._tickets import DEFAULT_GROUPS, fresh_ticket, tickets
from itil_l2.tickets import Ticket

__all__ = ["NASTY", "StoreContract"]

_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    # Each example uses its own tenant, so sharing the store between examples is safe;
    # every adapter subclass runs the same method (hence differing executors).
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)


def _tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


class StoreContract(TenantAndLoadChecks, OutboxChecks, ConfigChecks, ListChecks):
    """Contract tests for a `Store`; subclasses provide the `store` fixture."""

    @pytest.fixture
    def store(self) -> Store:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError("provide a `store` fixture returning a fresh Store")

    # -- round trips ---------------------------------------------------------

    @_SETTINGS
    @given(
        st.one_of(
            tickets(),
            change_requests(),
            knowledge_articles(),
            configuration_items(),
        )
    )
    def test_entities_round_trip_with_full_history(self, store: Store, entity: Any) -> None:
        tenant = _tenant()
        with store.unit_of_work(tenant) as uow:
            _repo(uow, entity).add(entity)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            loaded = _repo(uow, entity).get(entity.id)
        assert_same(loaded, entity)
        assert loaded.history == entity.history
        assert loaded.pending_events() == ()

    def test_problem_with_rca_and_known_error_round_trips(self, store: Store) -> None:
        problem = example_problem()
        with store.unit_of_work() as uow:
            uow.problems.add(problem)
            uow.commit()
        with store.unit_of_work() as uow:
            loaded = uow.problems.get(problem.id)
        assert_same(loaded, problem)
        assert loaded.rca == problem.rca and loaded.known_error == problem.known_error

    @_SETTINGS
    @given(training_sessions())
    def test_records_round_trip(self, store: Store, session: Any) -> None:
        tenant = _tenant()
        known = example_known_error(title=NASTY)
        with store.unit_of_work(tenant) as uow:
            uow.training_sessions.add(session)
            uow.known_errors.add(known)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.training_sessions.get(session.id) == session
            assert uow.known_errors.get(known.id) == known

    def test_records_are_never_saved(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            uow.known_errors.add(example_known_error())
            with pytest.raises(StorageError):
                uow.known_errors.save(example_known_error())

    # -- identity and versions -----------------------------------------------

    def test_unknown_id_is_not_found(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound) as info:
                uow.tickets.get("INC-404")
            assert info.value.entity_id == "INC-404"
            with pytest.raises(NotFound):
                uow.training_sessions.get("TR-404")

    def test_adding_a_taken_id_is_refused_and_keeps_the_first(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1", title="first"))
            uow.commit()
        with store.unit_of_work() as uow:
            with pytest.raises(AlreadyExists):
                uow.tickets.add(fresh_ticket("INC-1", title="second"))
            uow.tickets.add(fresh_ticket("INC-2"))  # the unit of work is still usable
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.tickets.get("INC-1").title == "first"
            assert uow.tickets.count() == 2

    def test_stale_save_is_refused_and_writes_nothing(self, store: Store) -> None:
        store_one(store, "INC-1")
        with store.unit_of_work() as first, store.unit_of_work() as second:
            mine, theirs = first.tickets.get("INC-1"), second.tickets.get("INC-1")
            note(mine, "mine")
            first.tickets.save(mine)
            first.commit()
            note(theirs, "theirs")
            note(theirs, "theirs again")
            with pytest.raises(ConcurrencyError):
                second.tickets.save(theirs)
        with store.unit_of_work() as uow:
            stored = uow.tickets.get("INC-1")
        assert stored.version == mine.version
        assert stored.history == mine.history

    def test_save_appends_and_keeps_earlier_events(self, store: Store) -> None:
        original = store_one(store, "INC-1")
        with store.unit_of_work() as uow:
            ticket = uow.tickets.get("INC-1")
            note(ticket)
            uow.tickets.save(ticket)
            note(ticket, "again")
            uow.tickets.save(ticket)  # twice in one unit of work
            uow.commit()
        with store.unit_of_work() as uow:
            stored = uow.tickets.get("INC-1")
        assert stored.version == original.version + 2
        assert stored.history[: original.version] == original.history

    def test_saving_what_was_never_added_is_not_found(self, store: Store) -> None:
        ticket = fresh_ticket("INC-9")
        ticket.mark_persisted()
        note(ticket)
        with store.unit_of_work() as uow, pytest.raises(NotFound):
            uow.tickets.save(ticket)

    # -- transactions and events ---------------------------------------------

    def test_leaving_without_commit_rolls_back(self, store: Store) -> None:
        ticket = fresh_ticket("INC-1")
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
        assert ticket.pending_events() == ticket.history  # still to be stored
        with store.unit_of_work() as uow:
            assert uow.tickets.count() == 0
            uow.tickets.add(ticket)  # and it can be added again
            uow.commit()

    def test_an_exception_mid_way_writes_none_of_the_saves(self, store: Store) -> None:
        for id in ("INC-1", "INC-2", "INC-3"):
            store_one(store, id)
        with pytest.raises(RuntimeError), store.unit_of_work() as uow:
            for id in ("INC-1", "INC-2"):
                ticket = uow.tickets.get(id)
                note(ticket)
                uow.tickets.save(ticket)
            uow.tickets.add(fresh_ticket("INC-4"))
            raise RuntimeError("the host failed half-way")
        with store.unit_of_work() as uow:
            assert [t.version for t in uow.tickets.find()] == [3, 3, 3]

    def test_events_are_handed_over_only_after_commit(self, store: Store) -> None:
        delivered: list[tuple[Any, ...]] = []
        store.on_commit = delivered.append
        ticket = fresh_ticket("INC-1")
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            assert uow.events == () and delivered == []
            uow.commit()
        assert delivered == [ticket.history] and uow.events == ticket.history
        note(ticket)
        with store.unit_of_work() as uow:
            uow.tickets.save(ticket)  # rolled back: nothing delivered
        assert delivered == [ticket.history[:-1]]
        with pytest.raises(StorageError):
            uow.tickets.get("INC-1")  # an ended unit of work refuses further use

    # -- queries and streaming -----------------------------------------------

    def test_queries_filter_like_the_tickets_own_facts(self, store: Store) -> None:
        stored = store_varied(store)
        cases: list[tuple[Query, Callable[[Ticket], bool]]] = [
            (Query(state="in_progress"), lambda t: t.phase.value == "in_progress"),
            (Query(state=["new", "resolved"]), lambda t: t.phase.value in ("new", "resolved")),
            (Query(tier=Tier.L1), lambda t: (t.group or t.owner_group).tier == Tier.L1),
            (
                Query(group="service-desk"),
                lambda t: (t.group or t.owner_group).name == "service-desk",
            ),
            (Query(priority=2), lambda t: int(t.priority) == 2),
            (Query(category="net%"), lambda t: t.category == "net%"),
            (Query(category=NASTY_ID), lambda t: t.category == NASTY_ID),
            (Query(ci="db-1"), lambda t: "db-1" in t.ci_refs),
            (
                Query(opened_from=stored[3].opened_at, opened_before=stored[7].opened_at),
                lambda t: stored[3].opened_at <= t.opened_at < stored[7].opened_at,
            ),
            (
                Query(resolved_from=stored[0].opened_at),
                lambda t: t.resolved_at is not None and t.resolved_at >= stored[0].opened_at,
            ),
        ]
        with store.unit_of_work() as uow:
            for query, expected in cases:
                want = sorted(t.id for t in stored if expected(t))
                assert [t.id for t in uow.tickets.find(query)] == want, query
                assert uow.tickets.count(query) == len(want), query
        assert any(expected(t) for _, expected in cases for t in stored)

    def test_a_tickets_own_state_finds_it(self, store: Store) -> None:
        stored = store_varied(store)
        at_l2 = fresh_ticket("INC-L2")  # in progress at L2, beside the varied L1 ones
        later = at_l2.updated_at + timedelta(minutes=5)
        at_l2.escalate(DEFAULT_GROUPS[3], _HANDOVER, at=later, actor=SYSTEM)
        at_l2.start(at=later + timedelta(minutes=1), actor=SYSTEM)
        with store.unit_of_work() as uow:
            uow.tickets.add(at_l2)
            uow.commit()
        stored.append(at_l2)
        with store.unit_of_work() as uow:
            for ticket in stored:  # Ticket.state spells the tier: "L2.in_progress"
                want = sorted(t.id for t in stored if t.state == ticket.state)
                assert [t.id for t in uow.tickets.find(Query(state=ticket.state))] == want
            both = Query(state=[stored[0].state, "L3.on_hold", "closed"])
            want = sorted(t.id for t in stored if t.state in both.state)  # type: ignore[operator]
            assert [t.id for t in uow.tickets.find(both)] == want
        tiered = {t.state for t in stored if "." in t.state}
        assert len({s.partition(".")[2] for s in tiered}) < len(tiered)  # one phase, two tiers

    def test_find_streams_in_batches_in_id_order(self, store: Store) -> None:
        ids = [f"INC-{n:03}" for n in range(23)]
        with store.unit_of_work() as uow:
            for id in reversed(ids):
                uow.tickets.add(fresh_ticket(id))
            uow.commit()
        spy = _SelectSpy(store)
        with store.unit_of_work() as uow:
            stream = uow.tickets.find(batch_size=5)
            assert next(stream).id == ids[0]
            assert spy.limits == [5]  # one batch fetched, not everything
            assert [t.id for t in stream] == ids[1:]
        assert spy.limits == [5] * 5

    def test_text_is_stored_verbatim(self, store: Store) -> None:
        ticket = fresh_ticket("INC-'; DROP TABLE itil_heads; --", title=NASTY, description=NASTY)
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            uow.commit()
        with store.unit_of_work() as uow:
            loaded = uow.tickets.get(ticket.id)
            assert (loaded.title, loaded.description) == (NASTY, NASTY)
            assert uow.tickets.count(Query(category="%")) == 0

    # -- tenants ---------------------------------------------------------------

    def test_tenants_never_see_each_other(self, store: Store) -> None:
        for tenant, title in (("acme", "acme's"), ("globex", "globex's")):
            with store.unit_of_work(tenant) as uow:
                uow.tickets.add(fresh_ticket("INC-1", title=title))
                uow.tickets.add(fresh_ticket(f"INC-{tenant}", title=title))
                uow.commit()
        with store.unit_of_work("acme") as uow:
            assert uow.tickets.get("INC-1").title == "acme's"
            assert [t.id for t in uow.tickets.find()] == ["INC-1", "INC-acme"]
            assert uow.tickets.count() == 2
            with pytest.raises(NotFound):
                uow.tickets.get("INC-globex")
        with store.unit_of_work() as uow:
            assert uow.tickets.count() == 0
        with store.unit_of_work("globex") as uow:
            theirs = uow.tickets.get("INC-1")
        note(theirs)
        with store.unit_of_work("acme") as uow, pytest.raises(TenantMismatch):
            uow.tickets.save(theirs)  # same id and version, but loaded in globex
        for tenant, title in (("acme", "acme's"), ("globex", "globex's")):
            with store.unit_of_work(tenant) as uow:
                mine = uow.tickets.get("INC-1")
                assert (mine.version, mine.title) == (3, title)

    # -- helpers ---------------------------------------------------------------


def _repo(uow: Any, entity: Entity[Any]) -> Any:
    return {
        "Ticket": uow.tickets,
        "ChangeRequest": uow.changes,
        "KnowledgeArticle": uow.articles,
        "ConfigurationItem": uow.configuration_items,
        "Problem": uow.problems,
    }[type(entity).__name__]


class _SelectSpy:
    """Records the `limit` of every `select` the store's sessions run."""

    def __init__(self, store: Store) -> None:
        self.limits: list[int] = []
        backend = store.backend
        spy = self

        class Backend:
            def session(self) -> Any:
                inner = backend.session()

                class Session:
                    def __getattr__(self, name: str) -> Any:
                        return getattr(inner, name)

                    def select(self, *args: Any) -> Any:
                        spy.limits.append(args[-1])
                        return inner.select(*args)

                return Session()

        store.backend = Backend()
