"""Forged histories never load: directly, from JSON, or through any storage adapter.

Each `forged_<concept>.py` module lists histories the triggers could never
have written (real histories with one event changed). Every case must raise
`CorruptHistory` whose cause is the broken rule's own typed error, on
`from_history` and on every adapter: memory, SQLite, SQLAlchemy on SQLite
and on PostgreSQL. The rows are written below the library (through the
adapter's row session), as an attacker editing the database would.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import create_engine

from forged import Forged
from itil_l2._core.serialization import converter
from itil_l2.errors import CorruptHistory
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.storage._kinds import KINDS
from itil_l2.storage._rows import EventRow, Head
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from test_storage_contract import postgres_url

MODULES = sorted(p.stem for p in Path(__file__).parent.glob("forged_*.py"))
CASES: list[Forged] = [case for name in MODULES for case in importlib.import_module(name).CASES]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    cause: BaseException | None = exc
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _kwargs(case: Forged) -> dict[str, Any]:
    return {} if case.config is None else {"config": case.config}


def test_the_corpus_covers_every_entity() -> None:
    kinds = {case.cls._KIND for case in CASES}
    assert kinds == {"ticket", "problem", "change", "article", "ci"}, kinds
    names = [f"{case.cls._KIND}: {case.name}" for case in CASES]
    assert len(names) == len(set(names)), "case names are unique"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_forged_history_is_corrupt_because_of_its_rule(case: Forged) -> None:
    with pytest.raises(CorruptHistory) as err:
        case.cls.from_history(case.events, **_kwargs(case))  # type: ignore[attr-defined]
    causes = list(_causes(err.value))
    assert any(isinstance(c, case.rule) for c in causes[1:]), causes


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_unforged_history_loads(case: Forged) -> None:
    """Control: the history the case was forged from is legal (the forged event is the fault)."""
    real = case.cls.from_history(case.original, **_kwargs(case))  # type: ignore[attr-defined]
    assert real.version == len(case.original)


# -- through every adapter ----------------------------------------------------------


def _rows(case: Forged, events: tuple[Any, ...]) -> tuple[Head, tuple[EventRow, ...]]:
    """The rows of `events`; the head of a legal history is its true one."""
    kind = KINDS[case.cls._KIND]
    rows = tuple(
        EventRow(
            e.version,
            e.schema,
            e.at,
            str(e.payload.TRIGGER),
            json.dumps(_unstructured(e, kind.event_type)),
        )
        for e in events
    )
    if events is case.original:
        return kind.index(case.cls.from_history(events, **_kwargs(case))), rows  # type: ignore[attr-defined]
    first = events[0]
    head = Head(first.entity_id, len(events), "new", opened_at=first.at, updated_at=events[-1].at)
    return head, rows


def _unstructured(event: Any, event_type: Any) -> Any:
    """The event as JSON data; a value the library cannot even encode goes in raw,
    as an attacker writing the row by hand would put it."""
    try:
        return converter.unstructure(event, event_type)
    except (AttributeError, TypeError, ValueError):
        data = attrs.asdict(event, recurse=True, value_serializer=_raw)
        data["payload"]["type"] = str(event.payload.TRIGGER)
        return data


def _raw(_inst: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset | tuple):
        return list(value)
    return value


def _plant(store: Store, tenant: str, case: Forged, events: tuple[Any, ...]) -> None:
    head, rows = _rows(case, events)
    session = store.backend.session()
    session.insert(case.cls._KIND, tenant, head, rows)
    session.commit()
    session.close()


def _load(store: Store, tenant: str, case: Forged) -> Any:
    with store.unit_of_work(tenant) as uow:
        repo = {
            "ticket": uow.tickets,
            "problem": uow.problems,
            "change": uow.changes,
            "article": uow.articles,
            "ci": uow.configuration_items,
        }[case.cls._KIND]
        return repo.get(case.events[0].entity_id)


def _memory(_tmp: Path) -> Iterator[Store]:
    yield MemoryStore()


def _sqlite(tmp: Path) -> Iterator[Store]:
    store = SqliteStore(tmp / "forged.sqlite")
    yield store
    store.close()


def _sqlalchemy_sqlite(tmp: Path) -> Iterator[Store]:
    engine = create_engine(f"sqlite:///{tmp / 'sa.sqlite'}")
    metadata.create_all(engine)
    yield SqlAlchemyStore(engine)
    engine.dispose()


def _postgres(_tmp: Path) -> Iterator[Store]:
    engine = create_engine(postgres_url())  # type: ignore[arg-type]
    metadata.drop_all(engine)  # the tables as this version defines them, empty
    metadata.create_all(engine)
    yield SqlAlchemyStore(engine)
    engine.dispose()


ADAPTERS = {
    "memory": _memory,
    "sqlite": _sqlite,
    "sqlalchemy-sqlite": _sqlalchemy_sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(ADAPTERS), scope="module")
def adapter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    factory = ADAPTERS[request.param]
    made = factory(tmp_path_factory.mktemp(request.param))
    yield next(made)
    next(made, None)


def test_every_forged_history_is_refused_by_every_adapter(adapter: Store) -> None:
    """All cases in one store per adapter, each in its own tenant, beside its legal original."""
    for number, case in enumerate(CASES):
        _plant(adapter, f"forged-{number}", case, case.events)
        _plant(adapter, f"real-{number}", case, case.original)
        with pytest.raises(CorruptHistory) as err:
            _load(adapter, f"forged-{number}", case)
        assert any(
            w in str(err.value) for w in ("cannot be replayed", "does not create", "stored ")
        ), f"{case}: refused for another reason: {err.value}"
        assert _load(adapter, f"real-{number}", case).version == len(case.original), str(case)
