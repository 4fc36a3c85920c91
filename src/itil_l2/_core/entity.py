"""The event-sourced entity base: history, version, atomic triggers, replay.

Every entity (Ticket, and later Problem, ChangeRequest, KnowledgeArticle, ...)
changes only through triggers, and every trigger runs the same pipeline:
check time and actor, route through the entity's compiled workflow table,
ask its permissions, run the trigger's own checks, then build one event and
apply it. Applying is the last step and never fails, so a refused trigger
leaves the entity exactly as it was. Replay (`_rebuild`) routes each stored
event through the same table, so a history the rules forbid cannot load.

Subclasses provide `_route`, `_permits`, the event class (`_EVENT`) and the
appliers (`_APPLIERS`, one per payload type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.errors import CorruptHistory, ItilL2Error, NotPermitted, ValidationError
from itil_l2._core.time import ensure_aware, ensure_not_before

__all__ = ["Entity", "EntityEvent"]

_set = object.__setattr__


class EntityEvent(Protocol):
    """What the base needs of an event: its version, time, actor and payload."""

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

    _EVENT: ClassVar[Callable[..., Any]]
    _KIND: ClassVar[str]
    """The entity's storage key (`"ticket"`), also the key of its upcasters."""
    _SCHEMA: ClassVar[int]
    """The current format version of the entity's events."""
    _PAYLOADS: ClassVar[Any]
    """The union of this entity's payload classes (tagged by trigger in JSON)."""
    _APPLIERS: ClassVar[Mapping[type, Applier]]

    # -- the subclass's hooks ----------------------------------------------------

    def _route(self, trigger: str, payload: Any) -> str:
        """The destination state of `trigger`, or a typed error."""
        raise NotImplementedError

    def _permits(self, actor: Actor, trigger: str) -> bool:
        """Whether `actor` may fire `trigger` now."""
        raise NotImplementedError

    def _entity_id(self, event: E) -> str:
        """The entity id an event names (field names differ per entity)."""
        raise NotImplementedError

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
            raise ValidationError(f"actor must be an Actor, got {type(actor).__name__}")
        if at < history[-1].at:
            ensure_not_before(at, history[-1].at, self.id)
        dest = self._route(trigger, payload)
        if not self._permits(actor, trigger):
            raise NotPermitted(actor.id, str(trigger), self.id)
        if check is not None:
            check()
        event = self._EVENT(self.id, len(history) + 1, at, actor.id, payload)
        self._APPLIERS[type(payload)](self, payload, at)
        _set(self, "state", dest)
        _set(self, "history", (*history, event))

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
        except (ItilL2Error, AttributeError, TypeError) as exc:
            raise CorruptHistory(f"the first event does not create a {cls.__name__}") from exc
        for number, event in enumerate(events[1:], start=2):
            entity._replay(number, event)
        _set(entity, "_persisted", len(events))
        return entity

    def _replay(self, number: int, event: E) -> None:
        if self._entity_id(event) != self.id or event.version != number:
            raise CorruptHistory(
                f"{self.id}: event {number} is {self._entity_id(event)} v{event.version}"
            )
        try:
            ensure_aware(event.at)
            ensure_not_before(event.at, self.history[-1].at, self.id)
            dest = self._route(event.payload.TRIGGER, event.payload)
            applier = self._APPLIERS[type(event.payload)]
        except (ItilL2Error, KeyError, AttributeError) as exc:
            raise CorruptHistory(f"{self.id}: event {number} cannot be replayed: {exc}") from exc
        applier(self, event.payload, event.at)
        _set(self, "state", dest)
        _set(self, "history", (*self.history, event))
