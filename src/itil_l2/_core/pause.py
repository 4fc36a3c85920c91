"""`collection_paused()`: no cyclic garbage collection while one history is decoded.

(And while the KPI engine sorts a chunk of outcomes, and while `kpi_table` reads
stored facts rows batch by batch: a million rows are a million tuples of plain
values, each dropped after its batch, and the collector walked the live ones
again and again: a fifth of the time over a million stored tickets.)

Decoding a long history allocates many small containers that all stay alive,
and each of CPython's full collections walks every one of them again: on a
100,000-event ticket the collector took about half of the load. Events hold
no reference cycles, so nothing is lost by collecting after the load instead.
The pause is counted across threads: the collector is switched back on (if it
was on) when the last pause ends, and never left off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (nested and threaded: counted)."""
    global _depth, _was_enabled  # noqa: PLW0603 - one process-wide count, like the collector
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
