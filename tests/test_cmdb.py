"""The ConfigurationItem entity: lifecycle table, atomic refusals, history, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from itil_l2 import (
    SYSTEM,
    Actor,
    CmdbConfig,
    ConfigurationItem,
    CorruptHistory,
    InvalidTransition,
    NotPermitted,
    Ticket,
    ValidationError,
)
from itil_l2.cmdb import (
    CiChangeConflict,
    CiStatus,
    CiTrigger,
    ResolutionAlreadyApplied,
    UnknownRelation,
    apply_resolution,
    ci_changes_for,
)
from itil_l2.cmdb.events import (
    AttributeChange,
    CiEvent,
    CiKind,
    CiStatusChanged,
    Relation,
    RelationKind,
)
from itil_l2.errors import DuplicateLink, EventOutOfOrder, NaiveDatetime
from itil_l2.storage import entity_from_json, entity_to_json
from itil_l2.testing import snapshot
from itil_l2.tickets import CiChange
from support import ANN, BOB, DBA, FIXED, NET, NINA, Clock, at_l2

DB = "db-prod-3"


def register(clock: Clock, **fields: Any) -> ConfigurationItem:
    values: dict[str, Any] = {
        "id": DB,
        "name": "Orders database",
        "kind": CiKind.DATABASE,
        "support_group": DBA,
        "attributes": {"patch": "19.3.0", "ram_gb": 64},
        "relations": [Relation(RelationKind.RUNS_ON, "srv-7")],
        "at": clock(),
        "actor": BOB,
        **fields,
    }
    return ConfigurationItem.register(**values)


_PATHS = {
    CiStatus.PLANNED: [],
    CiStatus.ACTIVE: [CiStatus.ACTIVE],
    CiStatus.MAINTENANCE: [CiStatus.ACTIVE, CiStatus.MAINTENANCE],
    CiStatus.RETIRED: [CiStatus.ACTIVE, CiStatus.RETIRED],
}


def ci_in(clock: Clock, status: CiStatus, **fields: Any) -> ConfigurationItem:
    ci = register(clock, **fields)
    for step in _PATHS[status]:
        ci.change_status(step, at=clock(), actor=BOB)
    assert ci.status is status
    return ci


def resolved_ticket(clock: Clock, *changes: CiChange, id: str = "INC-1") -> Ticket:
    t = at_l2(clock)
    if id != "INC-1":
        t = Ticket.from_history(attrs.evolve(e, entity_id=id) for e in t.history)
    t.resolve(attrs.evolve(FIXED, ci_changes=changes), at=clock(), actor=BOB)
    return t


PATCH = CiChange(DB, "patch", "19.3.0", "19.3.1")


def same(a: ConfigurationItem, b: ConfigurationItem) -> None:
    assert snapshot(a) == snapshot(b)  # the pending-events marker is not in a snapshot


# -- the lifecycle table ------------------------------------------------------------

Action = Callable[[ConfigurationItem, Clock], None]


def _status(to: CiStatus) -> Action:
    return lambda ci, clock: ci.change_status(to, at=clock(), actor=BOB)


ACTIONS: dict[str, Action] = {
    "to_planned": _status(CiStatus.PLANNED),
    "to_active": _status(CiStatus.ACTIVE),
    "to_maintenance": _status(CiStatus.MAINTENANCE),
    "to_retired": _status(CiStatus.RETIRED),
    "update": lambda ci, clock: ci.update(name="Orders DB (new)", at=clock(), actor=BOB),
    "update_attributes": lambda ci, clock: ci.update_attributes(
        {"site": "FRA"}, at=clock(), actor=BOB
    ),
    "apply_resolution_changes": lambda ci, clock: ci.apply_resolution_changes(
        resolved_ticket(clock, PATCH), at=clock(), actor=BOB
    ),
    "relate": lambda ci, clock: ci.relate(RelationKind.DEPENDS_ON, "net-1", at=clock(), actor=BOB),
    "unrelate": lambda ci, clock: ci.unrelate(RelationKind.RUNS_ON, "srv-7", at=clock(), actor=BOB),
}

P, A, M, R = "planned", "active", "maintenance", "retired"
# status -> action -> resulting status (None: refused with InvalidTransition)
LIFECYCLE: dict[str, dict[str, str | None]] = {
    P: {"to_planned": None, "to_active": A, "to_maintenance": None, "to_retired": R,
        "update": P, "update_attributes": P, "apply_resolution_changes": P, "relate": P,
        "unrelate": P},
    A: {"to_planned": None, "to_active": None, "to_maintenance": M, "to_retired": R,
        "update": A, "update_attributes": A, "apply_resolution_changes": A, "relate": A,
        "unrelate": A},
    M: {"to_planned": None, "to_active": A, "to_maintenance": None, "to_retired": R,
        "update": M, "update_attributes": M, "apply_resolution_changes": M, "relate": M,
        "unrelate": M},
    R: {"to_planned": None, "to_active": None, "to_maintenance": None, "to_retired": None,
        "update": None, "update_attributes": None, "apply_resolution_changes": None,
        "relate": None, "unrelate": R},
}  # fmt: skip
ROWS = [(s, a, dest) for s, row in LIFECYCLE.items() for a, dest in row.items()]


@pytest.mark.parametrize(("status", "action", "dest"), ROWS)
def test_lifecycle_table(clock: Clock, status: str, action: str, dest: str | None) -> None:
    ci = ci_in(clock, CiStatus(status))
    if dest is None:
        before = snapshot(ci)
        with pytest.raises(InvalidTransition):
            ACTIONS[action](ci, clock)
        assert snapshot(ci) == before
    else:
        version = ci.version
        ACTIONS[action](ci, clock)
        assert ci.status is CiStatus(dest)
        assert ci.version == version + 1  # every trigger appends exactly one event
        assert ci.pending_events()[-1] is ci.history[-1]


def test_table_covers_every_status_and_trigger() -> None:
    assert set(LIFECYCLE) == {s.value for s in CiStatus}
    for row in LIFECYCLE.values():
        assert set(row) == set(ACTIONS)
    assert set(ACTIONS) - {f"to_{s.value}" for s in CiStatus} | {"change_status"} == {
        t.value for t in CiTrigger if t is not CiTrigger.REGISTER
    }


def test_refused_status_change_names_the_possible_ones(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    with pytest.raises(InvalidTransition, match="maintenance, retired") as info:
        ci.change_status(CiStatus.PLANNED, at=clock(), actor=BOB)
    assert info.value.phase == "active" and info.value.tier is None
    assert ci.allowed_triggers() == tuple(sorted(info.value.allowed))


# -- registration and simple triggers ---------------------------------------------


def test_register_starts_planned_with_its_facts(clock: Clock) -> None:
    ci = register(clock, owner="erp-team")
    assert (ci.id, ci.name, ci.kind, ci.support_group, ci.owner) == (
        DB,
        "Orders database",
        CiKind.DATABASE,
        DBA,
        "erp-team",
    )
    assert ci.status is CiStatus.PLANNED and not ci.productive
    assert dict(ci.attributes) == {"patch": "19.3.0", "ram_gb": 64}
    assert ci.relations == (Relation(RelationKind.RUNS_ON, "srv-7"),)
    assert ci.version == 1 and ci.history[0].kind == "register"
    assert repr(ci) == f"<ConfigurationItem {DB} database planned v1>"
    ci.change_status(CiStatus.ACTIVE, at=clock(), actor=BOB)
    assert ci.productive


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"attributes": {"patch": None}}, ValidationError),
        ({"attributes": {" ": 1}}, ValidationError),
        ({"attributes": {"when": object()}}, ValidationError),
        ({"attributes": {"x": float("nan")}}, ValidationError),
        ({"name": "  "}, ValidationError),
        ({"id": ""}, ValidationError),
        ({"kind": "database"}, ValidationError),
        ({"support_group": "database-l2"}, ValidationError),
        ({"relations": [Relation(RelationKind.DEPENDS_ON, DB)]}, ValidationError),
        ({"relations": [Relation(RelationKind.RUNS_ON, "s")] * 2}, DuplicateLink),
        ({"relations": Relation(RelationKind.RUNS_ON, "s")}, ValidationError),
        ({"actor": "bob"}, ValidationError),
    ],
)
def test_register_refuses_bad_input(
    clock: Clock, fields: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        register(clock, **fields)


def test_register_refuses_naive_time(clock: Clock) -> None:
    with pytest.raises(NaiveDatetime):
        register(clock, at=clock().replace(tzinfo=None))


def test_attributes_are_read_only_and_copied(clock: Clock) -> None:
    given = {"tags": ["a"]}
    ci = register(clock, attributes=given)
    given["tags"].append("b")
    assert ci.attributes["tags"] == ("a",)  # a copy, deeply read-only
    with pytest.raises(TypeError):
        ci.attributes["tags"] = []  # type: ignore[index]


def test_update_changes_details_and_refuses_no_change(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    ci.update(support_group=NET, owner="net-team", at=clock(), actor=BOB)
    assert (ci.name, ci.owner, ci.support_group) == ("Orders database", "net-team", NET)
    before = snapshot(ci)
    with pytest.raises(ValidationError, match="changes nothing"):
        ci.update(owner="net-team", at=clock(), actor=NINA)
    with pytest.raises(ValidationError):
        ci.update(name="", at=clock(), actor=NINA)
    assert snapshot(ci) == before
    ci.update(owner=None, at=clock(), actor=NINA)  # NINA is in the new group now
    assert ci.owner is None


def test_update_attributes_sets_removes_and_records_old_values(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    ci.update_attributes({"ram_gb": 128, "patch": None, "site": "FRA"}, at=clock(), actor=BOB)
    assert dict(ci.attributes) == {"ram_gb": 128, "site": "FRA"}
    assert ci.history[-1].payload.changes == (
        AttributeChange("ram_gb", 64, 128),
        AttributeChange("patch", "19.3.0", None),
        AttributeChange("site", None, "FRA"),
    )
    before = snapshot(ci)
    with pytest.raises(ValidationError, match="changes nothing"):
        ci.update_attributes({"ram_gb": 128, "gone": None}, at=clock(), actor=BOB)
    for bad in ({"": 1}, {"x": {1, 2}}, {1: "x"}, ["x"]):
        with pytest.raises(ValidationError):
            ci.update_attributes(bad, at=clock(), actor=BOB)  # type: ignore[arg-type]
    assert snapshot(ci) == before


def test_a_json_different_value_is_a_change(clock: Clock) -> None:
    ci = register(clock, attributes={"flag": 1})
    ci.update_attributes({"flag": True}, at=clock(), actor=BOB)  # 1 == True in Python only
    assert ci.attributes["flag"] is True


def test_relations_are_added_and_removed_once(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    ci.relate(RelationKind.CONNECTS_TO, "sw-1", at=clock(), actor=BOB)
    assert Relation(RelationKind.CONNECTS_TO, "sw-1") in ci.relations
    before = snapshot(ci)
    with pytest.raises(DuplicateLink):
        ci.relate(RelationKind.CONNECTS_TO, "sw-1", at=clock(), actor=BOB)
    with pytest.raises(UnknownRelation):
        ci.unrelate(RelationKind.DEPENDS_ON, "sw-1", at=clock(), actor=BOB)
    with pytest.raises(ValidationError):
        ci.relate(RelationKind.DEPENDS_ON, DB, at=clock(), actor=BOB)
    with pytest.raises(ValidationError):
        ci.relate("depends_on", "x", at=clock(), actor=BOB)  # type: ignore[arg-type]
    assert snapshot(ci) == before
    ci.unrelate(RelationKind.RUNS_ON, "srv-7", at=clock(), actor=BOB)
    assert ci.relations == (Relation(RelationKind.CONNECTS_TO, "sw-1"),)


# -- refusals leave the CI exactly as it was ----------------------------------------


def test_time_and_actor_refusals_are_atomic(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    earlier = ci.updated_at.replace(year=2020)
    before = snapshot(ci)
    with pytest.raises(EventOutOfOrder):
        ci.relate(RelationKind.DEPENDS_ON, "x", at=earlier, actor=BOB)
    with pytest.raises(NaiveDatetime):
        ci.relate(RelationKind.DEPENDS_ON, "x", at=clock().replace(tzinfo=None), actor=BOB)
    with pytest.raises(ValidationError):
        ci.relate(RelationKind.DEPENDS_ON, "x", at=clock(), actor="bob")  # type: ignore[arg-type]
    assert snapshot(ci) == before


def test_default_permissions(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    before = snapshot(ci)
    for attempt in (
        lambda: ci.relate(RelationKind.DEPENDS_ON, "x", at=clock(), actor=ANN),
        lambda: ci.update_attributes({"site": "x"}, at=clock(), actor=ANN),
        lambda: ci.change_status(CiStatus.MAINTENANCE, at=clock(), actor=ANN),
        lambda: ci.update(name="x", at=clock(), actor=ANN),
    ):
        with pytest.raises(NotPermitted):
            attempt()
    assert snapshot(ci) == before
    # an outsider may apply a resolution's changes; a configuration manager anything
    ci.apply_resolution_changes(resolved_ticket(clock, PATCH), at=clock(), actor=ANN)
    cm = Actor("cara", roles={"configuration_manager"})
    ci.change_status(CiStatus.MAINTENANCE, at=clock(), actor=cm)
    ci.relate(RelationKind.DEPENDS_ON, "x", at=clock(), actor=SYSTEM)
    assert ci.status is CiStatus.MAINTENANCE and ci.version == 5


@attrs.frozen
class NobodyMay:
    def permits(self, actor: Actor, trigger: CiTrigger, ci: object) -> bool:
        return False


def test_custom_permissions_from_the_config(clock: Clock) -> None:
    ci = register(clock, config=CmdbConfig(NobodyMay()))
    with pytest.raises(NotPermitted):
        ci.change_status(CiStatus.ACTIVE, at=clock(), actor=SYSTEM)
    rebuilt = ConfigurationItem.from_history(ci.history, config=CmdbConfig(NobodyMay()))
    assert rebuilt.config == ci.config


# -- CMDB updates from ticket resolutions -----------------------------------------


def test_resolution_changes_are_recorded_with_the_ticket(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    other = CiChange("srv-7", "patch", "1", "2")
    ticket = resolved_ticket(clock, other, PATCH, CiChange(DB, "backup", None, "nightly"))
    ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    assert dict(ci.attributes) == {"patch": "19.3.1", "ram_gb": 64, "backup": "nightly"}
    records = ci.changes_by_ticket("INC-1")
    assert [(r.attribute, r.old, r.new, r.actor_id) for r in records] == [
        ("patch", "19.3.0", "19.3.1", "bob"),
        ("backup", None, "nightly", "bob"),
    ]
    assert all(r.version == 3 and r.at == ci.updated_at for r in records)
    patch_history = ci.attribute_history("patch")
    assert [(r.old, r.new, r.ticket_id) for r in patch_history] == [
        (None, "19.3.0", None),
        ("19.3.0", "19.3.1", "INC-1"),
    ]
    assert ci.changes_by_ticket("INC-2") == ()


def test_a_stale_old_value_is_a_conflict_and_changes_nothing(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    ticket = resolved_ticket(
        clock, CiChange(DB, "ram_gb", 64, 96), CiChange(DB, "patch", "19.2.0", "19.3.1")
    )
    before = snapshot(ci)
    with pytest.raises(CiChangeConflict) as info:
        ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    assert (info.value.attribute, info.value.expected, info.value.actual) == (
        "patch",
        "19.2.0",
        "19.3.0",
    )
    assert snapshot(ci) == before  # the first, matching change was not applied either


def test_changes_apply_in_order(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    steps = (CiChange(DB, "patch", "19.3.0", "19.3.1"), CiChange(DB, "patch", "19.3.1", "19.4"))
    ci.apply_resolution_changes(resolved_ticket(clock, *steps), at=clock(), actor=BOB)
    assert ci.attributes["patch"] == "19.4"
    ci2 = ci_in(clock, CiStatus.ACTIVE)
    clash = (CiChange(DB, "patch", "19.3.0", "19.3.1"), CiChange(DB, "patch", "19.3.0", "19.4"))
    with pytest.raises(CiChangeConflict):
        ci2.apply_resolution_changes(resolved_ticket(clock, *clash), at=clock(), actor=BOB)


def test_removal_and_json_shaped_comparison(clock: Clock) -> None:
    ci = register(clock, attributes={"tags": ["db", "prod"], "flag": 1})
    ticket = resolved_ticket(
        clock, CiChange(DB, "tags", ("db", "prod"), None), CiChange(DB, "flag", True, 0)
    )
    with pytest.raises(CiChangeConflict):  # True is not the stored 1
        ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    ticket2 = resolved_ticket(clock, CiChange(DB, "tags", ("db", "prod"), None))
    ci.apply_resolution_changes(ticket2, at=clock(), actor=BOB)  # a tuple matches the list
    assert dict(ci.attributes) == {"flag": 1}


def test_only_resolved_tickets_with_changes_for_this_ci(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    before = snapshot(ci)
    open_one = at_l2(clock)
    with pytest.raises(ValidationError, match="no resolution"):
        ci.apply_resolution_changes(open_one, at=clock(), actor=BOB)
    reopened = resolved_ticket(clock, PATCH)
    reopened.reopen("still broken", at=clock(), actor=ANN)
    with pytest.raises(ValidationError, match="no resolution"):
        ci.apply_resolution_changes(reopened, at=clock(), actor=BOB)
    elsewhere = resolved_ticket(clock, CiChange("srv-7", "os", None, "rhel9"))
    with pytest.raises(ValidationError, match="no change for db-prod-3"):
        ci.apply_resolution_changes(elsewhere, at=clock(), actor=BOB)
    with pytest.raises(ValidationError):
        ci.apply_resolution_changes("INC-1", at=clock(), actor=BOB)  # type: ignore[arg-type]
    assert snapshot(ci) == before


def test_closed_tickets_still_carry_their_changes(clock: Clock) -> None:
    ticket = resolved_ticket(clock, PATCH)
    ticket.close(at=clock(), actor=ANN)
    ci = ci_in(clock, CiStatus.MAINTENANCE)
    ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    assert ci.attributes["patch"] == "19.3.1"


def test_the_same_changes_apply_once(clock: Clock) -> None:
    ci = ci_in(clock, CiStatus.ACTIVE)
    ticket = resolved_ticket(clock, PATCH)
    ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    with pytest.raises(CiChangeConflict):
        ci.apply_resolution_changes(ticket, at=clock(), actor=BOB)
    confirm = resolved_ticket(clock, CiChange(DB, "ram_gb", 64, 64), id="INC-9")
    ci.apply_resolution_changes(confirm, at=clock(), actor=BOB)  # a confirmation is recorded
    before = snapshot(ci)
    with pytest.raises(ResolutionAlreadyApplied):
        ci.apply_resolution_changes(confirm, at=clock(), actor=BOB)
    assert snapshot(ci) == before


def test_ci_changes_for_normalises_to_json_shapes(clock: Clock) -> None:
    ticket = resolved_ticket(clock, CiChange(DB, "tags", ("a",), ("a", "b")))
    assert ci_changes_for(ticket, DB) == (AttributeChange("tags", ["a"], ["a", "b"]),)


def test_apply_resolution_to_many_cis_is_all_or_nothing(clock: Clock) -> None:
    db = ci_in(clock, CiStatus.ACTIVE)
    srv = ci_in(clock, CiStatus.ACTIVE, id="srv-7", kind=CiKind.SERVER, attributes={"os": "9.2"},
                relations=[])  # fmt: skip
    good = resolved_ticket(clock, PATCH, CiChange("srv-7", "os", "9.2", "9.4"))
    bad = resolved_ticket(clock, PATCH, CiChange("srv-7", "os", "9.1", "9.4"), id="INC-2")
    before = (snapshot(db), snapshot(srv))
    with pytest.raises(CiChangeConflict):
        apply_resolution(bad, [db, srv], at=clock(), actor=BOB)
    with pytest.raises(ValidationError, match="srv-7"):
        apply_resolution(good, [db], at=clock(), actor=BOB)
    with pytest.raises(ValidationError):
        apply_resolution(at_l2(clock), [db, srv], at=clock(), actor=BOB)
    locked_db = ConfigurationItem.from_history(db.history, config=CmdbConfig(NobodyMay()))
    srv_first = resolved_ticket(clock, CiChange("srv-7", "os", "9.2", "9.4"), PATCH, id="INC-3")
    with pytest.raises(NotPermitted):  # srv-7 passes its checks, the locked db does not
        apply_resolution(srv_first, [srv, locked_db], at=clock(), actor=BOB)
    assert locked_db.version == db.version
    assert (snapshot(db), snapshot(srv)) == before
    apply_resolution(good, [srv, db], at=clock(), actor=BOB)
    assert (db.attributes["patch"], srv.attributes["os"]) == ("19.3.1", "9.4")
    assert db.changes_by_ticket("INC-1")[0].new == "19.3.1"
    assert srv.changes_by_ticket("INC-1")[0].new == "9.4"


def test_apply_resolution_checks_every_ci_before_changing_any(clock: Clock) -> None:
    db = ci_in(clock, CiStatus.ACTIVE)
    srv = ci_in(clock, CiStatus.RETIRED, id="srv-7", kind=CiKind.SERVER,
                attributes={"os": "9.2"}, relations=[])  # fmt: skip
    ticket = resolved_ticket(clock, PATCH, CiChange("srv-7", "os", "9.2", "9.4"))
    before = (snapshot(db), snapshot(srv))
    with pytest.raises(InvalidTransition):  # the retired server refuses, after db was checked
        apply_resolution(ticket, [db, srv], at=clock(), actor=BOB)
    with pytest.raises(EventOutOfOrder):
        apply_resolution(ticket, [db, srv], at=db.updated_at.replace(year=2020), actor=BOB)
    assert (snapshot(db), snapshot(srv)) == before


# -- history, replay, JSON ---------------------------------------------------------


def _busy_ci(clock: Clock) -> ConfigurationItem:
    ci = ci_in(clock, CiStatus.ACTIVE, owner="erp")
    ci.update_attributes({"site": "FRA", "tags": ["x", {"y": [1.5, None]}]}, at=clock(), actor=BOB)
    ci.apply_resolution_changes(resolved_ticket(clock, PATCH), at=clock(), actor=BOB)
    ci.relate(RelationKind.DEPENDS_ON, "san-1", at=clock(), actor=BOB)
    ci.change_status(CiStatus.MAINTENANCE, at=clock(), actor=BOB, reason="firmware")
    ci.update(support_group=NET, at=clock(), actor=BOB)
    ci.change_status(CiStatus.RETIRED, at=clock(), actor=NINA)
    ci.unrelate(RelationKind.RUNS_ON, "srv-7", at=clock(), actor=NINA)
    return ci


def test_history_replays_to_the_same_ci(clock: Clock) -> None:
    ci = _busy_ci(clock)
    rebuilt = ConfigurationItem.from_history(ci.history)
    same(rebuilt, ci)
    assert rebuilt.pending_events() == () and len(ci.pending_events()) == ci.version
    ci.mark_persisted()
    assert ci.pending_events() == ()


def test_json_text_round_trip(clock: Clock) -> None:
    ci = _busy_ci(clock)
    text = json.dumps(entity_to_json(ci))
    data = json.loads(text)
    assert data["kind"] == "ConfigurationItem" and data["version"] == 9
    assert [e["payload"]["type"] for e in data["history"]] == [e.kind for e in ci.history]
    rebuilt = entity_from_json(ConfigurationItem, data)
    same(rebuilt, ci)
    assert rebuilt.history == ci.history


def _tamper(ci: ConfigurationItem, number: int, **changes: Any) -> list[CiEvent]:
    events = list(ci.history)
    events[number] = attrs.evolve(events[number], **changes)
    return events


def test_corrupt_histories_do_not_load(clock: Clock) -> None:
    ci = _busy_ci(clock)
    with pytest.raises(CorruptHistory):
        ConfigurationItem.from_history(ci.history[1:])
    with pytest.raises(CorruptHistory):
        ConfigurationItem.from_history(_tamper(ci, 2, version=7))
    with pytest.raises(CorruptHistory):
        ConfigurationItem.from_history(_tamper(ci, 2, entity_id="other"))
    lying = CiStatusChanged(CiStatus.MAINTENANCE, CiStatus.ACTIVE)  # the CI is planned there
    with pytest.raises(CorruptHistory):
        ConfigurationItem.from_history(_tamper(ci, 1, payload=lying))
    with pytest.raises(CorruptHistory):  # an illegal step: relate after retirement
        ConfigurationItem.from_history([*ci.history, attrs.evolve(ci.history[4], version=11)])
    with pytest.raises(CorruptHistory):  # a ticket's event is no CI's first event
        ConfigurationItem.from_history([attrs.evolve(ci.history[1], version=1), *ci.history[1:]])
