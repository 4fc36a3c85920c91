"""Forged configuration-item histories: one legal history, each case breaks one rule.

The original is written by the public triggers (register, change_status,
update_attributes, apply_resolution_changes, relate, update, unrelate) at
fixed times; every case changes one event the way a hand-edited row would.
Forced payloads skip their validators, so only the rule replay runs can
refuse them.
"""

from __future__ import annotations

from typing import Any

import attrs

from forged import Forged, forced, with_payload
from itil_l2 import ConfigurationItem, InvalidTransition, Ticket, ValidationError
from itil_l2.cmdb import CiChangeConflict, CiStatus, ResolutionAlreadyApplied, UnknownRelation
from itil_l2.cmdb.events import (
    AttributeChange,
    CiAttributesUpdated,
    CiDetailsUpdated,
    CiKind,
    CiRegistered,
    CiRelated,
    CiResolutionChangesApplied,
    CiStatusChanged,
    CiUnrelated,
    Relation,
    RelationKind,
)
from itil_l2.errors import DuplicateLink
from itil_l2.tickets import CiChange
from support import BOB, DBA, FIXED, Clock, at_l2

__all__ = ["CASES"]

DB = "db-prod-3"
RUNS_ON_SRV = Relation(RelationKind.RUNS_ON, "srv-7")


def _resolved(clock: Clock, id: str, *changes: CiChange) -> Ticket:
    ticket = at_l2(clock)
    if id != ticket.id:
        ticket = Ticket.from_history(attrs.evolve(e, entity_id=id) for e in ticket.history)
    ticket.resolve(attrs.evolve(FIXED, ci_changes=changes), at=clock(), actor=BOB)
    return ticket


def _original() -> tuple[Any, ...]:
    """Nine events from the triggers, at fixed times one minute apart."""
    clock = Clock()
    patch = _resolved(clock, "INC-1", CiChange(DB, "patch", "19.3.0", "19.3.1"))
    confirm = _resolved(clock, "INC-2", CiChange(DB, "ram_gb", 128, 128))
    ci = ConfigurationItem.register(
        id=DB,
        name="Orders database",
        kind=CiKind.DATABASE,
        support_group=DBA,
        attributes={"patch": "19.3.0", "ram_gb": 64},
        relations=[RUNS_ON_SRV],
        at=clock(),
        actor=BOB,
    )  # 1
    ci.change_status(CiStatus.ACTIVE, at=clock(), actor=BOB)  # 2
    ci.update_attributes({"site": "FRA", "ram_gb": 128}, at=clock(), actor=BOB)  # 3
    ci.apply_resolution_changes(patch, at=clock(), actor=BOB)  # 4
    ci.relate(RelationKind.DEPENDS_ON, "san-1", at=clock(), actor=BOB)  # 5
    ci.update(owner="erp-team", at=clock(), actor=BOB)  # 6
    ci.unrelate(RelationKind.RUNS_ON, "srv-7", at=clock(), actor=BOB)  # 7
    ci.change_status(CiStatus.MAINTENANCE, at=clock(), actor=BOB, reason="firmware")  # 8
    ci.apply_resolution_changes(confirm, at=clock(), actor=BOB)  # 9: a confirmation
    return ci.history


ORIGINAL = _original()
REGISTERED: CiRegistered = ORIGINAL[0].payload


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


def _fields(payload: Any) -> dict[str, Any]:
    return attrs.asdict(payload, recurse=False)


def _case(name: str, events: tuple[Any, ...], rule: type[Exception]) -> Forged:
    return Forged(f"cmdb: {name}", ConfigurationItem, ORIGINAL, events, rule)


def _attributes(*changes: AttributeChange) -> tuple[Any, ...]:
    """The original with event 3 (the attribute update) recording `changes` instead."""
    return with_payload(ORIGINAL, 3, CiAttributesUpdated(changes))


CASES: list[Forged] = [
    # registration (the creation rule, run by `_first`)
    _case(
        "registration relates the CI to itself",
        with_payload(
            ORIGINAL, 1, attrs.evolve(REGISTERED, relations=(Relation(RelationKind.RUNS_ON, DB),))
        ),
        ValidationError,
    ),
    _case(
        "registration gives a relation twice",
        with_payload(ORIGINAL, 1, attrs.evolve(REGISTERED, relations=(RUNS_ON_SRV, RUNS_ON_SRV))),
        DuplicateLink,
    ),
    _case(
        "registration with a blank name (forced past its validator)",
        with_payload(ORIGINAL, 1, forced(CiRegistered, **{**_fields(REGISTERED), "name": "  "})),
        ValidationError,
    ),
    # status changes: the lifecycle's to_<status> conditions check the recorded old status
    _case(
        "a status change records a false old status",
        with_payload(ORIGINAL, 2, CiStatusChanged(CiStatus.MAINTENANCE, CiStatus.ACTIVE)),
        InvalidTransition,
    ),
    # attribute updates
    _case("an attribute update that changes nothing", _attributes(), ValidationError),
    _case(
        "an attribute update with a false old value",
        _attributes(AttributeChange("site", None, "FRA"), AttributeChange("ram_gb", 32, 128)),
        CiChangeConflict,
    ),
    _case(
        "an attribute update that leaves a value as it is",
        _attributes(AttributeChange("site", None, "FRA"), AttributeChange("ram_gb", 64, 64)),
        ValidationError,
    ),
    _case(
        "an attribute update that changes one attribute twice",
        _attributes(AttributeChange("site", None, "FRA"), AttributeChange("site", None, "MUC")),
        ValidationError,
    ),
    _case(
        "an attribute update with a blank name (forced past its validator)",
        _attributes(forced(AttributeChange, attribute="  ", old=None, new="FRA")),
        ValidationError,
    ),
    _case(
        "an attribute value nested 40 levels deep (forced past its validator)",
        _attributes(forced(AttributeChange, attribute="site", old=None, new=_nested(40))),
        ValidationError,
    ),
    _case(
        "an attribute value of 10**30 (forced past its validator)",
        _attributes(forced(AttributeChange, attribute="ram_gb", old=64, new=10**30)),
        ValidationError,
    ),
    # resolution changes
    _case(
        "resolution changes with a stale old value",
        with_payload(
            ORIGINAL,
            4,
            CiResolutionChangesApplied("INC-1", (AttributeChange("patch", "19.2.0", "19.3.1"),)),
        ),
        CiChangeConflict,
    ),
    _case(
        "resolution changes that record no change",
        with_payload(ORIGINAL, 4, CiResolutionChangesApplied("INC-1", ())),
        ValidationError,
    ),
    _case(
        "a ticket's changes applied twice",
        (*ORIGINAL, attrs.evolve(ORIGINAL[8], version=10)),
        ResolutionAlreadyApplied,
    ),
    # relations
    _case(
        "a relation added twice",
        with_payload(ORIGINAL, 5, CiRelated(RUNS_ON_SRV)),
        DuplicateLink,
    ),
    _case(
        "a relation to the CI itself",
        with_payload(ORIGINAL, 5, CiRelated(Relation(RelationKind.DEPENDS_ON, DB))),
        ValidationError,
    ),
    _case(
        "a relation to a blank target (forced past its validator)",
        with_payload(
            ORIGINAL, 5, CiRelated(forced(Relation, kind=RelationKind.DEPENDS_ON, target=" "))
        ),
        ValidationError,
    ),
    _case(
        "a relation removed that was never there",
        with_payload(ORIGINAL, 7, CiUnrelated(Relation(RelationKind.DEPENDS_ON, "nowhere"))),
        UnknownRelation,
    ),
    # details
    _case(
        "a details update that changes nothing",
        with_payload(ORIGINAL, 6, CiDetailsUpdated("Orders database", None, DBA)),
        ValidationError,
    ),
    _case(
        "a details update with a blank owner (forced past its validator)",
        with_payload(
            ORIGINAL,
            6,
            forced(CiDetailsUpdated, name="Orders database", owner=" ", support_group=DBA),
        ),
        ValidationError,
    ),
]
