"""`collection_paused()` lives in `itil_l2._core.pause` (the KPI engine pauses too)."""

from itil_l2._core.pause import collection_paused

__all__ = ["collection_paused"]
