"""Change helpers: an oracle of the change rules, RFC strategies, snapshots.

The oracle (`expected_change`) restates the change rules as plain if/else on
a small model (`ChangeModel`), written from the issue text and deliberately
not derived from the transitions definition, `ChangeConfig`'s methods or the
permissions policy, so code and oracle check each other. It reads only the
config's data (risks, quorum, role names). `ChangeWorkflowMachine` checks
RFCs against it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.changes import ChangeConfig, ChangeRequest, ChangeType
from itil_l2.changes.events import (
    ApprovalBoard,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
)
from itil_l2.errors import ItilL2Error
from itil_l2.testing._common import T0, Draw, assert_same, call_trigger, snapshot, walk

CHANGE_GROUPS = (SupportGroup("database-l2", Tier.L2), SupportGroup("network-l2", Tier.L2))
"""The groups drawn and stateful RFCs belong to."""


def change_snapshot(change: ChangeRequest) -> dict[str, Any]:
    """Every field of an RFC (history included), for before/after comparisons."""
    return snapshot(change)


def assert_same_change(actual: ChangeRequest, expected: ChangeRequest) -> None:
    """Fail, naming the first differing field, unless both RFCs match field by field."""
    assert_same(actual, expected)


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


def board_for(m: ChangeModel, cfg: ChangeConfig) -> str:
    """The board that decides on the RFC: the CAB at the config's CAB risks."""
    return "cab" if m.risk in {r.value for r in cfg.cab_risks} else "group_manager"


def can_decide(m: ChangeModel, cfg: ChangeConfig, actor: Actor, board: str) -> bool:
    """Whether `actor` may approve or reject for `board`."""
    if "system" in actor.roles:
        return True
    if board == "cab":
        return cfg.cab_role in actor.roles
    return cfg.group_manager_role in actor.roles and m.group in actor.groups


_BY_GROUP = {"submit", "set_risk", "schedule", "reschedule", "implement", "complete"}
_BY_GROUP |= {"cancel", "link"}
_BY_REQUESTER = {"submit", "set_risk", "cancel", "link"}


def may_fire(m: ChangeModel, cfg: ChangeConfig, trigger: str, actor: Actor) -> bool:
    """The default change permissions, restated: whether `actor` may fire `trigger`."""
    if "system" in actor.roles:
        return True
    if trigger in ("approve", "reject"):
        return any(can_decide(m, cfg, actor, b) for b in ("cab", "group_manager"))
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
        m.state == "authorize" and board == board_for(m, cfg) and can_decide(m, cfg, actor, board)
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
        board = board_for(m, cfg)
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
    *,
    permitted: bool | None = None,
) -> ChangeModel | None:
    """The RFC model after `actor` fires `trigger(**kwargs)` at `at`, or None if refused.

    `permitted` is the config's permissions policy's answer for a policy of
    the host's own; None restates the default policy (`may_fire`).
    """
    allowed = may_fire(model, config, trigger, actor) if permitted is None else permitted
    if at < model.last_at or not allowed:
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


def _deciders(cfg: ChangeConfig, group: SupportGroup) -> list[Actor]:
    cab = [Actor(f"cab-{n}", roles={cfg.cab_role}) for n in range(cfg.cab_quorum)]
    return [*cab, Actor("gm", groups={group.name}, roles={cfg.group_manager_role})]


DETOURS = frozenset({"cancel", "reject", "link", "set_risk", "reschedule"})
"""Triggers that lead nowhere new: walks that favour the others get far."""


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
        at=T0,
        actor=SYSTEM,
        config=cfg,
    )
    for now in walk(draw, max_steps):
        allowed = [str(t) for t in rfc.allowed_triggers()]
        onward = [t for t in allowed if t not in DETOURS]
        bold = onward and draw(st.integers(0, 3)) > 0  # mostly onward, so walks get far
        trigger = draw(st.sampled_from(onward if bold else allowed))
        kw = draw_change_kwargs(draw, trigger, now, board=rfc.required_board, valid=True)
        actors = _deciders(cfg, group) if trigger in ("approve", "reject") else [SYSTEM]
        try:
            call_trigger(rfc, trigger, now, draw(st.sampled_from(actors)), **kw)
        except ItilL2Error:
            continue  # a drawn argument was bad, or a decider unfit: the RFC is unchanged
    return rfc
