"""The workflow config travels with the data (issue 16, item 3), beyond the contract suite.

The contract suite (`itil_l2.testing._config_checks`) runs the adapter-level
checks on every adapter; here: the command line, SQLite files of an earlier
schema, read-only openings, the import log, SQLAlchemy databases without the
table, joined transactions, and properties over drawn configs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from itil_l2 import (
    SYSTEM,
    ChangeConfig,
    CmdbConfig,
    KnowledgeConfig,
    PriorityMatrix,
    Problem,
    ProblemConfig,
    Ticket,
    WorkflowConfig,
)
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2.cli._database import recorded_target
from itil_l2.errors import (
    ConfigMismatch,
    CorruptHistory,
    StorageError,
    UnknownSchema,
    ValidationError,
)
from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, enable_sqlite_savepoints, metadata
from itil_l2.testing import (
    change_requests,
    configuration_items,
    example_article,
    example_problem,
    example_ticket,
)
from itil_l2.testing._common import T1
from itil_l2.testing._config_checks import SKIP, skipping_ticket
from itil_l2.testing._tickets import fresh_ticket
from itil_l2.tickets import DefaultPermissions, EntryPolicy, HoldReason, ResolutionCode
from support import strip_view_columns

CLI = [sys.executable, "-m", "itil_l2.cli"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, check=False)


def _skipping_db(path: Path, n: int = 3) -> Path:
    store = SqliteStore(path, configs={Ticket: SKIP})
    with store.unit_of_work() as uow:
        for k in range(n):
            uow.tickets.add(skipping_ticket(f"INC-{k}"))
        uow.commit()
    store.close()
    return path


def _as_schema_4(path: Path) -> None:
    """Make the file what the release before schema 5 left: no itil_configs table."""
    strip_view_columns(path)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE itil_configs")
    db.execute("UPDATE itil_schema SET version = 4")
    db.commit()
    db.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- the command line --------------------------------------------------------------------


def test_kpi_db_reads_a_database_written_with_allow_tier_skip(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "skips.sqlite")
    result = _cli("kpi", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "CorruptHistory" not in result.stderr
    assert json.loads(result.stdout)  # figures, over the three tickets


def test_report_db_reads_it_too(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "skips.sqlite")
    out = tmp_path / "report.html"
    result = _cli("report", "--db", str(db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0


def test_without_a_stored_config_the_cli_reads_with_the_default_as_before(
    tmp_path: Path,
) -> None:
    db = _skipping_db(tmp_path / "old.sqlite")
    _as_schema_4(db)
    result = _cli("kpi", "--db", str(db))
    assert result.returncode != 0 and "skips a tier" in result.stderr
    reader = SqliteStore(db, read_only=True, configs={Ticket: SKIP})  # the reader's config
    with reader.unit_of_work() as uow:
        assert uow.tickets.count() == 3 and uow.tickets.get("INC-0").tier.value == "L3"
    assert reader.stored_config(Ticket) is None
    reader.close()


def test_read_only_openings_never_write_while_reading_the_stored_config(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "skips.sqlite")
    before = _files(tmp_path)
    assert _cli("kpi", "--db", str(db)).returncode == 0
    reader = SqliteStore(db, read_only=True)
    assert reader.stored_config(Ticket) == SKIP
    with reader.unit_of_work() as uow:
        assert len(list(uow.tickets.find())) == 3
        with pytest.raises(StorageError, match="read-only"):
            uow.tickets.add(skipping_ticket("INC-9"))
    reader.close()
    assert _files(tmp_path) == before


def test_recorded_target_stores_the_import_config(tmp_path: Path) -> None:
    export = tmp_path / "log.xes"
    export.write_text("<log/>", encoding="utf-8")
    store, _run = recorded_target(
        str(tmp_path / "db.sqlite"), export, "", None, configs={Ticket: SKIP}
    )
    try:
        with store.unit_of_work() as uow, pytest.raises(ConfigMismatch, match="store's own"):
            uow.tickets.add(fresh_ticket("INC-D"))  # made with the default config
        with store.unit_of_work() as uow:
            uow.tickets.add(skipping_ticket("INC-S"))
            uow.commit()
    finally:
        store.close()
    assert SqliteStore(tmp_path / "db.sqlite", read_only=True).stored_config(Ticket) == SKIP


def test_an_import_that_replaces_the_database_stores_its_own_config(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "db.sqlite")
    store = SqliteStore(db)
    with store.unit_of_work() as uow:
        assert uow.tickets.get("INC-0").config.allow_tier_skip  # the store has seen SKIP
    store.imports.begin("other.xes", "0" * 64, replace=True)
    assert store.stored_config(Ticket) is None
    with store.unit_of_work() as uow:
        uow.tickets.add(fresh_ticket("INC-NEW"))
        uow.commit()
    assert store.stored_config(Ticket) == WorkflowConfig()
    store.close()


# -- SQLite files of an earlier schema -----------------------------------------------------


def test_an_old_schema_file_migrates_and_its_next_write_stores_the_config(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "old.sqlite")
    _as_schema_4(db)
    store = SqliteStore(db, configs={Ticket: SKIP})  # writable: migrated to schema 6
    assert store.stored_config(Ticket) is None
    with store.unit_of_work() as uow:
        assert uow.tickets.count() == 3
        uow.tickets.add(skipping_ticket("INC-NEW"))
        uow.commit()
    assert store.stored_config(Ticket) == SKIP  # the writer's
    store.close()
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT version FROM itil_schema").fetchall() == [(7,)]  # facts: 7
    raw.close()
    reader = SqliteStore(db, read_only=True)
    with reader.unit_of_work() as uow:
        assert [t.id for t in uow.tickets.find()] == ["INC-0", "INC-1", "INC-2", "INC-NEW"]
    reader.close()


def test_a_tampered_stored_config_is_a_typed_error(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "db.sqlite")
    for data, error, match in [
        ("{not json", CorruptHistory, "not JSON"),
        ("[" * 100_000 + "]" * 100_000, CorruptHistory, "not JSON"),  # too deep for a parser
        ("[1]", CorruptHistory, "not a JSON object"),
        ('{"allow_tier_skip": "maybe?"}', CorruptHistory, "allow_tier_skip not as written"),
        ('{"handover_min_description": -1}', CorruptHistory, "cannot be decoded"),
        ('{"allow_tier_skip": true, "teleport": true}', UnknownSchema, "teleport"),
    ]:
        raw = sqlite3.connect(db)
        raw.execute("UPDATE itil_configs SET data = ? WHERE kind = 'ticket'", (data,))
        raw.commit()
        raw.close()
        reader = SqliteStore(db, read_only=True)
        with reader.unit_of_work() as uow, pytest.raises(error, match=match):
            uow.tickets.get("INC-0")
        reader.close()


def test_a_setting_missing_from_the_stored_text_takes_its_default(tmp_path: Path) -> None:
    db = _skipping_db(tmp_path / "db.sqlite")
    raw = sqlite3.connect(db)  # as a release before `entry_above_l1` existed would have stored
    stored = json.loads(raw.execute("SELECT data FROM itil_configs").fetchone()[0])
    del stored["entry_above_l1"]
    raw.execute("UPDATE itil_configs SET data = ?", (json.dumps(stored),))
    raw.commit()
    raw.close()
    with SqliteStore(db, read_only=True, configs={Ticket: SKIP}).unit_of_work() as uow:
        assert uow.tickets.get("INC-0").config is SKIP  # the default filled in: no mismatch


# -- per store, every kind ------------------------------------------------------------------


def test_the_config_is_per_store_so_tenants_share_it() -> None:
    store = MemoryStore()
    with store.unit_of_work(tenant="acme") as uow:
        uow.tickets.add(skipping_ticket("INC-1"))
        uow.commit()
    with store.unit_of_work(tenant="globex") as uow, pytest.raises(ConfigMismatch):
        uow.tickets.add(fresh_ticket("INC-1"))


def test_each_entity_kind_has_its_own_stored_config() -> None:
    store = MemoryStore()
    relaxed = ProblemConfig(fix_needs_root_cause=False)
    problem = Problem.open(
        id="PRB-1",
        statement="Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.MEDIUM,
        at=T1,
        actor=SYSTEM,
        config=relaxed,
    )
    with store.unit_of_work() as uow:
        uow.problems.add(problem)
        uow.tickets.add(skipping_ticket("INC-1"))
        uow.commit()
    assert store.stored_config(Problem) == relaxed
    assert store.stored_config(Ticket) == SKIP
    with Store(store.backend, configs={Problem: ProblemConfig()}).unit_of_work() as uow:
        assert uow.tickets.get("INC-1").config.allow_tier_skip  # tickets: the stored one
        with pytest.raises(ConfigMismatch, match="fix_needs_root_cause is false there"):
            uow.problems.get(problem.id)


def test_reading_with_the_stored_config_uses_the_default_policy() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.tickets.add(skipping_ticket("INC-1"))
        uow.commit()
    with Store(store.backend).unit_of_work() as uow:
        assert uow.tickets.get("INC-1").config.permissions == DefaultPermissions()
    with pytest.raises(ValidationError, match="not a stored entity class"):
        store.stored_config(str)


# -- SQLAlchemy: a database without the table; the host's transaction ---------------------


def test_a_sqlalchemy_database_without_the_table_reads_and_writes_as_before(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE itil_configs"))  # made by an earlier release
    store = SqlAlchemyStore(engine, configs={Ticket: SKIP})
    with store.unit_of_work() as uow:
        uow.tickets.add(skipping_ticket("INC-1"))
        uow.commit()
    assert store.stored_config(Ticket) is None
    reader = SqlAlchemyStore(engine)  # reads with its own (the default) config
    with reader.unit_of_work() as uow, pytest.raises(CorruptHistory, match="skips a tier"):
        uow.tickets.get("INC-1")
    metadata.create_all(engine)  # adds the table
    with SqlAlchemyStore(engine, configs={Ticket: SKIP}).unit_of_work() as uow:
        uow.tickets.add(skipping_ticket("INC-2"))
        uow.commit()
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        assert uow.tickets.get("INC-1").config.allow_tier_skip
    engine.dispose()


def test_a_config_stored_in_a_host_transaction_that_rolls_back_is_gone(tmp_path: Path) -> None:
    engine = enable_sqlite_savepoints(create_engine(f"sqlite:///{tmp_path / 'host.sqlite'}"))
    metadata.create_all(engine)
    store = SqlAlchemyStore(engine)
    with Session(engine) as session:
        bound = store.bind(session)
        with bound.unit_of_work() as uow:
            uow.tickets.add(skipping_ticket("INC-1"))
            uow.commit()  # a SAVEPOINT released; the host has not committed
        with bound.unit_of_work() as uow:
            assert uow.tickets.get("INC-1").config.allow_tier_skip
        session.rollback()
    assert store.stored_config(Ticket) is None
    with store.unit_of_work() as uow:  # another config may now come first
        uow.tickets.add(fresh_ticket("INC-2"))
        uow.commit()
    assert store.stored_config(Ticket) == WorkflowConfig()
    engine.dispose()


# -- properties over drawn configs --------------------------------------------------------

_CODES = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)
_PRIORITIES = st.sampled_from(Priority)
configs = st.builds(
    WorkflowConfig,
    priority_matrix=st.lists(st.lists(_PRIORITIES, min_size=3, max_size=3), min_size=3, max_size=3)
    .map(lambda rows: tuple(tuple(r) for r in rows))
    .map(PriorityMatrix),
    resolution_codes=st.lists(
        st.builds(ResolutionCode, _CODES, st.just("Label ✓"), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda c: c.code,
    ),
    hold_reasons=st.lists(st.builds(HoldReason, _CODES), max_size=4, unique=True),
    handover_min_description=st.integers(0, 10**9),
    auto_close_after=st.timedeltas(
        min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)
    ),
    allow_tier_skip=st.booleans(),
    entry_above_l1=st.sampled_from(EntryPolicy),
)


def _settings(config: WorkflowConfig) -> dict[str, Any]:
    return {
        f.name: getattr(config, f.name)
        for f in attrs.fields(WorkflowConfig)
        if f.name != "permissions"
    }


@settings(max_examples=60, deadline=None)
@given(configs)
def test_any_config_is_stored_as_it_was_given(config: WorkflowConfig) -> None:
    store = MemoryStore(configs={Ticket: config})
    with store.unit_of_work() as uow:
        uow.tickets.add(fresh_ticket("INC-1", config=config))
        uow.commit()
    assert store.stored_config(Ticket) == config
    with Store(store.backend, configs={Ticket: config}).unit_of_work() as uow:
        assert uow.tickets.count() == 1


@settings(max_examples=60, deadline=None)
@given(configs, configs)
def test_a_mismatch_names_exactly_the_settings_that_differ(
    stored: WorkflowConfig, given_: WorkflowConfig
) -> None:
    store = MemoryStore(configs={Ticket: stored})
    with store.unit_of_work() as uow:
        uow.tickets.add(fresh_ticket("INC-1", config=stored))
        uow.commit()
    differing = sorted(k for k, v in _settings(stored).items() if _settings(given_)[k] != v)
    reader = Store(store.backend, configs={Ticket: given_})
    with reader.unit_of_work() as uow:
        if not differing:
            assert uow.tickets.get("INC-1").config is given_
            return
        with pytest.raises(ConfigMismatch) as caught:
            uow.tickets.get("INC-1")
    assert sorted(name for name, _there, _here in caught.value.differences) == differing
    for name in differing:
        assert f"{name} is " in str(caught.value)


# -- what is stored, and adapters that store nothing ------------------------------------


@settings(max_examples=5, deadline=None)
@given(change_requests(), configuration_items())
def test_every_setting_but_the_policy_is_stored_for_every_kind(change: Any, ci: Any) -> None:
    path = Path(tempfile.mkdtemp()) / "all.sqlite"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.problems.add(example_problem())
        uow.changes.add(change)
        uow.articles.add(example_article())
        uow.configuration_items.add(ci)
        uow.commit()
    store.close()
    raw = sqlite3.connect(path)
    rows = dict(raw.execute("SELECT kind, data FROM itil_configs").fetchall())
    raw.close()
    classes = {
        "ticket": WorkflowConfig,
        "problem": ProblemConfig,
        "change": ChangeConfig,
        "article": KnowledgeConfig,
        "ci": CmdbConfig,
    }
    assert set(rows) == set(classes)
    for kind, cls in classes.items():
        names = {f.name for f in attrs.fields(cls)} - {"permissions"}
        assert set(json.loads(rows[kind])) == names, kind
    assert json.loads(rows["ticket"])["allow_tier_skip"] is False


def test_a_config_mismatch_is_a_storage_error() -> None:
    assert issubclass(ConfigMismatch, StorageError)


class _Forgetful:
    """A backend whose sessions have no load_config / claim_config: a host's own, say."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def session(self) -> Any:
        inner = self.inner.session()

        class Session:
            def __getattr__(self, name: str) -> Any:
                if name in ("load_config", "claim_config"):
                    raise AttributeError(name)
                return getattr(inner, name)

        return Session()


def test_an_adapter_without_the_config_methods_reads_with_the_readers_config() -> None:
    backend = _Forgetful(MemoryStore().backend)
    writer = Store(backend, configs={Ticket: SKIP})
    with writer.unit_of_work() as uow:
        uow.tickets.add(skipping_ticket("INC-1"))
        uow.commit()
    assert writer.stored_config(Ticket) is None
    with Store(backend).unit_of_work() as uow, pytest.raises(CorruptHistory, match="skips"):
        uow.tickets.get("INC-1")
    with Store(backend, configs={Ticket: SKIP}).unit_of_work() as uow:
        assert uow.tickets.get("INC-1").tier.value == "L3"


_PERMUTED_CONFIGS = """
import itertools
from itil_l2.changes import ChangeConfig, ChangeRisk
from itil_l2.storage._settings import ConfigTexts

members = [r for r in ChangeRisk if r is not ChangeRisk.LOW]
for size in range(1, len(members) + 1):
    for combo in itertools.combinations(members, size):
        texts = {
            ConfigTexts().text(ChangeConfig(cab_risks=frozenset(order)))
            for order in itertools.permutations(combo)
        }
        assert len(texts) == 1, texts
print("ok")
"""


def test_a_config_has_one_text_whatever_order_its_sets_were_built_in() -> None:
    # Equal frozensets can iterate differently (how their hash tables grew); under some
    # hash seeds they do for these members, so the check runs under several seeds.
    for seed in range(13):
        done = subprocess.run(
            [sys.executable, "-c", _PERMUTED_CONFIGS],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.stdout.strip() == "ok", (seed, done.stderr[-500:])
