"""The event-sourced entity base: history, version, atomic triggers, replay.

Every entity (Ticket, and later Problem, ChangeRequest, KnowledgeArticle, ...)
changes only through triggers, and every trigger runs the same pipeline:
check time and actor, route through the entity's compiled workflow table,
ask its permissions, run the trigger's own checks, then build one event and
apply it. Applying is the last step and never fails, so a refused trigger
leaves the entity exactly as it was. Replay (`_rebuild`) routes each stored
event through the same table, so a history the rules forbid cannot load.

Every entity kind has the same shape: a compiled `Workflow` (`_WORKFLOW`),
an envelope class derived from `Event` (`_EVENT`) whose `entity_id` names the
entity, a payload union (`_PAYLOADS`), the appliers (`_APPLIERS`, one per
payload type) and a frozen config whose `permissions` policy is asked before
every trigger.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, Protocol, Self, TypeVar

import attrs
from attrs import frozen

from itil_l2._core.actor import Actor
from itil_l2._core.time import ensure_aware, ensure_not_before
from itil_l2._core.workflow import Workflow
from itil_l2.errors import CorruptHistory, ItilL2Error, NotPermitted, ValidationError

__all__ = ["Entity", "EntityEvent", "EntityFacts", "Event"]

_set = object.__setattr__


P = TypeVar("P")


@frozen
class Event(Generic[P]):
    """One change to one entity: which, the resulting version, when, who, and what.

    Every entity kind's event envelope derives from this class, so the id is
    always `entity_id`; `schema` is the event format version (each kind sets
    its current one as the default), so stored events can be upcast later.
    """

    entity_id: str
    version: int
    at: datetime
    actor_id: str
    payload: P
    schema: int = 0

    @property
    def kind(self) -> str:
        """The trigger that produced this event (`"escalate"`, `"resolve"`, ...)."""
        return str(self.payload.TRIGGER)  # type: ignore[attr-defined]


class EntityFacts(Protocol):
    """What every permissions policy may look at: the entity's id and workflow state.

    Each entity kind's facts protocol (`TicketFacts`, `ChangeFacts`, ...)
    adds what its default policy reads.
    """

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...


class EntityEvent(Protocol):
    """What the base needs of an event: its entity, version, time, actor and payload."""

    @property
    def entity_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def payload(self) -> Any: ...


E = TypeVar("E", bound=EntityEvent)
Applier = Callable[[Any, Any, datetime], None]


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class Entity(Generic[E]):
    """Identity, the append-only `history`, the workflow `state`, and the trigger engine."""

    id: str
    history: tuple[E, ...]
    state: str
    _persisted: int

    _WORKFLOW: ClassVar[Workflow[Any]]
    _EVENT: ClassVar[Callable[..., Any]]
    _KIND: ClassVar[str]
    """The entity's storage key (`"ticket"`), also the key of its upcasters."""
    _SCHEMA: ClassVar[int]
    """The current format version of the entity's events (the envelope's default)."""
    _PAYLOADS: ClassVar[Any]
    """The union of this entity's payload classes (tagged by trigger in JSON)."""
    _APPLIERS: ClassVar[Mapping[type, Applier]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Read the schema version and the payload union off the envelope class."""
        super().__init_subclass__(**kwargs)
        event = cls.__dict__.get("_EVENT")
        if isinstance(event, type) and attrs.has(event):
            cls._SCHEMA = attrs.fields(event).schema.default
            base = event.__orig_bases__[0]  # type: ignore[attr-defined]
            cls._PAYLOADS = typing.get_args(base)[0]  # Event[<the payload union>]

    if TYPE_CHECKING:
        config: Any
        """The entity's frozen config; its `permissions` policy is asked on every trigger."""

    def _permits(self, actor: Actor, trigger: str) -> bool:
        """Whether `actor` may fire `trigger` now."""
        return bool(self.config.permissions.permits(actor, trigger, self))

    # -- facts -------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The number of events in the history (for optimistic concurrency)."""
        return len(self.history)

    @property
    def opened_at(self) -> datetime:
        """When the entity was created."""
        return self.history[0].at

    @property
    def updated_at(self) -> datetime:
        """When the last event happened."""
        return self.history[-1].at

    def pending_events(self) -> tuple[E, ...]:
        """Events not yet handed to storage, oldest first (for a unit of work)."""
        return self.history[self._persisted :]

    def mark_persisted(self) -> None:
        """Tell the entity that storage has every event so far."""
        _set(self, "_persisted", len(self.history))

    # -- the engine --------------------------------------------------------------

    def _fire(
        self,
        payload: Any,
        at: datetime,
        actor: Actor,
        check: Callable[[], None] | None = None,
    ) -> None:
        """Check everything, then append one event and apply it (atomic)."""
        trigger = payload.TRIGGER
        history = self.history
        # Hot path: the common case is checked inline; the helpers raise the errors.
        if not isinstance(at, datetime) or at.utcoffset() is None:
            ensure_aware(at)
        if not isinstance(actor, Actor):
            _not_an_actor(actor)
        if at < history[-1].at:
            ensure_not_before(at, history[-1].at, self.id)
        dest = self._WORKFLOW.route(self, trigger, payload)
        if not self._permits(actor, trigger):
            raise NotPermitted(actor.id, str(trigger), self.id)
        if check is not None:
            check()
        event = self._EVENT(self.id, len(history) + 1, at, actor.id, payload)
        self._APPLIERS[type(payload)](self, payload, at)
        _set(self, "state", dest)
        _set(self, "history", (*history, event))

    def _vet(self, payload: Any, at: datetime, actor: Actor) -> str:
        """Every check `_fire` makes before the trigger's own, firing nothing.

        For two-entity steps that must check both sides before changing either.
        Returns the state the trigger would lead to.
        """
        ensure_aware(at)
        if not isinstance(actor, Actor):
            _not_an_actor(actor)
        ensure_not_before(at, self.history[-1].at, self.id)
        dest = self._WORKFLOW.route(self, payload.TRIGGER, payload)
        if not self._permits(actor, payload.TRIGGER):
            raise NotPermitted(actor.id, str(payload.TRIGGER), self.id)
        return dest

    @classmethod
    def _first(cls, event: E, config: Any) -> Self:
        """The entity its creation event makes (the subclass checks the payload's type)."""
        raise NotImplementedError

    @classmethod
    def _created(cls, id: str, payload: Any, at: datetime, actor: Actor, config: Any) -> Self:
        """A new entity from its checked creation payload, once time and actor are checked."""
        ensure_aware(at)
        if not isinstance(actor, Actor):
            _not_an_actor(actor)
        return cls._first(cls._EVENT(id, 1, at, actor.id, payload), config)

    @classmethod
    def _replayed(cls, events: Iterable[E], config: Any) -> Self:
        """The entity `events` replay to under `config` (`CorruptHistory` if they do not)."""
        return cls._rebuild(events, lambda first: cls._first(first, config))

    @classmethod
    def _start(cls, event: E, fields: Iterable[tuple[str, Any]]) -> Self:
        """A new entity whose history is just its creation event."""
        entity = cls.__new__(cls)
        for name, value in fields:
            _set(entity, name, value)
        _set(entity, "history", (event,))
        _set(entity, "_persisted", 0)
        return entity

    @classmethod
    def _rebuild(cls, events: Iterable[E], start: Callable[[E], Self]) -> Self:
        """Replay `events` through the workflow; `start` builds from the first one."""
        events = tuple(events)
        if not events or events[0].version != 1:
            raise CorruptHistory(f"a {cls.__name__} history starts with its creation, version 1")
        try:
            entity = start(events[0])
        except (ItilL2Error, LookupError, AttributeError, TypeError, ValueError) as exc:
            raise CorruptHistory(f"the first event does not create a {cls.__name__}") from exc
        for number, event in enumerate(events[1:], start=2):
            entity._replay(number, event)
        _set(entity, "_persisted", len(events))
        return entity

    def _replay(self, number: int, event: E) -> None:
        if event.entity_id != self.id or event.version != number:
            raise CorruptHistory(f"{self.id}: event {number} is {event.entity_id} v{event.version}")
        try:
            ensure_aware(event.at)
            ensure_not_before(event.at, self.history[-1].at, self.id)
            dest = self._WORKFLOW.route(self, event.payload.TRIGGER, event.payload)
            applier = self._APPLIERS[type(event.payload)]
            applier(self, event.payload, event.at)  # replay only: a bad event fails here, typed
        except (ItilL2Error, LookupError, AttributeError, TypeError, ValueError) as exc:
            raise CorruptHistory(f"{self.id}: event {number} cannot be replayed: {exc}") from exc
        _set(self, "state", dest)
        _set(self, "history", (*self.history, event))


def _not_an_actor(actor: object) -> NoReturn:
    raise ValidationError(f"actor must be an Actor, got {type(actor).__name__}")
