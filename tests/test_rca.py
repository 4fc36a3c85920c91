"""RCA records and the structured methods: real data with rules, not text blobs."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import ValidationError, WorkflowError
from itil_l2.errors import NaiveDatetime
from itil_l2.problems.rca import (
    CauseTest,
    CustomAnalysis,
    CustomSection,
    Evidence,
    EvidenceKind,
    FaultGate,
    FaultNode,
    FaultTree,
    FiveWhys,
    Ishikawa,
    IshikawaBranch,
    KepnerTregoe,
    KtDimension,
    PossibleCause,
    RcaAction,
    RcaIncomplete,
    RcaMethod,
    RcaRecord,
    RcaStatus,
    SpecItem,
    Timeline,
    TimelineEntry,
    Why,
)

T0 = datetime(2026, 3, 2, 2, tzinfo=UTC)
WHY = Why("Why did orders fail?", "The listener was down")
ACT = RcaAction("rotate listener logs", "bob", date(2026, 4, 1))
WHERE, WHEN = KtDimension.WHERE, KtDimension.WHEN


def spec(*dims: KtDimension) -> list[SpecItem]:
    return [SpecItem(d, f"{d.value}?", "db-prod-3 at 02:00", "db-prod-1 by day") for d in dims]


# -- five whys ---------------------------------------------------------------------------


def test_five_whys_is_an_ordered_chain_ending_at_a_root_cause() -> None:
    second = Why("Why was it down?", "Its log volume was full")
    chain = FiveWhys([WHY, second], "logs are never rotated")
    assert chain.whys == (WHY, second) and chain.method == "five_whys"
    assert chain.missing_parts() == ()
    assert FiveWhys([], None).missing_parts() == (
        "five whys: at least one why",
        "five whys: the root cause the chain ends at",
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: Why("", "answer"),
        lambda: FiveWhys("why?"),
        lambda: FiveWhys([("q", "a")]),
        lambda: FiveWhys([WHY], " "),
    ],
)
def test_five_whys_validates(build: Any) -> None:
    with pytest.raises(ValidationError):
        build()


# -- Ishikawa ---------------------------------------------------------------------------------


def test_ishikawa_maps_categories_to_causes() -> None:
    fish = Ishikawa.from_mapping(
        "orders fail at night",
        {"process": ["no log rotation", "no disk alert"], "vendor": ["listener bug 1234"]},
    )
    assert [b.category for b in fish.branches] == ["process", "vendor"]
    assert fish.causes("process") == ("no log rotation", "no disk alert")
    assert fish.causes("people") == ()
    assert fish.missing_parts() == () and fish.method == "ishikawa"
    assert Ishikawa.from_mapping("x", {"people": []}).missing_parts() == (
        "Ishikawa: at least one cause",
    )
    assert {"people", "process", "technology", "environment", "vendor"} <= set(
        Ishikawa.STANDARD_CATEGORIES
    )


def test_ishikawa_validates() -> None:
    with pytest.raises(ValidationError):
        Ishikawa("x", [IshikawaBranch("people"), IshikawaBranch("people")])
    with pytest.raises(ValidationError):
        IshikawaBranch("People & Skills")
    with pytest.raises(ValidationError):
        IshikawaBranch("people", ["", "tired"])


# -- Kepner-Tregoe -------------------------------------------------------------------------------


def test_kepner_tregoe_ranks_surviving_causes_by_assumptions() -> None:
    backup = PossibleCause(
        "backup job fills the volume",
        [CauseTest(WHERE, True), CauseTest(WHEN, True, "backup ran late")],
    )
    rotation = PossibleCause("logs never rotated", [CauseTest(WHERE, True), CauseTest(WHEN, True)])
    network = PossibleCause("switch reboot", [CauseTest(WHERE, False), CauseTest(WHEN, True)])
    untested = PossibleCause("cosmic rays", [CauseTest(WHERE, True)])
    kt = KepnerTregoe(spec(WHERE, WHEN, WHERE), [backup, network, untested, rotation])
    assert kt.dimensions == (WHERE, WHEN)
    assert kt.most_probable() == (rotation, backup)
    assert backup.assumptions == ("backup ran late",)
    assert kt.missing_parts() == () and kt.method == "kepner_tregoe"


def test_kepner_tregoe_missing_parts() -> None:
    assert KepnerTregoe([]).missing_parts() == ("Kepner-Tregoe: an IS / IS NOT specification",)
    refuted = PossibleCause("switch", [CauseTest(WHERE, False)])
    assert KepnerTregoe(spec(WHERE), [refuted]).missing_parts() == (
        "Kepner-Tregoe: a possible cause explaining every IS / IS NOT dimension",
    )


def test_kepner_tregoe_validates() -> None:
    with pytest.raises(ValidationError):  # tested on a dimension the spec lacks
        KepnerTregoe(spec(WHERE), [PossibleCause("x", [CauseTest(WHEN, True)])])
    with pytest.raises(ValidationError):  # tested twice on one dimension
        PossibleCause("x", [CauseTest(WHERE, True), CauseTest(WHERE, False)])
    with pytest.raises(ValidationError):
        SpecItem("where", "Where?", "here", "there")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CauseTest(WHERE, "yes")  # type: ignore[arg-type]


# -- timeline -------------------------------------------------------------------------------


def test_timeline_is_in_time_order_and_aware() -> None:
    first = TimelineEntry(T0, "volume at 100%", "zabbix")
    later = TimelineEntry(T0 + timedelta(minutes=3), "listener stops")
    assert Timeline([first, later]).missing_parts() == ()
    assert Timeline([]).missing_parts() == ("timeline: at least one entry",)
    with pytest.raises(ValidationError):
        Timeline([later, first])
    with pytest.raises(NaiveDatetime):
        TimelineEntry(datetime(2026, 3, 2, 2), "naive")


# -- fault tree ---------------------------------------------------------------------------------


def basic(name: str, confirmed: bool = False) -> FaultNode:
    return FaultNode(name, confirmed=confirmed)


def test_fault_tree_minimal_cut_sets_by_hand() -> None:
    a, b, c, d = basic("a"), basic("b"), basic("c"), basic("d")
    tree = FaultTree(
        FaultNode(
            "top",
            FaultGate.OR,
            (FaultNode("ab", FaultGate.AND, (a, b)), FaultNode("ac", FaultGate.AND, (a, c)), d),
        )
    )
    assert tree.minimal_cut_sets() == (frozenset("d"), frozenset("ab"), frozenset("ac"))
    assert tree.basic_events() == ("a", "b", "c", "d")
    absorbed = FaultTree(
        FaultNode("top", FaultGate.OR, (a, FaultNode("ab", FaultGate.AND, (a, b))))
    )
    assert absorbed.minimal_cut_sets() == (frozenset("a"),)
    product = FaultTree(
        FaultNode(
            "top",
            FaultGate.AND,
            (FaultNode("x", FaultGate.OR, (a, b)), FaultNode("y", FaultGate.OR, (a, c))),
        )
    )
    assert product.minimal_cut_sets() == (frozenset("a"), frozenset("bc"))


def test_fault_tree_is_explained_by_a_confirmed_cut_set() -> None:
    half = FaultTree(FaultNode("top", FaultGate.AND, (basic("a", True), basic("b"))))
    assert half.confirmed_cut_sets() == ()
    assert half.missing_parts() == (
        "fault tree: a minimal cut set whose basic events are all confirmed",
    )
    whole = FaultTree(FaultNode("top", FaultGate.AND, (basic("a", True), basic("b", True))))
    assert whole.confirmed_cut_sets() == (frozenset("ab"),) and whole.missing_parts() == ()


def test_fault_nodes_validate() -> None:
    with pytest.raises(ValidationError):
        FaultNode("gate without children", FaultGate.OR)
    with pytest.raises(ValidationError):
        FaultNode("basic with children", None, (basic("a"),))
    with pytest.raises(ValidationError):
        FaultNode("top", FaultGate.OR, ["not a node"])
    with pytest.raises(ValidationError):
        FaultNode("a", confirmed="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        FaultTree("top")  # type: ignore[arg-type]


@st.composite
def fault_trees(draw: st.DrawFn) -> FaultNode:
    leaves = st.sampled_from("abcde").map(FaultNode)

    def gate(children: st.SearchStrategy[FaultNode]) -> st.SearchStrategy[FaultNode]:
        return st.builds(
            lambda g, kids: FaultNode("gate", g, tuple(kids)),
            st.sampled_from(FaultGate),
            st.lists(children, min_size=1, max_size=3),
        )

    return draw(st.recursive(leaves, gate, max_leaves=8))


def occurs(node: FaultNode, happened: set[str]) -> bool:
    """The top event under a truth assignment: a plain recursive evaluation."""
    if node.gate is None:
        return node.event in happened
    results = [occurs(child, happened) for child in node.children]
    return all(results) if node.gate is FaultGate.AND else any(results)


@settings(max_examples=150, deadline=None)
@given(fault_trees())
def test_cut_sets_agree_with_the_truth_table(top: FaultNode) -> None:
    tree = FaultTree(top)
    cuts = tree.minimal_cut_sets()
    events = tree.basic_events()
    for cut in cuts:
        assert occurs(top, set(cut))  # enough on its own
        assert all(not occurs(top, set(cut) - {e}) for e in cut)  # and minimal
    for size in range(len(events) + 1):
        for happened in itertools.combinations(events, size):
            assert occurs(top, set(happened)) == any(c <= set(happened) for c in cuts)


# -- custom methods -----------------------------------------------------------------------


def test_custom_methods_have_their_own_name_and_sections() -> None:
    review = CustomAnalysis("change_review", [CustomSection("changes", ["CHG-3", "CHG-4"])])
    assert review.method == "change_review" and review.section("changes") == ("CHG-3", "CHG-4")
    assert review.section("nothing") == ()
    assert CustomAnalysis("change_review", [CustomSection("changes")]).missing_parts() == (
        "change_review: at least one section with entries",
    )
    for name in ("five_whys", "Change Review", ""):
        with pytest.raises(ValidationError):
            CustomAnalysis(name, [])


# -- the record ------------------------------------------------------------------------------------


def test_a_record_is_completed_only_with_cause_action_and_a_concluded_method() -> None:
    chain = FiveWhys([WHY], "logs never rotated")
    with pytest.raises(ValidationError, match="corrective action"):
        RcaRecord(chain, root_cause="logs never rotated", status=RcaStatus.COMPLETED)
    with pytest.raises(ValidationError, match="five whys"):
        RcaRecord(
            FiveWhys([WHY]),
            root_cause="logs never rotated",
            corrective_actions=[ACT],
            status=RcaStatus.COMPLETED,
        )
    done = RcaRecord(
        chain, root_cause="logs never rotated", corrective_actions=[ACT], status=RcaStatus.COMPLETED
    )
    assert done.is_complete and done.missing_parts() == ()
    review = attrs.evolve(done, status=RcaStatus.IN_REVIEW)
    assert not review.is_complete and review.missing_parts() == ()


@pytest.mark.parametrize(
    ("analysis", "method"),
    [
        (FiveWhys([WHY]), RcaMethod.FIVE_WHYS),
        (Ishikawa("x", []), RcaMethod.ISHIKAWA),
        (KepnerTregoe([]), RcaMethod.KEPNER_TREGOE),
        (Timeline([]), RcaMethod.TIMELINE),
        (FaultTree(basic("a")), RcaMethod.FAULT_TREE),
        (CustomAnalysis("premortem", []), "premortem"),
    ],
)
def test_the_record_names_its_method(analysis: Any, method: str) -> None:
    rca = RcaRecord(analysis)
    assert rca.method == method
    assert rca.missing_parts()[:2] == ("root cause statement", "corrective action (at least one)")
    assert rca.missing_parts()[2:] == analysis.missing_parts()


def test_actions_evidence_and_their_questions() -> None:
    late = RcaAction("add disk alert", "nina", date(2026, 3, 1))
    finished = RcaAction("rotate logs", "bob", date(2026, 3, 1), done=True, ref="CHG-9")
    rca = RcaRecord(
        FiveWhys([WHY]),
        corrective_actions=[finished, ACT],
        preventive_actions=[late],
        evidence=[
            Evidence(EvidenceKind.TICKET, "INC-1"),
            Evidence(EvidenceKind.CI, "db-prod-3"),
            Evidence(EvidenceKind.TICKET, "INC-7", "same night"),
        ],
    )
    assert rca.actions == (finished, ACT, late)
    assert rca.open_actions() == (ACT, late)
    assert rca.overdue_actions(date(2026, 3, 15)) == (late,)
    assert rca.overdue_actions(date(2026, 4, 2)) == (ACT, late)
    assert rca.evidence_refs(EvidenceKind.TICKET) == ("INC-1", "INC-7")
    assert rca.evidence_refs(EvidenceKind.MONITORING) == ()


@pytest.mark.parametrize(
    "build",
    [
        lambda: RcaAction("x", "bob", datetime(2026, 4, 1, tzinfo=UTC)),
        lambda: RcaAction("x", "", date(2026, 4, 1)),
        lambda: RcaAction("x", "bob", "2026-04-01"),
        lambda: RcaAction("x", "bob", date(2026, 4, 1), done="no"),
        lambda: Evidence("ticket", "INC-1"),
        lambda: RcaRecord("five whys: it broke"),
        lambda: RcaRecord(FiveWhys([WHY]), corrective_actions=["rotate logs"]),
        lambda: RcaRecord(FiveWhys([WHY]), findings="one finding"),
        lambda: RcaRecord(FiveWhys([WHY]), status="completed"),
    ],
)
def test_malformed_records_are_refused(build: Any) -> None:
    with pytest.raises(ValidationError):
        build()


def test_rca_incomplete_is_a_workflow_error_naming_the_parts() -> None:
    error = RcaIncomplete(("root cause statement", "corrective action"), "resolving")
    assert isinstance(error, WorkflowError)
    assert error.missing == ("root cause statement", "corrective action")
    assert str(error) == (
        "resolving needs a complete RCA, missing: root cause statement; corrective action"
    )
