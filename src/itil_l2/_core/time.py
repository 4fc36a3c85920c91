"""Time checks shared by every entity (aware datetimes only, never backwards), and ISO text."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from itil_l2.errors import EventOutOfOrder, NaiveDatetime, ValidationError


def ensure_aware(value: datetime, name: str = "at") -> datetime:
    """Return `value` if it is an aware datetime, else raise a typed error."""
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(name)
    return value


def ensure_not_before(at: datetime, last: datetime, entity_id: str) -> None:
    """Refuse an event earlier than the entity's last one."""
    if at < last:
        raise EventOutOfOrder(
            f"{entity_id}: event at {at.isoformat()} is before the last event at {last.isoformat()}"
        )


def isoformat(moment: datetime) -> str:
    """`moment.isoformat()`, about four times faster for a time in UTC (the usual case).

    Every event's time is written as this text (and every view's times), so
    it is on the hot path of every save; `datetime.isoformat` builds its text
    through a format string, msgspec's encoder writes the same digits in C
    (only the offset is spelt `Z`, which is replaced).

    >>> from datetime import UTC, datetime, timedelta, timezone
    >>> isoformat(datetime(2026, 1, 5, 9, 3, 0, 120000, tzinfo=UTC))
    '2026-01-05T09:03:00.120000+00:00'
    >>> isoformat(datetime(2026, 1, 5, 9, 3, tzinfo=timezone(timedelta(hours=1))))
    '2026-01-05T09:03:00+01:00'
    """
    if moment.tzinfo is UTC and type(moment) is datetime:
        return _encode(moment)[1:-2].decode() + "+00:00"
    return moment.isoformat()


_encode = msgspec.json.Encoder().encode
