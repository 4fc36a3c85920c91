"""How each aggregate becomes rows and back: the storage side of every entity.

An `AggregateKind` names the table key (`"ticket"`), the class, its current
event schema version, and `index`, which extracts the queried facts into a
`Head`. Entities are stored as their events (append-only, replayed through the
workflow on load, so stored data can never hold a state the rules forbid);
frozen records (known errors, training sessions) as one row holding the
record. Adding an aggregate to storage is one `AggregateKind` here and one
attribute on the unit of work.

Old event formats load through `Upcasters`: functions that turn a stored
event's JSON data from schema *n* to *n + 1*, chained up to the current one.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec
from attrs import frozen
from cattrs.errors import BaseValidationError

from itil_l2._core.codec import EventCodec
from itil_l2._core.entity import Entity
from itil_l2._core.serialization import Upcasters, converter, register_entity
from itil_l2.changes import ChangeRequest
from itil_l2.cmdb import ConfigurationItem
from itil_l2.errors import CorruptHistory, ItilL2Error, UnknownSchema
from itil_l2.knowledge import KnowledgeArticle, TrainingSession
from itil_l2.problems import KnownError, Problem
from itil_l2.storage._facts import TicketFacts
from itil_l2.storage._integrity import check_head, check_rows
from itil_l2.storage._rows import EventRow, Head, Stream
from itil_l2.tickets import Ticket
from itil_l2.views import article_view, change_view, ci_view, problem_view, ticket_view

__all__ = ["KINDS", "UNREADABLE", "AggregateKind"]

T = TypeVar("T")

EventDecoder = Callable[["AggregateKind[Any]", int, str], Any]
"""Decodes one stored event: (kind, schema version, JSON text) -> event."""

RECORD_SCHEMA = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the event time of a record that has none


UNREADABLE = (
    ItilL2Error,
    BaseValidationError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
    OverflowError,
    msgspec.DecodeError,
)
"""What a stored row that is not what the library wrote makes decoding raise."""

_loads = msgspec.json.Decoder().decode
"""One decoder for every stored row (msgspec: three times the standard library's speed)."""
_encode = msgspec.json.Encoder().encode
"""Compact UTF-8 JSON, unicode verbatim: six times the standard library's speed on a view."""


def _dumps(data: Any) -> str:
    return _encode(data).decode()


@frozen(cache_hash=True)  # a key of the store's event cache: hashed once, not per event
class AggregateKind(Generic[T]):
    """One storable aggregate: its key, class, schema version and queried facts."""

    name: str
    cls: type[T]
    schema: int
    index: Callable[[T], Head]
    event_type: type[Any] | None = None
    """The event class of an event-sourced entity; None for a frozen record."""
    codec: EventCodec | None = None
    """Encodes and decodes the entity's events (None for a frozen record)."""

    @property
    def is_entity(self) -> bool:
        """Stored as events (True) or as one record row (False)."""
        return self.event_type is not None

    def encode(self, item: T, events: Iterable[Any]) -> tuple[Head, tuple[EventRow, ...]]:
        """The head row and event rows for `item` (`events`: the entity's events to write)."""
        head = self.index(item)
        codec = self.codec
        if codec is None:
            data = _dumps(converter.unstructure(item, self.cls))
            return head, (EventRow(1, RECORD_SCHEMA, _record_time(head), "record", data),)
        encode = codec.encode
        rows = tuple(
            EventRow(e.version, e.schema, e.at, str(e.payload.TRIGGER), encode(e)) for e in events
        )
        return head, rows

    def decode(
        self,
        stream: Stream,
        upcasters: Upcasters,
        config: Any = None,
        event: EventDecoder | None = None,
    ) -> T:
        """Rebuild the aggregate from its stored rows (upcasting, then replaying).

        Nothing stored is trusted. The head's version must count the event
        rows (numbered 1..n: a deleted last row is a truncated history, never
        an older version), every row must decode and the events must replay
        through the workflow, and the facts the replayed aggregate has must be
        the ones its head row claims, which queries filter on. Each failure is
        `CorruptHistory` naming the aggregate (and the event, or the differing
        facts); a row in a format this library cannot read is `UnknownSchema`.
        A tampered row is an error, never skipped silently.

        `event` decodes one row's (kind, schema, JSON text) into an event; a
        store passes a cached one, since an event's text never changes.
        """
        where = f"stored {self.name} {stream.head.id!r}"
        check_rows(where, stream.head, stream.events)
        if self.event_type is None:
            try:
                record = self.record(stream.events[0].data)
            except UNREADABLE as exc:
                raise CorruptHistory(f"{where}: the record cannot be decoded: {exc!r}") from exc
            check_head(where, stream.head, self.index(record))
            return record
        decode = event or (lambda _kind, schema, data: self.event(schema, data, upcasters))
        row = None  # the row being decoded, to name it if it cannot be
        try:
            events = [decode(self, (row := r).schema, r.data) for r in stream.events]
        except (CorruptHistory, UnknownSchema):
            raise
        except UNREADABLE as exc:
            number = "?" if row is None else row.version
            raise CorruptHistory(f"{where}: event {number} cannot be decoded: {exc!r}") from exc
        try:
            item: T = self.cls._decoded(events, config)  # type: ignore[attr-defined]
        except (CorruptHistory, UnknownSchema):
            raise
        except UNREADABLE as exc:
            raise CorruptHistory(f"{where}: {exc}") from exc
        try:  # a time the calendar cannot convert to UTC (year 9999 behind UTC) overflows
            check_head(where, stream.head, self.index(item))
        except OverflowError as exc:
            raise CorruptHistory(f"{where}: {exc!r}") from exc
        return item

    def record(self, text: str) -> T:
        """A frozen record from its stored JSON text."""
        return converter.structure(_loads(text), self.cls)

    def event(self, schema: int, text: str, upcasters: Upcasters) -> Any:
        """One stored event from its schema version and JSON text.

        Built by the codec: types checked, field validators not re-run (they
        ran when the event was made); replay then runs every rule.
        """
        if schema == self.schema:
            return self.codec.decode(text)  # type: ignore[union-attr]
        data = upcasters.upgrade(self.name, schema, self.schema, _loads(text))
        return self.codec.structure(data)  # type: ignore[union-attr]


def _record_time(head: Head) -> datetime:
    return _EPOCH if head.opened_at is None else head.opened_at


def _group_facts(group: Any) -> tuple[str | None, str | None]:
    return (None, None) if group is None else (group.tier.value, group.name)


def _entity_head(entity: Entity[Any], state: str, view: Any, title: str, **facts: Any) -> Head:
    return Head(
        id=entity.id,
        version=entity.version,
        state=state,
        opened_at=entity.opened_at,
        updated_at=entity.updated_at,
        title_key=title.casefold(),
        view=_dumps(view),
        **facts,
    )


def _ticket(t: Ticket) -> Head:
    tier, group = _group_facts(t.group or t.owner_group)
    return _entity_head(
        t,
        t.phase.value,
        ticket_view(t),
        t.title,
        assignee=t.assignee,
        caller=t.caller,
        tier=tier,
        group=group,
        priority=int(t.priority),
        category=t.category,
        resolved_at=t.resolved_at,
        ci_refs=t.ci_refs,
        facts=TicketFacts(t),
    )


def _problem(p: Problem) -> Head:
    tier, group = _group_facts(p.group)
    return _entity_head(
        p,
        p.state,
        problem_view(p),
        p.statement,
        assignee=p.assignee,
        tier=tier,
        group=group,
        priority=int(p.priority),
        category=p.category,
        resolved_at=p.resolved_at,
        ci_refs=p.ci_refs,
    )


def _change(c: ChangeRequest) -> Head:
    tier, group = _group_facts(c.group)
    return _entity_head(
        c,
        c.state,
        change_view(c),
        c.title,
        caller=c.requested_by,
        tier=tier,
        group=group,
        category=c.change_type.value,
        resolved_at=c.implementation_ended_at,
    )


def _article(a: KnowledgeArticle) -> Head:
    return _entity_head(
        a,
        a.state,
        article_view(a),
        a.title,
        assignee=a.author,
        category=a.categories[0] if a.categories else None,
        ci_refs=a.ci_refs,
    )


def _ci(ci: ConfigurationItem) -> Head:
    tier, group = _group_facts(ci.support_group)
    targets = tuple(dict.fromkeys(r.target for r in ci.relations))
    return _entity_head(
        ci,
        ci.state,
        ci_view(ci),
        ci.name,
        assignee=ci.owner,
        tier=tier,
        group=group,
        category=ci.kind.value,
        ci_refs=targets,
    )


def _known_error(k: KnownError) -> Head:
    return Head(id=k.id, version=1, state="known_error", category=k.category, ci_refs=k.ci_refs)


def _training(s: TrainingSession) -> Head:
    return Head(
        id=s.id,
        version=1,
        state="recorded",
        category=s.categories[0] if s.categories else None,
        opened_at=s.start,
        updated_at=s.start,
    )


def _entity_kind(cls: type[Any], index: Callable[[Any], Head]) -> Any:
    """An event-sourced entity's kind: its key, schema and envelope come from the class."""
    register_entity(cls)
    payloads = typing.get_args(cls._PAYLOADS)
    codec = EventCodec(cls._EVENT, payloads, converter)
    return AggregateKind(cls._KIND, cls, cls._SCHEMA, index, cls._EVENT, codec)


def _kinds() -> dict[str, AggregateKind[Any]]:
    kinds: Sequence[AggregateKind[Any]] = (
        _entity_kind(Ticket, _ticket),
        _entity_kind(Problem, _problem),
        _entity_kind(ChangeRequest, _change),
        _entity_kind(KnowledgeArticle, _article),
        _entity_kind(ConfigurationItem, _ci),
        AggregateKind("known_error", KnownError, RECORD_SCHEMA, _known_error),
        AggregateKind("training", TrainingSession, RECORD_SCHEMA, _training),
    )
    return {kind.name: kind for kind in kinds}


KINDS = _kinds()
"""Every aggregate the library stores, by table key."""
