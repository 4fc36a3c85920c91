"""Batch rules: a metric's rule restated over a chunk of facts at once.

A KPI set over a million tickets calls each metric's rule once per ticket,
and a Python call costs more than the rule's own work. A standard metric
therefore also carries its rule restated as a *batch rule*: given the
`Columns` of a chunk (one list per `KpiFacts` attribute, read once per
chunk and shared by every metric), it returns the outcome of every ticket
in one list comprehension, with no call per ticket.

A batch rule returns either every ticket's outcome (a list) or a `Split`:
the tickets it excludes, with why, as an `Excluded` that metrics excluding
alike share (`Columns.excluded`: made once a chunk), and the outcomes of
the tickets it measures. The engine then adds the shared exclusions and
the measured outcomes with C-level list operations: no pass per metric
over every ticket to sort exclusion reasons from outcomes.

A batch rule must give exactly what the rule gives, ticket by ticket
(the same True/False, number or exclusion reason): the engine uses
whichever is there, and `tests/test_kpi_batch.py` holds every standard
metric to it on drawn and stored facts. Metrics a host defines have no
batch rule and run through their rule, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from itertools import compress, repeat
from operator import attrgetter, is_
from typing import Any, TypeVar

from itil_l2.kpis._facts import KpiFacts

__all__ = ["BatchRule", "Columns", "Excluded", "Split", "batch_of", "with_batch"]


_HOUR = timedelta(hours=1)


class Columns:
    """One list per fact over a chunk of tickets, each made on first use and shared.

    The names a batch rule reads: the `KpiFacts` attributes `id`, `end_kind`,
    `successful` (a bool), `tier_mask`, `escalation_mask`, `hand_back_mask`,
    `group_changes`, `ping_pongs`, `reopens`, `resolved_tier` and
    `owner_tier` (a `Tier` or None); `end_group_name`; `h4` … `h15` (the
    wall-clock hours `KpiFacts.hours[slot]`); and `to_end`, `to_responded`,
    `to_restored`: the hours from opened to that moment, None without one.
    This class reads them from `KpiFacts`; a store's rows give them too
    (`itil_l2.kpis._columnar`), without a `KpiFacts` per ticket.
    """

    __slots__ = ("_excluded", "_facts", "_read")

    def __init__(self, facts: Sequence[KpiFacts]) -> None:
        self._facts = facts
        self._read: dict[str, list[Any]] = {}
        self._excluded: dict[str, Excluded] = {}

    def __len__(self) -> int:
        return len(self._facts)

    def __getitem__(self, name: str) -> list[Any]:
        column = self._read.get(name)
        if column is None:
            column = self._read[name] = self._column(name)
        return column

    def excluded(self, key: str, reasons: Callable[[], list[str | None]]) -> Excluded:
        """The exclusions several batch rules share (made by the first): `key` names them.

        `reasons()` gives, per ticket, why it is excluded, or None when it is measured.
        """
        found = self._excluded.get(key)
        if found is None:
            found = self._excluded[key] = Excluded(reasons())
        return found

    def facts(self) -> Sequence[KpiFacts]:
        """The facts themselves (for a metric without a batch rule)."""
        return self._facts

    def _column(self, name: str) -> list[Any]:
        facts = self._facts
        if name == "end_group_name":
            return [f.end_group.name for f in facts]
        if name[0] == "h" and name[1:].isdigit():
            slot = int(name[1:])
            return [f.hours[slot] for f in facts]
        moment = _MOMENTS.get(name)
        if moment is not None:
            return [
                None if at is None else (at - opened) / _HOUR
                for at, opened in zip(
                    map(attrgetter(moment), facts), self["opened_at"], strict=True
                )
            ]
        return list(map(attrgetter(name), facts))


_MOMENTS = {"to_end": "end_at", "to_responded": "responded_at", "to_restored": "restored_at"}


class Excluded:
    """Which tickets of a chunk a rule leaves out and why (`reasons`: None = measured)."""

    __slots__ = ("keep", "measured", "reasons")

    def __init__(self, reasons: list[str | None]) -> None:
        self.reasons = reasons
        self.measured = reasons.count(None)
        """How many tickets are measured."""
        everyone = self.measured == len(reasons)
        self.keep: list[bool] | None = None if everyone else list(map(is_, reasons, repeat(None)))
        """Per ticket, whether it is measured; None when every ticket is."""

    def kept(self, column: Sequence[Any]) -> Sequence[Any]:
        """`column`'s values of the measured tickets (read only: it may be `column` itself)."""
        return column if self.keep is None else list(compress(column, self.keep))


class Split:
    """A batch rule's outcomes: `excluded` (shared), and `values` of the measured tickets."""

    __slots__ = ("excluded", "values")

    def __init__(self, excluded: Excluded, values: Sequence[Any]) -> None:
        if len(values) != excluded.measured:  # a batch rule's own error, never the data's
            raise AssertionError(
                f"a Split of {len(values)} values for {excluded.measured} measured tickets"
            )
        self.excluded = excluded
        self.values = values

    def outcomes(self) -> list[Any]:
        """Every ticket's outcome, in order: its exclusion reason or its value."""
        values = iter(self.values)
        return [next(values) if r is None else r for r in self.excluded.reasons]


BatchRule = Callable[[Columns], list[Any] | Split]
_ATTRIBUTE = "_itil_l2_batch"
R = TypeVar("R")


def with_batch(rule: R, batch: BatchRule) -> R:
    """`rule`, carrying `batch` (its restatement over a chunk) for the engine."""
    setattr(rule, _ATTRIBUTE, batch)
    return rule


def batch_of(rule: object) -> BatchRule | None:
    """The batch rule `rule` carries, or None (a rule of the host's own)."""
    batch: BatchRule | None = getattr(rule, _ATTRIBUTE, None)
    return batch
