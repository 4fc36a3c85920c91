"""The seed's knowledge transfer, end to end.

L2 resolves a ticket L1 had to escalate, documents the solution for L1,
a publisher validates it, L2 trains L1 on it, and later L1 solves tickets of
that category itself, with the article: more tickets solved at L1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itil_l2 import (
    SOLVED_PERMANENTLY,
    Actor,
    Handover,
    Impact,
    KnowledgeArticle,
    LinkKind,
    Priority,
    Resolution,
    SolutionAttempt,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.knowledge import (
    Period,
    TrainingSession,
    article_from_ticket,
    attendee_hours,
    find_articles,
    hours_by_attendee,
    link_rate,
    periods_around,
    quality_score,
    session_hours,
    shift_left,
    used_to_resolve,
)
from itil_l2.knowledge.events import Audience
from support import DBA, DESK

ANN = Actor("ann", groups={"service-desk"})
AL = Actor("al", groups={"service-desk"})
BOB = Actor("bob", groups={"database-l2"})
KIM = Actor("kim", roles={"knowledge_manager"})
MONDAY = datetime(2026, 3, 2, 8, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _listener_ticket(id: str, at: datetime) -> Ticket:
    return Ticket.open(
        id=id,
        title="Order app: ORA-12541 TNS no listener",
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        owner_group=DESK,
        category="database",
        ci_refs=["db-prod-3"],
        at=at,
        actor=ANN,
    )


def _escalated_and_solved_by_l2(id: str, at: datetime) -> Ticket:
    t = _listener_ticket(id, at)
    t.assign(DESK, at=at + 0.1 * HOUR, actor=ANN)
    t.start(at=at + 0.2 * HOUR, actor=ANN)
    handover = Handover(
        description="Since 07:50 every order app user gets ORA-12541 from db-prod-3",
        attempts=[SolutionAttempt("asked users to log in again", "same error")],
        ci_refs=["db-prod-3"],
        priority=Priority.P2,
        impact=Impact.MEDIUM,
    )
    t.escalate(DBA, handover, at=at + 0.5 * HOUR, actor=ANN)
    t.start(at=at + 0.6 * HOUR, actor=BOB)
    notes = "Check the listener: lsnrctl status\nStart it: lsnrctl start\nTest with tnsping"
    t.resolve(Resolution(SOLVED_PERMANENTLY, notes), at=at + 2 * HOUR, actor=BOB)
    t.close(at=at + 3 * HOUR, actor=ANN)
    return t


def test_l2_documents_trains_and_l1_solves_more() -> None:
    # Week 1: L1 cannot help, both listener tickets go to L2.
    before_training = [
        _escalated_and_solved_by_l2("INC-1", MONDAY),
        _escalated_and_solved_by_l2("INC-2", MONDAY + 2 * DAY),
    ]
    first = before_training[0]

    # L2 documents the solution for L1 ("Dokumentation: Lösungen für Knowledge Base").
    kb = article_from_ticket(first, id="KB-100", at=MONDAY + 4 * HOUR, actor=BOB)
    kb.edit(at=MONDAY + 5 * HOUR, actor=BOB, cause="the listener does not start after patching")
    kb.submit(at=MONDAY + 5 * HOUR, actor=BOB)
    kb.validate(at=MONDAY + DAY, actor=KIM)
    assert (kb.state, kb.confidence.value, kb.audience) == ("published", "validated", Audience.L1)
    assert kb.source_tickets == ("INC-1",) and kb.reviewers == ("kim",)
    internal = KnowledgeArticle.draft(
        id="KB-101",
        title="Listener internals for DBAs",
        symptom="ORA-12541 after patching",
        resolution_steps=["Rebuild listener.ora"],
        ci_refs=["db-prod-3"],
        audience=Audience.L2_INTERNAL,
        at=MONDAY + 4 * HOUR,
        actor=BOB,
    )
    internal.submit(at=MONDAY + 5 * HOUR, actor=BOB)
    internal.validate(at=MONDAY + DAY, actor=KIM)

    # L2 trains L1 on it ("Mentoring: Schulung von L1-Mitarbeitern").
    training = TrainingSession(
        id="TRN-1",
        topic="ORA-12541: check and start the listener",
        trainer=BOB,
        attendees=[ANN, AL],
        start=MONDAY + 7 * DAY + 14 * HOUR,
        duration=timedelta(minutes=90),
        article_refs=[kb.id],
        categories=["database"],
    )
    march = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert (session_hours([training], march), attendee_hours([training], march)) == (1.5, 3.0)
    assert hours_by_attendee([training], march) == {"ann": 1.5, "al": 1.5}

    # Week 3: L1 finds the article and solves listener tickets itself.
    after_training = []
    for n, day in enumerate((14, 15, 17), start=3):
        at = MONDAY + day * DAY
        t = _listener_ticket(f"INC-{n}", at)
        t.assign(DESK, at=at + 0.1 * HOUR, actor=ANN)
        t.start(at=at + 0.2 * HOUR, actor=AL)
        found = find_articles(t, [internal, kb])
        assert [m.article.id for m in found] == ["KB-100"]  # internal never shows at L1
        solved = Resolution(SOLVED_PERMANENTLY, "listener started per KB-100", kb_refs=[kb.id])
        t.resolve(solved, at=at + 0.5 * HOUR, actor=AL)
        t.close(at=at + HOUR, actor=ANN)
        kb.rate(True, at=at + HOUR, actor=AL)
        after_training.append(t)
    tickets = before_training + after_training

    assert used_to_resolve(tickets, tier=Tier.L1) == {"KB-100": 3}
    before, after = periods_around(training, timedelta(days=14))
    figure = shift_left(tickets, training, before=before, after=after)
    assert (figure.before.resolved, figure.before.at_l1, figure.before.share) == (2, 0, 0.0)
    assert (figure.after.resolved, figure.after.at_l1, figure.after.share) == (3, 3, 1.0)
    assert figure.change == 1.0

    rate = link_rate(tickets)
    assert (rate.closed, rate.linked) == (5, 3)
    first.link(LinkKind.KNOWLEDGE, kb.id, at=MONDAY + 6 * DAY, actor=BOB)  # documented later
    assert link_rate(tickets).linked == 4
    quality = quality_score(kb, used_to_resolve=used_to_resolve(tickets)["KB-100"])
    assert (quality.helpful, quality.used_to_resolve) == (1, 3)  # AL's latest vote counts once
    assert quality.score > quality_score(internal).score
