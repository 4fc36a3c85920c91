"""The store's cache of decoded events: each stored text decoded once.

A stored event's text never changes, so a store keeps the event decoded
from it (`functools.lru_cache`, keyed by kind, schema and the whole text):
loading a ticket read before decodes nothing again. The cache is cleared
whenever a step is added to the store's `Upcasters`, so a step registered
after a load applies to the next load as it would with no cache.
"""

from __future__ import annotations

import functools
from typing import Any

from itil_l2._core.serialization import Upcasters
from itil_l2.errors import ValidationError
from itil_l2.storage._kinds import EventDecoder

__all__ = ["cache_size", "event_cache"]


def cache_size(value: Any) -> int:
    """`event_cache` as given, if it is a whole number of events (0: no cache), else an error."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"event_cache must be a whole number >= 0, got {value!r}")
    return value


def event_cache(decoded: EventDecoder, size: int, upcasters: Upcasters) -> EventDecoder:
    """`decoded` with its last `size` events kept, forgotten when `upcasters` gains a step."""
    cached = functools.lru_cache(maxsize=size)(decoded)
    upcasters._caches.add(cached)  # held weakly: it goes with its store
    return cached
