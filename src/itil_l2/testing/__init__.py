"""Test helpers for hosts: hypothesis strategies and the stateful workflow test.

Needs the `testing` extra (`pip install itil-l2[testing]`).

>>> from hypothesis import given
>>> from itil_l2.testing import tickets
>>> @given(tickets())
... def test_versions_count_events(ticket):
...     assert ticket.version == len(ticket.history)
>>> test_versions_count_events()
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itil_l2._core.actor import SYSTEM
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.public import expose
from itil_l2.testing._aggregates import (
    example_known_error,
    example_problem,
    example_training_session,
)
from itil_l2.testing._change import (
    CHANGE_GROUPS,
    ChangeModel,
    ChangeWorkflowMachine,
    assert_same_change,
    change_requests,
    change_snapshot,
    draw_change_kwargs,
    expected_change,
    observe_change,
)
from itil_l2.testing._cmdb import (
    ci_attributes,
    ci_nodes,
    ci_refs,
    cmdb_graphs,
    configuration_items,
    json_values,
    propagating_kinds,
    relation_kinds,
)
from itil_l2.testing._contract import NASTY, StoreContract
from itil_l2.testing._knowledge import (
    KnowledgeLifecycleMachine,
    article_snapshot,
    example_article,
    example_printer_ticket,
    expected_article_move,
    expected_permission,
    knowledge_articles,
    training_sessions,
)
from itil_l2.testing._moves import DEFAULT_GROUPS, Move, draw_move
from itil_l2.testing._oracle import expected_move
from itil_l2.testing._problem import ProblemWorkflowMachine
from itil_l2.testing._problem_strategies import (
    PROBLEM_TEAM,
    ShadowProblem,
    assert_same_problem,
    expected_problem_phase,
    rca_analyses,
    rca_records,
)
from itil_l2.testing._stateful import TicketWorkflowMachine, assert_same_ticket, snapshot
from itil_l2.testing._strategies import (
    actors,
    aware_datetimes,
    handovers,
    hold_reasons,
    l3_targets,
    resolutions,
    support_groups,
    tickets,
)
from itil_l2.tickets._ticket import Ticket

__all__ = [
    "NASTY",
    "StoreContract",
    "example_known_error",
    "example_problem",
    "example_training_session",
    "KnowledgeLifecycleMachine",
    "article_snapshot",
    "example_article",
    "example_printer_ticket",
    "expected_article_move",
    "expected_permission",
    "knowledge_articles",
    "training_sessions",
    "CHANGE_GROUPS",
    "ChangeModel",
    "ChangeWorkflowMachine",
    "assert_same_change",
    "change_requests",
    "change_snapshot",
    "draw_change_kwargs",
    "expected_change",
    "observe_change",
    "PROBLEM_TEAM",
    "ProblemWorkflowMachine",
    "ShadowProblem",
    "assert_same_problem",
    "expected_problem_phase",
    "rca_analyses",
    "rca_records",
    "DEFAULT_GROUPS",
    "Move",
    "TicketWorkflowMachine",
    "actors",
    "ci_attributes",
    "ci_nodes",
    "ci_refs",
    "cmdb_graphs",
    "configuration_items",
    "json_values",
    "propagating_kinds",
    "relation_kinds",
    "assert_same_ticket",
    "aware_datetimes",
    "draw_move",
    "example_ticket",
    "expected_move",
    "handovers",
    "hold_reasons",
    "l3_targets",
    "resolutions",
    "snapshot",
    "support_groups",
    "tickets",
]


def example_ticket() -> Ticket:
    """A small fixed ticket (opened, assigned at L1, started), for examples and smoke tests."""
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    desk = DEFAULT_GROUPS[0]
    ticket = Ticket.open(
        id="INC-EXAMPLE",
        title="Printer on floor 3 jams",
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=desk,
        at=t0,
        actor=SYSTEM,
    )
    ticket.assign(desk, at=t0 + timedelta(minutes=1), actor=SYSTEM)
    ticket.start(at=t0 + timedelta(minutes=5), actor=SYSTEM)
    return ticket


expose(__name__, globals(), __all__)
