"""Configuration-item vocabularies and domain events.

A CI's history is a tuple of `CiEvent`s; replaying it through the CI
lifecycle (`ConfigurationItem.from_history`) rebuilds the CI exactly.
Payloads hold only values, so the history serialises to JSON through cattrs.
Each payload checks its own values (types, non-blank texts, bounded JSON)
when it is made, by a trigger or from stored JSON alike; the rules that need
the CI (`itil_l2.cmdb._rules`) run in the trigger engine, live and on replay.

Relation semantics (the direction a failure travels) are the heart of impact
analysis; they are stated once, on `RelationKind`, and followed by
`itil_l2.cmdb.CmdbGraph`. `HealthState` (ok, warning, failed) is the
vocabulary of health propagation; it lives here, with the other CMDB words, so
the graph holds only the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import attrs
from attrs import field, frozen

from itil_l2._core import checks as _checks
from itil_l2._core.entity import Event
from itil_l2._core.serialization import UPCASTERS, rename_entity_id
from itil_l2._core.tier import SupportGroup
from itil_l2.cmdb._workflow import CiStatus, CiTrigger
from itil_l2.errors import ValidationError

__all__ = [
    "AttributeChange",
    "AttributeRecord",
    "CiAttributesUpdated",
    "CiDetailsUpdated",
    "CiEvent",
    "CiKind",
    "CiPayload",
    "CiRegistered",
    "CiRelated",
    "CiResolutionChangesApplied",
    "CiStatusChanged",
    "CiUnrelated",
    "HealthState",
    "Relation",
    "RelationKind",
]

SCHEMA_VERSION = 2
"""2 since 0.2.0: the envelope names the entity `entity_id` (was `ci_id`)."""

UPCASTERS.register("ci", 1, rename_entity_id("ci_id"))
_set = object.__setattr__


class CiKind(StrEnum):
    """What a configuration item is (the issue's CI "type").

    Only `SERVICE` is special: a service's health is the worst health of its
    productive members (see `CmdbGraph.propagate`).
    """

    SERVER = "server"
    NETWORK_DEVICE = "network_device"
    DATABASE = "database"
    APPLICATION = "application"
    SERVICE = "service"


class RelationKind(StrEnum):
    """A typed, directed relation stored on its source CI: "source <kind> target".

    Which way a failure travels:

    - `DEPENDS_ON`: "A depends_on B" — B failing impacts A.
    - `RUNS_ON`: "A runs_on B" (application on server) — B failing impacts A.
    - `INCLUDES`: "A includes B" (a service includes its components) — B
      failing impacts A; B is one of A's *members* for service health.
    - `CONNECTS_TO`: "A connects_to B" is a peer link (two network devices, an
      application and the queue it talks to). It says nothing about who needs
      whom, so by default it does **not** propagate. A graph built with
      `propagating` including it treats it as symmetric: either end failing
      impacts the other (like adding the relation once in each direction).
    """

    DEPENDS_ON = "depends_on"
    RUNS_ON = "runs_on"
    CONNECTS_TO = "connects_to"
    INCLUDES = "includes"


class HealthState(StrEnum):
    """A CI's operational health: ok < warning < failed (Znuny: operational, warning, incident).

    >>> from itil_l2.cmdb.events import HealthState
    >>> HealthState.WARNING < HealthState.FAILED, max(HealthState.OK, HealthState.WARNING)
    (True, <HealthState.WARNING: 'warning'>)
    """

    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"

    @property
    def level(self) -> int:
        """0, 1 or 2: the order used to take "the worst" state."""
        return _LEVEL[self]

    def __lt__(self, other: object) -> bool:
        return _compare(self, other, lambda a, b: a < b)

    def __le__(self, other: object) -> bool:
        return _compare(self, other, lambda a, b: a <= b)

    def __gt__(self, other: object) -> bool:
        return _compare(self, other, lambda a, b: a > b)

    def __ge__(self, other: object) -> bool:
        return _compare(self, other, lambda a, b: a >= b)


def _compare(a: HealthState, b: object, op: Callable[[int, int], bool]) -> bool:
    if not isinstance(b, HealthState):
        raise TypeError(f"cannot compare a HealthState with {type(b).__name__}")
    return op(_LEVEL[a], _LEVEL[b])


_LEVEL = {HealthState.OK: 0, HealthState.WARNING: 1, HealthState.FAILED: 2}


@frozen
class Relation:
    """One outgoing relation of a CI, e.g. `Relation(RelationKind.RUNS_ON, "srv-1")`.

    >>> Relation(RelationKind.DEPENDS_ON, "db-prod-3").target
    'db-prod-3'
    """

    kind: RelationKind = attrs.field(validator=_checks.member(RelationKind))
    target: str = attrs.field(validator=_checks.identifier)


def _tuple_of(kind: type[Any]) -> Any:
    """A validator demanding a tuple of `kind` instances."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ValidationError(f"{attribute.name} must be a tuple of {kind.__name__} values")

    return check


def _json_value(inst: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """A JSON-safe value within the bounds of `json_safe` (None: absent)."""
    _checks.json_safe(value, f"{attribute.name} value of {inst.attribute!r}")


def _attributes(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A bounded JSON mapping of non-blank names to present (non-None) values."""
    _checks.json_mapping(inst, attribute, value)
    for key, item in value.items():  # type: ignore[attr-defined]  # a Mapping: checked above
        _checks.check_text(key, "attribute name")
        if item is None:
            raise ValidationError(f"attribute {key!r} is None; leave absent ones out")


@frozen
class AttributeChange:
    """One attribute's old and new value; None on either side means "absent"."""

    attribute: str = attrs.field(validator=_checks.text)
    old: Any = attrs.field(validator=_json_value)
    new: Any = attrs.field(validator=_json_value)


@frozen
class CiRegistered:
    """The CI was recorded in the CMDB (always as planned); carries every initial field."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.REGISTER
    name: str = field(validator=_checks.identifier)
    kind: CiKind = field(validator=_checks.member(CiKind))
    support_group: SupportGroup = field(validator=_checks.instance(SupportGroup))
    owner: str | None = field(validator=_checks.optional_identifier)
    relations: tuple[Relation, ...] = field(validator=_tuple_of(Relation))
    attributes: dict[str, Any] = field(factory=dict, validator=_attributes)


@frozen
class CiStatusChanged:
    """The lifecycle status changed (e.g. active → maintenance), perhaps with a reason."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.CHANGE_STATUS
    old: CiStatus = field(validator=_checks.member(CiStatus))
    new: CiStatus = field(validator=_checks.member(CiStatus))
    reason: str | None = field(default=None, validator=_checks.optional_text)


@frozen
class CiDetailsUpdated:
    """Name, owner or support group changed; holds the complete new values."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.UPDATE
    name: str = field(validator=_checks.identifier)
    owner: str | None = field(validator=_checks.optional_identifier)
    support_group: SupportGroup = field(validator=_checks.instance(SupportGroup))


@frozen
class CiAttributesUpdated:
    """Attributes changed by hand (or by a sync), one change per attribute."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.UPDATE_ATTRIBUTES
    changes: tuple[AttributeChange, ...] = field(validator=_tuple_of(AttributeChange))


@frozen
class CiResolutionChangesApplied:
    """The CI changes a ticket's resolution recorded were applied; names the ticket."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.APPLY_RESOLUTION_CHANGES
    ticket_id: str = field(validator=_checks.identifier)
    changes: tuple[AttributeChange, ...] = field(validator=_tuple_of(AttributeChange))


@frozen
class CiRelated:
    """A relation to another CI was added."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.RELATE
    relation: Relation = field(validator=_checks.instance(Relation))


@frozen
class CiUnrelated:
    """A relation to another CI was removed."""

    TRIGGER: ClassVar[CiTrigger] = CiTrigger.UNRELATE
    relation: Relation = field(validator=_checks.instance(Relation))


CiPayload = (
    CiRegistered
    | CiStatusChanged
    | CiDetailsUpdated
    | CiAttributesUpdated
    | CiResolutionChangesApplied
    | CiRelated
    | CiUnrelated
)


@frozen
class CiEvent(Event[CiPayload]):
    """One change to one CI: who, when, what, and the resulting version.

    `schema` is the event format version, so stored events can be upcast later.
    """

    schema: int = SCHEMA_VERSION


@frozen
class AttributeRecord:
    """One attribute change read back from a CI's history (for audits and reports)."""

    attribute: str
    old: Any
    new: Any
    at: datetime
    actor_id: str
    version: int
    ticket_id: str | None
