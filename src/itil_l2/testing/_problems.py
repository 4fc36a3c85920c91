"""Problem helpers: RCA strategies, an independent oracle of the workflow, examples.

`expected_problem_phase` states the workflow as plain if/else, written from
the issue's table and not from the transitions definition, so the two can
check each other; `ShadowProblem` is the oracle's own memory of a problem.
`ProblemWorkflowMachine` uses both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.actor import Actor, Role
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.problems import (
    AffectedProduct,
    KnownError,
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
from itil_l2.testing._common import T1, Draw, assert_same

PROBLEM_TEAM = SupportGroup("problem-team", Tier.L2)
"""The group the machine's problems are assigned to."""
PROBLEM_MANAGER = Actor("pat", roles={Role.PROBLEM_MANAGER})
"""The problem manager the examples and the stateful test act as."""
TEXTS = st.sampled_from(["disk full", "listener crashed", "cert expired", "patch 19.3 missing"])
"""Short texts for causes, findings and workarounds."""

# -- strategies ---------------------------------------------------------------------


def _actions(min_size: int) -> st.SearchStrategy[list[RcaAction]]:
    one = st.builds(
        RcaAction,
        TEXTS,
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
        whys = draw(st.lists(st.builds(Why, TEXTS, TEXTS), min_size=1, max_size=5))
        return FiveWhys(whys, draw(TEXTS) if done else None)
    if method == "ishikawa":
        causes = draw(st.lists(TEXTS, min_size=1 if done else 0, max_size=3))
        return Ishikawa.from_mapping("orders fail", {"process": causes if done else []})
    if method == "kt":
        dims = draw(st.lists(st.sampled_from(KtDimension), min_size=1, max_size=4, unique=True))
        spec = [SpecItem(d, f"{d} is it?", "db-prod-3", "db-prod-1") for d in dims]
        tests = [CauseTest(d, done or d is not dims[0]) for d in dims]
        return KepnerTregoe(spec, [PossibleCause("log volume full", tests)])
    if method == "timeline":
        entries = [TimelineEntry(T1, "alert fired", "monitoring")] if done else []
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
        findings=draw(st.lists(TEXTS, max_size=2)),
        root_cause=draw(TEXTS) if done else draw(st.none() | TEXTS),
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
    assert_same(actual, expected)


# -- moves ----------------------------------------------------------------------------

_PREFERENCE = (
    _T.ASSESS,
    _T.START_ANALYSIS,
    _T.RECORD_RCA,
    _T.LINK_INCIDENT,
    _T.PUBLISH_WORKAROUND,
    _T.START_FIX,
    _T.RAISE_KNOWN_ERROR,
    _T.RESOLVE,
    _T.REANALYZE,
    _T.ASSIGN,
    _T.ADD_NOTE,
    _T.CLOSE,
    _T.CANCEL,
)
# Walks should get deep (RCA, links, fixes, resolutions) before a cancel ends them;
# hypothesis favours early entries, so progress comes first.
_WEIGHTS = {_T.RECORD_RCA: 3, _T.LINK_INCIDENT: 4, _T.START_FIX: 2, _T.RESOLVE: 2, _T.CANCEL: 0}
_WEIGHTED = tuple(t for t in _PREFERENCE for _ in range(_WEIGHTS.get(t, 1)))
_PROGRESS = {
    _P.NEW: _T.ASSESS,
    _P.ASSESS: _T.START_ANALYSIS,
    _P.ROOT_CAUSE_ANALYSIS: _T.START_FIX,
    _P.FIX_IN_PROGRESS: _T.RESOLVE,
    _P.RESOLVED: _T.CLOSE,
}
_OTHER_TEAM = SupportGroup("network-l2", Tier.L2, {"network"})


def draw_problem_trigger(
    draw: Draw, problem: Problem, shadow: ShadowProblem, *, unlinked: bool, linkable: bool
) -> tuple[ProblemTrigger, bool]:
    """A trigger: the next step forward, one the workflow allows here, or any at all.

    Also says whether it is the step forward. `unlinked`: some ticket belongs
    to no problem yet; `linkable`: there is a ticket to link at all.
    """
    mode = draw(st.sampled_from(["progress", "allowed", "allowed", "any"]))
    rca = shadow.rca
    if mode == "progress" and shadow.phase in _PROGRESS:
        trigger = _PROGRESS[shadow.phase]
        if shadow.phase.is_open and unlinked:
            trigger = _T.LINK_INCIDENT
        if trigger is _T.START_FIX and (rca is None or rca.root_cause is None):
            trigger = _T.RECORD_RCA
        if trigger is _T.RESOLVE and (rca is None or rca.status is not RcaStatus.COMPLETED):
            trigger = _T.RECORD_RCA
        return trigger, True
    allowed = [t for t in _WEIGHTED if t in problem.allowed_triggers()]
    pool = allowed if mode == "allowed" and allowed else list(_PREFERENCE)
    trigger = draw(st.sampled_from(pool))
    if trigger is _T.LINK_INCIDENT and not linkable:
        trigger = _T.ADD_NOTE
    return trigger, False


def draw_problem_arguments(
    draw: Draw,
    problem: Problem,
    shadow: ShadowProblem,
    trigger: ProblemTrigger,
    ok: bool,
    *,
    progress: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Keyword arguments for `trigger` (bad ones unless `ok`), and whether they are valid now.

    Not for `link_incident` and `resolve`, whose arguments name the tickets.
    """
    if trigger is _T.ASSIGN:
        group = draw(st.sampled_from([PROBLEM_TEAM, _OTHER_TEAM]))
        who = draw(st.sampled_from([None, "pia"]))
        return {"group": group, "assignee": who}, (group, who) != (shadow.group, shadow.assignee)
    if trigger in (_T.ASSESS, _T.START_ANALYSIS, _T.CLOSE):
        return {}, True
    if trigger is _T.START_FIX:
        return {"change_ref": draw(st.sampled_from([None, "CHG-1"]))}, True
    if trigger is _T.RECORD_RCA:
        if not ok:
            return {"rca": "not an RCA"}, False
        rca = draw(rca_records(complete=True if progress else None))
        if not draw(st.booleans()):  # hypothesis likes repeating its last draw
            rca = attrs.evolve(rca, findings=(*rca.findings, f"step {problem.version}"))
        return {"rca": rca}, rca != shadow.rca
    if trigger is _T.PUBLISH_WORKAROUND:
        text = draw(TEXTS) if ok else " "
        return {"text": text}, ok and text != shadow.workaround
    if trigger in (_T.ADD_NOTE, _T.REANALYZE, _T.CANCEL):
        name = "text" if trigger is _T.ADD_NOTE else "reason"
        return {name: "seen again" if ok else ""}, ok
    assert trigger is _T.RAISE_KNOWN_ERROR, trigger
    known = shadow.rca
    ready = known is not None and known.root_cause is not None and bool(shadow.workaround)
    return {"id": f"KE-{problem.id}" if ok else ""}, ok and ready and not shadow.known_error


# -- examples -------------------------------------------------------------------------

_TEAM = SupportGroup("problem-team", Tier.L2, {"database"})
"""The examples' problem team, here with its database specialty."""


def _clock() -> Iterator[datetime]:
    moment = T1
    while True:
        moment += timedelta(minutes=7)
        yield moment


def example_problem(id: str = "PRB-EXAMPLE", *, statement: str | None = None) -> Problem:
    """A problem analysed with five whys, an RCA record and a known error raised from it."""
    clock = _clock()
    problem = Problem.open(
        id=id,
        statement=statement or "Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.LOW,
        group=_TEAM,
        ci_refs=["db-prod-3"],
        category="database",
        at=next(clock),
        actor=PROBLEM_MANAGER,
    )
    problem.assess(at=next(clock), actor=PROBLEM_MANAGER)
    problem.assign(_TEAM, at=next(clock), actor=PROBLEM_MANAGER, assignee="bob")
    problem.start_analysis(at=next(clock), actor=PROBLEM_MANAGER)
    rca = RcaRecord(
        FiveWhys([Why("Why did orders fail?", "listener down")], "logs never rotated"),
        findings=["volume fills at 02:00"],
        root_cause="logs never rotated",
        evidence=[Evidence(EvidenceKind.MONITORING, "zabbix:88121", "100% at 02:03")],
        corrective_actions=[RcaAction("rotate logs", "bob", date(2026, 4, 1), ref="CHG-9")],
        status=RcaStatus.COMPLETED,
    )
    problem.record_rca(rca, at=next(clock), actor=PROBLEM_MANAGER)
    problem.publish_workaround(
        "clear old logs, restart the listener", at=next(clock), actor=PROBLEM_MANAGER
    )
    problem.raise_known_error(
        f"KE-{id}", at=next(clock), actor=PROBLEM_MANAGER, error_code="ORA-12541"
    )
    return problem


def example_known_error(id: str = "KE-EXAMPLE", *, title: str | None = None) -> KnownError:
    """A known error record as a KEDB holds it."""
    return KnownError(
        id=id,
        problem_id="PRB-EXAMPLE",
        title=title or "Listener stops when the log volume is full",
        symptom="ORA-12541 for every user of the order app",
        root_cause="logs never rotated",
        workaround="clear old logs, restart the listener",
        error_code="ORA-12541",
        category="database",
        ci_refs=("db-prod-3",),
        products=(AffectedProduct("Oracle Database", "Oracle", ("19.3",)),),
    )
