"""Argument checks the analytics rules share: a positive time window, a count of at least two."""

from __future__ import annotations

from datetime import timedelta

from itil_l2.errors import ValidationError

__all__ = ["check_at_least_two", "check_window"]


def check_window(value: object, name: str) -> timedelta:
    """`value` if it is a positive timedelta, else a `ValidationError` naming `name`."""
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"{name} must be a positive timedelta, got {value!r}")
    return value


def check_at_least_two(value: object, name: str) -> int:
    """`value` if it is an int (not a bool) of at least 2, else a `ValidationError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ValidationError(f"{name} must be an int of at least 2, got {value!r}")
    return value
