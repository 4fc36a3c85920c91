"""The two row shapes every storage adapter stores: a head per aggregate, its events.

A `Head` is one row per aggregate: its identity, its version (the number of
stored events, checked on save) and the facts queries filter on, as plain
columns an adapter can index. The head also holds the entity's view
(`itil_l2.views`) as JSON text, so a list returns views without replaying
histories. An `EventRow` is one stored event: version, schema version, time,
trigger, and the event as JSON text (cattrs-unstructured).
Adapters never look inside the JSON; the library encodes and decodes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from attrs import field, frozen

__all__ = ["EventRow", "FactsRow", "Head", "Notice", "Stream"]


class FactsRow(Protocol):
    """What a head carries of a ticket's KPI facts (`itil_l2.storage.stored_facts`)."""

    @property
    def row(self) -> tuple[Any, ...]:
        """The row of `itil_l2.kpis.FACTS_COLUMNS` an adapter stores with the head."""
        ...


@frozen
class Head:
    """One aggregate's current facts: the indexed columns of its row."""

    id: str
    version: int
    state: str
    tier: str | None = None
    group: str | None = None
    priority: int | None = None
    category: str | None = None
    opened_at: datetime | None = None
    resolved_at: datetime | None = None
    updated_at: datetime | None = None
    ci_refs: tuple[str, ...] = ()
    assignee: str | None = None
    caller: str | None = None
    title_key: str | None = None
    """The title (a problem's statement, a CI's name) casefolded, for text search."""
    view: str | None = None
    """The entity's view (`itil_l2.views`) as JSON text, for lists without replay.

    None in rows written before views were stored (and by adapters that do
    not keep them); such a row's other view columns are None too, and a list
    replays the entity instead.
    """
    facts: FactsRow | None = field(default=None, eq=False)
    """A ticket's KPI facts (`facts.row`), which an adapter writes with the head.

    Only on heads the store writes (None on read heads); not compared.
    """


@frozen
class EventRow:
    """One stored event; `data` is its JSON text, `schema` the format it was written in."""

    version: int
    schema: int
    at: datetime
    type: str
    data: str


@frozen
class Stream:
    """A stored aggregate as an adapter returns it: its head and all its events, in order."""

    head: Head
    events: tuple[EventRow, ...]


@frozen
class Notice:
    """One row of the notification log: an event row with its position and aggregate.

    `position` numbers a tenant's stored events 1, 2, 3, ... in commit order,
    without gaps: an adapter assigns them inside the write transaction, so a
    rolled-back write takes none.
    """

    position: int
    kind: str
    id: str
    row: EventRow
