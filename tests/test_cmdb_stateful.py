"""Random CI triggers checked against a tiny model: results, refusals and atomicity."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from itil_l2 import (
    SOLVED_PERMANENTLY,
    ConfigurationItem,
    Impact,
    InvalidTransition,
    ItilL2Error,
    Resolution,
    Ticket,
    Urgency,
    ValidationError,
)
from itil_l2.cmdb import CiChangeConflict, CiStatus, UnknownRelation
from itil_l2.cmdb.events import CiKind, Relation, RelationKind
from itil_l2.errors import DuplicateLink, EventOutOfOrder
from itil_l2.testing import json_values, snapshot
from itil_l2.tickets import CiChange
from support import ANN, BOB, DBA, DESK

EXAMPLES = max(int(os.environ.get("ITIL_L2_STATEFUL_EXAMPLES", "500")) // 5, 20)
CI = "db-1"
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
# The lifecycle, written out independently of the workflow module.
MOVES = {
    ("planned", "active"),
    ("planned", "retired"),
    ("active", "maintenance"),
    ("active", "retired"),
    ("maintenance", "active"),
    ("maintenance", "retired"),
}
KEYS = st.sampled_from(["os", "patch", "ram_gb"])
TARGETS = st.sampled_from([CI, "srv-1", "srv-2", "net-1"])


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class CiLifecycle(RuleBasedStateMachine):
    """One CI under random triggers; a model predicts every outcome."""

    @initialize(attributes=st.dictionaries(KEYS, json_values(), max_size=2))
    def register(self, attributes: dict[str, Any]) -> None:
        self.now = self.last = T0
        self.tickets = 0
        self.ci = ConfigurationItem.register(
            id=CI, name="db", kind=CiKind.DATABASE, support_group=DBA,
            attributes=attributes, at=self.now, actor=BOB,
        )  # fmt: skip
        self.status = "planned"
        self.attributes = {k: _json(v) for k, v in attributes.items()}
        self.relations: list[Relation] = []
        self.version = 1

    def _tick(self, back: bool) -> datetime:
        if back:
            return self.last - timedelta(seconds=1)
        self.now += timedelta(minutes=1)
        return self.now

    def _expect(self, error: type[Exception] | None, fire: Any) -> bool:
        """Fire; on an expected refusal check nothing changed. True when it went through."""
        before = snapshot(self.ci)
        if error is None:
            fire()
            self.version += 1
            self.last = self.now
            return True
        try:
            fire()
        except ItilL2Error as exc:
            assert isinstance(exc, error), (exc, error)
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert snapshot(self.ci) == before
        return False

    def _live(self) -> bool:
        return self.status != "retired"

    @rule(to=st.sampled_from(CiStatus), back=st.booleans())
    def change_status(self, to: CiStatus, back: bool) -> None:
        at = self._tick(back)
        error = None if (self.status, to.value) in MOVES else InvalidTransition
        if back:  # time is checked before the lifecycle
            error = EventOutOfOrder
        if self._expect(error, lambda: self.ci.change_status(to, at=at, actor=BOB)):
            self.status = to.value

    @rule(values=st.dictionaries(KEYS, st.none() | json_values(), min_size=1, max_size=2))
    def update_attributes(self, values: dict[str, Any]) -> None:
        at = self._tick(False)
        new = dict(self.attributes)
        for key, value in values.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = _json(value)
        error = None
        if not self._live():
            error = InvalidTransition
        elif new == self.attributes:
            error = ValidationError
        if self._expect(error, lambda: self.ci.update_attributes(values, at=at, actor=BOB)):
            self.attributes = new

    @rule(kind=st.sampled_from(RelationKind), other=TARGETS, add=st.booleans())
    def relate_or_unrelate(self, kind: RelationKind, other: str, add: bool) -> None:
        at = self._tick(False)
        relation = Relation(kind, other)
        error: type[Exception] | None = None
        if add and not self._live():
            error = InvalidTransition
        elif other == CI:  # the rule, after the lifecycle: the CI's own id is no target
            error = ValidationError
        elif add and relation in self.relations:
            error = DuplicateLink
        elif not add and relation not in self.relations:
            error = UnknownRelation
        fire = self.ci.relate if add else self.ci.unrelate
        if self._expect(error, lambda: fire(kind, other, at=at, actor=BOB)):
            if add:
                self.relations.append(relation)
            else:
                self.relations.remove(relation)

    @rule(key=KEYS, new=st.none() | json_values(), stale=st.booleans())
    def apply_resolution(self, key: str, new: Any, stale: bool) -> None:
        current = self.attributes.get(key)
        old = json.loads(current) if current is not None else None
        if stale:
            old = "stale value that was never stored"
        self.tickets += 1
        ticket = Ticket.open(
            id=f"INC-{self.tickets}", title="broken", impact=Impact.LOW,
            urgency=Urgency.LOW, owner_group=DESK, at=self._tick(False), actor=ANN,
        )  # fmt: skip
        change = CiChange(CI, key, old, new)
        resolution = Resolution(SOLVED_PERMANENTLY, "fixed", ci_changes=[change])
        ticket.resolve(resolution, at=self._tick(False), actor=ANN)
        at = self._tick(False)
        error = None
        if not self._live():
            error = InvalidTransition
        elif stale:
            error = CiChangeConflict
        apply = self.ci.apply_resolution_changes
        if self._expect(error, lambda: apply(ticket, at=at, actor=ANN)):
            if new is None:
                self.attributes.pop(key, None)
            else:
                self.attributes[key] = _json(new)
            assert self.ci.changes_by_ticket(ticket.id)[0].new == new

    @invariant()
    def matches_the_model(self) -> None:
        ci = self.ci
        assert ci.status.value == self.status
        assert {k: _json(v) for k, v in ci.attributes.items()} == self.attributes
        assert sorted(ci.relations, key=str) == sorted(self.relations, key=str)
        assert ci.version == self.version == len(ci.history)

    @invariant()
    def history_replays(self) -> None:
        rebuilt = ConfigurationItem.from_history(self.ci.history)
        assert rebuilt.status == self.ci.status
        assert dict(rebuilt.attributes) == dict(self.ci.attributes)
        assert rebuilt.relations == self.ci.relations


CiLifecycle.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=25, deadline=None
)
TestCiLifecycle = CiLifecycle.TestCase
