"""Tickets made through the public triggers, and their XES log rewritten as a foreign tool's.

`originals` builds tickets whose histories a foreign log can carry: opened at the desk,
queued, worked, held for the caller, returned to the queue in the same group (`requeue`),
escalated, reassigned, handed back, resolved, reopened and at the same instant moved to
another group (another tier too), closed, cancelled, or still open. Every ticket has
medium impact and urgency, what the mapping's `[defaults]` give a log without them.

`to_dialect` rewrites the library's own XES (written by `write_xes`) into the dialect of
another tool: the state as `concept:name` + `lifecycle:transition` pairs of its own words,
the group in an attribute of its own name with the tier only as a suffix of the team name,
no `itil:` attribute at all (no tier, phase, impact, urgency), a reopen and its move at
the same instant as one row. `Anomalies` then adds what real logs hold: events outside
any trace and a second trace under an existing id.
"""

from __future__ import annotations

import copy
import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    Handover,
    HoldReason,
    Impact,
    L3Target,
    L3TargetKind,
    Phase,
    Priority,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)

NS = "http://www.xes-standard.org/"
START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
DESK = SupportGroup("Service Desk", Tier.L1)
NETWORK = SupportGroup("Network", Tier.L2)
DATABASE = SupportGroup("Database", Tier.L2)
ORACLE = SupportGroup("Oracle", Tier.L3)
GROUPS = (DESK, NETWORK, DATABASE, ORACLE)
SUFFIX = {Tier.L1: " 1st", Tier.L2: " 2nd", Tier.L3: " 3rd"}
GROUP_KEY = "Assignment Group"
STATUS = {  # the phase after an event → the foreign tool's (status, sub-status)
    (Phase.NEW, None): ("Logged", "New"),
    (Phase.QUEUED, None): ("Queued", "Awaiting Assignment"),
    (Phase.IN_PROGRESS, None): ("Accepted", "In Progress"),
    (Phase.ON_HOLD, HoldReason.AWAITING_CALLER.code): ("Accepted", "Wait - User"),
    (Phase.RESOLVED, None): ("Completed", "Resolved"),
    (Phase.CLOSED, None): ("Completed", "Closed"),
    (Phase.CANCELLED, None): ("Completed", "Cancelled"),
}
MAPPING = """\
format = "xes"

[columns]
state = ""                  # no itil:phase: the state is concept:name/lifecycle:transition
tier = ""                   # no itil:tier: the tier is a suffix of the team name
group = "Assignment Group"
impact = ""
urgency = ""

[states]
"Logged/New" = "new"
"Queued/Awaiting Assignment" = "queued"
"Accepted/In Progress" = "in_progress"
"Accepted/Wait - User" = "on_hold:awaiting_caller"
"Completed/Resolved" = "resolved"
"Completed/Closed" = "closed"
"Completed/Cancelled" = "cancelled"

[[tiers.patterns]]
pattern = " 1st$"
tier = "L1"
[[tiers.patterns]]
pattern = " 2nd$"
tier = "L2"
[[tiers.patterns]]
pattern = " 3rd$"
tier = "L3"

[defaults]                  # the log has no impact or urgency
impact = "medium"
urgency = "medium"
"""
_HANDOVER = Handover(
    description="users cannot reach the order app since 09:10; the listener restart did not help",
    attempts=[SolutionAttempt("restarted the listener", "no change")],
    ci_refs=["db-prod-3"],
    priority=Priority.P3,
    impact=Impact.MEDIUM,
)
_TARGET = L3Target(L3TargetKind.VENDOR, "Oracle Support", "SR 1")
_FIXED = Resolution(SOLVED_PERMANENTLY, "fixed")


class _Life:
    """One ticket being lived through the triggers, with its clock."""

    def __init__(self, ticket: Ticket, rng: random.Random, at: datetime) -> None:
        self.t, self.rng, self.at = ticket, rng, at

    def later(self, low: int = 5, high: int = 240) -> datetime:
        self.at += timedelta(minutes=self.rng.randint(low, high))
        return self.at

    def work(self) -> None:
        """Start; sometimes a wait for the caller; sometimes back to the same group's queue."""
        t, rng = self.t, self.rng
        t.start(at=self.later(), actor=SYSTEM)
        if rng.random() < 0.3:
            t.hold(HoldReason.AWAITING_CALLER, at=self.later(), actor=SYSTEM)
            t.resume("the caller answered", at=self.later(), actor=SYSTEM)
        while rng.random() < 0.35:  # the same-team return to the queue
            t.requeue(at=self.later(), actor=SYSTEM)
            t.start(at=self.later(30, 600), actor=SYSTEM)

    def move(self, group: SupportGroup, at: datetime) -> None:
        """To another group: reassign, escalate or hand back, by the tiers."""
        t, here = self.t, self.t.tier
        if group.tier is here:
            t.reassign(group, at=at, actor=SYSTEM)
        elif group.tier.level > here.level:
            target = _TARGET if group.tier is Tier.L3 else None
            t.escalate(group, _HANDOVER, at=at, actor=SYSTEM, target=target)
        else:
            t.hand_back(group, "apply the vendor's patch", at=at, actor=SYSTEM)


def originals(n: int, seed: int) -> list[Ticket]:
    """`n` tickets through the public triggers, every kind of life a foreign log can carry."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = START + timedelta(minutes=47 * i)
        ticket = Ticket.open(
            id=f"INC{i:05d}",
            title="order app is slow",
            impact=Impact.MEDIUM,
            urgency=Urgency.MEDIUM,
            owner_group=DESK,
            at=at,
            actor=SYSTEM,
        )
        life = _Life(ticket, rng, at)
        _live(life, backlog=i >= n - 4)
        out.append(ticket)
    return out


def _live(life: _Life, *, backlog: bool) -> None:
    t, rng = life.t, life.rng
    t.assign(DESK, at=life.later(), actor=SYSTEM)
    fate = rng.random()
    if fate < 0.07:
        t.cancel("raised twice", at=life.later(), actor=SYSTEM)
        return
    if fate < 0.15:  # resolved by the desk before anyone started: first contact
        t.resolve(_FIXED, at=life.later(), actor=SYSTEM)
    else:
        life.work()
        if rng.random() < 0.6:
            life.move(rng.choice([NETWORK, DATABASE]), life.later())
            life.work()
            if rng.random() < 0.25:
                life.move(NETWORK if t.group is DATABASE else DATABASE, life.later())
                life.work()
            if rng.random() < 0.35:
                life.move(ORACLE, life.later())
                life.work()
                if rng.random() < 0.5:
                    life.move(rng.choice([NETWORK, DATABASE]), life.later())
                    life.work()
        if backlog:
            return
        t.resolve(_FIXED, at=life.later(), actor=SYSTEM)
    if rng.random() < 0.3:  # reopened, and at the same instant moved to another group
        at = life.later()
        t.reopen("the caller says it is back", at=at, actor=SYSTEM)
        here = t.group
        near = [g for g in GROUPS if g != here and abs(g.tier.level - t.tier.level) <= 1]
        life.move(rng.choice(near), at)
        life.work()
        t.resolve(_FIXED, at=life.later(), actor=SYSTEM)
    if rng.random() < 0.8:
        t.close(at=life.later(3 * 24 * 60, 3 * 24 * 60), actor=SYSTEM)


def foreign_group(name: str) -> str:
    """The foreign team name of one of our groups: the tier only as a suffix."""
    group = {g.name: g for g in GROUPS}[name]
    return name + SUFFIX[group.tier]


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _attrs(element: ET.Element) -> dict[str, str]:
    return {a.get("key", ""): a.get("value", "") for a in element if a.get("key")}


def _string(parent: ET.Element, key: str, value: str) -> None:
    ET.SubElement(parent, _q("string"), key=key, value=value)


def foreign_event(status: tuple[str, str], at: str, actor: str, team: str) -> ET.Element:
    """One event of the foreign tool: its status words, the time, who, the team."""
    event = ET.Element(_q("event"))
    _string(event, "concept:name", status[0])
    _string(event, "lifecycle:transition", status[1])
    ET.SubElement(event, _q("date"), key="time:timestamp", value=at)
    _string(event, "org:resource", actor)
    _string(event, GROUP_KEY, team)
    return event


def _rewritten(values: dict[str, str], group: str, phase: Phase) -> ET.Element:
    reason = values.get("itil:hold_reason") if phase is Phase.ON_HOLD else None
    return foreign_event(
        STATUS[phase, reason], values["time:timestamp"], values["org:resource"], group
    )


SPOILS = ("requeue as work", "reopen keeps its group")
"""Ways `to_dialect` can write a wrong log, to show the end-to-end check can fail."""


def to_dialect(own: Path, foreign: Path, *, spoil: str | None = None) -> ET.ElementTree:
    """Rewrite `own` (the library's XES) as the foreign tool writes it; returns the tree.

    `spoil` (one of `SPOILS`) writes what a reader that got an anomaly wrong would
    have made of it: the requeue rows as work going on, or the reopen rows without
    their move to another group.
    """
    ET.register_namespace("", NS)
    tree = ET.parse(own)
    for trace in tree.getroot().findall(_q("trace")):
        events = trace.findall(_q("event"))
        case_id = _attrs(trace)["concept:name"]
        for child in list(trace):
            trace.remove(child)
        _string(trace, "concept:name", case_id)
        merged = False
        for i, event in enumerate(events):
            values = _attrs(event)
            after = _attrs(events[i + 1]) if i + 1 < len(events) else {}
            if (
                values["concept:name"] == "reopen"
                and after["time:timestamp"] == values["time:timestamp"]
            ):
                merged = True  # the foreign tool logs a reopen and its move as one row
                continue
            group = foreign_group(values["org:group"])
            if merged and spoil == "reopen keeps its group":
                group = foreign_group(_attrs(events[i - 2])["org:group"])
            phase = Phase(values["itil:phase"])
            if values["concept:name"] == "requeue" and spoil == "requeue as work":
                phase = Phase.IN_PROGRESS
            trace.append(_rewritten(values, group, phase))
            merged = False
    tree.write(foreign, encoding="utf-8", xml_declaration=True)
    return tree


@dataclass
class Anomalies:
    """What `inject` added to a dialect log: the counts the import must account for."""

    orphans: int
    duplicate_id: str | None
    duplicate_events: int
    events_in_file: int
    orphan_numbers: tuple[int, ...]
    """The orphans' numbers among the file's events (1-based, in file order)."""


def inject(
    clean: ET.ElementTree, path: Path, *, orphans: int, duplicate_of: int | None
) -> Anomalies:
    """Write `clean` to `path` with `orphans` events outside any trace (before the first
    trace, between two, after the last) and, unless `duplicate_of` is None, a later second
    trace under the id of trace number `duplicate_of`, holding other events (a copy of
    the next trace's)."""
    tree = copy.deepcopy(clean)
    log = tree.getroot()
    traces = log.findall(_q("trace"))
    duplicate_id, duplicate_events = None, 0
    if duplicate_of is not None:
        duplicate_id = _attrs(traces[duplicate_of])["concept:name"]
        duplicate = ET.Element(_q("trace"))
        _string(duplicate, "concept:name", duplicate_id)
        other = traces[duplicate_of + 1].findall(_q("event"))
        duplicate.extend(copy.deepcopy(other))
        duplicate_events = len(other)
        log.insert(list(log).index(traces[duplicate_of + 3]), duplicate)
    places = [traces[0], traces[len(traces) // 2], None]
    for k in range(orphans):  # each would resolve a ticket, were it joined to one
        at = "2024-03-04T10:00:00+00:00"
        orphan = foreign_event(STATUS[Phase.RESOLVED, None], at, "x", foreign_group(DESK.name))
        place = places[k % len(places)]
        if place is None:
            log.append(orphan)
        else:
            log.insert(list(log).index(place), orphan)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    number, numbers = 0, []
    for child in log:
        if child.tag == _q("event"):
            numbers.append(number + 1)
        number += 1 if child.tag == _q("event") else len(child.findall(_q("event")))
    return Anomalies(orphans, duplicate_id, duplicate_events, number, tuple(numbers))
