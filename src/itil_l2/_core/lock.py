"""`EntityLock`: the re-entrant lock each entity holds while a trigger runs."""

from __future__ import annotations

import _thread

__all__ = ["EntityLock"]


class EntityLock(_thread.RLock):  # type: ignore[misc]
    """An entity's re-entrant lock; a copy or an unpickled entity gets a fresh one.

    Re-entrant, so a permissions policy or rule that reads the entity (or a
    trigger that fires another on the same entity) never deadlocks.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type[EntityLock], tuple[()]]:
        return (EntityLock, ())
