"""Part of the storage contract: the notification log (`Store.events_since`).

Every committed event gets a gap-free position per tenant, in commit order;
a rolled-back or refused write takes none; a notifier that crashed resumes
from the last position it acknowledged and misses nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from itil_l2.errors import ConcurrencyError, ValidationError
from itil_l2.storage import Store
from itil_l2.testing._problems import example_problem
from itil_l2.testing._storage_checks import note
from itil_l2.testing._tickets import fresh_ticket


def _log(store: Store, tenant: str | None = None, after: int = 0) -> list[Any]:
    return store.events_since(after, limit=10_000, tenant=tenant)


class OutboxChecks:
    """Contract tests (a base of `StoreContract`): the notification log."""

    def test_every_committed_event_gets_the_next_position_in_commit_order(
        self, store: Store
    ) -> None:
        committed: list[tuple[str, str, Any]] = []
        with store.unit_of_work() as uow:
            ticket = fresh_ticket("INC-1")
            uow.tickets.add(ticket)
            uow.problems.add(example_problem())
            uow.commit()
        committed += [(e.entity_id, "ticket" if e.entity_id == "INC-1" else "problem", e)
                      for e in uow.events]  # fmt: skip
        with store.unit_of_work() as uow:
            again = uow.tickets.get("INC-1")
            note(again)
            uow.tickets.save(again)
            uow.commit()
        committed += [("INC-1", "ticket", e) for e in uow.events]
        log = _log(store)
        assert [n.position for n in log] == list(range(1, len(committed) + 1))
        assert [(n.id, n.kind, n.event) for n in log] == committed
        assert all(n.tenant is None for n in log)

    def test_pages_of_the_log_join_up_without_gaps(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            for n in range(7):
                uow.tickets.add(fresh_ticket(f"INC-{n}"))
            uow.commit()
        whole = _log(store)
        pages, after = [], 0
        while page := store.events_since(after, limit=4):
            pages += page
            after = page[-1].position
        assert pages == whole and len(whole) == 7 * fresh_ticket("INC-X").version

    def test_a_rolled_back_or_refused_write_takes_no_position(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1"))
            uow.commit()
        with store.unit_of_work() as uow:  # rolled back: never committed
            uow.tickets.add(fresh_ticket("INC-2"))
        with store.unit_of_work() as uow:
            first, second = uow.tickets.get("INC-1"), uow.tickets.get("INC-1")
        note(first)
        with store.unit_of_work() as uow:
            uow.tickets.save(first)
            uow.commit()
        note(second)
        with store.unit_of_work() as uow, pytest.raises(ConcurrencyError):
            uow.tickets.save(second)  # stale: refused
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-3"))
            uow.commit()
        log = _log(store)
        assert [n.position for n in log] == list(range(1, len(log) + 1))
        assert [n.id for n in log].count("INC-2") == 0
        assert [n.id for n in log][-1] == "INC-3"

    def test_each_tenant_has_its_own_log(self, store: Store) -> None:
        for tenant in ("acme", "globex", "acme"):
            with store.unit_of_work(tenant) as uow:
                uow.tickets.add(fresh_ticket(f"INC-{tenant}-{len(_log(store, tenant))}"))
                uow.commit()
        acme, globex = _log(store, "acme"), _log(store, "globex")
        assert [n.position for n in acme] == list(range(1, len(acme) + 1))
        assert [n.position for n in globex] == list(range(1, len(globex) + 1))
        assert {n.id for n in acme}.isdisjoint({n.id for n in globex})
        assert all(n.tenant == "acme" for n in acme) and _log(store) == []

    def test_a_notifier_resumes_after_a_crash_and_misses_nothing(self, store: Store) -> None:
        """The commit lands, `on_commit` never runs (the process died): the log still has it."""

        def crash(_events: tuple[Any, ...]) -> None:
            raise SystemExit("the process died between the commit and the notification")

        dying = Store(store.backend, on_commit=crash)
        handled: list[int] = []
        acknowledged = 0
        for n in range(3):
            with dying.unit_of_work() as uow:
                uow.tickets.add(fresh_ticket(f"INC-{n}"))
                with pytest.raises(SystemExit):
                    uow.commit()
            restarted = Store(store.backend)  # a new process over the same storage
            batch = restarted.events_since(acknowledged, limit=2)
            handled += [notice.position for notice in batch]  # handled, then the ack is lost
            for notice in restarted.events_since(acknowledged):
                if notice.position not in handled:
                    handled.append(notice.position)
            acknowledged = handled[-1]
        total = 3 * fresh_ticket("INC-X").version
        assert sorted(set(handled)) == list(range(1, total + 1))  # nothing missed
        assert handled == sorted(handled)  # nothing before the acknowledged position again

    def test_a_bad_position_or_limit_is_refused(self, store: Store) -> None:
        for position, limit in ((-1, 10), (True, 10), (0, 0), (0, 10_001), (1.5, 10)):
            with pytest.raises(ValidationError):
                store.events_since(position, limit=limit)  # type: ignore[arg-type]
