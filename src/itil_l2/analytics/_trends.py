"""Proactive analytics: recurring and spiking tickets become problem candidates.

Two rules find incidents that share a cause before anyone files a problem:

- *recurrence*: at least `threshold` tickets with the same key (CI,
  category or symptom) opened within a sliding `window` (the common "4 in 7
  days" rule by default);
- *spike*: a period's count for a key is above its robust baseline, the
  median of the previous periods plus k times their scaled median absolute
  deviation (MAD), which a single past outlier cannot inflate.

Each finding is a `ProblemCandidate` with the ticket ids as evidence;
`problem_kwargs` / `open_problem` turn it into a `Problem` (link the
incidents afterwards with `Problem.link_incident`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from attrs import frozen

from itil_l2._core.actor import Actor
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup
from itil_l2.analytics._checks import check_at_least_two, check_window
from itil_l2.errors import ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis import Granularity, period_of, periods_between
from itil_l2.problems import Problem, ProblemConfig
from itil_l2.tickets import Ticket

__all__ = [
    "ProblemCandidate",
    "baseline_threshold",
    "open_problem",
    "problem_kwargs",
    "recurrences",
    "spikes",
]

Key = Literal["ci", "category", "symptom"]
MAD_SCALE = 1.4826
"""Scales the MAD to estimate a standard deviation under normal noise."""


@frozen
class ProblemCandidate:
    """A group of tickets that looks like one underlying problem.

    `rule` is "recurrence" or "spike"; `key` says what the tickets share
    (`key_kind` "ci", "category", "symptom", or "all" for a spike in the
    total); `ticket_ids` are the evidence in order of opening; `reason` is a
    sentence for the problem statement.
    """

    rule: str
    key_kind: str
    key: str
    ticket_ids: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    reason: str


def _keys(ticket: Ticket, key: Key | Literal["all"]) -> Iterable[str]:
    if key == "ci":
        return dict.fromkeys(ticket.ci_refs)
    if key == "category":
        return () if ticket.category is None else (ticket.category,)
    if key == "symptom":
        return () if ticket.symptom is None else (ticket.symptom,)
    if key == "all":
        return ("all",)
    raise ValidationError(f"group trends by ci, category or symptom, not {key!r}")


def _by_key(tickets: Iterable[Ticket], key: Key | Literal["all"]) -> dict[str, list[Ticket]]:
    groups: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        for value in _keys(ticket, key):
            groups.setdefault(value, []).append(ticket)
    for members in groups.values():
        members.sort(key=lambda t: (t.opened_at, t.id))
    return dict(sorted(groups.items()))


def _clusters(times: list[datetime], threshold: int, window: timedelta) -> Iterator[range]:
    """Index ranges of merged windows [t, t + window) holding ≥ threshold items."""
    start = end = -1
    left = 0
    for right, at in enumerate(times):
        while at - times[left] >= window:
            left += 1
        if right - left + 1 < threshold:
            continue
        if left > end:  # a new cluster
            if end >= 0:
                yield range(start, end + 1)
            start = left
        end = right
    if end >= 0:
        yield range(start, end + 1)


def recurrences(
    tickets: Iterable[Ticket],
    *,
    key: Key = "ci",
    threshold: int = 4,
    window: timedelta = timedelta(days=7),
) -> list[ProblemCandidate]:
    """Keys with at least `threshold` tickets opened within any `window`.

    A window is half-open: tickets opened at t and at t + window are not in
    one window. Overlapping qualifying windows merge into one candidate
    whose evidence is every ticket in them. A ticket with several CIs
    counts for each.

    >>> from datetime import datetime, timedelta, timezone
    >>> from itil_l2 import Actor, Impact, SupportGroup, Tier, Urgency
    >>> from itil_l2 import Ticket
    >>> t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    >>> desk, ann = SupportGroup("desk", Tier.L1), Actor("ann")
    >>> tickets = [Ticket.open(id=f"INC-{i}", title="db slow", impact=Impact.LOW,
    ...                        urgency=Urgency.LOW, owner_group=desk, ci_refs=["db-3"],
    ...                        at=t0 + timedelta(days=2 * i), actor=ann) for i in range(4)]
    >>> [c.ticket_ids for c in recurrences(tickets)]   # days 0, 2, 4, 6: 4 in 7 days
    [('INC-0', 'INC-1', 'INC-2', 'INC-3')]
    """
    check_at_least_two(threshold, "threshold")
    check_window(window, "window")
    out: list[ProblemCandidate] = []
    for value, members in _by_key(tickets, key).items():
        times = [t.opened_at for t in members]
        for span in _clusters(times, threshold, window):
            chosen = [members[i] for i in span]
            reason = f"{len(chosen)} tickets on {key} {value} with ≥ {threshold} within {window}"
            out.append(_candidate("recurrence", key, value, chosen, reason))
    return out


def _candidate(
    rule: str, key: str, value: str, members: list[Ticket], reason: str
) -> ProblemCandidate:
    ids = tuple(t.id for t in members)
    return ProblemCandidate(
        rule, key, value, ids, members[0].opened_at, members[-1].opened_at, reason
    )


def baseline_threshold(history: list[int], k: float) -> float:
    """The spike limit: median + k · max(1.4826 · MAD, 1) of earlier counts.

    The floor of 1 keeps a perfectly regular history (MAD 0) from flagging
    every count above the median.

    >>> baseline_threshold([2, 3, 2, 4, 2], 3.0)  # median 2, MAD 0 -> 2 + 3 * 1
    5.0
    """
    med = statistics.median(history)
    mad = statistics.median(abs(x - med) for x in history)
    return float(med + k * max(MAD_SCALE * mad, 1.0))


def spikes(
    tickets: Iterable[Ticket],
    *,
    key: Key | Literal["all"] = "all",
    unit: Granularity = "day",
    baseline: int = 14,
    min_history: int = 7,
    k: float = 3.0,
    tz: tzinfo = UTC,
) -> list[ProblemCandidate]:
    """Periods whose ticket count for a key exceeds its robust baseline.

    For each key, tickets are counted per period (day, ISO week or month in
    zone `tz`, by opening time; empty periods count 0). A period is a
    spike when its count is above `baseline_threshold` of the up to
    `baseline` periods before it (median + k · max(1.4826 · MAD, 1)); at
    least `min_history` earlier periods are needed. The key's first period
    starts its history. Evidence: the tickets opened in the spike period.
    """
    if min_history < 1 or baseline < min_history:
        raise ValidationError("need 1 <= min_history <= baseline")
    out: list[ProblemCandidate] = []
    for value, members in _by_key(tickets, key).items():
        buckets: dict[Period, list[Ticket]] = {}
        for t in members:
            buckets.setdefault(period_of(t.opened_at, unit, tz), []).append(t)
        periods = periods_between(members[0].opened_at, members[-1].opened_at, unit, tz)
        counts = [len(buckets.get(p, ())) for p in periods]
        for i in range(min_history, len(periods)):
            history = counts[max(0, i - baseline) : i]
            limit = baseline_threshold(history, k)
            if counts[i] > limit:
                reason = (
                    f"{counts[i]} tickets on {key} {value} in the {unit} from "
                    f"{periods[i].start.date().isoformat()}; baseline limit {limit:g}"
                )
                out.append(_candidate("spike", key, value, buckets[periods[i]], reason))
    return out


def problem_kwargs(candidate: ProblemCandidate) -> dict[str, Any]:
    """The `Problem.open` keyword arguments a candidate determines.

    statement and description (naming the rule and every ticket id), and
    `ci_refs` or `category` from the key. Add id, impact, urgency, at and
    actor (and a group) yourself, or call `open_problem`.
    """
    kwargs: dict[str, Any] = {
        "statement": f"Recurring incidents: {candidate.reason}",
        "description": (
            f"Found by the {candidate.rule} rule. Evidence: {', '.join(candidate.ticket_ids)} "
            f"(opened {candidate.first_at.isoformat()} .. {candidate.last_at.isoformat()})."
        ),
    }
    if candidate.key_kind == "ci":
        kwargs["ci_refs"] = (candidate.key,)
    elif candidate.key_kind == "category":
        kwargs["category"] = candidate.key
    return kwargs


def open_problem(
    candidate: ProblemCandidate,
    *,
    id: str,
    impact: Impact,
    urgency: Urgency,
    at: datetime,
    actor: Actor,
    group: SupportGroup | None = None,
    config: ProblemConfig | None = None,
) -> Problem:
    """Open a `Problem` from a candidate (see `problem_kwargs`); nothing is linked yet.

    Link the evidence afterwards with `problem.link_incident(ticket, ...)`
    for each ticket in `candidate.ticket_ids`, so every link is one event
    the host can store.
    """
    extra: dict[str, Any] = {} if config is None else {"config": config}
    return Problem.open(
        id=id,
        impact=impact,
        urgency=urgency,
        at=at,
        actor=actor,
        group=group,
        **problem_kwargs(candidate),
        **extra,
    )
