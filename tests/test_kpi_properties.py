"""Properties of every KPI over random tickets driven through the real workflow.

The oracle reads the tickets' own fields (phase, resolution, resolved_at,
counters), which the appliers maintain, not the history walk the KPIs use.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import Phase, Ticket, kpi_table
from itil_l2.kpis import (
    measure,
    reassignment_count,
    resolution_rate,
    resolution_time,
    standard_metrics,
)
from itil_l2.testing import tickets
from itil_l2.tickets import events as ev

SOME_TICKETS = st.lists(tickets(max_steps=10), max_size=8)
_SETTINGS = settings(max_examples=40, deadline=None)
ENDED = (Phase.RESOLVED, Phase.CLOSED, Phase.CANCELLED)


@_SETTINGS
@given(SOME_TICKETS)
def test_every_metric_accounts_for_every_ticket_and_rates_are_ratios(ts: list[Ticket]) -> None:
    for name, result in measure(ts, list(standard_metrics().values())).items():
        assert result.sample_size + len(result.excluded) == len(ts), name
        if result.value is not None and result.unit == "ratio":
            assert 0.0 <= result.value <= 1.0, name
            assert result.numerator is not None and result.numerator <= result.sample_size


@_SETTINGS
@given(SOME_TICKETS)
def test_resolution_rate_matches_the_ticket_fields(ts: list[Ticket]) -> None:
    ended = [t for t in ts if t.phase in ENDED]
    solved = [t for t in ended if t.resolution is not None and t.resolution.code.successful]
    r = resolution_rate(ts)
    assert (r.numerator, r.sample_size) == (len(solved), len(ended))


@_SETTINGS
@given(SOME_TICKETS)
def test_resolution_time_matches_resolved_at(ts: list[Ticket]) -> None:
    expected = sorted(
        (t.resolved_at - t.opened_at).total_seconds() / 3600
        for t in ts
        if t.phase in (Phase.RESOLVED, Phase.CLOSED) and t.resolved_at is not None
    )
    r = resolution_time(ts)
    assert r.distribution is not None
    assert list(r.distribution.values) == expected


@_SETTINGS
@given(SOME_TICKETS)
def test_reassignments_match_the_ticket_counters(ts: list[Ticket]) -> None:
    def moves(t: Ticket) -> float:
        backs = sum(isinstance(e.payload, ev.HandedBack) for e in t.history)
        return float(t.reassignment_count + t.escalation_count + backs)

    r = reassignment_count(ts)
    assert r.distribution is not None
    assert list(r.distribution.values) == sorted(moves(t) for t in ts if t.phase in ENDED)


@_SETTINGS
@given(SOME_TICKETS, st.sampled_from(["tier", "group", "priority", "week", "category"]))
def test_grouping_sums_equal_the_total(ts: list[Ticket], by: str) -> None:
    metrics = list(standard_metrics().values())
    total = measure(ts, metrics)
    rows = kpi_table(ts, by=[by], metrics=metrics)  # type: ignore[list-item]
    for name, result in total.items():
        assert sum(r.results[name].sample_size for r in rows) == result.sample_size
        assert sum(r.results[name].numerator or 0 for r in rows) == (result.numerator or 0)
