"""Views: each entity's current state as flat JSON values, with a published JSON Schema.

What an API returns, a list shows and a report row holds: `ticket_view`,
`problem_view`, `change_view`, `article_view`, `ci_view` and `sla_view`
return plain dicts typed by the `TypedDict` classes below, which
`json.dumps` writes as they are and which a web framework uses as response
models (pydantic reads the classes, enums and formats included).

The one serialisation policy of every view: an enum member is a string (its
value, and a `Priority` its name: `"P2"`); a time is ISO 8601 text with its
offset; a duration is seconds; a collection is a list; a missing value is
`null`, never an absent key. `json_schema(TicketView)` is the view's JSON
Schema (draft 2020-12, as OpenAPI 3.1 uses), generated from the class.

>>> import json
>>> from itil_l2.testing import example_ticket
>>> from itil_l2.views import TicketView, json_schema, view_of
>>> view = view_of(example_ticket())
>>> sorted(json_schema(TicketView)["properties"]) == sorted(view)
True
>>> json.loads(json.dumps(view)) == view
True
"""

from __future__ import annotations

from typing import Any

from itil_l2._core.public import expose
from itil_l2.changes import ChangeRequest
from itil_l2.cmdb import ConfigurationItem
from itil_l2.errors import ValidationError
from itil_l2.knowledge import KnowledgeArticle
from itil_l2.problems import Problem
from itil_l2.sla import SlaStatus
from itil_l2.tickets import Ticket

from ._policy import Choice, Format, enum_text
from ._records import ArticleView, ChangeView, CiView, article_view, change_view, ci_view
from ._schema import json_schema
from ._sla import SlaView, sla_view
from ._work import ProblemView, TicketView, problem_view, ticket_view

__all__ = [
    "VIEWS",
    "ArticleView",
    "ChangeView",
    "Choice",
    "CiView",
    "Format",
    "ProblemView",
    "SlaView",
    "TicketView",
    "article_view",
    "change_view",
    "ci_view",
    "enum_text",
    "json_schema",
    "problem_view",
    "sla_view",
    "ticket_view",
    "view_of",
]

VIEWS: dict[type[Any], tuple[type[Any], Any]] = {
    Ticket: (TicketView, ticket_view),
    Problem: (ProblemView, problem_view),
    ChangeRequest: (ChangeView, change_view),
    KnowledgeArticle: (ArticleView, article_view),
    ConfigurationItem: (CiView, ci_view),
    SlaStatus: (SlaView, sla_view),
}
"""Each viewable class → (its view class, its view function)."""


def view_of(item: Any) -> Any:
    """The view of a ticket, problem, change, article, CI or SLA status."""
    entry = VIEWS.get(type(item))
    if entry is None:
        names = ", ".join(cls.__name__ for cls in VIEWS)
        raise ValidationError(f"no view of a {type(item).__name__}; views exist of {names}")
    return entry[1](item)


expose(__name__, globals(), __all__)
