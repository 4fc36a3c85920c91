"""The notification log: every committed event with a gap-free position, to resume from.

`on_commit` hands a unit of work's events to the host right after the commit,
in this process: a crash between the commit and the notification loses it.
A host that must notify (mail, chat, a message bus) instead remembers the
last position it handled and asks `store.events_since(position)` (after a
restart too): at-least-once delivery with positions, as eventsourcing's
notification log does. Positions number a tenant's stored events 1, 2, 3, ...
in commit order without gaps; each adapter assigns them inside its write
transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

from itil_l2.errors import CorruptHistory, UnknownSchema, ValidationError
from itil_l2.storage._kinds import KINDS, UNREADABLE
from itil_l2.storage._rows import Notice

if TYPE_CHECKING:
    from itil_l2.storage._store import Store

__all__ = ["MAX_NOTIFICATIONS", "Notification", "notifications"]

MAX_NOTIFICATIONS = 10_000
"""The most notifications one `events_since` call returns."""


@frozen
class Notification:
    """One committed event of the notification log.

    `kind` is the aggregate's storage key (`"ticket"`, `"problem"`, ...,
    `"known_error"`, `"training"`), `id` its id; `event` is the decoded event
    (for a frozen record, the record itself).
    """

    position: int
    kind: str
    id: str
    tenant: str | None
    event: Any


def notifications(
    store: Store, position: int, limit: int, tenant: str | None
) -> list[Notification]:
    """What `Store.events_since` returns: the committed notifications after `position`."""
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValidationError(f"position must be a whole number >= 0, got {position!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_NOTIFICATIONS:
        raise ValidationError(f"limit must be a whole number in 1..{MAX_NOTIFICATIONS}")
    session = store.backend.session()
    try:
        notices = session.events_since(tenant or "", position, limit)
    finally:
        session.rollback()
        session.close()
    expected = range(position + 1, position + 1 + len(notices))
    if [n.position for n in notices] != list(expected):
        raise CorruptHistory(f"the notification log after {position} has a gap or is out of order")
    return [_notification(store, notice, tenant) for notice in notices]


def _notification(store: Store, notice: Notice, tenant: str | None) -> Notification:
    kind = KINDS.get(notice.kind)
    try:
        if kind is None:
            raise ValidationError(f"unknown kind {notice.kind!r}")
        if kind.is_entity:
            event = store._event(kind, notice.row.schema, notice.row.data)
        else:
            event = kind.record(notice.row.data)
    except (CorruptHistory, UnknownSchema):
        raise
    except UNREADABLE as exc:
        raise CorruptHistory(
            f"notification {notice.position} ({notice.kind} {notice.id!r}) cannot be decoded: "
            f"{exc!r}"
        ) from exc
    return Notification(notice.position, notice.kind, notice.id, tenant, event)
