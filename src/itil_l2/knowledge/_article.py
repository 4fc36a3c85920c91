"""The KnowledgeArticle entity: L2 documents solutions so that L1 can solve more.

An article moves through the lifecycle of `_workflow` (KCS confidence and
publication in one machine) only through its trigger methods. Each trigger
only builds its payload (which checks its own values); the entity engine
asks the permissions policy, checks time, routes through the compiled table,
runs the payload's rule from `_rules.RULES` (live and on replay alike), and
only then appends exactly one event, so a refused trigger leaves the article
untouched. Votes, open flags and reviewers are read from the history, never
stored twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple, Unpack

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.checks import check_instance
from itil_l2._core.entity import Entity
from itil_l2._core.tier import Tier
from itil_l2._core.unset import UNSET
from itil_l2.errors import CorruptHistory
from itil_l2.knowledge import events as ev
from itil_l2.knowledge._apply import APPLIERS
from itil_l2.knowledge._config import KnowledgeConfig
from itil_l2.knowledge._content import (
    CONTENT_CODECS,
    ArticleContent,
    check_content,
    content_changes,
    given_content,
)
from itil_l2.knowledge._rules import (
    RULES,
    PublicationNotDue,
    SelfValidationRefused,
    check_drafted,
    system_exemption,
)
from itil_l2.knowledge._workflow import (
    CONFIDENCE,
    WORKFLOW,
    ArticleState,
    KcsConfidence,
    KnowledgeTrigger,
)
from itil_l2.knowledge.events import Audience, Flag, FlagKind, KnowledgeEvent

__all__ = [
    "SelfValidationRefused",
    "PublicationNotDue",
    "KnowledgeArticle",
    "NewVersion",
]

_DEFAULT_CONFIG = KnowledgeConfig()
_L1_READABLE = frozenset({Audience.L1, Audience.PUBLIC})


class NewVersion(NamedTuple):
    """What `new_version` changed: the new draft and the now outdated old article."""

    new: KnowledgeArticle
    old: KnowledgeArticle


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class KnowledgeArticle(Entity[KnowledgeEvent]):  # type: ignore[override]  # attrs: no __init__
    """A knowledge article: symptom, cause, resolution steps, audience and lifecycle.

    Create one with `KnowledgeArticle.draft` (or `article_from_ticket`),
    move it with its triggers, rebuild it with `from_history`. A published
    article changes through `new_version`, which outdates it.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor
    >>> from itil_l2 import KnowledgeArticle
    >>> bob, kim = Actor("bob"), Actor("kim", roles={"knowledge_manager"})
    >>> at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    >>> kb = KnowledgeArticle.draft(
    ...     id="KB-1", title="ORA-12541 from the order app", at=at, actor=bob,
    ...     symptom="ORA-12541: TNS no listener", ci_refs=["db-prod-3"],
    ...     resolution_steps=["Start the listener: lsnrctl start"])
    >>> kb.submit(at=at, actor=bob)
    >>> kb.validate(at=at, actor=kim)
    >>> kb.state, kb.confidence.value, kb.reviewers, kb.version
    ('published', 'validated', ('kim',), 3)
    """

    # the content
    title: str
    symptom: str
    cause: str | None
    resolution_steps: tuple[str, ...]
    audience: Audience
    categories: tuple[str, ...]
    ci_refs: tuple[str, ...]
    # where it comes from
    author: str
    source_tickets: tuple[str, ...]
    revision: int
    supersedes: str | None
    superseded_by: str | None
    publish_at: datetime | None
    published_at: datetime | None
    config: KnowledgeConfig

    _WORKFLOW = WORKFLOW
    _EVENT = KnowledgeEvent
    _KIND = "article"
    _APPLIERS = APPLIERS
    _RULES = RULES
    _DEFAULT = _DEFAULT_CONFIG

    # -- creation and replay -------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        id: str,
        title: str,
        at: datetime,
        actor: Actor,
        symptom: str = "",
        cause: str | None = None,
        resolution_steps: Iterable[str] = (),
        ci_refs: Iterable[str] = (),
        categories: Iterable[str] = (),
        audience: Audience = Audience.L1,
        source_tickets: Iterable[str] = (),
        author: str | None = None,
        config: KnowledgeConfig = _DEFAULT_CONFIG,
    ) -> KnowledgeArticle:
        """Start an article (KCS: work in progress); only the title is needed yet.

        The actor is the author unless `author` names someone else (imports).
        """
        content = {
            "title": title,
            "symptom": symptom,
            "cause": cause,
            "resolution_steps": resolution_steps,
            "ci_refs": ci_refs,
            "categories": categories,
            "audience": audience,
            "source_tickets": source_tickets,
        }
        return cls._create(id, content, at, actor, author, 1, None, config)

    @classmethod
    def _create(
        cls,
        id: str,
        content: Mapping[str, Any],
        at: datetime,
        actor: Actor,
        author: str | None,
        revision: int,
        supersedes: str | None,
        config: KnowledgeConfig,
    ) -> KnowledgeArticle:
        values = check_content(content)
        writer = check_instance(actor, Actor, "actor").id if author is None else author
        payload = ev.ArticleDrafted(
            **values, author=writer, revision=revision, supersedes=supersedes
        )
        return cls._created(id, payload, at, actor, config)

    @classmethod
    def from_history(
        cls, events: Iterable[KnowledgeEvent], *, config: KnowledgeConfig = _DEFAULT_CONFIG
    ) -> KnowledgeArticle:
        """Rebuild an article exactly by replaying its events through the workflow.

        Raises `CorruptHistory` when the events do not form one legal history.
        """
        return cls._replayed(events, config)

    @classmethod
    def _first(cls, event: KnowledgeEvent, config: KnowledgeConfig) -> KnowledgeArticle:
        payload = event.payload
        if not isinstance(payload, ev.ArticleDrafted):
            raise CorruptHistory("an article history starts with its draft event")
        check_drafted(event.entity_id, payload, config)
        fields = [(f.name, getattr(payload, f.name)) for f in attrs.fields(ev.ArticleDrafted)]
        fields += [
            ("id", event.entity_id),
            ("superseded_by", None),
            ("publish_at", None),
            ("published_at", None),
            ("state", ArticleState.DRAFT.value),
            ("config", config),
        ]
        return cls._start(event, fields)

    # -- derived facts -------------------------------------------------------

    @property
    def confidence(self) -> KcsConfidence:
        """The KCS confidence of the current state (validated while live)."""
        return CONFIDENCE[self.state]

    @property
    def votes(self) -> Mapping[str, bool]:
        """Each rater's latest vote (True: helpful), read from the history."""
        latest: dict[str, bool] = {}
        for e in self.history:
            if isinstance(e.payload, ev.ArticleRated):
                latest[e.actor_id] = e.payload.helpful
        return MappingProxyType(latest)

    @property
    def flags(self) -> tuple[Flag, ...]:
        """Flags raised since the last dismissal (a new version starts with none)."""
        open_flags: list[Flag] = []
        for e in self.history:
            if isinstance(e.payload, ev.FlagsDismissed):
                open_flags.clear()
            elif isinstance(e.payload, ev.ArticleFlagged):
                open_flags.append(Flag(e.payload.kind, e.payload.comment, e.actor_id, e.at))
        return tuple(open_flags)

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Who reviewed the article (validated it or sent it back), first review first."""
        events = self._events((ev.ArticleValidated, ev.ArticleSentBack))
        return tuple(dict.fromkeys(e.actor_id for e in events))

    def readable_at(self, tier: Tier) -> bool:
        """Whether readers at `tier` may see it: L1 sees `l1` and `public` only."""
        return tier is not Tier.L1 or self.audience in _L1_READABLE

    def allowed_triggers(self) -> tuple[KnowledgeTrigger, ...]:
        """The triggers the lifecycle allows now (permissions and checks still apply)."""
        return WORKFLOW.allowed_triggers(self.state)

    def missing_parts(self) -> tuple[str, ...]:
        """What the article still lacks before it can be submitted or validated."""
        missing = []
        if not self.symptom.strip():
            missing.append("symptom")
        if len(self.resolution_steps) < self.config.min_resolution_steps:
            missing.append(f"resolution steps (at least {self.config.min_resolution_steps})")
        if self.config.require_scope and not (self.ci_refs or self.categories):
            missing.append("scope (at least one CI or category)")
        return tuple(missing)

    def __repr__(self) -> str:
        return f"<KnowledgeArticle {self.id} r{self.revision} {self.state} v{self.version}>"

    def _events(self, kinds: type | tuple[type, ...]) -> list[KnowledgeEvent]:
        return [e for e in self.history if isinstance(e.payload, kinds)]

    # -- authoring -------------------------------------------------------------

    def edit(
        self,
        *,
        at: datetime,
        actor: Actor,
        **content: Unpack[ArticleContent],
    ) -> None:
        """Change content before validation; fields left out stay as they are.

        The event records old and new values; an edit that changes nothing is
        refused (a `ValidationError`, after the lifecycle and the permissions).
        """
        given = given_content(content, "edit")
        self._fire(ev.ArticleEdited(content_changes(self, given)), at, actor)

    def submit(self, *, at: datetime, actor: Actor) -> None:
        """Hand the finished draft to review (KCS: not validated)."""
        self._fire(ev.ArticleSubmitted(), at, actor)

    def send_back(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Return a submitted article to its author for rework, saying why."""
        self._fire(ev.ArticleSentBack(reason), at, actor)

    def validate(self, *, at: datetime, actor: Actor, publish_at: datetime | None = None) -> None:
        """Validate a submitted article: publish it now, or schedule it for `publish_at`.

        Refused with `IncompleteArticle` if parts are missing, and with
        `SelfValidationRefused` when the author validates their own article
        (unless the config allows it, or the actor is the system actor
        `SYSTEM`). Checked live only: that the system actor holds the system
        role (a stored event names its actor's id, not its rights).
        """
        payload = ev.ArticleValidated(publish_at)
        self._fire(payload, at, actor, lambda: system_exemption(self, actor))

    def publish(self, *, at: datetime, actor: Actor) -> None:
        """Publish a scheduled article once its `publish_at` has come.

        Early, it raises `PublicationNotDue`.
        """
        self._fire(ev.ArticlePublished(), at, actor)

    # -- feedback ----------------------------------------------------------------

    def rate(
        self, helpful: bool, *, at: datetime, actor: Actor, comment: str | None = None
    ) -> None:
        """Say whether the article helped; a later vote by the same actor replaces theirs."""
        self._fire(ev.ArticleRated(helpful, comment), at, actor)

    def flag(self, kind: FlagKind, comment: str, *, at: datetime, actor: Actor) -> None:
        """Flag the article as outdated or wrong (lowers its quality score until dismissed)."""
        self._fire(ev.ArticleFlagged(kind, comment), at, actor)

    def dismiss_flags(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Close the open flags after review: the content stands as it is.

        Without open flags there is nothing to dismiss (a `ValidationError`).
        """
        self._fire(ev.FlagsDismissed(reason), at, actor)

    # -- end of life ---------------------------------------------------------------

    def propose_retirement(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Mark a published article for retirement; it stays readable meanwhile."""
        self._fire(ev.RetirementProposed(reason), at, actor)

    def reinstate(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Withdraw a proposed retirement: the article is published again."""
        self._fire(ev.ArticleReinstated(reason), at, actor)

    def retire(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Withdraw a live article from use."""
        self._fire(ev.ArticleRetired(reason), at, actor)

    def archive(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Take the article out of the knowledge base for good (from any other state)."""
        self._fire(ev.ArticleArchived(reason), at, actor)

    def new_version(
        self,
        *,
        id: str,
        at: datetime,
        actor: Actor,
        **content: Unpack[ArticleContent],
    ) -> NewVersion:
        """Start the next version of a published article; this one becomes outdated.

        The new article (id `id`, revision + 1, `supersedes` this one,
        authored by `actor`) starts as a draft with this article's content
        and the given changes; it must be validated again. Both articles are
        checked before either changes: on any error this article stays as it
        was and no new one exists.
        """
        given = given_content(content, "new_version")
        merged = {name: getattr(self, name) for name in CONTENT_CODECS}
        merged.update((name, value) for name, value in given.items() if value is not UNSET)
        new = self._create(id, merged, at, actor, None, self.revision + 1, self.id, self.config)
        self._fire(ev.ArticleSuperseded(new.id), at, actor)
        return NewVersion(new, self)
