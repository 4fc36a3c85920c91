"""Forged problem histories: one per rule of `itil_l2.problems._rules` (and the RCA condition).

Each original is written by real triggers at fixed times; each forgery
changes one event the way a hand-edited row would, and replay must refuse it
with the rule's own error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from forged import Forged, forced, replaced, with_payload
from itil_l2 import SYSTEM, Actor, HoldReason, Impact, Priority, Role, SupportGroup, Tier, Urgency
from itil_l2.errors import DuplicateLink, UnknownResolutionCode, ValidationError
from itil_l2.problems import KnownErrorNotReady, Problem, ProblemResolutionCode
from itil_l2.problems import events as ev
from itil_l2.problems.rca import FiveWhys, RcaAction, RcaIncomplete, RcaRecord, RcaStatus, Why
from itil_l2.tickets import SOLVED_PERMANENTLY, SOLVED_WORKAROUND, Ticket

__all__ = ["CASES"]

PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
TEAM = SupportGroup("problem-team", Tier.L2, {"database"})
OTHER = SupportGroup("network-l2", Tier.L2, {"network"})
DESK = SupportGroup("service-desk", Tier.L1)
FIX = ProblemResolutionCode.FIX_APPLIED
RISK = ProblemResolutionCode.RISK_ACCEPTED
DUP = ProblemResolutionCode.DUPLICATE
CHAIN = FiveWhys([Why("Why did orders fail?", "The listener was down")], "logs never rotated")
CAUSE_ONLY = RcaRecord(CHAIN, root_cause="listener logs are never rotated")
DONE_RCA = RcaRecord(
    CHAIN,
    root_cause="listener logs are never rotated",
    corrective_actions=[RcaAction("rotate the logs", "bob", date(2026, 4, 1))],
    status=RcaStatus.COMPLETED,
)


def _clock() -> Iterator[datetime]:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    while True:
        moment += timedelta(minutes=5)
        yield moment


def _opened(clock: Iterator[datetime], id: str = "PRB-1") -> Problem:
    return Problem.open(
        id=id,
        statement="Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.MEDIUM,
        group=TEAM,
        category="database",
        ci_refs=["db-prod-3"],
        at=next(clock),
        actor=PM,
    )


def _analysing(clock: Iterator[datetime]) -> Problem:
    """Opened, assessed, in root cause analysis: events 1-3."""
    p = _opened(clock)
    p.assess(at=next(clock), actor=PM)
    p.start_analysis(at=next(clock), actor=PM)
    return p


def _incident(clock: Iterator[datetime], id: str, *, waiting: bool = False) -> Ticket:
    t = Ticket.open(
        id=id,
        title="Order app cannot reach its database",
        impact=Impact.HIGH,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        at=next(clock),
        actor=SYSTEM,
    )
    t.assign(DESK, at=next(clock), actor=SYSTEM)
    t.start(at=next(clock), actor=SYSTEM)
    if waiting:
        t.hold(HoldReason.AWAITING_PROBLEM, at=next(clock), actor=SYSTEM)
    return t


# -- originals -------------------------------------------------------------------------


def _risk_accepted() -> tuple[Any, ...]:
    """open, assess, resolve(risk_accepted)."""
    clock = _clock()
    p = _opened(clock)
    p.assess(at=next(clock), actor=PM)
    p.resolve(RISK, "not worth fixing", at=next(clock), actor=PM)
    return p.history


def _fixed() -> tuple[Any, ...]:
    """... record_rca(complete) (4), resolve(fix_applied) (5)."""
    clock = _clock()
    p = _analysing(clock)
    p.record_rca(DONE_RCA, at=next(clock), actor=PM)
    p.resolve(FIX, "log rotation deployed", at=next(clock), actor=PM)
    return p.history


def _duplicate() -> tuple[Any, ...]:
    """open, resolve(duplicate of PRB-0)."""
    clock = _clock()
    p = _opened(clock)
    p.resolve(DUP, "same as PRB-0", at=next(clock), actor=PM, duplicate_of="PRB-0")
    return p.history


def _reassigned() -> tuple[Any, ...]:
    """open, assess, assign(team, bob) (3), assign(other team) (4)."""
    clock = _clock()
    p = _opened(clock)
    p.assess(at=next(clock), actor=PM)
    p.assign(TEAM, at=next(clock), actor=PM, assignee="bob")
    p.assign(OTHER, at=next(clock), actor=PM)
    return p.history


def _revised() -> tuple[Any, ...]:
    """... record_rca(cause) (4), workaround (5), record_rca(done) (6), workaround (7), note (8)."""
    clock = _clock()
    p = _analysing(clock)
    p.record_rca(CAUSE_ONLY, at=next(clock), actor=PM)
    p.publish_workaround("restart the listener", at=next(clock), actor=PM)
    p.record_rca(DONE_RCA, at=next(clock), actor=PM)
    p.publish_workaround("clear old logs, restart the listener", at=next(clock), actor=PM)
    p.add_note("seen again at 02:00", at=next(clock), actor=PM)
    return p.history


def _known() -> tuple[Any, ...]:
    """... record_rca (4), workaround (5), known error (6), note (7)."""
    clock = _clock()
    p = _analysing(clock)
    p.record_rca(CAUSE_ONLY, at=next(clock), actor=PM)
    p.publish_workaround("restart the listener", at=next(clock), actor=PM)
    p.raise_known_error("KE-1", at=next(clock), actor=PM, error_code="ORA-12541")
    p.add_note("KEDB entry published", at=next(clock), actor=PM)
    return p.history


def _linked() -> tuple[Any, ...]:
    """open, link INC-1 (2), link INC-2 (3), resolve(risk_accepted) resolving INC-2 (4)."""
    clock = _clock()
    first, second = _incident(clock, "INC-1"), _incident(clock, "INC-2", waiting=True)
    p = _opened(clock)
    p.link_incident(first, at=next(clock), actor=PM)
    p.link_incident(second, at=next(clock), actor=PM)
    resolved = p.resolve(RISK, "live with it", at=next(clock), actor=PM, incidents=[first, second])
    assert resolved == (second,)
    return p.history


# -- forgeries -------------------------------------------------------------------------


def _resolved_with(history: tuple[Any, ...], number: int, **changes: Any) -> tuple[Any, ...]:
    """`history` with the resolution of resolve event `number` changed."""
    payload = history[number - 1].payload
    resolution = attrs.evolve(payload.resolution, **changes)
    return with_payload(history, number, attrs.evolve(payload, resolution=resolution))


def _case(
    name: str, original: tuple[Any, ...], events: tuple[Any, ...], rule: type[Exception]
) -> Forged:
    """A problem case; its name starts with "problem" (`pytest -k problem` selects them)."""
    return Forged(f"problem: {name}", Problem, original, events, rule)


def _cases() -> list[Forged]:
    risk, fixed, dup = _risk_accepted(), _fixed(), _duplicate()
    reassigned, revised, known, linked = _reassigned(), _revised(), _known(), _linked()
    rogue = ProblemResolutionCode("made_up", "Made up", requires_rca=False)
    no_rca_needed = attrs.evolve(FIX, requires_rca=False)
    unsuccessful = attrs.evolve(SOLVED_WORKAROUND, successful=False)
    raised: ev.ProblemKnownErrorRaised = known[5].payload
    other_cause = attrs.evolve(raised.known_error, root_cause="a cause the RCA never found")
    opened: ev.ProblemOpened = risk[0].payload
    resolved: ev.ProblemResolved = linked[3].payload
    return [
        _case(
            "a resolution code the config does not know",
            risk,
            _resolved_with(risk, 3, code=rogue),
            UnknownResolutionCode,
        ),
        _case(
            "fix_applied with a forged requires_rca=False, resolved without an RCA",
            risk,
            _resolved_with(risk, 3, code=no_rca_needed),
            UnknownResolutionCode,
        ),
        _case(
            "risk_accepted whose incident code has a forged successful flag",
            risk,
            _resolved_with(risk, 3, code=attrs.evolve(RISK, incident_code=unsuccessful)),
            UnknownResolutionCode,
        ),
        _case(
            "risk_accepted with a forged incident code",
            risk,
            _resolved_with(risk, 3, code=attrs.evolve(RISK, incident_code=SOLVED_PERMANENTLY)),
            UnknownResolutionCode,
        ),
        _case(
            "closed without an RCA under a config without allow_close_without_rca",
            risk,
            _resolved_with(risk, 3, code=ProblemResolutionCode.CLOSED_WITHOUT_RCA),
            UnknownResolutionCode,
        ),
        _case(
            "fix_applied on an RCA that was never completed",
            fixed,
            with_payload(fixed, 4, ev.ProblemRcaRecorded(CAUSE_ONLY)),
            RcaIncomplete,
        ),
        _case(
            "fix_applied straight from assess (no RCA at all)",
            risk,
            _resolved_with(risk, 3, code=FIX),
            RcaIncomplete,
        ),
        _case(
            "a problem resolved as a duplicate of itself",
            dup,
            _resolved_with(dup, 2, duplicate_of="PRB-1"),
            ValidationError,
        ),
        _case(
            "an assign that changes nothing",
            reassigned,
            with_payload(reassigned, 4, ev.ProblemAssigned(TEAM, "bob")),
            ValidationError,
        ),
        _case(
            "an RCA record that changes nothing",
            revised,
            with_payload(revised, 6, ev.ProblemRcaRecorded(CAUSE_ONLY)),
            ValidationError,
        ),
        _case(
            "a workaround that changes nothing",
            revised,
            with_payload(revised, 7, ev.ProblemWorkaroundPublished("restart the listener")),
            ValidationError,
        ),
        _case(
            "a blank work note (validators bypassed)",
            revised,
            with_payload(revised, 8, forced(ev.ProblemNoteAdded, text="   ")),
            ValidationError,
        ),
        _case(
            "a blank workaround (validators bypassed)",
            revised,
            with_payload(revised, 5, forced(ev.ProblemWorkaroundPublished, text="")),
            ValidationError,
        ),
        _case(
            "an incident linked twice",
            linked,
            with_payload(linked, 3, ev.ProblemIncidentLinked("INC-1")),
            DuplicateLink,
        ),
        _case(
            "a resolution resolving an incident the problem never linked",
            linked,
            with_payload(linked, 4, attrs.evolve(resolved, incident_ids=("INC-9",))),
            ValidationError,
        ),
        _case(
            "a known error raised twice",
            known,
            with_payload(known, 7, raised),
            ValidationError,
        ),
        _case(
            "a known error raised before a workaround was published",
            known,
            with_payload(known, 5, ev.ProblemNoteAdded("no workaround yet")),
            KnownErrorNotReady,
        ),
        _case(
            "a known error whose root cause is not the RCA's",
            known,
            with_payload(known, 6, ev.ProblemKnownErrorRaised(other_cause)),
            ValidationError,
        ),
        _case(
            "a creation whose priority is not the matrix's",
            risk,
            replaced(
                risk, 1, attrs.evolve(risk[0], payload=attrs.evolve(opened, priority=Priority.P5))
            ),
            ValidationError,
        ),
    ]


CASES: list[Forged] = _cases()
