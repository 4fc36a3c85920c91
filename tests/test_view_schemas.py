"""Every view validates against its published JSON Schema, and the schema catches drift.

For hypothesis-generated entities of every kind (many states, optional fields None and
set, unicode texts, host attributes, times in assorted offsets and zones) and random SLA
statuses: the view validates (Draft 2020-12, formats checked), survives a JSON round
trip unchanged, and has exactly the schema's properties. The schema is not a rubber
stamp: an extra or missing key, an enum spelt another way (`"P2"` → `2`, `"L2"` →
`"l2"`) and a naive or non-ISO time all fail. Pydantic (what FastAPI builds response
models with) reads the same classes into the same properties, required keys, enums and
formats, and accepts every generated view.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from itil_l2.testing import example_article, example_problem, example_ticket
from itil_l2.views import (
    VIEWS,
    ArticleView,
    ChangeView,
    CiView,
    ProblemView,
    SlaView,
    TicketView,
    view_of,
)
from itil_l2.views import json_schema as schema_of
from view_entities import any_articles, changes, cis, problems, sla_statuses, tickets

EXAMPLES = 100
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

DRAWN: dict[type[Any], st.SearchStrategy[Any]] = {
    TicketView: tickets(),
    ProblemView: problems(),
    ChangeView: changes(),
    ArticleView: any_articles(),
    CiView: cis(),
    SlaView: sla_statuses(),
}
ALL_VIEWS = list(DRAWN)

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)


def is_rfc3339(text: object) -> bool:
    """RFC 3339 date-time (what JSON Schema's `date-time` means): ISO 8601 with an offset."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        return False
    try:
        return datetime.fromisoformat(text.replace("z", "Z")).tzinfo is not None
    except ValueError:
        return False


# jsonschema checks `date-time` only with the optional rfc3339-validator installed; this
# checker always does, so the format assertions below cannot silently pass. A format
# applies to strings only (null in a nullable time field is fine).
CHECKER = FormatChecker(formats=())
CHECKER.checks("date-time")(lambda value: not isinstance(value, str) or is_rfc3339(value))


def validator(view_class: type[Any]) -> Draft202012Validator:
    return Draft202012Validator(schema_of(view_class), format_checker=CHECKER)


def errors(view_class: type[Any], view: object) -> list[str]:
    return [e.message for e in validator(view_class).iter_errors(view)]


# --- the schemas themselves ---------------------------------------------------------


def test_every_viewable_class_has_a_drawn_case() -> None:
    assert {view for view, _ in VIEWS.values()} == set(DRAWN)


@pytest.mark.parametrize("view_class", ALL_VIEWS, ids=lambda v: v.__name__)
def test_the_schema_is_a_valid_draft_2020_12_schema(view_class: type[Any]) -> None:
    schema = schema_of(view_class)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == sorted(schema["properties"])
    assert json.loads(json.dumps(schema)) == schema  # publishable as it is


def test_the_own_date_time_checker_is_strict() -> None:
    good = ["2026-01-05T09:00:00+00:00", "2026-01-05T09:00:00.250000-05:00", "2026-01-05T09:00:00Z"]
    bad = [
        "2026-01-05T09:00:00",  # naive
        "2026-01-05",  # a date
        "05/01/2026 09:00 +01:00",
        "2026-01-05T09:00:00+00:53:28",  # seconds in the offset: not RFC 3339
        "2026-13-05T09:00:00+00:00",
        "yesterday",
    ]
    assert [is_rfc3339(text) for text in good] == [True] * len(good)
    assert [is_rfc3339(text) for text in bad] == [False] * len(bad)


def test_jsonschemas_own_date_time_check_agrees_when_installed() -> None:
    default = Draft202012Validator.FORMAT_CHECKER
    if "date-time" not in default.checkers:
        pytest.skip("jsonschema checks date-time only with rfc3339-validator installed")
    for text in ["2026-01-05T09:00:00+00:00", "2026-01-05T09:00:00", "2026-01-05"]:
        assert default.conforms(text, "date-time") == is_rfc3339(text)


# --- every drawn view validates -----------------------------------------------------


@pytest.mark.parametrize("view_class", ALL_VIEWS, ids=lambda v: v.__name__)
@_SETTINGS
@given(data=st.data())
def test_drawn_views_validate_round_trip_and_match_the_schema(
    view_class: type[Any], data: st.DataObject
) -> None:
    entity = data.draw(DRAWN[view_class])
    view = view_of(entity)
    schema = schema_of(view_class)
    assert errors(view_class, view) == []
    assert json.loads(json.dumps(view)) == view
    assert set(view) == set(schema["properties"]) == set(schema["required"])
    for name, field in schema["properties"].items():
        if field.get("format") == "date-time" and view[name] is not None:
            assert is_rfc3339(view[name]), (name, view[name])
    assert pydantic.TypeAdapter(view_class).validate_python(view) == view


# --- the schema catches drift -------------------------------------------------------

FIXED = {
    TicketView: lambda: view_of(example_ticket()),
    ProblemView: lambda: view_of(example_problem()),
    ArticleView: lambda: view_of(example_article(published=True)),
}


def _fixed(view_class: type[Any]) -> dict[str, Any]:
    return copy.deepcopy(FIXED[view_class]())


@pytest.mark.parametrize("view_class", list(FIXED), ids=lambda v: v.__name__)
def test_a_fixed_view_is_valid_to_start_with(view_class: type[Any]) -> None:
    assert errors(view_class, _fixed(view_class)) == []


@pytest.mark.parametrize("view_class", list(FIXED), ids=lambda v: v.__name__)
def test_an_extra_key_fails(view_class: type[Any]) -> None:
    view = _fixed(view_class)
    view["color"] = "blue"
    assert any("color" in message for message in errors(view_class, view))


@pytest.mark.parametrize("view_class", list(FIXED), ids=lambda v: v.__name__)
def test_every_missing_key_fails(view_class: type[Any]) -> None:
    for key in _fixed(view_class):
        view = _fixed(view_class)
        del view[key]
        assert errors(view_class, view), f"{view_class.__name__} without {key} validated"


@pytest.mark.parametrize(
    ("key", "wrong"),
    [
        ("priority", 4),  # Priority.P4 as its number
        ("priority", "p4"),
        ("tier", "l1"),
        ("tier", 1),
        ("impact", "LOW"),
        ("phase", "In progress"),
        ("kind", "INCIDENT"),
        ("opened_at", "2026-01-05T09:00:00"),  # naive
        ("opened_at", "05.01.2026 09:00"),
        ("resolved_at", "2026-01-05"),
        ("opened_at", None),  # null where a value is required
        ("ci_refs", "db-prod-3"),  # a string, not a list
        ("version", "3"),
        ("attributes", []),
    ],
)
def test_a_ticket_view_drifting_from_the_policy_fails(key: str, wrong: object) -> None:
    view = _fixed(TicketView)
    assert view[key] != wrong
    view[key] = wrong
    assert errors(TicketView, view), f"{key}={wrong!r} validated"


def test_a_problem_with_priority_two_as_a_number_fails() -> None:
    view = _fixed(ProblemView)
    view["priority"] = 2
    assert errors(ProblemView, view)
    view["priority"] = "P2"
    assert errors(ProblemView, view) == []


@pytest.mark.parametrize("view_class", ALL_VIEWS, ids=lambda v: v.__name__)
@settings(_SETTINGS, max_examples=25)
@given(data=st.data())
def test_any_enum_or_time_field_spelt_otherwise_fails(
    view_class: type[Any], data: st.DataObject
) -> None:
    view = view_of(data.draw(DRAWN[view_class]))
    properties = schema_of(view_class)["properties"]
    for name, field in properties.items():
        value = view[name]
        if "enum" in field and isinstance(value, str):
            for other in (value.swapcase(), value + " ", None if None not in field["enum"] else 0):
                if other in field["enum"] or other == value:
                    continue
                assert errors(view_class, {**view, name: other}), (name, other)
        if field.get("format") == "date-time" and value is not None:
            naive = datetime.fromisoformat(value).replace(tzinfo=None).isoformat()
            assert errors(view_class, {**view, name: naive}), (name, naive)


# --- pydantic reads the same schema -------------------------------------------------


def _shape(field: dict[str, Any]) -> tuple[frozenset[str], frozenset[Any], str | None]:
    """(types, enum values without null, format) of a field, from either generator."""
    parts = field.get("anyOf", [field])
    types: set[str] = set()
    enum: set[Any] = set()
    formats = {part.get("format") for part in parts} - {None}
    for part in parts:
        kind = part.get("type")
        types.update([kind] if isinstance(kind, str) else kind or [])
        enum.update(value for value in part.get("enum", ()) if value is not None)
    assert len(formats) <= 1
    return frozenset(types), frozenset(enum), next(iter(formats), None)


@pytest.mark.parametrize("view_class", ALL_VIEWS, ids=lambda v: v.__name__)
def test_pydantic_publishes_the_same_schema(view_class: type[Any]) -> None:
    ours = schema_of(view_class)
    theirs = pydantic.TypeAdapter(view_class).json_schema()
    assert list(theirs["properties"]) == list(ours["properties"])
    assert sorted(theirs["required"]) == sorted(ours["required"])
    for name, field in ours["properties"].items():
        assert _shape(theirs["properties"][name]) == _shape(field), name
    enums = [name for name, field in ours["properties"].items() if "enum" in field]
    times = [name for name, f in ours["properties"].items() if f.get("format") == "date-time"]
    assert enums and times  # every view has some of both; the loop above compared them


# --- the docs page shows the generated schemas --------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _docs_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("itil_l2_docs_hooks_v", ROOT / "docs/_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_views_page_shows_every_views_generated_schema() -> None:
    page = (ROOT / "docs" / "views.md").read_text(encoding="utf-8")
    built = _docs_hooks().on_page_markdown(page)
    blocks = re.findall(r"^```json\n(.*?)^```", built, flags=re.DOTALL | re.MULTILINE)
    shown = {json.loads(block)["title"]: json.loads(block) for block in blocks}
    assert shown == {view.__name__: schema_of(view) for view in ALL_VIEWS}
    assert "<!-- schema:" not in built


@pytest.mark.parametrize("name", ["Ticket", "json_schema", "NoSuchView", "VIEWS"])
def test_a_schema_marker_naming_no_view_class_fails_the_build(name: str) -> None:
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError):
        _docs_hooks().on_page_markdown(f"# Page\n\n<!-- schema: {name} -->\n")
