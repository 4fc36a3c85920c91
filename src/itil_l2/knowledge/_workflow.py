"""The knowledge-article lifecycle, defined once with transitions and compiled.

One machine carries both anchors: the KCS v6 confidence states (work in
progress, not validated, validated, archived) and the ServiceNow publication
states (draft, review, scheduled, published, pending retirement, retired,
outdated). A state's KCS confidence is a property of the state
(`CONFIDENCE`), so the two views can never disagree:

| state                | KCS confidence   | ServiceNow          |
|----------------------|------------------|---------------------|
| `draft`              | work in progress | draft               |
| `not_validated`      | not validated    | review              |
| `scheduled`          | validated        | scheduled           |
| `published`          | validated        | published           |
| `pending_retirement` | validated        | pending retirement  |
| `outdated`           | archived         | outdated            |
| `retired`            | archived         | retired             |
| `archived`           | archived         | (deleted/archived)  |

`outdated` is reached only by `supersede` (a new version exists);
`archived` is KCS's end state, reachable from every other state (an
abandoned draft, a duplicate, an article nobody needs any more).
Feedback (rate, flag, dismiss_flags) and edits are internal transitions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from itil_l2._core.workflow import Workflow

__all__ = [
    "KnowledgeTrigger",
    "WORKFLOW",
    "ArticleState",
    "KcsConfidence",
]


class KnowledgeTrigger(StrEnum):
    """Every knowledge-article trigger; the permissions policy is asked about these."""

    DRAFT = "draft"
    EDIT = "edit"
    SUBMIT = "submit"
    SEND_BACK = "send_back"
    VALIDATE = "validate"
    PUBLISH = "publish"
    RATE = "rate"
    FLAG = "flag"
    DISMISS_FLAGS = "dismiss_flags"
    PROPOSE_RETIREMENT = "propose_retirement"
    REINSTATE = "reinstate"
    RETIRE = "retire"
    ARCHIVE = "archive"
    SUPERSEDE = "supersede"


class ArticleState(StrEnum):
    """Where an article is in its life (the workflow's state names)."""

    DRAFT = "draft"
    NOT_VALIDATED = "not_validated"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    PENDING_RETIREMENT = "pending_retirement"
    OUTDATED = "outdated"
    RETIRED = "retired"
    ARCHIVED = "archived"


class KcsConfidence(StrEnum):
    """The KCS v6 confidence of an article, derived from its state."""

    WORK_IN_PROGRESS = "work_in_progress"
    NOT_VALIDATED = "not_validated"
    VALIDATED = "validated"
    ARCHIVED = "archived"


S = ArticleState
CONFIDENCE: dict[str, KcsConfidence] = {
    S.DRAFT: KcsConfidence.WORK_IN_PROGRESS,
    S.NOT_VALIDATED: KcsConfidence.NOT_VALIDATED,
    S.SCHEDULED: KcsConfidence.VALIDATED,
    S.PUBLISHED: KcsConfidence.VALIDATED,
    S.PENDING_RETIREMENT: KcsConfidence.VALIDATED,
    S.OUTDATED: KcsConfidence.ARCHIVED,
    S.RETIRED: KcsConfidence.ARCHIVED,
    S.ARCHIVED: KcsConfidence.ARCHIVED,
}


def publish_now(_article: Any, payload: Any) -> bool:
    """The validation names no future publication time: publish at once."""
    return payload.publish_at is None


def publish_later(_article: Any, payload: Any) -> bool:
    """The validation schedules publication for `publish_at`."""
    return payload.publish_at is not None


T = KnowledgeTrigger
_IN_USE = [S.NOT_VALIDATED.value, S.PUBLISHED.value, S.PENDING_RETIREMENT.value]
_LIVE = [S.PUBLISHED.value, S.PENDING_RETIREMENT.value]


_t = Workflow.transition


TRANSITIONS: list[dict[str, Any]] = [
    _t(T.EDIT, [S.DRAFT.value, S.NOT_VALIDATED.value], None),
    _t(T.SUBMIT, S.DRAFT.value, S.NOT_VALIDATED.value),
    _t(T.SEND_BACK, S.NOT_VALIDATED.value, S.DRAFT.value),
    _t(T.VALIDATE, S.NOT_VALIDATED.value, S.PUBLISHED.value, publish_now),
    _t(T.VALIDATE, S.NOT_VALIDATED.value, S.SCHEDULED.value, publish_later),
    _t(T.PUBLISH, S.SCHEDULED.value, S.PUBLISHED.value),
    _t(T.RATE, _IN_USE, None),
    _t(T.FLAG, _IN_USE, None),
    _t(T.DISMISS_FLAGS, _IN_USE, None),
    _t(T.PROPOSE_RETIREMENT, S.PUBLISHED.value, S.PENDING_RETIREMENT.value),
    _t(T.REINSTATE, S.PENDING_RETIREMENT.value, S.PUBLISHED.value),
    _t(T.RETIRE, _LIVE, S.RETIRED.value),
    _t(T.SUPERSEDE, S.PUBLISHED.value, S.OUTDATED.value),
    _t(T.ARCHIVE, [s.value for s in ArticleState if s is not S.ARCHIVED], S.ARCHIVED.value),
]


WORKFLOW: Workflow[KnowledgeTrigger] = Workflow(
    "knowledge",
    KnowledgeTrigger,
    states=[s.value for s in ArticleState],
    transitions=TRANSITIONS,
    initial=S.DRAFT.value,
    title="Knowledge article lifecycle (KCS confidence + publication)",
)
"""The article lifecycle: one shared machine, compiled; routing, refusals and diagram."""
