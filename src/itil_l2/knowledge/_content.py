"""What an article says: its editable content, how it is validated and recorded.

`KnowledgeArticle.draft`, `edit` and `new_version` take the same content
keywords (`ArticleContent`); an edit records each changed field as a
`FieldChange` in JSON form, and the applier decodes it back. Whether an edit
changes anything at all is the edit's rule (`_rules`), checked live and on
replay alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from itil_l2._core import checks as _checks
from itil_l2._core.fields import SAME, STRINGS, Codec, FieldChange, enum_codec
from itil_l2._core.unset import UNSET
from itil_l2.errors import WorkflowError
from itil_l2.knowledge.events import Audience

__all__ = [
    "CONTENT_CODECS",
    "ArticleContent",
    "IncompleteArticle",
    "check_content",
    "content_changes",
    "given_content",
]


class ArticleContent(TypedDict, total=False):
    """An article's editable content, for `edit` and `new_version`; keys left out stay."""

    title: str
    symptom: str
    cause: str | None
    resolution_steps: Iterable[str]
    ci_refs: Iterable[str]
    categories: Iterable[str]
    audience: Audience
    source_tickets: Iterable[str]


def given_content(content: Mapping[str, Any], trigger: str) -> dict[str, Any]:
    """The content keywords of an `edit`/`new_version` call; an unknown one is a `TypeError`."""
    _checks.check_keywords(content, CONTENT_CODECS, f"KnowledgeArticle.{trigger}")
    return dict(content)


class IncompleteArticle(WorkflowError):
    """An article lacks parts it needs before submission or validation; names them all."""

    def __init__(self, article_id: str, missing: Iterable[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(f"{article_id} is incomplete, missing: " + "; ".join(self.missing))


CONTENT_CODECS: dict[str, Codec] = {
    "title": SAME,
    "symptom": SAME,
    "cause": SAME,
    "resolution_steps": STRINGS,
    "ci_refs": STRINGS,
    "categories": STRINGS,
    "audience": enum_codec(Audience),
    "source_tickets": STRINGS,
}
"""Per editable field: (to JSON for the event, from JSON back to the field value)."""


def _unique(value: object, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_checks.check_identifiers(value, name)))


_CONTENT_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "title": _checks.check_text,
    "symptom": _checks.check_string,
    "cause": _checks.check_optional_text,
    "resolution_steps": _checks.check_texts,
    "ci_refs": _unique,
    "categories": _unique,
    "audience": lambda v, n: _checks.check_instance(v, Audience, n),
    "source_tickets": _unique,
}


def check_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """Validate article content; CI refs, categories and tickets lose duplicates."""
    return {name: _CONTENT_CHECKS[name](value, name) for name, value in content.items()}


def content_changes(article: Any, given: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The validated changes `given` makes to `article` (UNSET values are left out).

    None at all is an empty tuple: the edit's rule refuses it, after the
    workflow and the permissions had their say.
    """
    new = check_content({k: v for k, v in given.items() if v is not UNSET})
    changes = []
    for name, value in new.items():
        encode = CONTENT_CODECS[name][0]
        old_json, new_json = encode(getattr(article, name)), encode(value)
        if old_json != new_json:
            changes.append(FieldChange(name, old_json, new_json))
    return tuple(changes)
