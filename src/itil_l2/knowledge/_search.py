"""From tickets to articles and back: drafting from a resolution, finding for a ticket.

Both are plain functions over values the caller hands in: no repository, no
network, no model download. `find_articles` ranks by what a helpdesk knows
for sure (shared CIs, the category) and then by shared symptom keywords,
so every rank can be explained to the agent who sees it (`ArticleMatch`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from attrs import frozen

from itil_l2._core.actor import Actor
from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.knowledge._article import KnowledgeArticle
from itil_l2.knowledge._config import KnowledgeConfig, SearchWeights
from itil_l2.knowledge._workflow import ArticleState
from itil_l2.knowledge.events import Audience
from itil_l2.tickets import Ticket

__all__ = ["ArticleMatch", "article_from_ticket", "find_articles", "keywords"]

_WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "cannot", "for", "from", "get",
    "gets", "has", "have", "in", "is", "it", "its", "no", "not", "of", "on", "or", "since", "the",
    "this", "to", "was", "were", "when", "with", "without", "all", "any", "our", "their", "there",
    "user", "users", "der", "die", "das", "und", "ist", "nicht", "mit", "von", "für", "ein",
    "eine", "den", "dem", "des", "bei", "auf", "im", "zu", "kann"
})
# fmt: on
_DEFAULT_CONFIG = KnowledgeConfig()


def keywords(text: str) -> frozenset[str]:
    """The lower-cased words of `text` that say something (no stop words, 2+ characters).

    Words keep inner dots and hyphens, so error codes stay whole.

    >>> sorted(keywords("ORA-12541: TNS no listener on db-prod-3"))
    ['db-prod-3', 'listener', 'ora-12541', 'tns']
    """
    words = (w.lower() for w in _WORD.findall(text))
    return frozenset(w for w in words if len(w) >= 2 and w not in _STOPWORDS)


@frozen
class ArticleMatch:
    """One article found for a ticket: its score and why it scored.

    `cis` are the shared CI references, `category` whether the ticket's
    category is one of the article's, `words` the shared symptom keywords.
    """

    article: KnowledgeArticle
    score: float
    cis: tuple[str, ...]
    category: bool
    words: tuple[str, ...]


def _ticket_words(ticket: Ticket) -> frozenset[str]:
    parts = [ticket.title, ticket.description, ticket.symptom or ""]
    if ticket.handover is not None:
        parts.append(ticket.handover.description)
    return keywords(" ".join(parts))


def _article_words(article: KnowledgeArticle) -> frozenset[str]:
    return keywords(f"{article.title} {article.symptom}")


def _match(
    ticket: Ticket, words: frozenset[str], article: KnowledgeArticle, w: SearchWeights, tier: Tier
) -> ArticleMatch | None:
    cis = tuple(ref for ref in article.ci_refs if ref in ticket.ci_refs)
    category = ticket.category is not None and ticket.category in article.categories
    shared = tuple(sorted(words & _article_words(article)))
    score = w.ci * len(cis) + w.category * category + w.keyword * len(shared)
    if score <= 0:
        return None
    if tier is Tier.L1 and article.audience is Audience.L1:
        score += w.l1_bonus
    return ArticleMatch(article, score, cis, category, shared)


def find_articles(
    ticket: Ticket,
    articles: Iterable[KnowledgeArticle],
    *,
    reader_tier: Tier | None = None,
    weights: SearchWeights | None = None,
    limit: int | None = 10,
) -> tuple[ArticleMatch, ...]:
    """Published articles that fit `ticket`, best first.

    The rules, in order:

    1. only `published` articles count (drafts, unvalidated, scheduled,
       outdated, retired and archived ones never show);
    2. the reader's tier (`reader_tier`, by default the ticket's tier)
       decides the audience: at L1 only `l1` and `public` articles show,
       never `l2_internal` ones; L2 and L3 readers see every audience;
    3. score = `ci` × shared CIs + `category` × category match + `keyword`
       × shared keywords (title, description, symptom and handover of the
       ticket against title and symptom of the article); 0 means no match;
    4. at L1, articles written for L1 gain `l1_bonus`;
    5. ties go to the more recently published article, then to the id.

    >>> from itil_l2.testing import example_article, example_printer_ticket
    >>> found = find_articles(example_printer_ticket(), [example_article(published=True)])
    >>> [m.article.id for m in found]
    ['KB-EXAMPLE']
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(f"limit must be a positive int or None, got {limit!r}")
    w = weights or SearchWeights()
    tier = reader_tier or ticket.tier
    words = _ticket_words(ticket)
    found = []
    for article in articles:
        if article.state != ArticleState.PUBLISHED or not article.readable_at(tier):
            continue
        match = _match(ticket, words, article, w, tier)
        if match is not None:
            found.append(match)
    found.sort(key=lambda m: m.article.id)
    found.sort(key=_published_key, reverse=True)
    found.sort(key=lambda m: m.score, reverse=True)
    return tuple(found if limit is None else found[:limit])


def _published_key(match: ArticleMatch) -> datetime:
    published = match.article.published_at
    assert published is not None  # every published article has a publication time
    return published


def article_from_ticket(
    ticket: Ticket,
    *,
    id: str,
    at: datetime,
    actor: Actor,
    title: str | None = None,
    cause: str | None = None,
    audience: Audience = Audience.L1,
    config: KnowledgeConfig = _DEFAULT_CONFIG,
) -> KnowledgeArticle:
    """Draft an article from a resolved ticket (the seed's "documentation for the KB").

    - title: `title`, else the ticket's title;
    - symptom: the escalation handover's description (what L1 saw and
      wrote down), else the ticket's symptom, else its description;
    - resolution steps: the non-blank lines of the resolution notes;
    - CIs: the ticket's, the handover's and those the resolution changed;
    - categories: the ticket's category; source tickets: the ticket.

    The ticket must carry a successful resolution (resolved or closed).
    The article starts as a draft by `actor`, to be completed and validated.

    >>> from itil_l2 import Actor
    >>> from itil_l2.testing import example_printer_ticket
    >>> from datetime import datetime, timezone
    >>> ticket = example_printer_ticket(resolved=True)
    >>> kb = article_from_ticket(ticket, id="KB-7", actor=Actor("bob"),
    ...                          at=datetime(2026, 1, 6, tzinfo=timezone.utc))
    >>> kb.state, kb.source_tickets, kb.resolution_steps
    ('draft', ('INC-EXAMPLE',), ('Cleared the paper path', 'Replaced the pickup roller'))
    """
    resolution = ticket.resolution
    if resolution is None or not resolution.code.successful:
        raise ValidationError(f"{ticket.id} has no successful resolution to document")
    handover = ticket.handover
    symptom = (handover.description if handover else "") or ticket.symptom or ticket.description
    ci_refs = [
        *ticket.ci_refs,
        *(handover.ci_refs if handover else ()),
        *(change.ci_ref for change in resolution.ci_changes),
    ]
    steps = [line.strip() for line in resolution.notes.splitlines() if line.strip()]
    return KnowledgeArticle.draft(
        id=id,
        title=title if title is not None else ticket.title,
        at=at,
        actor=actor,
        symptom=symptom,
        cause=cause,
        resolution_steps=steps,
        ci_refs=ci_refs,
        categories=[ticket.category] if ticket.category else [],
        audience=audience,
        source_tickets=[ticket.id],
        config=config,
    )
