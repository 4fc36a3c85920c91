"""Domain objects and helpers shared by the unit tests."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from itil_l2 import (
    SOLVED_PERMANENTLY,
    Actor,
    Handover,
    Impact,
    L3Target,
    L3TargetKind,
    Priority,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    WorkflowConfig,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DESK = SupportGroup("service-desk", Tier.L1)
FIELD = SupportGroup("field-support", Tier.L1)
DBA = SupportGroup("database-l2", Tier.L2, {"database"})
NET = SupportGroup("network-l2", Tier.L2, {"network"})
VENDOR = SupportGroup("vendor-l3", Tier.L3)
DEV = SupportGroup("development-l3", Tier.L3)
ANN = Actor("ann", groups={"service-desk"})
BOB = Actor("bob", groups={"database-l2"})
NINA = Actor("nina", groups={"network-l2"})
VIC = Actor("vic", groups={"vendor-l3"})
GOOD_HANDOVER = Handover(
    description="ORA-12541 on db-prod-3 since 09:10 for every user of the order app",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P2,
    impact=Impact.HIGH,
)
ORACLE = L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 3-1")
FIXED = Resolution(SOLVED_PERMANENTLY, "rebuilt the index", ["KB-123"])


class Clock:
    """Hands out strictly increasing aware timestamps, one minute apart."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def open_ticket(clock: Clock, config: WorkflowConfig | None = None, **fields: object) -> Ticket:
    """A new P2 database incident logged by the service desk."""
    values: dict[str, object] = {
        "id": "INC-1",
        "title": "Order app cannot reach its database",
        "impact": Impact.HIGH,
        "urgency": Urgency.MEDIUM,
        "owner_group": DESK,
        "caller": "carol",
        "ci_refs": ["db-prod-3"],
        "at": clock(),
        "actor": ANN,
        **fields,
    }
    if config is not None:
        values["config"] = config
    return Ticket.open(**values)  # type: ignore[arg-type]


def working_ticket(id: str, config: WorkflowConfig | None = None) -> Ticket:
    """A ticket in progress at L1: opened, assigned and started, all at T0 (3 events)."""
    t = Ticket.open(
        id=id,
        title="in progress",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        owner_group=DESK,
        at=T0,
        actor=ANN,
        config=config or WorkflowConfig(),
    )
    t.assign(DESK, at=T0, actor=ANN)
    t.start(at=T0, actor=ANN)
    return t


def at_l1(clock: Clock, config: WorkflowConfig | None = None) -> Ticket:
    t = open_ticket(clock, config)
    t.assign(DESK, at=clock(), actor=ANN)
    t.start(at=clock(), actor=ANN)
    return t


def at_l2(clock: Clock, config: WorkflowConfig | None = None) -> Ticket:
    t = at_l1(clock, config)
    t.escalate(DBA, GOOD_HANDOVER, at=clock(), actor=ANN)
    t.start(at=clock(), actor=BOB)
    return t


def at_l3(clock: Clock, config: WorkflowConfig | None = None) -> Ticket:
    t = at_l2(clock, config)
    t.escalate(VENDOR, GOOD_HANDOVER, at=clock(), actor=BOB, target=ORACLE)
    t.start(at=clock(), actor=VIC)
    return t


REQUIRE_BROWSER_ENV = "ITIL_L2_REQUIRE_BROWSER"
"""Set in CI: a missing Chromium fails the browser tests instead of skipping them."""


def chromium() -> str:
    """The headless Chromium to drive; skips (or, in CI, fails) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium not found (apt-get install chromium)"
    if os.environ.get(REQUIRE_BROWSER_ENV):
        pytest.fail(f"{message}; {REQUIRE_BROWSER_ENV} is set, so this is an error")
    pytest.skip(f"{message}; set {REQUIRE_BROWSER_ENV}=1 to make this an error")


def strip_view_columns(path: Path | str) -> None:
    """Make a file what schema 5 left: no view columns, their indexes gone (version 5)."""
    with sqlite3.connect(path) as conn:
        for (index,) in conn.execute(  # what migration 6 made, and host attributes' indexes
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'itil_heads'"
            " AND (name IN ('itil_heads_assignee', 'itil_heads_caller', 'itil_heads_updated',"
            " 'itil_heads_priority', 'itil_heads_queue') OR name LIKE 'itil_heads_attr_%')"
        ).fetchall():
            conn.execute(f"DROP INDEX {index}")
        for column in ("assignee", "caller", "title_key", "view"):
            conn.execute(f"ALTER TABLE itil_heads DROP COLUMN {column}")
        conn.execute("DROP TABLE IF EXISTS itil_kpi_facts")  # schema 7's
        conn.execute("UPDATE itil_schema SET version = 5")
    conn.close()
