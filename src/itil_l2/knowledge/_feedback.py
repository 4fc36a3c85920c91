"""How good is an article, and how often does it solve tickets? Pure functions.

Use is counted from what tickets say, not from clicks: a ticket "was resolved
with" an article when its standing resolution is successful and names the
article in `Resolution.kb_refs`. The standing resolution is read from the
ticket's history (the last resolve not undone by a reopen), together with
the tier the ticket was at when it was resolved, so an imported log and a
live ticket are measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import frozen

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ValidationError
from itil_l2.knowledge._config import QualityWeights
from itil_l2.knowledge.events import FlagKind
from itil_l2.tickets import LinkKind, Phase, Resolution, Ticket
from itil_l2.tickets import events as tev

__all__ = [
    "FinalResolution",
    "LinkRate",
    "QualityScore",
    "final_resolution",
    "link_rate",
    "quality_score",
    "quality_scores",
    "used_to_resolve",
]

_MOVES = (tev.Assigned, tev.Reassigned, tev.Escalated, tev.HandedBack)


@frozen
class FinalResolution:
    """A ticket's standing resolution: when, at which tier, and what it said."""

    at: datetime
    tier: Tier
    resolution: Resolution


def final_resolution(ticket: Ticket) -> FinalResolution | None:
    """The last resolution of `ticket` that no reopen undid, or None.

    The tier is the tier of the group holding the ticket when the resolve
    event happened (the owner group's, for a first-contact resolution of an
    unassigned ticket), replayed from the history's group moves.

    >>> from itil_l2.testing import example_printer_ticket
    >>> final_resolution(example_printer_ticket(resolved=True)).tier.value
    'L1'
    """
    group: SupportGroup | None = None
    found: FinalResolution | None = None
    for event in ticket.history:
        payload: Any = event.payload
        if isinstance(payload, tev.Opened):
            group = payload.owner_group
        elif isinstance(payload, _MOVES):
            group = payload.group
        elif isinstance(payload, tev.Resolved) and group is not None:
            found = FinalResolution(event.at, group.tier, payload.resolution)
        elif isinstance(payload, tev.Reopened):
            found = None
    return found


def used_to_resolve(tickets: Iterable[Ticket], *, tier: Tier | None = None) -> dict[str, int]:
    """For each article id, how many tickets were successfully resolved with it.

    Each ticket counts once per article, through its standing resolution
    only (a reopened, not yet re-resolved ticket counts for nothing); with
    `tier`, only tickets resolved at that tier count (e.g. `Tier.L1` for
    the shift-left view).

    >>> from itil_l2.testing import example_printer_ticket
    >>> used_to_resolve([example_printer_ticket(resolved=True)])
    {'KB-EXAMPLE': 1}
    """
    counts: dict[str, int] = {}
    for ticket in tickets:
        final = final_resolution(ticket)
        if final is None or not final.resolution.code.successful:
            continue
        if tier is not None and final.tier is not tier:
            continue
        for ref in dict.fromkeys(final.resolution.kb_refs):
            counts[ref] = counts.get(ref, 0) + 1
    return counts


@frozen
class LinkRate:
    """The KCS link rate: closed tickets with an article linked ÷ closed tickets.

    `rate` is None when no ticket is closed. KCS suggests aiming for
    60–80 %; a rate near 100 % usually means links are made blindly.
    """

    closed: int
    linked: int
    rate: float | None


def link_rate(tickets: Iterable[Ticket]) -> LinkRate:
    """The link rate of the closed tickets among `tickets` (filter by period first).

    A closed ticket is linked when its resolution names an article
    (`kb_refs`) or it carries a `LinkKind.KNOWLEDGE` link.
    """
    closed = linked = 0
    for ticket in tickets:
        if ticket.phase is not Phase.CLOSED:
            continue
        closed += 1
        refs = ticket.resolution.kb_refs if ticket.resolution else ()
        if refs or any(link.kind is LinkKind.KNOWLEDGE for link in ticket.links):
            linked += 1
    return LinkRate(closed, linked, linked / closed if closed else None)


@frozen
class QualityScore:
    """An article's quality and its parts (see `QualityWeights` for the formula)."""

    helpful: int
    not_helpful: int
    used_to_resolve: int
    wrong_flags: int
    outdated_flags: int
    rating: float
    usage: float
    score: float


def quality_score(
    article: Any, *, used_to_resolve: int = 0, weights: QualityWeights | None = None
) -> QualityScore:
    """Score an article from its votes, its open flags and how often it solved tickets.

    `article` is a `KnowledgeArticle` (anything with `votes` and `flags`);
    `used_to_resolve` comes from `used_to_resolve(tickets)`.

    >>> from itil_l2.testing import example_article
    >>> quality_score(example_article(), used_to_resolve=5).score  # no votes: 0.7*.5 + .3*.5
    0.5
    """
    w = weights or QualityWeights()
    uses = used_to_resolve
    if isinstance(uses, bool) or not isinstance(uses, int) or uses < 0:
        raise ValidationError(f"used_to_resolve must be a non-negative int, got {uses!r}")
    helpful = sum(1 for vote in article.votes.values() if vote)
    not_helpful = len(article.votes) - helpful
    wrong = sum(1 for f in article.flags if f.kind is FlagKind.WRONG)
    outdated = sum(1 for f in article.flags if f.kind is FlagKind.OUTDATED)
    rating = (helpful + w.prior_helpful) / (helpful + not_helpful + w.prior_votes)
    usage = uses / (uses + w.usage_half)
    base = w.rating_weight * rating + (1 - w.rating_weight) * usage
    score = base * (1 - w.wrong_penalty) ** wrong * (1 - w.outdated_penalty) ** outdated
    return QualityScore(helpful, not_helpful, uses, wrong, outdated, rating, usage, score)


def quality_scores(
    articles: Iterable[Any], tickets: Iterable[Ticket], *, weights: QualityWeights | None = None
) -> dict[str, QualityScore]:
    """`quality_score` for every article, with use counted over `tickets`."""
    uses = used_to_resolve(tickets)
    return {
        a.id: quality_score(a, used_to_resolve=uses.get(a.id, 0), weights=weights) for a in articles
    }
