"""Part of the storage contract: the workflow config travels with the data.

Every check writes tickets that skip a tier (L1 straight to L3), valid only
under `WorkflowConfig(allow_tier_skip=True)`, through a `Store` over the
fixture's backend, then reads or writes through other stores over the same
backend, as another process opening the same database would. An adapter
that does not store configs (no `load_config` / `claim_config` on its
session) is skipped: it reads with the reader's config, as before.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import attrs
import pytest

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Priority
from itil_l2.errors import ConcurrencyError, ConfigMismatch, CorruptHistory, StorageError
from itil_l2.storage import KINDS, Store
from itil_l2.testing._tickets import DEFAULT_GROUPS, fresh_ticket
from itil_l2.tickets import (
    Handover,
    L3Target,
    L3TargetKind,
    SolutionAttempt,
    Ticket,
    Trigger,
    WorkflowConfig,
)

__all__ = ["ConfigChecks", "skipping_ticket"]

SKIP = WorkflowConfig(allow_tier_skip=True)
"""The non-default config the checks write with."""
_HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the order app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P2,
    impact=Impact.HIGH,
)


@attrs.frozen
class _Everyone:
    """A permissions policy (code, never stored): everyone may do everything."""

    def permits(self, actor: Actor, trigger: Trigger, ticket: Any) -> bool:
        return True


def skipping_ticket(id: str, config: WorkflowConfig = SKIP) -> Ticket:
    """A ticket escalated from L1 straight to L3: valid only when `config` allows tier skips."""
    ticket = fresh_ticket(id, config=config)
    target = L3Target(L3TargetKind.VENDOR, "Acme Support", "CASE-1")
    at = ticket.updated_at + timedelta(minutes=5)
    ticket.escalate(DEFAULT_GROUPS[4], _HANDOVER, at=at, actor=SYSTEM, target=target)
    return ticket


def _stores_configs(store: Store) -> bool:
    session = store.backend.session()
    try:
        return hasattr(session, "load_config") and hasattr(session, "claim_config")
    finally:
        session.close()


def _write(store: Store, *tickets: Ticket) -> None:
    with store.unit_of_work() as uow:
        for ticket in tickets:
            uow.tickets.add(ticket)
        uow.commit()


class ConfigChecks:
    """Contract tests (a base of `StoreContract`): the config is stored with the data."""

    @pytest.fixture
    def backend(self, store: Store) -> Any:
        if not _stores_configs(store):
            pytest.skip("this adapter stores no config (its session has no load_config)")
        return store.backend

    def test_the_written_config_is_stored_and_read_back(self, backend: Any) -> None:
        writer = Store(backend, configs={Ticket: SKIP})
        _write(writer, skipping_ticket("INC-1"))
        assert writer.stored_config(Ticket) == SKIP
        with Store(backend).unit_of_work() as uow:  # no config: the stored one
            loaded = uow.tickets.get("INC-1")
            assert loaded.config.allow_tier_skip and loaded.tier.value == "L3"
            assert [t.id for t in uow.tickets.find()] == ["INC-1"]
        with Store(backend, configs={Ticket: SKIP}).unit_of_work() as uow:  # the same
            assert uow.tickets.get("INC-1").config is SKIP
        policy = attrs.evolve(SKIP, permissions=_Everyone())  # a policy is not a setting
        with Store(backend, configs={Ticket: policy}).unit_of_work() as uow:
            assert uow.tickets.get("INC-1").config.permissions == _Everyone()

    def test_a_reader_with_a_conflicting_config_is_told_the_setting(self, backend: Any) -> None:
        _write(Store(backend), skipping_ticket("INC-1"))
        strict = WorkflowConfig(handover_min_description=10)
        with Store(backend, configs={Ticket: strict}).unit_of_work() as uow:
            with pytest.raises(ConfigMismatch) as caught:
                uow.tickets.get("INC-1")
            with pytest.raises(ConfigMismatch):
                list(uow.tickets.find())
        differing = {name: (there, here) for name, there, here in caught.value.differences}
        assert differing == {
            "allow_tier_skip": ("true", "false"),
            "handover_min_description": ("30", "10"),
        }
        message = str(caught.value)
        assert "allow_tier_skip is true there, false here" in message
        assert "replace_configs=True" in message

    def test_a_writer_with_another_config_writes_nothing(self, backend: Any) -> None:
        _write(Store(backend), skipping_ticket("INC-1"))
        with pytest.raises(ConfigMismatch, match=r"allow_tier_skip.*'INC-2' is not written"):
            _write(Store(backend), fresh_ticket("INC-2"))  # made with the default config
        with pytest.raises(ConfigMismatch, match="the store's own"):
            _write(Store(backend, configs={Ticket: SKIP}), fresh_ticket("INC-3"))
        with Store(backend).unit_of_work() as uow:
            assert uow.tickets.count() == 1
            ticket = uow.tickets.get("INC-1")
            ticket.add_note("loaded with the stored config", at=ticket.updated_at, actor=SYSTEM)
            uow.tickets.save(ticket)
            uow.tickets.add(skipping_ticket("INC-4"))
            uow.commit()
        with Store(backend).unit_of_work() as uow:
            assert uow.tickets.get("INC-1").version == 5 and uow.tickets.count() == 2

    def test_a_rolled_back_first_write_stores_no_config(self, backend: Any) -> None:
        store = Store(backend)
        with store.unit_of_work() as uow:
            uow.tickets.add(skipping_ticket("INC-1"))
            session: Any = uow._session()
            assert session.load_config("ticket") is not None  # held, uncommitted
            uow.rollback()
        assert store.stored_config(Ticket) is None
        _write(Store(backend), fresh_ticket("INC-2"))  # the default config may come first
        assert Store(backend).stored_config(Ticket) == WorkflowConfig()
        with pytest.raises(ConfigMismatch):
            _write(Store(backend), skipping_ticket("INC-3"))

    def test_replace_configs_is_the_explicit_override(self, backend: Any) -> None:
        _write(Store(backend), fresh_ticket("INC-1"))  # stored: the default
        override = Store(backend, configs={Ticket: SKIP}, replace_configs=True)
        with override.unit_of_work() as uow:
            assert uow.tickets.get("INC-1").config is SKIP  # read with its own, unchecked
        _write(override, skipping_ticket("INC-2"))
        assert Store(backend).stored_config(Ticket) == SKIP
        with Store(backend).unit_of_work() as uow:
            assert uow.tickets.get("INC-2").config.allow_tier_skip

    def test_concurrent_first_writers_store_one_config(self, backend: Any) -> None:
        gate = threading.Barrier(2, timeout=30)
        outcomes: dict[str, BaseException | None] = {}

        def write(id: str, config: WorkflowConfig) -> None:
            ticket = skipping_ticket(id) if config is SKIP else fresh_ticket(id, config=config)
            gate.wait()
            try:
                _write(Store(backend, configs={Ticket: config}), ticket)
                outcomes[id] = None
            except (ConfigMismatch, ConcurrencyError, StorageError) as exc:
                outcomes[id] = exc

        threads = [
            threading.Thread(target=write, args=("INC-A", SKIP)),
            threading.Thread(target=write, args=("INC-B", WorkflowConfig())),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        winners = [id for id, error in outcomes.items() if error is None]
        assert len(outcomes) == 2 and len(winners) == 1, outcomes
        loser = next(error for error in outcomes.values() if error is not None)
        assert isinstance(loser, (ConfigMismatch, ConcurrencyError)), loser
        stored = Store(backend).stored_config(Ticket)
        assert stored == (SKIP if winners == ["INC-A"] else WorkflowConfig())
        with Store(backend).unit_of_work() as uow:
            assert [t.id for t in uow.tickets.find()] == winners

    def test_without_a_stored_config_a_reader_replays_with_its_own(self, backend: Any) -> None:
        session = backend.session()
        try:  # the rows alone, as a store that kept no config (an earlier version) left them
            ticket = skipping_ticket("INC-1")
            head, rows = KINDS["ticket"].encode(ticket, ticket.history)
            session.insert("ticket", "", head, rows)
            session.commit()
        finally:
            session.close()
        with Store(backend).unit_of_work() as uow, pytest.raises(CorruptHistory, match="skips"):
            uow.tickets.get("INC-1")
        with Store(backend, configs={Ticket: SKIP}).unit_of_work() as uow:
            assert uow.tickets.get("INC-1").config is SKIP
