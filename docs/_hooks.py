"""mkdocs hooks: diagrams and the API reference are generated at build time.

A page writes `<!-- diagram: ticket -->`; the hook replaces it with a mermaid block
from `itil_l2.diagram("ticket")`, so no diagram is ever drawn by hand.

`<!-- api: itil_l2 -->` becomes one mkdocstrings directive per public name of that
module, grouped under the private module each name comes from (titled by the first
line of its docstring), so the reference lists everything in `__all__` and never
goes stale.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import itil_l2
from itil_l2 import diagram

_DIAGRAM = re.compile(r"<!--\s*diagram:\s*(\w+)\s*-->")
_API = re.compile(r"<!--\s*api:\s*([\w.]+)\s*-->")
_DIRECTIVE = "::: itil_l2.{name}\n    options:\n      heading_level: 3\n"


def _origins() -> dict[str, str]:
    """{public name: the private module of itil_l2 that defines it}."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(itil_l2.__path__):
        if info.name.startswith("_") and not info.name.startswith("__"):
            module = importlib.import_module(f"itil_l2.{info.name}")
            for name in getattr(module, "__all__", ()):
                found.setdefault(name, info.name)
    return found


def _section_title(module_name: str) -> str:
    doc = importlib.import_module(f"itil_l2.{module_name}").__doc__ or module_name
    return doc.strip().splitlines()[0].rstrip(".")


def _reference(target: str) -> str:
    module = importlib.import_module(target)
    names = list(module.__all__)
    if target != "itil_l2":
        return "\n".join(f"::: {target}.{name}\n" for name in names)
    origins = _origins()
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(origins.get(name, "_other"), []).append(name)
    parts = []
    for module_name in sorted(groups):
        title = _section_title(module_name) if module_name != "_other" else "Other"
        parts.append(f"## {title}\n")
        parts += [_DIRECTIVE.format(name=name) for name in groups[module_name]]
    return "\n".join(parts)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Replace diagram and API markers with generated content."""
    markdown = _DIAGRAM.sub(lambda m: f"```mermaid\n{diagram(m.group(1))}```", markdown)
    return _API.sub(lambda m: _reference(m.group(1)), markdown)
