"""Part of the storage contract: tenants that stick, and what a load checks.

Also the helpers the whole suite shares (`note`, `store_one`, `store_varied`).
The rows of a stored ticket are forged through the adapter's own
`StorageSession.append` (a head row replaced, no event added), as an edit of
the database would: a load must notice, whichever adapter stored them.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2.errors import CorruptHistory, TenantMismatch
from itil_l2.storage import KINDS, Head, Query, Store
from itil_l2.testing._common import T1
from itil_l2.testing._tickets import DEFAULT_GROUPS, fresh_ticket
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    Handover,
    HoldReason,
    Resolution,
    SolutionAttempt,
    Ticket,
)

NASTY = "Ünïcødé ✓ 東京 'quote' \"double\" -- ; DROP TABLE itil_events; % _ \\ \t\n€"
"""Text that breaks naive SQL building, LIKE patterns and encodings."""
NASTY_ID = NASTY.replace("\t", " ").replace("\n", " ")
"""`NASTY` as an identifier (a category): no control characters (see `MAX_ID_LENGTH`)."""

_HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the order app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P2,
    impact=Impact.HIGH,
)
_FIXED = Resolution(SOLVED_PERMANENTLY, "rebuilt the index")


def note(ticket: Ticket, text: str = "checked") -> None:
    """Add a note a minute after the ticket's last event (one new pending event)."""
    ticket.add_note(text, at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)


class TenantAndLoadChecks:
    """Contract tests (a base of `StoreContract`): tenant stickiness and load checks."""

    # -- tenants ---------------------------------------------------------------

    def test_an_entity_stays_in_the_tenant_it_was_loaded_or_added_in(self, store: Store) -> None:
        for tenant in ("acme", "globex", None):
            with store.unit_of_work(tenant) as uow:
                uow.tickets.add(fresh_ticket("INC-1", title=f"{tenant}'s"))
                uow.commit()
        added = fresh_ticket("INC-2")
        with store.unit_of_work("acme") as uow:
            uow.tickets.add(added)
            uow.commit()
        with store.unit_of_work("acme") as uow:
            loaded = uow.tickets.get("INC-1")
            found = next(uow.tickets.find(Query(state="in_progress")))
        for entity in (loaded, found, added):
            note(entity)
            for other in ("globex", None):
                with store.unit_of_work(other) as uow:
                    with pytest.raises(TenantMismatch):
                        uow.tickets.save(entity)
                    uow.commit()  # nothing was written, so nothing is committed
            assert entity.pending_events() == entity.history[-1:]  # still to be stored
        for tenant in ("globex", None):
            with store.unit_of_work(tenant) as uow:
                assert uow.tickets.get("INC-1").version == 3
                assert uow.tickets.count() == 1
        with store.unit_of_work("acme") as uow:
            assert uow.tickets.get("INC-1").version == 3  # no other tenant's save reached it
            uow.tickets.save(loaded)  # its own tenant saves it
            uow.tickets.save(added)
            uow.commit()
        with store.unit_of_work("acme") as uow:
            assert [t.version for t in uow.tickets.find()] == [4, 4]

    def test_rollback_restores_where_an_entity_is_stored(self, store: Store) -> None:
        ticket = fresh_ticket("INC-1")
        with store.unit_of_work("acme") as uow:
            uow.tickets.add(ticket)  # rolled back: stored nowhere again
        with store.unit_of_work("globex") as uow:
            uow.tickets.add(ticket)
            uow.commit()
        note(ticket)
        with store.unit_of_work("globex") as uow:
            uow.tickets.save(ticket)  # rolled back: still stored in globex, at version 3
        with store.unit_of_work("acme") as uow, pytest.raises(TenantMismatch):
            uow.tickets.save(ticket)
        with store.unit_of_work("globex") as uow:
            uow.tickets.save(ticket)
            uow.commit()
        with store.unit_of_work("globex") as uow:
            assert uow.tickets.get("INC-1").version == 4
        with store.unit_of_work("acme") as uow:
            assert uow.tickets.count() == 0

    # -- a unit of work's own writes ---------------------------------------------

    def test_a_unit_of_work_reads_its_own_writes_before_it_commits(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            for n in range(3):
                uow.tickets.add(fresh_ticket(f"INC-{n}", ci_refs=("db-1",)))
            assert uow.tickets.count(Query(ci="db-1")) == 3
            found = list(uow.tickets.find(Query(ci="db-1")))
            assert [(t.id, t.version) for t in found] == [("INC-0", 3), ("INC-1", 3), ("INC-2", 3)]
            moved = found[0]  # its CIs change before anything is committed
            moved.update(ci_refs=["db-prod-3"], at=moved.updated_at, actor=SYSTEM)
            uow.tickets.save(moved)
            assert uow.tickets.count(Query(ci="db-prod-3")) == 1
            assert uow.tickets.count(Query(ci="db-1")) == 2
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.tickets.count(Query(ci="db-1")) == 2
            assert [t.id for t in uow.tickets.find(Query(ci="db-prod-3"))] == ["INC-0"]
            assert uow.tickets.get("INC-0").version == 4

    # -- what a load checks ------------------------------------------------------

    def test_find_returns_only_what_replays_as_the_query_asks(self, store: Store) -> None:
        stored = store_varied(store)
        states = sorted({t.phase.value for t in stored})
        victim = next(t for t in stored if t.phase.value != "in_progress")
        _forge(store, attrs.evolve(KINDS["ticket"].index(victim), state="closed"))
        with store.unit_of_work() as uow:
            for state in states:
                if state == victim.phase.value:
                    continue
                found = list(uow.tickets.find(Query(state=state)))
                assert found and {t.phase.value for t in found} == {state}
            with pytest.raises(CorruptHistory, match=f"{victim.id}.*state"):
                list(uow.tickets.find(Query(state="closed")))  # an error, never a silent result
            with pytest.raises(CorruptHistory, match=victim.id):
                list(uow.tickets.find())
            with pytest.raises(CorruptHistory, match=victim.id):
                uow.tickets.get(victim.id)

    def test_a_head_ahead_of_its_events_is_corrupt(self, store: Store) -> None:
        ticket = store_one(store, "INC-1")
        _forge(store, attrs.evolve(KINDS["ticket"].index(ticket), version=4))
        with store.unit_of_work() as uow:
            with pytest.raises(CorruptHistory, match=r"INC-1.*version 4, 3 events.*4\.\."):
                uow.tickets.get("INC-1")
            with pytest.raises(CorruptHistory, match="INC-1"):
                list(uow.tickets.find())


def store_one(store: Store, id: str) -> Ticket:
    """Add a fresh ticket (version 3) with this id, committed, in no tenant."""
    ticket = fresh_ticket(id)
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    return ticket


def _forge(store: Store, head: Head, tenant: str = "") -> None:
    """Replace a stored ticket's head row below the library, as a database edit would."""
    session = store.backend.session()
    try:
        with store.unit_of_work(tenant or None) as uow:
            version = uow.tickets.get(head.id).version
        session.append("ticket", tenant, head, version, ())
        session.commit()
    finally:
        session.close()


def store_varied(store: Store) -> list[Ticket]:
    """Twelve committed tickets of varied categories, CIs, priorities, tiers and phases."""
    made: list[Ticket] = []
    with store.unit_of_work() as uow:
        for n in range(12):
            draw = n % 4
            ticket = fresh_ticket(
                f"INC-{n:02}",
                category=("database", "net%", NASTY_ID, None)[draw],
                ci_refs=(("db-1",), ("db-1", "net-2"), (), ("app-3",))[draw],
                impact=(Impact.HIGH, Impact.LOW)[n % 2],
                urgency=(Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)[n % 3],
                at=T1 + timedelta(hours=n),
            )
            _shift(ticket, n // 2)
            uow.tickets.add(ticket)
            made.append(ticket)
        uow.commit()
    return made


def _shift(ticket: Ticket, n: int) -> None:
    """Give the n-th ticket its own shape: at L1, escalated to L2, resolved, or on hold."""
    later = iter(ticket.updated_at + timedelta(minutes=m) for m in range(1, 10))
    shape = n % 4
    if shape == 1:
        ticket.escalate(DEFAULT_GROUPS[3], _HANDOVER, at=next(later), actor=SYSTEM)
    if shape == 2:
        ticket.resolve(_FIXED, at=next(later), actor=SYSTEM)
    if shape == 3:
        ticket.hold(HoldReason.AWAITING_CALLER, at=next(later), actor=SYSTEM)
