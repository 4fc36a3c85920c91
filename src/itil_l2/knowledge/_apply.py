"""How each article event changes a knowledge article: content, publication, successor.

Votes, flags and reviewers are read from the history itself, so most events
change no field; `KnowledgeArticle.from_history` replays through these too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itil_l2._core.fields import apply_changes
from itil_l2.knowledge import events as ev
from itil_l2.knowledge._content import CONTENT_CODECS

# -- appliers ------------------------------------------------------------------

_set = object.__setattr__
Applier = Callable[[Any, Any, datetime], None]


def _edited(a: Any, p: ev.ArticleEdited, _at: datetime) -> None:
    apply_changes(a, p.changes, CONTENT_CODECS)


def _validated(a: Any, p: ev.ArticleValidated, at: datetime) -> None:
    _set(a, "publish_at", p.publish_at)
    if p.publish_at is None:
        _set(a, "published_at", at)


def _published(a: Any, _p: ev.ArticlePublished, at: datetime) -> None:
    _set(a, "published_at", at)


def _nothing(_a: Any, _p: Any, _at: datetime) -> None:
    """The event itself is the record: votes, flags and reviewers are read from history."""


def _superseded(a: Any, p: ev.ArticleSuperseded, _at: datetime) -> None:
    _set(a, "superseded_by", p.successor)


APPLIERS: dict[type[Any], Applier] = {
    ev.ArticleEdited: _edited,
    ev.ArticleSubmitted: _nothing,
    ev.ArticleSentBack: _nothing,
    ev.ArticleValidated: _validated,
    ev.ArticlePublished: _published,
    ev.ArticleRated: _nothing,
    ev.ArticleFlagged: _nothing,
    ev.FlagsDismissed: _nothing,
    ev.RetirementProposed: _nothing,
    ev.ArticleReinstated: _nothing,
    ev.ArticleRetired: _nothing,
    ev.ArticleArchived: _nothing,
    ev.ArticleSuperseded: _superseded,
}
"""Payload type → applier (the creation event is handled by the entity)."""
