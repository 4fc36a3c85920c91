"""Forged RFC histories: one case per rule of `itil_l2.changes._rules` and each payload's values.

Each original is written by the real triggers; each forgery changes one
event the way a hand-built history or an edited row would. Who may decide
for a board (roles, groups) is checked live only, so no case forges it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from forged import Forged, forced, replaced, with_payload
from itil_l2 import Actor, ChangeRequest, SupportGroup, Tier
from itil_l2.changes import ApprovalRefused, ChangeType
from itil_l2.changes import events as ev
from itil_l2.changes.events import ApprovalBoard, ChangeLink, ChangeLinkKind, ChangeOutcome
from itil_l2.changes.events import ChangeRisk as Risk
from itil_l2.errors import DuplicateLink, NaiveDatetime, ValidationError

T0 = datetime(2026, 4, 6, 9, tzinfo=UTC)
DBA = SupportGroup("database-l2", Tier.L2)
RITA, BOB = Actor("rita"), Actor("bob", groups={"database-l2"})
CARL = Actor("carl", roles={"change_manager"})
CARA, CODY = Actor("cara", roles={"cab_member"}), Actor("cody", roles={"cab_member"})
GM, CAB = ApprovalBoard.GROUP_MANAGER, ApprovalBoard.CAB
GINA = Actor("gina", groups={"database-l2"}, roles={"group_manager"})


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _raise(kind: ChangeType = ChangeType.NORMAL, risk: Risk = Risk.LOW) -> ChangeRequest:
    return ChangeRequest.raise_(
        id="CHG-F1",
        title="Rebuild the order index",
        change_type=kind,
        risk=risk,
        group=DBA,
        at=_at(0),
        actor=RITA,
        raised_from=ChangeLink(ChangeLinkKind.PROBLEM, "PRB-1"),
    )


def _approved() -> tuple[ev.ChangeEvent, ...]:
    """Normal, low risk: raise, submit, request approval, the group manager approves (1-4)."""
    rfc = _raise()
    rfc.submit(at=_at(1), actor=RITA)
    rfc.request_approval(at=_at(2), actor=CARL)
    rfc.approve(ApprovalBoard.GROUP_MANAGER, at=_at(3), actor=GINA, comment="ok")
    return rfc.history


def _rejected() -> tuple[ev.ChangeEvent, ...]:
    """Normal, low risk: raise, submit, request approval, the group manager rejects (1-4)."""
    rfc = _raise()
    rfc.submit(at=_at(1), actor=RITA)
    rfc.request_approval(at=_at(2), actor=CARL)
    rfc.reject(ApprovalBoard.GROUP_MANAGER, "no back-out plan", at=_at(3), actor=GINA)
    return rfc.history


def _cab() -> tuple[ev.ChangeEvent, ...]:
    """Emergency, high risk: raise, submit, cara and cody approve for the CAB (events 1-4)."""
    rfc = _raise(ChangeType.EMERGENCY, Risk.HIGH)
    rfc.submit(at=_at(1), actor=RITA)
    rfc.approve(ApprovalBoard.CAB, at=_at(2), actor=CARA)
    rfc.approve(ApprovalBoard.CAB, at=_at(3), actor=CODY)
    return rfc.history


def _reassessed() -> tuple[ev.ChangeEvent, ...]:
    """Normal: raise at low risk, set it to high (event 2), link a ticket (event 3)."""
    rfc = _raise()
    rfc.set_risk(Risk.HIGH, at=_at(1), actor=RITA, reason="touches all shards")
    rfc.link(ChangeLinkKind.TICKET, "INC-4", at=_at(2), actor=BOB)
    return rfc.history


def _standard() -> tuple[ev.ChangeEvent, ...]:
    """Standard: raise, schedule, reschedule, implement, complete, close (events 1-6)."""
    rfc = _raise(ChangeType.STANDARD)
    start = _at(60)
    rfc.schedule(start, start + timedelta(hours=2), at=_at(1), actor=BOB)
    rfc.reschedule(start, start + timedelta(hours=4), "longer test", at=_at(2), actor=BOB)
    rfc.implement(at=_at(61), actor=BOB)
    rfc.complete(ChangeOutcome.SUCCESSFUL, at=_at(120), actor=BOB, notes="index rebuilt")
    rfc.close(at=_at(180), actor=CARL, notes="reviewed")
    return rfc.history


def _cancelled() -> tuple[ev.ChangeEvent, ...]:
    """Normal: raise, submit, cancel (events 1-3)."""
    rfc = _raise()
    rfc.submit(at=_at(1), actor=RITA)
    rfc.cancel("superseded by CHG-9", at=_at(2), actor=RITA)
    return rfc.history


# -- forgeries -------------------------------------------------------------------------


def _case(name: str, original: tuple[Any, ...], events: tuple[Any, ...], rule: type) -> Forged:
    """A change case; its name starts with "change" (`pytest -k change` selects them).

    Every case uses the default `ChangeConfig`: the adapter test loads through
    stores that have no config of their own.
    """
    return Forged(f"change: {name}", ChangeRequest, original, events, rule)


def _raised_with(history: tuple[Any, ...], **changes: Any) -> tuple[Any, ...]:
    """`history` with its creation payload built around its validators, `changes` applied."""
    raised = history[0].payload
    fields = {f.name: getattr(raised, f.name) for f in attrs.fields(ev.ChangeRaised)}
    return with_payload(history, 1, forced(ev.ChangeRaised, **{**fields, **changes}))


def _creation_cases() -> list[Forged]:
    standard = _standard()
    return [
        _case(
            "a standard change raised at a risk the config does not allow",
            standard,
            with_payload(standard, 1, attrs.evolve(standard[0].payload, risk=Risk.HIGH)),
            ValidationError,
        ),
        _case("a blank title", standard, _raised_with(standard, title="  "), ValidationError),
        _case(
            "raised from a blank reference",
            standard,
            _raised_with(standard, raised_from=forced(ChangeLink, kind="problem", ref="")),
            ValidationError,
        ),
    ]


def _risk_cases() -> list[Forged]:
    normal, standard = _reassessed(), _standard()
    reason = "touches all shards"
    return [
        _case(
            "set_risk names an old risk the RFC did not have",
            normal,
            with_payload(normal, 2, ev.ChangeRiskSet(Risk.MODERATE, Risk.HIGH, reason)),
            ValidationError,
        ),
        _case(
            "set_risk that changes nothing",
            normal,
            with_payload(normal, 2, ev.ChangeRiskSet(Risk.LOW, Risk.LOW, reason)),
            ValidationError,
        ),
        _case(
            "a standard change set to a risk the config does not allow",
            standard,
            with_payload(standard, 2, ev.ChangeRiskSet(Risk.LOW, Risk.MODERATE, reason)),
            ValidationError,
        ),
        _case(
            "a blank reason for the risk",
            normal,
            with_payload(
                normal, 2, forced(ev.ChangeRiskSet, old=Risk.LOW, new=Risk.HIGH, reason=" ")
            ),
            ValidationError,
        ),
    ]


def _decision_cases() -> list[Forged]:
    approved, rejected, cabs = _approved(), _rejected(), _cab()

    twice = attrs.evolve(cabs[3], actor_id="cara", payload=ev.ChangeApproved("cara", CAB))
    return [
        _case(
            "an approval for a board the risk does not require",
            approved,
            with_payload(approved, 4, ev.ChangeApproved("gina", CAB, "ok")),
            ApprovalRefused,
        ),
        _case(
            "an approval in another approver's name",
            approved,
            with_payload(approved, 4, ev.ChangeApproved("cara", GM, "ok")),
            ValidationError,
        ),
        _case(
            "the same approver approves twice",
            cabs,
            replaced(cabs, 4, twice),
            ApprovalRefused,
        ),
        _case(
            "a rejection for a board the risk does not require",
            rejected,
            with_payload(rejected, 4, ev.ChangeRejected("gina", CAB, "no back-out plan")),
            ApprovalRefused,
        ),
        _case(
            "a rejection in another approver's name",
            rejected,
            with_payload(rejected, 4, ev.ChangeRejected("otto", GM, "no back-out plan")),
            ValidationError,
        ),
        _case(
            "a rejection without a reason",
            rejected,
            with_payload(
                rejected, 4, forced(ev.ChangeRejected, approver_id="gina", board=GM, comment="")
            ),
            ValidationError,
        ),
    ]


def _window_cases() -> list[Forged]:
    standard = _standard()
    start = standard[1].payload.planned_start
    return [
        _case(
            "a window that ends before it starts",
            standard,
            with_payload(
                standard,
                2,
                forced(
                    ev.ChangeScheduled, planned_start=start, planned_end=start - timedelta(hours=1)
                ),
            ),
            ValidationError,
        ),
        _case(
            "a naive window start",
            standard,
            with_payload(
                standard,
                2,
                forced(
                    ev.ChangeScheduled,
                    planned_start=start.replace(tzinfo=None),
                    planned_end=start + timedelta(hours=2),
                ),
            ),
            NaiveDatetime,
        ),
        _case(
            "a reschedule to the window it already has",
            standard,
            with_payload(
                standard,
                3,
                ev.ChangeRescheduled(start, start + timedelta(hours=2), "longer test"),
            ),
            ValidationError,
        ),
    ]


def _outcome_cases() -> list[Forged]:
    standard, cancelled = _standard(), _cancelled()
    return [
        _case(
            "an outcome that is not a ChangeOutcome",
            standard,
            with_payload(
                standard, 5, forced(ev.ChangeCompleted, outcome="great", notes="index rebuilt")
            ),
            ValidationError,
        ),
        _case(
            "blank review notes",
            standard,
            with_payload(standard, 6, forced(ev.ChangeClosed, notes="   ")),
            ValidationError,
        ),
        _case(
            "a cancellation without a reason",
            cancelled,
            with_payload(cancelled, 3, forced(ev.ChangeCancelled, reason="")),
            ValidationError,
        ),
    ]


def _link_cases() -> list[Forged]:
    linked = _reassessed()
    blank = forced(ChangeLink, kind=ChangeLinkKind.TICKET, ref=" ")
    return [
        _case(
            "a duplicate link",
            linked,
            with_payload(linked, 3, ev.ChangeLinked(ChangeLink(ChangeLinkKind.PROBLEM, "PRB-1"))),
            DuplicateLink,
        ),
        _case(
            "a link to a blank reference",
            linked,
            with_payload(linked, 3, ev.ChangeLinked(blank)),
            ValidationError,
        ),
    ]


CASES: list[Forged] = [
    *_creation_cases(),
    *_risk_cases(),
    *_decision_cases(),
    *_window_cases(),
    *_outcome_cases(),
    *_link_cases(),
]
