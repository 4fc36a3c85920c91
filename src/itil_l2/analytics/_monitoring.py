"""Monitoring events become incidents: one ticket per CI and metric, not one per alert.

The seed's L2 "watches infrastructure monitoring". An `EventCorrelator`
turns a stream of `MonitoringEvent`s into tickets the way a good event
management rule set does:

- the first problem event of a (CI, metric) opens a ticket (channel
  monitoring, the CI as its configuration item, impact and urgency mapped
  from the severity) and assigns it to the configured group;
- repeats while that ticket is open are appended to it as notes (a higher
  severity raises its impact and urgency) instead of opening duplicates;
- a recovery event resolves it (configurable);
- a problem event within `window` after that resolution reopens the same
  ticket, and a CI that flaps (alternates problem and recovery `flap_limit`
  times within `window`) is kept open on recovery instead of being resolved
  again: one ticket, not one per flap.

The correlator holds only in-process state (which ticket is open for which
key, and recent transitions); every decision is made from the event's own
`at`, never from a clock. Each `handle` returns the ticket it changed, so the
host stores it. A trigger the ticket refuses (e.g. an event older than the
ticket's last one) raises and leaves both the ticket and the correlator as
they were.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2.analytics._checks import check_at_least_two, check_window
from itil_l2.errors import ValidationError
from itil_l2.tickets import SOLVED_PERMANENTLY, Channel, Phase, Resolution, ResolutionCode, Ticket

__all__ = [
    "Correlation",
    "CorrelationAction",
    "CorrelatorConfig",
    "EventCorrelator",
    "MonitoringEvent",
    "Severity",
]


class Severity(StrEnum):
    """An alert's severity; `clear` is the recovery (the condition is gone)."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    CLEAR = "clear"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for clear, to compare severities."""
        return _RANK[self]


_RANK = {
    Severity.CRITICAL: 4,
    Severity.MAJOR: 3,
    Severity.MINOR: 2,
    Severity.WARNING: 1,
    Severity.CLEAR: 0,
}


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    ensure_aware(value, attribute.name)  # type: ignore[arg-type]


@frozen
class MonitoringEvent:
    """One alert from a monitoring tool: where, what, how bad, when.

    >>> from datetime import datetime, timezone
    >>> e = MonitoringEvent("zabbix", "db-prod-3", "disk_usage", Severity.MAJOR,
    ...                     datetime(2026, 3, 2, 9, tzinfo=timezone.utc), "disk 91 %")
    >>> e.key, e.recovery
    (('db-prod-3', 'disk_usage'), False)
    """

    source: str = attrs.field(validator=_checks.text)
    ci: str = attrs.field(validator=_checks.text)
    metric: str = attrs.field(validator=_checks.text)
    severity: Severity = attrs.field(validator=_checks.member(Severity))
    at: datetime = attrs.field(validator=_aware)
    message: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    @property
    def key(self) -> tuple[str, str]:
        """(CI, metric): the events of one key share one ticket."""
        return self.ci, self.metric

    @property
    def recovery(self) -> bool:
        """Whether this event says the condition is gone."""
        return self.severity is Severity.CLEAR


DEFAULT_SEVERITY_MAP: Mapping[Severity, tuple[Impact, Urgency]] = MappingProxyType(
    {
        Severity.CRITICAL: (Impact.HIGH, Urgency.HIGH),
        Severity.MAJOR: (Impact.HIGH, Urgency.MEDIUM),
        Severity.MINOR: (Impact.MEDIUM, Urgency.MEDIUM),
        Severity.WARNING: (Impact.LOW, Urgency.LOW),
    }
)


def _severity_map(value: Mapping[Severity, tuple[Impact, Urgency]]) -> Mapping[Severity, Any]:
    items = dict(value)
    problems = [s for s in Severity if s is not Severity.CLEAR]
    if sorted(items, key=str) != sorted(problems, key=str):
        raise ValidationError("the severity map needs exactly the four problem severities")
    for impact, urgency in items.values():
        _checks.check_instance(impact, Impact, "impact")
        _checks.check_instance(urgency, Urgency, "urgency")
    return MappingProxyType(items)


def _window(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_window(value, attribute.name)


def _at_least_two(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_at_least_two(value, attribute.name)


@frozen
class CorrelatorConfig:
    """The correlator's tunables.

    `window`: how long after a recovery a new problem still belongs to the
    same ticket (and the span in which flaps are counted). `flap_limit`:
    state changes (problem ↔ recovery) within `window` from which a recovery
    no longer resolves the ticket. `resolve_on_recovery=False` leaves
    recovered tickets for a person to resolve (a note records the recovery).
    """

    window: timedelta = attrs.field(default=timedelta(minutes=30), validator=_window)
    resolve_on_recovery: bool = attrs.field(
        default=True, validator=attrs.validators.instance_of(bool)
    )
    flap_limit: int = attrs.field(default=4, validator=_at_least_two)
    severity_map: Mapping[Severity, tuple[Impact, Urgency]] = attrs.field(
        default=DEFAULT_SEVERITY_MAP, converter=_severity_map
    )
    recovery_code: ResolutionCode = attrs.field(
        default=SOLVED_PERMANENTLY, validator=attrs.validators.instance_of(ResolutionCode)
    )


class CorrelationAction(StrEnum):
    """What `handle` did with an event."""

    OPENED = "opened"
    APPENDED = "appended"
    RAISED = "raised"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    DAMPED = "damped"
    NOTED = "noted"
    IGNORED = "ignored"


@frozen
class Correlation:
    """The outcome of one event: the action and the ticket it changed (None if ignored)."""

    action: CorrelationAction
    event: MonitoringEvent
    ticket: Ticket | None


class _Episode:
    """The ticket of one key and the recent problem/recovery transitions."""

    __slots__ = ("down", "flaps", "severity", "ticket")

    def __init__(self, ticket: Ticket, severity: Severity) -> None:
        self.ticket = ticket
        self.severity = severity  # the highest severity the ticket's impact reflects
        self.down = True  # whether the condition is present (no recovery since)
        self.flaps: deque[datetime] = deque()


def _default_id(event: MonitoringEvent, number: int) -> str:
    return f"EVT-{number}"


class EventCorrelator:
    """Turns monitoring events into tickets: open, append, resolve, reopen, damp flapping.

    `group` receives new tickets (entering above L1 is recorded with the
    reason "monitoring alert"); `owner_group` is the logging group (default:
    `group`). `ticket_id(event, n)` names the n-th ticket it opens.

    >>> from datetime import datetime, timedelta, timezone
    >>> from itil_l2 import SupportGroup, Tier
    >>> ops = SupportGroup("operations-l2", Tier.L2)
    >>> c = EventCorrelator(group=ops)
    >>> t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    >>> def alert(minutes, severity):
    ...     return MonitoringEvent("zabbix", "db-prod-3", "disk_usage", severity,
    ...                            t0 + timedelta(minutes=minutes))
    >>> [c.handle(alert(m, s)).action.value for m, s in
    ...  [(0, Severity.MAJOR), (5, Severity.MAJOR), (9, Severity.CRITICAL), (20, Severity.CLEAR)]]
    ['opened', 'appended', 'raised', 'resolved']
    >>> c.handle(alert(25, Severity.MAJOR)).ticket.reopen_count   # within 30 min: same ticket
    1
    """

    def __init__(
        self,
        *,
        group: SupportGroup,
        owner_group: SupportGroup | None = None,
        actor: Actor = SYSTEM,
        config: CorrelatorConfig | None = None,
        ticket_id: Callable[[MonitoringEvent, int], str] = _default_id,
    ) -> None:
        self.group = _checks.check_instance(group, SupportGroup, "group")
        self.owner_group = owner_group or group
        self.actor = _checks.check_instance(actor, Actor, "actor")
        self.config = config or CorrelatorConfig()
        self._ticket_id = ticket_id
        self._episodes: dict[tuple[str, str], _Episode] = {}
        self._opened = 0

    def ticket_for(self, ci: str, metric: str) -> Ticket | None:
        """The ticket the correlator currently keeps for (ci, metric), if any."""
        episode = self._episodes.get((ci, metric))
        return None if episode is None else episode.ticket

    def handle_all(self, events: Iterable[MonitoringEvent]) -> list[Correlation]:
        """`handle` each event in turn."""
        return [self.handle(e) for e in events]

    def handle(self, event: MonitoringEvent) -> Correlation:
        """Apply one event; returns what was done and the ticket it changed."""
        _checks.check_instance(event, MonitoringEvent, "event")
        episode = self._episodes.get(event.key)
        if episode is not None and episode.ticket.phase.is_final:
            episode = None  # closed or cancelled by a person: a new problem is a new ticket
        if event.recovery:
            return self._recover(event, episode)
        if episode is None or self._expired(episode, event):
            return self._open(event)
        if episode.ticket.phase is Phase.RESOLVED:
            return self._reopen(event, episode)
        return self._repeat(event, episode)

    # -- the moves ----------------------------------------------------------------

    def _expired(self, episode: _Episode, event: MonitoringEvent) -> bool:
        resolved_at = episode.ticket.resolved_at
        return resolved_at is not None and event.at - resolved_at >= self.config.window

    def _open(self, event: MonitoringEvent) -> Correlation:
        impact, urgency = self.config.severity_map[event.severity]
        ticket = Ticket.open(
            id=self._ticket_id(event, self._opened + 1),
            title=f"{event.metric} {event.severity.value} on {event.ci}",
            description=event.message,
            impact=impact,
            urgency=urgency,
            owner_group=self.owner_group,
            channel=Channel.MONITORING,
            ci_refs=[event.ci],
            symptom=event.metric,
            attributes={"monitoring": {"source": event.source, "metric": event.metric}},
            at=event.at,
            actor=self.actor,
        )
        reason = None if self.group.tier is Tier.L1 else "monitoring alert"
        ticket.assign(self.group, at=event.at, actor=self.actor, reason=reason)
        self._opened += 1
        self._episodes[event.key] = _Episode(ticket, event.severity)
        return Correlation(CorrelationAction.OPENED, event, ticket)

    def _raise(self, event: MonitoringEvent, episode: _Episode) -> bool:
        """Raise impact and urgency to the event's severity; whether the ticket changed."""
        if event.severity.rank <= episode.severity.rank:
            return False
        ticket = episode.ticket
        impact, urgency = self.config.severity_map[event.severity]
        changed = (impact, urgency) != (ticket.impact, ticket.urgency)
        if changed:
            ticket.update(impact=impact, urgency=urgency, at=event.at, actor=self.actor)
        episode.severity = event.severity
        return changed

    def _repeat(self, event: MonitoringEvent, episode: _Episode) -> Correlation:
        ticket = episode.ticket
        if not self._raise(event, episode):
            ticket.add_note(_note("repeat", event), at=event.at, actor=self.actor)
            action = CorrelationAction.APPENDED
        else:
            action = CorrelationAction.RAISED
        if not episode.down:  # the condition came back while the ticket was kept open
            self._flap(episode, event.at)
            episode.down = True
        return Correlation(action, event, ticket)

    def _reopen(self, event: MonitoringEvent, episode: _Episode) -> Correlation:
        episode.ticket.reopen(_note("problem again", event), at=event.at, actor=self.actor)
        self._raise(event, episode)
        self._flap(episode, event.at)
        episode.down = True
        return Correlation(CorrelationAction.REOPENED, event, episode.ticket)

    def _recover(self, event: MonitoringEvent, episode: _Episode | None) -> Correlation:
        if episode is None or not episode.ticket.phase.is_open:
            return Correlation(CorrelationAction.IGNORED, event, None)
        ticket = episode.ticket
        flaps = self._recent(episode, event.at) + 1
        if not episode.down:
            action = CorrelationAction.IGNORED  # a repeated recovery changes nothing
            return Correlation(action, event, None)
        if not self.config.resolve_on_recovery:
            ticket.add_note(_note("recovered", event), at=event.at, actor=self.actor)
            action = CorrelationAction.NOTED
        elif flaps >= self.config.flap_limit:
            text = _note(f"recovered, but flapping ({flaps} changes); kept open", event)
            ticket.add_note(text, at=event.at, actor=self.actor)
            action = CorrelationAction.DAMPED
        else:
            resolution = Resolution(self.config.recovery_code, _note("recovered", event))
            ticket.resolve(resolution, at=event.at, actor=self.actor)
            action = CorrelationAction.RESOLVED
        self._flap(episode, event.at)
        episode.down = False
        return Correlation(action, event, ticket)

    def _recent(self, episode: _Episode, at: datetime) -> int:
        """State changes of this key within `window` before `at`."""
        while episode.flaps and at - episode.flaps[0] >= self.config.window:
            episode.flaps.popleft()
        return len(episode.flaps)

    def _flap(self, episode: _Episode, at: datetime) -> None:
        self._recent(episode, at)
        episode.flaps.append(at)


def _note(what: str, event: MonitoringEvent) -> str:
    detail = f": {event.message}" if event.message else ""
    return f"{what} ({event.source}, {event.severity.value} at {event.at.isoformat()}){detail}"
