"""The rule of every article trigger: what its event must hold, checked live and on replay.

`RULES` maps each payload type to one function taking the article as it is
before the event, the payload and the actor's id. `KnowledgeArticle`'s
triggers only build payloads; the entity engine runs the payload's rule both
when a trigger fires and when a stored history is replayed, so a check
cannot exist for one path only. The rules cover the config (complete content
before submission and validation, self-validation) and "changes something"
(an edit of known fields to new, valid values; flags dismissed only while
some are open; no article superseded by itself); each payload checks its own
values (types, non-blank texts, aware times) when it is made, from a
trigger's arguments or from stored JSON alike.

Checked live only, for what a stored event cannot tell:

- `system_exemption`: the system actor's exemption from the
  self-validation rule needs the system role, and a stored event names its
  actor's id, not its rights (the rule exempts the id of `SYSTEM` only);
- `publication_due`: a scheduled article is published once `publish_at`
  has come; a rule sees the article and the payload, not the event's time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.checks import check_identifier, check_instance
from itil_l2._core.entity import Rule
from itil_l2.errors import ValidationError, WorkflowError
from itil_l2.knowledge import events as ev
from itil_l2.knowledge._config import KnowledgeConfig
from itil_l2.knowledge._content import CONTENT_CODECS, IncompleteArticle, check_content

__all__ = [
    "RULES",
    "PublicationNotDue",
    "SelfValidationRefused",
    "check_drafted",
    "system_exemption",
]


class SelfValidationRefused(WorkflowError):
    """The author tried to validate their own article (see `KnowledgeConfig`)."""


class PublicationNotDue(WorkflowError):
    """A scheduled article was published before its `publish_at`."""


def check_drafted(id: str, payload: ev.ArticleDrafted, config: Any) -> None:
    """A creation event: an id (an identifier), a config, and a revision that fits."""
    check_identifier(id, "id")
    check_instance(config, KnowledgeConfig, "config")
    if payload.supersedes == id:
        raise ValidationError(f"a new version needs a new id, not {id!r}")
    if (payload.supersedes is None) != (payload.revision == 1):
        raise ValidationError(
            f"{id}: revision {payload.revision} cannot supersede {payload.supersedes!r}"
            " (the first revision supersedes nothing, every later one its predecessor)"
        )


def system_exemption(article: Any, actor: Actor) -> None:
    """Live only: the author may validate their own article as the system, with its role."""
    if (
        actor.id == article.author
        and not article.config.allow_self_validation
        and not actor.has_role(Role.SYSTEM)
    ):
        raise SelfValidationRefused(f"{actor.id} may not validate their own {article.id}")


# -- one rule per payload type --------------------------------------------------------


def _edited(a: Any, p: ev.ArticleEdited, _actor: str, _at: datetime) -> None:
    """Each change names an editable field once, its true old value and a valid new one."""
    if not p.changes:
        raise ValidationError(f"{a.id}: the edit changes nothing")
    seen: set[str] = set()
    for change in p.changes:
        name = change.field
        if name not in CONTENT_CODECS or name in seen:
            raise ValidationError(f"{a.id}: an edit cannot change {name!r} (or twice)")
        seen.add(name)
        encode, decode = CONTENT_CODECS[name]
        old = encode(getattr(a, name))
        if change.old != old:
            raise ValidationError(f"{a.id}: {name} is {old!r}, not {change.old!r}")
        if change.new == old:
            raise ValidationError(f"{a.id}: {name} is already {old!r}")
        try:
            value = decode(change.new)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{a.id}: {change.new!r} is not a {name}") from exc
        checked = encode(check_content({name: value})[name])
        if checked != change.new:
            raise ValidationError(f"{a.id}: an edit records {name} as {checked!r}")


def _submitted(a: Any, _p: ev.ArticleSubmitted, _actor: str, _at: datetime) -> None:
    _complete(a)


def _validated(a: Any, p: ev.ArticleValidated, actor: str, at: datetime) -> None:
    """Complete, validated by someone else than the author (unless allowed), published later."""
    if p.publish_at is not None and at >= p.publish_at:
        raise ValidationError("publish_at must lie after at; leave it out to publish now")
    _complete(a)
    if actor == a.author and actor != SYSTEM.id and not a.config.allow_self_validation:
        raise SelfValidationRefused(f"{actor} may not validate their own {a.id}")


def _published(a: Any, _p: ev.ArticlePublished, _actor: str, at: datetime) -> None:
    """A scheduled article is not published before its `publish_at`."""
    if a.publish_at is not None and at < a.publish_at:
        raise PublicationNotDue(f"{a.id} is scheduled for {a.publish_at.isoformat()}")


def _flags_dismissed(a: Any, _p: ev.FlagsDismissed, _actor: str, _at: datetime) -> None:
    if not a.flags:
        raise ValidationError(f"{a.id} has no open flags")


def _superseded(a: Any, p: ev.ArticleSuperseded, _actor: str, _at: datetime) -> None:
    if p.successor == a.id:
        raise ValidationError(f"a new version needs a new id, not {a.id!r}")


# -- shared parts -----------------------------------------------------------------------


def _complete(a: Any) -> None:
    missing = a.missing_parts()
    if missing:
        raise IncompleteArticle(a.id, missing)


RULES: dict[type[Any], Rule] = {
    ev.ArticleEdited: _edited,
    ev.ArticleSubmitted: _submitted,
    ev.ArticleValidated: _validated,
    ev.ArticlePublished: _published,
    ev.FlagsDismissed: _flags_dismissed,
    ev.ArticleSuperseded: _superseded,
}
"""Payload type -> its rule; payloads without one need only the workflow and their values."""
