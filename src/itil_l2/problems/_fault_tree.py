"""Fault tree analysis: AND/OR gates over basic events, and the minimal cut sets."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError
from itil_l2.problems._rca_methods import RcaMethod, flag, tuple_of

__all__ = ["MAX_FAULT_TREE_DEPTH", "FaultGate", "FaultNode", "FaultTree"]


class FaultGate(StrEnum):
    """How a fault tree node's children combine into it."""

    AND = "and"
    OR = "or"


MAX_FAULT_TREE_DEPTH = 100
"""How many levels a fault tree may have: deeper ones could be made but not stored (JSON
nesting is encoded and decoded recursively), so they are refused when made."""


def _gate_has_children(inst: FaultNode, _attr: object, value: tuple[FaultNode, ...]) -> None:
    if (inst.gate is None) != (not value):
        raise ValidationError(f"{inst.event!r}: a gate needs children, a basic event has none")
    if value and 1 + max(map(_depth, value)) > MAX_FAULT_TREE_DEPTH:
        raise ValidationError(
            f"{inst.event!r}: a fault tree may be {MAX_FAULT_TREE_DEPTH} levels deep at most"
        )


def _depth(node: FaultNode) -> int:
    """Levels of `node`'s tree, walked without recursion (each child was checked when made)."""
    depth, level = 0, [node]
    while level:
        depth += 1
        level = [child for n in level for child in n.children]
    return depth


def _children(value: Any) -> tuple[FaultNode, ...]:
    return tuple_of(value, FaultNode, "children")


@frozen
class FaultNode:
    """An event in a fault tree: a basic event (no gate), or a gate over child events.

    `confirmed` marks a basic event the evidence shows did happen.
    """

    event: str = attrs.field(validator=_checks.text)
    gate: FaultGate | None = attrs.field(default=None, validator=_checks.optional_member(FaultGate))
    children: tuple[FaultNode, ...] = attrs.field(
        default=(), converter=_children, validator=_gate_has_children
    )
    confirmed: bool = attrs.field(default=False, validator=flag)


def _node(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, FaultNode):
        raise ValidationError(f"{attribute.name} must be a FaultNode, got {value!r}")


def _cut_sets(node: FaultNode) -> frozenset[frozenset[str]]:
    if node.gate is None:
        return frozenset({frozenset({node.event})})
    below = [_cut_sets(child) for child in node.children]
    if node.gate is FaultGate.OR:
        found = frozenset().union(*below)
    else:
        found = frozenset(frozenset().union(*combo) for combo in itertools.product(*below))
    return frozenset(s for s in found if not any(other < s for other in found))


def _basic(node: FaultNode) -> Iterable[FaultNode]:
    if node.gate is None:
        yield node
    for child in node.children:
        yield from _basic(child)


@frozen
class FaultTree:
    """A fault tree under one top event; its minimal cut sets say what suffices for it.

    >>> from itil_l2.problems.rca import FaultGate, FaultNode, FaultTree
    >>> tree = FaultTree(FaultNode("orders fail", FaultGate.OR, (
    ...     FaultNode("listener down", FaultGate.AND, (
    ...         FaultNode("log volume full", confirmed=True),
    ...         FaultNode("no log rotation", confirmed=True))),
    ...     FaultNode("network outage"))))
    >>> [sorted(s) for s in tree.minimal_cut_sets()]
    [['network outage'], ['log volume full', 'no log rotation']]
    >>> tree.missing_parts()
    ()
    """

    top: FaultNode = attrs.field(validator=_node)

    @property
    def method(self) -> str:
        """`fault_tree`."""
        return RcaMethod.FAULT_TREE.value

    def basic_events(self) -> tuple[str, ...]:
        """Every basic event's name, sorted, once each."""
        return tuple(sorted({node.event for node in _basic(self.top)}))

    def minimal_cut_sets(self) -> tuple[frozenset[str], ...]:
        """Smallest sets of basic events that together cause the top event."""
        return tuple(sorted(_cut_sets(self.top), key=lambda s: (len(s), sorted(s))))

    def confirmed_cut_sets(self) -> tuple[frozenset[str], ...]:
        """Minimal cut sets whose basic events are all confirmed: the explanations."""
        confirmed = {node.event for node in _basic(self.top) if node.confirmed}
        return tuple(s for s in self.minimal_cut_sets() if s <= confirmed)

    def missing_parts(self) -> tuple[str, ...]:
        """A minimal cut set whose basic events are all confirmed."""
        if self.confirmed_cut_sets():
            return ()
        return ("fault tree: a minimal cut set whose basic events are all confirmed",)
