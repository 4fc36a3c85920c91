"""Rates and counts over one hand-made population, each worked out in the test."""

from __future__ import annotations

import pytest

from itil_l2 import Ticket, Tier
from itil_l2.kpis import (
    escalation_rate,
    first_contact_resolution,
    hand_back_rate,
    ping_pong,
    reassignment_count,
    reopen_rate,
    resolution_rate,
)
from test_kpi_helpers import FIELD, NOT_SOLVED, VENDOR, Story, at_l2_story


def population() -> dict[str, Ticket]:
    """Nine tickets; comments say where each one went."""
    stories = {
        "R1": Story("R1").assign(1).start(2).resolve(3).close(4),  # L1 only, FCR
        "R2": at_l2_story("R2").resolve(5),  # L1 -> L2, solved at L2
        "R3": at_l2_story("R3").escalate(4, VENDOR).start(5).resolve(6),  # -> L3, solved there
        "R4": at_l2_story("R4").hand_back(4).start(5).resolve(6),  # L2 hands back, L1 solves
        "R5": Story("R5").assign(1).start(2).resolve(3, NOT_SOLVED),  # ended unsuccessfully
        "R6": Story("R6").assign(1).cancel(2),  # cancelled
        "R7": at_l2_story("R7"),  # still open at L2
        "R8": Story("R8").assign(1).start(2).resolve(3).reopen(4).resolve(5),  # reopened
        "R9": Story("R9").assign(1).reassign(2, FIELD).start(3).resolve(4),  # reassigned at L1
    }
    return {k: s.t for k, s in stories.items()}


def tickets() -> list[Ticket]:
    return list(population().values())


def test_resolution_rate() -> None:
    r = resolution_rate(tickets())
    # ended: all but R7 = 8; successful: R1 R2 R3 R4 R8 R9 = 6 (R5 not solved, R6 cancelled)
    assert (r.numerator, r.sample_size, r.value) == (6, 8, 6 / 8)
    assert [(e.record_id, e.reason) for e in r.excluded] == [("R7", "still open")]
    assert r.definition == "resolution_rate"


def test_resolution_rate_per_tier() -> None:
    l2 = resolution_rate(tickets(), tier=Tier.L2)
    # ended tickets handled at L2: R2 R3 R4; solved while at L2: R2
    assert (l2.numerator, l2.sample_size, l2.definition) == (1, 3, "resolution_rate_l2")
    assert l2.reasons() == {"never at L2": 5, "still open": 1}
    l1 = resolution_rate(tickets(), tier=Tier.L1)
    # every ended ticket was at L1 (8); solved at L1: R1 R4 R8 R9
    assert (l1.numerator, l1.sample_size) == (4, 8)
    l3 = resolution_rate(tickets(), tier=Tier.L3)
    assert (l3.numerator, l3.sample_size, l3.value) == (1, 1, 1.0)


def test_first_contact_resolution() -> None:
    r = first_contact_resolution(tickets())
    # resolved or closed: 7 (R6 cancelled, R7 open); only R1 stayed at its first L1
    # group, was solved there and never reopened (R8 reopened, R9 reassigned, R4 transferred)
    assert (r.numerator, r.sample_size) == (1, 7)
    assert r.value == pytest.approx(1 / 7)
    assert r.reasons() == {"cancelled": 1, "still open": 1}


def test_escalation_rates() -> None:
    to_l3 = escalation_rate(tickets())
    # handled at L2 and ended: R2 R3 R4; escalated from L2 to L3: R3
    assert (to_l3.numerator, to_l3.sample_size, to_l3.definition) == (
        1,
        3,
        "escalation_rate_l2_l3",
    )
    to_l2 = escalation_rate(tickets(), source=Tier.L1, target=Tier.L2)
    # handled at L1 and ended: 8; escalated L1 -> L2: R2 R3 R4
    assert (to_l2.numerator, to_l2.sample_size, to_l2.value) == (3, 8, 3 / 8)


def test_hand_back_rate() -> None:
    r = hand_back_rate(tickets())
    # of R2 R3 R4 (ended, at L2), R4 was handed back from L2
    assert (r.numerator, r.sample_size) == (1, 3)
    assert hand_back_rate(tickets(), source=Tier.L3).sample_size == 1  # R3 only, not handed back


def test_reopen_rate() -> None:
    r = reopen_rate(tickets())
    # resolved at least once and ended: 7 (R6 cancelled unresolved); reopened: R8
    assert (r.numerator, r.sample_size) == (1, 7)
    assert r.reasons() == {"cancelled": 1, "still open": 1}


def test_reassignment_count_distribution() -> None:
    r = reassignment_count(tickets())
    # R1 0, R2 1, R3 2, R4 2, R5 0, R6 0, R8 0, R9 1 -> mean 6 / 8
    assert r.value == pytest.approx(6 / 8)
    assert r.distribution is not None
    assert r.distribution.histogram() == {0.0: 4, 1.0: 2, 2.0: 2}
    assert reassignment_count(tickets(), statistic="p50").value == 0.5  # (0 + 1) / 2 at h = 3.5


def test_ping_pong() -> None:
    r = ping_pong(tickets())
    # only R4 bounced: service-desk -> database-l2 -> service-desk
    assert (r.value, r.sample_size) == (1.0, 8)
    assert r.distribution is not None and r.distribution.histogram() == {0.0: 7, 1.0: 1}


def test_no_ended_tickets_gives_none_not_a_division_error() -> None:
    r = resolution_rate([population()["R7"]])
    assert (r.value, r.sample_size, r.numerator) == (None, 0, 0)
    assert reassignment_count([]).value is None
