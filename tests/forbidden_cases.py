"""Plausible arguments for every trigger of every entity kind, for `test_forbidden_first`.

A case draws the arguments of one trigger for one entity and returns the call
(taking the time and the actor) and the other entities the call touches, so
a test can check that a refused call changes none of them. The `*_CASES`
tables hold clean calls (valid input: only the workflow or a rule can refuse
them); the `*_EXTRA` tables add calls that are refusable on their own account.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from hypothesis import strategies as st

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Actor,
    ChangeRequest,
    ConfigurationItem,
    Impact,
    Problem,
    Resolution,
    Ticket,
    Urgency,
)
from itil_l2.changes import (
    ApprovalBoard,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
    ChangeTrigger,
)
from itil_l2.cmdb import CiStatus, CiTrigger, Relation, RelationKind, apply_resolution
from itil_l2.knowledge import FlagKind, KnowledgeTrigger
from itil_l2.problems import ProblemResolutionCode, ProblemTrigger
from itil_l2.testing import (
    DEFAULT_GROUPS,
    PROBLEM_TEAM,
    handovers,
    hold_reasons,
    rca_records,
    relation_kinds,
    resolutions,
)
from itil_l2.tickets import CiChange, L3Target, L3TargetKind, LinkKind, Trigger

T0 = datetime.fromisoformat("2026-01-05T08:00:00+00:00")
TEXT = st.sampled_from(["printer jams again", "caller confirmed the fix"])
Call = Callable[[datetime, Actor], object]
Case = Callable[[Any, st.DataObject], tuple[Call, tuple[Any, ...]]]
"""Draws plausible arguments for one trigger of an entity: the call, and other entities it touches."""


@frozen
class Refuse:
    """A policy refusing `trigger` (None: every trigger, even the system actor's)."""

    trigger: str | None = None

    def permits(self, actor: Actor, trigger: str, entity: Any) -> bool:
        return self.trigger is not None and trigger != self.trigger


@frozen
class PermitAll:
    """A policy that lets anyone fire anything: only the workflow and the rules refuse."""

    def permits(self, actor: Actor, trigger: str, entity: Any) -> bool:
        return True


def method(name: str, *args: Any, **kwargs: Any) -> Case:
    """Call `entity.name(*args, at=, actor=, **kwargs)`; strategies are drawn, lambdas get the entity."""

    def case(entity: Any, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
        def value(spec: Any) -> Any:
            spec = spec(entity) if inspect.isfunction(spec) else spec
            return data.draw(spec) if isinstance(spec, st.SearchStrategy) else spec

        a = [value(v) for v in args]
        kw = {k: value(v) for k, v in kwargs.items()}
        return (lambda at, actor: getattr(entity, name)(*a, at=at, actor=actor, **kw)), ()

    return case


def incident(id: str = "INC-77") -> Ticket:
    """A ticket opened before every entity here, so linking it never goes back in time."""
    return Ticket.open(id=id, title="Orders fail at night", impact=Impact.HIGH,
                       urgency=Urgency.HIGH, owner_group=DEFAULT_GROUPS[0],
                       at=T0 - timedelta(days=2), actor=SYSTEM)  # fmt: skip


def link_incident(problem: Problem, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    ticket = incident()
    return (lambda at, actor: problem.link_incident(ticket, at=at, actor=actor)), (ticket,)


def link_ticket(rfc: ChangeRequest, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    ticket = incident()
    return (lambda at, actor: rfc.link_ticket(ticket, at=at, actor=actor)), (ticket,)


def resolved_for(ci: ConfigurationItem) -> Ticket:
    """A ticket resolved with one CI change for `ci` that fits its current attributes."""
    ticket = incident()
    when = T0 - timedelta(days=1)
    ticket.assign(DEFAULT_GROUPS[0], at=when, actor=SYSTEM)
    change = CiChange(ci.id, "patched-by", None, "INC-77")
    fix = Resolution(SOLVED_PERMANENTLY, "patched", ci_changes=[change])
    ticket.resolve(fix, at=when, actor=SYSTEM)
    return ticket


def apply_changes(ci: ConfigurationItem, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    ticket = resolved_for(ci)
    return (lambda at, a: ci.apply_resolution_changes(ticket, at=at, actor=a)), (ticket,)


def apply_batch(ci: ConfigurationItem, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    ticket = resolved_for(ci)
    return (lambda at, a: apply_resolution(ticket, [ci], at=at, actor=a)), (ticket,)


def unrelate_existing(ci: ConfigurationItem, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    fallback = Relation(RelationKind.RUNS_ON, "ci-9")
    relation = data.draw(st.sampled_from(ci.relations)) if ci.relations else fallback
    return (lambda at, a: ci.unrelate(relation.kind, relation.target, at=at, actor=a)), ()


GROUPS = st.sampled_from(DEFAULT_GROUPS)
TARGETS = st.none() | st.builds(L3Target, st.sampled_from(L3TargetKind), st.just("oracle"))
TICKET_CASES: dict[Any, tuple[Case, ...]] = {
    Trigger.ASSIGN: (method("assign", GROUPS, reason=st.sampled_from([None, "major incident"])),),
    Trigger.ASSIGN_TO: (method("assign_to", st.sampled_from(["pia", None])),),
    Trigger.START: (method("start"),),
    Trigger.REQUEUE: (method("requeue", reason=st.sampled_from([None, "parts ordered"])),),
    Trigger.REASSIGN: (method("reassign", GROUPS),),
    Trigger.ESCALATE: (method("escalate", GROUPS, handovers(), target=TARGETS),),
    Trigger.HAND_BACK: (method("hand_back", GROUPS, TEXT),),
    Trigger.HOLD: (method("hold", hold_reasons()),),
    Trigger.CHANGE_HOLD_REASON: (method("change_hold_reason", hold_reasons()),),
    Trigger.RESUME: (method("resume", TEXT),),
    Trigger.VENDOR_UPDATE: (method("vendor_update", TEXT, ref=st.sampled_from([None, "SR-1"])),),
    Trigger.ADD_NOTE: (method("add_note", TEXT),),
    Trigger.UPDATE: (method("update", title=lambda t: st.just(t.title + " (again)")),),
    Trigger.RESOLVE: (method("resolve", resolutions()),),
    Trigger.REOPEN: (method("reopen", TEXT),),
    Trigger.CLOSE: (method("close"),),
    Trigger.CANCEL: (method("cancel", TEXT),),
    Trigger.LINK: (method("link", st.sampled_from(LinkKind), st.sampled_from(["PRB-1", "KB-2"])),),
}
PROBLEM_CODES = [ProblemResolutionCode.FIX_APPLIED, ProblemResolutionCode.RISK_ACCEPTED]
PROBLEM_CASES: dict[Any, tuple[Case, ...]] = {
    ProblemTrigger.ASSIGN: (
        method("assign", st.just(PROBLEM_TEAM), assignee=st.sampled_from([None, "pia"])),
    ),
    ProblemTrigger.ASSESS: (method("assess"),),
    ProblemTrigger.START_ANALYSIS: (method("start_analysis"),),
    ProblemTrigger.RECORD_RCA: (method("record_rca", rca_records()),),
    ProblemTrigger.START_FIX: (method("start_fix", change_ref=st.sampled_from([None, "CHG-1"])),),
    ProblemTrigger.PUBLISH_WORKAROUND: (method("publish_workaround", TEXT),),
    ProblemTrigger.LINK_INCIDENT: (link_incident,),
    ProblemTrigger.RAISE_KNOWN_ERROR: (
        method("raise_known_error", lambda p: st.just(f"KE-{p.id}")),
    ),
    ProblemTrigger.ADD_NOTE: (method("add_note", TEXT),),
    ProblemTrigger.RESOLVE: (method("resolve", st.sampled_from(PROBLEM_CODES), TEXT),),
    ProblemTrigger.REANALYZE: (method("reanalyze", TEXT),),
    ProblemTrigger.CLOSE: (method("close"),),
    ProblemTrigger.CANCEL: (method("cancel", TEXT),),
}
WINDOW = (T0 + timedelta(days=2), T0 + timedelta(days=2, hours=2))
CHANGE_CASES: dict[Any, tuple[Case, ...]] = {
    ChangeTrigger.SUBMIT: (method("submit"),),
    ChangeTrigger.SET_RISK: (
        method("set_risk", lambda c: st.sampled_from([r for r in ChangeRisk if r is not c.risk])),
    ),
    ChangeTrigger.REQUEST_APPROVAL: (method("request_approval"),),
    ChangeTrigger.APPROVE: (method("approve", st.sampled_from(ApprovalBoard)),),
    ChangeTrigger.REJECT: (method("reject", st.sampled_from(ApprovalBoard), TEXT),),
    ChangeTrigger.SCHEDULE: (method("schedule", *WINDOW),),
    ChangeTrigger.RESCHEDULE: (
        method("reschedule", *(w + timedelta(days=1) for w in WINDOW), TEXT),
    ),
    ChangeTrigger.IMPLEMENT: (method("implement"),),
    ChangeTrigger.COMPLETE: (method("complete", st.sampled_from(ChangeOutcome)),),
    ChangeTrigger.CLOSE: (method("close"),),
    ChangeTrigger.CANCEL: (method("cancel", TEXT),),
    ChangeTrigger.LINK: (
        method("link", st.sampled_from(ChangeLinkKind), st.sampled_from(["PRB-1", "INC-2"])),
        link_ticket,
    ),
}
ARTICLE_CASES: dict[Any, tuple[Case, ...]] = {
    KnowledgeTrigger.EDIT: (
        method(
            "edit",
            title=lambda a: st.just(a.title + " (revised)"),
            symptom=TEXT,
            resolution_steps=st.just(["clear tray 2", "reseat the drum"]),
            categories=st.just(["printing"]),
        ),
    ),
    KnowledgeTrigger.SUBMIT: (method("submit"),),
    KnowledgeTrigger.SEND_BACK: (method("send_back", TEXT),),
    KnowledgeTrigger.VALIDATE: (method("validate"),),
    KnowledgeTrigger.PUBLISH: (method("publish"),),
    KnowledgeTrigger.RATE: (method("rate", st.booleans()),),
    KnowledgeTrigger.FLAG: (method("flag", st.sampled_from(FlagKind), TEXT),),
    KnowledgeTrigger.DISMISS_FLAGS: (method("dismiss_flags", TEXT),),
    KnowledgeTrigger.PROPOSE_RETIREMENT: (method("propose_retirement", TEXT),),
    KnowledgeTrigger.REINSTATE: (method("reinstate", TEXT),),
    KnowledgeTrigger.RETIRE: (method("retire", TEXT),),
    KnowledgeTrigger.ARCHIVE: (method("archive", TEXT),),
    KnowledgeTrigger.SUPERSEDE: (
        method("new_version", id=lambda a: st.just(f"{a.id}-NEXT"), title=st.just("Listener down")),
    ),
}
CI_CASES: dict[Any, tuple[Case, ...]] = {
    CiTrigger.CHANGE_STATUS: (method("change_status", st.sampled_from(CiStatus)),),
    CiTrigger.UPDATE: (method("update", owner=st.sampled_from(["ops-team", "dba-team"])),),
    CiTrigger.UPDATE_ATTRIBUTES: (method("update_attributes", st.just({"patched": True})),),
    CiTrigger.APPLY_RESOLUTION_CHANGES: (apply_changes, apply_batch),
    CiTrigger.RELATE: (method("relate", relation_kinds(), st.sampled_from(["ci-1", "ci-2"])),),
    CiTrigger.UNRELATE: (
        method("unrelate", relation_kinds(), st.sampled_from(["ci-1", "ci-2"])),
        unrelate_existing,
    ),
}


def linked_both_ways(rfc: ChangeRequest, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    """A ticket the RFC names, linked back from its side too: linking again is a duplicate."""
    ticket = incident(rfc.tickets[0] if rfc.tickets else "INC-78")
    ticket.link(LinkKind.CHANGE, rfc.id, at=T0 - timedelta(days=1), actor=SYSTEM)
    return (lambda at, actor: rfc.link_ticket(ticket, at=at, actor=actor)), (ticket,)


def relink(ticket: Ticket, data: st.DataObject) -> tuple[Call, tuple[Any, ...]]:
    """A link the ticket has already (a duplicate), else a new one."""
    link = data.draw(st.sampled_from(ticket.links)) if ticket.links else None
    kind, ref = (LinkKind.PROBLEM, "PRB-1") if link is None else (link.kind, link.ref)
    return (lambda at, actor: ticket.link(kind, ref, at=at, actor=actor)), ()


# Refusable on their own account (nothing changes, a duplicate): for refused actors only,
# who must get NotPermitted before the trigger's own refusal tells them anything.
TICKET_EXTRA: dict[Any, tuple[Case, ...]] = {
    Trigger.UPDATE: (method("update", title=lambda t: st.just(t.title)),),
    Trigger.ASSIGN_TO: (method("assign_to", lambda t: st.just(t.assignee)),),
    Trigger.LINK: (relink,),
}
CHANGE_EXTRA: dict[Any, tuple[Case, ...]] = {ChangeTrigger.LINK: (linked_both_ways,)}
ARTICLE_EXTRA: dict[Any, tuple[Case, ...]] = {
    KnowledgeTrigger.EDIT: (method("edit", title=lambda a: st.just(a.title)),),
}
CI_EXTRA: dict[Any, tuple[Case, ...]] = {
    CiTrigger.UPDATE: (method("update", owner=lambda ci: st.just(ci.owner)),),
}
