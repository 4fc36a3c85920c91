"""Knowledge and training KPIs: KB contributions, link rate, training hours, shift left.

These reuse the knowledge and training modules (`link_rate`,
`session_hours`, `attendee_hours`, `hours_by_period`, `shift_left`) and only
add what a KPI report needs: the common `KpiResult`, periods, grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from itil_l2.errors import ValidationError
from itil_l2.knowledge import (
    KnowledgeArticle,
    Period,
    TrainingSession,
    attendee_hours,
    link_rate,
    periods_around,
    session_hours,
    shift_left,
)
from itil_l2.knowledge import events as kev
from itil_l2.kpis._period import Granularity, period_of
from itil_l2.kpis._result import Exclusion, KpiResult
from itil_l2.tickets import Phase, Ticket
from itil_l2.tickets import events as tev

__all__ = [
    "kb_contributions",
    "kb_contributions_by",
    "kb_link_rate",
    "shift_left_kpi",
    "training_hours",
    "training_hours_by",
]

ContributionKind = Literal["created", "validated"]
_UNKNOWN = "(unknown)"


def _contribution_times(article: KnowledgeArticle, kind: ContributionKind) -> list[datetime]:
    if kind == "created":
        return [article.history[0].at]
    if kind == "validated":
        return [e.at for e in article.history if isinstance(e.payload, kev.ArticleValidated)]
    raise ValidationError(f"a contribution is 'created' or 'validated', not {kind!r}")


def kb_contributions(
    articles: Iterable[KnowledgeArticle],
    *,
    kind: ContributionKind = "created",
    period: Period | None = None,
) -> KpiResult:
    """Knowledge base contributions: articles created or validated.

    Definition ("kb_created" / "kb_validated"): the number of articles
    drafted in `period` (every draft counts, a new version too), or the
    number of validations (KCS: reviewed and marked validated) that
    happened in `period`. `sample_size` is the number of articles that
    contributed; the others are excluded ("no contribution in the period").
    """
    count = contributors = 0
    excluded: list[Exclusion] = []
    for article in articles:
        times = [t for t in _contribution_times(article, kind) if period is None or t in period]
        if times:
            count += len(times)
            contributors += 1
        else:
            excluded.append(Exclusion(article.id, "no contribution in the period"))
    return KpiResult(f"kb_{kind}", float(count), contributors, tuple(excluded), unit="articles")


def kb_contributions_by(
    articles: Iterable[KnowledgeArticle],
    by: Literal["author", "team"] | Granularity,
    *,
    kind: ContributionKind = "created",
    period: Period | None = None,
    teams: Mapping[str, str] | None = None,
    tz: tzinfo = UTC,
) -> dict[str, int]:
    """Contributions (see `kb_contributions`) per author, team, day, week or month.

    Both kinds are credited to the article's author; `teams` maps author
    ids to team names (authors not in it count as "(unknown)"). Periods are
    keyed by their local start date (ISO), in zone `tz`.

    >>> from itil_l2.testing import example_article
    >>> kb_contributions_by([example_article(published=True)], "author", kind="validated")
    {'bob': 1}
    """
    counts: dict[str, int] = {}
    for article in articles:
        for at in _contribution_times(article, kind):
            if period is not None and at not in period:
                continue
            if by == "author":
                key = article.author
            elif by == "team":
                key = (teams or {}).get(article.author, _UNKNOWN)
            else:
                key = period_of(at, by, tz).start.date().isoformat()
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _closed_at(ticket: Ticket) -> datetime | None:
    for event in reversed(ticket.history):
        if isinstance(event.payload, tev.Closed):
            return event.at
    return None


def kb_link_rate(tickets: Iterable[Ticket], *, period: Period | None = None) -> KpiResult:
    """The KCS link rate as a KPI result (computed by `link_rate`).

    Definition ("kb_link_rate"): closed tickets whose resolution names an
    article or that carry a knowledge link ÷ closed tickets; with `period`,
    tickets closed in it. Excluded: tickets not closed ("not closed"),
    closed outside the period ("closed outside the period").
    """
    closed: list[Ticket] = []
    excluded: list[Exclusion] = []
    for ticket in tickets:
        if ticket.phase is not Phase.CLOSED:
            excluded.append(Exclusion(ticket.id, "not closed"))
        elif period is not None and _closed_at(ticket) not in period:
            excluded.append(Exclusion(ticket.id, "closed outside the period"))
        else:
            closed.append(ticket)
    rate = link_rate(closed)
    return KpiResult("kb_link_rate", rate.rate, rate.closed, tuple(excluded), rate.linked)


def training_hours(
    sessions: Iterable[TrainingSession], period: Period, *, per_attendee: bool = False
) -> KpiResult:
    """The seed's "first-level training hours" in `period`.

    Definition ("training_hours", or "attendee_training_hours" with
    `per_attendee`): the summed length of the sessions that started in
    `period` (`session_hours`), or length × attendees, the hours L1 received
    (`attendee_hours`). Excluded: sessions that started outside the period.
    For per trainer or attendee figures see `hours_by_trainer` and
    `hours_by_attendee`; per day/week/month, `training_hours_by`.
    """
    pool = list(sessions)
    inside = [s for s in pool if s.start in period]
    excluded = tuple(Exclusion(s.id, "outside the period") for s in pool if s.start not in period)
    hours = attendee_hours(inside, period) if per_attendee else session_hours(inside, period)
    name = "attendee_training_hours" if per_attendee else "training_hours"
    return KpiResult(name, hours, len(inside), excluded, unit="hours")


def training_hours_by(
    sessions: Iterable[TrainingSession],
    unit: Granularity,
    *,
    per_attendee: bool = False,
    tz: tzinfo = UTC,
) -> dict[str, float]:
    """Training hours (see `training_hours`) per day, week or month, keyed by ISO start date."""
    totals: dict[str, float] = {}
    for session in sessions:
        p = period_of(session.start, unit, tz)
        hours = session.attendee_hours if per_attendee else session.hours
        key = p.start.date().isoformat()
        totals[key] = totals.get(key, 0.0) + hours
    return dict(sorted(totals.items()))


def shift_left_kpi(
    tickets: Iterable[Ticket], session: TrainingSession, *, window: timedelta
) -> KpiResult:
    """The shift-left figure of a training as a KPI result (computed by `shift_left`).

    Definition ("shift_left"): L1's share of the session's categories'
    tickets resolved in the `window` after the session minus that share in
    the `window` before it (see `shift_left`); `sample_size` is the number
    of tickets resolved in both windows together. None when either window
    resolved nothing.
    """
    before, after = periods_around(session, window)
    figure = shift_left(tickets, session, before=before, after=after)
    n = figure.before.resolved + figure.after.resolved
    return KpiResult("shift_left", figure.change, n, unit="share change")
