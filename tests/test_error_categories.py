"""Every error carries one of six categories, and the docs map each category to an HTTP status."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import itil_l2
from itil_l2.errors import (
    ConfigurationError,
    ErrorCategory,
    EventOutOfOrder,
    IncompleteHandover,
    InvalidTransition,
    ItilL2Error,
    NotFound,
    NotPermitted,
    ValidationError,
)
from itil_l2.sla import NoTargetForPriority

DOCS = Path(__file__).parent.parent / "docs" / "reference" / "errors.md"


def _every_module() -> list[str]:
    names = [itil_l2.__name__]
    for info in pkgutil.walk_packages(itil_l2.__path__, prefix="itil_l2."):
        names.append(info.name)
    return names


def _subclasses(cls: type[BaseException]) -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _all_errors() -> set[type[BaseException]]:
    for name in _every_module():
        importlib.import_module(name)
    return {ItilL2Error, *_subclasses(ItilL2Error)}


def _documented_table() -> dict[str, int]:
    """The category → status table in docs/reference/errors.md, as the reader sees it."""
    rows = re.findall(r"^\|\s*`(\w+)`\s*\|\s*(\d{3})\s*\|", DOCS.read_text(), re.MULTILINE)
    return {category: int(status) for category, status in rows}


def test_every_error_in_the_package_has_one_of_the_six_categories() -> None:
    errors = _all_errors()
    assert len(errors) >= 40  # the walk really imported the concept packages
    assert len(ErrorCategory) == 6
    for error in errors:
        assert isinstance(error.category, ErrorCategory), error  # type: ignore[attr-defined]
    used = {error.category for error in errors}  # type: ignore[attr-defined]
    assert used == set(ErrorCategory)  # every category names some error


def test_the_documented_table_covers_every_category_with_its_status() -> None:
    table = _documented_table()
    assert set(table) == {c.value for c in ErrorCategory}
    for category in ErrorCategory:
        assert table[category.value] == category.http_status
    # the client's mistakes are 4xx, the server's faults 5xx
    assert {c for c in ErrorCategory if c.http_status >= 500} == {
        ErrorCategory.CONFIGURATION,
        ErrorCategory.CORRUPT_DATA,
    }


def test_the_documented_classes_have_the_documented_category() -> None:
    """Each "`Class` → `category`" line of the docs holds for the class it names."""
    by_name = {e.__name__: e for e in _all_errors()}
    lines = re.findall(r"^- `(\w+)`[^\n]*?→ `(\w+)`", DOCS.read_text(), re.MULTILINE)
    assert len(lines) >= 10
    for name, category in lines:
        assert by_name[name].category == ErrorCategory(category), name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (NoTargetForPriority("gold: no target for P5"), ErrorCategory.CONFIGURATION),
        (EventOutOfOrder("INC-1: event before the last one"), ErrorCategory.INVALID_INPUT),
        (NotFound("ticket", "INC-1"), ErrorCategory.NOT_FOUND),
        (NotPermitted("ann", "resolve", "INC-1"), ErrorCategory.FORBIDDEN),
        (InvalidTransition("resolve", "new", None, ["assign"]), ErrorCategory.CONFLICT),
        (IncompleteHandover(["steps tried"]), ErrorCategory.INVALID_INPUT),
    ],
)
def test_the_found_cases_land_in_the_right_category(
    error: ItilL2Error, category: ErrorCategory
) -> None:
    assert error.category is category


def test_a_missing_sla_target_is_configuration_yet_still_caught_as_before() -> None:
    with pytest.raises(ConfigurationError):
        raise NoTargetForPriority("gold: no target for P5")
    with pytest.raises(ValidationError):  # compatibility: hosts that caught it this way
        raise NoTargetForPriority("gold: no target for P5")


def test_out_of_order_events_are_validation_errors_from_a_live_ticket() -> None:
    from datetime import timedelta

    from itil_l2._core.actor import SYSTEM
    from itil_l2.testing import example_ticket

    ticket = example_ticket()
    with pytest.raises(EventOutOfOrder) as caught:
        ticket.add_note("late", at=ticket.updated_at - timedelta(seconds=1), actor=SYSTEM)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.category.http_status == 422


def test_the_category_is_exported_from_the_root_and_errors() -> None:
    assert itil_l2.ErrorCategory is ErrorCategory
    assert "ErrorCategory" in itil_l2.errors.__all__
