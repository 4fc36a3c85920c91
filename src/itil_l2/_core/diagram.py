"""Mermaid state diagrams generated from the workflow definitions themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transitions.extensions.diagrams import HierarchicalGraphMachine

from itil_l2._core.workflow import WORKFLOWS, DottedState
from itil_l2.errors import ValidationError

if TYPE_CHECKING:
    from itil_l2._core.workflow import Workflow

__all__ = ["diagram", "draw"]


class _DottedGraphMachine(HierarchicalGraphMachine):
    """Draws with the same '.'-joined state names the workflow runs on."""

    state_cls = DottedState


class _Canvas:
    """A throwaway model: the graph machine draws for a model, never for an entity."""


def diagram(kind: str, *, internal: bool = False) -> str:
    """The mermaid `stateDiagram-v2` text of a workflow, e.g. `diagram("ticket")`.

    Drawn by transitions from the very definition the workflow runs on.
    Internal transitions (notes, links, updates, which never change state)
    clutter the picture and are left out unless `internal=True`. The kinds
    are `ticket`, `problem`, `change`, `knowledge` and `ci`.

    >>> from itil_l2 import diagram
    >>> text = diagram("ticket")
    >>> "L1 --> L2.queued: escalate [group_at_L2]" in text
    True
    """
    workflow = WORKFLOWS.get(kind)
    if workflow is None:
        known = ", ".join(sorted(WORKFLOWS))
        raise ValidationError(f"no workflow called {kind!r}; known: {known}")
    return draw(workflow, internal=internal)


def draw(workflow: Workflow[Any], *, internal: bool = False) -> str:
    """The mermaid text of one workflow (see `diagram`)."""
    transitions = workflow.transitions
    if not internal:
        transitions = [t for t in transitions if t["dest"] is not None]
    canvas = _Canvas()
    _DottedGraphMachine(
        model=canvas,
        states=workflow.states,
        transitions=transitions,
        initial=workflow.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=workflow.title,
    )
    text: str = canvas.get_graph().draw(None)  # type: ignore[attr-defined]
    return "\n".join(line for line in text.splitlines() if not _is_styling(line)) + "\n"


def _is_styling(line: str) -> bool:
    """Drop the 'current state' colouring: a definition has no current state."""
    stripped = line.strip()
    return stripped.startswith(("classDef ", "Class ", "class "))
