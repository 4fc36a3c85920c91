"""The event-sourced entity base: history, version, atomic triggers, replay.

Every entity (Ticket, Problem, ChangeRequest, KnowledgeArticle, CI) changes
only through triggers, and every trigger runs the same pipeline: check the
time and actor given, ask the permissions policy, check that time does not go
back, route through the entity's compiled workflow table, run the trigger's
rule and live checks, then append one event and apply it. Applying is the last
step and never fails, so a refused trigger leaves the entity exactly as it
was. Permissions come first: an actor the policy refuses gets `NotPermitted`
in every state, never a workflow error (whose list of the allowed triggers
would tell them where the entity is).

One rule path: a trigger's own checks live in its entity's `_RULES` table
(payload type -> rule), never in the trigger method, and replay (`_rebuild`)
runs every stored event through the same time check, workflow table and rule
before applying it. A history the triggers could not have written cannot
load. Only what depends on who the actor was (permissions, roles) is checked
live alone: a stored event names its actor's id, not the actor's rights.

One object, many threads: a trigger holds the entity's own lock from its
first check to its last write, so concurrent triggers on one entity are
serialised and each sees the state the previous one left.

The history is an append-only list (amortised O(1) per event, O(n) replay);
`history` hands out an immutable tuple of it, rebuilt only after it grew.
Every entity kind has the same shape: a compiled `Workflow` (`_WORKFLOW`),
an envelope class derived from `Event` (`_EVENT`) whose `entity_id` names the
entity, a payload union (`_PAYLOADS`), the appliers (`_APPLIERS`) and rules
(`_RULES`), one per payload type, and a frozen config whose `permissions`
policy is asked before every trigger.
"""

from __future__ import annotations

import typing
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from itertools import starmap
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, Self, TypeVar

import attrs
from attrs import frozen

from itil_l2._core.actor import Actor
from itil_l2._core.chain import Chain
from itil_l2._core.lock import EntityLock
from itil_l2._core.protocols import EntityEvent, EntityFacts
from itil_l2._core.time import ensure_aware, ensure_not_before
from itil_l2._core.values import check_envelope, check_values
from itil_l2._core.workflow import Workflow
from itil_l2.errors import (
    CorruptHistory,
    ItilL2Error,
    NotPermitted,
    UnknownSchema,
    ValidationError,
)

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


E = TypeVar("E", bound=EntityEvent)
Applier = Callable[[Any, Any, datetime], None]
Rule = Callable[[Any, Any, str, datetime], None]
"""A trigger's own rule: (the entity before the event, the payload, the actor's id, its time).

It raises a typed error when the event breaks a rule of the entity's config;
it reads, never writes.
"""


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class Entity(Generic[E]):
    """Identity, the append-only `history`, the workflow `state`, and the trigger engine."""

    id: str
    state: str
    _log: list[E]
    _persisted: int
    _tenant: str | None
    """The tenant storage added or loaded the entity in (None: not stored yet)."""
    _lock: Any
    _frozen: tuple[E, ...]

    _WORKFLOW: ClassVar[Workflow[Any]]
    _EVENT: ClassVar[type[Any]]
    _KIND: ClassVar[str]
    """The entity's storage key (`"ticket"`), also the key of its upcasters."""
    _SCHEMA: ClassVar[int]
    """The current format version of the entity's events (the envelope's default)."""
    _PAYLOADS: ClassVar[Any]
    """The union of this entity's payload classes (tagged by trigger in JSON)."""
    _APPLIERS: ClassVar[Mapping[type, Applier]]
    _DEFAULT: ClassVar[Any]
    """The config an entity of this kind gets when none is given."""
    _RULES: ClassVar[Mapping[type, Rule]] = MappingProxyType({})
    """Payload type -> the rule its trigger checks, live and on replay (absent: none)."""

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

    def _authorize(self, actor: Actor, trigger: str) -> None:
        """`NotPermitted` unless `actor` may fire `trigger` now (`_fire` asks again).

        Triggers that read the entity to build their payload (an update's old
        values, a known error's root cause) ask first: their refusals would tell.
        """
        if not isinstance(actor, Actor):
            _not_an_actor(actor)
        with self._lock:
            if not self.config.permissions.permits(actor, trigger, self):
                raise NotPermitted(actor.id, str(trigger), self.id)

    # -- facts -------------------------------------------------------------------

    @property
    def history(self) -> tuple[E, ...]:
        """Every event so far, oldest first (an immutable snapshot)."""
        frozen = self._frozen
        if len(frozen) != len(self._log):  # append-only: a length change is a change
            frozen = tuple(self._log)
            _set(self, "_frozen", frozen)
        return frozen

    @property
    def version(self) -> int:
        """The number of events in the history (for optimistic concurrency)."""
        return len(self._log)

    @property
    def opened_at(self) -> datetime:
        """When the entity was created."""
        return self._log[0].at

    @property
    def updated_at(self) -> datetime:
        """When the last event happened."""
        return self._log[-1].at

    def pending_events(self) -> tuple[E, ...]:
        """Events not yet handed to storage, oldest first (for a unit of work)."""
        with self._lock:
            return tuple(self._log[self._persisted :])

    def mark_persisted(self) -> None:
        """Tell the entity that storage has every event so far."""
        _set(self, "_persisted", len(self._log))

    def _stored_in(self, tenant: str | None, persisted: int | None = None) -> None:
        """Storage: the entity lives in `tenant` ("" for none); `persisted` events are stored."""
        _set(self, "_tenant", tenant)
        if persisted is not None:
            _set(self, "_persisted", persisted)

    # -- copies ------------------------------------------------------------------

    def __copy__(self) -> Self:
        """A copy with its own history list and lock (a dry run fires on it)."""
        twin = type(self).__new__(type(self))
        with self._lock:  # a consistent copy, never one torn by a trigger in flight
            for name in self.__attrs_attrs__:
                value = getattr(self, name.name)
                _set(twin, name.name, Chain(value) if isinstance(value, Chain) else value)
            _set(twin, "_log", list(self._log))
        _set(twin, "_lock", EntityLock())
        return twin

    # -- the engine --------------------------------------------------------------

    def _fire(
        self,
        payload: Any,
        at: datetime,
        actor: Actor,
        live: Callable[[], None] | None = None,
    ) -> None:
        """Check everything, then append one event and apply it (atomic, one thread at a time).

        In order: time and actor given, permissions, time order, workflow, the
        payload's rule in `_RULES` (replay runs it too), then `live`: what only a
        live call knows (the actor's roles, another entity handed in).
        """
        trigger = payload.TRIGGER
        # Hot path: the common case is checked inline; the helpers raise the errors.
        if (type(at) is not datetime or at.tzinfo is not UTC) and (  # UTC: aware, no call
            not isinstance(at, datetime) or at.utcoffset() is None
        ):
            ensure_aware(at)
        if not isinstance(actor, Actor):
            _not_an_actor(actor)
        lock = self._lock
        lock.acquire()  # as `with`, minus its cost; released whatever happens
        try:
            if not self.config.permissions.permits(actor, trigger, self):  # first: tells nothing
                raise NotPermitted(actor.id, str(trigger), self.id)
            events = self._log
            if at < events[-1].at:
                ensure_not_before(at, events[-1].at, self.id)
            workflow = self._WORKFLOW  # a route without conditions: one lookup, no call
            dest = workflow.direct.get((self.state, trigger)) or workflow.route(
                self, trigger, payload
            )
            kind = type(payload)
            rule = self._RULES.get(kind)
            if rule is not None:
                rule(self, payload, actor.id, at)
            if live is not None:
                live()
            event = self._EVENT(self.id, len(events) + 1, at, actor.id, payload)
            self._APPLIERS[kind](self, payload, at)
            _set(self, "state", dest)
            events.append(event)
        finally:
            lock.release()

    def _vet(self, payload: Any, at: datetime, actor: Actor) -> str:
        """Every check `_fire` makes but `live`, in its order (permissions first), firing nothing.

        For two-entity steps that must check both sides before changing either.
        Returns the state the trigger would lead to.
        """
        ensure_aware(at)
        with self._lock:
            self._authorize(actor, payload.TRIGGER)
            ensure_not_before(at, self._log[-1].at, self.id)
            dest = self._WORKFLOW.route(self, payload.TRIGGER, payload)
            rule = self._RULES.get(type(payload))
            if rule is not None:
                rule(self, payload, actor.id, at)
            return dest

    @classmethod
    def _first(cls, event: E, config: Any) -> Self:
        """The entity its creation event makes, live and on replay.

        The subclass checks the payload's type and runs the creation rule.
        """
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
    def _decoded(cls, events: Iterable[E], config: Any = None) -> Self:
        """Replay events decoded from JSON (their constructors checked their values)."""
        config = cls._DEFAULT if config is None else config
        return cls._rebuild(events, lambda first: cls._first(first, config), decoded=True)

    @classmethod
    def _start(cls, event: E, fields: Iterable[tuple[str, Any]]) -> Self:
        """A new entity whose history is just its creation event."""
        entity = cls.__new__(cls)
        put = _set.__get__(entity)  # one bound setter, driven from C: no Python loop
        deque(starmap(put, fields), 0)
        deque(starmap(put, (("_log", [event]), ("_frozen", ()), ("_persisted", 0))), 0)
        put("_tenant", None)
        put("_lock", EntityLock())
        return entity

    @classmethod
    def _rebuild(
        cls, events: Iterable[E], start: Callable[[E], Self], *, decoded: bool = False
    ) -> Self:
        """Replay `events` through the workflow and the rules; `start` builds from the first."""
        stream = iter(events)
        first = next(stream, None)
        if first is None or not isinstance(first, cls._EVENT) or first.version != 1:
            raise CorruptHistory(f"a {cls.__name__} history starts with its creation, version 1")
        try:
            check_envelope(first, cls._SCHEMA, cls.__name__)
            if not decoded:
                check_values(first.payload)
            entity = start(first)
        except UnknownSchema:
            raise
        except _BROKEN as exc:
            raise CorruptHistory(
                f"the first event does not create a {cls.__name__}: {_reason(exc)}"
            ) from exc
        replay = entity._replay
        for number, event in enumerate(stream, start=2):
            replay(number, event, decoded)
        _set(entity, "_persisted", len(entity._log))
        return entity

    def _replay(self, number: int, event: E, decoded: bool = False) -> None:
        """Apply one stored event after the checks its trigger made (`CorruptHistory` if not)."""
        if (
            not isinstance(event, self._EVENT)
            or event.entity_id != self.id
            or type(event.version) is not int
            or event.version != number
        ):
            got = f"{getattr(event, 'entity_id', '?')} v{getattr(event, 'version', '?')}"
            raise CorruptHistory(f"{self.id}: event {number} is {got}")
        try:
            payload = event.payload
            kind = type(payload)
            at = event.at
            check_envelope(event, self._SCHEMA, type(self).__name__)
            last = self._log[-1].at
            if at < last:
                ensure_not_before(at, last, self.id)
            applier = self._APPLIERS.get(kind)
            if applier is None:
                raise ValidationError(f"{kind.__name__} is not a {self._KIND} event")
            if not decoded:
                check_values(payload)  # its values, as the trigger's payload checked them
            workflow, trigger = self._WORKFLOW, payload.TRIGGER
            dest = workflow.direct.get((self.state, trigger)) or workflow.route(
                self, trigger, payload
            )
            rule = self._RULES.get(kind)
            if rule is not None:
                rule(self, payload, event.actor_id, at)
            applier(self, payload, at)
        except UnknownSchema:
            raise
        except _BROKEN as exc:
            raise CorruptHistory(
                f"{self.id}: event {number} ({_trigger(event)}) cannot be replayed: {_reason(exc)}"
            ) from exc
        _set(self, "state", dest)
        self._log.append(event)


_BROKEN = (ItilL2Error, LookupError, AttributeError, TypeError, ValueError)
"""What a malformed event makes a check or an applier raise; replay reports it as corrupt."""


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _trigger(event: Any) -> str:
    return str(getattr(event.payload, "TRIGGER", type(event.payload).__name__))


def _not_an_actor(actor: object) -> NoReturn:
    raise ValidationError(f"actor must be an Actor, got {type(actor).__name__}")
