"""SLAs: business calendars, SLA targets and clocks, escalation policies and routing."""

from __future__ import annotations

from itil_l2._core.public import expose

from ._calendar import (
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
)
from ._calendar_hours import (
    EmptyCalendar,
    NegativeDuration,
    UnknownHolidayRegion,
)
from ._clock import (
    SlaClock,
    sla_status,
)
from ._escalation_functional import FunctionalEscalationPolicy
from ._escalation_ping_pong import PingPongPolicy
from ._escalation_policy import (
    AllOf,
    AnyOf,
    EscalationDecision,
    EscalationKind,
    EscalationPolicy,
    EscalationRole,
    FirstMatch,
    acted_on_keys,
    next_due,
    record_decision,
)
from ._escalation_priority import PriorityPolicy
from ._escalation_thresholds import DEFAULT_THRESHOLDS, SlaThresholdPolicy
from ._routing import (
    CiLookup,
    NoRoute,
    Route,
    RouteFacts,
    RoutingPolicy,
)
from ._targets import (
    DEFAULT_UPDATE_TRIGGERS,
    AgreementType,
    NoTargetForPriority,
    SlaMetric,
    SlaStage,
    SlaStatus,
    SlaTarget,
)

__all__ = [
    "AgreementType",
    "AllOf",
    "AnyOf",
    "BusinessCalendar",
    "CiLookup",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_UPDATE_TRIGGERS",
    "EmptyCalendar",
    "EscalationDecision",
    "EscalationKind",
    "EscalationPolicy",
    "EscalationRole",
    "FirstMatch",
    "FunctionalEscalationPolicy",
    "NegativeDuration",
    "NoRoute",
    "NoTargetForPriority",
    "PingPongPolicy",
    "PriorityPolicy",
    "Route",
    "RouteFacts",
    "RoutingPolicy",
    "SlaClock",
    "SlaMetric",
    "SlaStage",
    "SlaStatus",
    "SlaTarget",
    "SlaThresholdPolicy",
    "TWENTY_FOUR_SEVEN",
    "UnknownHolidayRegion",
    "acted_on_keys",
    "next_due",
    "record_decision",
    "sla_status",
]

expose(__name__, globals(), __all__)
