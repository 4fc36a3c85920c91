"""The problem workflow, defined once with transitions and compiled for speed.

The phases follow ServiceNow's problem states: new → assess → root cause
analysis → fix in progress → resolved → closed, and cancelled for problems
that turn out to be no problem at all. A duplicate is not a phase of its own
but a resolution (ServiceNow's "Mark Duplicate" resolves with the code
`duplicate`), so a duplicate is closed like any resolved problem.

Two rules are conditions on the definition, so the diagram shows them:
starting the fix needs a stated root cause (`root_cause_known`, switchable
in `ProblemConfig`), and resolving needs a complete RCA unless the
resolution code waives it, as `risk_accepted` and `duplicate` do
(`rca_settled`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from itil_l2._core.workflow import Lifecycle, Workflow
from itil_l2.problems.rca import RcaIncomplete

__all__ = ["WORKFLOW", "ProblemPhase", "ProblemTrigger"]


class ProblemPhase(Lifecycle):
    """Where a problem is in its life (ServiceNow's problem states)."""

    NEW = "new"
    ASSESS = "assess"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis"
    FIX_IN_PROGRESS = "fix_in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ProblemTrigger(StrEnum):
    """Every problem trigger; the problem permissions policy is asked about these."""

    OPEN = "open"
    ASSIGN = "assign"
    ASSESS = "assess"
    START_ANALYSIS = "start_analysis"
    RECORD_RCA = "record_rca"
    START_FIX = "start_fix"
    PUBLISH_WORKAROUND = "publish_workaround"
    LINK_INCIDENT = "link_incident"
    RAISE_KNOWN_ERROR = "raise_known_error"
    ADD_NOTE = "add_note"
    RESOLVE = "resolve"
    REANALYZE = "reanalyze"
    CLOSE = "close"
    CANCEL = "cancel"


def root_cause_known(problem: Any, _payload: Any) -> bool:
    """The RCA states a root cause, or the config lets a fix start without one."""
    if not problem.config.fix_needs_root_cause:
        return True
    rca = problem.rca
    return rca is not None and rca.root_cause is not None


def rca_settled(problem: Any, payload: Any) -> bool:
    """The resolution code waives the RCA, or the problem's RCA is complete."""
    if not payload.resolution.code.requires_rca:
        return True
    rca = problem.rca
    return rca is not None and bool(rca.is_complete)


_P = ProblemPhase
_OPEN = [p.value for p in (_P.NEW, _P.ASSESS, _P.ROOT_CAUSE_ANALYSIS, _P.FIX_IN_PROGRESS)]
_WORKING = [_P.ASSESS.value, _P.ROOT_CAUSE_ANALYSIS.value, _P.FIX_IN_PROGRESS.value]
_LIVE = [*_OPEN, _P.RESOLVED.value]


_t = Workflow.transition


TRANSITIONS: list[dict[str, Any]] = [
    _t(ProblemTrigger.ASSESS, "new", "assess"),
    _t(ProblemTrigger.START_ANALYSIS, "assess", "root_cause_analysis"),
    _t(ProblemTrigger.START_FIX, "root_cause_analysis", "fix_in_progress", root_cause_known),
    _t(ProblemTrigger.RESOLVE, _OPEN, "resolved", rca_settled),
    _t(ProblemTrigger.REANALYZE, ["fix_in_progress", "resolved"], "root_cause_analysis"),
    _t(ProblemTrigger.CLOSE, "resolved", "closed"),
    _t(ProblemTrigger.CANCEL, _OPEN, "cancelled"),
    _t(ProblemTrigger.ASSIGN, _OPEN, None),
    _t(ProblemTrigger.RECORD_RCA, _WORKING, None),
    _t(ProblemTrigger.RAISE_KNOWN_ERROR, [*_WORKING, "resolved"], None),
    _t(ProblemTrigger.PUBLISH_WORKAROUND, _LIVE, None),
    _t(ProblemTrigger.LINK_INCIDENT, _LIVE, None),
    _t(ProblemTrigger.ADD_NOTE, _LIVE, None),
]


def _diagnose(problem: Any, trigger: Any, _payload: Any) -> Exception:
    """Explain why no candidate's conditions held (error path only)."""
    rca = problem.rca
    if trigger is ProblemTrigger.START_FIX:
        return RcaIncomplete(("root cause statement",), "starting the fix")
    if rca is None:
        missing: tuple[str, ...] = ("an RCA record",)
    else:
        missing = rca.missing_parts() or (f"status completed (the RCA is {rca.status})",)
    return RcaIncomplete(missing, "resolving with a code that requires an RCA")


WORKFLOW: Workflow[ProblemTrigger] = Workflow(
    "problem",
    ProblemTrigger,
    states=[p.value for p in ProblemPhase],
    transitions=TRANSITIONS,
    initial=ProblemPhase.NEW.value,
    title="Problem workflow (ServiceNow problem states)",
    diagnose=_diagnose,
)
"""The problem workflow: one shared machine, compiled; routing, refusals and diagram."""
