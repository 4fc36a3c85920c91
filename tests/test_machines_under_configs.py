"""The shipped stateful machines follow the config they are given (issue 17, item 5).

Each machine runs under at least four legal, non-default configs, among
them the ones the issue found false failures with: a handover minimum of
80 characters, `entry_above_l1` forbidden and allowed, and a policy that
lets anyone add notes. A machine that ignored any part of its config would
report a failure here. The last tests show the machines can fail: an oracle
told a different config than the tickets, and a permissions policy that
answers the machine and the entity differently, are both caught.

The settings are modest (a few dozen examples of twenty steps), so the
whole file stays well under a minute on a busy machine.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine

from itil_l2 import Actor, ChangeConfig, ProblemConfig, Role, WorkflowConfig
from itil_l2.changes import ChangeTrigger, DefaultChangePermissions
from itil_l2.changes.events import ChangeRisk
from itil_l2.knowledge import DefaultKnowledgePermissions, KnowledgeConfig, KnowledgeTrigger
from itil_l2.problems import (
    DefaultProblemPermissions,
    ProblemResolutionCode,
    ProblemTrigger,
)
from itil_l2.testing import (
    ChangeWorkflowMachine,
    KnowledgeLifecycleMachine,
    ProblemWorkflowMachine,
    TicketWorkflowMachine,
)
from itil_l2.tickets import (
    DefaultPermissions,
    EntryPolicy,
    HoldReason,
    TicketKind,
    Trigger,
)

_SETTINGS = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    # filter_too_much: seen once in CI (9 runs kept, 50 discarded) and not reproduced with
    # its seed; a run of 20 steps of several draws each can overrun Hypothesis' buffer, which
    # it counts as filtered. Every run it keeps is checked in full.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _run(machine: type[RuleBasedStateMachine], config: Any, **extra: Any) -> None:
    """Run `machine` subclassed with `config` (and any other class attributes)."""
    subclass = type(f"Under{machine.__name__}", (machine,), {"config": config, **extra})
    case = subclass.TestCase
    case.settings = _SETTINGS
    case("runTest").runTest()


# -- host policies --------------------------------------------------------------------


class AnyoneAddsNotes:
    """The issue's policy: anyone may add a note; otherwise the default rules."""

    def permits(self, actor: Actor, trigger: Trigger, ticket: Any) -> bool:
        return trigger is Trigger.ADD_NOTE or DefaultPermissions().permits(actor, trigger, ticket)


class CallersMayNotCancel:
    """Refuses a role: the caller may not cancel, even their own ticket."""

    def permits(self, actor: Actor, trigger: Trigger, ticket: Any) -> bool:
        if trigger is Trigger.CANCEL and actor.id == ticket.caller and not actor.groups:
            return False
        return DefaultPermissions().permits(actor, trigger, ticket)


class ManagersMayNotCancel:
    """Problem managers may do everything but cancel."""

    def permits(self, actor: Actor, trigger: ProblemTrigger, problem: Any) -> bool:
        if trigger is ProblemTrigger.CANCEL and Role.PROBLEM_MANAGER in actor.roles:
            return False
        return DefaultProblemPermissions().permits(actor, trigger, problem)


class AnyoneNotesProblems:
    def permits(self, actor: Actor, trigger: ProblemTrigger, problem: Any) -> bool:
        notes = trigger is ProblemTrigger.ADD_NOTE
        return notes or DefaultProblemPermissions().permits(actor, trigger, problem)


class RequesterMayNotCancel:
    def permits(self, actor: Actor, trigger: ChangeTrigger, change: Any) -> bool:
        if trigger is ChangeTrigger.CANCEL and actor.id == change.requested_by:
            return False
        return DefaultChangePermissions().permits(actor, trigger, change)


class AnyoneLinksChanges:
    def permits(self, actor: Actor, trigger: ChangeTrigger, change: Any) -> bool:
        linking = trigger is ChangeTrigger.LINK
        return linking or DefaultChangePermissions().permits(actor, trigger, change)


class AuthorsMayNotArchive:
    def permits(self, actor: Actor, trigger: KnowledgeTrigger, article: Any) -> bool:
        if trigger is KnowledgeTrigger.ARCHIVE and actor.id == article.author:
            return False
        return DefaultKnowledgePermissions().permits(actor, trigger, article)


# -- tickets --------------------------------------------------------------------------

TICKET_CONFIGS = {
    "handover minimum 80": WorkflowConfig(handover_min_description=80),
    "entry above L1 forbidden": WorkflowConfig(entry_above_l1=EntryPolicy.FORBIDDEN),
    "entry above L1 allowed": WorkflowConfig(entry_above_l1=EntryPolicy.ALLOWED),
    "anyone may add notes": WorkflowConfig(permissions=AnyoneAddsNotes()),
    "callers may not cancel, 400-character handovers, no hold reasons": WorkflowConfig(
        permissions=CallersMayNotCancel(), handover_min_description=400, hold_reasons=()
    ),
    "skips, no minimum, quick auto-close, one hold reason": WorkflowConfig(
        allow_tier_skip=True,
        handover_min_description=0,
        auto_close_after=timedelta(hours=1),
        hold_reasons=(HoldReason.AWAITING_VENDOR,),
    ),
}


@pytest.mark.parametrize("name", sorted(TICKET_CONFIGS))
def test_ticket_machine_follows_its_config(name: str) -> None:
    _run(TicketWorkflowMachine, TICKET_CONFIGS[name])


# -- problems -------------------------------------------------------------------------

PROBLEM_CONFIGS = {
    "close without RCA, fix without root cause": ProblemConfig(
        allow_close_without_rca=True, fix_needs_root_cause=False
    ),
    "own awaiting reason, requests link too": ProblemConfig(
        awaiting_reason=HoldReason("awaiting_rca_board"),
        linkable_kinds={TicketKind.INCIDENT, TicketKind.SERVICE_REQUEST},
    ),
    "managers may not cancel, supervisors resolve incidents": ProblemConfig(
        permissions=ManagersMayNotCancel(), incident_resolver_role=Role.SUPERVISOR
    ),
    "anyone may add notes, one resolution code": ProblemConfig(
        permissions=AnyoneNotesProblems(),
        resolution_codes=(ProblemResolutionCode.RISK_ACCEPTED,),
    ),
}


@pytest.mark.parametrize("name", sorted(PROBLEM_CONFIGS))
def test_problem_machine_follows_its_config(name: str) -> None:
    _run(ProblemWorkflowMachine, PROBLEM_CONFIGS[name])


def test_problem_machine_follows_the_incidents_config() -> None:
    tickets = WorkflowConfig(
        permissions=AnyoneAddsNotes(), hold_reasons=(HoldReason.AWAITING_VENDOR,)
    )
    _run(ProblemWorkflowMachine, ProblemConfig(), ticket_config=tickets)


# -- changes --------------------------------------------------------------------------

CHANGE_CONFIGS = {
    "quorum of three, CAB for high risk only, own role names": ChangeConfig(
        cab_quorum=3,
        cab_risks={ChangeRisk.HIGH},
        cab_role="board",
        group_manager_role="lead",
        change_manager_role="cm",
    ),
    "standard at moderate risk, no CAB": ChangeConfig(
        standard_risks={ChangeRisk.LOW, ChangeRisk.MODERATE}, cab_risks=set()
    ),
    "requester may not cancel": ChangeConfig(permissions=RequesterMayNotCancel()),
    "anyone may link": ChangeConfig(permissions=AnyoneLinksChanges()),
}


@pytest.mark.parametrize("name", sorted(CHANGE_CONFIGS))
def test_change_machine_follows_its_config(name: str) -> None:
    _run(ChangeWorkflowMachine, CHANGE_CONFIGS[name])


# -- knowledge ------------------------------------------------------------------------

KNOWLEDGE_CONFIGS = {
    "three steps, no scope needed": KnowledgeConfig(min_resolution_steps=3, require_scope=False),
    "no steps needed, self-validation": KnowledgeConfig(
        min_resolution_steps=0, allow_self_validation=True
    ),
    "a publisher group": KnowledgeConfig(
        permissions=DefaultKnowledgePermissions(publisher_groups={"kb-publishers"})
    ),
    "authors may not archive": KnowledgeConfig(permissions=AuthorsMayNotArchive()),
}


@pytest.mark.parametrize("name", sorted(KNOWLEDGE_CONFIGS))
def test_knowledge_machine_follows_its_config(name: str) -> None:
    _run(KnowledgeLifecycleMachine, KNOWLEDGE_CONFIGS[name])


# -- the machines can fail ------------------------------------------------------------

_HUNT = {"max_examples": 200, "phases": [Phase.generate], "database": None, "derandomize": True}
"""Find a failure, do not shrink it: these tests only need to see the machine fail.

Derandomized: a hunt that finds the failure finds it on every run (a random
one missed it once in 100 runs of 20 steps, a flaky red CI).
"""


def _fails(machine: type[RuleBasedStateMachine], config: Any, **extra: Any) -> None:
    subclass = type(f"Broken{machine.__name__}", (machine,), {"config": config, **extra})
    case = subclass.TestCase
    case.settings = settings(_SETTINGS, **_HUNT)
    with pytest.raises(AssertionError):
        case("runTest").runTest()


def test_an_oracle_told_the_default_config_fails_on_a_handover_minimum_of_80() -> None:
    # The false failure, now a true one: the oracle believes 30
    # characters suffice, the tickets ask for 80.
    _fails(
        TicketWorkflowMachine,
        WorkflowConfig(handover_min_description=80),
        oracle_config=WorkflowConfig(),
    )


def test_an_oracle_told_another_entry_policy_fails() -> None:
    _fails(
        TicketWorkflowMachine,
        WorkflowConfig(entry_above_l1=EntryPolicy.FORBIDDEN),
        oracle_config=WorkflowConfig(entry_above_l1=EntryPolicy.ALLOWED),
    )


class TwoFaced:
    """Answers every question about `trigger` the opposite way to the one before.

    The machine asks before it fires and the entity asks while firing, so
    they get different answers: a machine that really consults the policy
    and checks the outcome must notice.
    """

    def __init__(self, default: Any, trigger: str) -> None:
        self.default, self.trigger, self.calls = default, trigger, 0

    def reset(self) -> None:
        """Start over (each run of the machine), so hypothesis can replay a run exactly."""
        self.calls = 0

    def permits(self, actor: Actor, trigger: Any, entity: Any) -> bool:
        if trigger != self.trigger:
            return bool(self.default.permits(actor, trigger, entity))
        self.calls += 1
        return self.calls % 2 == 0


@pytest.mark.parametrize(
    ("machine", "config"),
    [
        (TicketWorkflowMachine, lambda p: WorkflowConfig(permissions=p)),
        (ProblemWorkflowMachine, lambda p: ProblemConfig(permissions=p)),
        (ChangeWorkflowMachine, lambda p: ChangeConfig(permissions=p)),
        (KnowledgeLifecycleMachine, lambda p: KnowledgeConfig(permissions=p)),
    ],
    ids=["tickets", "problems", "changes", "knowledge"],
)
def test_a_policy_answering_machine_and_entity_differently_is_caught(
    machine: type[RuleBasedStateMachine], config: Any
) -> None:
    defaults = {
        TicketWorkflowMachine: (DefaultPermissions(), "add_note"),
        ProblemWorkflowMachine: (DefaultProblemPermissions(), "add_note"),
        ChangeWorkflowMachine: (DefaultChangePermissions(), "link"),
        KnowledgeLifecycleMachine: (DefaultKnowledgePermissions(), "rate"),
    }
    default, trigger = defaults[machine]
    policy = TwoFaced(default, trigger)

    def fresh_start(self: Any) -> None:
        policy.reset()
        machine.__init__(self)

    _fails(machine, config(policy), __init__=fresh_start)
