"""What the entity engine and every permissions policy read of entities and events.

Structural types only (no runtime behaviour): `Entity` is generic over any
event with these fields, and a policy may be handed anything with an id and
a state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

__all__ = ["EntityEvent", "EntityFacts"]


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
