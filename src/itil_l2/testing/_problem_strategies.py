"""Problem test helpers: RCA strategies and an independent oracle of the problem workflow.

`expected_problem_phase` states the workflow as plain if/else, written from
the issue's table and not from the transitions definition, so the two can
check each other; `ShadowProblem` is the oracle's own memory of a problem.
`ProblemWorkflowMachine` uses both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.problems import (
    Problem,
    ProblemConfig,
    ProblemPhase,
    ProblemResolutionCode,
    ProblemTrigger,
)
from itil_l2.problems.rca import (
    Analysis,
    CauseTest,
    CustomAnalysis,
    CustomSection,
    Evidence,
    EvidenceKind,
    FaultGate,
    FaultNode,
    FaultTree,
    FiveWhys,
    Ishikawa,
    KepnerTregoe,
    KtDimension,
    PossibleCause,
    RcaAction,
    RcaRecord,
    RcaStatus,
    SpecItem,
    Timeline,
    TimelineEntry,
    Why,
)
from itil_l2.testing._stateful import snapshot

__all__ = [
    "PROBLEM_TEAM",
    "ShadowProblem",
    "assert_same_problem",
    "expected_problem_phase",
    "rca_analyses",
    "rca_records",
]

PROBLEM_TEAM = SupportGroup("problem-team", Tier.L2)
"""The group the machine's problems are assigned to."""
_T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
_TEXT = st.sampled_from(["disk full", "listener crashed", "cert expired", "patch 19.3 missing"])

# -- strategies ---------------------------------------------------------------------


def _actions(min_size: int) -> st.SearchStrategy[list[RcaAction]]:
    one = st.builds(
        RcaAction,
        _TEXT,
        st.sampled_from(["bob", "nina"]),
        st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        st.booleans(),
    )
    return st.lists(one, min_size=min_size, max_size=2)


@st.composite
def rca_analyses(draw: st.DrawFn, *, concluded: bool | None = None) -> Analysis:
    """One analysis of any method; `concluded=True` ones have no missing parts."""
    done = draw(st.booleans()) if concluded is None else concluded
    method = draw(st.sampled_from(["five_whys", "ishikawa", "kt", "timeline", "tree", "custom"]))
    if method == "five_whys":
        whys = draw(st.lists(st.builds(Why, _TEXT, _TEXT), min_size=1, max_size=5))
        return FiveWhys(whys, draw(_TEXT) if done else None)
    if method == "ishikawa":
        causes = draw(st.lists(_TEXT, min_size=1 if done else 0, max_size=3))
        return Ishikawa.from_mapping("orders fail", {"process": causes if done else []})
    if method == "kt":
        dims = draw(st.lists(st.sampled_from(KtDimension), min_size=1, max_size=4, unique=True))
        spec = [SpecItem(d, f"{d} is it?", "db-prod-3", "db-prod-1") for d in dims]
        tests = [CauseTest(d, done or d is not dims[0]) for d in dims]
        return KepnerTregoe(spec, [PossibleCause("log volume full", tests)])
    if method == "timeline":
        entries = [TimelineEntry(_T0, "alert fired", "monitoring")] if done else []
        return Timeline(entries)
    if method == "tree":
        leaves = (FaultNode("volume full", confirmed=done), FaultNode("no rotation"))
        return FaultTree(FaultNode("listener down", FaultGate.OR, leaves))
    return CustomAnalysis("change_review", [CustomSection("changes", ["CHG-7"] if done else [])])


@st.composite
def rca_records(draw: st.DrawFn, *, complete: bool | None = None) -> RcaRecord:
    """RCA records; `complete=True` gives completed ones, `False` never-completed ones."""
    done = draw(st.booleans()) if complete is None else complete
    return RcaRecord(
        draw(rca_analyses(concluded=True if done else None)),
        findings=draw(st.lists(_TEXT, max_size=2)),
        root_cause=draw(_TEXT) if done else draw(st.none() | _TEXT),
        evidence=[Evidence(EvidenceKind.TICKET, "INC-1")],
        corrective_actions=draw(_actions(1 if done else 0)),
        preventive_actions=draw(_actions(0)),
        status=RcaStatus.COMPLETED if done else draw(st.sampled_from(list(RcaStatus)[:2])),
    )


# -- the oracle ----------------------------------------------------------------------

_P, _T = ProblemPhase, ProblemTrigger


def expected_problem_phase(
    phase: ProblemPhase,
    trigger: ProblemTrigger,
    *,
    root_cause: bool = False,
    rca_complete: bool = False,
    requires_rca: bool = True,
    fix_needs_root_cause: bool = True,
) -> ProblemPhase | None:
    """The phase a trigger leads to, or None when the workflow forbids it.

    Written as plain if/else from the issue's table, not from the
    transitions definition. Payload checks and permissions are not its business.
    """
    if phase in (_P.CLOSED, _P.CANCELLED):
        return None
    is_open = phase in (_P.NEW, _P.ASSESS, _P.ROOT_CAUSE_ANALYSIS, _P.FIX_IN_PROGRESS)
    working = phase in (_P.ASSESS, _P.ROOT_CAUSE_ANALYSIS, _P.FIX_IN_PROGRESS)
    if trigger in (_T.ADD_NOTE, _T.LINK_INCIDENT, _T.PUBLISH_WORKAROUND):
        return phase
    if trigger is _T.RAISE_KNOWN_ERROR:
        return phase if working or phase is _P.RESOLVED else None
    if trigger is _T.RECORD_RCA:
        return phase if working else None
    if trigger is _T.ASSIGN:
        return phase if is_open else None
    if trigger is _T.CANCEL:
        return _P.CANCELLED if is_open else None
    if trigger is _T.RESOLVE:
        return _P.RESOLVED if is_open and (rca_complete or not requires_rca) else None
    if trigger is _T.REANALYZE:
        return _P.ROOT_CAUSE_ANALYSIS if phase in (_P.FIX_IN_PROGRESS, _P.RESOLVED) else None
    steps = {
        (_T.ASSESS, _P.NEW): _P.ASSESS,
        (_T.START_ANALYSIS, _P.ASSESS): _P.ROOT_CAUSE_ANALYSIS,
        (_T.CLOSE, _P.RESOLVED): _P.CLOSED,
    }
    if trigger is _T.START_FIX and phase is _P.ROOT_CAUSE_ANALYSIS:
        return _P.FIX_IN_PROGRESS if root_cause or not fix_needs_root_cause else None
    return steps.get((trigger, phase))


@attrs.define
class ShadowProblem:
    """The oracle's own record of one problem, changed only by moves that succeeded."""

    phase: ProblemPhase = ProblemPhase.NEW
    group: SupportGroup | None = PROBLEM_TEAM
    assignee: str | None = None
    rca: RcaRecord | None = None
    workaround: str | None = None
    known_error: bool = False
    incidents: list[str] = attrs.Factory(list)
    code: ProblemResolutionCode | None = None

    def expected(
        self, trigger: ProblemTrigger, code: object, config: ProblemConfig
    ) -> ProblemPhase | None:
        """The phase `trigger` should lead to from here (`code`: resolve's code)."""
        rca = self.rca
        return expected_problem_phase(
            self.phase,
            trigger,
            root_cause=rca is not None and rca.root_cause is not None,
            rca_complete=rca is not None and rca.status is RcaStatus.COMPLETED,
            requires_rca=code.requires_rca if isinstance(code, ProblemResolutionCode) else True,
            fix_needs_root_cause=config.fix_needs_root_cause,
        )

    def record(self, trigger: ProblemTrigger, kwargs: dict[str, Any], phase: ProblemPhase) -> None:
        """Take in a move that succeeded with these arguments."""
        self.phase = phase
        if trigger is _T.ASSIGN:
            self.group, self.assignee = kwargs["group"], kwargs["assignee"]
        elif trigger is _T.RECORD_RCA:
            self.rca = kwargs["rca"]
        elif trigger is _T.PUBLISH_WORKAROUND:
            self.workaround = kwargs["text"]
        elif trigger is _T.RAISE_KNOWN_ERROR:
            self.known_error = True
        elif trigger is _T.LINK_INCIDENT:
            self.incidents.append(kwargs["ticket"].id)
        elif trigger is _T.RESOLVE:
            self.code = kwargs["code"]
        elif trigger is _T.REANALYZE:
            self.code = None


def assert_same_problem(actual: Problem, expected: Problem) -> None:
    """Fail, naming the first differing field, unless both problems match field by field."""
    a, e = snapshot(actual), snapshot(expected)
    for name, value in e.items():
        if name != "_persisted":
            assert a[name] == value, f"{expected.id}: {name!r} differs: {a[name]!r} != {value!r}"
