"""Give the public names of a package the package as their `__module__` (as httpx does).

Classes and functions are defined in private modules (`itil_l2.tickets._ticket`)
but documented, printed and pickled under the package that exports them
(`itil_l2.tickets.Ticket`). attrs classes get their annotations resolved in
their own module first, so cattrs and `typing.get_type_hints` keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = ["expose"]


def expose(
    package: str, namespace: Mapping[str, Any], names: Iterable[str], *, source: str = ""
) -> None:
    """Set `__module__` of the classes and functions among `names` defined below `source`.

    `source` defaults to the package's private modules (`package + "._"`).
    """
    prefix = source or f"{package}._"
    for name in names:
        obj = namespace[name]
        module = getattr(obj, "__module__", None)
        if not isinstance(obj, type) and not callable(obj):
            continue
        if not isinstance(module, str) or not module.startswith(prefix):
            continue
        if isinstance(obj, type) and attrs.has(obj):
            attrs.resolve_types(obj)
        try:
            obj.__module__ = package
        except (AttributeError, TypeError):  # builtins and slotted callables keep theirs
            continue
