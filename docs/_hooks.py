"""mkdocs hooks: workflow diagrams are generated from the workflow definitions at build time.

A page writes `<!-- diagram: ticket -->`; the hook replaces it with a mermaid block
from `itil_l2.diagram("ticket")`, so no diagram is ever drawn by hand.
"""

from __future__ import annotations

import re
from typing import Any

from itil_l2 import diagram

_MARKER = re.compile(r"<!--\s*diagram:\s*(\w+)\s*-->")


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Replace every diagram marker with the generated mermaid text."""
    return _MARKER.sub(lambda m: f"```mermaid\n{diagram(m.group(1))}```", markdown)
