"""The article lifecycle: every row of the table, the compiled table vs transitions, refusals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from transitions import MachineError

from itil_l2 import SYSTEM, Actor, InvalidTransition, ItilL2Error, KnowledgeArticle
from itil_l2.knowledge import WORKFLOW, ArticleState, KnowledgeTrigger
from itil_l2.knowledge.events import FlagKind
from itil_l2.testing import article_snapshot
from support import Clock

BOB = Actor("bob", groups={"database-l2"})
KIM = Actor("kim", roles={"knowledge_manager"})

# The issue's lifecycle, written out by hand: (state, trigger, publish later?) -> state.
# Internal moves keep the state; anything not listed is refused.
LIFECYCLE = {
    ("draft", "edit"): "draft",
    ("draft", "submit"): "not_validated",
    ("draft", "archive"): "archived",
    ("not_validated", "edit"): "not_validated",
    ("not_validated", "send_back"): "draft",
    ("not_validated", "validate"): "published",
    ("not_validated", "rate"): "not_validated",
    ("not_validated", "flag"): "not_validated",
    ("not_validated", "dismiss_flags"): "not_validated",
    ("not_validated", "archive"): "archived",
    ("scheduled", "publish"): "published",
    ("scheduled", "archive"): "archived",
    ("published", "rate"): "published",
    ("published", "flag"): "published",
    ("published", "dismiss_flags"): "published",
    ("published", "propose_retirement"): "pending_retirement",
    ("published", "retire"): "retired",
    ("published", "supersede"): "outdated",
    ("published", "archive"): "archived",
    ("pending_retirement", "rate"): "pending_retirement",
    ("pending_retirement", "flag"): "pending_retirement",
    ("pending_retirement", "dismiss_flags"): "pending_retirement",
    ("pending_retirement", "reinstate"): "published",
    ("pending_retirement", "retire"): "retired",
    ("pending_retirement", "archive"): "archived",
    ("outdated", "archive"): "archived",
    ("retired", "archive"): "archived",
}
SCHEDULED = {("not_validated", "validate"): "scheduled"}
ALL_STATES = [
    "draft",
    "not_validated",
    "scheduled",
    "published",
    "pending_retirement",
    "outdated",
    "retired",
    "archived",
]
FIRED = [t for t in KnowledgeTrigger if t is not KnowledgeTrigger.DRAFT]


def _table(state: str, trigger: KnowledgeTrigger, later: bool) -> str | None:
    article = SimpleNamespace(state=state)
    payload = SimpleNamespace(publish_at=object() if later else None)
    try:
        return WORKFLOW.route(article, trigger, payload)
    except ItilL2Error:
        return None


def _machine(state: str, trigger: KnowledgeTrigger, later: bool) -> str | None:
    model = SimpleNamespace(state=state)
    payload = SimpleNamespace(publish_at=object() if later else None)
    try:
        moved = WORKFLOW.machine.trigger_event(
            model, trigger.value, SimpleNamespace(state=state), payload
        )
    except MachineError:
        return None
    return str(model.state) if moved else None


def test_states_are_the_issues_states() -> None:
    assert sorted(WORKFLOW.leaf_states()) == sorted(ALL_STATES)
    assert [s.value for s in ArticleState] == ALL_STATES
    assert WORKFLOW.initial == "draft" and WORKFLOW.states == ALL_STATES
    assert "Knowledge" in WORKFLOW.title
    assert {t["trigger"] for t in WORKFLOW.transitions} == {t.value for t in FIRED}


@pytest.mark.parametrize("state", ALL_STATES)
def test_every_state_trigger_and_condition_outcome(state: str) -> None:
    for trigger, later in itertools.product(FIRED, (False, True)):
        expected = (SCHEDULED if later else {}).get((state, trigger.value))
        expected = expected or LIFECYCLE.get((state, trigger.value))
        table, machine = _table(state, trigger, later), _machine(state, trigger, later)
        assert table == expected, (state, trigger, later, table)
        assert machine == expected, (state, trigger, later, machine)


def test_table_covers_every_state_but_the_final_one() -> None:
    assert {state for state, _ in WORKFLOW.table} == set(ALL_STATES) - {"archived"}


def test_refusal_names_state_and_allowed_triggers() -> None:
    with pytest.raises(InvalidTransition) as info:
        WORKFLOW.route(
            SimpleNamespace(state="draft"),
            KnowledgeTrigger.VALIDATE,
            SimpleNamespace(publish_at=None),
        )
    error = info.value
    assert error.phase == "draft" and error.tier is None
    assert error.allowed == ("archive", "edit", "submit")


# -- refusals on real articles leave them untouched ---------------------------------


def _article(clock: Clock, state: str) -> KnowledgeArticle:
    """An article brought to `state` by the ordinary triggers."""
    kb = KnowledgeArticle.draft(
        id="KB-1",
        title="Listener down",
        symptom="ORA-12541",
        resolution_steps=["lsnrctl start"],
        ci_refs=["db-prod-3"],
        at=clock(),
        actor=BOB,
    )
    steps: dict[str, list[Callable[[KnowledgeArticle], None]]] = {
        "draft": [],
        "not_validated": [lambda a: a.submit(at=clock(), actor=BOB)],
        "scheduled": [
            lambda a: a.submit(at=clock(), actor=BOB),
            lambda a: a.validate(at=clock(), actor=KIM, publish_at=clock.now + timedelta(days=1)),
        ],
    }
    published = [
        lambda a: a.submit(at=clock(), actor=BOB),
        lambda a: a.validate(at=clock(), actor=KIM),
    ]
    steps["published"] = published
    steps["pending_retirement"] = [
        *published,
        lambda a: a.propose_retirement("old", at=clock(), actor=KIM),
    ]
    steps["retired"] = [*published, lambda a: a.retire("gone", at=clock(), actor=KIM)]
    steps["outdated"] = [*published, lambda a: a.new_version(id="KB-2", at=clock(), actor=KIM)]
    steps["archived"] = [lambda a: a.archive("dup", at=clock(), actor=KIM)]
    for step in steps[state]:
        step(kb)
    assert kb.state == state
    return kb


def _call(kb: KnowledgeArticle, trigger: KnowledgeTrigger, clock: Clock) -> None:
    at, actor = clock(), SYSTEM
    calls: dict[KnowledgeTrigger, Callable[[], object]] = {
        KnowledgeTrigger.EDIT: lambda: kb.edit(at=at, actor=actor, title="New title"),
        KnowledgeTrigger.SUBMIT: lambda: kb.submit(at=at, actor=actor),
        KnowledgeTrigger.SEND_BACK: lambda: kb.send_back("why", at=at, actor=actor),
        KnowledgeTrigger.VALIDATE: lambda: kb.validate(at=at, actor=actor),
        KnowledgeTrigger.PUBLISH: lambda: kb.publish(at=at + timedelta(days=2), actor=actor),
        KnowledgeTrigger.RATE: lambda: kb.rate(True, at=at, actor=actor),
        KnowledgeTrigger.FLAG: lambda: kb.flag(FlagKind.WRONG, "no", at=at, actor=actor),
        KnowledgeTrigger.DISMISS_FLAGS: lambda: kb.dismiss_flags("ok", at=at, actor=actor),
        KnowledgeTrigger.PROPOSE_RETIREMENT: lambda: kb.propose_retirement(
            "old", at=at, actor=actor
        ),
        KnowledgeTrigger.REINSTATE: lambda: kb.reinstate("needed", at=at, actor=actor),
        KnowledgeTrigger.RETIRE: lambda: kb.retire("gone", at=at, actor=actor),
        KnowledgeTrigger.ARCHIVE: lambda: kb.archive("dup", at=at, actor=actor),
        KnowledgeTrigger.SUPERSEDE: lambda: kb.new_version(id="KB-9", at=at, actor=actor),
    }
    calls[trigger]()


@pytest.mark.parametrize("state", ALL_STATES)
def test_real_articles_follow_the_table_and_refusals_change_nothing(
    clock: Clock, state: str
) -> None:
    for trigger in FIRED:
        kb = _article(clock, state)
        expected = LIFECYCLE.get((state, trigger.value))
        if trigger is KnowledgeTrigger.DISMISS_FLAGS and expected is not None:
            kb.flag(FlagKind.OUTDATED, "v2 is out", at=clock(), actor=BOB)
        before = article_snapshot(kb)
        if expected is None:
            with pytest.raises(InvalidTransition):
                _call(kb, trigger, clock)
            assert article_snapshot(kb) == before, (state, trigger)
            continue
        _call(kb, trigger, clock)
        assert kb.state == expected, (state, trigger)
        assert kb.version == before["history"][-1].version + 1
        assert kb.history[-1].kind == trigger.value
