"""The ticket workflow's oracle and its stateful test, a base class hosts extend.

`expected_move` is an independent statement of the ticket workflow's rules,
written as plain if/else from the issue's transition table, deliberately not
derived from the transitions definition, so the two can check each other.
`TicketWorkflowMachine` fires random moves and checks them against it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.entity import Entity
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import NotPermitted
from itil_l2.testing._common import (
    OUTSIDER,
    T0,
    assert_history_consistent,
    assert_same,
    permitted,
    refusal,
)
from itil_l2.testing._ticket_moves import DEFAULT_GROUPS, MOVABLE_TRIGGERS, Move, draw_move
from itil_l2.tickets import L3TargetKind, Phase, Ticket, Trigger, WorkflowConfig


def assert_same_ticket(actual: Entity[Any], expected: Entity[Any]) -> None:
    """Fail, naming the first differing field, unless both entities match field by field.

    Works for every entity (tickets, problems, changes, articles, CIs); the
    pending-events marker is not compared. The same as `assert_same`.
    """
    assert_same(actual, expected)


# -- the oracle -----------------------------------------------------------------------

_WORK = (Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD)
"""The phases in which a ticket sits at a tier."""


def expected_move(
    phase: Phase,
    tier: Tier,
    trigger: Trigger,
    *,
    target: Tier | None = None,
    allow_skip: bool = False,
    vendor: bool = False,
) -> tuple[Phase, Tier] | None:
    """The (phase, tier) a trigger leads to, or None when the workflow forbids it.

    `tier` is the ticket's tier (its owner group's while new), `target` the
    tier of the group named by assign/reassign/escalate/hand_back, `vendor`
    whether the ticket is with an L3 vendor. Permissions and payload checks
    are not the oracle's business.
    """
    if trigger is Trigger.LINK:
        return (phase, tier)
    if phase in (Phase.CLOSED, Phase.CANCELLED):
        return None
    if trigger is Trigger.ADD_NOTE:
        return (phase, tier)
    if phase is Phase.RESOLVED:
        return _from_resolved(tier, trigger)
    if trigger is Trigger.UPDATE:
        return (phase, tier)
    if trigger is Trigger.RESOLVE:
        return (Phase.RESOLVED, tier)
    if trigger is Trigger.CANCEL:
        return (Phase.CANCELLED, tier)
    if phase is Phase.NEW:
        if trigger is Trigger.ASSIGN and target is not None:
            return (Phase.QUEUED, target)
        return None
    return _within_tiers(phase, tier, trigger, target, allow_skip, vendor)


def _from_resolved(tier: Tier, trigger: Trigger) -> tuple[Phase, Tier] | None:
    if trigger is Trigger.REOPEN:
        return (Phase.IN_PROGRESS, tier)
    if trigger is Trigger.CLOSE:
        return (Phase.CLOSED, tier)
    return None


def _within_tiers(
    phase: Phase,
    tier: Tier,
    trigger: Trigger,
    target: Tier | None,
    allow_skip: bool,
    vendor: bool,
) -> tuple[Phase, Tier] | None:
    assert phase in _WORK
    simple = {
        (Trigger.ASSIGN_TO, Phase.QUEUED): phase,
        (Trigger.ASSIGN_TO, Phase.IN_PROGRESS): phase,
        (Trigger.ASSIGN_TO, Phase.ON_HOLD): phase,
        (Trigger.START, Phase.QUEUED): Phase.IN_PROGRESS,
        (Trigger.REQUEUE, Phase.IN_PROGRESS): Phase.QUEUED,
        (Trigger.HOLD, Phase.IN_PROGRESS): Phase.ON_HOLD,
        (Trigger.CHANGE_HOLD_REASON, Phase.ON_HOLD): Phase.ON_HOLD,
        (Trigger.RESUME, Phase.ON_HOLD): Phase.IN_PROGRESS,
    }
    if (trigger, phase) in simple:
        return (simple[(trigger, phase)], tier)
    if trigger is Trigger.VENDOR_UPDATE:
        return (phase, tier) if tier is Tier.L3 and vendor else None
    if target is None:
        return None
    step = target.level - tier.level
    if trigger is Trigger.REASSIGN and step == 0:
        return (Phase.QUEUED, tier)
    if trigger is Trigger.ESCALATE and (step == 1 or (step == 2 and allow_skip)):
        return (Phase.QUEUED, target)
    if trigger is Trigger.HAND_BACK and (step == -1 or (step == -2 and allow_skip)):
        return (Phase.QUEUED, target)
    return None


# -- the stateful test ----------------------------------------------------------------

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
    Trigger.REQUEUE,
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
_OTHER_ACTORS = {
    "system": SYSTEM,
    "outsider": OUTSIDER,
    "vendor": Actor("vera", roles={Role.VENDOR}),
    "problem_manager": Actor("pat", roles={Role.PROBLEM_MANAGER}),
}
_ACTOR_KINDS = ("system", "assigned", "owner", "caller", "outsider", "vendor", "problem_manager")


class TicketWorkflowMachine(RuleBasedStateMachine):
    """Random triggers with random payloads at many tickets, checked against an oracle.

    Subclass it with your own `config` (and `groups`) and hypothesis runs it
    through `TestCase`; the machine follows the config it is given, so any
    legal config is checked without false failures:

        class OurWorkflow(TicketWorkflowMachine):
            config = WorkflowConfig(
                allow_tier_skip=True,
                handover_min_description=80,
                entry_above_l1=EntryPolicy.FORBIDDEN,
                permissions=OurPermissions(),
            )

            @invariant()
            def p1_never_waits_at_l1(self) -> None:
                for t in self.tickets:
                    assert not (t.priority is Priority.P1 and t.tier is Tier.L1
                                and t.phase is Phase.ON_HOLD)

        TestOurWorkflow = OurWorkflow.TestCase

    What follows the config: escalation handovers are sized to
    `handover_min_description` (and incomplete ones fall one character
    short of it); assignments of new tickets above L1 are valid as
    `entry_above_l1` says; hold reasons and resolution codes are drawn from
    the config (and rogue ones are expected to fail); tier skips are legal
    only with `allow_tier_skip`; the config's `permissions` policy is asked,
    as the ticket asks it, whether each actor may fire each trigger (the
    actors include outsiders, callers, vendors and problem managers); and
    `auto_close_due` and the priority follow `auto_close_after` and the
    `priority_matrix`.

    Checked after every step: a trigger succeeds exactly when the workflow
    oracle, the input, the permissions policy and time all allow it, and
    otherwise raises an `ItilL2Error` and changes nothing (`NotPermitted`
    whenever the policy refuses a valid call in time, whatever the
    workflow says); the phase and tier are always a legal pair;
    `len(history) == version`; time never goes backwards; closed and
    cancelled tickets change only by `link`; `Ticket.from_history(t.history)`
    equals `t` field by field.

    `oracle_config` is the config the oracle believes (None: `config`); set
    it to another config only to see the machine catch a mismatch.
    """

    config: ClassVar[WorkflowConfig] = WorkflowConfig()
    oracle_config: ClassVar[WorkflowConfig | None] = None
    groups: ClassVar[tuple[SupportGroup, ...]] = DEFAULT_GROUPS
    max_tickets: ClassVar[int] = 5

    def __init__(self) -> None:
        super().__init__()
        self.tickets: list[Ticket] = []
        self.resolved_at: dict[str, datetime] = {}
        self.now = T0
        self.believed = self.config if self.oracle_config is None else self.oracle_config

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
        move = draw_move(data.draw, ticket, trigger, self.groups, config=self.believed)
        actor = self._actor(data, ticket)
        # Asked as the ticket asks it: this actor, this trigger, the ticket as it is now.
        allowed_actor = permitted(self.believed, actor, trigger, ticket)
        step = data.draw(st.sampled_from([1, 0, 30, 600, 3000, -90]))
        at = self.now + timedelta(minutes=step)
        self._check_move(ticket, move, actor, allowed_actor, at)
        self.now = max(self.now, at)

    def _actor(self, data: st.DataObject, ticket: Ticket) -> Actor:
        kind = data.draw(st.sampled_from(_ACTOR_KINDS))
        if kind in _OTHER_ACTORS:
            return _OTHER_ACTORS[kind]
        if kind == "caller":
            return Actor("carol")
        group = ticket.group if kind == "assigned" and ticket.group else ticket.owner_group
        return Actor(f"agent-{group.name}", groups={group.name})

    def _check_move(
        self, ticket: Ticket, move: Move, actor: Actor, by_policy: bool, at: datetime
    ) -> None:
        history = ticket.history
        expected = self._expected(ticket, move)
        ok_input = move.valid_for(actor)
        in_time = at >= history[-1].at
        error = refusal(ticket, move.trigger, at, actor, **move.kwargs)
        if error is not None:
            must_succeed = expected is not None and ok_input and by_policy and in_time
            assert not must_succeed, f"{move.trigger} {move.kwargs} by {actor} refused: {error!r}"
            if not by_policy and ok_input and in_time:  # the permissions come before the workflow
                assert isinstance(error, NotPermitted), f"{move.trigger} by {actor}: {error!r}"
            return
        assert expected is not None, f"{move.trigger} allowed from {history[-1]}"
        assert ok_input is not False, f"{move.trigger} accepted bad input {move.kwargs}"
        assert by_policy, f"{move.trigger} allowed for {actor}, whom the policy refuses"
        assert in_time
        assert (ticket.phase, ticket.tier) == expected
        assert ticket.version == len(history) + 1
        assert ticket.history[-1].kind == move.trigger.value
        if move.trigger is Trigger.RESOLVE:
            self.resolved_at[ticket.id] = at
        elif move.trigger in (Trigger.REOPEN, Trigger.CLOSE):
            self.resolved_at.pop(ticket.id, None)

    def _expected(self, ticket: Ticket, move: Move) -> tuple[Phase, Tier] | None:
        vendor = ticket.l3_target is not None and ticket.l3_target.kind is L3TargetKind.VENDOR
        return expected_move(
            ticket.phase,
            ticket.tier,
            move.trigger,
            target=move.target,
            allow_skip=self.believed.allow_tier_skip,
            vendor=vendor,
        )

    @invariant()
    def config_derived_facts(self) -> None:
        """The priority is the config matrix's; auto-close is due after `auto_close_after`."""
        cfg = self.believed
        for t in self.tickets:
            assert t.priority == cfg.priority_matrix.priority(t.impact, t.urgency), t.id
            resolved = self.resolved_at.get(t.id)
            due = resolved is not None and self.now - resolved >= cfg.auto_close_after
            assert t.auto_close_due(self.now) == due, t.id

    @invariant()
    def phase_and_tier_are_legal(self) -> None:
        """Open work sits in its group's tier; only new tickets lack a group."""
        for t in self.tickets:
            if t.phase in _WORK:
                assert t.group is not None and t.state == f"{t.group.tier.value}.{t.phase.value}"
            else:
                assert t.state == t.phase.value
            if t.group is None:
                assert t.phase in (Phase.NEW, Phase.CANCELLED)

    @invariant()
    def history_is_consistent(self) -> None:
        """Versions count events, time never goes back, final tickets only gain links."""
        for t in self.tickets:
            assert_history_consistent(t, after_end={"link"})

    @invariant()
    def history_rebuilds_the_ticket(self) -> None:
        """Replaying the history gives the same ticket, field by field."""
        for t in self.tickets:
            assert_same(Ticket.from_history(t.history, config=self.config), t)
