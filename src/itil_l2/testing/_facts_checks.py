"""Contract checks for stored KPI facts: what the store keeps is what replay computes.

`FactsChecks` demands of an adapter that keeps KPI facts (the library's all
do): after any number of units of work that add tickets and save further
events, the facts `stored_facts` reads equal the facts of the tickets `get`
replays, row for row (`facts_row`); a `kpi_table` over the stored facts
equals the table over the replayed tickets, for the standard metrics and
their clocked and coded variants; a `Query` keeps the tickets `find` keeps;
a rolled-back or stale save leaves the stored facts as they were; facts of
another `FACTS_VERSION` are never read (`OutdatedFacts`) until
`store.rebuild_facts()` recomputes them; a metric that needs the ticket
itself refuses facts without one (`FactsWithoutTicket`).

Subclass it with a `store` fixture, as `StoreContract`.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Priority
from itil_l2._core.tier import Tier
from itil_l2.errors import ConcurrencyError, ItilL2Error
from itil_l2.kpis import (
    FACTS_VERSION,
    FactsWithoutTicket,
    KpiFacts,
    Metric,
    OutdatedFacts,
    facts_row,
    kpi_facts,
    kpi_table,
    sla_compliance_metric,
    standard_metrics,
)
from itil_l2.sla import SlaMetric, SlaTarget
from itil_l2.storage import Query, Store, stored_facts
from itil_l2.testing._ticket_moves import draw_move
from itil_l2.testing._tickets import DEFAULT_GROUPS, fresh_ticket, tickets
from itil_l2.tickets import HoldReason, Ticket

__all__ = ["FactsChecks"]

_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)
_TENANTS = itertools.count()


class _TwoThirds:
    """A business clock that counts two thirds of wall-clock time (any clock will do)."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        return (b - a) * 2 / 3


def _clocked_work(tier: Tier) -> Metric:
    """Business hours worked at `tier` from the facts' intervals (as `tier_time` with a clock)."""
    clock, hour = _TwoThirds(), timedelta(hours=1)

    def rule(f: KpiFacts) -> float | str:
        if f.end_kind is None:
            return "still open"
        spans = [(a, b) for t, part, a, b in f.intervals if t is tier and part == "work"]
        return sum(clock.between(a, b) / hour for a, b in spans) if spans else "never"

    return Metric(f"business_{tier.value}_work", "distribution", rule)


def _first_workaround(f: KpiFacts) -> float | str:
    """Hours to the first workaround (as `time_to_restore` with `codes`)."""
    for at, code in f.resolves:
        if code == "solved_workaround":
            return (at - f.opened_at) / timedelta(hours=1)
    return "never"


def _metrics() -> list[Metric]:
    return [
        *standard_metrics().values(),
        *(_clocked_work(t) for t in Tier),
        Metric("workaround_restore", "distribution", _first_workaround, "p90"),
        Metric("owner_l1", "rate", lambda f: f.owner_tier is Tier.L1),
        Metric("responded", "rate", lambda f: f.responded_at is not None),
    ]


def _flat(rows: list[Any]) -> list[dict[str, object]]:
    return [row.flat() for row in rows]


def _more(draw: Any, ticket: Ticket, steps: int) -> None:
    """Up to `steps` further legal moves, each at or after the ticket's last event."""
    for _ in range(steps):
        trigger = draw(st.sampled_from(ticket.allowed_triggers()))
        move = draw_move(draw, ticket, trigger, DEFAULT_GROUPS, valid=True)
        at = ticket.updated_at + timedelta(minutes=draw(st.integers(0, 900)))
        try:
            move.fire(ticket, at, SYSTEM)
        except ItilL2Error:
            continue


class FactsChecks:
    """Contract tests: stored KPI facts equal the replayed tickets' facts (fixture `store`)."""

    def _tenant(self) -> str:
        return f"facts-{next(_TENANTS)}"

    def _check(self, store: Store, tenant: str) -> list[Ticket]:
        """Stored facts == replayed facts, row for row, and the KPI tables agree."""
        with store.unit_of_work(tenant) as uow:
            replayed = list(uow.tickets.find())
            stored = list(stored_facts(uow, batch_size=3))
        assert [f.id for f in stored] == [t.id for t in replayed]
        assert [facts_row(f) for f in stored] == [facts_row(kpi_facts(t)) for t in replayed]
        for by in ([], ["tier", "month"], ["group", "day"], ["ci", "priority", "category"]):
            want = kpi_table(replayed, by=by, metrics=_metrics())  # type: ignore[arg-type]
            assert _flat(kpi_table(stored, by=by, metrics=_metrics())) == _flat(want), by  # type: ignore[arg-type]
            for metrics in (_metrics(), None):  # read as stored: measured column by column
                whole = kpi_table(replayed, by=by, metrics=metrics)  # type: ignore[arg-type]
                with store.unit_of_work(tenant) as uow:
                    rows = stored_facts(uow, batch_size=3)
                    assert kpi_table(rows, by=by, metrics=metrics) == whole, by  # type: ignore[arg-type]
        return replayed

    @_SETTINGS
    @given(data=st.data())
    def test_stored_facts_are_the_replayed_facts_after_several_units_of_work(
        self, store: Store, data: st.DataObject
    ) -> None:
        tenant = self._tenant()
        made = data.draw(
            st.lists(tickets(max_steps=6), min_size=1, max_size=4, unique_by=lambda t: t.id)
        )
        with store.unit_of_work(tenant) as uow:
            for ticket in made:
                uow.tickets.add(ticket)
            uow.commit()
        self._check(store, tenant)
        for _round in range(data.draw(st.integers(1, 3))):
            with store.unit_of_work(tenant) as uow:
                for ticket in uow.tickets.find():
                    _more(data.draw, ticket, data.draw(st.integers(0, 3)))
                    uow.tickets.save(ticket)
                uow.commit()
            self._check(store, tenant)

    def test_a_query_reads_the_facts_of_the_tickets_find_returns(self, store: Store) -> None:
        tenant = self._tenant()
        with store.unit_of_work(tenant) as uow:
            for n in range(6):
                ticket = fresh_ticket(f"INC-Q{n}", category="net" if n % 2 else "print")
                if n % 3 == 0:
                    ticket.hold(HoldReason.AWAITING_CALLER, at=ticket.updated_at, actor=SYSTEM)
                uow.tickets.add(ticket)
            uow.commit()
        queries = (Query(), Query(category="net"), Query(state="on_hold"), Query(state="closed"))
        for query in queries:
            with store.unit_of_work(tenant) as uow:
                want = [t.id for t in uow.tickets.find(query)]
                assert [f.id for f in stored_facts(uow, query, batch_size=2)] == want, query
        with store.unit_of_work(self._tenant()) as uow:  # another tenant sees none of them
            assert list(stored_facts(uow)) == []

    def test_a_rolled_back_or_stale_save_leaves_the_stored_facts(self, store: Store) -> None:
        tenant = self._tenant()
        with store.unit_of_work(tenant) as uow:
            uow.tickets.add(fresh_ticket("INC-R1"))
            uow.commit()
        before = self._check(store, tenant)
        with store.unit_of_work(tenant) as uow:
            ticket = uow.tickets.get("INC-R1")
            ticket.hold(HoldReason.AWAITING_CALLER, at=ticket.updated_at, actor=SYSTEM)
            uow.tickets.save(ticket)
            uow.tickets.add(fresh_ticket("INC-R2"))
            uow.rollback()
        with store.unit_of_work(tenant) as uow:
            stale = uow.tickets.get("INC-R1")
        with store.unit_of_work(tenant) as uow:
            fresh = uow.tickets.get("INC-R1")
            fresh.hold(HoldReason.AWAITING_CALLER, at=fresh.updated_at, actor=SYSTEM)
            uow.tickets.save(fresh)
            uow.commit()
        stale.hold(HoldReason.AWAITING_VENDOR, at=stale.updated_at, actor=SYSTEM)
        with store.unit_of_work(tenant) as uow, pytest.raises(ConcurrencyError):
            uow.tickets.save(stale)
            uow.commit()
        after = self._check(store, tenant)
        assert [t.id for t in after] == [t.id for t in before] == ["INC-R1"]
        assert after[0].version == before[0].version + 1

    def test_facts_of_another_version_are_never_read_until_rebuilt(self, store: Store) -> None:
        tenant = self._tenant()
        with store.unit_of_work(tenant) as uow:
            uow.tickets.add(fresh_ticket("INC-V1"))
            uow.tickets.add(fresh_ticket("INC-V2"))
            uow.commit()
        want = self._check(store, tenant)
        with store.unit_of_work(tenant) as uow:
            row = list(facts_row(kpi_facts(want[1])))
            row[1] = FACTS_VERSION + 1  # written by a later definition
            uow._session().put_facts(uow._key, [tuple(row)])  # type: ignore[attr-defined]
            uow.commit()
        with store.unit_of_work(tenant) as uow, pytest.raises(OutdatedFacts, match="rebuild"):
            list(stored_facts(uow))
        assert store.rebuild_facts() >= 2
        self._check(store, tenant)

    def test_a_metric_that_needs_the_ticket_refuses_stored_facts(self, store: Store) -> None:
        tenant = self._tenant()
        ticket = fresh_ticket("INC-S1")
        with store.unit_of_work(tenant) as uow:
            uow.tickets.add(ticket)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            facts = list(stored_facts(uow))
        target = SlaTarget("fix", SlaMetric.RESOLUTION, {p: timedelta(hours=8) for p in Priority})
        sla = sla_compliance_metric(target, at=ticket.updated_at)
        with pytest.raises(FactsWithoutTicket):
            kpi_table(facts, metrics=[sla])
        with pytest.raises(FactsWithoutTicket):
            facts[0].ticket  # noqa: B018
        assert isinstance(facts[0], KpiFacts)
        assert kpi_table(facts, metrics=["resolution_rate"])[0].results  # still answers
