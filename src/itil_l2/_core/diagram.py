"""Mermaid state diagrams generated from the workflow definitions themselves."""

from __future__ import annotations

import importlib
from typing import Any

from transitions.extensions.diagrams import HierarchicalGraphMachine

from itil_l2._core.errors import ValidationError
from itil_l2._core.workflow import DottedState

__all__ = ["diagram"]


class _DottedGraphMachine(HierarchicalGraphMachine):
    """Draws with the same '.'-joined state names the workflow runs on."""

    state_cls = DottedState


class _Canvas:
    """A throwaway model: the graph machine draws for a model, never for a ticket."""


_DEFINITIONS: dict[str, str] = {
    "ticket": "itil_l2.tickets._workflow",
    "ci": "itil_l2.cmdb._workflow",
    "problem": "itil_l2.problems._workflow",
    "change": "itil_l2.changes._workflow",
    "knowledge": "itil_l2.knowledge._workflow",
}
"""Workflow kind → the module defining it (STATES, TRANSITIONS, INITIAL, TITLE)."""


def _definition(kind: str) -> tuple[list[Any], list[dict[str, Any]], str, str]:
    module = importlib.import_module(_DEFINITIONS[kind])
    return module.STATES, module.TRANSITIONS, module.INITIAL, module.TITLE


def diagram(kind: str, *, internal: bool = False) -> str:
    """The mermaid `stateDiagram-v2` text of a workflow, e.g. `diagram("ticket")`.

    Drawn by transitions from the very definition the workflow runs on.
    Internal transitions (notes, links, updates, which never change state)
    clutter the picture and are left out unless `internal=True`.

    >>> text = diagram("ticket")
    >>> "L1 --> L2.queued: escalate [group_at_L2]" in text
    True
    """
    if kind not in _DEFINITIONS:
        raise ValidationError(
            f"no workflow called {kind!r}; known: {', '.join(sorted(_DEFINITIONS))}"
        )
    states, transitions, initial, title = _definition(kind)
    if not internal:
        transitions = [t for t in transitions if t["dest"] is not None]
    canvas = _Canvas()
    _DottedGraphMachine(
        model=canvas,
        states=states,
        transitions=transitions,
        initial=initial,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=title,
    )
    text: str = canvas.get_graph().draw(None)  # type: ignore[attr-defined]
    return "\n".join(line for line in text.splitlines() if not _is_styling(line)) + "\n"


def _is_styling(line: str) -> bool:
    """Drop the 'current state' colouring: a definition has no current state."""
    stripped = line.strip()
    return stripped.startswith(("classDef ", "Class ", "class "))
