"""Property tests of the article lifecycle: the stateful test and generated articles."""

from __future__ import annotations

import itertools
import json
import os
from types import SimpleNamespace

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from itil_l2 import ItilL2Error, KnowledgeArticle, KnowledgeConfig
from itil_l2.knowledge import WORKFLOW, ArticleState, KnowledgeTrigger
from itil_l2.storage import entity_from_json, entity_to_json
from itil_l2.testing import (
    KnowledgeLifecycleMachine,
    article_snapshot,
    expected_article_move,
    knowledge_articles,
)

EXAMPLES = int(os.environ.get("ITIL_L2_STATEFUL_EXAMPLES", "100"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class DefaultLifecycle(KnowledgeLifecycleMachine):
    """The default configuration (no self-validation)."""


class SelfValidatingLifecycle(KnowledgeLifecycleMachine):
    """Authors may validate their own articles."""

    config = KnowledgeConfig(allow_self_validation=True)


TestDefaultLifecycle = DefaultLifecycle.TestCase
TestDefaultLifecycle.settings = _SETTINGS
TestSelfValidatingLifecycle = SelfValidatingLifecycle.TestCase
TestSelfValidatingLifecycle.settings = settings(_SETTINGS, max_examples=max(EXAMPLES // 4, 20))


@seed(20680)
class _OnceFlakySelfValidatingLifecycle(SelfValidatingLifecycle):
    """A run that failed `HealthCheck.filter_too_much` while rules had preconditions.

    Swarm testing switched `draft` or `fire` off in most early test cases,
    which left steps where no rule could run; with this seed (hypothesis
    6.170) 50 test cases were thrown away before the tenth good one.
    """


def test_swarm_testing_throws_no_test_case_away() -> None:
    run_state_machine_as_test(
        _OnceFlakySelfValidatingLifecycle, settings=settings(_SETTINGS, max_examples=25)
    )


@settings(max_examples=12, deadline=None, database=None, derandomize=True)
@given(st.sampled_from(["draft", "fire", "new_version"]), st.data())
def test_any_one_rule_alone_keeps_the_machine_going(name: str, data: st.DataObject) -> None:
    """Swarm testing may switch all other rules off, so each rule must run in every state."""
    machine = DefaultLifecycle()
    for _ in range(12):
        getattr(machine, name)(data)
        machine.articles_match_their_models()
        machine.histories_replay()
    assert machine.articles


def test_the_oracle_and_the_compiled_table_agree_everywhere() -> None:
    for state, trigger, later in itertools.product(ArticleState, KnowledgeTrigger, (False, True)):
        if trigger is KnowledgeTrigger.DRAFT:
            continue
        payload = SimpleNamespace(publish_at=object() if later else None)
        try:
            actual: str | None = WORKFLOW.route(
                SimpleNamespace(state=state.value), trigger, payload
            )
        except ItilL2Error:
            actual = None
        expected = expected_article_move(state, trigger, scheduled=later)
        assert actual == (expected.value if expected else None), (state, trigger, later)


@settings(max_examples=150, deadline=None)
@given(knowledge_articles())
def test_generated_articles_replay_and_round_trip_through_json(article: KnowledgeArticle) -> None:
    expected = article_snapshot(article)
    for rebuilt in (
        KnowledgeArticle.from_history(article.history),
        entity_from_json(KnowledgeArticle, json.loads(json.dumps(entity_to_json(article)))),
    ):
        assert article_snapshot(rebuilt) == expected
