"""`measure_facts` measures tickets in chunks; each figure must equal a ticket-by-ticket pass.

The reference is `_feed` (the per-ticket engine `kpi_table` uses), run over
the same facts. Chunks are made tiny so every boundary case (a chunk that
ends mid-period, a chunk with no exclusion, an empty last chunk) occurs.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Impact,
    Resolution,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.knowledge import Period
from itil_l2.kpis import (
    Metric,
    _engine,
    _table,
    kpi_facts,
    kpi_table,
    measure_facts,
    standard_metrics,
)
from itil_l2.tickets import NOT_SOLVED

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
DESK = SupportGroup("service-desk", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2)
HOUR = timedelta(hours=1)


def _ticket(i: int, shape: int, gap: int) -> Ticket:
    at = T0 + HOUR * gap
    t = Ticket.open(id=f"INC-{i}", title="slow", impact=Impact.LOW, urgency=Urgency.LOW,
                    owner_group=DESK, at=at, actor=SYSTEM)  # fmt: skip
    if shape == 0:
        return t  # still open
    t.assign(DESK, at=at + HOUR, actor=SYSTEM)
    if shape == 1:
        t.cancel("duplicate", at=at + 2 * HOUR, actor=SYSTEM)
        return t
    t.start(at=at + 2 * HOUR, actor=SYSTEM)
    fix = Resolution(SOLVED_PERMANENTLY if shape != 3 else NOT_SOLVED, "done")
    t.resolve(fix, at=at + 3 * HOUR, actor=SYSTEM)
    if shape == 4:
        t.reopen("again", at=at + 4 * HOUR, actor=SYSTEM)
    return t


# Custom rules with odd outcomes: 1 and 1.0 are not True; a str subclass is a value.
class _Label(str):
    pass


_ODD = [
    Metric("ones", "rate", lambda f: 1 if f.end_kind else "open"),
    Metric("half", "rate", lambda f: f.id.endswith("1") or (f.end_kind is None and "x")),
    Metric("labels", "rate", lambda f: _Label("v") if f.reopens else f.end_kind is not None),
]


def _reference(facts: list[Any], metrics: list[Metric], period: Period | None) -> dict[str, Any]:
    tallies = [_engine._Tally(m) for m in metrics]
    for f in facts:
        _engine._feed(f, tallies, period)
    return {t.metric.name: t.result() for t in tallies}


@settings(max_examples=40, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 72)), max_size=30),
    chunk=st.integers(1, 7),
    window=st.none() | st.tuples(st.integers(0, 80), st.integers(1, 80)),
)
def test_chunked_measure_equals_ticket_by_ticket(
    shapes: list[tuple[int, int]], chunk: int, window: tuple[int, int] | None
) -> None:
    facts = [kpi_facts(_ticket(i, s, g)) for i, (s, g) in enumerate(shapes)]
    metrics = [*standard_metrics().values(), *_ODD]
    period = None if window is None else Period(T0 + HOUR * window[0], T0 + HOUR * sum(window))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_engine, "_CHUNK", chunk)
        got = measure_facts(iter(facts), metrics, period=period)
    assert got == _reference(facts, metrics, period)


@settings(max_examples=40, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 72)), max_size=30),
    chunk=st.integers(1, 7),
    by=st.sampled_from([(), ("day",), ("week", "tier"), ("group",), ("category", "priority")]),
)
def test_a_kpi_table_grouped_in_chunks_equals_each_group_ticket_by_ticket(
    shapes: list[tuple[int, int]], chunk: int, by: tuple[Any, ...]
) -> None:
    """kpi_table holds at most a chunk of facts across its groups, and loses no figure."""
    facts = [kpi_facts(_ticket(i, s, g)) for i, (s, g) in enumerate(shapes)]
    metrics = [*standard_metrics().values(), *_ODD]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_table, "_CHUNK", chunk)
        rows = kpi_table(iter(facts), by=list(by), metrics=metrics)
    members: dict[tuple[str, ...], list[Any]] = {}
    keyers = _table._keyers(list(by), UTC)
    for f in facts:
        for key in itertools.product(*(k(f) for k in keyers)):
            members.setdefault(key, []).append(f)
    assert [tuple(r.key.values()) for r in rows] == sorted(members)
    for row in rows:
        assert row.results == _reference(members[tuple(row.key.values())], metrics, None)
