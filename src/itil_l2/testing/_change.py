"""Property-test helpers for requests for change: strategies, an oracle, a stateful test.

The oracle (`expected_change`) restates the change rules as plain if/else on
a small model (`ChangeModel`), written from the issue text and deliberately
not derived from the transitions definition, `ChangeConfig`'s methods or the
permissions policy, so code and oracle check each other. It reads only the
config's data (risks, quorum, role names).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.errors import ItilL2Error
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.changes import ChangeConfig, ChangeRequest, ChangeTrigger, ChangeType
from itil_l2.changes.events import (
    ApprovalBoard,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
)

__all__ = [
    "CHANGE_GROUPS",
    "ChangeModel",
    "ChangeWorkflowMachine",
    "assert_same_change",
    "change_requests",
    "change_snapshot",
    "draw_change_kwargs",
    "expected_change",
    "observe_change",
]

_T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
CHANGE_GROUPS = (SupportGroup("database-l2", Tier.L2), SupportGroup("network-l2", Tier.L2))
_TRIGGERS = tuple(t for t in ChangeTrigger if t is not ChangeTrigger.RAISE)
Draw = Callable[[st.SearchStrategy[Any]], Any]


def change_snapshot(change: ChangeRequest) -> dict[str, Any]:
    """Every field of an RFC (history included), for before/after comparisons."""
    return {f.name: getattr(change, f.name) for f in attrs.fields(type(change))}


def assert_same_change(actual: ChangeRequest, expected: ChangeRequest) -> None:
    """Fail, naming the first differing field, unless both RFCs match field by field."""
    a, e = change_snapshot(actual), change_snapshot(expected)
    a.pop("_persisted")
    e.pop("_persisted")
    for name, value in e.items():
        assert a[name] == value, f"{expected.id}: field {name!r} differs: {a[name]!r} != {value!r}"


# -- the oracle -------------------------------------------------------------------


@attrs.define
class ChangeModel:
    """What the oracle knows of one RFC, in plain strings and tuples."""

    change_type: str
    risk: str
    group: str
    requester: str
    last_at: datetime
    state: str = "new"
    approvals: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    window: tuple[datetime, datetime] | None = None
    started: datetime | None = None
    ended: datetime | None = None
    outcome: str | None = None


def observe_change(rfc: ChangeRequest) -> ChangeModel:
    """An RFC as the oracle models it (to compare with `expected_change`'s result)."""
    window = None if rfc.planned_start is None else (rfc.planned_start, rfc.planned_end)
    return ChangeModel(
        change_type=str(rfc.change_type),
        risk=str(rfc.risk),
        group=rfc.group.name,
        requester=rfc.requested_by,
        last_at=rfc.updated_at,
        state=rfc.state,
        approvals=tuple((a.approver_id, str(a.board)) for a in rfc.approvals),
        links=tuple((str(link.kind), link.ref) for link in rfc.links),
        window=window,  # type: ignore[arg-type]
        started=rfc.implementation_started_at,
        ended=rfc.implementation_ended_at,
        outcome=None if rfc.outcome is None else str(rfc.outcome),
    )


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _optional_ok(value: object) -> bool:
    return value is None or not _blank(value)


def _board_for(m: ChangeModel, cfg: ChangeConfig) -> str:
    return "cab" if m.risk in {r.value for r in cfg.cab_risks} else "group_manager"


def _can_decide(m: ChangeModel, cfg: ChangeConfig, actor: Actor, board: str) -> bool:
    if "system" in actor.roles:
        return True
    if board == "cab":
        return cfg.cab_role in actor.roles
    return cfg.group_manager_role in actor.roles and m.group in actor.groups


_BY_GROUP = {"submit", "set_risk", "schedule", "reschedule", "implement", "complete"}
_BY_GROUP |= {"cancel", "link"}
_BY_REQUESTER = {"submit", "set_risk", "cancel", "link"}


def _may(m: ChangeModel, cfg: ChangeConfig, trigger: str, actor: Actor) -> bool:
    if "system" in actor.roles:
        return True
    if trigger in ("approve", "reject"):
        return any(_can_decide(m, cfg, actor, b) for b in ("cab", "group_manager"))
    if cfg.change_manager_role in actor.roles:
        return True
    if m.group in actor.groups:
        if trigger in _BY_GROUP:
            return True
        if trigger == "close" and m.change_type == "standard":
            return True
    return actor.id == m.requester and trigger in _BY_REQUESTER


def _window(kw: dict[str, Any]) -> tuple[datetime, datetime] | None:
    start, end = kw["planned_start"], kw["planned_end"]
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return None
    return (start, end)


def _decision(m: ChangeModel, cfg: ChangeConfig, kw: dict[str, Any], actor: Actor) -> bool:
    board = str(kw["board"])
    return (
        m.state == "authorize" and board == _board_for(m, cfg) and _can_decide(m, cfg, actor, board)
    )


def _decision_step(
    m: ChangeModel, cfg: ChangeConfig, trigger: str, kw: dict[str, Any], actor: Actor
) -> ChangeModel | None:
    """Approvals, rejections and (re)scheduling: the moves the approval rules govern."""
    s, evolve = m.state, attrs.evolve
    if trigger == "approve" and _decision(m, cfg, kw, actor):
        entry = (actor.id, str(kw["board"]))
        ok = entry not in m.approvals and _optional_ok(kw["comment"])
        return evolve(m, approvals=(*m.approvals, entry)) if ok else None
    if trigger == "reject" and _decision(m, cfg, kw, actor) and not _blank(kw["reason"]):
        return evolve(m, state="new", approvals=())
    if trigger == "schedule" and _window(kw):
        board = _board_for(m, cfg)
        quorum = cfg.cab_quorum if board == "cab" else 1
        approvers = {who for who, b in m.approvals if b == board}
        standard = s == "new" and m.change_type == "standard"
        if standard or (s == "authorize" and len(approvers) >= quorum):
            return evolve(m, state="scheduled", window=_window(kw))
    if trigger == "reschedule" and s == "scheduled" and _window(kw):
        ok = not _blank(kw["reason"]) and _window(kw) != m.window
        return evolve(m, window=_window(kw)) if ok else None
    return None


def _step(
    m: ChangeModel, cfg: ChangeConfig, trigger: str, kw: dict[str, Any], actor: Actor, at: datetime
) -> ChangeModel | None:
    """The model after one move, or None when the rules refuse it (one rule per branch)."""
    s, evolve = m.state, attrs.evolve
    if trigger in ("approve", "reject", "schedule", "reschedule"):
        return _decision_step(m, cfg, trigger, kw, actor)
    if trigger == "link":
        link = (str(kw["kind"]), kw["ref"])
        ok = not _blank(kw["ref"]) and link not in m.links
        return evolve(m, links=(*m.links, link)) if ok else None
    if trigger == "submit" and s == "new":
        dest = {"normal": "assess", "emergency": "authorize"}.get(m.change_type)
        return evolve(m, state=dest) if dest else None
    if trigger == "set_risk" and s in ("new", "assess"):
        risk = str(kw["risk"])
        standard_ok = m.change_type != "standard" or risk in {r.value for r in cfg.standard_risks}
        ok = risk != m.risk and standard_ok and _optional_ok(kw["reason"])
        return evolve(m, risk=risk) if ok else None
    if trigger == "request_approval" and s == "assess":
        return evolve(m, state="authorize")
    if trigger == "implement" and s == "scheduled":
        return evolve(m, state="implement", started=at)
    if trigger == "complete" and s == "implement" and _optional_ok(kw["notes"]):
        return evolve(m, state="review", ended=at, outcome=str(kw["outcome"]))
    if trigger == "close" and s == "review" and _optional_ok(kw["notes"]):
        return evolve(m, state="closed")
    before_work = ("new", "assess", "authorize", "scheduled")
    if trigger == "cancel" and s in before_work and not _blank(kw["reason"]):
        return evolve(m, state="cancelled")
    return None


def expected_change(
    model: ChangeModel,
    config: ChangeConfig,
    trigger: str,
    kwargs: dict[str, Any],
    actor: Actor,
    at: datetime,
) -> ChangeModel | None:
    """The RFC model after `actor` fires `trigger(**kwargs)` at `at`, or None if refused."""
    if at < model.last_at or not _may(model, config, trigger, actor):
        return None
    after = _step(model, config, trigger, kwargs, actor, at)
    return None if after is None else attrs.evolve(after, last_at=at)


# -- moves and strategies ---------------------------------------------------------


def _arg_table(bad: tuple[str, ...]) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    def texts(*good: str | None) -> st.SearchStrategy[str | None]:
        return st.sampled_from([*good, *bad])

    return {
        "set_risk": {"risk": st.sampled_from(ChangeRisk), "reason": texts(None, "reassessed")},
        "approve": {"comment": texts(None, "ok")},
        "reject": {"reason": texts("too risky")},
        "reschedule": {"reason": texts("vendor delay")},
        "complete": {"outcome": st.sampled_from(ChangeOutcome), "notes": texts(None, "done")},
        "close": {"notes": texts(None, "reviewed")},
        "cancel": {"reason": texts("no longer needed")},
        "link": {"kind": st.sampled_from(ChangeLinkKind), "ref": texts("PRB-1", "INC-2")},
    }


_ANY_ARGS, _GOOD_ARGS = _arg_table(("", "  ")), _arg_table(())


def draw_change_kwargs(
    draw: Draw,
    trigger: str,
    now: datetime,
    *,
    board: ApprovalBoard | None = None,
    valid: bool = False,
) -> dict[str, Any]:
    """Arguments for `trigger`: with `valid`, good ones for `board`; else also bad ones.

    Bad ones are blank texts, empty or naive windows and boards the RFC
    does not need (`board`, the one it needs, is drawn more often).
    """
    table = _GOOD_ARGS if valid else _ANY_ARGS
    kw = {name: draw(strategy) for name, strategy in table.get(trigger, {}).items()}
    if trigger in ("approve", "reject"):
        boards = [board] if valid and board else [board, *ApprovalBoard] if board else ApprovalBoard
        kw["board"] = draw(st.sampled_from(boards))
    if trigger in ("schedule", "reschedule"):
        start = now + timedelta(hours=draw(st.sampled_from([24, 1, -48])))
        lengths = [2, 3] if valid else [2, 0, -1]
        kw["planned_end"] = start + timedelta(hours=draw(st.sampled_from(lengths)))
        naive = not valid and draw(st.integers(0, 9)) == 0
        kw["planned_start"] = start.replace(tzinfo=None) if naive else start
    return kw


def _fire(
    change: ChangeRequest, trigger: str, kw: dict[str, Any], at: datetime, actor: Actor
) -> None:
    method: Callable[..., None] = getattr(change, trigger)
    method(at=at, actor=actor, **kw)


def _deciders(cfg: ChangeConfig, group: SupportGroup) -> list[Actor]:
    cab = [Actor(f"cab-{n}", roles={cfg.cab_role}) for n in range(cfg.cab_quorum)]
    return [*cab, Actor("gm", groups={group.name}, roles={cfg.group_manager_role})]


_DETOURS = frozenset({"cancel", "reject", "link", "set_risk", "reschedule"})


@st.composite
def change_requests(
    draw: st.DrawFn, *, config: ChangeConfig | None = None, max_steps: int = 12
) -> ChangeRequest:
    """RFCs driven into any reachable state through the real workflow.

    Each RFC is raised with a random type and risk (standard ones with a
    risk the config allows) and moved by up to `max_steps` triggers the
    workflow allows from where it is, fired by the system actor (decisions
    by CAB members and a group manager), so every state of every path can
    come out. A refused trigger (e.g. a reschedule to the same window)
    leaves the RFC as it was.
    """
    cfg = config or ChangeConfig()
    kind = draw(st.sampled_from(ChangeType))
    risks = sorted(cfg.standard_risks) if kind is ChangeType.STANDARD else list(ChangeRisk)
    group = draw(st.sampled_from(CHANGE_GROUPS))
    source = draw(st.sampled_from([None, ChangeLinkKind.PROBLEM, ChangeLinkKind.TICKET]))
    rfc = ChangeRequest.raise_(
        id=f"CHG-{draw(st.integers(1, 999))}",
        title="Rebuild the order index",
        change_type=kind,
        risk=draw(st.sampled_from(risks)),
        group=group,
        raised_from=None if source is None else ChangeLink(source, "REF-1"),
        at=_T0,
        actor=SYSTEM,
        config=cfg,
    )
    now = _T0
    for _ in range(draw(st.integers(0, max_steps))):
        now += timedelta(minutes=draw(st.integers(0, 600)))
        allowed = [str(t) for t in rfc.allowed_triggers()]
        onward = [t for t in allowed if t not in _DETOURS]
        bold = onward and draw(st.integers(0, 3)) > 0  # mostly onward, so walks get far
        trigger = draw(st.sampled_from(onward if bold else allowed))
        kw = draw_change_kwargs(draw, trigger, now, board=rfc.required_board, valid=True)
        actors = _deciders(cfg, group) if trigger in ("approve", "reject") else [SYSTEM]
        try:
            _fire(rfc, trigger, kw, now, draw(st.sampled_from(actors)))
        except ItilL2Error:
            continue  # a drawn argument was bad, or a decider unfit: the RFC is unchanged
    return rfc


# -- the stateful test --------------------------------------------------------------


class ChangeWorkflowMachine(RuleBasedStateMachine):
    """Random triggers by random actors on a few RFCs, checked against `expected_change`.

    Subclass it to check your own `ChangeConfig`; run it through `TestCase`:

        class QuorumOfTwo(ChangeWorkflowMachine):
            config = ChangeConfig(cab_quorum=2)

        TestQuorumOfTwo = QuorumOfTwo.TestCase

    Checked after every step: a trigger succeeds exactly when the oracle
    says so, and a refused one raises an `ItilL2Error` and changes nothing;
    each RFC matches its oracle model (state, risk, approvals, links,
    window, implementation times, outcome) and the derived facts (`fixes`,
    `successful`, `kept_window`); `version == len(history)`; time never goes
    back; `ChangeRequest.from_history` rebuilds each RFC field by field.
    """

    config: ClassVar[ChangeConfig] = ChangeConfig()
    max_changes: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[ChangeRequest] = []
        self.models: list[ChangeModel] = []
        self.now = _T0
        cfg = self.config
        self.actors = [
            SYSTEM,
            Actor("carl", roles={cfg.change_manager_role}),
            Actor("cara", roles={cfg.cab_role}),
            Actor("cody", roles={cfg.cab_role}),
            Actor("gina", groups={"database-l2"}, roles={cfg.group_manager_role}),
            Actor("otto", groups={"network-l2"}, roles={cfg.group_manager_role}),
            Actor("bob", groups={"database-l2"}),
            Actor("rita"),
            Actor("mallory", groups={"marketing"}),
        ]

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
                actor=self.actors[7],
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
        onward = [t for t in allowed if t not in _DETOURS] or allowed or list(_TRIGGERS)
        trigger = str(data.draw(st.sampled_from(onward) | st.sampled_from(_TRIGGERS)))
        board = ApprovalBoard(_board_for(model, self.config))
        valid = data.draw(st.integers(0, 2)) > 0
        kw = draw_change_kwargs(data.draw, trigger, self.now, board=board, valid=valid)
        fit = [a for a in self.actors if _may(model, self.config, trigger, a)]
        if trigger in ("approve", "reject"):
            fit = [a for a in fit if _can_decide(model, self.config, a, board)]
        actor: Actor = data.draw(st.sampled_from(fit or self.actors) | st.sampled_from(self.actors))
        at = self.now + timedelta(minutes=data.draw(st.sampled_from([1, 0, 30, 600, -90])))
        expected = expected_change(model, self.config, trigger, kw, actor, at)
        before = change_snapshot(rfc)
        try:
            _fire(rfc, trigger, kw, at, actor)
        except ItilL2Error as exc:
            assert change_snapshot(rfc) == before, f"refused {trigger} changed {rfc.id}"
            assert expected is None, f"{actor.id}: {trigger}({kw}) refused on {rfc!r}: {exc!r}"
            return
        assert expected is not None, f"{actor.id}: {trigger}({kw}) accepted on {before}"
        assert rfc.version == len(before["history"]) + 1
        assert rfc.history[-1].kind == trigger
        self.models[index] = expected
        self.now = max(self.now, at)

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
            assert [e.version for e in rfc.history] == list(range(1, rfc.version + 1))
            times = [e.at for e in rfc.history]
            assert times == sorted(times)
            assert_same_change(ChangeRequest.from_history(rfc.history, config=self.config), rfc)
