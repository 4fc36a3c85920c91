"""Knowledge: KCS articles, search, feedback from resolved tickets, and L1 training.

The article's payload events are in `itil_l2.knowledge.events`.
"""

from __future__ import annotations

from itil_l2._core.public import expose

from ._article import KnowledgeArticle, NewVersion
from ._config import (
    KNOWLEDGE_MANAGER,
    DefaultKnowledgePermissions,
    KnowledgeConfig,
    KnowledgeFacts,
    KnowledgePermissions,
    QualityWeights,
    SearchWeights,
)
from ._content import ArticleContent, IncompleteArticle
from ._feedback import (
    FinalResolution,
    LinkRate,
    QualityScore,
    final_resolution,
    link_rate,
    quality_score,
    quality_scores,
    used_to_resolve,
)
from ._rules import PublicationNotDue, SelfValidationRefused
from ._search import (
    ArticleMatch,
    article_from_ticket,
    find_articles,
)
from ._training import (
    L1Share,
    Period,
    ShiftLeft,
    TrainingSession,
    attendee_hours,
    hours_by_attendee,
    hours_by_period,
    hours_by_trainer,
    periods_around,
    session_hours,
    shift_left,
)
from ._workflow import WORKFLOW, ArticleState, KcsConfidence, KnowledgeTrigger
from .events import Audience, Flag, FlagKind, KnowledgeEvent, KnowledgePayload

__all__ = [
    "ArticleContent",
    "WORKFLOW",
    "KNOWLEDGE_MANAGER",
    "ArticleMatch",
    "ArticleState",
    "Audience",
    "DefaultKnowledgePermissions",
    "FinalResolution",
    "Flag",
    "FlagKind",
    "IncompleteArticle",
    "KcsConfidence",
    "KnowledgeArticle",
    "KnowledgeConfig",
    "KnowledgeEvent",
    "KnowledgeFacts",
    "KnowledgePayload",
    "KnowledgePermissions",
    "KnowledgeTrigger",
    "L1Share",
    "LinkRate",
    "NewVersion",
    "Period",
    "PublicationNotDue",
    "QualityScore",
    "QualityWeights",
    "SearchWeights",
    "SelfValidationRefused",
    "ShiftLeft",
    "TrainingSession",
    "article_from_ticket",
    "attendee_hours",
    "final_resolution",
    "find_articles",
    "hours_by_attendee",
    "hours_by_period",
    "hours_by_trainer",
    "link_rate",
    "periods_around",
    "quality_score",
    "quality_scores",
    "session_hours",
    "shift_left",
    "used_to_resolve",
]

expose(__name__, globals(), __all__)
