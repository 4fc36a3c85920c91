"""Problem histories: replay, corrupt histories, JSON round trips, pending events."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import date, timedelta
from typing import Any

import attrs
import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    CorruptHistory,
    HoldReason,
    Impact,
    InvalidTransition,
    Problem,
    ProblemConfig,
    Role,
    SupportGroup,
    Tier,
    Urgency,
    ValidationError,
)
from itil_l2.errors import NaiveDatetime
from itil_l2.problems import AffectedProduct, ProblemResolutionCode, ProblemTrigger
from itil_l2.problems.events import (
    ProblemEvent,
    ProblemNoteAdded,
    ProblemResolution,
    ProblemResolved,
)
from itil_l2.problems.rca import (
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
from itil_l2.storage import converter, entity_from_json, entity_to_json
from itil_l2.testing import assert_same_problem
from support import ANN, DESK, Clock, open_ticket

PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
TEAM = SupportGroup("problem-team", Tier.L2, {"database"})


def analyses(clock: Clock) -> list[Any]:
    return [
        FiveWhys([Why("Why did orders fail?", "listener down")], "logs never rotated"),
        Ishikawa.from_mapping("orders fail", {"process": ["no rotation"], "vendor": []}),
        KepnerTregoe(
            [SpecItem(KtDimension.WHEN, "When?", "02:00 nightly", "daytime", "backup window")],
            [PossibleCause("backup fills the volume", [CauseTest(KtDimension.WHEN, True, "x")])],
        ),
        Timeline([TimelineEntry(clock(), "volume 100%", "zabbix")]),
        FaultTree(
            FaultNode(
                "listener down",
                FaultGate.AND,
                (
                    FaultNode("volume full", confirmed=True),
                    FaultNode("no rotation", confirmed=True),
                ),
            )
        ),
        CustomAnalysis("change_review", [CustomSection("changes", ["CHG-3"])]),
    ]


def full_problem(clock: Clock) -> Problem:
    p = Problem.open(
        id="PRB-1",
        statement="Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.LOW,
        group=TEAM,
        ci_refs=["db-prod-3"],
        category="database",
        at=clock(),
        actor=PM,
    )
    p.assess(at=clock(), actor=PM)
    p.assign(TEAM, at=clock(), actor=PM, assignee="bob")
    p.start_analysis(at=clock(), actor=PM)
    for analysis in analyses(clock):
        rca = RcaRecord(
            analysis,
            findings=["volume fills at 02:00"],
            root_cause="logs never rotated",
            contributing_factors=["no disk alert"],
            evidence=[Evidence(EvidenceKind.MONITORING, "zabbix:88121", "100% at 02:03")],
            corrective_actions=[RcaAction("rotate logs", "bob", date(2026, 4, 1), ref="CHG-9")],
            preventive_actions=[RcaAction("disk alert at 80%", "nina", date(2026, 4, 15), True)],
            status=RcaStatus.COMPLETED,
        )
        p.record_rca(rca, at=clock(), actor=PM)
    p.publish_workaround("clear old logs, restart the listener", at=clock(), actor=PM)
    p.raise_known_error(
        "KE-1",
        at=clock(),
        actor=PM,
        error_code="ORA-12541",
        products=[AffectedProduct("Oracle Database", "Oracle", ["19.3"])],
    )
    t = open_ticket(clock, id="INC-7")
    t.assign(DESK, at=clock(), actor=ANN)
    t.start(at=clock(), actor=ANN)
    t.hold(HoldReason.AWAITING_PROBLEM, at=clock(), actor=ANN)
    p.link_incident(t, at=clock(), actor=PM)
    p.add_note("seen on db-prod-4 too", at=clock(), actor=PM)
    p.start_fix(at=clock(), actor=PM, change_ref="CHG-9")
    p.resolve(
        ProblemResolutionCode.FIX_APPLIED, "rotation live", at=clock(), actor=PM, incidents=[t]
    )
    p.reanalyze("came back once", at=clock(), actor=PM)
    p.resolve(ProblemResolutionCode.RISK_ACCEPTED, "rare now", at=clock(), actor=PM)
    p.close(at=clock(), actor=PM)
    return p


def test_history_replays_to_an_equal_problem(clock: Clock) -> None:
    p = full_problem(clock)
    rebuilt = Problem.from_history(p.history)
    assert_same_problem(rebuilt, p)
    assert rebuilt.pending_events() == () and len(p.pending_events()) == p.version
    every_but_cancel = {t.value for t in ProblemTrigger} - {"cancel"}
    assert {e.kind for e in p.history} == every_but_cancel


def test_json_round_trip_through_text(clock: Clock) -> None:
    p = full_problem(clock)
    data = json.loads(json.dumps(entity_to_json(p)))
    assert data["kind"] == "Problem" and data["version"] == p.version
    rebuilt = entity_from_json(Problem, data)
    assert_same_problem(rebuilt, p)
    assert [type(e.payload) for e in rebuilt.history] == [type(e.payload) for e in p.history]
    kinds = [e["payload"]["type"] for e in data["history"]]
    assert kinds == [e.kind for e in p.history]
    due = data["history"][4]["payload"]["rca"]["corrective_actions"][0]["due"]
    assert due == "2026-04-01"


def test_replay_takes_the_config(clock: Clock) -> None:
    p = full_problem(clock)
    config = ProblemConfig(fix_needs_root_cause=False)
    assert Problem.from_history(p.history, config=config).config is config
    assert entity_from_json(Problem, entity_to_json(p), config=config).config is config


def test_corrupt_histories_are_refused(clock: Clock) -> None:
    p = full_problem(clock)
    events = list(p.history)
    with pytest.raises(CorruptHistory):
        Problem.from_history(events[1:])
    with pytest.raises(CorruptHistory):
        Problem.from_history([events[0], events[2], events[1], *events[3:]])
    with pytest.raises(CorruptHistory):
        Problem.from_history([events[0], attrs.evolve(events[1], entity_id="PRB-2")])
    # A fix_applied resolution straight from new: the RCA rule forbids it on replay too.
    resolved = ProblemResolved(ProblemResolution(ProblemResolutionCode.FIX_APPLIED, "forged"))
    forged = ProblemEvent("PRB-1", 2, events[0].at, "pat", resolved)
    with pytest.raises(CorruptHistory):
        Problem.from_history([events[0], forged])
    accepted = ProblemResolved(ProblemResolution(ProblemResolutionCode.RISK_ACCEPTED, "ok"))
    fine = attrs.evolve(forged, payload=accepted)
    assert Problem.from_history([events[0], fine]).phase.value == "resolved"
    backwards = ProblemEvent(
        "PRB-1", 2, events[0].at - timedelta(hours=1), "pat", ProblemNoteAdded("x")
    )
    with pytest.raises(CorruptHistory):
        Problem.from_history([events[0], backwards])


def test_malformed_json_is_refused(clock: Clock) -> None:
    good = entity_to_json(full_problem(clock))
    naive = deepcopy(good)
    naive["history"][1]["at"] = "2026-03-02T09:05:00"
    with pytest.raises(CorruptHistory, match="event 2") as err:
        entity_from_json(Problem, naive)
    assert isinstance(err.value.__cause__, NaiveDatetime)
    unknown = deepcopy(good)
    unknown["history"][1]["payload"]["type"] = "teleport"
    with pytest.raises(CorruptHistory, match="event 2"):
        entity_from_json(Problem, unknown)
    bad_rca = deepcopy(good)
    bad_rca["history"][4]["payload"]["rca"]["status"] = "approved"
    with pytest.raises(CorruptHistory, match="event 5"):
        entity_from_json(Problem, bad_rca)
    with pytest.raises(ValidationError):  # not a serialised problem at all
        entity_from_json(Problem, {"id": "PRB-1"})


def test_events_serialise_with_values_not_text_blobs(clock: Clock) -> None:
    p = full_problem(clock)
    data = [converter.unstructure(e, ProblemEvent) for e in p.history]
    tree = next(d for d in data if "top" in d["payload"].get("rca", {}).get("analysis", {}))
    children = tree["payload"]["rca"]["analysis"]["top"]["children"]
    assert [c["event"] for c in children] == ["volume full", "no rotation"]
    known = next(d for d in data if d["payload"]["type"] == "raise_known_error")
    assert known["payload"]["known_error"]["products"][0]["versions"] == ["19.3"]


def test_persisted_events_are_not_pending(clock: Clock) -> None:
    p = full_problem(clock)
    p.mark_persisted()
    assert p.pending_events() == ()
    assert Problem.from_history(p.history).version == p.version
    # The rebuilt problem keeps working.
    q = Problem.from_history(p.history)
    with pytest.raises(InvalidTransition):  # closed problems take no notes
        q.add_note("late", at=clock(), actor=SYSTEM)
