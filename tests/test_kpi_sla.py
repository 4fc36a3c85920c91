"""SLA compliance per target, on clocks computed by the SLA module."""

from __future__ import annotations

from datetime import timedelta

import pytest

from itil_l2 import Impact, Priority, SlaTarget, Urgency, ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis import sla_compliance
from itil_l2.sla import SlaMetric
from test_kpi_helpers import Story, at_l2_story, h

RESOLVE = SlaTarget("resolve", SlaMetric.RESOLUTION, {Priority.P3: timedelta(hours=8)})
OLA_L2 = SlaTarget("ola-l2", SlaMetric.OLA_L2, {Priority.P3: timedelta(hours=2)})


def _tickets() -> list:  # type: ignore[type-arg]
    return [
        Story("S1").assign(1).start(1).resolve(5).t,  # 5 h: met
        Story("S2").assign(1).start(1).resolve(10).t,  # 10 h: breached
        Story("S3").assign(1).t,  # open; 20 h at 20 h: breached while running
        Story("S4", at=15).assign(16).t,  # open; 5 h at 20 h: in progress
        Story("S5").assign(1).start(1).hold(2).resume(7).resolve(10).t,  # 10 - 5 paused: met
        Story("S6").assign(1).cancel(3).t,  # cancelled
        at_l2_story("S7").resolve(3.5).t,  # at L2 from 2 h to 3.5 h
        at_l2_story("S8").resolve(6).t,  # at L2 from 2 h to 6 h
        Story("S9", impact=Impact.HIGH, urgency=Urgency.HIGH).t,  # P1: no target
    ]


def test_compliance_per_target() -> None:
    resolve = sla_compliance(_tickets(), RESOLVE, at=h(20))
    # met: S1 S5 S7 S8; breached: S2 and S3 (running past 8 h) -> 4 / 6
    assert (resolve.numerator, resolve.sample_size) == (4, 6)
    assert resolve.definition == "sla_compliance:resolve"
    assert resolve.reasons() == {"in_progress": 1, "cancelled": 1, "no target for priority": 1}
    ola = sla_compliance(_tickets(), OLA_L2, at=h(20))
    # only S7 (1.5 h, met) and S8 (4 h, breached) were at L2
    assert (ola.numerator, ola.sample_size, ola.value) == (1, 2, 0.5)
    assert ola.reasons()["not_started"] == 6


def test_completed_clocks_only() -> None:
    r = sla_compliance(_tickets(), RESOLVE, at=h(20), running_breaches=False)
    assert (r.numerator, r.sample_size) == (4, 5)  # S3 is now "in_progress"
    assert r.reasons()["in_progress"] == 2


def test_compliance_in_a_period_counts_where_the_clock_was_decided() -> None:
    r = sla_compliance(_tickets(), RESOLVE, at=h(20), period=Period(h(0), h(9)))
    # decided before 9 h: S1 (5 h), S7 (3.5 h), S8 (6 h) met; S3 breached at 8 h.
    # S2 and S5 stopped at 10 h.
    assert (r.numerator, r.sample_size) == (3, 4)
    assert r.reasons()["decided outside the period"] == 2


def test_tickets_opened_later_and_a_list_of_targets() -> None:
    r = sla_compliance([Story("L", at=30).t], RESOLVE, at=h(20))
    assert (r.value, r.reasons()) == (None, {"not yet opened": 1})
    with pytest.raises(ValidationError, match="one SlaTarget"):  # the pre-0.3 call, refused
        sla_compliance([], [RESOLVE, OLA_L2], at=h(1))  # type: ignore[arg-type]


def test_compliance_as_a_table_column() -> None:
    from itil_l2 import kpi_table
    from itil_l2.kpis import sla_compliance_metric

    column = sla_compliance_metric(RESOLVE, at=h(20))
    rows = kpi_table(_tickets(), by=["tier"], metrics=[column, "resolution_rate"])
    by_tier = {r.key["tier"]: r.results[column.name] for r in rows}
    # ended at L2: S7, S8 (both met); at L1: S1 S5 met, S2 S3 breached
    assert (by_tier["L2"].numerator, by_tier["L2"].sample_size) == (2, 2)
    assert (by_tier["L1"].numerator, by_tier["L1"].sample_size) == (2, 4)
