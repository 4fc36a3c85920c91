"""Calls that take typed keyword dicts refuse an unknown keyword as Python itself would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from itil_l2 import SYSTEM, SupportGroup, Tier
from itil_l2.importers import read_servicenow, read_xes
from itil_l2.problems import KnownError
from itil_l2.sla import RoutingPolicy
from itil_l2.testing import example_article, example_problem


def _edit() -> None:
    article = example_article()
    article.edit(at=article.updated_at, actor=SYSTEM, bogus=1)  # type: ignore[call-arg]


def _new_version() -> None:
    article = example_article(published=True)
    article.new_version(id="KB-2", at=article.updated_at, actor=SYSTEM, bogus=1)  # type: ignore[call-arg]


def _raise_known_error() -> None:
    problem = example_problem()
    problem.raise_known_error("KE-2", at=problem.updated_at, actor=SYSTEM, bogus=1)  # type: ignore[call-arg]


def _from_problem() -> None:
    KnownError.from_problem(example_problem(), id="KE-2", bogus=1)  # type: ignore[call-arg]


def _group_for() -> None:
    policy = RoutingPolicy([SupportGroup("dba", Tier.L2, {"database"})])
    policy.group_for(tier=Tier.L2, bogus=1)  # type: ignore[call-arg]


def _servicenow(tmp: Path) -> None:
    read_servicenow(tmp / "log.csv", bogus=1)  # type: ignore[call-arg]


def _xes(tmp: Path) -> None:
    read_xes(tmp / "log.xes", bogus=1)  # type: ignore[call-arg]


CALLS: dict[str, Callable[..., Any]] = {
    "KnowledgeArticle.edit": _edit,
    "KnowledgeArticle.new_version": _new_version,
    "Problem.raise_known_error": _raise_known_error,
    "KnownError.from_problem": _from_problem,
    "RoutingPolicy.group_for": _group_for,
}


@pytest.mark.parametrize("where", sorted(CALLS))
def test_an_unknown_keyword_names_the_method_called(where: str) -> None:
    with pytest.raises(TypeError) as info:
        CALLS[where]()
    assert str(info.value) == f"{where}() got an unexpected keyword argument 'bogus'"


@pytest.mark.parametrize("reader", [_servicenow, _xes])
def test_an_unknown_import_option_names_the_reader(reader: Any, tmp_path: Path) -> None:
    with pytest.raises(
        TypeError, match=r"^read_\w+\(\) got an unexpected keyword argument 'bogus'$"
    ):
        reader(tmp_path)
