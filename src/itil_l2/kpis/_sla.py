"""SLA compliance per target: met ÷ (met + breached), from the SLA clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis._engine import Metric
from itil_l2.kpis._facts import KpiFacts
from itil_l2.kpis._result import Exclusion, KpiResult
from itil_l2.sla import NoTargetForPriority, SlaStage, SlaStatus, SlaTarget, sla_status
from itil_l2.tickets import Ticket

__all__ = ["sla_compliance", "sla_compliance_metric"]


def _outcome(status: SlaStatus, running_breaches: bool) -> tuple[bool | None, datetime | None]:
    """(met?, when it was decided), or (None, None) while undecided."""
    if status.stage is SlaStage.MET:
        return True, status.stopped_at
    if status.stage is SlaStage.BREACHED:
        return False, status.stopped_at or status.breached_at
    if running_breaches and status.breached and status.stage is not SlaStage.CANCELLED:
        return False, status.breached_at
    return None, None


def sla_compliance(
    tickets: Iterable[Ticket],
    target: SlaTarget,
    *,
    at: datetime,
    period: Period | None = None,
    running_breaches: bool = True,
) -> KpiResult:
    """SLA compliance of one target, as the clocks stand at `at`, as a `KpiResult`.

    Definition ("sla_compliance:<target name>"): tickets whose clock for the
    target is met ÷ tickets whose clock is met or breached, computed with
    `sla_status(ticket, target, at)`. A clock still running (or paused)
    that has already passed its target counts as breached, since it can no
    longer be met (`running_breaches=False` counts completed clocks only).
    With `period`, a clock counts where it was decided: when it stopped, or
    when a running clock breached. Excluded, with the clock's stage as the
    reason: in_progress, paused, not_started, cancelled; "no target for
    priority" when the target has no duration for the ticket's priority;
    "not yet opened" for tickets opened after `at`; "decided outside the
    period".

    One target, one result, like every other KPI function (before 0.3 it
    took a list of targets and returned a dict); for several targets, call
    it once per target or put `sla_compliance_metric`s in a `kpi_table`.
    """
    ensure_aware(at)
    if not isinstance(target, SlaTarget):
        raise ValidationError(
            f"sla_compliance takes one SlaTarget, got {type(target).__name__}; "
            "for several targets call it once per target"
        )
    met = decided = 0
    excluded: list[Exclusion] = []
    for ticket in tickets:
        reason = _classify(ticket, target, at, period, running_breaches)
        if isinstance(reason, str):
            excluded.append(Exclusion(ticket.id, reason))
        else:
            decided += 1
            met += reason
    return KpiResult(
        f"sla_compliance:{target.name}",
        met / decided if decided else None,
        decided,
        tuple(excluded),
        numerator=met,
    )


def _classify(
    ticket: Ticket, target: SlaTarget, at: datetime, period: Period | None, running: bool
) -> bool | str:
    if ticket.opened_at > at:
        return "not yet opened"
    try:
        status = sla_status(ticket, target, at)
    except NoTargetForPriority:
        return "no target for priority"
    met, when = _outcome(status, running)
    if met is None:
        return status.stage.value
    if period is not None and (when is None or when not in period):
        return "decided outside the period"
    return met


def sla_compliance_metric(
    target: SlaTarget, *, at: datetime, running_breaches: bool = True
) -> Metric:
    """`sla_compliance` for one target as a `Metric`, e.g. for `kpi_table` columns.

    Same definition and exclusions (without a period of its own; a table
    groups by when tickets ended).
    """
    ensure_aware(at)

    def rule(f: KpiFacts) -> bool | str:
        return _classify(f.ticket, target, at, None, running_breaches)

    return Metric(f"sla_compliance:{target.name}", "rate", rule)
