"""The default permissions policy, and plugging in another one."""

from __future__ import annotations

import attrs
import pytest

from itil_l2 import SYSTEM, Actor, HoldReason, LinkKind, NotPermitted, Role, WorkflowConfig
from itil_l2.testing import snapshot
from itil_l2.tickets import DefaultPermissions, TicketFacts, Trigger
from support import (
    ANN,
    BOB,
    DESK,
    FIXED,
    GOOD_HANDOVER,
    ORACLE,
    VENDOR,
    Clock,
    at_l1,
    at_l2,
    at_l3,
    open_ticket,
)

OUTSIDER = Actor("mallory", groups={"marketing"})
CALLER = Actor("carol")
PM = Actor("pat", roles={Role.PROBLEM_MANAGER})


def test_only_the_assigned_group_works_the_ticket(clock: Clock) -> None:
    t = at_l2(clock)
    before = snapshot(t)
    with pytest.raises(NotPermitted) as info:
        t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=ANN)  # L1 desk no longer assigned
    assert (info.value.actor_id, info.value.trigger) == ("ann", "hold")
    assert snapshot(t) == before
    t.hold(HoldReason.AWAITING_CALLER, at=clock(), actor=BOB)


def test_owner_group_keeps_notes_links_and_closing(clock: Clock) -> None:
    t = at_l2(clock)
    t.add_note("told the caller", at=clock(), actor=ANN)
    t.link(LinkKind.KNOWLEDGE, "KB-9", at=clock(), actor=ANN)
    with pytest.raises(NotPermitted):
        t.resolve(FIXED, at=clock(), actor=ANN)
    t.resolve(FIXED, at=clock(), actor=BOB)
    t.close(at=clock(), actor=ANN)


def test_owner_group_acts_while_unassigned(clock: Clock) -> None:
    t = open_ticket(clock)
    with pytest.raises(NotPermitted):
        t.assign(DESK, at=clock(), actor=BOB)
    t.assign(DESK, at=clock(), actor=ANN)


def test_only_l2_escalates_to_l3(clock: Clock) -> None:
    t = at_l2(clock)
    with pytest.raises(NotPermitted):
        t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=ANN, target=ORACLE)
    t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=BOB, target=ORACLE)


def test_caller_may_comment_reopen_and_cancel_only(clock: Clock) -> None:
    t = at_l1(clock)
    t.add_note("still broken", at=clock(), actor=CALLER)
    with pytest.raises(NotPermitted):
        t.resolve(FIXED, at=clock(), actor=CALLER)
    t.resolve(FIXED, at=clock(), actor=ANN)
    t.reopen("not fixed", at=clock(), actor=CALLER)
    t.cancel("found the cable", at=clock(), actor=CALLER)


def test_vendor_contacts_post_vendor_updates_only(clock: Clock) -> None:
    t = at_l3(clock)
    contact = Actor("oracle-1", roles={Role.VENDOR})
    t.vendor_update("patch ready", at=clock(), actor=contact)
    with pytest.raises(NotPermitted):
        t.add_note("hi", at=clock(), actor=contact)


def test_problem_manager_links_and_resolves_linked_incidents(clock: Clock) -> None:
    t = at_l2(clock)
    with pytest.raises(NotPermitted):
        t.resolve(FIXED, at=clock(), actor=PM)  # not linked to a problem yet
    t.link(LinkKind.PROBLEM, "PRB-1", at=clock(), actor=PM)
    t.resolve(FIXED, at=clock(), actor=PM)


def test_outsiders_may_do_nothing_and_system_everything(clock: Clock) -> None:
    t = at_l1(clock)
    policy = DefaultPermissions()
    for trigger in Trigger:
        assert not policy.permits(OUTSIDER, trigger, t)
        assert policy.permits(SYSTEM, trigger, t)


def test_custom_policy_is_used() -> None:
    @attrs.frozen
    class SupervisorsOnly:
        def permits(self, actor: Actor, trigger: Trigger, ticket: TicketFacts) -> bool:
            return actor.has_role(Role.SUPERVISOR)

    clock = Clock()
    cfg = WorkflowConfig(permissions=SupervisorsOnly())
    t = open_ticket(clock, cfg)
    with pytest.raises(NotPermitted):
        t.assign(DESK, at=clock(), actor=ANN)
    t.assign(DESK, at=clock(), actor=Actor("sue", roles={Role.SUPERVISOR}))
