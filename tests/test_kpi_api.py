"""The KPI API is consistent: `kpi_table` has a default metric set, `sla_compliance` a `KpiResult`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itil_l2 import Priority, SlaTarget, kpi_table
from itil_l2.kpis import (
    KpiResult,
    measure,
    sla_compliance,
    sla_compliance_metric,
    standard_metrics,
)
from itil_l2.sla import SlaMetric
from test_kpi_helpers import h
from test_kpi_rates import population, tickets
from test_kpi_sla import _tickets as sla_tickets

RESOLVE = SlaTarget("resolve", SlaMetric.RESOLUTION, {Priority.P3: timedelta(hours=8)})


def test_kpi_table_without_metrics_measures_the_standard_set() -> None:
    names = sorted(standard_metrics())
    assert kpi_table(tickets()) == kpi_table(tickets(), by=[], metrics=names)
    (row,) = kpi_table(tickets())  # no `by`: one row for everything
    assert row.key == {}
    assert set(row.results) == set(names)
    assert not any(n.startswith("sla_compliance") for n in row.results)  # needs a target


@pytest.mark.parametrize("by", [["tier"], ["month", "category"], ["group", "priority"]])
def test_kpi_table_default_equals_the_explicit_call_for_any_grouping(by: list[str]) -> None:
    ts = list(population().values())
    explicit = kpi_table(ts, by=by, metrics=list(standard_metrics().values()))  # type: ignore[arg-type]
    assert kpi_table(ts, by=by) == explicit  # type: ignore[arg-type]


def test_the_default_table_agrees_with_measure() -> None:
    ts = list(population().values())
    (row,) = kpi_table(ts)
    direct = measure(ts, list(standard_metrics().values()))
    for name, result in direct.items():
        got = row.results[name]
        assert (got.value, got.sample_size, got.numerator) == (
            result.value,
            result.sample_size,
            result.numerator,
        )


@given(at=st.floats(min_value=0, max_value=40), running=st.booleans())
def test_sla_compliance_is_one_kpi_result_equal_to_its_table_column(
    at: float, running: bool
) -> None:
    result = sla_compliance(sla_tickets(), RESOLVE, at=h(at), running_breaches=running)
    assert isinstance(result, KpiResult)
    assert result.definition == "sla_compliance:resolve"
    column = sla_compliance_metric(RESOLVE, at=h(at), running_breaches=running)
    (row,) = kpi_table(sla_tickets(), metrics=[column])
    table = row.results[column.name]
    assert (result.value, result.sample_size, result.numerator) == (
        table.value,
        table.sample_size,
        table.numerator,
    )
