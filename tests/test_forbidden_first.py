"""Permissions come before the workflow, for every entity kind and every trigger.

An actor the permissions policy refuses gets `NotPermitted` (forbidden, 403)
in whatever state the entity is, never a workflow error (409), whose message
lists the allowed triggers and so would tell them where the entity is; and
the refused trigger changes nothing, on either side of a two-entity step.
Each entity is driven into a random reachable state through the real
workflow, then every trigger of its kind's `Trigger` enum is fired with
plausible arguments at a time drawn before, at or after its last event.

The same trigger by a permitted actor, where the workflow forbids it, must be
a workflow error: so the property fails if the workflow is asked first again.
Creating an entity is not the policy's to refuse (it has no entity to look
at yet; anyone may log a ticket or raise an RFC): the one creation trigger of
each kind is listed as such, and every other trigger needs a case here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

import attrs
import pytest
from attrs import frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forbidden_cases import (
    ARTICLE_CASES,
    ARTICLE_EXTRA,
    CHANGE_CASES,
    CHANGE_EXTRA,
    CI_CASES,
    CI_EXTRA,
    PROBLEM_CASES,
    T0,
    TICKET_CASES,
    TICKET_EXTRA,
    Case,
    PermitAll,
    Refuse,
)
from itil_l2 import (
    SYSTEM,
    Actor,
    ChangeConfig,
    ChangeRequest,
    CmdbConfig,
    ConfigurationItem,
    ErrorCategory,
    Impact,
    ItilL2Error,
    KnowledgeArticle,
    KnowledgeConfig,
    NotPermitted,
    Problem,
    ProblemConfig,
    Role,
    Ticket,
    Urgency,
    WorkflowConfig,
    WorkflowError,
)
from itil_l2.changes import (
    ChangeRisk,
    ChangeTrigger,
    ChangeType,
)
from itil_l2.cmdb import CiKind, CiStatus, CiTrigger
from itil_l2.knowledge import KnowledgeTrigger
from itil_l2.problems import ProblemTrigger
from itil_l2.testing import (
    CHANGE_GROUPS,
    DEFAULT_GROUPS,
    change_requests,
    configuration_items,
    knowledge_articles,
    snapshot,
    tickets,
)
from itil_l2.tickets import Trigger


class _Drawer:
    """Lets a case draw inside a composite strategy as it does from `st.data()`."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw


@frozen
class Kind:
    """One entity kind: its triggers, how to make one, and a case for each trigger."""

    triggers: type[StrEnum]
    creation: StrEnum
    entities: st.SearchStrategy[Any] | None
    """The testing package's strategy for this kind, if it has one (see `reachable`)."""
    cases: Mapping[Any, tuple[Case, ...]]
    create: Callable[[Any, Actor], Any]
    """A new entity under the given config, created by the given actor."""
    config: Any
    extra: Mapping[Any, tuple[Case, ...]]
    settle: Callable[[Any], object] = lambda entity: None
    """Moves a new entity where the workflow refuses some trigger (a new CI takes them all)."""


OUTSIDER = Actor("mallory", groups={"marketing"})
KINDS = {
    "ticket": Kind(
        Trigger, Trigger.OPEN, tickets(), TICKET_CASES,
        lambda cfg, by: Ticket.open(id="INC-1", title="VPN down", impact=Impact.LOW,
                                urgency=Urgency.LOW, owner_group=DEFAULT_GROUPS[0], at=T0,
                                actor=by, config=cfg),
        WorkflowConfig(), TICKET_EXTRA,
    ),
    "problem": Kind(
        ProblemTrigger, ProblemTrigger.OPEN, None, PROBLEM_CASES,
        lambda cfg, by: Problem.open(id="PRB-1", statement="Orders fail", impact=Impact.LOW,
                                 urgency=Urgency.LOW, at=T0, actor=by, config=cfg),
        ProblemConfig(), {},
    ),
    "change": Kind(
        ChangeTrigger, ChangeTrigger.RAISE, change_requests(), CHANGE_CASES,
        lambda cfg, by: ChangeRequest.raise_(id="CHG-1", title="Rebuild the index",
                                         change_type=ChangeType.NORMAL, risk=ChangeRisk.LOW,
                                         group=CHANGE_GROUPS[0], at=T0, actor=by,
                                         config=cfg),
        ChangeConfig(), CHANGE_EXTRA,
    ),
    "article": Kind(
        KnowledgeTrigger, KnowledgeTrigger.DRAFT, knowledge_articles(), ARTICLE_CASES,
        lambda cfg, by: KnowledgeArticle.draft(id="KB-1", title="Printer jams", at=T0,
                                           actor=by, config=cfg),
        KnowledgeConfig(), ARTICLE_EXTRA,
    ),
    "ci": Kind(
        CiTrigger, CiTrigger.REGISTER, configuration_items(), CI_CASES,
        lambda cfg, by: ConfigurationItem.register(id="db-1", name="db", kind=CiKind.SERVER,
                                               support_group=DEFAULT_GROUPS[3], at=T0,
                                               actor=by, config=cfg),
        CmdbConfig(), CI_EXTRA,
        lambda ci: ci.change_status(CiStatus.RETIRED, at=T0, actor=SYSTEM),
    ),
}  # fmt: skip
ACTORS = st.sampled_from(
    [SYSTEM, OUTSIDER, Actor("ann", groups={"service-desk", "database-l2", "problem-team"}),
     Actor("cara", roles={"cab_member", "change_manager"}),
     Actor("pat", roles={Role.PROBLEM_MANAGER})]
)  # fmt: skip


ENDINGS = frozenset({"cancel", "close", "archive", "retire", "supersede"})


@st.composite
def walked(draw: st.DrawFn, kind: Kind, max_steps: int = 16) -> Any:
    """A new entity moved by the system actor's clean cases, mostly forward (refusals skipped)."""
    entity, now = kind.create(kind.config, SYSTEM), T0
    for _ in range(draw(st.integers(0, max_steps))):
        allowed = [t for t in entity.allowed_triggers() if t in kind.cases]
        forward = [t for t in allowed if t.value not in ENDINGS] or allowed
        if not allowed:
            break
        trigger = draw(st.sampled_from(forward if draw(st.integers(0, 7)) else allowed))
        now += timedelta(minutes=draw(st.integers(0, 90)))
        call, _ = kind.cases[trigger][0](entity, _Drawer(draw))
        with contextlib.suppress(ItilL2Error):  # e.g. a fix before a root cause: no move
            call(now, SYSTEM)
    return entity


def reachable(kind: Kind) -> st.SearchStrategy[Any]:
    """Entities in random reachable states: the testing package's and walked ones."""
    return walked(kind) if kind.entities is None else st.one_of(kind.entities, walked(kind))


def under(entity: Any, policy: Any) -> Any:
    """The same entity (replayed from its history) under a config with `policy`."""
    config = attrs.evolve(entity.config, permissions=policy)
    return type(entity).from_history(entity.history, config=config)


def state_of(entities: tuple[Any, ...]) -> list[Any]:
    return [(e.version, e.state, snapshot(e)) for e in entities]


@pytest.mark.parametrize("name", KINDS)
def test_every_trigger_but_creation_has_a_case(name: str) -> None:
    kind = KINDS[name]
    assert set(kind.triggers) - set(kind.cases) == {kind.creation}
    assert set(kind.cases) <= set(kind.triggers)
    assert set(kind.extra) <= set(kind.cases)


@pytest.mark.parametrize("name", KINDS)
def test_creating_is_not_the_policys_to_refuse(name: str) -> None:
    kind = KINDS[name]
    entity = kind.create(attrs.evolve(kind.config, permissions=Refuse()), OUTSIDER)
    assert (entity.version, entity.history[0].actor_id) == (1, OUTSIDER.id)


def check_forbidden(kind: Kind, entity: Any, trigger: Any, actor: Actor, data: Any) -> None:
    """Every case of `trigger`: a refused actor gets NotPermitted and nothing changes."""
    policy = Refuse(None if data.draw(st.booleans(), label="refuse all") else trigger)
    subject = under(entity, policy)
    for case in (*kind.cases[trigger], *kind.extra.get(trigger, ())):
        call, others = case(subject, data)
        before = state_of((subject, *others))
        minutes = data.draw(st.sampled_from([-60, 0, 1, 600]), label="minutes after last")
        with pytest.raises(NotPermitted) as info:
            call(subject.updated_at + timedelta(minutes=minutes), actor)
        error = info.value
        assert (error.category, error.category.http_status) == (ErrorCategory.FORBIDDEN, 403)
        assert (error.actor_id, error.trigger) == (actor.id, trigger.value)
        assert state_of((subject, *others)) == before


def check_workflow_refuses(kind: Kind, entity: Any, trigger: Any, actor: Actor, data: Any) -> None:
    """Where the workflow forbids `trigger`, a permitted actor gets a workflow error (409)."""
    subject = under(entity, PermitAll())
    for case in kind.cases[trigger]:
        call, others = case(subject, data)
        before = state_of((subject, *others))
        with pytest.raises(WorkflowError) as info:
            call(subject.updated_at + timedelta(minutes=1), actor)
        assert info.value.category.http_status == 409
        assert state_of((subject, *others)) == before


@pytest.mark.parametrize("name", KINDS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_refused_actor_is_forbidden_in_every_state(name: str, data: st.DataObject) -> None:
    kind = KINDS[name]
    entity = data.draw(reachable(kind), label="entity")
    actor = data.draw(ACTORS, label="actor")
    for trigger in kind.cases:
        check_forbidden(kind, entity, trigger, actor, data)
        if trigger not in entity.allowed_triggers():
            check_workflow_refuses(kind, entity, trigger, actor, data)


@pytest.mark.parametrize("name", KINDS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_the_order_shows_where_the_workflow_refuses(name: str, data: st.DataObject) -> None:
    """Where the workflow refuses a trigger: permitted, a 409; refused, a 403 (not the 409)."""
    kind = KINDS[name]
    entity = kind.create(kind.config, OUTSIDER)
    kind.settle(entity)
    illegal = [t for t in kind.cases if t not in entity.allowed_triggers()]
    assert illegal, f"{entity!r} allows every trigger"
    for trigger in illegal:
        check_workflow_refuses(kind, entity, trigger, SYSTEM, data)
        check_forbidden(kind, entity, trigger, SYSTEM, data)
