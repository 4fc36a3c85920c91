"""Issue 15, item 3: one set of limits, defined once, held at every entry point and adapter.

An id, category, group, tenant or CI reference over 200 characters, or one holding
NUL, used to pass the domain and SQLite and then fail on PostgreSQL with a raw
`DataError`. The limits now live in one place (`itil_l2.MAX_ID_LENGTH`, the control
characters no identifier holds, NUL in no text), every entry point refuses what breaks
them with `ValidationError`, the importers turn such a row into a deviation, and
everything the domain accepts round-trips through every adapter.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from itil_l2 import (
    MAX_ID_LENGTH,
    SOLVED_PERMANENTLY,
    SYSTEM,
    Actor,
    ChangeRequest,
    ConfigurationItem,
    Handover,
    HoldReason,
    Impact,
    KnowledgeArticle,
    KnownError,
    L3Target,
    L3TargetKind,
    LinkKind,
    Problem,
    Resolution,
    ResolutionCode,
    Role,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    TrainingSession,
    Urgency,
    ValidationError,
)
from itil_l2.changes import ApprovalBoard, ChangeLink, ChangeLinkKind, ChangeRisk, ChangeType
from itil_l2.changes.events import ChangeApproved
from itil_l2.cmdb import CiKind, Relation, RelationKind
from itil_l2.cmdb.events import CiResolutionChangesApplied
from itil_l2.importers import (
    ConformanceError,
    ImportPolicy,
    MalformedExport,
    read_servicenow,
    read_xes,
)
from itil_l2.problems import ProblemResolutionCode
from itil_l2.problems.events import ProblemFixStarted, ProblemIncidentLinked, ProblemResolution
from itil_l2.storage import MemoryStore, Query, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import assert_same, example_ticket
from itil_l2.tickets import CiChange
from itil_l2.tickets.events import VendorUpdated
from test_import_servicenow import COLUMNS, row
from test_storage_contract import postgres_url

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
DESK = SupportGroup("service-desk", Tier.L1)

# -- what the domain accepts, and what it refuses ----------------------------------------

ID_CHARS = st.characters(exclude_categories=("Cc", "Cs"))
"""Any character an identifier may hold: every one but controls and lone surrogates."""
TEXT_CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
"""Any character text may hold: every one but NUL (hypothesis draws no lone surrogates)."""


def _non_blank(text: str) -> bool:
    return text.strip() != ""


ids = st.text(ID_CHARS, min_size=1, max_size=MAX_ID_LENGTH).filter(_non_blank)
limit_ids = st.text(ID_CHARS, min_size=MAX_ID_LENGTH, max_size=MAX_ID_LENGTH).filter(_non_blank)
texts = st.text(TEXT_CHARS, min_size=1, max_size=400).filter(_non_blank)

too_long = st.text(ID_CHARS, min_size=MAX_ID_LENGTH + 1, max_size=3 * MAX_ID_LENGTH)
with_control = st.builds(
    lambda head, control, tail: head + control + tail,
    st.text(ID_CHARS, max_size=MAX_ID_LENGTH // 2),
    st.characters(categories=("Cc",)),
    st.text(ID_CHARS, max_size=MAX_ID_LENGTH // 2 - 1),
)
bad_ids = too_long | with_control
with_nul = st.builds(lambda head, tail: head + "\x00" + tail, texts, st.text(TEXT_CHARS))


def _open(**fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": "INC-1",
        "title": "VPN down",
        "impact": Impact.LOW,
        "urgency": Urgency.LOW,
        "owner_group": DESK,
        "at": AT,
        "actor": SYSTEM,
    }
    return Ticket.open(**{**values, **fields})


def _problem(**fields: Any) -> Problem:
    values: dict[str, Any] = {
        "id": "PRB-1",
        "statement": "Orders fail at night",
        "impact": Impact.HIGH,
        "urgency": Urgency.LOW,
        "at": AT,
        "actor": SYSTEM,
    }
    return Problem.open(**{**values, **fields})


def _change(**fields: Any) -> ChangeRequest:
    values: dict[str, Any] = {
        "id": "CHG-1",
        "title": "Patch the listener",
        "change_type": ChangeType.NORMAL,
        "risk": ChangeRisk.LOW,
        "group": SupportGroup("dba", Tier.L2),
        "at": AT,
        "actor": SYSTEM,
    }
    return ChangeRequest.raise_(**{**values, **fields})


def _article(**fields: Any) -> KnowledgeArticle:
    values: dict[str, Any] = {"id": "KB-1", "title": "ORA-12541", "at": AT, "actor": SYSTEM}
    return KnowledgeArticle.draft(**{**values, **fields})


def _ci(**fields: Any) -> ConfigurationItem:
    values: dict[str, Any] = {
        "id": "db-1",
        "name": "db-prod-1",
        "kind": CiKind.DATABASE,
        "support_group": SupportGroup("dba", Tier.L2),
        "at": AT,
        "actor": SYSTEM,
    }
    return ConfigurationItem.register(**{**values, **fields})


def _known_error(**fields: Any) -> KnownError:
    values: dict[str, Any] = {
        "id": "KE-1",
        "problem_id": "PRB-1",
        "title": "Orders fail at night",
        "symptom": "ORA-12541",
        "root_cause": "the listener log fills up",
        "workaround": "restart the listener",
    }
    return KnownError(**{**values, **fields})


def _training(**fields: Any) -> TrainingSession:
    values: dict[str, Any] = {
        "id": "TRN-1",
        "topic": "Listener errors",
        "trainer": "bob",
        "attendees": ["ann"],
        "start": AT,
        "duration": timedelta(hours=1),
    }
    return TrainingSession(**{**values, **fields})


def _later(ticket: Ticket) -> dict[str, Any]:
    return {"at": ticket.updated_at + timedelta(minutes=1), "actor": SYSTEM}


ID_ENTRY_POINTS: dict[str, Callable[[str], object]] = {
    # tickets
    "Ticket.open id": lambda v: _open(id=v),
    "Ticket.open category": lambda v: _open(category=v),
    "Ticket.open subcategory": lambda v: _open(subcategory=v),
    "Ticket.open service": lambda v: _open(service=v),
    "Ticket.open caller": lambda v: _open(caller=v),
    "Ticket.open ci_refs": lambda v: _open(ci_refs=[v]),
    "Ticket.update category": lambda v: (t := example_ticket()).update(category=v, **_later(t)),
    "Ticket.update ci_refs": lambda v: (t := example_ticket()).update(ci_refs=[v], **_later(t)),
    "Ticket.assign_to": lambda v: (t := example_ticket()).assign_to(v, **_later(t)),
    "Ticket.link": lambda v: (t := example_ticket()).link(LinkKind.PROBLEM, v, **_later(t)),
    "Ticket.cancel duplicate_of": lambda v: (t := example_ticket()).cancel(
        "a duplicate", duplicate_of=v, **_later(t)
    ),
    "SupportGroup name": lambda v: SupportGroup(v, Tier.L2),
    "Actor id": Actor,
    "Handover ci_refs": lambda v: Handover(ci_refs=[v]),
    "L3Target name": lambda v: L3Target(L3TargetKind.VENDOR, v),
    "L3Target reference": lambda v: L3Target(L3TargetKind.VENDOR, "Oracle", reference=v),
    "VendorUpdated reference": lambda v: VendorUpdated("on it", None, v),
    "Resolution kb_refs": lambda v: Resolution(SOLVED_PERMANENTLY, "fixed", kb_refs=[v]),
    "Resolution problem_ref": lambda v: Resolution(SOLVED_PERMANENTLY, "fixed", problem_ref=v),
    "ResolutionCode code": lambda v: ResolutionCode(v, "label", successful=True),
    "CiChange ci_ref": lambda v: CiChange(v, "version", "1", "2"),
    # problems
    "Problem.open id": lambda v: _problem(id=v),
    "Problem.open category": lambda v: _problem(category=v),
    "Problem.open service": lambda v: _problem(service=v),
    "Problem.open ci_refs": lambda v: _problem(ci_refs=[v]),
    "Problem.assign assignee": lambda v: _problem().assign(DESK, assignee=v, at=AT, actor=SYSTEM),
    "ProblemFixStarted change_ref": lambda v: ProblemFixStarted(change_ref=v),
    "ProblemIncidentLinked ticket_id": ProblemIncidentLinked,
    "ProblemResolution duplicate_of": lambda v: ProblemResolution(
        ProblemResolutionCode.DUPLICATE, "the same", v
    ),
    "KnownError id": lambda v: _known_error(id=v),
    "KnownError problem_id": lambda v: _known_error(problem_id=v),
    "KnownError category": lambda v: _known_error(category=v),
    "KnownError ci_refs": lambda v: _known_error(ci_refs=[v]),
    # changes
    "ChangeRequest.raise_ id": lambda v: _change(id=v),
    "ChangeRequest.raise_ raised_from": lambda v: _change(
        raised_from=ChangeLink(ChangeLinkKind.PROBLEM, v)
    ),
    "ChangeRequest.link": lambda v: _change().link(ChangeLinkKind.TICKET, v, at=AT, actor=SYSTEM),
    "ChangeApproved approver_id": lambda v: ChangeApproved(v, ApprovalBoard.CAB),
    # knowledge
    "KnowledgeArticle.draft id": lambda v: _article(id=v),
    "KnowledgeArticle.draft ci_refs": lambda v: _article(ci_refs=[v]),
    "KnowledgeArticle.draft categories": lambda v: _article(categories=[v]),
    "KnowledgeArticle.draft source_tickets": lambda v: _article(source_tickets=[v]),
    "KnowledgeArticle.draft author": lambda v: _article(author=v),
    "KnowledgeArticle.edit categories": lambda v: _article().edit(
        categories=[v], at=AT, actor=SYSTEM
    ),
    "TrainingSession id": lambda v: _training(id=v),
    "TrainingSession trainer": lambda v: _training(trainer=v),
    "TrainingSession attendees": lambda v: _training(attendees=[v]),
    "TrainingSession categories": lambda v: _training(categories=[v]),
    "TrainingSession article_refs": lambda v: _training(article_refs=[v]),
    # CMDB
    "ConfigurationItem.register id": lambda v: _ci(id=v),
    "ConfigurationItem.register name": lambda v: _ci(name=v),
    "ConfigurationItem.register owner": lambda v: _ci(owner=v),
    "ConfigurationItem.register relations": lambda v: _ci(
        relations=[Relation(RelationKind.RUNS_ON, v)]
    ),
    "ConfigurationItem.relate": lambda v: _ci().relate(
        RelationKind.RUNS_ON, v, at=AT, actor=SYSTEM
    ),
    "ConfigurationItem.update name": lambda v: _ci().update(name=v, at=AT, actor=SYSTEM),
    "ConfigurationItem.update owner": lambda v: _ci().update(owner=v, at=AT, actor=SYSTEM),
    "CiResolutionChangesApplied ticket_id": lambda v: CiResolutionChangesApplied(v, ()),
    # storage
    "Store.unit_of_work tenant": lambda v: MemoryStore().unit_of_work(tenant=v),
}
"""Every entry point an identifier passes, fed the value under test."""

TEXT_ENTRY_POINTS: dict[str, Callable[[str], object]] = {
    "Ticket.open title": lambda v: _open(title=v),
    "Ticket.open description": lambda v: _open(description=v),
    "Ticket.open symptom": lambda v: _open(symptom=v),
    "Ticket.update title": lambda v: (t := example_ticket()).update(title=v, **_later(t)),
    "Ticket.add_note": lambda v: (t := example_ticket()).add_note(v, **_later(t)),
    "Handover description": lambda v: Handover(description=v),
    "SolutionAttempt action": lambda v: SolutionAttempt(v, "no change"),
    "Resolution notes": lambda v: Resolution(SOLVED_PERMANENTLY, v),
    "Problem.open statement": lambda v: _problem(statement=v),
    "Problem.open description": lambda v: _problem(description=v),
    "ChangeRequest.raise_ title": lambda v: _change(title=v),
    "ChangeRequest.raise_ description": lambda v: _change(description=v),
    "KnowledgeArticle.draft title": lambda v: _article(title=v),
    "KnowledgeArticle.draft symptom": lambda v: _article(symptom=v),
    "KnownError workaround": lambda v: _known_error(workaround=v),
    "TrainingSession topic": lambda v: _training(topic=v),
}
"""Every entry point of free text (no length limit; no NUL)."""

_ID_NAMES = st.sampled_from(sorted(ID_ENTRY_POINTS))
_TEXT_NAMES = st.sampled_from(sorted(TEXT_ENTRY_POINTS))


@given(_ID_NAMES, bad_ids)
def test_every_entry_point_refuses_a_long_or_control_character_identifier(
    name: str, value: str
) -> None:
    with pytest.raises(ValidationError):
        ID_ENTRY_POINTS[name](value)


@given(_ID_NAMES, limit_ids | ids)
def test_every_entry_point_takes_an_identifier_up_to_the_limit(name: str, value: str) -> None:
    ID_ENTRY_POINTS[name](value)  # a refusal above is the value's, not the call's


@pytest.mark.parametrize("name", sorted(ID_ENTRY_POINTS))
@pytest.mark.parametrize("value", ["x" * (MAX_ID_LENGTH + 1), "INC\x001", "INC-1\n", "\x85INC"])
def test_each_entry_point_refuses_the_reported_values(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        ID_ENTRY_POINTS[name](value)


@given(_TEXT_NAMES, with_nul)
def test_no_text_holds_nul(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=r"\\x00"):
        TEXT_ENTRY_POINTS[name](value)


@given(_TEXT_NAMES, texts)
def test_text_holds_every_other_character(name: str, value: str) -> None:
    TEXT_ENTRY_POINTS[name](value)


def test_text_has_no_length_limit() -> None:
    big = "\t\x01\x7f\x9f Ünï 東京 😀 " * 100_000
    assert _open(title=big, description=big).description == big


def test_hold_reason_codes_are_identifiers_too() -> None:
    assert HoldReason("a" * MAX_ID_LENGTH).code == "a" * MAX_ID_LENGTH
    for code in ("a" * (MAX_ID_LENGTH + 1), "awaiting\n"):
        with pytest.raises(ValidationError):
            HoldReason(code)


def test_the_limit_is_the_width_of_the_storage_columns() -> None:
    from itil_l2.storage.sqlalchemy import metadata as tables

    widths = {
        (table.name, column.name): getattr(column.type, "length", None)
        for table in tables.tables.values()
        for column in table.columns
        if column.name in ("tenant", "id", "grp", "category", "ci")
    }
    assert set(widths.values()) == {MAX_ID_LENGTH}, widths


def test_a_refusal_names_the_field_and_the_limit() -> None:
    with pytest.raises(ValidationError, match=f"category must be at most {MAX_ID_LENGTH}"):
        _open(category="c" * 300)
    with pytest.raises(ValidationError, match=r"id must not hold '\\x00' \(a control character"):
        _open(id="INC\x001")
    with pytest.raises(ValidationError, match="tenant must be at most"):
        MemoryStore().unit_of_work(tenant="t" * 201)


# -- everything accepted round-trips through every adapter --------------------------------

ADAPTERS = ["memory", "sqlite", "sqlalchemy-sqlite", "postgresql"]


@pytest.fixture(scope="module", params=ADAPTERS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One store per adapter for the module (examples never reuse an id)."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        sqlite = SqliteStore(folder / "limits.sqlite")
        yield sqlite
        sqlite.close()
        return
    url = f"sqlite:///{folder / 'limits-sa.sqlite'}"
    if request.param == "postgresql":
        url = postgres_url()  # type: ignore[assignment]  # skips (or fails in CI) without one
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield SqlAlchemyStore(engine)
    engine.dispose()


_SERIAL = itertools.count()


def _unique(value: str) -> str:
    """`value` made unique across examples, still as long (a suffix replaces its end)."""
    suffix = f"#{next(_SERIAL):07d}"
    return value[: max(len(value) - len(suffix), 1)] + suffix


@st.composite
def at_the_limit(draw: st.DrawFn) -> dict[str, Any]:
    """Identifiers at (or near) the limit and text with every character but NUL."""
    limit = limit_ids | ids
    return {
        "id": draw(limit_ids),
        "tenant": draw(limit),
        "group": draw(limit),
        "category": draw(limit),
        "ci": draw(limit),
        "ref": draw(limit),
        "actor": draw(limit),
        "title": draw(texts),
        "text": draw(st.text(TEXT_CHARS, max_size=400)),
    }


def _entities(v: dict[str, Any]) -> list[Any]:
    """A ticket, problem, change, article, CI, known error and training session from `v`."""
    group = SupportGroup(v["group"], Tier.L1)
    actor = Actor(v["actor"], roles={Role.SYSTEM})
    at = {"at": AT, "actor": actor}
    ticket = _open(
        id=v["id"], title=v["title"], description=v["text"], category=v["category"],
        subcategory=v["category"], service=v["ref"], caller=v["actor"], ci_refs=[v["ci"]],
        owner_group=group, **at,
    )  # fmt: skip
    ticket.assign(group, **at)
    ticket.assign_to(v["actor"], **at)
    ticket.start(**at)
    ticket.link(LinkKind.PROBLEM, v["ref"], **at)
    ticket.add_note(v["title"], **at)
    problem = _problem(
        id=v["id"], statement=v["title"], description=v["text"], category=v["category"],
        service=v["ref"], ci_refs=[v["ci"]], **at,
    )  # fmt: skip
    problem.assign(group, assignee=v["actor"], **at)
    change = _change(id=v["id"], title=v["title"], description=v["text"], group=group, **at)
    change.link(ChangeLinkKind.TICKET, v["ref"], **at)
    article = _article(
        id=v["id"], title=v["title"], symptom=v["text"], categories=[v["category"]],
        ci_refs=[v["ci"]], source_tickets=[v["ref"]], author=v["actor"], **at,
    )  # fmt: skip
    ci = _ci(
        id=v["id"], name=v["ref"], owner=v["actor"], support_group=group,
        relations=[Relation(RelationKind.RUNS_ON, v["ci"])], **at,
    )  # fmt: skip
    known = _known_error(
        id=v["id"], problem_id=v["ref"], title=v["title"], category=v["category"],
        ci_refs=[v["ci"]],
    )  # fmt: skip
    training = _training(
        id=v["id"], topic=v["title"], trainer=v["actor"], categories=[v["category"]],
        article_refs=[v["ref"]],
    )  # fmt: skip
    return [ticket, problem, change, article, ci, known, training]


_REPOS = ("tickets", "problems", "changes", "articles", "configuration_items")
_RECORDS = ("known_errors", "training_sessions")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=at_the_limit())
def test_every_value_the_domain_accepts_round_trips_through_every_adapter(
    store: Store, values: dict[str, Any]
) -> None:
    values = {**values, "id": _unique(values["id"])}  # never an id stored before
    made = _entities(values)
    tenant = values["tenant"]
    with store.unit_of_work(tenant=tenant) as uow:
        for item, repo in zip(made, _REPOS + _RECORDS, strict=True):
            getattr(uow, repo).add(item)
        uow.commit()
    with store.unit_of_work(tenant=tenant) as uow:
        for item, repo in zip(made, _REPOS, strict=False):
            assert_same(getattr(uow, repo).get(item.id), item)
        for item, repo in zip(made[5:], _RECORDS, strict=True):
            assert getattr(uow, repo).get(item.id) == item
        found = {
            "category": [t.id for t in uow.tickets.find(Query(category=values["category"]))],
            "group": [t.id for t in uow.tickets.find(Query(group=values["group"]))],
            "ci": [t.id for t in uow.tickets.find(Query(ci=values["ci"]))],
            "problem ci": [p.id for p in uow.problems.find(Query(ci=values["ci"]))],
            "article category": [
                a.id for a in uow.articles.find(Query(category=values["category"]))
            ],
        }
    assert all(values["id"] in ids for ids in found.values()), found


def test_ten_megabytes_of_text_round_trip_through_every_adapter(store: Store) -> None:
    chunk = "Ünïcødé 東京 😀 \t\n\r\x01\x1f\x7f\x9f 'q' \"d\" \\ % _ ; -- "
    big = (chunk * (10_000_000 // len(chunk) + 1))[:10_000_000]
    ticket = _open(id=_unique("INC-BIG-" + "x" * 20), title=big[:1_000_000], description=big)
    ticket.add_note(big, at=AT, actor=SYSTEM)
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.tickets.get(ticket.id)
    assert loaded.description == big and loaded.history[-1].payload.text == big
    assert_same(loaded, ticket)


# -- the importers: a value no ticket can hold is a deviation, never a crash ---------------


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A ServiceNow export of `rows` (given columns over `row`'s defaults), quoted as needed."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for given_ in rows:
            base = dict(
                zip(COLUMNS, row("INC1", "New", 0, "1/3/2016 09:00").split(","), strict=True)
            )
            writer.writerow([{**base, **given_}[c] for c in COLUMNS])
    return path


_LONG_GROUP = "G" * 300
_STEPS = [
    {"number": "INC1", "incident_state": "New", "sys_mod_count": "0", "sys_updated_at": "1/3/2016 09:00"},
    {"number": "INC1", "incident_state": "Active", "sys_mod_count": "1", "sys_updated_at": "1/3/2016 09:30"},
    {"number": "INC1", "incident_state": "Resolved", "sys_mod_count": "2", "sys_updated_at": "1/3/2016 11:00"},
]  # fmt: skip


def test_servicenow_a_row_with_a_300_character_group_is_a_deviation(tmp_path: Path) -> None:
    rows = [dict(s) for s in _STEPS]
    rows[1]["assignment_group"] = _LONG_GROUP
    run = read_servicenow(_csv(tmp_path / "log.csv", rows))
    (ticket,) = list(run)
    (deviation,) = run.report.deviations
    assert (deviation.ticket_id, deviation.line) == ("INC1", 3)
    assert deviation.rule == "group must be at most 200 characters long, not 300"
    assert deviation.repair == "row ignored"
    assert (run.report.rows_read, run.report.rows_rejected) == (3, 1)
    assert ticket.phase.value == "resolved" and ticket.group is not None
    assert ticket.group.name == "G1"
    with pytest.raises(ConformanceError, match="group must be at most 200"):
        list(read_servicenow(tmp_path / "log.csv", policy=ImportPolicy.STRICT))


def test_servicenow_an_id_with_nul_skips_the_ticket_and_says_why(tmp_path: Path) -> None:
    rows = [{**s, "number": "INC\x001"} for s in _STEPS] + [{**s, "number": "INC2"} for s in _STEPS]
    run = read_servicenow(_csv(tmp_path / "log.csv", rows))
    assert [t.id for t in run] == ["INC2"]
    report = run.report
    (deviation,) = report.deviations
    assert deviation.ticket_id == "INC\x001" and deviation.line is None
    assert deviation.rule.startswith("ticket id must not hold '\\x00'")
    assert report.skipped == ("INC\x001",)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 3, 3)
    strict = read_servicenow(tmp_path / "log.csv", policy=ImportPolicy.STRICT)
    with pytest.raises(ConformanceError, match="ticket id must not hold"):
        list(strict)


def test_servicenow_a_caller_that_is_no_identifier_is_left_out(tmp_path: Path) -> None:
    rows = [{**s, "caller_id": "Caller\t9"} for s in _STEPS]
    run = read_servicenow(_csv(tmp_path / "log.csv", rows))
    (ticket,) = list(run)
    assert ticket.caller is None
    (deviation,) = run.report.deviations
    assert deviation.rule.startswith("caller must not hold '\\t'")
    assert deviation.repair == "caller left out"


_COLUMNS_OF_IDS = (
    "number",
    "sys_updated_by",
    "assignment_group",
    "assigned_to",
    "category",
    "cmdb_ci",
    "caller_id",
    "problem_id",
    "rfc",
    "caused_by",
    "vendor",
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    column=st.sampled_from(_COLUMNS_OF_IDS),
    line=st.integers(0, 2),
    value=bad_ids.filter(lambda v: v.strip() not in ("", "?")),
    policy=st.sampled_from(ImportPolicy),
)
def test_servicenow_any_unusable_identifier_is_a_typed_outcome(
    tmp_path: Path, column: str, line: int, value: str, policy: ImportPolicy
) -> None:
    rows = [dict(s) for s in _STEPS] + [{**s, "number": "INC2"} for s in _STEPS]
    if column == "number":  # a number changes on every row of its incident
        changed = rows[:3]
    elif column == "caller_id":  # read from an incident's first row only
        changed = rows[:1]
    else:
        changed = rows[line : line + 1]
    for step in changed:
        step[column] = value
    path = _csv(tmp_path / f"log-{next(_SERIAL)}.csv", rows)
    run = read_servicenow(path, policy=policy)
    try:
        tickets = list(run)
    except ConformanceError as exc:
        assert policy is ImportPolicy.STRICT and exc.deviation.ticket_id in (value, "INC1")
        return
    report = run.report
    assert report.rows_read == 6 == report.rows_accepted + report.rows_rejected
    assert report.deviations and "INC2" in [t.id for t in tickets]
    store = MemoryStore()
    with store.unit_of_work() as uow:  # what was imported is storable as it is
        for ticket in tickets:
            uow.tickets.add(ticket)
        uow.commit()


_XES_EVENT = """<event><date key="time:timestamp" value="2016-03-01T09:{minute:02}:00+00:00"/>
  <string key="itil:phase" value="{phase}"/><string key="org:group" value="{group}"/>
  <string key="itil:impact" value="medium"/><string key="itil:urgency" value="high"/></event>"""


def _xes(path: Path, traces: list[tuple[str, list[tuple[str, str]]]]) -> Path:
    body = "".join(
        f'<trace><string key="concept:name" value="{case}"/>'
        + "".join(
            _XES_EVENT.format(minute=i, phase=phase, group=group)
            for i, (phase, group) in enumerate(events)
        )
        + "</trace>"
        for case, events in traces
    )
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?><log>{body}</log>', encoding="utf-8")
    return path


_XES_STEPS = [("queued", "G1"), ("in_progress", "G1"), ("resolved", "G1")]


def test_xes_an_event_with_a_300_character_group_is_a_deviation(tmp_path: Path) -> None:
    steps = [_XES_STEPS[0], ("in_progress", _LONG_GROUP), _XES_STEPS[2]]
    run = read_xes(_xes(tmp_path / "log.xes", [("C-1", steps)]))
    (ticket,) = list(run)
    (deviation,) = run.report.deviations
    assert (deviation.ticket_id, deviation.line) == ("C-1", 2)
    assert deviation.rule == "group must be at most 200 characters long, not 300"
    assert ticket.phase.value == "resolved" and run.report.rows_rejected == 1


@pytest.mark.parametrize(
    ("case_id", "rule"),
    [("C" * 300, "ticket id must be at most 200"), ("C&#9;1", "ticket id must not hold '\\t'")],
)
def test_xes_an_unusable_trace_id_skips_the_ticket(tmp_path: Path, case_id: str, rule: str) -> None:
    run = read_xes(_xes(tmp_path / "log.xes", [(case_id, _XES_STEPS), ("C-2", _XES_STEPS)]))
    assert [t.id for t in run] == ["C-2"]
    (deviation,) = run.report.deviations
    assert deviation.rule.startswith(rule)
    assert (run.report.rows_read, run.report.rows_rejected) == (6, 3)


def test_xes_an_id_with_nul_is_a_malformed_export(tmp_path: Path) -> None:
    path = _xes(tmp_path / "log.xes", [("C&#0;1", _XES_STEPS)])  # XML holds no NUL at all
    with pytest.raises(MalformedExport, match="broken XML"):
        list(read_xes(path))


def test_a_tier_directory_with_an_overlong_group_is_a_malformed_export() -> None:
    from itil_l2.importers import GroupDirectory

    with pytest.raises(MalformedExport, match="at most 200"):
        GroupDirectory.from_mapping({"groups": {"G" * 300: "L2"}})
