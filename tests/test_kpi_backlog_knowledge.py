"""Backlog at an instant, KB contributions, link rate, training hours and shift left."""

from __future__ import annotations

from datetime import timedelta

import pytest

from itil_l2 import Actor, KnowledgeArticle, Tier
from itil_l2.knowledge import Period, TrainingSession
from itil_l2.kpis import (
    backlog,
    kb_contributions,
    kb_contributions_by,
    kb_link_rate,
    shift_left_kpi,
    training_hours,
    training_hours_by,
)
from test_kpi_helpers import Story, at_l2_story, h


def test_backlog_at_two_instants() -> None:
    tickets = [
        Story("B1").assign(1).start(2).resolve(10).t,
        Story("B2", at=2).assign(3).start(3).resolve(4).reopen(8).t,
        Story("B3", at=20).t,
        Story("B4", at=1).cancel(3).t,
        at_l2_story("B5").t,
    ]
    at5 = backlog(tickets, h(5))
    # open at 5 h: B1 (age 5 h) and B5 (age 5 h); B2 resolved, B3 not opened, B4 cancelled
    assert (at5.value, at5.sample_size) == (2.0, 2)
    assert at5.distribution is not None and at5.distribution.values == (5.0, 5.0)
    assert at5.reasons() == {"resolved": 1, "not yet opened": 1, "cancelled": 1}
    at9 = backlog(tickets, h(9))
    # B1 9 h, B2 (reopened at 8) 7 h, B5 9 h
    assert at9.value == 3.0
    assert at9.distribution is not None and at9.distribution.median == 9.0
    l2 = backlog(tickets, h(5), tier=Tier.L2)
    assert (l2.value, l2.reasons()["at L1"]) == (1.0, 1)


BOB, ANN = Actor("bob"), Actor("ann")
KIM = Actor("kim", roles={"knowledge_manager"})


def _article(id: str, author: Actor, drafted: float, validated: float | None) -> KnowledgeArticle:
    kb = KnowledgeArticle.draft(
        id=id,
        title=f"How to fix {id}",
        at=h(drafted),
        actor=author,
        symptom="ORA-12541",
        resolution_steps=["restart the listener"],
        categories=["database"],
    )
    if validated is not None:
        kb.submit(at=h(validated), actor=author)
        kb.validate(at=h(validated), actor=KIM)
    return kb


def _articles() -> list[KnowledgeArticle]:
    return [
        _article("KB-1", BOB, 1, 2),
        _article("KB-2", BOB, 30, None),
        _article("KB-3", ANN, 50, 60),
    ]


def test_kb_contributions_created_and_validated() -> None:
    created = kb_contributions(_articles())
    assert (created.value, created.sample_size, created.definition) == (3.0, 3, "kb_created")
    first_day = kb_contributions(_articles(), period=Period(h(0), h(24)))
    assert (first_day.value, len(first_day.excluded)) == (1.0, 2)
    validated = kb_contributions(_articles(), kind="validated")
    assert (validated.value, [e.record_id for e in validated.excluded]) == (2.0, ["KB-2"])


def test_kb_contributions_by_author_team_and_day() -> None:
    assert kb_contributions_by(_articles(), "author") == {"ann": 1, "bob": 2}
    assert kb_contributions_by(_articles(), "team", teams={"bob": "dba"}) == {
        "(unknown)": 1,
        "dba": 2,
    }
    # drafted Mon 01:00, Tue 06:00, Wed 02:00
    assert kb_contributions_by(_articles(), "day") == {
        "2026-03-02": 1,
        "2026-03-03": 1,
        "2026-03-04": 1,
    }
    assert kb_contributions_by(_articles(), "author", kind="validated") == {"ann": 1, "bob": 1}


def test_kb_link_rate_over_closed_tickets() -> None:
    tickets = [
        Story("K1").assign(1).start(1).resolve(2, kb=("KB-1",)).close(3).t,  # linked
        Story("K2").assign(1).start(1).resolve(2).close(3).t,  # not linked
        Story("K3").assign(1).start(1).resolve(2).link_kb(2.5).close(5).t,  # linked
        Story("K4").assign(1).start(1).resolve(2, kb=("KB-1",)).t,  # not closed
    ]
    r = kb_link_rate(tickets)
    assert (r.numerator, r.sample_size, r.value) == (2, 3, pytest.approx(2 / 3))
    assert r.reasons() == {"not closed": 1}
    early = kb_link_rate(tickets, period=Period(h(0), h(4)))  # K3 closed at 5 h
    assert (early.numerator, early.sample_size) == (1, 2)


def _sessions() -> list[TrainingSession]:
    return [
        TrainingSession(
            id="S1", topic="listeners", trainer=BOB, attendees=["al", "ann"],
            start=h(10), duration=timedelta(minutes=90), categories=["database"],
        ),
        TrainingSession(
            id="S2", topic="printers", trainer=BOB, attendees=["al", "ann", "cy"],
            start=h(48), duration=timedelta(hours=1), categories=["printing"],
        ),
    ]  # fmt: skip


def test_training_hours() -> None:
    day = Period(h(0), h(24))
    r = training_hours(_sessions(), day)
    assert (r.value, r.sample_size, [e.record_id for e in r.excluded]) == (1.5, 1, ["S2"])
    assert training_hours(_sessions(), day, per_attendee=True).value == 3.0  # 1.5 h x 2
    assert training_hours_by(_sessions(), "day") == {"2026-03-02": 1.5, "2026-03-04": 1.0}
    # per attendee: 1.5 x 2 on Monday, 1 x 3 on Wednesday; one ISO week
    assert training_hours_by(_sessions(), "week", per_attendee=True) == {"2026-03-02": 6.0}


def test_shift_left_kpi() -> None:
    session = TrainingSession(
        id="S3", topic="printers", trainer=BOB, attendees=["al"],
        start=h(100), duration=timedelta(hours=1), categories=["printing"],
    )  # fmt: skip
    p = "printing"
    tickets = [  # before: [50, 100): one solved at L1, one at L2 -> 1/2
        Story("P1", at=50, category=p).assign(51).start(51).resolve(60).t,
        Story("P2", at=50, category=p).assign(51).start(51).escalate(52).start(53).resolve(70).t,
        # after: [101, 151): both at L1 -> 2/2
        Story("P3", at=110, category=p).assign(111).start(111).resolve(120).t,
        Story("P4", at=110, category=p).assign(111).start(111).resolve(130).t,
        Story("P5", at=110, category="database").assign(111).start(111).resolve(130).t,
    ]
    r = shift_left_kpi(tickets, session, window=timedelta(hours=50))
    assert (r.definition, r.sample_size) == ("shift_left", 4)
    assert r.value == pytest.approx(1.0 - 0.5)
