"""The package's shape: one package per concept, the same parts in every entity package."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import itil_l2

SRC = Path(itil_l2.__file__).parent
ENTITIES = {
    "tickets": ("_ticket", "Ticket"),
    "problems": ("_problem", "Problem"),
    "changes": ("_change", "ChangeRequest"),
    "knowledge": ("_article", "KnowledgeArticle"),
    "cmdb": ("_ci", "ConfigurationItem"),
}


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_the_root_holds_no_module_but_the_faces() -> None:
    modules = sorted(p.name for p in SRC.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "errors.py"]


@pytest.mark.parametrize("package", sorted(ENTITIES))
def test_every_entity_package_has_the_same_parts(package: str) -> None:
    module, entity = ENTITIES[package]
    parts = {p.stem for p in (SRC / package).glob("*.py")}
    assert {"__init__", "events", "_apply", "_workflow", "_config", module} <= parts
    face = importlib.import_module(f"itil_l2.{package}")
    cls = getattr(face, entity)
    workflow = face.WORKFLOW
    assert cls._WORKFLOW is workflow  # the entity routes through its package's one workflow
    assert cls._APPLIERS is importlib.import_module(f"itil_l2.{package}._apply").APPLIERS
    events = importlib.import_module(f"itil_l2.{package}.events")
    assert issubclass(cls._EVENT, events.__dict__[cls._EVENT.__name__])
    # every payload of the union has an applier (or is the creation event)
    payloads = set(cls._PAYLOADS.__args__)
    assert len(payloads - set(cls._APPLIERS)) == 1
    # every trigger enum member the workflow routes is a payload's trigger
    routed = {trigger for _, trigger in workflow.table}
    assert routed <= {str(p.TRIGGER) for p in payloads}


def test_one_envelope_names_the_entity_for_every_kind() -> None:
    from itil_l2._core.entity import Event

    for package, (_, entity) in ENTITIES.items():
        cls = getattr(importlib.import_module(f"itil_l2.{package}"), entity)
        assert issubclass(cls._EVENT, Event), package
        ids = [f.name for f in cls._EVENT.__attrs_attrs__ if f.name.endswith("_id")]
        assert ids == ["entity_id", "actor_id"], package
