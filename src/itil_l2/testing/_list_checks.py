"""Part of the storage contract: lists of views, read without replay, as replay would show them.

`ListChecks` (a base of `StoreContract`) demands of `Repository.list` what a
host's list page relies on: every listed view equals the view of the entity
`get` replays, after any number of units of work; the ids listed are the ids
`find` returns for the same query; each filter (assignee, caller, title text
with Unicode casefolding and literal `%`/`_`, the half-open updated range,
host attributes compared as strings, state, tier, priority) keeps exactly
the entities a brute-force filter over the replayed views keeps; paging by
each order key, both directions, walks every match once, in order, ties by
id; bad cursors, limits and orders are `ValidationError`s; a rolled-back or
refused save leaves the stored view as it was.

The fixture's store must declare at least one indexed host attribute
(`Store(..., indexed_attributes=("customer",))`): the checks filter on the
first one declared, and fail at once, saying so, if there is none.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Urgency
from itil_l2.errors import ConcurrencyError, StorageError, ValidationError
from itil_l2.problems import Problem
from itil_l2.storage import Query, Store
from itil_l2.testing._common import T1
from itil_l2.testing._list_entities import (
    _ORDERS,
    _VALUES,
    _any_entity,
    _facts,
    _filters,
    _key,
    _kind,
    _orders,
    _repo,
    _store,
    _tenant,
    attribute,
    brute_force,
    host_cis,
    host_problems,
    host_tickets,
    order_value,
    walk_pages,
)
from itil_l2.testing._problems import PROBLEM_MANAGER
from itil_l2.testing._tickets import fresh_ticket
from itil_l2.views import view_of

__all__ = ["ListChecks"]

_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
        HealthCheck.filter_too_much,
    ],
)


class ListChecks:
    """Contract tests (a base of `StoreContract`): `Repository.list` and its filters.

    The fixture's store must declare an indexed host attribute
    (`indexed_attributes=("customer",)`); the checks fail at once without one.
    """

    @settings(_SETTINGS, max_examples=25)
    @given(data=st.data())
    def test_listed_views_are_the_replayed_views(self, store: Store, data: Any) -> None:
        name = attribute(store)
        drawn = data.draw(st.lists(_any_entity(name), min_size=1, max_size=3, unique_by=_key))
        cuts = [data.draw(st.integers(1, e.version), label="cut") for e in drawn]
        tenant = _tenant()
        _store(store, tenant, drawn, cuts)
        with store.unit_of_work(tenant) as uow:
            for entity in drawn:
                repo, replayed = _repo(uow, entity), _repo(uow, entity).get(entity.id)
                assert replayed.history == entity.history
                view = view_of(replayed)
                queries = [
                    Query(),
                    Query(state=entity.state),
                    Query(updated_from=entity.updated_at),
                ]
                queries += [Query(**{k: v}) for k, v in _facts(view, _kind(entity), name).items()]
                for query in queries:
                    order = data.draw(st.sampled_from(_orders(entity)), label="order")
                    listed = walk_pages(repo, query, order, data.draw(st.integers(1, 3)))
                    assert view in listed, query
                    assert all(item == view_of(repo.get(item["id"])) for item in listed)
                    assert {v["id"] for v in listed} == {e.id for e in repo.find(query)}, query

    @_SETTINGS
    @given(data=st.data())
    def test_filters_keep_what_a_brute_force_filter_keeps(self, store: Store, data: Any) -> None:
        name = attribute(store)
        strategy = data.draw(st.sampled_from([host_tickets(name), host_cis(name), host_problems()]))
        drawn = data.draw(st.lists(strategy, min_size=2, max_size=7, unique_by=_key))
        tenant, kind = _tenant(), _kind(drawn[0])
        _store(store, tenant, drawn, [e.version for e in drawn])
        with store.unit_of_work(tenant) as uow:
            repo = _repo(uow, drawn[0])
            views = [view_of(repo.get(e.id)) for e in drawn]
            for _ in range(6):
                filters = data.draw(_filters(views, kind, name))
                query = Query(**filters)
                want = sorted(v["id"] for v in views if brute_force(v, kind, filters))
                listed = walk_pages(repo, query, "id", data.draw(st.integers(1, 4)))
                assert [v["id"] for v in listed] == want, filters
                assert [e.id for e in repo.find(query)] == want, filters
                assert repo.count(query) == len(want), filters

    def test_title_search_casefolds_and_takes_metacharacters_literally(self, store: Store) -> None:
        titles = ["Straße gesperrt", "100% CPU", "100 CPU", "a_b", "axb", 'it\'s "x"', "ΣΊΣΥΦΟΣ"]
        with store.unit_of_work() as uow:
            for n, title in enumerate(titles):
                uow.tickets.add(fresh_ticket(f"INC-{n}", title=title))
            uow.commit()
        expected = {"STRASSE": ["INC-0"], "straße": ["INC-0"], "%": ["INC-1"], "_": ["INC-3"]}
        expected |= {"'s \"": ["INC-5"], "σίσυφος": ["INC-6"], "100": ["INC-1", "INC-2"]}
        with store.unit_of_work() as uow:
            for needle, ids in expected.items():
                listed = uow.tickets.list(Query(title_contains=needle), limit=1000).items
                assert [v["id"] for v in listed] == ids, needle

    def test_attributes_are_compared_as_strings(self, store: Store) -> None:
        name = attribute(store)
        with store.unit_of_work() as uow:
            for n, value in enumerate(_VALUES):
                uow.tickets.add(fresh_ticket(f"INC-{n}", attributes={name: value}))
            uow.tickets.add(fresh_ticket("INC-none"))
            uow.commit()
        with store.unit_of_work() as uow:
            for wanted in ("42", '{"x": "acme"}', "acme", "", "[1]", "true", "1"):
                want = [f"INC-{n}" for n, v in enumerate(_VALUES) if v == wanted]
                found = uow.tickets.list(Query(attributes={name: wanted}), limit=1000).items
                assert [v["id"] for v in found] == want, wanted
                assert uow.tickets.count(Query(attributes={name: wanted})) == len(want)
            for refused in (
                lambda: uow.tickets.list(Query(attributes={"not_declared_zz": "x"})),
                lambda: list(uow.tickets.find(Query(attributes={"not_declared_zz": "x"}))),
                lambda: uow.problems.list(Query(attributes={name: "acme"})),
                lambda: uow.changes.count(Query(attributes={name: "acme"})),
            ):
                with pytest.raises(ValidationError):
                    refused()

    def test_paging_walks_every_match_once_in_order(self, store: Store) -> None:
        made = _varied(store)
        with store.unit_of_work() as uow:
            for repo, kind in ((uow.tickets, "ticket"), (uow.problems, "problem")):
                views = [view_of(repo.get(e.id)) for e in made if _kind(e) == kind]
                for key in _ORDERS:
                    expected = sorted(views, key=lambda v: (order_value(v, key), v["id"]))
                    for descending in (False, True):
                        want = [v["id"] for v in (expected[::-1] if descending else expected)]
                        order_by = f"-{key}" if descending else key
                        for limit in (1, 2, 5, 1000):
                            listed = walk_pages(repo, None, order_by, limit)
                            assert [v["id"] for v in listed] == want, (kind, order_by, limit)
                        filtered = walk_pages(repo, Query(priority=3), order_by, 2)
                        assert [v["id"] for v in filtered] == [
                            i for i in want if order_value(_by_id(views, i), "priority") == 3
                        ]
        assert len({order_value(v, "opened_at") for v in views}) < len(views)  # ties exist

    def test_bad_arguments_are_refused(self, store: Store) -> None:
        _varied(store)
        with store.unit_of_work() as uow:
            cursor = uow.tickets.list(order_by="updated_at", limit=1).next_cursor
            assert cursor is not None
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            order, value, id = json.loads(raw)
            forged = [[order, 7, id], ["priority", value, id], [order, value], [order, "x", id]]
            forged += [[order, value[:19], id], [order, value, 5]]  # a naive time, a bad id
            bad = ["!!!", "", "e30", base64.urlsafe_b64encode(raw[:-3]).decode(), 12, cursor[:-2]]
            bad += [base64.urlsafe_b64encode(json.dumps(f).encode()).decode() for f in forged]
            tickets: Any = uow.tickets  # typed loosely: it is given what no caller should give
            for garbage in bad:
                with pytest.raises(ValidationError):
                    tickets.list(order_by="updated_at", cursor=garbage)
            for other in ("id", "-updated_at", "opened_at"):
                with pytest.raises(ValidationError):
                    uow.tickets.list(order_by=other, cursor=cursor)  # another order's cursor
            for limit in (0, 1001, True, -1, 2.0, "5"):
                with pytest.raises(ValidationError):
                    tickets.list(limit=limit)
            for order_by in ("title", "-", "--id", "ID", None, "+id"):
                with pytest.raises(ValidationError):
                    tickets.list(order_by=order_by)
            for repo in (uow.changes, uow.articles, uow.configuration_items):
                assert repo.list(order_by="-updated_at").items == ()
                with pytest.raises(ValidationError):
                    repo.list(order_by="priority")
            for records in (uow.known_errors, uow.training_sessions):
                with pytest.raises(StorageError):
                    records.list()
            with pytest.raises(ValidationError):
                uow.tickets.list(Query(state="draft"))  # an article's state, not a ticket's
            with pytest.raises(ValidationError):
                Query(updated_from=T1, updated_before=T1 - timedelta(seconds=1))

    def test_a_rolled_back_or_refused_save_leaves_the_view(self, store: Store) -> None:
        ticket = fresh_ticket("INC-1", title="before")
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            uow.commit()
        stored = _only(store)
        with store.unit_of_work() as uow:
            mine = uow.tickets.get("INC-1")
            mine.update(title="rolled back", caller="x", at=mine.updated_at, actor=SYSTEM)
            uow.tickets.save(mine)
            assert _listed(uow)["title"] == "rolled back"  # its own write, before commit
        assert _only(store) == stored
        with pytest.raises(RuntimeError), store.unit_of_work() as uow:
            again = uow.tickets.get("INC-1")
            again.update(title="half way", at=again.updated_at, actor=SYSTEM)
            uow.tickets.save(again)
            raise RuntimeError("the host failed")
        assert _only(store) == stored
        with store.unit_of_work() as first, store.unit_of_work() as second:
            ours, theirs = first.tickets.get("INC-1"), second.tickets.get("INC-1")
            ours.update(title="first", at=ours.updated_at, actor=SYSTEM)
            first.tickets.save(ours)
            first.commit()
            theirs.update(title="second", caller="y", at=theirs.updated_at, actor=SYSTEM)
            with pytest.raises(ConcurrencyError):
                second.tickets.save(theirs)
        assert _only(store)["title"] == "first" and _only(store)["caller"] is None
        with store.unit_of_work() as uow:
            assert uow.tickets.count(Query(title_contains="second")) == 0
            assert uow.tickets.count(Query(title_contains="first")) == 1


def _varied(store: Store) -> list[Any]:
    """Committed tickets and problems with tied opened times and priorities, varied updates."""
    made: list[Any] = []
    with store.unit_of_work() as uow:
        for n in range(9):
            ticket = fresh_ticket(
                f"INC-{n}",
                impact=(Impact.HIGH, Impact.MEDIUM, Impact.LOW)[n % 3],
                urgency=(Urgency.HIGH, Urgency.LOW)[n % 2],
                at=T1 + timedelta(hours=n // 3),
            )
            ticket.add_note("later", at=ticket.updated_at + timedelta(minutes=9 - n), actor=SYSTEM)
            problem = Problem.open(
                id=f"PRB-{n}",
                statement=f"problem {n}",
                impact=(Impact.HIGH, Impact.LOW)[n % 2],
                urgency=(Urgency.MEDIUM, Urgency.LOW, Urgency.HIGH)[n % 3],
                at=T1 + timedelta(hours=n // 4),
                actor=PROBLEM_MANAGER,
            )
            for entity in (ticket, problem):
                _repo(uow, entity).add(entity)
                made.append(entity)
        uow.commit()
    return made


def _by_id(views: list[dict[str, Any]], id: str) -> dict[str, Any]:
    return next(v for v in views if v["id"] == id)


def _listed(uow: Any) -> dict[str, Any]:
    (view,) = uow.tickets.list().items
    return dict(view)


def _only(store: Store) -> dict[str, Any]:
    """The one stored ticket's listed view, checked against its replayed view."""
    with store.unit_of_work() as uow:
        view = _listed(uow)
        assert view == view_of(uow.tickets.get(view["id"]))
        return view
