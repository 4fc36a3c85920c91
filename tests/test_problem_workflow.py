"""Every row of the problem workflow table, the RCA rule, and every way a trigger is refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs
import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    Impact,
    InvalidTransition,
    ItilL2Error,
    NotPermitted,
    Priority,
    Problem,
    ProblemConfig,
    Role,
    SupportGroup,
    Tier,
    Urgency,
    ValidationError,
)
from itil_l2.errors import EventOutOfOrder, NaiveDatetime, UnknownResolutionCode
from itil_l2.problems import ProblemPhase, ProblemResolutionCode, ProblemTrigger
from itil_l2.problems.rca import FiveWhys, RcaAction, RcaIncomplete, RcaRecord, RcaStatus, Why
from itil_l2.testing import snapshot
from support import Clock

PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
TEAM = SupportGroup("problem-team", Tier.L2)
PIA = Actor("pia", groups={"problem-team"})
OUTSIDER = Actor("mallory", groups={"marketing"})
FIX = ProblemResolutionCode.FIX_APPLIED
RISK = ProblemResolutionCode.RISK_ACCEPTED
DUP = ProblemResolutionCode.DUPLICATE
CHAIN = FiveWhys([Why("Why did orders fail?", "The listener was down")], "logs never rotated")
DONE_RCA = RcaRecord(
    CHAIN,
    root_cause="listener logs are never rotated",
    corrective_actions=[RcaAction("rotate the logs", "bob", date(2026, 4, 1))],
    status=RcaStatus.COMPLETED,
)
CAUSE_ONLY = RcaRecord(CHAIN, root_cause="listener logs are never rotated")


def open_problem(clock: Clock, config: ProblemConfig | None = None, **fields: Any) -> Problem:
    values: dict[str, Any] = {
        "id": "PRB-1",
        "statement": "Order app loses its database every night",
        "impact": Impact.HIGH,
        "urgency": Urgency.MEDIUM,
        "group": TEAM,
        "at": clock(),
        "actor": PM,
        **fields,
    }
    if config is not None:
        values["config"] = config
    return Problem.open(**values)


def in_analysis(clock: Clock, config: ProblemConfig | None = None) -> Problem:
    p = open_problem(clock, config)
    p.assess(at=clock(), actor=PM)
    p.start_analysis(at=clock(), actor=PM)
    return p


def fixing(clock: Clock) -> Problem:
    p = in_analysis(clock)
    p.record_rca(DONE_RCA, at=clock(), actor=PIA)
    p.start_fix(at=clock(), actor=PIA, change_ref="CHG-7")
    return p


def resolved(clock: Clock) -> Problem:
    p = fixing(clock)
    p.resolve(FIX, "log rotation deployed", at=clock(), actor=PM)
    return p


def refused(p: Problem, error: type[ItilL2Error], call: Any) -> ItilL2Error:
    """Run `call`, demand `error`, and demand the problem unchanged."""
    before = snapshot(p)
    with pytest.raises(error) as info:
        call()
    assert snapshot(p) == before
    return info.value


# -- the happy path, row by row ----------------------------------------------------------


def test_open_computes_priority_and_records_one_event(clock: Clock) -> None:
    p = open_problem(clock, ci_refs=["db-prod-3"], category="database")
    assert (p.phase, p.priority, p.version) == (ProblemPhase.NEW, Priority.P2, 1)
    assert p.history[0].kind == "open" and p.history[0].actor_id == "pat"
    assert (p.group, p.ci_refs, p.category, p.incident_ids) == (
        TEAM,
        ("db-prod-3",),
        "database",
        (),
    )
    assert p.rca is None and p.workaround is None and p.resolution is None


def test_the_main_line_from_new_to_closed(clock: Clock) -> None:
    p = open_problem(clock)
    seen = [p.phase]
    p.assess(at=clock(), actor=PM)
    seen.append(p.phase)
    p.start_analysis(at=clock(), actor=PIA)
    seen.append(p.phase)
    p.record_rca(DONE_RCA, at=clock(), actor=PIA)
    seen.append(p.phase)
    p.start_fix(at=clock(), actor=PIA, change_ref="CHG-7")
    seen.append(p.phase)
    at = clock()
    p.resolve(FIX, "log rotation deployed", at=at, actor=PM)
    seen.append(p.phase)
    p.close(at=clock(), actor=PM)
    seen.append(p.phase)
    assert [s.value for s in seen] == [
        "new",
        "assess",
        "root_cause_analysis",
        "root_cause_analysis",
        "fix_in_progress",
        "resolved",
        "closed",
    ]
    assert p.fix_change_ref == "CHG-7" and p.resolved_at == at
    assert p.resolution is not None and p.resolution.notes == "log rotation deployed"
    assert [e.kind for e in p.history] == [
        "open",
        "assess",
        "start_analysis",
        "record_rca",
        "start_fix",
        "resolve",
        "close",
    ]
    assert [e.version for e in p.history] == list(range(1, 8))


def test_reanalyze_from_fix_and_from_resolved(clock: Clock) -> None:
    p = fixing(clock)
    p.reanalyze("the patch did not help", at=clock(), actor=PIA)
    assert p.phase is ProblemPhase.ROOT_CAUSE_ANALYSIS
    p.start_fix(at=clock(), actor=PIA)
    p.resolve(FIX, "second patch", at=clock(), actor=PIA)
    p.reanalyze("it came back", at=clock(), actor=PM)
    assert p.phase is ProblemPhase.ROOT_CAUSE_ANALYSIS
    assert p.resolution is None and p.resolved_at is None


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
def test_cancel_from_every_open_phase(clock: Clock, steps: int) -> None:
    if steps == 3:
        p = fixing(clock)
    else:
        p = open_problem(clock)
        for trigger in ("assess", "start_analysis")[:steps]:
            getattr(p, trigger)(at=clock(), actor=PM)
    assert p.phase is list(ProblemPhase)[steps]
    p.cancel("not a problem after all", at=clock(), actor=PM)
    assert p.phase is ProblemPhase.CANCELLED and p.phase.is_final


def test_internal_triggers_keep_the_phase(clock: Clock) -> None:
    p = in_analysis(clock)
    other = SupportGroup("network-l2", Tier.L2)
    p.assign(other, at=clock(), actor=PM, assignee="nina")
    p.publish_workaround("restart the listener", at=clock(), actor=PM)
    p.add_note("seen again at 02:00", at=clock(), actor=PM)
    p.record_rca(CAUSE_ONLY, at=clock(), actor=PM)
    assert p.phase is ProblemPhase.ROOT_CAUSE_ANALYSIS
    assert (p.group, p.assignee, p.workaround, p.rca) == (
        other,
        "nina",
        "restart the listener",
        CAUSE_ONLY,
    )
    assert p.version == 7


# -- refusals: the table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "allowed_includes"),
    [
        (lambda p, at: p.start_analysis(at=at, actor=PM), "assess"),
        (lambda p, at: p.start_fix(at=at, actor=PM), "cancel"),
        (lambda p, at: p.close(at=at, actor=PM), "resolve"),
        (lambda p, at: p.reanalyze("why", at=at, actor=PM), "link_incident"),
        (lambda p, at: p.record_rca(DONE_RCA, at=at, actor=PM), "add_note"),
    ],
)
def test_illegal_moves_from_new_name_the_allowed_ones(
    clock: Clock, call: Any, allowed_includes: str
) -> None:
    p = open_problem(clock)
    error = refused(p, InvalidTransition, lambda: call(p, clock()))
    assert isinstance(error, InvalidTransition)
    assert error.phase == "new" and allowed_includes in error.allowed
    assert "start_fix" not in error.allowed and "close" not in error.allowed


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_final_problems_refuse_everything(clock: Clock, final: str) -> None:
    p = resolved(clock)
    if final == "closed":
        p.close(at=clock(), actor=PM)
    else:
        p = open_problem(clock, id="PRB-2")
        p.cancel("no problem", at=clock(), actor=PM)
    calls = [
        lambda: p.add_note("late", at=clock(), actor=PM),
        lambda: p.publish_workaround("late", at=clock(), actor=PM),
        lambda: p.assign(TEAM, at=clock(), actor=PM, assignee="x"),
        lambda: p.reanalyze("late", at=clock(), actor=PM),
        lambda: p.cancel("late", at=clock(), actor=PM),
        lambda: p.resolve(RISK, "late", at=clock(), actor=PM),
    ]
    for call in calls:
        error = refused(p, InvalidTransition, call)
        assert isinstance(error, InvalidTransition) and error.allowed == ()
    assert p.allowed_triggers() == ()


def test_allowed_triggers_per_phase(clock: Clock) -> None:
    p = open_problem(clock)
    assert ProblemTrigger.ASSESS in p.allowed_triggers()
    assert ProblemTrigger.RECORD_RCA not in p.allowed_triggers()
    p = resolved(clock)
    assert set(p.allowed_triggers()) == {
        ProblemTrigger.CLOSE,
        ProblemTrigger.REANALYZE,
        ProblemTrigger.ADD_NOTE,
        ProblemTrigger.LINK_INCIDENT,
        ProblemTrigger.PUBLISH_WORKAROUND,
        ProblemTrigger.RAISE_KNOWN_ERROR,
    }


# -- the RCA rule ------------------------------------------------------------------------


def test_fix_needs_a_stated_root_cause(clock: Clock) -> None:
    p = in_analysis(clock)
    error = refused(p, RcaIncomplete, lambda: p.start_fix(at=clock(), actor=PM))
    assert isinstance(error, RcaIncomplete) and error.missing == ("root cause statement",)
    p.record_rca(RcaRecord(CHAIN), at=clock(), actor=PM)  # no root cause yet
    refused(p, RcaIncomplete, lambda: p.start_fix(at=clock(), actor=PM))
    p.record_rca(CAUSE_ONLY, at=clock(), actor=PM)
    p.start_fix(at=clock(), actor=PM)
    assert p.phase is ProblemPhase.FIX_IN_PROGRESS


def test_fix_without_root_cause_when_configured(clock: Clock) -> None:
    p = in_analysis(clock, ProblemConfig(fix_needs_root_cause=False))
    p.start_fix(at=clock(), actor=PM)
    assert p.phase is ProblemPhase.FIX_IN_PROGRESS


def test_resolving_as_fixed_needs_a_completed_rca(clock: Clock) -> None:
    p = in_analysis(clock)
    error = refused(p, RcaIncomplete, lambda: p.resolve(FIX, "done", at=clock(), actor=PM))
    assert isinstance(error, RcaIncomplete) and error.missing == ("an RCA record",)
    p.record_rca(RcaRecord(CHAIN), at=clock(), actor=PM)
    error = refused(p, RcaIncomplete, lambda: p.resolve(FIX, "done", at=clock(), actor=PM))
    assert isinstance(error, RcaIncomplete)
    assert error.missing == ("root cause statement", "corrective action (at least one)")
    content_done = attrs.evolve(DONE_RCA, status=RcaStatus.IN_REVIEW)
    p.record_rca(content_done, at=clock(), actor=PM)
    error = refused(p, RcaIncomplete, lambda: p.resolve(FIX, "done", at=clock(), actor=PM))
    assert isinstance(error, RcaIncomplete) and "in_review" in error.missing[0]
    p.record_rca(DONE_RCA, at=clock(), actor=PM)
    p.resolve(FIX, "done", at=clock(), actor=PM)
    assert p.phase is ProblemPhase.RESOLVED


@pytest.mark.parametrize("phase_steps", [0, 1, 2])
def test_risk_accepted_and_duplicate_need_no_rca(clock: Clock, phase_steps: int) -> None:
    for n, (code, dup) in enumerate([(RISK, None), (DUP, "PRB-0")]):
        p = open_problem(clock, id=f"PRB-{n + 5}")
        for trigger in ("assess", "start_analysis")[:phase_steps]:
            getattr(p, trigger)(at=clock(), actor=PM)
        p.resolve(code, "not worth fixing", at=clock(), actor=PM, duplicate_of=dup)
        assert p.phase is ProblemPhase.RESOLVED and p.rca is None
        assert p.resolution is not None and p.resolution.duplicate_of == dup


def test_duplicate_rules(clock: Clock) -> None:
    p = open_problem(clock)
    refused(p, ValidationError, lambda: p.resolve(DUP, "same", at=clock(), actor=PM))
    refused(
        p,
        ValidationError,
        lambda: p.resolve(RISK, "same", at=clock(), actor=PM, duplicate_of="PRB-0"),
    )
    refused(
        p,
        ValidationError,
        lambda: p.resolve(DUP, "same", at=clock(), actor=PM, duplicate_of="PRB-1"),
    )


def test_unknown_and_malformed_resolutions(clock: Clock) -> None:
    p = open_problem(clock)
    rogue = ProblemResolutionCode("made_up", "Made up", requires_rca=False)
    refused(p, UnknownResolutionCode, lambda: p.resolve(rogue, "x", at=clock(), actor=PM))
    refused(p, ValidationError, lambda: p.resolve(RISK, "  ", at=clock(), actor=PM))
    refused(p, ValidationError, lambda: p.resolve("risk_accepted", "x", at=clock(), actor=PM))  # type: ignore[arg-type]
    narrow = ProblemConfig(resolution_codes=[FIX])
    q = open_problem(clock, narrow, id="PRB-2")
    refused(q, UnknownResolutionCode, lambda: q.resolve(RISK, "x", at=clock(), actor=PM))


# -- refusals: input, time, permissions ----------------------------------------------------


def test_changes_that_change_nothing_are_refused(clock: Clock) -> None:
    p = in_analysis(clock)
    p.publish_workaround("restart it", at=clock(), actor=PM)
    refused(p, ValidationError, lambda: p.publish_workaround("restart it", at=clock(), actor=PM))
    p.record_rca(DONE_RCA, at=clock(), actor=PM)
    refused(p, ValidationError, lambda: p.record_rca(DONE_RCA, at=clock(), actor=PM))
    refused(p, ValidationError, lambda: p.assign(TEAM, at=clock(), actor=PM))


@pytest.mark.parametrize(
    "call",
    [
        lambda p, at: p.add_note("", at=at, actor=PM),
        lambda p, at: p.publish_workaround(" ", at=at, actor=PM),
        lambda p, at: p.assign("problem-team", at=at, actor=PM),
        lambda p, at: p.cancel("", at=at, actor=PM),
        lambda p, at: p.add_note("fine", at=at, actor="pat"),
    ],
)
def test_bad_input_is_a_validation_error(clock: Clock, call: Any) -> None:
    p = open_problem(clock)
    refused(p, ValidationError, lambda: call(p, clock()))


def test_open_validates_its_input(clock: Clock) -> None:
    with pytest.raises(ValidationError):
        open_problem(clock, statement=" ")
    with pytest.raises(ValidationError):
        open_problem(clock, impact="high")
    with pytest.raises(ValidationError):
        open_problem(clock, ci_refs="db-prod-3")
    with pytest.raises(NaiveDatetime):
        open_problem(clock, at=datetime(2026, 3, 2, 9))


def test_time_never_goes_back(clock: Clock) -> None:
    p = open_problem(clock)
    early = p.opened_at.replace(hour=p.opened_at.hour - 1)
    refused(p, EventOutOfOrder, lambda: p.assess(at=early, actor=PM))
    refused(p, NaiveDatetime, lambda: p.assess(at=datetime(2030, 1, 1), actor=PM))


def test_default_permissions(clock: Clock) -> None:
    p = open_problem(clock)
    refused(p, NotPermitted, lambda: p.assess(at=clock(), actor=OUTSIDER))
    p.assess(at=clock(), actor=PIA)  # a member of the assigned group
    p.add_note("automation", at=clock(), actor=SYSTEM)
    p.assign(SupportGroup("network-l2", Tier.L2), at=clock(), actor=PM)
    error = refused(p, NotPermitted, lambda: p.add_note("still mine?", at=clock(), actor=PIA))
    assert isinstance(error, NotPermitted) and error.trigger == "add_note"
    unassigned = open_problem(clock, id="PRB-2", group=None)
    refused(unassigned, NotPermitted, lambda: unassigned.assess(at=clock(), actor=PIA))
    unassigned.assess(at=clock(), actor=PM)


def test_a_custom_permissions_policy(clock: Clock) -> None:
    @attrs.frozen
    class OnlyPat:
        def permits(self, actor: Actor, trigger: ProblemTrigger, problem: object) -> bool:
            return actor.id == "pat" and trigger is not ProblemTrigger.CANCEL

    p = open_problem(clock, ProblemConfig(permissions=OnlyPat()))
    refused(p, NotPermitted, lambda: p.assess(at=clock(), actor=SYSTEM))
    refused(p, NotPermitted, lambda: p.cancel("no", at=clock(), actor=PM))
    p.assess(at=clock(), actor=PM)


def test_config_validates_its_settings() -> None:
    with pytest.raises(ValidationError):
        ProblemConfig(resolution_codes=[])
    with pytest.raises(ValidationError):
        ProblemConfig(resolution_codes=[FIX, FIX])
    with pytest.raises(ValidationError):
        ProblemConfig(linkable_kinds=[])
    with pytest.raises(ValidationError):
        ProblemConfig(fix_needs_root_cause="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ProblemResolutionCode("Fix Applied", "Fix", requires_rca=True)


def test_repr_and_phase_facts(clock: Clock) -> None:
    p = open_problem(clock)
    assert repr(p) == "<Problem PRB-1 new P2 v1>"
    assert p.phase.is_open and not p.phase.is_final
    assert not ProblemPhase.RESOLVED.is_open and not ProblemPhase.RESOLVED.is_final
