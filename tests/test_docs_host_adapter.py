"""The host adapter shown in docs/storage.md passes the library's contract suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from itil_l2.storage import Store
from itil_l2.testing import StoreContract

sys.path.insert(0, str(Path(__file__).parent.parent / "docs" / "examples"))

from host_adapter import HelpdeskBackend


class TestHostAdapter(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Store:
        return Store(
            HelpdeskBackend(str(tmp_path / "helpdesk.sqlite")), indexed_attributes=("customer",)
        )
