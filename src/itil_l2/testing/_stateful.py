"""The stateful workflow test, as a base class hosts extend with their own rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.entity import Entity
from itil_l2._core.errors import ItilL2Error
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.testing._moves import DEFAULT_GROUPS, MOVABLE_TRIGGERS, Move, draw_move
from itil_l2.testing._oracle import expected_move
from itil_l2.tickets import L3TargetKind, Phase, Ticket, Trigger, WorkflowConfig

__all__ = ["TicketWorkflowMachine", "assert_same_ticket", "snapshot"]

_T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
_TIERED = (Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD)
# Progress first: hypothesis favours early entries, and walks should get deep
# (escalations, holds, vendor updates) before they end in close or cancel.
_PREFERENCE = (
    Trigger.START,
    Trigger.ASSIGN,
    Trigger.ESCALATE,
    Trigger.HOLD,
    Trigger.VENDOR_UPDATE,
    Trigger.RESUME,
    Trigger.CHANGE_HOLD_REASON,
    Trigger.HAND_BACK,
    Trigger.ASSIGN_TO,
    Trigger.REASSIGN,
    Trigger.RESOLVE,
    Trigger.REOPEN,
    Trigger.UPDATE,
    Trigger.ADD_NOTE,
    Trigger.LINK,
    Trigger.CLOSE,
    Trigger.CANCEL,
)


def snapshot(entity: Entity[Any]) -> dict[str, Any]:
    """Every field of an entity (history included), for before/after comparisons."""
    return {f.name: getattr(entity, f.name) for f in attrs.fields(type(entity))}


def assert_same_ticket(actual: Entity[Any], expected: Entity[Any]) -> None:
    """Fail, naming the first differing field, unless both entities match field by field.

    Works for every entity (tickets, problems, changes, articles, CIs); the
    pending-events marker is not compared.
    """
    a, e = snapshot(actual), snapshot(expected)
    a.pop("_persisted")
    e.pop("_persisted")
    for name, value in e.items():
        assert a[name] == value, f"{expected.id}: field {name!r} differs: {a[name]!r} != {value!r}"


class TicketWorkflowMachine(RuleBasedStateMachine):
    """Random triggers with random payloads at many tickets, checked against an oracle.

    Subclass it to check your own configuration and rules; hypothesis runs
    it through `TestCase`:

        class OurWorkflow(TicketWorkflowMachine):
            config = WorkflowConfig(allow_tier_skip=True)

            @invariant()
            def p1_never_waits_at_l1(self) -> None:
                for t in self.tickets:
                    assert not (t.priority is Priority.P1 and t.tier is Tier.L1
                                and t.phase is Phase.ON_HOLD)

        TestOurWorkflow = OurWorkflow.TestCase

    Checked after every step: a trigger either succeeds exactly as the
    oracle predicts or raises an `ItilL2Error` and changes nothing; the
    phase and tier are always a legal pair; `len(history) == version`;
    time never goes backwards; closed and cancelled tickets change only by
    `link`; `Ticket.from_history(t.history)` equals `t` field by field.
    """

    config: ClassVar[WorkflowConfig] = WorkflowConfig()
    groups: ClassVar[tuple[SupportGroup, ...]] = DEFAULT_GROUPS
    max_tickets: ClassVar[int] = 5

    def __init__(self) -> None:
        super().__init__()
        self.tickets: list[Ticket] = []
        self.now = _T0

    # No preconditions: hypothesis's swarm testing switches rules off for a
    # whole test case, and a step where no enabled rule may run discards the
    # case (rarely failing the run with HealthCheck.filter_too_much). Each
    # rule therefore falls back to a step that can always run.

    @rule(data=st.data())
    def open_ticket(self, data: st.DataObject) -> None:
        """Log a ticket at the first L1 group; at `max_tickets`, fire a trigger instead."""
        if len(self.tickets) < self.max_tickets:
            self._open(data.draw(st.sampled_from(Impact)), data.draw(st.sampled_from(Urgency)))
        else:
            self._fire(data)

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """Fire a random trigger, by a random actor, at a random (maybe earlier) time.

        While there is no ticket, log one instead.
        """
        if self.tickets:
            self._fire(data)
        else:
            self._open(Impact.MEDIUM, Urgency.MEDIUM)

    def _open(self, impact: Impact, urgency: Urgency) -> None:
        owner = next(g for g in self.groups if g.tier is Tier.L1)
        ticket = Ticket.open(
            id=f"INC-{len(self.tickets) + 1}",
            title="Cannot reach the order database",
            impact=impact,
            urgency=urgency,
            owner_group=owner,
            caller="carol",
            at=self.now,
            actor=SYSTEM,
            config=self.config,
        )
        self.tickets.append(ticket)

    def _fire(self, data: st.DataObject) -> None:
        ticket: Ticket = data.draw(st.sampled_from(self.tickets))
        # Mostly triggers the workflow allows from here, so walks get deep;
        # sometimes any trigger, so refusals are checked too.
        here = ticket.allowed_triggers()
        allowed = st.sampled_from([t for t in _PREFERENCE if t in here])
        trigger: Trigger = data.draw(allowed | st.sampled_from(MOVABLE_TRIGGERS))
        move = draw_move(data.draw, ticket, trigger, self.groups)
        actor, authorised = self._actor(data, ticket)
        step = data.draw(st.sampled_from([1, 0, 30, 600, 3000, -90]))
        at = self.now + timedelta(minutes=step)
        self._check_move(ticket, move, actor, authorised, at)
        self.now = max(self.now, at)

    def _actor(self, data: st.DataObject, ticket: Ticket) -> tuple[Actor, bool | None]:
        kind = data.draw(st.sampled_from(["system", "assigned", "owner", "caller", "outsider"]))
        if kind == "system":
            return SYSTEM, True
        if kind == "outsider":
            return Actor("mallory", groups={"marketing"}), False
        if kind == "caller":
            return Actor("carol"), None
        group = ticket.group if kind == "assigned" and ticket.group else ticket.owner_group
        return Actor(f"agent-{group.name}", groups={group.name}), None

    def _check_move(
        self, ticket: Ticket, move: Move, actor: Actor, authorised: bool | None, at: datetime
    ) -> None:
        before = snapshot(ticket)
        expected = self._expected(ticket, move)
        ok_input = move.valid_for(actor)
        try:
            move.fire(ticket, at, actor)
        except ItilL2Error:
            assert snapshot(ticket) == before, f"failed {move.trigger} changed {ticket.id}"
            must_succeed = expected is not None and ok_input and authorised and at >= self.now
            assert not must_succeed, f"{move.trigger} with {move.kwargs} refused on {ticket!r}"
            return
        assert expected is not None, f"{move.trigger} allowed from {before['state']}"
        assert ok_input is not False, f"{move.trigger} accepted bad input {move.kwargs}"
        assert authorised is not False, f"{move.trigger} allowed for an outsider"
        assert at >= before["history"][-1].at
        assert (ticket.phase, ticket.tier) == expected
        assert ticket.version == len(before["history"]) + 1
        assert ticket.history[-1].kind == move.trigger.value

    def _expected(self, ticket: Ticket, move: Move) -> tuple[Phase, Tier] | None:
        vendor = ticket.l3_target is not None and ticket.l3_target.kind is L3TargetKind.VENDOR
        return expected_move(
            ticket.phase,
            ticket.tier,
            move.trigger,
            target=move.target,
            allow_skip=self.config.allow_tier_skip,
            vendor=vendor,
        )

    @invariant()
    def phase_and_tier_are_legal(self) -> None:
        """Open work sits in its group's tier; only new tickets lack a group."""
        for t in self.tickets:
            if t.phase in _TIERED:
                assert t.group is not None and t.state == f"{t.group.tier.value}.{t.phase.value}"
            else:
                assert t.state == t.phase.value
            if t.group is None:
                assert t.phase in (Phase.NEW, Phase.CANCELLED)

    @invariant()
    def history_is_consistent(self) -> None:
        """Versions count events, time never goes back, final tickets only gain links."""
        for t in self.tickets:
            assert t.version == len(t.history)
            assert [e.version for e in t.history] == list(range(1, t.version + 1))
            times = [e.at for e in t.history]
            assert times == sorted(times)
            final = next(
                (i for i, e in enumerate(t.history) if e.kind in ("close", "cancel")), None
            )
            if final is not None:
                assert all(e.kind == "link" for e in t.history[final + 1 :])

    @invariant()
    def history_rebuilds_the_ticket(self) -> None:
        """Replaying the history gives the same ticket, field by field."""
        for t in self.tickets:
            assert_same_ticket(Ticket.from_history(t.history, config=self.config), t)
