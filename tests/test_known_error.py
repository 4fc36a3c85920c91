"""Known errors: raised from a problem once cause and workaround are known; the KEDB lookup."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import (
    Actor,
    Impact,
    InvalidTransition,
    KnownError,
    Problem,
    Role,
    SupportGroup,
    Tier,
    Urgency,
    ValidationError,
    WorkflowError,
)
from itil_l2.problems import AffectedProduct, KnownErrorNotReady, MatchWeights, match_known_errors
from itil_l2.problems.rca import FiveWhys, RcaAction, RcaRecord, Why
from itil_l2.testing import snapshot
from support import Clock, open_ticket

PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
CAUSE = RcaRecord(
    FiveWhys([Why("Why?", "listener down")], "logs never rotated"),
    root_cause="listener logs are never rotated",
    corrective_actions=[RcaAction("rotate", "bob", date(2026, 4, 1))],
)


def analysed(clock: Clock) -> Problem:
    p = Problem.open(
        id="PRB-1",
        statement="Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        category="database",
        ci_refs=["db-prod-3"],
        group=SupportGroup("problem-team", Tier.L2),
        at=clock(),
        actor=PM,
    )
    p.assess(at=clock(), actor=PM)
    p.start_analysis(at=clock(), actor=PM)
    return p


def ke(id: str, **fields: Any) -> KnownError:
    values: dict[str, Any] = {
        "id": id,
        "problem_id": "PRB-1",
        "title": "Something breaks",
        "symptom": "something breaks",
        "root_cause": "a cause",
        "workaround": "a workaround",
        **fields,
    }
    return KnownError(**values)


def ticket(**fields: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "title": "",
        "description": "",
        "symptom": None,
        "category": None,
        "ci_refs": (),
        **fields,
    }
    return SimpleNamespace(**values)


# -- raising a known error ----------------------------------------------------------------


def test_a_problem_becomes_a_known_error_once_cause_and_workaround_are_known(clock: Clock) -> None:
    p = analysed(clock)
    before = snapshot(p)
    with pytest.raises(KnownErrorNotReady) as info:
        p.raise_known_error("KE-1", at=clock(), actor=PM)
    assert info.value.missing == ("root cause statement (in the RCA)", "published workaround")
    assert isinstance(info.value, WorkflowError) and snapshot(p) == before
    p.record_rca(CAUSE, at=clock(), actor=PM)
    with pytest.raises(KnownErrorNotReady) as info:
        p.raise_known_error("KE-1", at=clock(), actor=PM)
    assert info.value.missing == ("published workaround",)
    p.publish_workaround("clear old logs and restart the listener", at=clock(), actor=PM)
    known = p.raise_known_error(
        "KE-1",
        at=clock(),
        actor=PM,
        error_code="ORA-12541",
        domain="database",
        ci_types=["oracle_db"],
        products=[AffectedProduct("Oracle Database", "Oracle", ["19.3", "19.4"])],
    )
    assert p.known_error == known and p.history[-1].kind == "raise_known_error"
    assert (known.problem_id, known.title, known.symptom) == ("PRB-1",) + (p.statement,) * 2
    assert known.root_cause == "listener logs are never rotated"
    assert known.workaround == "clear old logs and restart the listener"
    assert (known.category, known.ci_refs, known.error_code) == (
        "database",
        ("db-prod-3",),
        "ORA-12541",
    )
    assert known.products[0].covers("19.3") and not known.products[0].covers("21.1")
    assert AffectedProduct("Oracle Database").covers("anything")


def test_a_problem_raises_one_known_error(clock: Clock) -> None:
    p = analysed(clock)
    p.record_rca(CAUSE, at=clock(), actor=PM)
    p.publish_workaround("restart", at=clock(), actor=PM)
    p.raise_known_error("KE-1", at=clock(), actor=PM, symptom="ORA-12541 at 02:00")
    before = snapshot(p)
    with pytest.raises(ValidationError):
        p.raise_known_error("KE-2", at=clock(), actor=PM)
    assert snapshot(p) == before and p.known_error is not None
    assert p.known_error.symptom == "ORA-12541 at 02:00"


def test_known_errors_are_refused_where_the_workflow_forbids_them(clock: Clock) -> None:
    p = analysed(clock)
    p.record_rca(CAUSE, at=clock(), actor=PM)
    p.publish_workaround("restart", at=clock(), actor=PM)
    before = snapshot(p)
    with pytest.raises(ValidationError):
        p.raise_known_error(" ", at=clock(), actor=PM)
    assert snapshot(p) == before
    p.cancel("vendor took it over", at=clock(), actor=PM)
    with pytest.raises(InvalidTransition):
        p.raise_known_error("KE-1", at=clock(), actor=PM)


def test_known_error_fields_validate() -> None:
    with pytest.raises(ValidationError):
        ke("KE-1", workaround=" ")
    with pytest.raises(ValidationError):
        ke("KE-1", ci_refs="db-prod-3")
    with pytest.raises(ValidationError):
        ke("KE-1", products=["Oracle"])


# -- the lookup ------------------------------------------------------------------------------


def test_matching_by_ci_category_error_code_and_keywords(clock: Clock) -> None:
    by_ci = ke("KE-1", ci_refs=["db-prod-3"])
    by_code = ke("KE-2", error_code="ORA-12541")
    by_words = ke("KE-3", symptom="listener crashes at night", category="Database")
    by_category = ke("KE-4", category="database")
    unrelated = ke("KE-5", symptom="printer jams", ci_refs=["prn-3"])
    t = open_ticket(
        clock,
        title="Order app cannot connect",
        description="ORA-12541: TNS no listener since 02:00",
        category="database",
        ci_refs=["db-prod-3"],
    )
    found = match_known_errors(t, [unrelated, by_category, by_words, by_code, by_ci])
    assert [m.known_error.id for m in found] == ["KE-2", "KE-1", "KE-3"]
    assert [m.score for m in found] == [5.0, 3.0, 1.0 + 1.0]
    assert found[1].reasons == ("ci db-prod-3",)
    assert found[2].reasons == ("category Database", "keywords listener")
    assert found[0].reasons == ("error code ORA-12541",)  # not counted again as keywords


def test_ties_are_broken_by_id_and_limit_cuts() -> None:
    a, b, c = (ke(i, ci_refs=["web-1"]) for i in ("KE-9", "KE-10", "KE-2"))
    found = match_known_errors(ticket(ci_refs=("web-1",)), [a, b, c])
    assert [m.known_error.id for m in found] == ["KE-10", "KE-2", "KE-9"]
    assert len(match_known_errors(ticket(ci_refs=("web-1",)), [a, b, c], limit=2)) == 2
    assert match_known_errors(ticket(ci_refs=("web-1",)), [a], limit=0) == ()
    with pytest.raises(ValidationError):
        match_known_errors(ticket(), [a], limit=-1)


def test_stopwords_and_short_words_do_not_match() -> None:
    noisy = ke("KE-1", symptom="the user gets an error and it is an issue")
    t = ticket(title="The user gets an error", description="it is an issue for the user")
    assert match_known_errors(t, [noisy]) == ()


def test_ci_types_come_from_the_host() -> None:
    typed = ke("KE-1", ci_types=["oracle_db"], category="database")
    t = ticket(ci_refs=("db-prod-9",), category="DATABASE")
    assert match_known_errors(t, [typed]) == ()  # category alone is too weak
    found = match_known_errors(t, [typed], ci_types={"db-prod-9": "oracle_db"})
    assert found[0].reasons == ("ci type oracle_db", "category database")
    assert found[0].score == 1.5 + 1.0


def test_weights_are_configurable_and_validated() -> None:
    weak = ke("KE-1", category="network")
    assert match_known_errors(ticket(category="network"), [weak]) == ()
    found = match_known_errors(
        ticket(category="network"), [weak], weights=MatchWeights(min_score=1)
    )
    assert [m.score for m in found] == [1.0]
    for bad in ({"ci": -1}, {"keyword": float("nan")}, {"min_score": "2"}, {"category": True}):
        with pytest.raises(ValidationError):
            MatchWeights(**bad)


def test_matching_is_pure_and_checks_its_input() -> None:
    known = (ke("KE-1", ci_refs=["web-1"]),)
    t = ticket(ci_refs=("web-1",))
    assert match_known_errors(t, iter(known)) == match_known_errors(t, list(known))
    assert known == (ke("KE-1", ci_refs=["web-1"]),) and t.ci_refs == ("web-1",)
    with pytest.raises(ValidationError):
        match_known_errors(t, ["KE-1"])  # type: ignore[list-item]


def test_a_future_ticket_finds_the_published_workaround(clock: Clock) -> None:
    p = analysed(clock)
    p.record_rca(CAUSE, at=clock(), actor=PM)
    p.publish_workaround("clear old logs and restart the listener", at=clock(), actor=PM)
    kedb = [
        p.raise_known_error("KE-1", at=clock(), actor=PM, error_code="ORA-12541"),
        ke("KE-2", symptom="printer jams"),
    ]
    later = open_ticket(clock, id="INC-99", title="Orders fail: ORA-12541", ci_refs=["db-prod-4"])
    best = match_known_errors(later, kedb)[0]
    assert best.known_error.workaround == "clear old logs and restart the listener"


_WORDS = st.sampled_from(["listener", "volume", "orders", "backup", "ora-12541", "the", "vpn"])
_CIS = st.lists(st.sampled_from(["db-1", "db-2", "web-1"]), max_size=2, unique=True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda i, words, cis, cat: ke(
                f"KE-{i}", symptom=" ".join(words) or "x", ci_refs=cis, category=cat
            ),
            st.integers(0, 20),
            st.lists(_WORDS, max_size=4),
            _CIS,
            st.none() | st.sampled_from(["database", "network"]),
        ),
        max_size=6,
    ),
    st.lists(_WORDS, max_size=5),
    _CIS,
    st.sampled_from(["db-1", "db-2", "web-1"]),
)
def test_ranking_properties(
    known: list[KnownError], words: list[str], cis: list[str], extra: str
) -> None:
    t = ticket(title=" ".join(words), ci_refs=tuple(cis))
    found = match_known_errors(t, known, weights=MatchWeights(min_score=0))
    keys = [(-m.score, m.known_error.id) for m in found]
    assert keys == sorted(keys) and all(m.score > 0 for m in found)
    if extra in cis:
        return
    # One more shared CI raises exactly the known errors carrying it, by exactly its weight.
    more = match_known_errors(
        ticket(title=t.title, ci_refs=(*cis, extra)), known, weights=MatchWeights(min_score=0)
    )
    before = {id(m.known_error): m.score for m in found}
    for m in more:
        gain = 3.0 if extra in m.known_error.ci_refs else 0.0
        assert m.score == before.get(id(m.known_error), 0.0) + gain
