"""A Griffe extension: doctest examples in docstrings render as code in the API reference.

The library's docstrings hold runnable `>>>` examples in their text (pytest runs them
as doctests). Markdown would read `>>>` as nested quotes, so this wraps each run of
example lines (`>>>`, `...` and the expected output up to a blank line) in a
```pycon fence when Griffe loads a docstring.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_examples(text: str) -> str:
    """`text` with every doctest block fenced as pycon (idempotent)."""
    out: list[str] = []
    inside = False
    fenced = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
        starts = stripped.startswith(">>>") and not fenced
        if starts and not inside:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctest blocks of every docstring Griffe loads."""

    def on_object(self, *, obj: griffe.Object, **_kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
