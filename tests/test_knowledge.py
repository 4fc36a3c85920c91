"""KnowledgeArticle: creation, authoring, review, feedback, versions, history and JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import attrs
import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    CorruptHistory,
    InvalidTransition,
    ItilL2Error,
    KnowledgeArticle,
    KnowledgeConfig,
    NotPermitted,
    Tier,
    ValidationError,
)
from itil_l2.errors import EventOutOfOrder, NaiveDatetime
from itil_l2.knowledge import (
    DefaultKnowledgePermissions,
    IncompleteArticle,
    KcsConfidence,
    PublicationNotDue,
    SelfValidationRefused,
)
from itil_l2.knowledge.events import ArticleEdited, Audience, FlagKind, KnowledgeEvent
from itil_l2.storage import entity_from_json, entity_to_json
from itil_l2.testing import article_snapshot
from itil_l2.tickets import FieldChange
from support import Clock

BOB = Actor("bob", groups={"database-l2"})  # L2 author
KIM = Actor("kim", roles={"knowledge_manager"})  # KCS publisher
PIA = Actor("pia", groups={"kb-publishers"})
ANN = Actor("ann", groups={"service-desk"})  # L1 reader


def draft(clock: Clock, **fields: object) -> KnowledgeArticle:
    values: dict[str, object] = {
        "id": "KB-1",
        "title": "Order app: ORA-12541",
        "symptom": "ORA-12541: TNS no listener when the order app connects",
        "resolution_steps": ["Log on to db-prod-3", "Run lsnrctl start"],
        "ci_refs": ["db-prod-3"],
        "categories": ["database"],
        "at": clock(),
        "actor": BOB,
        **fields,
    }
    return KnowledgeArticle.draft(**values)  # type: ignore[arg-type]


def published(clock: Clock, **fields: object) -> KnowledgeArticle:
    kb = draft(clock, **fields)
    kb.submit(at=clock(), actor=BOB)
    kb.validate(at=clock(), actor=KIM)
    return kb


def refused(kb: KnowledgeArticle, error: type[ItilL2Error], call: object) -> ItilL2Error:
    before = article_snapshot(kb)
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert article_snapshot(kb) == before
    return info.value


# -- creation ------------------------------------------------------------------------


def test_draft_records_every_field_and_one_event(clock: Clock) -> None:
    kb = draft(clock, ci_refs=["db-prod-3", "db-prod-3", "listener"], source_tickets=["INC-1"])
    assert (kb.id, kb.state, kb.version, kb.revision) == ("KB-1", "draft", 1, 1)
    assert kb.confidence is KcsConfidence.WORK_IN_PROGRESS
    assert kb.author == "bob" and kb.audience is Audience.L1
    assert kb.ci_refs == ("db-prod-3", "listener")  # duplicates dropped, order kept
    assert kb.resolution_steps == ("Log on to db-prod-3", "Run lsnrctl start")
    assert kb.source_tickets == ("INC-1",) and kb.cause is None
    assert kb.supersedes is None and kb.superseded_by is None and kb.published_at is None
    assert kb.history[0].kind == "draft" and kb.history[0].actor_id == "bob"
    assert kb.reviewers == () and kb.flags == () and dict(kb.votes) == {}


def test_a_draft_needs_only_a_title_and_may_name_another_author(clock: Clock) -> None:
    kb = KnowledgeArticle.draft(id="KB-2", title="VPN", at=clock(), actor=SYSTEM, author="nina")
    assert kb.author == "nina" and kb.symptom == "" and kb.resolution_steps == ()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "  "}, ValidationError),
        ({"id": ""}, ValidationError),
        ({"ci_refs": "db-prod-3"}, ValidationError),
        ({"resolution_steps": ["ok", ""]}, ValidationError),
        ({"audience": "l1"}, ValidationError),
        ({"cause": ""}, ValidationError),
        ({"actor": "bob"}, ValidationError),
        ({"at": datetime(2026, 3, 2, 9)}, NaiveDatetime),
        ({"config": object()}, ValidationError),
    ],
)
def test_draft_refuses_bad_input(clock: Clock, fields: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        draft(clock, **fields)


# -- authoring and review ----------------------------------------------------------------


def test_submit_names_every_missing_part_and_changes_nothing(clock: Clock) -> None:
    kb = KnowledgeArticle.draft(id="KB-3", title="VPN drops", at=clock(), actor=BOB)
    error = refused(kb, IncompleteArticle, lambda: kb.submit(at=clock(), actor=BOB))
    assert error.missing == (  # type: ignore[attr-defined]
        "symptom",
        "resolution steps (at least 1)",
        "scope (at least one CI or category)",
    )
    lax = KnowledgeConfig(min_resolution_steps=0, require_scope=False)
    kb2 = KnowledgeArticle.draft(
        id="KB-4", title="VPN", symptom="drops", at=clock(), actor=BOB, config=lax
    )
    kb2.submit(at=clock(), actor=BOB)
    assert kb2.state == "not_validated" and kb2.confidence is KcsConfidence.NOT_VALIDATED


def test_edit_records_old_and_new_values_in_json_form(clock: Clock) -> None:
    kb = draft(clock)
    kb.edit(
        at=clock(),
        actor=BOB,
        title="ORA-12541 in the order app",
        categories=["database", "orders"],
        audience=Audience.PUBLIC,
        cause="listener not started after patching",
    )
    payload = kb.history[-1].payload
    assert isinstance(payload, ArticleEdited)
    assert sorted(payload.changes, key=lambda c: c.field) == [
        FieldChange("audience", "l1", "public"),
        FieldChange("categories", ["database"], ["database", "orders"]),
        FieldChange("cause", None, "listener not started after patching"),
        FieldChange("title", "Order app: ORA-12541", "ORA-12541 in the order app"),
    ]
    assert kb.categories == ("database", "orders") and kb.audience is Audience.PUBLIC
    refused(kb, ValidationError, lambda: kb.edit(at=clock(), actor=BOB, title=kb.title))
    refused(kb, ValidationError, lambda: kb.edit(at=clock(), actor=BOB, title=""))
    refused(kb, NotPermitted, lambda: kb.edit(at=clock(), actor=ANN, title="Mine now"))


def test_edit_after_validation_is_refused(clock: Clock) -> None:
    kb = published(clock)
    refused(kb, InvalidTransition, lambda: kb.edit(at=clock(), actor=KIM, title="Quick fix"))


def test_authors_may_not_validate_their_own_articles_by_default(clock: Clock) -> None:
    kb = draft(clock)
    kb.submit(at=clock(), actor=BOB)
    bob_publisher = attrs.evolve(BOB, roles={"knowledge_manager"})
    refused(kb, SelfValidationRefused, lambda: kb.validate(at=clock(), actor=bob_publisher))
    kb.validate(at=clock(), actor=SYSTEM)  # imports copy a decision made elsewhere
    assert kb.state == "published"
    own = KnowledgeConfig(allow_self_validation=True)
    kb2 = draft(clock, id="KB-2", config=own)
    kb2.submit(at=clock(), actor=BOB)
    kb2.validate(at=clock(), actor=bob_publisher)
    assert kb2.state == "published" and kb2.reviewers == ("bob",)


def test_only_the_system_actor_itself_may_validate_its_own_articles(clock: Clock) -> None:
    own = draft(clock, id="KB-7", actor=SYSTEM)  # authored by the system actor
    own.submit(at=clock(), actor=SYSTEM)
    importer = Actor("importer", roles={"system"})
    theirs = draft(clock, id="KB-8", actor=importer)
    theirs.submit(at=clock(), actor=importer)
    refused(theirs, SelfValidationRefused, lambda: theirs.validate(at=clock(), actor=importer))
    impostor = Actor("system", roles={"knowledge_manager"})
    refused(own, SelfValidationRefused, lambda: own.validate(at=clock(), actor=impostor))
    own.validate(at=clock(), actor=SYSTEM)
    assert KnowledgeArticle.from_history(own.history).state == "published"


def test_an_edit_of_nothing_meets_the_lifecycle_first(clock: Clock) -> None:
    kb = published(clock)
    refused(kb, InvalidTransition, lambda: kb.edit(at=clock(), actor=KIM, title=kb.title))
    refused(kb, InvalidTransition, lambda: kb.edit(at=clock(), actor=KIM))


def test_validation_rechecks_completeness(clock: Clock) -> None:
    kb = draft(clock)
    kb.submit(at=clock(), actor=BOB)
    kb.edit(at=clock(), actor=BOB, resolution_steps=[])
    error = refused(kb, IncompleteArticle, lambda: kb.validate(at=clock(), actor=KIM))
    assert error.missing == ("resolution steps (at least 1)",)  # type: ignore[attr-defined]


def test_send_back_and_validation_record_reviewers(clock: Clock) -> None:
    kb = draft(clock)
    kb.submit(at=clock(), actor=BOB)
    kb.send_back("add the error text", at=clock(), actor=KIM)
    assert kb.state == "draft"
    kb.submit(at=clock(), actor=BOB)
    policy = KnowledgeConfig(
        permissions=DefaultKnowledgePermissions(publisher_groups="kb-publishers")
    )
    assert policy.permissions.permits(PIA, "validate", kb)  # type: ignore[arg-type]
    kb.validate(at=clock(), actor=KIM)
    assert kb.reviewers == ("kim",)
    kb2 = draft(clock, id="KB-2", config=policy)
    kb2.submit(at=clock(), actor=BOB)
    kb2.send_back("typo", at=clock(), actor=KIM)
    kb2.submit(at=clock(), actor=BOB)
    kb2.validate(at=clock(), actor=PIA)
    assert kb2.reviewers == ("kim", "pia") and kb2.published_at == kb2.updated_at


def test_scheduled_publication(clock: Clock) -> None:
    kb = draft(clock)
    kb.submit(at=clock(), actor=BOB)
    at = clock()
    refused(kb, ValidationError, lambda: kb.validate(at=at, actor=KIM, publish_at=at))
    refused(
        kb,
        NaiveDatetime,
        lambda: kb.validate(at=at, actor=KIM, publish_at=datetime(2030, 1, 1)),
    )
    monday = at + timedelta(days=3)
    kb.validate(at=at, actor=KIM, publish_at=monday)
    assert (kb.state, kb.publish_at, kb.published_at) == ("scheduled", monday, None)
    assert kb.confidence is KcsConfidence.VALIDATED
    refused(kb, PublicationNotDue, lambda: kb.publish(at=monday - timedelta(seconds=1), actor=KIM))
    kb.publish(at=monday, actor=KIM)
    assert kb.state == "published" and kb.published_at == monday


# -- feedback ------------------------------------------------------------------------------


def test_each_raters_latest_vote_counts(clock: Clock) -> None:
    kb = published(clock)
    kb.rate(True, at=clock(), actor=ANN)
    kb.rate(False, at=clock(), actor=BOB, comment="step 2 differs on RAC")
    kb.rate(False, at=clock(), actor=ANN)
    assert dict(kb.votes) == {"ann": False, "bob": False}
    with pytest.raises(TypeError):
        kb.votes["ann"] = True  # type: ignore[index]
    refused(kb, ValidationError, lambda: kb.rate(1, at=clock(), actor=ANN))  # type: ignore[arg-type]


def test_flags_stay_open_until_dismissed(clock: Clock) -> None:
    kb = published(clock)
    refused(kb, ValidationError, lambda: kb.dismiss_flags("nothing", at=clock(), actor=KIM))
    first, second = clock(), clock()
    kb.flag(FlagKind.OUTDATED, "19c uses a new path", at=first, actor=ANN)
    kb.flag(FlagKind.WRONG, "step 2 fails", at=second, actor=BOB)
    assert [(f.kind, f.by, f.at) for f in kb.flags] == [
        (FlagKind.OUTDATED, "ann", first),
        (FlagKind.WRONG, "bob", second),
    ]
    refused(kb, NotPermitted, lambda: kb.dismiss_flags("fine", at=clock(), actor=ANN))
    kb.dismiss_flags("checked on 19c: still right", at=clock(), actor=KIM)
    assert kb.flags == ()
    kb.flag(FlagKind.WRONG, "again", at=clock(), actor=ANN)
    assert len(kb.flags) == 1
    refused(kb, ValidationError, lambda: kb.flag("wrong", "x", at=clock(), actor=ANN))  # type: ignore[arg-type]


# -- permissions and time ----------------------------------------------------------------------


def test_default_permissions(clock: Clock) -> None:
    kb = draft(clock)
    refused(kb, NotPermitted, lambda: kb.submit(at=clock(), actor=ANN))
    kb.submit(at=clock(), actor=BOB)
    refused(kb, NotPermitted, lambda: kb.validate(at=clock(), actor=ANN))
    kb.rate(True, at=clock(), actor=ANN)  # anyone gives feedback
    kb.validate(at=clock(), actor=KIM)
    refused(kb, NotPermitted, lambda: kb.archive("mine", at=clock(), actor=BOB))
    refused(kb, NotPermitted, lambda: kb.retire("old", at=clock(), actor=BOB))
    own_draft = draft(clock, id="KB-2")
    own_draft.archive("duplicate of KB-1", at=clock(), actor=BOB)
    assert own_draft.state == "archived"


def test_time_never_goes_back(clock: Clock) -> None:
    kb = draft(clock)
    earlier = kb.updated_at - timedelta(seconds=1)
    refused(kb, EventOutOfOrder, lambda: kb.submit(at=earlier, actor=BOB))
    refused(kb, NaiveDatetime, lambda: kb.submit(at=datetime(2030, 1, 1), actor=BOB))


# -- new versions --------------------------------------------------------------------------------


def test_new_version_outdates_the_old_one_and_copies_content(clock: Clock) -> None:
    old = published(clock)
    old.rate(True, at=clock(), actor=ANN)
    old.flag(FlagKind.OUTDATED, "19c", at=clock(), actor=ANN)
    at = clock()
    new, same = old.new_version(
        id="KB-1-v2", at=at, actor=KIM, resolution_steps=["Run lsnrctl start LISTENER_19"]
    )
    assert same is old
    assert (old.state, old.superseded_by, old.confidence.value) == (
        "outdated",
        "KB-1-v2",
        "archived",
    )
    assert (new.state, new.revision, new.supersedes, new.author) == ("draft", 2, "KB-1", "kim")
    assert new.resolution_steps == ("Run lsnrctl start LISTENER_19",)
    assert (new.title, new.symptom, new.ci_refs, new.categories) == (
        old.title,
        old.symptom,
        old.ci_refs,
        old.categories,
    )
    assert new.flags == () and dict(new.votes) == {}  # feedback belongs to a version
    assert [e.kind for e in old.history][-1] == "supersede" and old.updated_at == at
    assert new.version == 1 and new.opened_at == at
    refused(old, InvalidTransition, lambda: old.rate(True, at=clock(), actor=ANN))


def test_a_refused_new_version_changes_neither_article(clock: Clock) -> None:
    old = published(clock)
    for error, call in [
        (ValidationError, lambda: old.new_version(id="KB-1", at=clock(), actor=KIM)),
        (ValidationError, lambda: old.new_version(id="KB-2", at=clock(), actor=KIM, title=" ")),
        (NotPermitted, lambda: old.new_version(id="KB-2", at=clock(), actor=ANN)),
        (
            EventOutOfOrder,
            lambda: old.new_version(id="KB-2", at=old.updated_at - timedelta(1), actor=KIM),
        ),
    ]:
        refused(old, error, call)
    kb = draft(clock, id="KB-5")
    refused(kb, InvalidTransition, lambda: kb.new_version(id="KB-6", at=clock(), actor=BOB))


def test_the_author_may_start_a_new_version(clock: Clock) -> None:
    old = published(clock)
    new, _ = old.new_version(id="KB-1-v2", at=clock(), actor=BOB, audience=Audience.PUBLIC)
    assert new.author == "bob" and new.audience is Audience.PUBLIC and old.state == "outdated"


# -- reading rules, history and JSON --------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "l1", "l2"),
    [(Audience.L1, True, True), (Audience.PUBLIC, True, True), (Audience.L2_INTERNAL, False, True)],
)
def test_audience_decides_who_reads(clock: Clock, audience: Audience, l1: bool, l2: bool) -> None:
    kb = draft(clock, audience=audience)
    assert (kb.readable_at(Tier.L1), kb.readable_at(Tier.L2), kb.readable_at(Tier.L3)) == (
        l1,
        l2,
        l2,
    )


def _eventful(clock: Clock) -> KnowledgeArticle:
    kb = draft(clock)
    kb.edit(at=clock(), actor=BOB, cause="listener stopped", audience=Audience.PUBLIC)
    kb.submit(at=clock(), actor=BOB)
    kb.validate(at=clock(), actor=KIM, publish_at=clock.now + timedelta(hours=2))
    kb.publish(at=clock.now + timedelta(hours=3), actor=KIM)
    kb.rate(True, at=clock.now + timedelta(hours=4), actor=ANN, comment="worked")
    kb.flag(FlagKind.WRONG, "typo", at=clock.now + timedelta(hours=5), actor=ANN)
    kb.propose_retirement("19c", at=clock.now + timedelta(hours=6), actor=KIM)
    kb.reinstate("still on 12c", at=clock.now + timedelta(hours=7), actor=KIM)
    return kb


def test_history_replays_exactly_and_tracks_pending_events(clock: Clock) -> None:
    kb = _eventful(clock)
    assert [e.version for e in kb.history] == list(range(1, 10))
    assert len(kb.pending_events()) == 9
    rebuilt = KnowledgeArticle.from_history(kb.history)
    assert article_snapshot(rebuilt) == article_snapshot(kb)
    assert rebuilt.pending_events() == ()
    kb.mark_persisted()
    assert kb.pending_events() == ()


def test_corrupt_histories_are_refused(clock: Clock) -> None:
    kb = _eventful(clock)
    with pytest.raises(CorruptHistory):
        KnowledgeArticle.from_history(kb.history[1:])
    with pytest.raises(CorruptHistory):
        KnowledgeArticle.from_history([kb.history[0], kb.history[2]])
    other = attrs.evolve(kb.history[1], entity_id="KB-99")
    with pytest.raises(CorruptHistory):
        KnowledgeArticle.from_history([kb.history[0], other])
    illegal = KnowledgeEvent("KB-1", 2, kb.history[1].at, "kim", kb.history[4].payload)
    with pytest.raises(CorruptHistory):  # validate straight from draft
        KnowledgeArticle.from_history([kb.history[0], illegal])


def test_json_text_round_trip(clock: Clock) -> None:
    kb = _eventful(clock)
    text = json.dumps(entity_to_json(kb))
    data = json.loads(text)
    assert data["kind"] == "KnowledgeArticle" and data["version"] == 9
    assert [e["payload"]["type"] for e in data["history"]] == [e.kind for e in kb.history]
    rebuilt = entity_from_json(KnowledgeArticle, data)
    expected, actual = article_snapshot(kb), article_snapshot(rebuilt)
    for name, value in expected.items():
        assert actual[name] == value, name
    assert rebuilt.publish_at == kb.publish_at and rebuilt.publish_at is not None
    assert rebuilt.publish_at.utcoffset() == timedelta(0)


def test_repr_names_id_revision_state_and_version(clock: Clock) -> None:
    assert repr(draft(clock)) == "<KnowledgeArticle KB-1 r1 draft v1>"
