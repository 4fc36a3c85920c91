"""Example aggregates of every stored kind, for the storage contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from itil_l2._core.actor import Actor, Role
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.knowledge import TrainingSession
from itil_l2.problems import AffectedProduct, KnownError, Problem
from itil_l2.problems.rca import (
    Evidence,
    EvidenceKind,
    FiveWhys,
    RcaAction,
    RcaRecord,
    RcaStatus,
    Why,
)

__all__ = ["example_known_error", "example_problem", "example_training_session"]

_T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
_PM = Actor("pat", roles={Role.PROBLEM_MANAGER})
_TEAM = SupportGroup("problem-team", Tier.L2, {"database"})


def _clock() -> Iterator[datetime]:
    moment = _T0
    while True:
        moment += timedelta(minutes=7)
        yield moment


def example_problem(id: str = "PRB-EXAMPLE", *, statement: str | None = None) -> Problem:
    """A problem analysed with five whys, an RCA record and a known error raised from it."""
    clock = _clock()
    problem = Problem.open(
        id=id,
        statement=statement or "Order app loses its database nightly",
        impact=Impact.HIGH,
        urgency=Urgency.LOW,
        group=_TEAM,
        ci_refs=["db-prod-3"],
        category="database",
        at=next(clock),
        actor=_PM,
    )
    problem.assess(at=next(clock), actor=_PM)
    problem.assign(_TEAM, at=next(clock), actor=_PM, assignee="bob")
    problem.start_analysis(at=next(clock), actor=_PM)
    rca = RcaRecord(
        FiveWhys([Why("Why did orders fail?", "listener down")], "logs never rotated"),
        findings=["volume fills at 02:00"],
        root_cause="logs never rotated",
        evidence=[Evidence(EvidenceKind.MONITORING, "zabbix:88121", "100% at 02:03")],
        corrective_actions=[RcaAction("rotate logs", "bob", date(2026, 4, 1), ref="CHG-9")],
        status=RcaStatus.COMPLETED,
    )
    problem.record_rca(rca, at=next(clock), actor=_PM)
    problem.publish_workaround("clear old logs, restart the listener", at=next(clock), actor=_PM)
    problem.raise_known_error(f"KE-{id}", at=next(clock), actor=_PM, error_code="ORA-12541")
    return problem


def example_known_error(id: str = "KE-EXAMPLE", *, title: str | None = None) -> KnownError:
    """A known error record as a KEDB holds it."""
    return KnownError(
        id=id,
        problem_id="PRB-EXAMPLE",
        title=title or "Listener stops when the log volume is full",
        symptom="ORA-12541 for every user of the order app",
        root_cause="logs never rotated",
        workaround="clear old logs, restart the listener",
        error_code="ORA-12541",
        category="database",
        ci_refs=("db-prod-3",),
        products=(AffectedProduct("Oracle Database", "Oracle", ("19.3",)),),
    )


def example_training_session(id: str = "TR-EXAMPLE") -> TrainingSession:
    """A two-hour L1 training session on printers."""
    return TrainingSession(
        id=id,
        topic="Printer jams at L1",
        trainer="bob",
        attendees=("ann", "al"),
        start=_T0,
        duration=timedelta(hours=2),
        article_refs=("KB-EXAMPLE",),
        categories=("printer",),
    )
