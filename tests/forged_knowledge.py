"""Forged knowledge-article histories: one case per rule an article trigger checks.

Each original is written by the real triggers; each forgery changes one
event the way a hand-built history or an edited row would. Publication before
Self-validation by a system-role actor other than `SYSTEM` is checked live
only (a stored event names the actor's id, not its roles), so no case here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from forged import Forged, forced, replaced, with_payload
from itil_l2 import Actor, KnowledgeArticle
from itil_l2.errors import ValidationError
from itil_l2.knowledge import IncompleteArticle, PublicationNotDue, SelfValidationRefused
from itil_l2.knowledge import events as ev
from itil_l2.knowledge.events import FlagKind, KnowledgeEvent
from itil_l2.tickets import FieldChange

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
BOB = Actor("bob", groups={"database-l2"})  # the author
KIM = Actor("kim", roles={"knowledge_manager"})  # the reviewer
ANN = Actor("ann", groups={"service-desk"})  # a reader
STEPS = ["Log on to db-prod-3", "Run lsnrctl start"]


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _draft(id: str = "KB-F1") -> KnowledgeArticle:
    return KnowledgeArticle.draft(
        id=id,
        title="Order app: ORA-12541",
        symptom="ORA-12541: TNS no listener when the order app connects",
        resolution_steps=STEPS,
        ci_refs=["db-prod-3"],
        categories=["database"],
        at=_at(0),
        actor=BOB,
    )


def _lifecycle() -> tuple[tuple[KnowledgeEvent, ...], tuple[KnowledgeEvent, ...]]:
    """Events 1-10 of KB-F1 and event 1 of its new version KB-F2.

    1 draft (bob), 2 edit of the cause, 3 submit, 4 send back (kim), 5 submit,
    6 validate (kim), 7 rate (ann), 8 flag (ann), 9 dismiss flags (kim),
    10 supersede by KB-F2 (kim).
    """
    kb = _draft()
    kb.edit(at=_at(1), actor=BOB, cause="listener not started after patching")
    kb.submit(at=_at(2), actor=BOB)
    kb.send_back("add the error text", at=_at(3), actor=KIM)
    kb.submit(at=_at(4), actor=BOB)
    kb.validate(at=_at(5), actor=KIM)
    kb.rate(True, at=_at(6), actor=ANN, comment="worked")
    kb.flag(FlagKind.OUTDATED, "19c uses a new path", at=_at(7), actor=ANN)
    kb.dismiss_flags("checked on 19c: still right", at=_at(8), actor=KIM)
    new, _ = kb.new_version(id="KB-F2", at=_at(9), actor=KIM, resolution_steps=["lsnrctl start"])
    return kb.history, new.history


def _edited_after_submit() -> tuple[KnowledgeEvent, ...]:
    """1 draft, 2 submit, 3 edit of the cause in review, 4 validate (kim)."""
    kb = _draft()
    kb.submit(at=_at(1), actor=BOB)
    kb.edit(at=_at(2), actor=BOB, cause="listener stopped")
    kb.validate(at=_at(3), actor=KIM)
    return kb.history


def _scheduled() -> tuple[KnowledgeEvent, ...]:
    """1 draft, 2 submit, 3 validate for publication an hour later, 4 publish when due."""
    kb = _draft()
    kb.submit(at=_at(1), actor=BOB)
    kb.validate(at=_at(2), actor=KIM, publish_at=_at(62))
    kb.publish(at=_at(62), actor=KIM)
    return kb.history


LIFE, SUCCESSOR = _lifecycle()
SCHEDULED = _scheduled()
REVIEWED = _edited_after_submit()
DRAFTED = LIFE[0].payload
CAUSE = FieldChange("cause", None, "listener not started after patching")


def _edit(*changes: FieldChange) -> tuple[KnowledgeEvent, ...]:
    return with_payload(LIFE, 2, forced(ev.ArticleEdited, changes=changes))


CASES: list[Forged] = [
    Forged(
        "article submitted without a symptom",
        KnowledgeArticle,
        LIFE,
        with_payload(LIFE, 1, attrs.evolve(DRAFTED, symptom="")),
        IncompleteArticle,
    ),
    Forged(
        "article validated after an edit emptied its resolution steps",
        KnowledgeArticle,
        REVIEWED,
        with_payload(REVIEWED, 3, ev.ArticleEdited((FieldChange("resolution_steps", STEPS, []),))),
        IncompleteArticle,
    ),
    Forged(
        "article validated by its own author",
        KnowledgeArticle,
        LIFE,
        replaced(LIFE, 6, attrs.evolve(LIFE[5], actor_id=BOB.id)),
        SelfValidationRefused,
    ),
    Forged("article edit that changes nothing", KnowledgeArticle, LIFE, _edit(), ValidationError),
    Forged(
        "article edit of a field that is no content (the author)",
        KnowledgeArticle,
        LIFE,
        _edit(FieldChange("author", "bob", "kim")),
        ValidationError,
    ),
    Forged(
        "article edit naming a wrong old value",
        KnowledgeArticle,
        LIFE,
        _edit(attrs.evolve(CAUSE, old="listener crashed")),
        ValidationError,
    ),
    Forged(
        "article edit changing one field twice",
        KnowledgeArticle,
        LIFE,
        _edit(CAUSE, CAUSE),
        ValidationError,
    ),
    Forged(
        "article edit to a blank title",
        KnowledgeArticle,
        LIFE,
        _edit(FieldChange("title", DRAFTED.title, "  ")),
        ValidationError,
    ),
    Forged(
        "article edit to repeated CI refs",
        KnowledgeArticle,
        LIFE,
        _edit(FieldChange("ci_refs", ["db-prod-3"], ["db-prod-3", "db-prod-3"])),
        ValidationError,
    ),
    Forged(
        "article flags dismissed while none is open",
        KnowledgeArticle,
        LIFE,
        with_payload(LIFE, 8, ev.ArticleRated(False)),
        ValidationError,
    ),
    Forged(
        "article superseded by itself",
        KnowledgeArticle,
        LIFE,
        with_payload(LIFE, 10, ev.ArticleSuperseded("KB-F1")),
        ValidationError,
    ),
    Forged(
        "article sent back for a blank reason",
        KnowledgeArticle,
        LIFE,
        with_payload(LIFE, 4, forced(ev.ArticleSentBack, reason="  ")),
        ValidationError,
    ),
    Forged(
        "article drafted with a blank title",
        KnowledgeArticle,
        LIFE,
        with_payload(
            LIFE,
            1,
            forced(ev.ArticleDrafted, **{**attrs.asdict(DRAFTED, recurse=False), "title": " "}),
        ),
        ValidationError,
    ),
    Forged(
        "article version that supersedes itself",
        KnowledgeArticle,
        SUCCESSOR,
        with_payload(SUCCESSOR, 1, attrs.evolve(SUCCESSOR[0].payload, supersedes="KB-F2")),
        ValidationError,
    ),
    Forged(
        "article first revision that supersedes another",
        KnowledgeArticle,
        LIFE,
        with_payload(LIFE, 1, attrs.evolve(DRAFTED, supersedes="KB-F0")),
        ValidationError,
    ),
    Forged(
        "article published before its publish_at",
        KnowledgeArticle,
        SCHEDULED,
        replaced(SCHEDULED, 4, attrs.evolve(SCHEDULED[3], at=_at(30))),
        PublicationNotDue,
    ),
    Forged(
        "article scheduled for a time before its validation",
        KnowledgeArticle,
        SCHEDULED,
        with_payload(SCHEDULED, 3, ev.ArticleValidated(_at(1))),
        ValidationError,
    ),
]
