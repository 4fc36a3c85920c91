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

from itil_l2._core.public import expose
from itil_l2.testing._change_machine import ChangeWorkflowMachine
from itil_l2.testing._changes import (
    CHANGE_GROUPS,
    ChangeModel,
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
from itil_l2.testing._common import assert_same, snapshot
from itil_l2.testing._facts_checks import FactsChecks
from itil_l2.testing._knowledge import (
    article_snapshot,
    example_article,
    example_printer_ticket,
    example_training_session,
    expected_article_move,
    expected_permission,
    knowledge_articles,
    training_sessions,
)
from itil_l2.testing._knowledge_machine import KnowledgeLifecycleMachine
from itil_l2.testing._problem_machine import ProblemWorkflowMachine
from itil_l2.testing._problems import (
    PROBLEM_TEAM,
    ShadowProblem,
    assert_same_problem,
    example_known_error,
    example_problem,
    expected_problem_phase,
    rca_analyses,
    rca_records,
)
from itil_l2.testing._storage import NASTY, StoreContract
from itil_l2.testing._ticket_machine import TicketWorkflowMachine, assert_same_ticket, expected_move
from itil_l2.testing._tickets import (
    DEFAULT_GROUPS,
    Move,
    actors,
    aware_datetimes,
    draw_move,
    example_ticket,
    handovers,
    hold_reasons,
    l3_targets,
    resolutions,
    support_groups,
    tickets,
)

# One list, by concept; the private modules define the names, this face exports them.
__all__ = [
    # every entity kind
    "assert_same",
    "snapshot",
    # tickets
    "DEFAULT_GROUPS",
    "Move",
    "TicketWorkflowMachine",
    "actors",
    "assert_same_ticket",
    "aware_datetimes",
    "draw_move",
    "example_ticket",
    "expected_move",
    "handovers",
    "hold_reasons",
    "l3_targets",
    "resolutions",
    "support_groups",
    "tickets",
    # problems
    "PROBLEM_TEAM",
    "ProblemWorkflowMachine",
    "ShadowProblem",
    "assert_same_problem",
    "example_known_error",
    "example_problem",
    "expected_problem_phase",
    "rca_analyses",
    "rca_records",
    # changes
    "CHANGE_GROUPS",
    "ChangeModel",
    "ChangeWorkflowMachine",
    "assert_same_change",
    "change_requests",
    "change_snapshot",
    "draw_change_kwargs",
    "expected_change",
    "observe_change",
    # knowledge
    "KnowledgeLifecycleMachine",
    "article_snapshot",
    "example_article",
    "example_printer_ticket",
    "example_training_session",
    "expected_article_move",
    "expected_permission",
    "knowledge_articles",
    "training_sessions",
    # cmdb
    "ci_attributes",
    "ci_nodes",
    "ci_refs",
    "cmdb_graphs",
    "configuration_items",
    "json_values",
    "propagating_kinds",
    "relation_kinds",
    # storage
    "FactsChecks",
    "NASTY",
    "StoreContract",
]

expose(__name__, globals(), __all__)
