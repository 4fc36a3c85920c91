"""Standing resolutions, "used to resolve", the KCS link rate and the quality score."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import (
    SOLVED_PERMANENTLY,
    Actor,
    KnowledgeArticle,
    LinkKind,
    Resolution,
    Ticket,
    Tier,
    ValidationError,
)
from itil_l2.knowledge import (
    QualityWeights,
    final_resolution,
    link_rate,
    quality_score,
    quality_scores,
    used_to_resolve,
)
from itil_l2.knowledge.events import Flag, FlagKind
from itil_l2.tickets import NOT_SOLVED
from support import ANN, BOB, DBA, DESK, Clock, at_l1, at_l2, open_ticket

WITH_KB1 = Resolution(SOLVED_PERMANENTLY, "restarted", kb_refs=["KB-1", "KB-1", "KB-2"])


def _resolved_l1(clock: Clock, id: str, resolution: Resolution = WITH_KB1) -> Ticket:
    t = open_ticket(clock, id=id)
    t.assign(DESK, at=clock(), actor=ANN)
    t.resolve(resolution, at=clock(), actor=ANN)
    return t


# -- final_resolution ---------------------------------------------------------------------


def test_the_tier_at_the_moment_of_resolution_counts(clock: Clock) -> None:
    t = at_l2(clock)
    at = clock()
    t.resolve(WITH_KB1, at=at, actor=BOB)
    final = final_resolution(t)
    assert final is not None and (final.tier, final.at, final.resolution) == (Tier.L2, at, WITH_KB1)
    t.reopen("back again", at=clock(), actor=ANN)
    assert final_resolution(t) is None  # a reopen undoes the resolution
    t.hand_back(DESK, "solve with KB-1", at=clock(), actor=BOB)
    t.start(at=clock(), actor=ANN)
    again = clock()
    t.resolve(WITH_KB1, at=again, actor=ANN)
    t.close(at=clock(), actor=ANN)
    final = final_resolution(t)
    assert final is not None and (final.tier, final.at) == (Tier.L1, again)


def test_first_contact_and_direct_l2_entry(clock: Clock) -> None:
    first_contact = open_ticket(clock)
    first_contact.resolve(WITH_KB1, at=clock(), actor=ANN)
    assert final_resolution(first_contact).tier is Tier.L1  # type: ignore[union-attr]
    direct = open_ticket(clock, id="INC-2")
    direct.assign(DBA, at=clock(), actor=ANN, reason="monitoring alert")
    direct.resolve(WITH_KB1, at=clock(), actor=BOB)
    assert final_resolution(direct).tier is Tier.L2  # type: ignore[union-attr]
    cancelled = at_l1(clock)
    cancelled.cancel("caller withdrew", at=clock(), actor=ANN)
    assert final_resolution(cancelled) is None


# -- used_to_resolve and link rate ----------------------------------------------------------


def test_used_to_resolve_counts_each_ticket_once_per_article(clock: Clock) -> None:
    a = _resolved_l1(clock, "INC-1")
    b = _resolved_l1(clock, "INC-2", Resolution(SOLVED_PERMANENTLY, "x", kb_refs=["KB-1"]))
    failed = _resolved_l1(clock, "INC-3", Resolution(NOT_SOLVED, "no luck", kb_refs=["KB-1"]))
    reopened = _resolved_l1(clock, "INC-4")
    reopened.reopen("not fixed", at=clock(), actor=ANN)
    l2 = at_l2(clock)
    l2.resolve(WITH_KB1, at=clock(), actor=BOB)
    tickets = [a, b, failed, reopened, l2]
    assert used_to_resolve(tickets) == {"KB-1": 3, "KB-2": 2}
    assert used_to_resolve(tickets, tier=Tier.L1) == {"KB-1": 2, "KB-2": 1}
    assert used_to_resolve(tickets, tier=Tier.L3) == {}
    assert used_to_resolve(iter(tickets)) == {"KB-1": 3, "KB-2": 2}


def test_link_rate_over_closed_tickets(clock: Clock) -> None:
    assert link_rate([]).rate is None
    plain = Resolution(SOLVED_PERMANENTLY, "rebooted")
    tickets = [
        _resolved_l1(clock, "INC-1"),
        _resolved_l1(clock, "INC-2", Resolution(SOLVED_PERMANENTLY, "x", kb_refs=["KB-7"])),
        _resolved_l1(clock, "INC-3", plain),
        _resolved_l1(clock, "INC-4", plain),
        _resolved_l1(clock, "INC-5"),  # resolved, not closed: not counted
    ]
    for t in tickets[:4]:
        t.close(at=clock(), actor=ANN)
    tickets[2].link(LinkKind.KNOWLEDGE, "KB-3", at=clock(), actor=ANN)
    tickets[3].link(LinkKind.PROBLEM, "PRB-1", at=clock(), actor=ANN)
    rate = link_rate(tickets)
    assert (rate.closed, rate.linked, rate.rate) == (4, 3, 0.75)


# -- quality score -------------------------------------------------------------------------


def _fake(helpful: int, unhelpful: int, wrong: int = 0, outdated: int = 0) -> SimpleNamespace:
    votes = {f"h{i}": True for i in range(helpful)} | {f"n{i}": False for i in range(unhelpful)}
    at = None
    flags = [Flag(FlagKind.WRONG, "x", "r", at) for _ in range(wrong)]  # type: ignore[arg-type]
    flags += [Flag(FlagKind.OUTDATED, "x", "r", at) for _ in range(outdated)]  # type: ignore[arg-type]
    return SimpleNamespace(votes=votes, flags=tuple(flags), id="KB-F")


def test_quality_score_by_hand() -> None:
    q = quality_score(_fake(3, 1, wrong=1, outdated=1), used_to_resolve=5)
    # rating (3+1)/(4+2) = 2/3; usage 5/(5+5) = 1/2; base .7*2/3 + .3*1/2; flags *.5 *.75
    assert (q.helpful, q.not_helpful, q.used_to_resolve, q.wrong_flags, q.outdated_flags) == (
        3,
        1,
        5,
        1,
        1,
    )
    assert q.rating == pytest.approx(2 / 3)
    assert q.usage == pytest.approx(0.5)
    assert q.score == pytest.approx((0.7 * 2 / 3 + 0.15) * 0.5 * 0.75)
    fresh = quality_score(_fake(0, 0))
    assert fresh.score == pytest.approx(0.35)  # no votes: rating 1/2; no use
    strict = QualityWeights(prior_helpful=0, prior_votes=1, rating_weight=1, wrong_penalty=1)
    assert quality_score(_fake(2, 0), weights=strict).score == pytest.approx(2 / 3)
    assert quality_score(_fake(2, 0, wrong=1), weights=strict).score == 0


def test_quality_inputs_are_checked() -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValidationError):
            quality_score(_fake(0, 0), used_to_resolve=bad)  # type: ignore[arg-type]
    for weights in (
        {"prior_helpful": 3, "prior_votes": 2},
        {"rating_weight": 1.5},
        {"usage_half": 0},
        {"prior_votes": float("nan")},
        {"wrong_penalty": -0.1},
    ):
        with pytest.raises(ValidationError):
            QualityWeights(**weights)  # type: ignore[arg-type]


counts = st.integers(0, 30)


@settings(max_examples=200, deadline=None)
@given(counts, counts, st.integers(0, 3), st.integers(0, 3), counts)
def test_quality_is_bounded_and_moves_the_right_way(
    helpful: int, unhelpful: int, wrong: int, outdated: int, uses: int
) -> None:
    score = quality_score(_fake(helpful, unhelpful, wrong, outdated), used_to_resolve=uses).score
    assert 0 <= score <= 1
    more_help = quality_score(_fake(helpful + 1, unhelpful, wrong, outdated), used_to_resolve=uses)
    less_help = quality_score(_fake(helpful, unhelpful + 1, wrong, outdated), used_to_resolve=uses)
    more_use = quality_score(_fake(helpful, unhelpful, wrong, outdated), used_to_resolve=uses + 1)
    flagged = quality_score(_fake(helpful, unhelpful, wrong + 1, outdated), used_to_resolve=uses)
    assert more_help.score >= score >= less_help.score
    assert more_use.score >= score >= flagged.score
    assert more_use.score > score > flagged.score  # default weights never reach 0


def test_quality_scores_count_use_from_tickets(clock: Clock) -> None:
    kim = Actor("kim", roles={"knowledge_manager"})
    kb = KnowledgeArticle.draft(
        id="KB-1",
        title="t",
        symptom="s",
        resolution_steps=["r"],
        ci_refs=["c"],
        at=clock(),
        actor=BOB,
    )
    kb.submit(at=clock(), actor=BOB)
    kb.validate(at=clock(), actor=kim)
    kb.rate(True, at=clock(), actor=ANN)
    scores = quality_scores([kb], [_resolved_l1(clock, "INC-1"), _resolved_l1(clock, "INC-2")])
    q = scores["KB-1"]
    assert (q.helpful, q.used_to_resolve) == (1, 2)
    assert q.score == pytest.approx(0.7 * (2 / 3) + 0.3 * (2 / 7))
