"""Training records, training hours per period / trainer / attendee, and shift-left."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import SOLVED_PERMANENTLY, Actor, Resolution, Ticket, ValidationError
from itil_l2.errors import NaiveDatetime
from itil_l2.knowledge import (
    Period,
    TrainingSession,
    attendee_hours,
    hours_by_attendee,
    hours_by_period,
    hours_by_trainer,
    periods_around,
    session_hours,
    shift_left,
)
from itil_l2.storage import converter
from itil_l2.testing import training_sessions
from itil_l2.tickets import NOT_SOLVED
from support import ANN, BOB, DBA, DESK, GOOD_HANDOVER, Clock, open_ticket

D = datetime(2026, 3, 1, tzinfo=UTC)
MARCH = Period(D, datetime(2026, 4, 1, tzinfo=UTC))
APRIL = Period(MARCH.end, datetime(2026, 5, 1, tzinfo=UTC))


def session(
    id: str, start: datetime, minutes: int, trainer: str, *attendees: str
) -> TrainingSession:
    return TrainingSession(
        id=id,
        topic="Listener errors",
        trainer=trainer,
        attendees=attendees,
        start=start,
        duration=timedelta(minutes=minutes),
        categories=["database"],
    )


SESSIONS = [
    session("T1", D + timedelta(days=2), 90, "bob", "ann", "al"),
    session("T2", D + timedelta(days=9), 60, "nina", "ann"),
    session("T3", datetime(2026, 3, 31, 23, tzinfo=UTC), 120, "bob", "al", "eve", "joe"),
    session("T4", MARCH.end, 30, "bob", "ann"),  # starts on April 1st 00:00
]


# -- records ---------------------------------------------------------------------------------


def test_a_session_records_who_when_how_long_and_what() -> None:
    s = TrainingSession(
        id="TRN-1",
        topic="ORA-12541 for L1",
        trainer=Actor("bob", groups={"database-l2"}),
        attendees=[Actor("ann"), "al"],
        start=D,
        duration=timedelta(minutes=45),
        article_refs=["KB-1"],
        categories=["database"],
    )
    assert (s.trainer, s.attendees, s.article_refs, s.categories) == (
        "bob",
        ("ann", "al"),
        ("KB-1",),
        ("database",),
    )
    assert (s.end, s.hours, s.attendee_hours) == (D + timedelta(minutes=45), 0.75, 1.5)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"attendees": []}, ValidationError),
        ({"attendees": ["ann", "ann"]}, ValidationError),
        ({"attendees": ["bob", "ann"]}, ValidationError),  # the trainer does not attend
        ({"attendees": "ann"}, ValidationError),
        ({"attendees": ["ann", ""]}, ValidationError),
        ({"trainer": " "}, ValidationError),
        ({"topic": ""}, ValidationError),
        ({"duration": timedelta(0)}, ValidationError),
        ({"duration": 60}, ValidationError),
        ({"start": datetime(2026, 3, 1)}, NaiveDatetime),
        ({"categories": "database"}, ValidationError),
    ],
)
def test_bad_sessions_are_refused(change: dict[str, object], error: type) -> None:
    values: dict[str, object] = {
        "id": "T",
        "topic": "t",
        "trainer": "bob",
        "attendees": ["ann"],
        "start": D,
        "duration": timedelta(hours=1),
        **change,
    }
    with pytest.raises(error):
        TrainingSession(**values)  # type: ignore[arg-type]


def test_sessions_round_trip_through_json() -> None:
    for s in SESSIONS:
        text = json.dumps(converter.unstructure(s))
        assert json.loads(text)["duration"] == s.duration.total_seconds()
        assert converter.structure(json.loads(text), TrainingSession) == s


def test_periods_are_half_open_and_aware() -> None:
    assert D in MARCH and MARCH.end not in MARCH and MARCH.end in APRIL
    assert "2026-03-02" not in MARCH
    with pytest.raises(NaiveDatetime):
        _ = datetime(2026, 3, 2) in MARCH
    with pytest.raises(ValidationError):
        Period(D, D)
    with pytest.raises(NaiveDatetime):
        Period(datetime(2026, 3, 1), D)


# -- hours -------------------------------------------------------------------------------------


def test_hours_per_period_trainer_and_attendee() -> None:
    # March: T1 1.5 h (2 attendees), T2 1 h (1), T3 2 h (3; starts in March, ends in April).
    assert session_hours(SESSIONS, MARCH) == 4.5
    assert attendee_hours(SESSIONS, MARCH) == 3 + 1 + 6
    assert hours_by_trainer(SESSIONS, MARCH) == {"bob": 3.5, "nina": 1.0}
    assert hours_by_attendee(SESSIONS, MARCH) == {"ann": 2.5, "al": 3.5, "eve": 2.0, "joe": 2.0}
    assert hours_by_trainer(SESSIONS, APRIL) == {"bob": 0.5}
    assert hours_by_period(SESSIONS, [MARCH, APRIL]) == {MARCH: 4.5, APRIL: 0.5}
    assert hours_by_period(iter(SESSIONS), [MARCH, APRIL], per_attendee=True) == {
        MARCH: 10.0,
        APRIL: 0.5,
    }
    assert session_hours([], MARCH) == 0 and hours_by_attendee([], MARCH) == {}
    with pytest.raises(ValidationError):
        session_hours(SESSIONS, (D, D))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        session_hours(["T1"], MARCH)  # type: ignore[list-item]


@settings(max_examples=100, deadline=None)
@given(st.lists(training_sessions(start=D), max_size=12), st.integers(1, 80))
def test_hours_add_up(sessions: list[TrainingSession], split_day: int) -> None:
    whole = Period(D, D + timedelta(days=91))
    cut = D + timedelta(days=split_day)
    halves = [Period(whole.start, cut), Period(cut, whole.end)]
    total = session_hours(sessions, whole)
    assert total == pytest.approx(sum(s.duration.total_seconds() for s in sessions) / 3600)
    assert sum(hours_by_period(sessions, halves).values()) == pytest.approx(total)
    assert sum(hours_by_trainer(sessions, whole).values()) == pytest.approx(total)
    assert sum(hours_by_attendee(sessions, whole).values()) == pytest.approx(
        attendee_hours(sessions, whole)
    )


# -- shift left ----------------------------------------------------------------------------------


def _resolved(
    clock: Clock, id: str, at: datetime, *, l2: bool, category: str = "database"
) -> Ticket:
    """A ticket resolved at `at`, at L1 or (escalated first) at L2."""
    clock.now = at - timedelta(minutes=10)
    t = open_ticket(clock, id=id, category=category)
    t.assign(DESK, at=clock(), actor=ANN)
    t.start(at=clock(), actor=ANN)
    if l2:
        t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.resolve(Resolution(SOLVED_PERMANENTLY, "fixed"), at=at, actor=BOB if l2 else ANN)
    return t


def test_shift_left_compares_l1_shares_before_and_after(clock: Clock) -> None:
    training = session("T9", D + timedelta(days=14), 60, "bob", "ann")
    before, after = periods_around(training, timedelta(days=14))
    assert (before.start, before.end) == (D, training.start)
    assert (after.start, after.end) == (training.end, training.end + timedelta(days=14))
    day = timedelta(days=1)
    tickets = [
        _resolved(clock, "B1", D + 1 * day, l2=False),
        _resolved(clock, "B2", D + 2 * day, l2=True),
        _resolved(clock, "B3", D + 3 * day, l2=True),
        _resolved(clock, "B4", D + 4 * day, l2=True),
        _resolved(clock, "X1", D + 5 * day, l2=True, category="network"),  # other category
        _resolved(clock, "A1", training.end + 1 * day, l2=False),
        _resolved(clock, "A2", training.end + 2 * day, l2=False),
        _resolved(clock, "A3", training.end + 3 * day, l2=True),
        _resolved(clock, "L1", training.end + 30 * day, l2=False),  # after the window
    ]
    result = shift_left(tickets, training, before=before, after=after)
    assert result.categories == ("database",)
    assert (result.before.resolved, result.before.at_l1, result.before.share) == (4, 1, 0.25)
    assert (result.after.resolved, result.after.at_l1) == (3, 2)
    assert result.after.share == pytest.approx(2 / 3)
    assert result.change == pytest.approx(2 / 3 - 0.25)
    network = shift_left(tickets, "network", before=before, after=after)
    assert (network.before.resolved, network.before.share, network.after.share) == (1, 0.0, None)
    assert network.change is None


def test_a_reopened_ticket_counts_where_it_was_finally_resolved(clock: Clock) -> None:
    t = _resolved(clock, "R1", D + timedelta(days=1), l2=False)
    t.reopen("still broken", at=D + timedelta(days=2), actor=ANN)
    clock.now = D + timedelta(days=20)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.resolve(Resolution(NOT_SOLVED, "vendor bug"), at=clock(), actor=BOB)
    early, late = Period(D, D + timedelta(days=10)), Period(D + timedelta(days=10), APRIL.end)
    result = shift_left([t], "database", before=early, after=late)
    assert (result.before.resolved, result.after.resolved, result.after.at_l1) == (0, 1, 0)


def test_shift_left_refuses_unclear_questions() -> None:
    no_topic = TrainingSession(
        id="T", topic="t", trainer="bob", attendees=["ann"], start=D, duration=timedelta(hours=1)
    )
    with pytest.raises(ValidationError):
        shift_left([], no_topic, before=MARCH, after=APRIL)
    with pytest.raises(ValidationError):
        shift_left([], "database", before=APRIL, after=MARCH)
    with pytest.raises(ValidationError):
        shift_left([], "", before=MARCH, after=APRIL)
    with pytest.raises(ValidationError):
        periods_around(no_topic, timedelta(0))
