"""Stateful and property tests of the problem workflow, against an independent oracle."""

from __future__ import annotations

import itertools
import os
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings

from itil_l2 import ItilL2Error, ProblemConfig
from itil_l2.problems import WORKFLOW, ProblemPhase, ProblemTrigger
from itil_l2.problems.rca import RcaRecord, RcaStatus
from itil_l2.testing import ProblemWorkflowMachine, expected_problem_phase, rca_records

EXAMPLES = int(os.environ.get("ITIL_L2_STATEFUL_EXAMPLES", "500"))
_SETTINGS = settings(
    max_examples=max(EXAMPLES // 4, 25),
    stateful_step_count=40,
    deadline=None,
    # Swarm testing plus rule preconditions can discard many early cases: not a bug.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class DefaultProblemWorkflow(ProblemWorkflowMachine):
    """The default configuration."""


class FixWithoutRootCause(ProblemWorkflowMachine):
    """A fix may start before the root cause is stated."""

    config = ProblemConfig(fix_needs_root_cause=False)


TestDefaultProblemWorkflow = DefaultProblemWorkflow.TestCase
TestDefaultProblemWorkflow.settings = _SETTINGS
TestFixWithoutRootCause = FixWithoutRootCause.TestCase
TestFixWithoutRootCause.settings = settings(_SETTINGS, max_examples=max(EXAMPLES // 20, 15))


def test_the_oracle_and_the_compiled_table_agree_everywhere() -> None:
    """Every phase, trigger and condition input: hand-written rules == transitions table."""
    flags = (False, True)
    checked = 0
    for phase, trigger, cause, complete, requires, needs in itertools.product(
        ProblemPhase, ProblemTrigger, flags, flags, flags, flags
    ):
        if trigger is ProblemTrigger.OPEN or (complete and not cause):
            continue  # open is no move; a complete RCA always states its cause
        rca = None
        if cause or complete:
            status = RcaStatus.COMPLETED if complete else RcaStatus.DRAFT
            rca = SimpleNamespace(
                root_cause="cause" if cause else None,
                is_complete=complete,
                status=status,
                missing_parts=lambda: (),
            )
        problem = SimpleNamespace(
            state=phase.value, rca=rca, config=SimpleNamespace(fix_needs_root_cause=needs)
        )
        code = SimpleNamespace(requires_rca=requires)
        payload = SimpleNamespace(resolution=SimpleNamespace(code=code))
        try:
            table: ProblemPhase | None = ProblemPhase(WORKFLOW.route(problem, trigger, payload))
        except ItilL2Error:
            table = None
        oracle = expected_problem_phase(
            phase,
            trigger,
            root_cause=cause,
            rca_complete=complete,
            requires_rca=requires,
            fix_needs_root_cause=needs,
        )
        assert table == oracle, (phase, trigger, cause, complete, requires, needs)
        checked += 1
    assert checked == 7 * 13 * 12


@settings(max_examples=100, deadline=None)
@given(rca_records(complete=True))
def test_completed_records_have_what_completion_demands(rca: RcaRecord) -> None:
    assert rca.is_complete and rca.missing_parts() == ()
    assert rca.root_cause is not None and len(rca.corrective_actions) >= 1


@settings(max_examples=100, deadline=None)
@given(rca_records(complete=False))
def test_unfinished_records_are_never_complete(rca: RcaRecord) -> None:
    assert not rca.is_complete and rca.status is not RcaStatus.COMPLETED
