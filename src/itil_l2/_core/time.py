"""Time checks shared by every entity: aware datetimes only, never backwards."""

from __future__ import annotations

from datetime import datetime

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
