"""Knowledge helpers: examples, an oracle of the article lifecycle, strategies.

`expected_article_move` states the article lifecycle as plain if/else from
the issue's text, deliberately not derived from the transitions definition;
`KnowledgeLifecycleMachine` fires random triggers at random articles and
checks every outcome against it and against its own model of each article.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error
from itil_l2.knowledge import (
    KNOWLEDGE_MANAGER,
    ArticleState,
    KnowledgeArticle,
    KnowledgeConfig,
    KnowledgeTrigger,
    TrainingSession,
)
from itil_l2.knowledge.events import Audience, FlagKind
from itil_l2.testing._common import T0, T1, Draw, call_trigger, snapshot, walk
from itil_l2.tickets import SOLVED_PERMANENTLY, Resolution, Ticket

S, T = ArticleState, KnowledgeTrigger
_DESK = SupportGroup("service-desk", Tier.L1)
AUTHOR = Actor("bob", groups={"database-l2"})
"""The author of the example article and of the stateful test's drafts."""
MANAGER = Actor("kim", roles={KNOWLEDGE_MANAGER})
"""A knowledge manager: validates the example article."""
_FEEDBACK_STATES = (S.NOT_VALIDATED, S.PUBLISHED, S.PENDING_RETIREMENT)


def article_snapshot(article: KnowledgeArticle) -> dict[str, Any]:
    """Every field of an article (history included), for before/after comparisons."""
    return snapshot(article)


# -- examples ------------------------------------------------------------------------


def example_article(*, published: bool = False) -> KnowledgeArticle:
    """A small complete article by "bob" (a draft, or validated by "kim" when `published`)."""
    article = KnowledgeArticle.draft(
        id="KB-EXAMPLE",
        title="Printer on floor 3 jams",
        symptom="Paper jams in tray 2 of printer-3",
        resolution_steps=["Cleared the paper path", "Replaced the pickup roller"],
        ci_refs=["printer-3"],
        categories=["printing"],
        at=T0,
        actor=AUTHOR,
    )
    if published:
        article.submit(at=T0 + timedelta(hours=1), actor=AUTHOR)
        article.validate(at=T0 + timedelta(hours=2), actor=MANAGER)
    return article


def example_printer_ticket(*, resolved: bool = False) -> Ticket:
    """An L1 printer ticket `example_article` fits (same CI and category), in progress.

    With `resolved`, it is resolved at L1 with `KB-EXAMPLE` (two-line notes).
    """
    day = T0 + timedelta(days=1)
    ticket = Ticket.open(
        id="INC-EXAMPLE",
        title="Printer on floor 3 jams again",
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=_DESK,
        category="printing",
        ci_refs=["printer-3"],
        at=day,
        actor=SYSTEM,
    )
    ticket.assign(_DESK, at=day + timedelta(minutes=1), actor=SYSTEM)
    ticket.start(at=day + timedelta(minutes=2), actor=SYSTEM)
    if resolved:
        notes = "Cleared the paper path\n\nReplaced the pickup roller\n"
        resolution = Resolution(SOLVED_PERMANENTLY, notes, kb_refs=["KB-EXAMPLE"])
        ticket.resolve(resolution, at=day + timedelta(hours=1), actor=SYSTEM)
    return ticket


def example_training_session(id: str = "TR-EXAMPLE") -> TrainingSession:
    """A two-hour L1 training session on printers."""
    return TrainingSession(
        id=id,
        topic="Printer jams at L1",
        trainer="bob",
        attendees=("ann", "al"),
        start=T1,
        duration=timedelta(hours=2),
        article_refs=("KB-EXAMPLE",),
        categories=("printer",),
    )


# -- the oracle ------------------------------------------------------------------------


def expected_article_move(
    state: ArticleState, trigger: KnowledgeTrigger, *, scheduled: bool = False
) -> ArticleState | None:
    """The state a trigger leads to, or None when the lifecycle forbids it.

    `scheduled` says whether a validation names a future publication time.
    Permissions and the triggers' own checks are not the oracle's business.
    """
    if trigger is T.ARCHIVE:
        return None if state is S.ARCHIVED else S.ARCHIVED
    if trigger in (T.RATE, T.FLAG, T.DISMISS_FLAGS):
        return state if state in _FEEDBACK_STATES else None
    if trigger is T.EDIT:
        return state if state in (S.DRAFT, S.NOT_VALIDATED) else None
    if state is S.DRAFT:
        return S.NOT_VALIDATED if trigger is T.SUBMIT else None
    if state is S.NOT_VALIDATED:
        if trigger is T.SEND_BACK:
            return S.DRAFT
        if trigger is T.VALIDATE:
            return S.SCHEDULED if scheduled else S.PUBLISHED
        return None
    if state is S.SCHEDULED:
        return S.PUBLISHED if trigger is T.PUBLISH else None
    if state is S.PUBLISHED:
        moves = {
            T.PROPOSE_RETIREMENT: S.PENDING_RETIREMENT,
            T.RETIRE: S.RETIRED,
            T.SUPERSEDE: S.OUTDATED,
        }
        return moves.get(trigger)
    if state is S.PENDING_RETIREMENT:
        return {T.REINSTATE: S.PUBLISHED, T.RETIRE: S.RETIRED}.get(trigger)
    return None


def expected_permission(
    actor: Actor, trigger: KnowledgeTrigger, state: ArticleState, author: str
) -> bool:
    """The default knowledge permissions, restated for the stateful test."""
    if actor.has_role(Role.SYSTEM) or actor.has_role(KNOWLEDGE_MANAGER):
        return True
    if trigger in (T.RATE, T.FLAG):
        return True
    if actor.id != author:
        return False
    if trigger is T.ARCHIVE:
        return state in (S.DRAFT, S.NOT_VALIDATED)
    return trigger in (T.EDIT, T.SUBMIT, T.SUPERSEDE)


# -- strategies ------------------------------------------------------------------------

_TEXTS = st.sampled_from(["ORA-12541 on connect", "Paper jams in tray 2", "VPN drops hourly"])
_STEP_TEXTS = st.sampled_from(["Restart the listener", "Clear the tray", "Renew cert"])
_STEPS = st.lists(_STEP_TEXTS, max_size=3)
_REF_TEXTS = st.sampled_from(["db-prod-3", "printer-3", "vpn-gw-1"])
_REFS = st.lists(_REF_TEXTS, max_size=2)
_SOME_REFS = st.lists(_REF_TEXTS, min_size=1, max_size=2)
_CATEGORIES = st.lists(st.sampled_from(["database", "printing", "network"]), max_size=2)


def article_content(
    complete: bool, config: KnowledgeConfig | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """The content fields of a draft: `complete` ones can be submitted under `config`.

    Complete ones carry at least the config's `min_resolution_steps` steps.
    """
    least = max((config or KnowledgeConfig()).min_resolution_steps, 1)
    some_steps = st.lists(_STEP_TEXTS, min_size=least, max_size=max(least, 3))
    steps = some_steps if complete else _STEPS
    refs = _SOME_REFS if complete else _REFS
    return st.fixed_dictionaries(
        {
            "title": st.sampled_from(["Listener down", "Printer jam", "VPN drops"]),
            "symptom": _TEXTS if complete else st.sampled_from(["", "VPN drops hourly"]),
            "resolution_steps": steps,
            "ci_refs": refs,
            "categories": _CATEGORIES,
            "audience": st.sampled_from(Audience),
        }
    )


@st.composite
def knowledge_articles(
    draw: st.DrawFn, *, config: KnowledgeConfig | None = None, max_steps: int = 8
) -> KnowledgeArticle:
    """Articles driven into any reachable state by legal triggers of the system actor."""
    cfg = config or KnowledgeConfig()
    content = draw(article_content(complete=draw(st.booleans()), config=cfg))
    article = KnowledgeArticle.draft(
        id=f"KB-{draw(st.integers(1, 999))}", at=T0, actor=SYSTEM, config=cfg, **content
    )
    for now in walk(draw, max_steps):
        triggers = [t for t in article.allowed_triggers() if t is not T.SUPERSEDE]
        if not triggers:
            break
        trigger = draw(st.sampled_from(triggers))
        kwargs, valid = draw_article_kwargs(draw, trigger, now)
        if not valid:
            continue
        try:
            call_trigger(article, trigger, now, SYSTEM, **kwargs)
        except ItilL2Error:
            continue  # e.g. submitting an incomplete draft
    return article


def article_changes() -> st.SearchStrategy[dict[str, Any]]:
    """Some content changes for `edit` / `new_version` (a blank title is invalid)."""
    fields = {
        "title": st.sampled_from(["Listener down", "Printer jam", "  "]),
        "symptom": st.sampled_from(["", "ORA-12541 on connect", "Paper jams in tray 2"]),
        "resolution_steps": _STEPS,
        "ci_refs": st.lists(st.sampled_from(["db-prod-3", "printer-3"]), max_size=3),
        "categories": _CATEGORIES,
        "audience": st.sampled_from(Audience),
    }
    return st.fixed_dictionaries({}, optional=fields)


def draw_article_kwargs(
    draw: Draw, trigger: KnowledgeTrigger, at: datetime
) -> tuple[dict[str, Any], bool]:
    """Arguments for a trigger, and whether they are valid input."""
    if trigger is T.EDIT:
        changes = draw(article_changes())
        return changes, changes.get("title", "ok").strip() != ""
    if trigger is T.VALIDATE:
        minutes = draw(st.sampled_from([None, None, -5, 0, 1, 120]))
        if minutes is None:
            return {}, True
        return {"publish_at": at + timedelta(minutes=minutes)}, minutes > 0
    if trigger is T.RATE:
        comment = draw(st.sampled_from([None, "saved me", " "]))
        return {"helpful": draw(st.booleans()), "comment": comment}, comment != " "
    if trigger is T.FLAG:
        comment = draw(st.sampled_from(["step 2 fails", ""]))
        return {"kind": draw(st.sampled_from(FlagKind)), "comment": comment}, bool(comment)
    if trigger in (T.SUBMIT, T.PUBLISH):
        return {}, True
    reason = draw(st.sampled_from(["reviewed", "  "]))
    return {"reason": reason}, reason.strip() != ""


def training_sessions(
    *,
    start: datetime = T0,
    trainers: tuple[str, ...] = ("bob", "nina"),
    attendees: tuple[str, ...] = ("ann", "al", "eve", "joe"),
) -> st.SearchStrategy[TrainingSession]:
    """Valid training sessions by the given trainers for some of the given attendees."""
    return st.builds(
        TrainingSession,
        id=st.integers(1, 10**6).map(lambda n: f"TRN-{n}"),
        topic=st.sampled_from(["Listener errors", "Printer jams", "VPN"]),
        trainer=st.sampled_from(trainers),
        attendees=st.lists(st.sampled_from(attendees), min_size=1, unique=True),
        start=st.integers(0, 60 * 24 * 90).map(lambda m: start + timedelta(minutes=m)),
        duration=st.integers(1, 8 * 60).map(lambda m: timedelta(minutes=m)),
        categories=_CATEGORIES,
    )
