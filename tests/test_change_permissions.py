"""Who may fire which change trigger, and the change configuration's rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from attrs import frozen

from itil_l2 import SYSTEM, Actor, ChangeConfig, ChangeRequest, NotPermitted, ValidationError
from itil_l2.changes import ChangeTrigger, ChangeType, DefaultChangePermissions
from itil_l2.changes.events import Approval, ApprovalBoard, ApprovalDecision, ChangeRisk
from support import DBA, T0, Clock

CARL = Actor("carl", roles={"change_manager"})
CARA = Actor("cara", roles={"cab_member"})
GINA = Actor("gina", groups={"database-l2"}, roles={"group_manager"})
OTTO = Actor("otto", groups={"network-l2"}, roles={"group_manager"})
BOB = Actor("bob", groups={"database-l2"})
RITA = Actor("rita")
MALLORY = Actor("mallory", groups={"marketing"})

EVERY = {t.value for t in ChangeTrigger if t is not ChangeTrigger.RAISE}
GROUP = {"submit", "set_risk", "schedule", "reschedule", "implement", "complete", "cancel", "link"}
REQUESTER = {"submit", "set_risk", "cancel", "link"}
DECIDE = {"approve", "reject"}

# Written from the policy's description, per change type: actor -> triggers it may fire.
EXPECTED: dict[ChangeType, dict[str, set[str]]] = {
    ChangeType.NORMAL: {
        "system": EVERY,
        "carl": EVERY - DECIDE,
        "cara": DECIDE,
        "gina": DECIDE | GROUP,
        "otto": set(),
        "bob": GROUP,
        "rita": REQUESTER,
        "mallory": set(),
    },
    ChangeType.STANDARD: {
        "system": EVERY,
        "carl": EVERY - DECIDE,
        "cara": DECIDE,
        "gina": DECIDE | GROUP | {"close"},
        "otto": set(),
        "bob": GROUP | {"close"},
        "rita": REQUESTER,
        "mallory": set(),
    },
}


def _facts(kind: ChangeType, config: ChangeConfig | None = None) -> Any:
    return SimpleNamespace(
        id="CHG-1",
        state="new",
        change_type=kind,
        group=DBA,
        requested_by="rita",
        config=config or ChangeConfig(),
    )


@pytest.mark.parametrize("kind", [ChangeType.NORMAL, ChangeType.STANDARD])
def test_default_permissions_matrix(kind: ChangeType) -> None:
    policy = DefaultChangePermissions()
    facts = _facts(kind)
    for actor in (SYSTEM, CARL, CARA, GINA, OTTO, BOB, RITA, MALLORY):
        allowed = {t for t in EVERY if policy.permits(actor, ChangeTrigger(t), facts)}
        assert allowed == EXPECTED[kind][actor.id], actor.id


def test_role_names_come_from_the_config() -> None:
    config = ChangeConfig(cab_role="cab", change_manager_role="chm", group_manager_role="lead")
    facts = _facts(ChangeType.NORMAL, config)
    policy = DefaultChangePermissions()
    assert not policy.permits(CARA, ChangeTrigger.APPROVE, facts)
    assert not policy.permits(CARL, ChangeTrigger.CLOSE, facts)
    assert policy.permits(Actor("c", roles={"cab"}), ChangeTrigger.APPROVE, facts)
    assert policy.permits(Actor("m", roles={"chm"}), ChangeTrigger.CLOSE, facts)
    lead = Actor("l", groups={"database-l2"}, roles={"lead"})
    assert config.may_decide(lead, ApprovalBoard.GROUP_MANAGER, DBA)
    assert not config.may_decide(lead, ApprovalBoard.CAB, DBA)


@frozen
class OnlySystem:
    def permits(self, actor: Actor, trigger: ChangeTrigger, change: Any) -> bool:
        return actor is SYSTEM


def test_a_host_policy_is_used_and_refusals_change_nothing(clock: Clock) -> None:
    rfc = ChangeRequest.raise_(
        id="CHG-1",
        title="Patch",
        change_type=ChangeType.NORMAL,
        risk=ChangeRisk.LOW,
        group=DBA,
        at=clock(),
        actor=RITA,
        config=ChangeConfig(permissions=OnlySystem()),
    )
    with pytest.raises(NotPermitted) as err:
        rfc.submit(at=clock(), actor=RITA)
    assert (err.value.actor_id, err.value.trigger, err.value.entity_id) == (
        "rita",
        "submit",
        "CHG-1",
    )
    assert rfc.version == 1
    rfc.submit(at=clock(), actor=SYSTEM)
    assert rfc.state == "assess"


# -- ChangeConfig -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"cab_quorum": 0},
        {"cab_quorum": True},
        {"cab_quorum": "2"},
        {"cab_risks": {"high"}},
        {"standard_risks": set()},
        {"standard_risks": "low"},
        {"cab_role": " "},
        {"group_manager_role": ""},
        {"change_manager_role": None},
    ],
)
def test_config_refuses_bad_settings(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ChangeConfig(**fields)


def test_default_config_follows_servicenow() -> None:
    config = ChangeConfig()
    assert config.cab_risks == {ChangeRisk.MODERATE, ChangeRisk.HIGH}
    assert config.standard_risks == {ChangeRisk.LOW}
    assert (config.cab_quorum, config.cab_role, config.group_manager_role) == (
        1,
        "cab_member",
        "group_manager",
    )
    assert config.change_manager_role == "change_manager"


def _approval(who: str, board: ApprovalBoard, decision: ApprovalDecision) -> Approval:
    return Approval(who, board, decision, None, T0)


def test_missing_approvals_counts_distinct_approvers_of_the_right_board() -> None:
    config = ChangeConfig(cab_quorum=2)
    cab, gm = ApprovalBoard.CAB, ApprovalBoard.GROUP_MANAGER
    yes, no = ApprovalDecision.APPROVED, ApprovalDecision.REJECTED
    high, low = ChangeRisk.HIGH, ChangeRisk.LOW
    assert config.missing_approvals(high, ()) == 2
    assert config.missing_approvals(high, (_approval("a", cab, yes),)) == 1
    assert config.missing_approvals(high, (_approval("a", cab, yes),) * 2) == 1
    assert config.missing_approvals(high, (_approval("a", gm, yes), _approval("b", cab, no))) == 2
    both = (_approval("a", cab, yes), _approval("b", cab, yes), _approval("c", cab, yes))
    assert config.missing_approvals(high, both) == 0
    assert config.missing_approvals(low, both) == 1
    assert config.missing_approvals(low, (_approval("g", gm, yes),)) == 0


def test_approvals_validate_their_fields() -> None:
    with pytest.raises(ValidationError):
        Approval("", ApprovalBoard.CAB, ApprovalDecision.APPROVED, None, T0)
    with pytest.raises(ValidationError):
        Approval("a", "cab", ApprovalDecision.APPROVED, None, T0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Approval("a", ApprovalBoard.CAB, ApprovalDecision.APPROVED, " ", T0)
