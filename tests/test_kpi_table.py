"""kpi_table: grouping by period, group, tier, category, priority and CI."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from itil_l2 import ValidationError, kpi_table
from itil_l2.kpis import Metric, measure, standard_metrics
from test_kpi_helpers import Story
from test_kpi_rates import population, tickets


def _rows(by: list[str], metric: str = "resolution_rate") -> dict[tuple[str, ...], tuple]:  # type: ignore[type-arg]
    rows = kpi_table(tickets(), by=by, metrics=[metric])  # type: ignore[arg-type]
    return {
        tuple(r.key.values()): (r.results[metric].numerator, r.results[metric].sample_size)
        for r in rows
    }


def test_by_tier_groups_by_the_tier_that_ended_the_ticket() -> None:
    # ended at L1: R1 ok, R4 ok, R5 not solved, R6 cancelled, R8 ok, R9 ok -> 4 of 6
    # ended at L2: R2 ok (R7 is open there, excluded); at L3: R3 ok
    assert _rows(["tier"]) == {("L1",): (4, 6), ("L2",): (1, 1), ("L3",): (1, 1)}


def test_by_group() -> None:
    assert _rows(["group"]) == {
        ("database-l2",): (1, 1),  # R2 (R7 open)
        ("field-support",): (1, 1),  # R9
        ("service-desk",): (3, 5),  # R1 R4 R8 ok, R5 R6 not
        ("vendor-l3",): (1, 1),  # R3
    }


def test_by_month_puts_open_tickets_in_their_own_row() -> None:
    rows = kpi_table(tickets(), by=["month"], metrics=["resolution_rate", "resolution_time"])
    keys = [r.key["month"] for r in rows]
    assert keys == ["(open)", "2026-03-01"]
    assert rows[0].results["resolution_rate"].value is None
    assert rows[1].results["resolution_rate"].sample_size == 8


def test_by_day_in_a_time_zone() -> None:
    late = Story("Z", at=22).assign(22).start(22).resolve(23.5).t  # 23:30 UTC Monday
    utc = kpi_table([late], by=["day"], metrics=["resolution_rate"])
    tokyo = kpi_table([late], by=["day"], metrics=["resolution_rate"], tz=ZoneInfo("Asia/Tokyo"))
    assert (utc[0].key["day"], tokyo[0].key["day"]) == ("2026-03-02", "2026-03-03")


def test_by_ci_counts_a_ticket_under_each_of_its_cis() -> None:
    two = Story("C2", ci=("db-1", "db-2")).assign(1).start(1).resolve(2).t
    none = Story("C0", ci=()).assign(1).start(1).resolve(2).t
    rows = kpi_table([two, none], by=["ci"], metrics=["resolution_rate"])
    assert [(r.key["ci"], r.results["resolution_rate"].sample_size) for r in rows] == [
        ("(none)", 1),
        ("db-1", 1),
        ("db-2", 1),
    ]


def test_two_dimensions_and_flat_rows() -> None:
    rows = kpi_table(tickets(), by=["category", "priority"], metrics=["escalation_rate_l2_l3"])
    assert len(rows) == 1
    assert rows[0].flat() == {
        "category": "database",
        "priority": "P3",
        "escalation_rate_l2_l3": pytest.approx(1 / 3),  # R3 of R2 R3 R4
        "escalation_rate_l2_l3_n": 3,
    }


def test_grouped_counts_add_up_to_the_total() -> None:
    metrics = list(standard_metrics().values())
    total = measure(tickets(), metrics)
    for by in (["tier"], ["group"], ["month"], ["priority", "category"]):
        rows = kpi_table(tickets(), by=by, metrics=metrics)  # type: ignore[arg-type]
        for name, result in total.items():
            assert sum(r.results[name].sample_size for r in rows) == result.sample_size
            assert sum(len(r.results[name].excluded) for r in rows) == len(result.excluded)


def test_custom_metric_objects_and_unknown_names() -> None:
    reopened = Metric("reopened", "rate", lambda f: f.reopens > 0)
    rows = kpi_table(population().values(), by=["tier"], metrics=[reopened])
    assert sum(r.results["reopened"].numerator or 0 for r in rows) == 1  # R8
    with pytest.raises(ValidationError):
        kpi_table(tickets(), by=["tier"], metrics=["mttr"])
    with pytest.raises(ValidationError):
        kpi_table(tickets(), by=["colour"], metrics=["resolution_rate"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        kpi_table(tickets(), by=["tier", "tier"], metrics=["resolution_rate"])
