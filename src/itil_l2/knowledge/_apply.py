"""How each knowledge event changes its article's fields.

Appliers never fail: every check happens before an event exists, so applying
is the last, infallible step of a trigger, and replay uses the same appliers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2._core.fields import apply_changes
from itil_l2.knowledge.events import (
    CONTENT_CODECS,
    ArticleArchived,
    ArticleEdited,
    ArticleFlagged,
    ArticlePublished,
    ArticleRated,
    ArticleReinstated,
    ArticleRetired,
    ArticleSentBack,
    ArticleSubmitted,
    ArticleSuperseded,
    ArticleValidated,
    FlagsDismissed,
    RetirementProposed,
)

# -- appliers ------------------------------------------------------------------

_set = object.__setattr__
Applier = Callable[[Any, Any, datetime], None]


def _edited(a: Any, p: ArticleEdited, _at: datetime) -> None:
    apply_changes(a, p.changes, CONTENT_CODECS)


def _validated(a: Any, p: ArticleValidated, at: datetime) -> None:
    _set(a, "publish_at", p.publish_at)
    if p.publish_at is None:
        _set(a, "published_at", at)


def _published(a: Any, _p: ArticlePublished, at: datetime) -> None:
    _set(a, "published_at", at)


def _nothing(_a: Any, _p: Any, _at: datetime) -> None:
    """The event itself is the record: votes, flags and reviewers are read from history."""


def _superseded(a: Any, p: ArticleSuperseded, _at: datetime) -> None:
    _set(a, "superseded_by", p.successor)


APPLIERS: dict[type[Any], Applier] = {
    ArticleEdited: _edited,
    ArticleSubmitted: _nothing,
    ArticleSentBack: _nothing,
    ArticleValidated: _validated,
    ArticlePublished: _published,
    ArticleRated: _nothing,
    ArticleFlagged: _nothing,
    FlagsDismissed: _nothing,
    RetirementProposed: _nothing,
    ArticleReinstated: _nothing,
    ArticleRetired: _nothing,
    ArticleArchived: _nothing,
    ArticleSuperseded: _superseded,
}
"""Payload type → applier (the creation event is handled by the entity)."""
