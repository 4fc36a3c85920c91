"""The stateful workflow property test (built on the public base class) and friends."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2 import Phase, Ticket, Tier, WorkflowConfig
from itil_l2.testing import TicketWorkflowMachine, assert_same_ticket, tickets

EXAMPLES = int(os.environ.get("ITIL_L2_STATEFUL_EXAMPLES", "500"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class DefaultWorkflow(TicketWorkflowMachine):
    """The default configuration."""


class SkippingWorkflow(TicketWorkflowMachine):
    """Tier skipping allowed: L1→L3 escalations and L3→L1 hand-backs become legal."""

    config = WorkflowConfig(allow_tier_skip=True)


TestDefaultWorkflow = DefaultWorkflow.TestCase
TestDefaultWorkflow.settings = _SETTINGS
TestSkippingWorkflow = SkippingWorkflow.TestCase
TestSkippingWorkflow.settings = settings(_SETTINGS, max_examples=max(EXAMPLES // 5, 50))


@settings(max_examples=200, deadline=None)
@given(tickets())
def test_generated_tickets_replay_exactly(ticket: Ticket) -> None:
    assert_same_ticket(Ticket.from_history(ticket.history), ticket)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_reachable_states_cover_every_phase_and_tier(data: st.DataObject) -> None:
    ticket = data.draw(tickets(max_steps=20))
    # Every reachable ticket shows a legal (phase, tier) pair.
    assert ticket.phase in Phase
    assert ticket.tier in Tier
