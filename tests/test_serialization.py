"""JSON round trips through cattrs, and malformed data refused with typed errors."""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

import attrs
import pytest

from itil_l2 import CorruptHistory, LinkKind, Ticket, ValidationError
from itil_l2.errors import NaiveDatetime
from itil_l2.storage import converter
from itil_l2.testing import assert_same_ticket
from itil_l2.tickets import CiChange, TicketEvent, ticket_from_json, ticket_to_json
from support import ANN, BOB, DBA, FIXED, VIC, Clock, at_l3


def _full_ticket(clock: Clock) -> Ticket:
    t = at_l3(clock)
    t.vendor_update("patch ready", at=clock(), actor=VIC, ref="SR-2")
    t.hand_back(DBA, "apply patch", at=clock(), actor=VIC, fix="patch 1")
    t.start(at=clock(), actor=BOB)
    t.update(at=clock(), actor=BOB, attributes={"made_sla": True, "src": {"rows": [1, 2]}})
    patched = attrs.evolve(
        FIXED, problem_ref="PRB-1", ci_changes=[CiChange("db-prod-3", "patch", "19.3.0", "19.3.1")]
    )
    t.resolve(patched, at=clock(), actor=BOB)
    t.close(at=clock(), actor=ANN)
    t.link(LinkKind.PROBLEM, "PRB-1", at=clock(), actor=ANN)
    return t


def test_ticket_round_trips_through_json_text(clock: Clock) -> None:
    t = _full_ticket(clock)
    text = json.dumps(ticket_to_json(t))
    rebuilt = ticket_from_json(json.loads(text))
    assert_same_ticket(rebuilt, t)
    assert converter.structure(json.loads(text), Ticket).version == t.version
    assert json.loads(json.dumps(converter.unstructure(t))) == json.loads(text)


def test_events_serialise_with_their_kind_and_offset(clock: Clock) -> None:
    t = _full_ticket(clock)
    data: list[dict[str, Any]] = [converter.unstructure(e, TicketEvent) for e in t.history]
    assert [d["payload"]["type"] for d in data] == [e.kind for e in t.history]
    assert data[0]["at"].endswith("+00:00")
    escalation = next(d for d in data if d["payload"]["type"] == "escalate")
    assert escalation["payload"]["handover"]["ci_refs"] == ["db-prod-3"]


def test_malformed_data_is_refused(clock: Clock) -> None:
    good = ticket_to_json(_full_ticket(clock))
    naive = deepcopy(good)
    naive["history"][1]["at"] = "2026-03-02T09:05:00"
    with pytest.raises(CorruptHistory, match="event 2") as err:  # a stored event is broken
        ticket_from_json(naive)
    assert isinstance(err.value.__cause__, NaiveDatetime)
    unknown = deepcopy(good)
    unknown["history"][1]["payload"]["type"] = "teleport"
    with pytest.raises(CorruptHistory, match="event 2"):
        ticket_from_json(unknown)
    wrong_version = deepcopy(good)
    wrong_version["version"] += 1  # the history lacks the newest event
    with pytest.raises(CorruptHistory, match="replays to"):
        ticket_from_json(wrong_version)
    with pytest.raises(ValidationError):
        ticket_from_json({"id": "x"})
    reordered = deepcopy(good)
    reordered["history"][2], reordered["history"][3] = (
        reordered["history"][3],
        reordered["history"][2],
    )
    with pytest.raises(CorruptHistory):
        ticket_from_json(reordered)


def test_json_handed_in_runs_the_validators_a_stored_row_skips(clock: Clock) -> None:
    """docs/storage.md: files and `*_from_json` go through the converter, validators and all."""
    blank = ticket_to_json(_full_ticket(clock))
    blank["history"][0]["payload"]["title"] = " "
    with pytest.raises(CorruptHistory, match=r"event 1.*title must be a non-blank") as err:
        ticket_from_json(blank)
    assert isinstance(err.value.__cause__, ValidationError)
