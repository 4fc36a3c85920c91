"""`UNSET`: the default of an update's keyword arguments, "leave this field as it is".

None cannot say that, since None is a value some fields may be set to.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["UNSET", "Unset"]


class Unset(Enum):
    """The type of `UNSET`: "leave this field as it is"."""

    UNSET = "unset"


UNSET = Unset.UNSET
