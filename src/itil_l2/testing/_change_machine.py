"""The stateful change test, as a base class hosts extend with their own config."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.tier import SupportGroup
from itil_l2.changes import (
    ChangeConfig,
    ChangeRequest,
    ChangeTrigger,
    ChangeType,
    DefaultChangePermissions,
)
from itil_l2.changes.events import ApprovalBoard, ChangeLink, ChangeLinkKind, ChangeRisk
from itil_l2.errors import ItilL2Error, NotPermitted
from itil_l2.testing._changes import (
    CHANGE_GROUPS,
    DETOURS,
    ChangeModel,
    board_for,
    can_decide,
    draw_change_kwargs,
    expected_change,
    may_fire,
    observe_change,
)
from itil_l2.testing._common import (
    OUTSIDER,
    T0,
    assert_history_consistent,
    assert_same,
    permitted,
    refusal,
)

_TRIGGERS = tuple(t for t in ChangeTrigger if t is not ChangeTrigger.RAISE)


class ChangeWorkflowMachine(RuleBasedStateMachine):
    """Random triggers by random actors on a few RFCs, checked against `expected_change`.

    Subclass it to check your own `ChangeConfig`; run it through `TestCase`:

        class QuorumOfThree(ChangeWorkflowMachine):
            config = ChangeConfig(cab_quorum=3, cab_risks={ChangeRisk.HIGH})

        TestQuorumOfThree = QuorumOfThree.TestCase

    It follows the config: its actors hold the config's role names (as many
    CAB members as the quorum needs, and one more); the oracle reads the
    CAB risks, quorum and standard risks; the default policy is restated
    (`may_fire`), and any other `permissions` policy is asked as the RFC
    asks it, about this actor, this trigger and the RFC as it is now.

    Checked after every step: a trigger succeeds exactly when the oracle
    says so, and a refused one raises an `ItilL2Error` and changes nothing;
    each RFC matches its oracle model (state, risk, approvals, links,
    window, implementation times, outcome) and the derived facts (`fixes`,
    `successful`, `kept_window`); `version == len(history)`; time never goes
    back; `ChangeRequest.from_history` rebuilds each RFC field by field;
    a valid call in time that the policy refuses raises `NotPermitted`,
    whatever the workflow says.
    """

    config: ClassVar[ChangeConfig] = ChangeConfig()
    max_changes: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[ChangeRequest] = []
        self.models: list[ChangeModel] = []
        self.now = T0
        cfg = self.config
        cab = [Actor(f"cab-{n}", roles={cfg.cab_role}) for n in range(3, cfg.cab_quorum + 2)]
        self.actors = [
            SYSTEM,
            Actor("carl", roles={cfg.change_manager_role}),
            Actor("cara", roles={cfg.cab_role}),
            Actor("cody", roles={cfg.cab_role}),
            *cab,
            Actor("gina", groups={"database-l2"}, roles={cfg.group_manager_role}),
            Actor("otto", groups={"network-l2"}, roles={cfg.group_manager_role}),
            Actor("bob", groups={"database-l2"}),
            Actor("rita"),
            OUTSIDER,
        ]
        self.requester = next(a for a in self.actors if a.id == "rita")

    @precondition(lambda self: len(self.changes) < self.max_changes)
    @rule(
        kind=st.sampled_from(ChangeType),
        risk=st.sampled_from(ChangeRisk),
        group=st.sampled_from(CHANGE_GROUPS),
        source=st.sampled_from([None, ("problem", "PRB-1"), ("ticket", "INC-1")]),
    )
    def raise_change(self, kind: str, risk: str, group: SupportGroup, source: Any) -> None:
        """Raise an RFC as the requester; a standard one must carry a standard risk."""
        link = None if source is None else ChangeLink(ChangeLinkKind(source[0]), source[1])
        fits = kind != "standard" or risk in {r.value for r in self.config.standard_risks}
        try:
            rfc = ChangeRequest.raise_(
                id=f"CHG-{len(self.changes) + 1}",
                title="Patch the order database",
                change_type=ChangeType(kind),
                risk=ChangeRisk(risk),
                group=group,
                raised_from=link,
                at=self.now,
                actor=self.requester,
                config=self.config,
            )
        except ItilL2Error:
            assert not fits, f"raising a {kind} change at {risk} risk was refused"
            return
        assert fits, f"a standard change was raised at {risk} risk"
        model = ChangeModel(str(kind), str(risk), group.name, "rita", self.now)
        self.changes.append(rfc)
        self.models.append(attrs.evolve(model, links=(source,) if source else ()))

    @precondition(lambda self: bool(self.changes))
    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """Fire a random trigger with random arguments, by a random actor, at a random time."""
        index = data.draw(st.integers(0, len(self.changes) - 1))
        rfc, model = self.changes[index], self.models[index]
        # Mostly onward moves the workflow allows, valid arguments and an actor
        # entitled to them, so walks get deep; the rest probes refusals.
        allowed = [str(t) for t in rfc.allowed_triggers()]
        onward = [t for t in allowed if t not in DETOURS] or allowed or list(_TRIGGERS)
        trigger = str(data.draw(st.sampled_from(onward) | st.sampled_from(_TRIGGERS)))
        board = ApprovalBoard(board_for(model, self.config))
        valid = data.draw(st.integers(0, 2)) > 0
        kw = draw_change_kwargs(data.draw, trigger, self.now, board=board, valid=valid)
        fit = [a for a in self.actors if self._may(model, rfc, trigger, a)]
        if trigger in ("approve", "reject"):
            fit = [a for a in fit if can_decide(model, self.config, a, board)]
        actor: Actor = data.draw(st.sampled_from(fit or self.actors) | st.sampled_from(self.actors))
        at = self.now + timedelta(minutes=data.draw(st.sampled_from([1, 0, 30, 600, -90])))
        by_policy = self._may(model, rfc, trigger, actor)
        own = None if self._default_policy else by_policy  # None: the oracle restates the default
        expected = expected_change(model, self.config, trigger, kw, actor, at, permitted=own)
        history = rfc.history
        refused = refusal(rfc, trigger, at, actor, **kw)
        if refused is not None:
            assert expected is None, f"{actor.id}: {trigger}({kw}) refused on {rfc!r}: {refused!r}"
            if valid and at >= model.last_at and not by_policy:  # permissions come first
                assert isinstance(refused, NotPermitted), f"{actor.id}: {trigger}: {refused!r}"
            return
        assert expected is not None, f"{actor.id}: {trigger}({kw}) accepted from {model}"
        assert rfc.version == len(history) + 1
        assert rfc.history[-1].kind == trigger
        self.models[index] = expected
        self.now = max(self.now, at)

    @property
    def _default_policy(self) -> bool:
        return type(self.config.permissions) is DefaultChangePermissions

    def _may(self, model: ChangeModel, rfc: ChangeRequest, trigger: str, actor: Actor) -> bool:
        """The default policy as the oracle restates it, or else the config policy's answer."""
        if self._default_policy:
            return may_fire(model, self.config, trigger, actor)
        return permitted(self.config, actor, ChangeTrigger(trigger), rfc)

    @invariant()
    def changes_match_their_models(self) -> None:
        """State, risk, approvals, links, window, times and outcome are the oracle's."""
        for rfc, model in zip(self.changes, self.models, strict=True):
            assert observe_change(rfc) == model, f"{rfc.id}: {observe_change(rfc)} != {model}"

    @invariant()
    def derived_facts_follow(self) -> None:
        """`fixes`, `successful` and `kept_window` follow from the model."""
        for rfc, m in zip(self.changes, self.models, strict=True):
            assert rfc.fixes == tuple(ref for kind, ref in m.links if kind == "problem")
            assert rfc.successful == (m.outcome == "successful")
            if m.ended is None or m.window is None:
                assert rfc.kept_window is None
            else:
                start, end = m.window
                inside = start <= m.started <= end and start <= m.ended <= end  # type: ignore[operator]
                assert rfc.kept_window == inside

    @invariant()
    def history_is_consistent_and_replays(self) -> None:
        """Versions count events, time never goes back, replay rebuilds each RFC."""
        for rfc in self.changes:
            assert_history_consistent(rfc)
            assert_same(ChangeRequest.from_history(rfc.history, config=self.config), rfc)
