"""The public surface: a small root, one public package per concept, public module names."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest

import itil_l2

PUBLIC_MODULES = [
    "itil_l2",
    "itil_l2.errors",
    "itil_l2.tickets",
    "itil_l2.tickets.events",
    "itil_l2.problems",
    "itil_l2.problems.events",
    "itil_l2.problems.rca",
    "itil_l2.changes",
    "itil_l2.changes.events",
    "itil_l2.knowledge",
    "itil_l2.knowledge.events",
    "itil_l2.cmdb",
    "itil_l2.cmdb.events",
    "itil_l2.sla",
    "itil_l2.kpis",
    "itil_l2.analytics",
    "itil_l2.views",
    "itil_l2.storage",
    "itil_l2.storage.ports",
    "itil_l2.storage.memory",
    "itil_l2.storage.sqlite",
    "itil_l2.storage.sqlalchemy",
    "itil_l2.storage.sql_kpis",
    "itil_l2.importers",
    "itil_l2.report",
    "itil_l2.export",
    "itil_l2.cli",
    "itil_l2.testing",
]


def _exported(module_name: str) -> list[tuple[str, Any]]:
    module = importlib.import_module(module_name)
    return [(name, getattr(module, name)) for name in module.__all__]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_names_exist_once(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"
    assert len(set(module.__all__)) == len(module.__all__)


def test_the_root_holds_only_the_headline_names() -> None:
    assert len(itil_l2.__all__) <= 60
    for name in ("Ticket", "Problem", "ChangeRequest", "KnowledgeArticle", "ConfigurationItem"):
        assert name in itil_l2.__all__
    payloads = [n for n, o in _exported("itil_l2") if hasattr(o, "TRIGGER")]
    assert payloads == []  # event payloads live in each package's `events` module


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_classes_and_functions_show_a_public_module(module_name: str) -> None:
    for name, obj in _exported(module_name):
        if isinstance(obj, type) or callable(obj):
            module = getattr(obj, "__module__", "") or ""
            if not module.startswith("itil_l2"):
                continue  # e.g. a re-exported typing alias
            private = [part for part in module.split(".") if part.startswith("_")]
            assert private == [], f"{module_name}.{name} presents itself as {module}"


def test_public_classes_name_their_concept_package() -> None:
    assert itil_l2.Ticket.__module__ == "itil_l2.tickets"
    assert itil_l2.Problem.__module__ == "itil_l2.problems"
    assert itil_l2.Tier.__module__ == "itil_l2"
    assert repr(itil_l2.Tier.L2) == "<Tier.L2: 'L2'>"
    assert itil_l2.ItilL2Error.__module__ == "itil_l2.errors"


def test_every_public_error_is_an_itil_l2_error() -> None:
    errors = {
        obj
        for module_name in PUBLIC_MODULES
        for _, obj in _exported(module_name)
        if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    assert len(errors) >= 30
    assert [e for e in errors if not issubclass(e, itil_l2.ItilL2Error)] == []


def test_core_import_needs_no_test_or_sql_packages() -> None:
    code = (
        "import sys, itil_l2; bad = {'hypothesis', 'pytest', 'sqlalchemy', 'sqlite3'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_sqlite_store_loads_lazily_from_the_root() -> None:
    code = (
        "import sys, itil_l2; assert 'sqlite3' not in sys.modules;"
        "store = itil_l2.SqliteStore; print(store.__module__, 'sqlite3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["itil_l2.storage.sqlite", "True"]
