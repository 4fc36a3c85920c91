"""Every storage adapter in the project passes the public contract suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from itil_l2.storage import MemoryStore, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import StoreContract


def postgres_url() -> str:
    """The test database URL; in CI (ITIL_L2_REQUIRE_POSTGRES=1) its absence is a failure."""
    url = os.environ.get("ITIL_L2_POSTGRES_URL")
    if url is None:
        if os.environ.get("ITIL_L2_REQUIRE_POSTGRES"):
            pytest.fail("ITIL_L2_REQUIRE_POSTGRES is set but ITIL_L2_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL: set ITIL_L2_POSTGRES_URL to run these tests")
    return url


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore(indexed_attributes=("customer",))


class TestSqliteFile(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "helpdesk.sqlite", indexed_attributes=("customer",))
        yield store
        store.close()


class TestSqliteInMemory(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = SqliteStore(":memory:", indexed_attributes=("customer",))
        yield store
        store.close()


class TestSqlAlchemyOnSqlite(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        engine = create_engine(f"sqlite:///{tmp_path / 'sa.sqlite'}")
        metadata.create_all(engine)
        yield SqlAlchemyStore(engine, indexed_attributes=("customer",))
        engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[object]:
    engine = create_engine(postgres_url())  # type: ignore[arg-type]
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


class TestSqlAlchemyOnPostgres(StoreContract):
    @pytest.fixture
    def store(self, postgres_engine: object) -> Store:
        with postgres_engine.begin() as conn:  # type: ignore[attr-defined]
            for table in ("itil_cis", "itil_events", "itil_heads"):
                conn.execute(text(f"DELETE FROM {table}"))
        return SqlAlchemyStore(postgres_engine, indexed_attributes=("customer",))  # type: ignore[arg-type]
