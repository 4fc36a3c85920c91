"""Every tunable of the knowledge base: workflow rules, permissions, quality, search.

Three frozen objects, passed in where they are used and never read from
module globals: `KnowledgeConfig` (kept by each article), `QualityWeights`
(for `quality_score`) and `SearchWeights` (for `find_articles`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import attrs
from attrs import frozen

from itil_l2._core.actor import Actor, Role
from itil_l2._core.entity import EntityFacts
from itil_l2.errors import ValidationError
from itil_l2.knowledge._workflow import KnowledgeTrigger

__all__ = [
    "KNOWLEDGE_MANAGER",
    "DefaultKnowledgePermissions",
    "KnowledgeConfig",
    "KnowledgeFacts",
    "KnowledgePermissions",
    "QualityWeights",
    "SearchWeights",
]

KNOWLEDGE_MANAGER = Role.KNOWLEDGE_MANAGER
"""The role that may validate, publish, retire and archive any article (KCS "publisher")."""

T = KnowledgeTrigger
_ANYONE = frozenset({T.RATE, T.FLAG})
_AUTHOR = frozenset({T.EDIT, T.SUBMIT, T.SUPERSEDE})
_UNVALIDATED = frozenset({"draft", "not_validated"})


class KnowledgeFacts(EntityFacts, Protocol):
    """What a knowledge permissions policy may look at; `KnowledgeArticle` has it all."""

    @property
    def author(self) -> str: ...


class KnowledgePermissions(Protocol):
    """A policy deciding whether `actor` may fire `trigger` on `article`."""

    def permits(self, actor: Actor, trigger: KnowledgeTrigger, article: KnowledgeFacts) -> bool:
        """True when the actor may fire the trigger on this article now."""
        ...


def _names(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@frozen
class DefaultKnowledgePermissions:
    """The default policy, after KCS roles (contributor, publisher).

    - the system actor may do everything (automation, imports);
    - anyone may rate or flag an article (reuse is review: L1 and callers too);
    - publishers (the `knowledge_manager` role, or members of a
      `publisher_groups` group) may fire every trigger;
    - the author may edit and submit their article, start a new version of
      it, and archive it while it is unvalidated (an abandoned draft).

    >>> from itil_l2 import Actor
    >>> from itil_l2.knowledge.events import KnowledgeTrigger
    >>> from itil_l2.testing import example_article
    >>> kb = example_article()  # drafted by "bob"
    >>> policy = DefaultKnowledgePermissions(publisher_groups={"kb-publishers"})
    >>> policy.permits(Actor("bob"), KnowledgeTrigger.VALIDATE, kb)
    False
    >>> policy.permits(Actor("pia", groups={"kb-publishers"}), KnowledgeTrigger.VALIDATE, kb)
    True
    """

    manager_role: str = KNOWLEDGE_MANAGER
    publisher_groups: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def permits(self, actor: Actor, trigger: KnowledgeTrigger, article: KnowledgeFacts) -> bool:
        """Apply the rules listed in the class docstring."""
        if Role.SYSTEM in actor.roles or trigger in _ANYONE:
            return True
        if self.manager_role in actor.roles or actor.groups & self.publisher_groups:
            return True
        if actor.id != article.author:
            return False
        return trigger in _AUTHOR or (trigger is T.ARCHIVE and article.state in _UNVALIDATED)


def _non_negative_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"{attribute.name} must be a non-negative int, got {value!r}")


@frozen
class KnowledgeConfig:
    """The knowledge workflow's rules; articles keep theirs, replays take it again.

    - `allow_self_validation`: may an author validate their own article?
      KCS and ServiceNow both want a second pair of eyes, so not by default
      (the system actor `SYSTEM` is exempt: imports copy decisions made
      elsewhere; another actor with the system role is not, since a replayed
      history names the validator's id, not its roles).
    - `min_resolution_steps`: steps an article needs before it is submitted
      and validated.
    - `require_scope`: an article must name at least one CI or category
      before submission, or `find_articles` could never match it.

    >>> KnowledgeConfig().allow_self_validation
    False
    """

    permissions: KnowledgePermissions = DefaultKnowledgePermissions()
    allow_self_validation: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    min_resolution_steps: int = attrs.field(default=1, validator=_non_negative_int)
    require_scope: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValidationError(f"{attribute.name} must be a non-negative number, got {value!r}")


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _non_negative(_inst, attribute, value)
    if value == 0:
        raise ValidationError(f"{attribute.name} must be positive")


def _fraction(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _non_negative(_inst, attribute, value)
    if value > 1:  # type: ignore[operator]
        raise ValidationError(f"{attribute.name} must lie between 0 and 1, got {value!r}")


@frozen
class QualityWeights:
    """How `quality_score` weighs votes, use and flags; the result lies in [0, 1].

    - rating = (helpful + `prior_helpful`) / (votes + `prior_votes`): a
      smoothed share of helpful votes, 0.5 with no votes at all, so one
      early vote cannot swing an article to 0 or 1;
    - usage = uses / (uses + `usage_half`): tickets resolved with the
      article, saturating (at `usage_half` uses it is 0.5);
    - base = `rating_weight` * rating + (1 - `rating_weight`) * usage;
    - every open flag multiplies the base by (1 - its penalty):
      `wrong_penalty` for "wrong", `outdated_penalty` for "outdated".
    """

    prior_helpful: float = attrs.field(default=1.0, validator=_non_negative)
    prior_votes: float = attrs.field(default=2.0, validator=_positive)
    rating_weight: float = attrs.field(default=0.7, validator=_fraction)
    usage_half: float = attrs.field(default=5.0, validator=_positive)
    wrong_penalty: float = attrs.field(default=0.5, validator=_fraction)
    outdated_penalty: float = attrs.field(default=0.25, validator=_fraction)

    def __attrs_post_init__(self) -> None:
        if self.prior_helpful > self.prior_votes:
            raise ValidationError("prior_helpful cannot exceed prior_votes")


@frozen
class SearchWeights:
    """How `find_articles` scores an article against a ticket.

    score = `ci` × shared CIs + `category` × (category matches) + `keyword`
    × shared symptom keywords; an article scoring 0 is not a match. For an
    L1 reader, an article written for L1 gains `l1_bonus` on top.
    """

    ci: float = attrs.field(default=3.0, validator=_non_negative)
    category: float = attrs.field(default=2.0, validator=_non_negative)
    keyword: float = attrs.field(default=1.0, validator=_non_negative)
    l1_bonus: float = attrs.field(default=1.0, validator=_non_negative)
