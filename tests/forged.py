"""Tools for forged histories: real events with one event changed the way an attacker would.

A forged case is a history the triggers could never have written: each
`forged_<concept>.py` module lists its entity's cases in `CASES`, and
`test_forged_histories.py` replays every case directly and through every
storage adapter, expecting `CorruptHistory` caused by the broken rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core.entity import Entity

__all__ = ["Forged", "forced", "replaced", "with_payload"]


@frozen
class Forged:
    """One forged history and the error its broken rule raises."""

    name: str
    cls: type[Entity[Any]]
    original: tuple[Any, ...]
    """The legal history the triggers wrote (it must load)."""
    events: tuple[Any, ...]
    """The same history with one change a trigger would have refused."""
    rule: type[Exception]
    """The typed error the broken rule raises (the cause of the `CorruptHistory`)."""
    config: Any = None

    def __str__(self) -> str:
        return self.name


def forced(cls: type[Any], **fields: Any) -> Any:
    """An attrs instance built without its validators, as a hand-edited JSON row would be."""
    item = object.__new__(cls)
    for field in attrs.fields(cls):
        object.__setattr__(
            item, field.name, fields.get(field.name, getattr(field, "default", None))
        )
    return item


def replaced(history: Sequence[Any], number: int, event: Any) -> tuple[Any, ...]:
    """`history` with event `number` (1-based) replaced."""
    events = list(history)
    events[number - 1] = event
    return tuple(events)


def with_payload(history: Sequence[Any], number: int, payload: Any) -> tuple[Any, ...]:
    """`history` with the payload of event `number` (1-based) replaced."""
    return replaced(history, number, attrs.evolve(history[number - 1], payload=payload))
