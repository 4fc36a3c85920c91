"""Knowledge article vocabulary, domain events, and how each event changes an article.

An article's history is a tuple of `KnowledgeEvent`s, one per trigger, with a
typed payload each; replaying it (`KnowledgeArticle.from_history`) rebuilds
the article exactly. Payloads hold only values (strings, enums, datetimes),
so the history serialises to JSON through the library's cattrs converter.
Each payload checks its own values (types, non-blank texts, aware times) when
it is made, by a trigger or from stored JSON alike; the rules that need the
article and its config (`_rules.RULES`) run in the trigger engine, live and
on replay.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.entity import Event
from itil_l2._core.fields import FieldChange
from itil_l2._core.serialization import UPCASTERS, rename_entity_id
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.knowledge._workflow import KnowledgeTrigger

__all__ = [
    "ArticleDrafted",
    "ArticleArchived",
    "ArticleEdited",
    "ArticlePublished",
    "ArticleRated",
    "ArticleFlagged",
    "ArticleReinstated",
    "ArticleRetired",
    "ArticleSentBack",
    "ArticleSubmitted",
    "ArticleSuperseded",
    "ArticleValidated",
    "Audience",
    "Flag",
    "FlagKind",
    "FlagsDismissed",
    "KnowledgeEvent",
    "KnowledgePayload",
    "RetirementProposed",
]

SCHEMA_VERSION = 2
"""2 since 0.2.0: the envelope names the entity `entity_id` (was `article_id`)."""

UPCASTERS.register("article", 1, rename_entity_id("article_id"))


class Audience(StrEnum):
    """Who may read an article; `find_articles` filters by the reader's tier.

    - `l1`: written for first level, usable by L1 (and by L2/L3);
    - `l2_internal`: for second level and above only, never shown at L1;
    - `public`: may be shown to callers (self-service), and to every tier.
    """

    L1 = "l1"
    L2_INTERNAL = "l2_internal"
    PUBLIC = "public"


class FlagKind(StrEnum):
    """Why a reader flagged an article (KCS "flag it"): it is outdated or wrong."""

    OUTDATED = "outdated"
    WRONG = "wrong"


@frozen
class Flag:
    """An open flag on an article: its kind, the reader's comment, who and when."""

    kind: FlagKind = attrs.field(validator=_checks.member(FlagKind))
    comment: str = attrs.field(validator=_checks.text)
    by: str = attrs.field(validator=_checks.identifier)
    at: datetime


# -- value checks of the payloads ------------------------------------------------------


def _unique_ids(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A tuple of distinct identifiers (CI refs, categories and tickets are sets)."""
    _checks.identifiers(inst, attribute, value)
    if isinstance(value, tuple) and len(set(value)) != len(value):
        raise ValidationError(f"{attribute.name} must not repeat a value, got {value!r}")


def _revision(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{attribute.name} must be a positive int, got {value!r}")


def _optional_aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)  # type: ignore[arg-type]


def _changes(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(c, FieldChange) for c in value):
        raise ValidationError(f"{attribute.name} must be a tuple of FieldChange, got {value!r}")


# -- payloads ------------------------------------------------------------------


@frozen
class ArticleDrafted:
    """The article was created (KCS: work in progress); carries every initial field.

    `revision` counts the versions of one piece of knowledge (1 for the
    first); `supersedes` names the article this one replaces, if any.
    """

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.DRAFT
    title: str = attrs.field(validator=_checks.text)
    symptom: str = attrs.field(validator=_checks.string)
    cause: str | None = attrs.field(validator=_checks.optional_text)
    resolution_steps: tuple[str, ...] = attrs.field(validator=_checks.texts)
    ci_refs: tuple[str, ...] = attrs.field(validator=_unique_ids)
    categories: tuple[str, ...] = attrs.field(validator=_unique_ids)
    audience: Audience = attrs.field(validator=_checks.member(Audience))
    author: str = attrs.field(validator=_checks.identifier)
    source_tickets: tuple[str, ...] = attrs.field(validator=_unique_ids)
    revision: int = attrs.field(default=1, validator=_revision)
    supersedes: str | None = attrs.field(default=None, validator=_checks.optional_identifier)


@frozen
class ArticleEdited:
    """Content changed; old and new values in JSON form (lists for tuples)."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.EDIT
    changes: tuple[FieldChange, ...] = attrs.field(validator=_changes)


@frozen
class ArticleSubmitted:
    """The author finished the article; it now waits for validation."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.SUBMIT


@frozen
class ArticleSentBack:
    """A reviewer returned the article to its author for rework."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.SEND_BACK
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ArticleValidated:
    """A reviewer validated the article: published now, or scheduled for `publish_at`."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.VALIDATE
    publish_at: datetime | None = attrs.field(default=None, validator=_optional_aware)


@frozen
class ArticlePublished:
    """A scheduled article went live."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.PUBLISH


@frozen
class ArticleRated:
    """A reader said whether the article helped; an actor's latest rating counts."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.RATE
    helpful: bool = attrs.field(validator=_checks.instance(bool))
    comment: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class ArticleFlagged:
    """A reader flagged the article as outdated or wrong."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.FLAG
    kind: FlagKind = attrs.field(validator=_checks.member(FlagKind))
    comment: str = attrs.field(validator=_checks.text)


@frozen
class FlagsDismissed:
    """The open flags were reviewed and dismissed (the content stands)."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.DISMISS_FLAGS
    reason: str = attrs.field(validator=_checks.text)


@frozen
class RetirementProposed:
    """Retirement was proposed (ServiceNow "pending retirement"); still readable."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.PROPOSE_RETIREMENT
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ArticleReinstated:
    """A proposed retirement was withdrawn; the article is published again."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.REINSTATE
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ArticleRetired:
    """The article was withdrawn from use (ServiceNow "retired")."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.RETIRE
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ArticleArchived:
    """The article left the knowledge base for good (KCS "archived")."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.ARCHIVE
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ArticleSuperseded:
    """A new version (`successor`) replaced this article, which is now outdated."""

    TRIGGER: ClassVar[KnowledgeTrigger] = KnowledgeTrigger.SUPERSEDE
    successor: str = attrs.field(validator=_checks.identifier)


KnowledgePayload = (
    ArticleDrafted
    | ArticleEdited
    | ArticleSubmitted
    | ArticleSentBack
    | ArticleValidated
    | ArticlePublished
    | ArticleRated
    | ArticleFlagged
    | FlagsDismissed
    | RetirementProposed
    | ArticleReinstated
    | ArticleRetired
    | ArticleArchived
    | ArticleSuperseded
)


@frozen
class KnowledgeEvent(Event[KnowledgePayload]):
    """One change to one article: who, when, what, and the resulting version.

    `kind` is the trigger's name; `schema` is the event format version.
    """

    schema: int = SCHEMA_VERSION
