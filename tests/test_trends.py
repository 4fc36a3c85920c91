"""Recurrence and spike detection, and opening a problem from a candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import SYSTEM, Impact, Ticket, Urgency, ValidationError
from itil_l2.analytics import baseline_threshold, open_problem, problem_kwargs, recurrences, spikes
from test_kpi_helpers import DBA, Story

DAY = 24.0


def _on(ci: str, days: list[float], *, category: str = "database") -> list[Ticket]:
    return [
        Story(f"{ci}-{i}", at=d * DAY, ci=(ci,), category=category).t for i, d in enumerate(days)
    ]


def test_four_in_seven_days_is_a_recurrence_and_three_is_not() -> None:
    found = recurrences(_on("db-1", [0, 1, 3, 6.9]) + _on("db-2", [0, 2, 4]))
    assert [(c.rule, c.key_kind, c.key, c.ticket_ids) for c in found] == [
        ("recurrence", "ci", "db-1", ("db-1-0", "db-1-1", "db-1-2", "db-1-3")),
    ]
    assert found[0].first_at < found[0].last_at


def test_the_window_is_half_open() -> None:
    # 0, 1, 3, 7: day 0 and day 7 are exactly 7 days apart, not within one window
    assert recurrences(_on("db-1", [0, 1, 3, 7])) == []
    assert len(recurrences(_on("db-1", [0, 1, 3, 7]), window=timedelta(days=7, seconds=1))) == 1


def test_overlapping_windows_merge_and_separate_bursts_stay_apart() -> None:
    # burst A: days 0..5 (6 tickets, many qualifying windows) ; burst B: days 30..32 (4)
    found = recurrences(_on("db-1", [0, 1, 2, 3, 4, 5, 30, 31, 31.5, 32]))
    assert [len(c.ticket_ids) for c in found] == [6, 4]


def test_recurrence_by_category_and_symptom_and_custom_threshold() -> None:
    ts = _on("a", [0], category="network") + _on("b", [1], category="network")
    assert recurrences(ts, key="category", threshold=2)[0].ticket_ids == ("a-0", "b-0")
    sym = [Story(f"S{i}", at=i, symptom="ORA-12541").t for i in range(4)]
    assert recurrences(sym, key="symptom")[0].key == "ORA-12541"
    with pytest.raises(ValidationError):
        recurrences(ts, threshold=1)
    with pytest.raises(ValidationError):
        recurrences(ts, key="colour")  # type: ignore[arg-type]


def test_baseline_threshold_by_hand() -> None:
    # median of [1, 2, 2, 3, 10] is 2; |x - 2| = [1, 0, 0, 1, 8], MAD = 1
    # limit = 2 + 3 * max(1.4826 * 1, 1) = 6.4478
    assert baseline_threshold([1, 2, 2, 3, 10], 3.0) == pytest.approx(2 + 3 * 1.4826)
    assert baseline_threshold([0, 0, 0], 2.0) == 2.0  # MAD 0 -> floor 1


def _daily(counts: list[int], ci: str = "db-1") -> list[Ticket]:
    out = []
    for day, n in enumerate(counts):
        out += [Story(f"{ci}-{day}-{i}", at=day * DAY + i, ci=(ci,)).t for i in range(n)]
    return out


def test_a_spike_above_median_plus_k_mad() -> None:
    counts = [2, 3, 2, 1, 2, 3, 2, 9, 2]
    found = spikes(_daily(counts), key="ci")
    # day 7: previous 7 days [2, 3, 2, 1, 2, 3, 2]: median 2, MAD 0 -> limit 2 + 3 * 1 = 5 < 9
    # day 8: previous [2, 3, 2, 1, 2, 3, 2, 9]: median 2, MAD 0.5 (scaled 0.74 < 1) -> 5 > 2
    assert [(c.rule, c.key, len(c.ticket_ids)) for c in found] == [("spike", "db-1", 9)]
    assert found[0].ticket_ids[0] == "db-1-7-0"


def test_no_spike_without_enough_history_and_empty_days_count_zero() -> None:
    assert spikes(_daily([1, 1, 9])) == []  # fewer than 7 earlier days
    # days 0..6 with one ticket every other day (0, 1, 0, ...), then 4 on day 7
    # history [1, 0, 1, 0, 1, 0, 1]: median 1, |x - 1| -> [0, 1, 0, 1, 0, 1, 0], MAD 0 -> limit 4
    assert spikes(_daily([1, 0, 1, 0, 1, 0, 1, 4])) == []  # 4 is not above 4
    assert len(spikes(_daily([1, 0, 1, 0, 1, 0, 1, 5]))) == 1
    with pytest.raises(ValidationError):
        spikes([], min_history=0)


def test_problem_from_a_candidate() -> None:
    ts = _on("db-1", [0, 1, 2, 3])
    candidate = recurrences(ts)[0]
    kwargs = problem_kwargs(candidate)
    assert kwargs["ci_refs"] == ("db-1",)
    assert all(t.id in kwargs["description"] for t in ts)
    problem = open_problem(
        candidate,
        id="PRB-1",
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        at=ts[-1].opened_at + timedelta(hours=1),
        actor=SYSTEM,
        group=DBA,
    )
    assert (problem.id, problem.ci_refs, problem.version) == ("PRB-1", ("db-1",), 1)
    for t in ts:
        problem.link_incident(t, at=ts[-1].opened_at + timedelta(hours=2), actor=SYSTEM)
    assert set(problem.incident_ids) == {t.id for t in ts}
    by_category = recurrences(ts, key="category")[0]
    assert problem_kwargs(by_category)["category"] == "database"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 30 * 24), min_size=0, max_size=14),
    st.integers(2, 5),
    st.integers(1, 10),
)
def test_recurrence_flags_exactly_the_tickets_of_some_full_window(
    hours: list[int], threshold: int, window_days: int
) -> None:
    """Oracle: brute force over every window that starts at a ticket."""
    tickets = [Story(f"T{i:02}", at=x).t for i, x in enumerate(sorted(hours))]
    window = timedelta(days=window_days)
    expected: set[str] = set()
    for first in tickets:
        inside = [t for t in tickets if first.opened_at <= t.opened_at < first.opened_at + window]
        if len(inside) >= threshold:
            expected |= {t.id for t in inside}
    found = recurrences(tickets, threshold=threshold, window=window)
    flagged = [i for c in found for i in c.ticket_ids]
    assert sorted(flagged) == sorted(expected)  # each ticket in at most one candidate
    assert all(len(c.ticket_ids) >= threshold for c in found)
