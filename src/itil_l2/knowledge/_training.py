"""L1 training records, training hours, and the shift-left figure.

The seed's L2 "trains L1 so that more tickets are solved at L1". No anchor
records that, so this module does: a `TrainingSession` is the record of one
session held (topic, trainer, attendees, start, duration, and the articles
and categories it covered), hours are summed per period, trainer and
attendee, and `shift_left` compares the share of a category's tickets
resolved at L1 before and after a session.

Why a frozen record and not an event-sourced entity: a session is recorded
once it took place, like an attendance sheet; there is no workflow the
library could guard (nothing to escalate, approve or refuse), so a history
would only ever hold its creation. A correction is a new record under the
same id in the host's storage. Frozen records are hashable, thread-safe and
serialise through the library's cattrs converter as they are.

Every time-dependent function takes explicit `Period`s; nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.actor import Actor
from itil_l2._core.tier import Tier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.knowledge._feedback import final_resolution
from itil_l2.tickets import Ticket

__all__ = [
    "L1Share",
    "Period",
    "ShiftLeft",
    "TrainingSession",
    "attendee_hours",
    "hours_by_attendee",
    "hours_by_period",
    "hours_by_trainer",
    "periods_around",
    "session_hours",
    "shift_left",
]

_HOUR = timedelta(hours=1)


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    ensure_aware(value, attribute.name)  # type: ignore[arg-type]


@frozen
class Period:
    """A half-open stretch of time [start, end) with aware bounds.

    Anything timed counts in the period its moment falls into: a training
    session by its start, a ticket by its resolution.

    >>> from datetime import datetime, timezone
    >>> march = Period(datetime(2026, 3, 1, tzinfo=timezone.utc),
    ...                datetime(2026, 4, 1, tzinfo=timezone.utc))
    >>> datetime(2026, 3, 31, 23, tzinfo=timezone.utc) in march, march.end in march
    (True, False)
    """

    start: datetime = attrs.field(validator=_aware)
    end: datetime = attrs.field(validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(f"a period ends after it starts: {self.start} .. {self.end}")

    def __contains__(self, at: object) -> bool:
        return isinstance(at, datetime) and self.start <= ensure_aware(at) < self.end


def _actor_id(value: str | Actor) -> str:
    return value.id if isinstance(value, Actor) else value


def _actor_ids(value: Iterable[str | Actor]) -> tuple[str, ...]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(f"attendees must be an iterable of actors or ids, not {value!r}")
    return tuple(_actor_id(v) for v in value)


def _identifiers(value: Iterable[str]) -> tuple[str, ...]:
    return _checks.check_identifiers(value, "references")


def _positive(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"duration must be a positive timedelta, got {value!r}")


@frozen
class TrainingSession:
    """One training session L2 held for L1 (the record of it, after the fact).

    `trainer` and `attendees` are actor ids (Actors are accepted and stored
    by id); `article_refs` and `categories` say what the session covered,
    and `categories` is what `shift_left` measures.

    >>> from datetime import datetime, timedelta, timezone
    >>> from itil_l2 import Actor
    >>> s = TrainingSession(id="TRN-1", topic="Database listener errors",
    ...                     trainer=Actor("bob"), attendees=["ann", "al"],
    ...                     start=datetime(2026, 3, 10, 14, tzinfo=timezone.utc),
    ...                     duration=timedelta(minutes=90), article_refs=["KB-1"],
    ...                     categories=["database"])
    >>> s.trainer, s.hours, s.attendee_hours
    ('bob', 1.5, 3.0)
    """

    id: str = attrs.field(validator=_checks.identifier)
    topic: str = attrs.field(validator=_checks.text)
    trainer: str = attrs.field(converter=_actor_id, validator=_checks.identifier)
    attendees: tuple[str, ...] = attrs.field(converter=_actor_ids, validator=_checks.identifiers)
    start: datetime = attrs.field(validator=_aware)
    duration: timedelta = attrs.field(validator=_positive)
    article_refs: tuple[str, ...] = attrs.field(default=(), converter=_identifiers)
    categories: tuple[str, ...] = attrs.field(default=(), converter=_identifiers)

    def __attrs_post_init__(self) -> None:
        if not self.attendees:
            raise ValidationError(f"{self.id}: a training session needs attendees")
        if len(set(self.attendees)) != len(self.attendees):
            raise ValidationError(f"{self.id}: an attendee is listed twice")
        if self.trainer in self.attendees:
            raise ValidationError(f"{self.id}: the trainer {self.trainer!r} is not an attendee")

    @property
    def end(self) -> datetime:
        """When the session ended."""
        return self.start + self.duration

    @property
    def hours(self) -> float:
        """The session's length in hours (what the trainer gave)."""
        return self.duration / _HOUR

    @property
    def attendee_hours(self) -> float:
        """Hours received by attendees together (length × attendees)."""
        return self.duration * len(self.attendees) / _HOUR


# -- hours ---------------------------------------------------------------------------


def _within(sessions: Iterable[TrainingSession], period: Period) -> list[TrainingSession]:
    _checks.check_instance(period, Period, "period")
    chosen = []
    for session in sessions:
        _checks.check_instance(session, TrainingSession, "session")
        if session.start in period:
            chosen.append(session)
    return chosen


def session_hours(sessions: Iterable[TrainingSession], period: Period) -> float:
    """Hours of training held in `period` (each session once, by its start)."""
    return sum((s.duration for s in _within(sessions, period)), timedelta()) / _HOUR


def attendee_hours(sessions: Iterable[TrainingSession], period: Period) -> float:
    """Training hours L1 received in `period`: each session's length × its attendees."""
    total = sum((s.duration * len(s.attendees) for s in _within(sessions, period)), timedelta())
    return total / _HOUR


def hours_by_trainer(sessions: Iterable[TrainingSession], period: Period) -> dict[str, float]:
    """Hours each trainer gave in `period`, by trainer id."""
    totals: dict[str, timedelta] = {}
    for s in _within(sessions, period):
        totals[s.trainer] = totals.get(s.trainer, timedelta()) + s.duration
    return {trainer: total / _HOUR for trainer, total in totals.items()}


def hours_by_attendee(sessions: Iterable[TrainingSession], period: Period) -> dict[str, float]:
    """Hours of training each attendee received in `period`, by attendee id."""
    totals: dict[str, timedelta] = {}
    for s in _within(sessions, period):
        for attendee in s.attendees:
            totals[attendee] = totals.get(attendee, timedelta()) + s.duration
    return {attendee: total / _HOUR for attendee, total in totals.items()}


def hours_by_period(
    sessions: Iterable[TrainingSession], periods: Iterable[Period], *, per_attendee: bool = False
) -> dict[Period, float]:
    """Session hours (or, with `per_attendee`, attendee hours) for each period.

    Periods may overlap; a session counts in every period its start lies in.
    """
    pool = list(sessions)
    measure = attendee_hours if per_attendee else session_hours
    return {period: measure(pool, period) for period in periods}


# -- shift left ------------------------------------------------------------------------


@frozen
class L1Share:
    """Of the tickets resolved in `period`, how many were resolved at L1.

    `share` is None when nothing was resolved (no division by zero).
    """

    period: Period
    resolved: int
    at_l1: int
    share: float | None


@frozen
class ShiftLeft:
    """The shift-left figure for some categories: L1's share before and after.

    `change` is the difference of the shares (after − before), None when
    either share is None; positive means more tickets now end at L1.
    """

    categories: tuple[str, ...]
    before: L1Share
    after: L1Share
    change: float | None


def periods_around(session: TrainingSession, window: timedelta) -> tuple[Period, Period]:
    """The `window` before the session started and the `window` after it ended."""
    _checks.check_instance(session, TrainingSession, "session")
    _positive(None, attrs.fields(TrainingSession).duration, window)
    return Period(session.start - window, session.start), Period(session.end, session.end + window)


def _share(tickets: list[Ticket], categories: frozenset[str], period: Period) -> L1Share:
    resolved = at_l1 = 0
    for ticket in tickets:
        if ticket.category not in categories:
            continue
        final = final_resolution(ticket)
        if final is None or final.at not in period:
            continue
        resolved += 1
        at_l1 += final.tier is Tier.L1
    return L1Share(period, resolved, at_l1, at_l1 / resolved if resolved else None)


def shift_left(
    tickets: Iterable[Ticket],
    subject: TrainingSession | str,
    *,
    before: Period,
    after: Period,
) -> ShiftLeft:
    """L1's share of the resolved tickets of a category, before vs after a training.

    `subject` is a session (its categories, pooled) or one category. A
    ticket counts in the period in which its standing resolution happened
    (the last resolve no reopen undid), as resolved at L1 when its group
    was an L1 group at that moment; resolutions of any code count, since
    the question is who finished the ticket, not how. For one figure per
    category of a session, call it once per `session.categories` entry.
    `periods_around(session, window)` gives the usual pair of periods.
    """
    _checks.check_instance(before, Period, "before")
    _checks.check_instance(after, Period, "after")
    if before.end > after.start:
        raise ValidationError("the 'before' period must end before the 'after' period starts")
    if isinstance(subject, TrainingSession):
        categories = subject.categories
        if not categories:
            raise ValidationError(f"training session {subject.id} names no categories")
    else:
        categories = (_checks.check_text(subject, "category"),)
    pool = list(tickets)
    wanted = frozenset(categories)
    was, now = _share(pool, wanted, before), _share(pool, wanted, after)
    change = None if was.share is None or now.share is None else now.share - was.share
    return ShiftLeft(categories, was, now, change)
