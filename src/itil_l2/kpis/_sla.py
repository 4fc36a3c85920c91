"""SLA compliance per target: met ÷ (met + breached), from the SLA clocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    targets: Sequence[SlaTarget],
    *,
    at: datetime,
    period: Period | None = None,
    running_breaches: bool = True,
) -> dict[str, KpiResult]:
    """SLA compliance per target (by target name), as the clocks stand at `at`.

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
    """
    ensure_aware(at)
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ValidationError("SLA target names must be unique")
    met = {n: 0 for n in names}
    decided = {n: 0 for n in names}
    excluded: dict[str, list[Exclusion]] = {n: [] for n in names}
    for ticket in tickets:
        for target in targets:
            reason = _classify(ticket, target, at, period, running_breaches)
            if isinstance(reason, str):
                excluded[target.name].append(Exclusion(ticket.id, reason))
            else:
                decided[target.name] += 1
                met[target.name] += reason
    return {
        n: KpiResult(
            f"sla_compliance:{n}",
            met[n] / decided[n] if decided[n] else None,
            decided[n],
            tuple(excluded[n]),
            numerator=met[n],
        )
        for n in names
    }


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
