"""RFC histories: JSON round trips, replay, corrupt histories, pending events."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import timedelta
from typing import Any

import attrs
import pytest

from itil_l2 import SYSTEM, Actor, ChangeConfig, ChangeRequest, CorruptHistory, ValidationError
from itil_l2.changes import ChangeType
from itil_l2.changes.events import (
    ApprovalBoard,
    ChangeEvent,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
)
from itil_l2.errors import NaiveDatetime
from itil_l2.storage import converter, entity_from_json, entity_to_json
from itil_l2.testing import assert_same_change
from support import DBA, Clock

RITA, BOB = Actor("rita"), Actor("bob", groups={"database-l2"})
CARL = Actor("carl", roles={"change_manager"})
CARA, CODY = Actor("cara", roles={"cab_member"}), Actor("cody", roles={"cab_member"})
GINA = Actor("gina", groups={"database-l2"}, roles={"group_manager"})


def _full_rfc(clock: Clock, config: ChangeConfig | None = None) -> ChangeRequest:
    rfc = ChangeRequest.raise_(
        id="CHG-7",
        title="Upgrade the listener",
        change_type=ChangeType.NORMAL,
        risk=ChangeRisk.LOW,
        group=DBA,
        at=clock(),
        actor=RITA,
        description="listener 19.3 → 19.21",
        raised_from=ChangeLink(ChangeLinkKind.PROBLEM, "PRB-1"),
        config=config or ChangeConfig(),
    )
    rfc.submit(at=clock(), actor=RITA)
    rfc.request_approval(at=clock(), actor=CARL)
    rfc.reject(ApprovalBoard.GROUP_MANAGER, "no back-out plan", at=clock(), actor=GINA)
    rfc.set_risk(ChangeRisk.HIGH, at=clock(), actor=RITA, reason="touches all shards")
    rfc.submit(at=clock(), actor=RITA)
    rfc.request_approval(at=clock(), actor=CARL)
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CARA, comment="with back-out plan")
    rfc.approve(ApprovalBoard.CAB, at=clock(), actor=CODY)
    start = clock.now + timedelta(hours=1)
    rfc.schedule(start, start + timedelta(hours=2), at=clock(), actor=CARL)
    rfc.reschedule(start, start + timedelta(hours=4), "longer test", at=clock(), actor=BOB)
    rfc.implement(at=clock(), actor=BOB)
    rfc.complete(ChangeOutcome.ROLLED_BACK, at=clock(), actor=BOB, notes="shard 3 failed")
    rfc.close(at=clock(), actor=CARL, notes="retry next week")
    rfc.link(ChangeLinkKind.TICKET, "INC-4", at=clock(), actor=BOB)
    return rfc


def test_rfc_round_trips_through_json_text(clock: Clock) -> None:
    rfc = _full_rfc(clock)
    text = json.dumps(entity_to_json(rfc))
    rebuilt = entity_from_json(ChangeRequest, json.loads(text))
    assert_same_change(rebuilt, rfc)
    assert rebuilt.pending_events() == () and rebuilt.version == 15
    assert converter.structure(json.loads(text), ChangeRequest).version == rfc.version


def test_events_serialise_with_their_kind_and_offset(clock: Clock) -> None:
    rfc = _full_rfc(clock)
    data: list[dict[str, Any]] = [converter.unstructure(e, ChangeEvent) for e in rfc.history]
    assert [d["payload"]["type"] for d in data] == [e.kind for e in rfc.history]
    assert data[0]["at"].endswith("+00:00")
    assert data[0]["payload"]["raised_from"] == {"kind": "problem", "ref": "PRB-1"}
    approve = next(d for d in data if d["payload"]["type"] == "approve")
    assert approve["payload"] == {
        "type": "approve",
        "approver_id": "cara",
        "board": "cab",
        "comment": "with back-out plan",
    }


def test_replay_rebuilds_every_field(clock: Clock) -> None:
    rfc = _full_rfc(clock)
    rebuilt = ChangeRequest.from_history(rfc.history)
    assert_same_change(rebuilt, rfc)
    assert rebuilt.outcome is ChangeOutcome.ROLLED_BACK and not rebuilt.successful
    assert rebuilt.rejection is not None and rebuilt.rejection.approver_id == "gina"
    assert [a.approver_id for a in rebuilt.approvals] == ["cara", "cody"]
    assert len(rebuilt.decisions()) == 3


def test_pending_events_until_persisted(clock: Clock) -> None:
    rfc = _full_rfc(clock)
    assert len(rfc.pending_events()) == 15
    rfc.mark_persisted()
    rfc.link(ChangeLinkKind.TICKET, "INC-5", at=clock(), actor=SYSTEM)
    assert [e.kind for e in rfc.pending_events()] == ["link"]


def test_replay_judges_approvals_by_the_config_given(clock: Clock) -> None:
    strict = ChangeConfig(cab_quorum=2)
    rfc = _full_rfc(clock, strict)
    assert_same_change(ChangeRequest.from_history(rfc.history, config=strict), rfc)
    with pytest.raises(CorruptHistory):  # three CAB approvers needed: the schedule is illegal
        ChangeRequest.from_history(rfc.history, config=ChangeConfig(cab_quorum=3))


def test_corrupt_histories_are_refused(clock: Clock) -> None:
    events = _full_rfc(clock).history
    with pytest.raises(CorruptHistory):
        ChangeRequest.from_history(events[1:])
    with pytest.raises(CorruptHistory):
        ChangeRequest.from_history((events[0], events[2]))
    with pytest.raises(CorruptHistory):
        ChangeRequest.from_history((events[0], attrs.evolve(events[1], entity_id="CHG-8")))
    with pytest.raises(CorruptHistory):  # implement straight after raise: illegal step
        ChangeRequest.from_history((events[0], attrs.evolve(events[11], version=2)))
    with pytest.raises(CorruptHistory):
        ChangeRequest.from_history((attrs.evolve(events[1], version=1),))
    early = attrs.evolve(events[1], at=events[0].at - timedelta(minutes=1))
    with pytest.raises(CorruptHistory):
        ChangeRequest.from_history((events[0], early))


def test_malformed_json_is_refused(clock: Clock) -> None:
    data = json.loads(json.dumps(entity_to_json(_full_rfc(clock))))
    naive = deepcopy(data)
    naive["history"][1]["at"] = "2026-03-02T09:00:00"
    with pytest.raises(CorruptHistory, match="event 2") as err:  # a stored event is broken
        entity_from_json(ChangeRequest, naive)
    assert isinstance(err.value.__cause__, NaiveDatetime)
    bad_window = deepcopy(data)
    schedule = next(e for e in bad_window["history"] if e["payload"]["type"] == "schedule")
    schedule["payload"]["planned_end"] = schedule["payload"]["planned_start"]
    with pytest.raises(CorruptHistory, match="after planned_start") as err:
        entity_from_json(ChangeRequest, bad_window)
    assert isinstance(err.value.__cause__, ValidationError)
    for broken in ({"history": []}, {**data, "kind": "Ticket"}, {**data, "version": 3}):
        with pytest.raises((ValidationError, CorruptHistory)):
            entity_from_json(ChangeRequest, broken)
