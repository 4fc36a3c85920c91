"""The views of the entities an L2 team consults and changes: changes, articles, CIs.

Same policy and shape as the ticket and problem views (see `itil_l2.views`).
"""

from typing import Annotated, Any

from typing_extensions import TypedDict  # pydantic reads only this TypedDict on Python 3.11

from itil_l2._core.checks import thawed
from itil_l2._core.tier import Tier
from itil_l2.changes import ChangeOutcome, ChangeRequest, ChangeRisk, ChangeState, ChangeType
from itil_l2.cmdb import CiKind, CiStatus, ConfigurationItem
from itil_l2.knowledge import ArticleState, Audience, KcsConfidence, KnowledgeArticle
from itil_l2.views._policy import Choice, Format, enum_text, iso, iso_or_none, text_or_none

__all__ = [
    "ArticleView",
    "ChangeView",
    "CiView",
    "article_view",
    "change_view",
    "ci_view",
]

Time = Annotated[str, Format("date-time")]
TierName = Annotated[str, Choice.of(Tier)]


class ChangeView(TypedDict):
    """A request for change: type, risk, team, approval, window, outcome, links, times."""

    id: str
    change_type: Annotated[str, Choice.of(ChangeType)]
    title: str
    description: str
    state: Annotated[str, Choice.of(ChangeState)]
    risk: Annotated[str, Choice.of(ChangeRisk)]
    group: str
    tier: TierName
    requested_by: str
    authorized: bool
    planned_start: Time | None
    planned_end: Time | None
    implementation_started_at: Time | None
    implementation_ended_at: Time | None
    outcome: Annotated[str, Choice.of(ChangeOutcome)] | None
    fixes: list[str]
    tickets: list[str]
    opened_at: Time
    updated_at: Time
    version: int


class ArticleView(TypedDict):
    """A knowledge article: title, symptom, audience, state and KCS confidence, links, times."""

    id: str
    title: str
    symptom: str
    cause: str | None
    resolution_steps: list[str]
    audience: Annotated[str, Choice.of(Audience)]
    state: Annotated[str, Choice.of(ArticleState)]
    confidence: Annotated[str, Choice.of(KcsConfidence)]
    categories: list[str]
    ci_refs: list[str]
    author: str
    source_tickets: list[str]
    revision: int
    supersedes: str | None
    superseded_by: str | None
    published_at: Time | None
    opened_at: Time
    updated_at: Time
    version: int


class CiView(TypedDict):
    """A configuration item: name, kind, status, support team, owner, relations' targets."""

    id: str
    name: str
    kind: Annotated[str, Choice.of(CiKind)]
    state: Annotated[str, Choice.of(CiStatus)]
    productive: bool
    support_group: str
    tier: TierName
    owner: str | None
    related: list[str]
    attributes: dict[str, Any]
    opened_at: Time
    updated_at: Time
    version: int


def change_view(change: ChangeRequest) -> ChangeView:
    """The change's view.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2.changes import ChangeRequest, ChangeRisk, ChangeType
    >>> from itil_l2.views import change_view
    >>> rfc = ChangeRequest.raise_(
    ...     id="CHG-1", title="Rebuild the order index", change_type=ChangeType.NORMAL,
    ...     risk=ChangeRisk.HIGH, group=SupportGroup("database-l2", Tier.L2),
    ...     at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), actor=Actor("bob"))
    >>> view = change_view(rfc)
    >>> view["state"], view["risk"], view["tier"], view["opened_at"]
    ('new', 'high', 'L2', '2026-01-05T09:00:00+00:00')
    """
    c = change
    return {
        "id": c.id,
        "change_type": enum_text(c.change_type),
        "title": c.title,
        "description": c.description,
        "state": c.state,
        "risk": enum_text(c.risk),
        "group": c.group.name,
        "tier": enum_text(c.group.tier),
        "requested_by": c.requested_by,
        "authorized": c.authorized,
        "planned_start": iso_or_none(c.planned_start),
        "planned_end": iso_or_none(c.planned_end),
        "implementation_started_at": iso_or_none(c.implementation_started_at),
        "implementation_ended_at": iso_or_none(c.implementation_ended_at),
        "outcome": text_or_none(c.outcome),
        "fixes": list(c.fixes),
        "tickets": list(c.tickets),
        "opened_at": iso(c.opened_at),
        "updated_at": iso(c.updated_at),
        "version": c.version,
    }


def article_view(article: KnowledgeArticle) -> ArticleView:
    """The article's view.

    >>> from itil_l2.testing import example_article
    >>> from itil_l2.views import article_view
    >>> article_view(example_article(published=True))["confidence"]
    'validated'
    """
    a = article
    return {
        "id": a.id,
        "title": a.title,
        "symptom": a.symptom,
        "cause": a.cause,
        "resolution_steps": list(a.resolution_steps),
        "audience": enum_text(a.audience),
        "state": a.state,
        "confidence": enum_text(a.confidence),
        "categories": list(a.categories),
        "ci_refs": list(a.ci_refs),
        "author": a.author,
        "source_tickets": list(a.source_tickets),
        "revision": a.revision,
        "supersedes": a.supersedes,
        "superseded_by": a.superseded_by,
        "published_at": iso_or_none(a.published_at),
        "opened_at": iso(a.opened_at),
        "updated_at": iso(a.updated_at),
        "version": a.version,
    }


def ci_view(ci: ConfigurationItem) -> CiView:
    """The configuration item's view (`related`: its relations' targets, each once).

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, ConfigurationItem, SupportGroup, Tier
    >>> from itil_l2.cmdb import CiKind
    >>> from itil_l2.views import ci_view
    >>> db = ConfigurationItem.register(
    ...     id="db-prod-3", name="Orders DB", kind=CiKind.DATABASE,
    ...     support_group=SupportGroup("database-l2", Tier.L2),
    ...     at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), actor=Actor("bob"))
    >>> view = ci_view(db)
    >>> view["state"], view["kind"], view["productive"]
    ('planned', 'database', False)
    """
    return {
        "id": ci.id,
        "name": ci.name,
        "kind": enum_text(ci.kind),
        "state": ci.state,
        "productive": ci.productive,
        "support_group": ci.support_group.name,
        "tier": enum_text(ci.support_group.tier),
        "owner": ci.owner,
        "related": list(dict.fromkeys(r.target for r in ci.relations)),
        "attributes": thawed(ci.attributes),
        "opened_at": iso(ci.opened_at),
        "updated_at": iso(ci.updated_at),
        "version": ci.version,
    }
