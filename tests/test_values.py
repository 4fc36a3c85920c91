"""Value objects: tiers, groups, the priority matrix, handovers, codes, actors, config."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    Handover,
    HoldReason,
    Impact,
    L3Target,
    L3TargetKind,
    Priority,
    PriorityMatrix,
    Resolution,
    ResolutionCode,
    Role,
    SolutionAttempt,
    SupportGroup,
    Tier,
    Urgency,
    ValidationError,
    WorkflowConfig,
)
from itil_l2.tickets import DEFAULT_RESOLUTION_CODES, EntryPolicy

# The ServiceNow default, written out from the issue text: impact/urgency → priority.
SERVICENOW = {
    ("high", "high"): 1,
    ("high", "medium"): 2,
    ("medium", "high"): 2,
    ("high", "low"): 3,
    ("medium", "medium"): 3,
    ("low", "high"): 3,
    ("medium", "low"): 4,
    ("low", "medium"): 4,
    ("low", "low"): 5,
}


@pytest.mark.parametrize(("cell", "expected"), sorted(SERVICENOW.items()))
def test_default_priority_matrix_is_servicenows(cell: tuple[str, str], expected: int) -> None:
    impact, urgency = Impact(cell[0]), Urgency(cell[1])
    assert PriorityMatrix().priority(impact, urgency) == Priority(expected)


def test_custom_priority_matrix_from_mapping() -> None:
    cells = {(i, u): Priority.P1 for i in Impact for u in Urgency}
    assert PriorityMatrix.from_mapping(cells).priority(Impact.LOW, Urgency.LOW) is Priority.P1
    del cells[(Impact.LOW, Urgency.LOW)]
    with pytest.raises(ValidationError, match="low/low"):
        PriorityMatrix.from_mapping(cells)
    with pytest.raises(ValidationError):
        PriorityMatrix(((Priority.P1,),))


def test_tiers_order_and_levels() -> None:
    assert [t.level for t in Tier] == [1, 2, 3]
    assert Tier.L1 < Tier.L2 < Tier.L3
    assert str(Tier.L2) == "L2"


def test_support_group_validates_and_normalises() -> None:
    g = SupportGroup("dba", Tier.L2, ["database", "database"])
    assert g.specialisations == frozenset({"database"})
    assert SupportGroup("net", Tier.L2, "network").specialisations == frozenset({"network"})
    with pytest.raises(ValidationError):
        SupportGroup("", Tier.L2)
    with pytest.raises(ValidationError):
        SupportGroup("dba", "L2")  # type: ignore[arg-type]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        g.tier = Tier.L3  # type: ignore[misc]


def test_handover_missing_parts_follow_the_config_minimum() -> None:
    h = Handover(
        description="x" * 10,
        attempts=[SolutionAttempt("a", "b")],
        ci_refs="db-1",
        priority=Priority.P3,
        impact=Impact.LOW,
    )
    assert h.ci_refs == ("db-1",)
    assert h.missing_parts(min_description=10) == ()
    assert h.missing_parts(min_description=11) == ("description (at least 11 characters)",)
    assert len(Handover().missing_parts(0)) == 4  # attempts, CIs, priority, impact


def test_handover_refuses_malformed_parts() -> None:
    with pytest.raises(ValidationError):
        Handover(attempts=["restarted"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        Handover(ci_refs=[""])
    with pytest.raises(ValidationError):
        Handover(priority=2)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SolutionAttempt("restart", " ")


def test_l3_target() -> None:
    assert L3Target(L3TargetKind.EXTERNAL_SPECIALIST, "Jane Doe").reference is None
    with pytest.raises(ValidationError):
        L3Target("vendor", "Oracle")  # type: ignore[arg-type]


def test_hold_reasons_are_extensible_codes() -> None:
    assert HoldReason("awaiting_spare_part") == HoldReason("awaiting_spare_part")
    assert HoldReason.AWAITING_CALLER.code == "awaiting_caller"
    for bad in ("Awaiting Caller", "", "1st"):
        with pytest.raises(ValidationError):
            HoldReason(bad)


def test_resolution_codes_carry_success() -> None:
    successful = {c.code for c in DEFAULT_RESOLUTION_CODES if c.successful}
    assert successful == {"solved_permanently", "solved_workaround"}
    assert {"not_reproducible", "not_solved", "cancelled_by_caller", "duplicate"} <= {
        c.code for c in DEFAULT_RESOLUTION_CODES
    }
    with pytest.raises((ValidationError, TypeError)):
        ResolutionCode("x", "X", successful="yes")  # type: ignore[arg-type]
    r = Resolution(DEFAULT_RESOLUTION_CODES[0], "done", "KB-1")
    assert r.kb_refs == ("KB-1",)
    with pytest.raises(ValidationError):
        Resolution(DEFAULT_RESOLUTION_CODES[0], "")


def test_actors() -> None:
    a = Actor("ann", groups="desk", roles=["supervisor"])
    assert a.in_group("desk") and a.has_role(Role.SUPERVISOR) and not a.has_role(Role.SYSTEM)
    assert SYSTEM.has_role(Role.SYSTEM)
    with pytest.raises(ValidationError):
        Actor("")


def test_workflow_config_defaults_and_validation() -> None:
    cfg = WorkflowConfig()
    assert cfg.auto_close_after == timedelta(days=5)
    assert cfg.allow_tier_skip is False
    assert cfg.entry_above_l1 is EntryPolicy.WITH_REASON
    assert len(cfg.hold_reasons) == 5
    with pytest.raises(ValidationError):
        WorkflowConfig(auto_close_after=timedelta(0))
    with pytest.raises(ValidationError):
        WorkflowConfig(handover_min_description=-1)
    with pytest.raises(ValidationError):
        WorkflowConfig(resolution_codes=(DEFAULT_RESOLUTION_CODES[0], DEFAULT_RESOLUTION_CODES[0]))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cfg.allow_tier_skip = True  # type: ignore[misc]


def test_resolution_can_name_a_problem_and_ci_changes() -> None:
    from itil_l2.tickets import CiChange

    change = CiChange("db-prod-3", "patch_level", "19.3.0", "19.3.1")
    r = Resolution(DEFAULT_RESOLUTION_CODES[0], "patched", problem_ref="PRB-1", ci_changes=[change])
    assert r.ci_changes == (change,) and r.problem_ref == "PRB-1"
    with pytest.raises(ValidationError):
        CiChange("db-prod-3", "installed", None, {1, 2})
    with pytest.raises(ValidationError):
        Resolution(DEFAULT_RESOLUTION_CODES[0], "patched", ci_changes=["db-prod-3"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        Resolution(DEFAULT_RESOLUTION_CODES[0], "patched", problem_ref=" ")
