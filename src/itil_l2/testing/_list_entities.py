"""Entities, filters and a brute-force oracle for the list contract (`ListChecks`).

The strategies draw what trips a list: titles that casefold alike ("Straße"
and "STRASSE"), LIKE metacharacters and quotes, host attributes of every JSON
type under the declared name (a number 42 beside the text "42"), owners and
callers, times in several offsets. `brute_force` judges a filter on a
replayed entity's view in plain Python, independently of any adapter's SQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Urgency
from itil_l2.cmdb import CiKind, CiStatus, ConfigurationItem
from itil_l2.errors import ItilL2Error
from itil_l2.problems import Problem, ProblemConfig, ProblemTrigger
from itil_l2.storage import Query, Store
from itil_l2.testing._changes import change_requests
from itil_l2.testing._cmdb import configuration_items, json_values
from itil_l2.testing._common import T1, call_trigger, walk
from itil_l2.testing._knowledge import knowledge_articles
from itil_l2.testing._problems import PROBLEM_MANAGER, PROBLEM_TEAM, rca_records
from itil_l2.testing._tickets import DEFAULT_GROUPS, draw_move, tickets
from itil_l2.tickets import Channel, Ticket, TicketKind

_REPO = {
    Ticket: ("tickets", "ticket"),
    Problem: ("problems", "problem"),
    ConfigurationItem: ("configuration_items", "ci"),
}
_TITLE = {"ticket": "title", "problem": "statement", "change": "title", "article": "title"}
_ASSIGNEE = {"ticket": "assignee", "problem": "assignee", "article": "author", "ci": "owner"}
_CALLER = {"ticket": "caller", "change": "requested_by"}
_ORDERS = ("id", "opened_at", "updated_at", "priority")

# Texts that trip naive searches: casefolding (ß ↔ SS, final sigma), LIKE metacharacters, quotes.
_TITLES = st.sampled_from(
    ["Straße gesperrt", "STRASSE offen", "100% CPU", "100 CPU", "a_b", "axb", "it's \"x\"",
     "ΣΊΣΥΦΟΣ", "Ünïcødé ✓ 東京", "-- ; DROP TABLE itil_heads", "back\\slash"]
)  # fmt: skip
_NEEDLES = ["strasse", "STRASSE", "straße", "%", "_", "'s \"", "σίσυφος", "\\", "100", "東京"]
_PEOPLE = st.sampled_from([None, "ann", "Ann", "o'brien", "%", "_", "bob"])
_VALUES = ["acme", "ACME", "42", 42, {"x": "acme"}, '{"x": "acme"}', "", [1], True]
_ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]


def _tenant() -> str:
    return f"l-{uuid.uuid4().hex[:12]}"


def _repo(uow: Any, entity: Any) -> Any:
    name = {"ChangeRequest": "changes", "KnowledgeArticle": "articles"}.get(type(entity).__name__)
    return getattr(uow, name or _REPO[type(entity)][0])


def _kind(entity: Any) -> str:
    name = {"ChangeRequest": "change", "KnowledgeArticle": "article"}.get(type(entity).__name__)
    return name or _REPO[type(entity)][1]


def attribute(store: Store) -> str:
    """The host attribute the checks filter on: the first the fixture's store declares."""
    if not store.indexed_attributes:
        pytest.fail(
            "the list contract filters on a host attribute: make the fixture's store with"
            ' indexed_attributes=("customer",) (any one name will do)'
        )
    return store.indexed_attributes[0]


@st.composite
def host_tickets(draw: st.DrawFn, name: str = "customer") -> Ticket:
    """Tickets with callers, tricky titles, host attributes, offsets, walked by legal moves."""
    value = draw(st.sampled_from([*_VALUES, None]))
    ticket = Ticket.open(
        id=f"INC-{draw(st.integers(0, 40))}",
        title=draw(_TITLES),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        owner_group=DEFAULT_GROUPS[0],
        kind=draw(st.sampled_from(TicketKind)),
        channel=draw(st.sampled_from(Channel)),
        caller=draw(_PEOPLE),
        attributes=None if value is None else {name: value, "other": "acme"},
        at=T1.astimezone(draw(st.sampled_from(_ZONES))) + timedelta(hours=draw(st.integers(0, 3))),
        actor=SYSTEM,
    )
    for now in walk(draw, 6, ticket.opened_at):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        try:
            draw_move(draw, ticket, trigger, DEFAULT_GROUPS, valid=True).fire(ticket, now, SYSTEM)
        except ItilL2Error:
            continue
    return ticket


@st.composite
def host_cis(draw: st.DrawFn, name: str = "customer") -> ConfigurationItem:
    """CIs with owners, tricky names and a host attribute of any JSON type."""
    value = draw(st.sampled_from([*_VALUES, None]))
    at = T1 + timedelta(minutes=draw(st.integers(0, 5)))
    ci = ConfigurationItem.register(
        id=f"ci-{draw(st.integers(0, 40))}",
        name=draw(_TITLES),
        kind=draw(st.sampled_from(CiKind)),
        support_group=draw(st.sampled_from(DEFAULT_GROUPS)),
        owner=draw(_PEOPLE),
        attributes=draw(json_values().map(lambda v: {"other": v}))
        | ({} if value is None else {name: value}),
        at=at,
        actor=SYSTEM,
    )
    if draw(st.booleans()):
        ci.change_status(CiStatus.ACTIVE, at=at + timedelta(minutes=1), actor=SYSTEM)
    return ci


@st.composite
def host_problems(draw: st.DrawFn) -> Problem:
    """Problems with tricky statements and assignees, walked forward by a problem manager."""
    problem = Problem.open(
        id=f"PRB-{draw(st.integers(0, 40))}",
        statement=draw(_TITLES),
        impact=draw(st.sampled_from(Impact)),
        urgency=draw(st.sampled_from(Urgency)),
        group=draw(st.none() | st.just(PROBLEM_TEAM)),
        at=T1 + timedelta(minutes=draw(st.integers(0, 5))),
        actor=PROBLEM_MANAGER,
    )
    for now in walk(draw, 8, problem.opened_at):
        trigger = draw(st.sampled_from(problem.allowed_triggers() or (ProblemTrigger.ADD_NOTE,)))
        args = _problem_args(draw, problem, trigger)
        try:
            call_trigger(problem, trigger, now, PROBLEM_MANAGER, **args)
        except (ItilL2Error, TypeError):
            continue  # a trigger these arguments do not fit (link_incident): skipped
    return problem


def _problem_args(draw: st.DrawFn, problem: Problem, trigger: ProblemTrigger) -> dict[str, Any]:
    if trigger is ProblemTrigger.ASSIGN:
        return {"group": PROBLEM_TEAM, "assignee": draw(_PEOPLE)}
    if trigger is ProblemTrigger.RECORD_RCA:
        return {"rca": draw(rca_records(complete=True))}
    fixed: dict[ProblemTrigger, dict[str, Any]] = {
        ProblemTrigger.PUBLISH_WORKAROUND: {"text": "restart it"},
        ProblemTrigger.ADD_NOTE: {"text": "seen again"},
        ProblemTrigger.REANALYZE: {"reason": "back"},
        ProblemTrigger.CANCEL: {"reason": "gone"},
        ProblemTrigger.RAISE_KNOWN_ERROR: {"id": f"KE-{problem.id}"},
        ProblemTrigger.RESOLVE: {"code": ProblemConfig().resolution_codes[0], "notes": "ok"},
    }
    return fixed.get(trigger, {})


def _any_entity(name: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        tickets(max_steps=8),
        change_requests(max_steps=8),
        knowledge_articles(max_steps=6),
        configuration_items(),
        host_problems(),
        host_tickets(name),
        host_cis(name),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def brute_force(view: dict[str, Any], kind: str, filters: dict[str, Any]) -> bool:
    """Whether a replayed entity's view passes `filters` (Query's keywords), judged in Python."""
    for name, want in filters.items():
        if name in ("assignee", "caller"):
            key = (_ASSIGNEE if name == "assignee" else _CALLER).get(kind)
            ok = key is not None and view[key] == want
        elif name == "title_contains":
            ok = want.casefold() in view[_TITLE.get(kind, "name")].casefold()
        elif name == "updated_from":
            ok = _time(view["updated_at"]) >= want
        elif name == "updated_before":
            ok = _time(view["updated_at"]) < want
        elif name == "attributes":
            held = view.get("attributes") or {}
            ok = all(type(held.get(k)) is str and held[k] == v for k, v in want.items())
        elif name == "state":
            ok = view["state"] in want or view.get("phase") in want
        elif name == "tier":
            ok = view["tier"] == want
        else:
            assert name == "priority", name
            ok = view.get("priority") == f"P{want}"
        if not ok:
            return False
    return True


def walk_pages(repo: Any, query: Query | None, order_by: str, limit: int) -> list[dict[str, Any]]:
    """Every view of a list, page by page through `next_cursor` (each id once)."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        page = repo.list(query, order_by=order_by, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        assert page.items or cursor is None, "a cursor was handed out for an empty page"
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            ids = [v["id"] for v in items]
            assert len(ids) == len(set(ids)), f"an entity listed twice: {ids}"
            return items
    raise AssertionError("paging never ended")


def order_value(view: dict[str, Any], key: str) -> Any:
    """A view's value of an order key, as the list orders it."""
    if key in ("opened_at", "updated_at"):
        return _time(view[key])
    return int(view["priority"][1:]) if key == "priority" else view["id"]


def _store(store: Store, tenant: str, entities: list[Any], cuts: list[int]) -> None:
    """Store each entity's first `cut` events by `add`, the rest by `get` + more events + `save`."""
    for entity, cut in zip(entities, cuts, strict=True):
        first = type(entity).from_history(entity.history[:cut])
        first._stored_in(None, 0)  # a new entity: every event pending
        with store.unit_of_work(tenant) as uow:
            _repo(uow, entity).add(first)
            uow.commit()
    for step in (2, 1):  # the rest in two more units of work, each firing the next events
        with store.unit_of_work(tenant) as uow:
            for entity, cut in zip(entities, cuts, strict=True):
                loaded = _repo(uow, entity).get(entity.id)
                end = len(entity.history) if step == 1 else (cut + len(entity.history)) // 2
                for number in range(loaded.version + 1, end + 1):
                    loaded._replay(number, entity.history[number - 1])  # as the trigger did
                _repo(uow, entity).save(loaded)
            uow.commit()


def _key(entity: Any) -> tuple[str, str]:
    return type(entity).__name__, entity.id


def _orders(entity: Any) -> list[str]:
    keys = _ORDERS if _kind(entity) in ("ticket", "problem") else _ORDERS[:3]
    return [*keys, *(f"-{k}" for k in keys)]


def _facts(view: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """Filters the view's own values must pass (its assignee, caller, title text, attribute)."""
    facts: dict[str, Any] = {}
    for filter, keys in (("assignee", _ASSIGNEE), ("caller", _CALLER)):
        if keys.get(kind) and view[keys[kind]] is not None:
            facts[filter] = view[keys[kind]]
    needle = view[_TITLE.get(kind, "name")][1:-1]
    if needle.strip():  # in capitals where that folds back the same (not so for "ı")
        upper = needle.upper()
        facts["title_contains"] = upper if upper.casefold() == needle.casefold() else needle
    value = (view.get("attributes") or {}).get(name)
    if isinstance(value, str):
        facts["attributes"] = {name: value}
    return facts


def _filters(views: list[dict[str, Any]], kind: str, name: str) -> st.SearchStrategy[Any]:
    """One to three filters, with values taken from the stored views and tricky ones."""
    times = sorted({_time(v["updated_at"]) for v in views})
    people = ["ann", "o'brien", "%", "_", *(v.get(_ASSIGNEE[kind]) for v in views)]
    options: dict[str, st.SearchStrategy[Any]] = {
        "assignee": st.sampled_from([p for p in people if p is not None]),
        "title_contains": st.sampled_from(_NEEDLES),
        "updated_from": st.sampled_from(times),
        "updated_before": st.sampled_from(times),
        "state": st.sampled_from(sorted({v["state"] for v in views})).map(lambda s: [s]),
        "tier": st.sampled_from(sorted({v["tier"] for v in views if v["tier"]} or {"L1"})),
    }
    if kind != "ci":
        options["priority"] = st.integers(1, 5)
    if kind == "ticket":
        options["caller"] = st.sampled_from(["ann", "Ann", "o'brien", "%", "bob"])
    if kind in ("ticket", "ci"):
        values = [v for v in _VALUES if isinstance(v, str)] + ["1", "True"]
        options["attributes"] = st.sampled_from(values).map(lambda v: {name: v})
    names = st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3, unique=True)
    return names.flatmap(lambda keys: st.fixed_dictionaries({k: options[k] for k in keys})).filter(
        lambda f: f.get("updated_from", T1) <= f.get("updated_before", f.get("updated_from", T1))
    )
