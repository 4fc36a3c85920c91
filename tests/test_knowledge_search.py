"""Drafting articles from resolved tickets, and finding articles for a ticket."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from itil_l2 import Actor, KnowledgeArticle, Resolution, Tier, ValidationError
from itil_l2.knowledge import SearchWeights, article_from_ticket, find_articles
from itil_l2.knowledge._search import keywords
from itil_l2.knowledge.events import Audience
from itil_l2.tickets import NOT_SOLVED, SOLVED_WORKAROUND, CiChange
from support import ANN, BOB, DBA, DESK, GOOD_HANDOVER, Clock, at_l1, at_l2, open_ticket

KIM = Actor("kim", roles={"knowledge_manager"})
NOTES = "Started the listener:\n  lsnrctl start\n\nAdded it to the boot script\n"


# -- article_from_ticket -----------------------------------------------------------------


def test_an_escalated_ticket_becomes_a_draft_for_l1(clock: Clock) -> None:
    t = at_l2(clock)
    t.update(at=clock(), actor=BOB, category="database")
    changes = [CiChange("listener-1", "autostart", False, True)]
    t.resolve(Resolution(SOLVED_WORKAROUND, NOTES, ci_changes=changes), at=clock(), actor=BOB)
    at = clock()
    kb = article_from_ticket(t, id="KB-10", at=at, actor=BOB)
    assert (kb.id, kb.state, kb.author, kb.opened_at) == ("KB-10", "draft", "bob", at)
    assert kb.title == "Order app cannot reach its database"
    assert kb.symptom == GOOD_HANDOVER.description
    assert kb.resolution_steps == (
        "Started the listener:",
        "lsnrctl start",
        "Added it to the boot script",
    )
    assert kb.ci_refs == ("db-prod-3", "listener-1")
    assert kb.categories == ("database",) and kb.source_tickets == ("INC-1",)
    assert kb.audience is Audience.L1 and kb.cause is None
    assert kb.missing_parts() == ()  # ready to submit as it is


def test_title_cause_and_audience_can_be_given(clock: Clock) -> None:
    t = at_l1(clock)
    t.resolve(Resolution(SOLVED_WORKAROUND, NOTES), at=clock(), actor=ANN)
    t.close(at=clock(), actor=ANN)
    kb = article_from_ticket(
        t,
        id="KB-11",
        at=clock(),
        actor=BOB,
        title="Listener down after reboot",
        cause="no autostart",
        audience=Audience.L2_INTERNAL,
    )
    assert (kb.title, kb.cause, kb.audience) == (
        "Listener down after reboot",
        "no autostart",
        Audience.L2_INTERNAL,
    )
    assert kb.categories == () and kb.ci_refs == ("db-prod-3",)


def test_without_a_handover_the_symptom_comes_from_the_ticket(clock: Clock) -> None:
    t = open_ticket(clock, symptom="ORA-12541 at login", description="Cannot log in")
    t.resolve(Resolution(SOLVED_WORKAROUND, "restart"), at=clock(), actor=ANN)
    assert article_from_ticket(t, id="KB-1", at=clock(), actor=BOB).symptom == "ORA-12541 at login"
    t2 = open_ticket(clock, id="INC-2", description="Cannot log in")
    t2.resolve(Resolution(SOLVED_WORKAROUND, "restart"), at=clock(), actor=ANN)
    assert article_from_ticket(t2, id="KB-2", at=clock(), actor=BOB).symptom == "Cannot log in"


def test_only_successfully_resolved_tickets_are_documented(clock: Clock) -> None:
    t = at_l1(clock)
    with pytest.raises(ValidationError):
        article_from_ticket(t, id="KB-1", at=clock(), actor=BOB)
    t.resolve(Resolution(NOT_SOLVED, "could not reproduce"), at=clock(), actor=ANN)
    with pytest.raises(ValidationError):
        article_from_ticket(t, id="KB-1", at=clock(), actor=BOB)
    t.reopen("still failing", at=clock(), actor=ANN)
    with pytest.raises(ValidationError):
        article_from_ticket(t, id="KB-1", at=clock(), actor=BOB)


# -- keywords -------------------------------------------------------------------------------


def test_keywords_drop_noise_and_keep_codes_whole() -> None:
    assert keywords("The user cannot log in: ORA-12541, TNS no listener (v19.3)") == {
        "log",
        "ora-12541",
        "tns",
        "listener",
        "v19.3",
    }
    assert keywords("Der Drucker ist nicht erreichbar") == {"drucker", "erreichbar"}
    assert keywords("") == frozenset()


# -- find_articles ----------------------------------------------------------------------------


def publish(kb: KnowledgeArticle, clock: Clock) -> KnowledgeArticle:
    kb.submit(at=clock(), actor=BOB)
    kb.validate(at=clock(), actor=KIM)
    return kb


def article(clock: Clock, id: str, **fields: object) -> KnowledgeArticle:
    values: dict[str, object] = {
        "symptom": "something",
        "resolution_steps": ["do it"],
        "title": "Untitled",
        **fields,
    }
    return KnowledgeArticle.draft(id=id, at=clock(), actor=BOB, **values)  # type: ignore[arg-type]


@pytest.fixture
def library(clock: Clock) -> dict[str, KnowledgeArticle]:
    a = article(
        clock,
        "KB-A",
        title="Listener down",
        symptom="ORA-12541 when connecting",
        ci_refs=["db-prod-3"],
        categories=["database"],
    )
    b = article(
        clock,
        "KB-B",
        title="Listener internals",
        symptom="ORA-12541 deep dive",
        ci_refs=["db-prod-3"],
        audience=Audience.L2_INTERNAL,
    )
    c = article(
        clock,
        "KB-C",
        title="Database connection errors",
        symptom="Apps report database errors",
        categories=["database"],
        audience=Audience.PUBLIC,
    )
    d = article(clock, "KB-D", title="Printer jams", ci_refs=["printer-3"])
    e = article(clock, "KB-E", title="ORA-12541 draft", ci_refs=["db-prod-3"])  # never published
    f = article(clock, "KB-F", title="ORA-12541 retired", ci_refs=["db-prod-3"])
    g = article(clock, "KB-G", title="ORA-12541 old", ci_refs=["db-prod-3"])
    for kb in (a, b, c, d, f, g):
        publish(kb, clock)
    f.retire("replaced by KB-A", at=clock(), actor=KIM)
    g.new_version(id="KB-G2", at=clock(), actor=KIM)
    return {kb.id: kb for kb in (a, b, c, d, e, f, g)}


def _ticket(clock: Clock):  # type: ignore[no-untyped-def]
    t = open_ticket(clock, title="Order app shows ORA-12541", category="database")
    t.assign(DESK, at=clock(), actor=ANN)
    return t


def test_l1_sees_published_l1_and_public_articles_best_first(
    clock: Clock, library: dict[str, KnowledgeArticle]
) -> None:
    found = find_articles(_ticket(clock), library.values())
    # KB-A: CI 3 + category 2 + "ora-12541" 1 + written for L1 1; KB-C: category 2.
    assert [(m.article.id, m.score) for m in found] == [("KB-A", 7.0), ("KB-C", 2.0)]
    best = found[0]
    assert (best.cis, best.category, best.words) == (("db-prod-3",), True, ("ora-12541",))


def test_l2_readers_also_see_internal_articles_without_the_l1_bonus(
    clock: Clock, library: dict[str, KnowledgeArticle]
) -> None:
    t = _ticket(clock)
    found = find_articles(t, library.values(), reader_tier=Tier.L2)
    assert [(m.article.id, m.score) for m in found] == [("KB-A", 6.0), ("KB-B", 4.0), ("KB-C", 2.0)]
    t.start(at=clock(), actor=ANN)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    assert [m.article.id for m in find_articles(t, library.values())] == ["KB-A", "KB-B", "KB-C"]


def test_weights_and_limit(clock: Clock, library: dict[str, KnowledgeArticle]) -> None:
    t = _ticket(clock)
    only_words = SearchWeights(ci=0, category=0, keyword=1, l1_bonus=0)
    found = find_articles(t, library.values(), weights=only_words, reader_tier=Tier.L2)
    assert {m.article.id: m.score for m in found} == {"KB-A": 1.0, "KB-B": 1.0}
    assert [m.article.id for m in find_articles(t, library.values(), limit=1)] == ["KB-A"]
    assert len(find_articles(t, library.values(), limit=None)) == 2
    for bad in (0, -1, True):
        with pytest.raises(ValidationError):
            find_articles(t, library.values(), limit=bad)
    with pytest.raises(ValidationError):
        SearchWeights(ci=-1)


def test_ties_go_to_the_newer_article_then_to_the_id(clock: Clock) -> None:
    older = publish(article(clock, "KB-2", ci_refs=["db-prod-3"]), clock)
    newer = publish(article(clock, "KB-9", ci_refs=["db-prod-3"]), clock)
    t = _ticket(clock)
    assert [m.article.id for m in find_articles(t, [older, newer])] == ["KB-9", "KB-2"]
    twins = [article(clock, id, ci_refs=["db-prod-3"]) for id in ("KB-Y", "KB-X")]
    at = clock()
    for kb in twins:
        kb.submit(at=at, actor=BOB)
        kb.validate(at=at + timedelta(minutes=1), actor=KIM)
    assert [m.article.id for m in find_articles(t, twins)] == ["KB-X", "KB-Y"]
    assert attrs.has(type(find_articles(t, twins)[0]))
