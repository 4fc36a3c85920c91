"""Builders for the KPI tests: tickets moved at exact hour offsets (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    HoldReason,
    Impact,
    LinkKind,
    Resolution,
    ResolutionCode,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)
from itil_l2.tickets import NOT_SOLVED, SOLVED_WORKAROUND
from support import DBA, DESK, FIELD, GOOD_HANDOVER, NET, ORACLE, VENDOR

__all__ = [
    "DBA",
    "DESK",
    "FIELD",
    "NET",
    "NOT_SOLVED",
    "SOLVED_PERMANENTLY",
    "SOLVED_WORKAROUND",
    "T0",
    "VENDOR",
    "Story",
    "h",
]

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday


def h(hours: float) -> datetime:
    """T0 plus `hours`."""
    return T0 + timedelta(hours=hours)


class Story:
    """A ticket moved step by step at hour offsets from T0, by the system actor."""

    def __init__(
        self,
        id: str,
        at: float = 0,
        *,
        category: str | None = "database",
        ci: tuple[str, ...] = ("db-prod-3",),
        symptom: str | None = None,
        impact: Impact = Impact.MEDIUM,
        urgency: Urgency = Urgency.MEDIUM,
    ) -> None:
        self.t = Ticket.open(
            id=id,
            title="order app slow",
            impact=impact,
            urgency=urgency,
            owner_group=DESK,
            category=category,
            symptom=symptom,
            ci_refs=ci,
            at=h(at),
            actor=SYSTEM,
        )

    def assign(self, at: float, group: SupportGroup = DESK) -> Story:
        reason = None if group.tier is Tier.L1 else "monitoring alert"
        self.t.assign(group, at=h(at), actor=SYSTEM, reason=reason)
        return self

    def start(self, at: float) -> Story:
        self.t.start(at=h(at), actor=SYSTEM)
        return self

    def escalate(self, at: float, group: SupportGroup = DBA) -> Story:
        target = ORACLE if group.tier is Tier.L3 else None
        self.t.escalate(group, GOOD_HANDOVER, at=h(at), actor=SYSTEM, target=target)
        return self

    def hand_back(self, at: float, group: SupportGroup = DESK) -> Story:
        self.t.hand_back(group, "solve with KB-1", at=h(at), actor=SYSTEM)
        return self

    def reassign(self, at: float, group: SupportGroup) -> Story:
        self.t.reassign(group, at=h(at), actor=SYSTEM)
        return self

    def hold(self, at: float) -> Story:
        self.t.hold(HoldReason.AWAITING_CALLER, at=h(at), actor=SYSTEM)
        return self

    def resume(self, at: float) -> Story:
        self.t.resume("caller answered", at=h(at), actor=SYSTEM)
        return self

    def resolve(
        self, at: float, code: ResolutionCode = SOLVED_PERMANENTLY, kb: tuple[str, ...] = ()
    ) -> Story:
        self.t.resolve(Resolution(code, "done", kb_refs=kb), at=h(at), actor=SYSTEM)
        return self

    def reopen(self, at: float) -> Story:
        self.t.reopen("still broken", at=h(at), actor=SYSTEM)
        return self

    def close(self, at: float) -> Story:
        self.t.close(at=h(at), actor=SYSTEM)
        return self

    def cancel(self, at: float) -> Story:
        self.t.cancel("withdrawn", at=h(at), actor=SYSTEM)
        return self

    def link_kb(self, at: float, ref: str = "KB-1") -> Story:
        self.t.link(LinkKind.KNOWLEDGE, ref, at=h(at), actor=SYSTEM)
        return self


def at_l2_story(id: str, at: float = 0) -> Story:
    """Opened at `at`, at L1 from +1 h, escalated to DBA at +2 h, started at +3 h."""
    return Story(id, at).assign(at + 1).start(at + 1.5).escalate(at + 2).start(at + 3)


__all__ += ["at_l2_story"]
