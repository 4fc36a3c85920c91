"""Acceptance: the ticket workflow accepts what a real support desk did.

Replays the state sequence of every incident in the UCI ServiceNow incident
event log (24,918 incidents, 141,712 rows; see PROVENANCE.md beside the data)
through a real `Ticket`, and checks that the library refuses nothing a real
team did, apart from the counted data anomalies below.

The export has no tiers (the importer infers them from group transfers), so
every ticket lives at ONE L1 group. Mapping of `incident_state`, per incident,
rows ordered by `int(sys_mod_count)` (ties keep file order), consecutive
duplicate states collapsed:

====================  =====================================================
state                 move (by the ticket's phase when the row arrives)
====================  =====================================================
first row             `Ticket.open` (not assigned yet), then the row's state
New                   new: nothing more; later (already assigned): no-op
Active                new: assign + start; queued: start; on_hold: resume;
                      resolved: reopen; in_progress: no-op
Awaiting X            new: assign + start + hold; queued: start + hold;
                      in_progress: hold; on_hold: change_hold_reason (no-op
                      when the reason is the same); resolved: reopen + hold
Resolved              resolve, from whatever phase (new, queued,
                      in_progress, on_hold); resolved: no-op
Closed                resolved: close. Otherwise a counted data anomaly
                      ("closed without Resolved"); no resolve is invented
-100                  corrupt value in the source: row skipped, counted
====================  =====================================================

Awaiting User Info / Vendor / Problem / Evidence map to the hold reasons
AWAITING_CALLER / VENDOR / PROBLEM / EVIDENCE. Any row arriving after the
ticket is closed is the second anomaly category ("activity after Closed"):
closed is final in the workflow, so the rest of that incident is not replayed.

Times are `sys_updated_at` (d/m/yyyy HH:MM, read as UTC). Real logs have
out-of-order timestamps, so each event is at max(previous event, this row)
and the clamped rows are counted. Every move is made by `SYSTEM`.

Run with `pytest -s` to see the computed figures.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from itil_l2 import (
    SOLVED_PERMANENTLY,
    SYSTEM,
    HoldReason,
    Impact,
    ItilL2Error,
    Phase,
    Resolution,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
)

EXPECTED_INCIDENTS = 24_918
EXPECTED_ROWS = 141_712
FROM_HISTORY_SAMPLE_EVERY = 10

DESK = SupportGroup("servicenow-desk", Tier.L1)
RESOLUTION = Resolution(SOLVED_PERMANENTLY, "resolved in ServiceNow (imported)")
CORRUPT_STATE = "-100"
HOLD_REASONS = {
    "Awaiting User Info": HoldReason.AWAITING_CALLER,
    "Awaiting Vendor": HoldReason.AWAITING_VENDOR,
    "Awaiting Problem": HoldReason.AWAITING_PROBLEM,
    "Awaiting Evidence": HoldReason.AWAITING_EVIDENCE,
}
KNOWN_STATES = {"New", "Active", "Resolved", "Closed", CORRUPT_STATE, *HOLD_REASONS}
IMPACTS = {"1 - High": Impact.HIGH, "2 - Medium": Impact.MEDIUM, "3 - Low": Impact.LOW}
URGENCIES = {"1 - High": Urgency.HIGH, "2 - Medium": Urgency.MEDIUM, "3 - Low": Urgency.LOW}

CLOSED_WITHOUT_RESOLVED = "closed without Resolved"
AFTER_CLOSED = "activity after Closed"
RESOLVED_AFTER_NEW_ROW = "new (New → Resolved in the log)"
RESOLVED_FIRST_ROW = "new (first logged row is Resolved)"


@dataclass
class Row:
    mod: int
    state: str
    at: datetime
    impact: str
    urgency: str
    reopen_count: int


@dataclass
class Figures:
    rows: int = 0
    incidents: int = 0
    corrupt_rows_skipped: int = 0
    timestamps_clamped: int = 0
    out_of_order_rows: int = 0
    noop_rows: int = 0
    moves: Counter[str] = field(default_factory=Counter)
    resolves_from: Counter[str] = field(default_factory=Counter)
    incidents_resolved_from: Counter[str] = field(default_factory=Counter)
    first_state: Counter[str] = field(default_factory=Counter)
    holds_by_reason: Counter[str] = field(default_factory=Counter)
    reopened_incidents: int = 0
    reopened_straight_to_hold: int = 0
    reopen_count_differs: list[str] = field(default_factory=list)
    anomalies: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    final_phases: Counter[str] = field(default_factory=Counter)


class Anomaly(Exception):
    """A counted data anomaly: the replay of this row is not attempted."""

    def __init__(self, category: str, *, stop: bool) -> None:
        super().__init__(category)
        self.category = category
        self.stop = stop


# -- reading the export ------------------------------------------------------

_AT_CACHE: dict[str, datetime] = {}


def parse_at(text: str) -> datetime:
    """`d/m/yyyy HH:MM` as an aware UTC datetime (cached: times repeat a lot)."""
    at = _AT_CACHE.get(text)
    if at is None:
        day, month, rest = text.split("/")
        year, clock = rest.split(" ")
        hour, minute = clock.split(":")
        at = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=UTC)
        _AT_CACHE[text] = at
    return at


def load_incidents(path: Path) -> dict[str, list[Row]]:
    """Rows per incident, ordered by `int(sys_mod_count)`, ties in file order."""
    incidents: dict[str, list[Row]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            state = record["incident_state"]
            assert state in KNOWN_STATES, f"{record['number']}: unknown state {state!r}"
            incidents.setdefault(record["number"], []).append(
                Row(
                    mod=int(record["sys_mod_count"]),
                    state=state,
                    at=parse_at(record["sys_updated_at"]),
                    impact=record["impact"],
                    urgency=record["urgency"],
                    reopen_count=int(record["reopen_count"]),
                )
            )
    for rows in incidents.values():
        rows.sort(key=lambda row: row.mod)  # stable: equal counts keep file order
    return incidents


# -- the replay ----------------------------------------------------------------


def open_ticket(number: str, row: Row) -> Ticket:
    return Ticket.open(
        id=number,
        title=f"ServiceNow incident {number}",
        impact=IMPACTS[row.impact],
        urgency=URGENCIES[row.urgency],
        owner_group=DESK,
        at=row.at,
        actor=SYSTEM,
    )


def apply_state(t: Ticket, state: str, at: datetime, figures: Figures) -> None:
    """Make the move(s) that `state` means for the ticket's current phase."""
    phase = t.phase
    moves = figures.moves

    def start_work() -> None:
        if t.phase is Phase.NEW:
            t.assign(DESK, at=at, actor=SYSTEM)
            moves["assign"] += 1
        if t.phase is Phase.QUEUED:
            t.start(at=at, actor=SYSTEM)
            moves["start"] += 1

    if phase is Phase.CLOSED:
        raise Anomaly(AFTER_CLOSED, stop=True)

    if state == "New":
        if phase is not Phase.NEW:
            figures.noop_rows += 1  # a back-step to New after work began: ignored
    elif state == "Active":
        if phase in (Phase.NEW, Phase.QUEUED):
            start_work()
        elif phase is Phase.ON_HOLD:
            t.resume("ServiceNow: Active again", at=at, actor=SYSTEM)
            moves["resume"] += 1
        elif phase is Phase.RESOLVED:
            t.reopen("ServiceNow: Active after Resolved", at=at, actor=SYSTEM)
            moves["reopen"] += 1
        else:
            figures.noop_rows += 1
    elif state in HOLD_REASONS:
        reason = HOLD_REASONS[state]
        if phase is Phase.ON_HOLD:
            if t.hold_reason == reason:
                figures.noop_rows += 1
            else:
                t.change_hold_reason(reason, at=at, actor=SYSTEM)
                moves["change_hold_reason"] += 1
            return
        if phase is Phase.RESOLVED:
            t.reopen(f"ServiceNow: {state} after Resolved", at=at, actor=SYSTEM)
            moves["reopen"] += 1
            figures.reopened_straight_to_hold += 1
        start_work()
        t.hold(reason, at=at, actor=SYSTEM)
        moves["hold"] += 1
        figures.holds_by_reason[reason.code] += 1
    elif state == "Resolved":
        if phase is Phase.RESOLVED:
            figures.noop_rows += 1
        else:
            t.resolve(RESOLUTION, at=at, actor=SYSTEM)
            moves["resolve"] += 1
            figures.resolves_from[phase.value] += 1
    elif state == "Closed":
        if phase is not Phase.RESOLVED:
            raise Anomaly(CLOSED_WITHOUT_RESOLVED, stop=False)
        t.close(at=at, actor=SYSTEM)
        moves["close"] += 1
    else:  # pragma: no cover - load_incidents only lets known states through
        raise AssertionError(state)


def replay(number: str, rows: list[Row], figures: Figures) -> Ticket | None:
    """Replay one incident; None if it had no usable row."""
    usable = [row for row in rows if row.state != CORRUPT_STATE]
    figures.corrupt_rows_skipped += len(rows) - len(usable)
    figures.out_of_order_rows += sum(b.at < a.at for a, b in pairwise(usable))
    if not usable:
        return None
    figures.first_state[usable[0].state] += 1
    t = open_ticket(number, usable[0])
    last_state: str | None = None
    resolved_from: set[str] = set()
    for row in usable:
        if row.state == last_state:
            continue  # collapse consecutive duplicates
        previous_state, last_state = last_state, row.state
        at = row.at
        if at < t.updated_at:
            figures.timestamps_clamped += 1
            at = t.updated_at
        phase = t.phase
        try:
            apply_state(t, row.state, at, figures)
        except Anomaly as anomaly:
            figures.anomalies.setdefault(anomaly.category, []).append(number)
            if anomaly.stop:
                break
            continue
        except ItilL2Error as exc:
            move = (phase.value, row.state)
            figures.refused.setdefault(move, []).append(f"{number}: {exc}")
            break
        if row.state == "Resolved" and phase is not Phase.RESOLVED:
            resolved_from.add(phase.value)
            if phase is Phase.NEW:
                resolved_from.add(RESOLVED_AFTER_NEW_ROW if previous_state else RESOLVED_FIRST_ROW)
    figures.incidents_resolved_from.update(resolved_from)
    if t.reopen_count:
        figures.reopened_incidents += 1
    if t.reopen_count != rows[-1].reopen_count:
        figures.reopen_count_differs.append(number)
    figures.final_phases[t.phase.value] += 1
    return t


def report(figures: Figures, seconds: float) -> str:
    def examples(numbers: list[str]) -> str:
        return f"{len(numbers)} incidents" + (f", e.g. {numbers[0]}" if numbers else "")

    anomalies = {category: examples(numbers) for category, numbers in figures.anomalies.items()}
    resolved_from = dict(figures.incidents_resolved_from.most_common())
    lines = [
        "UCI ServiceNow incident event log replayed through itil_l2.Ticket (one L1 group):",
        f"  rows read                               {figures.rows:,}",
        f"  incidents                               {figures.incidents:,}",
        f"  corrupt -100 rows skipped               {figures.corrupt_rows_skipped:,}",
        f"  rows timed before the previous row      {figures.out_of_order_rows:,}",
        f"  event times clamped to the previous one {figures.timestamps_clamped:,}",
        f"  later New rows ignored / no-op repeats  {figures.noop_rows:,}",
        f"  first logged state per incident         {dict(figures.first_state.most_common())}",
        f"  moves made                              {dict(figures.moves.most_common())}",
        f"  holds by reason                         {dict(figures.holds_by_reason.most_common())}",
        f"  resolve events by phase before          {dict(figures.resolves_from.most_common())}",
        f"  incidents resolved (at least once) from {resolved_from}",
        f"  incidents reopened (at least once)      {figures.reopened_incidents:,}",
        f"  reopens straight into an Awaiting state {figures.reopened_straight_to_hold:,}",
        f"  reopen_count differs from the export's  {examples(figures.reopen_count_differs)}",
        f"  final phases                            {dict(figures.final_phases.most_common())}",
        f"  data anomalies (counted, not replayed)  {anomalies}",
        f"  moves refused by the library            {len(figures.refused)}",
        f"  wall time (load + replay + rebuild)     {seconds:.1f} s",
    ]
    return "\n".join(lines)


# -- the test ------------------------------------------------------------------


def test_servicenow_log_replays_through_the_workflow(servicenow_log_path: Path) -> None:
    started = time.perf_counter()
    incidents = load_incidents(servicenow_log_path)
    figures = Figures(rows=sum(map(len, incidents.values())), incidents=len(incidents))

    tickets: list[Ticket] = []
    for number, rows in incidents.items():
        t = replay(number, rows, figures)
        if t is not None:
            tickets.append(t)

    # Rebuilding from history gives the same ticket (a sample, to keep the budget).
    sample = tickets[::FROM_HISTORY_SAMPLE_EVERY]
    for t in sample:
        rebuilt = Ticket.from_history(t.history)
        assert (rebuilt.phase, rebuilt.version, rebuilt.state) == (t.phase, t.version, t.state)
        assert (rebuilt.reopen_count, rebuilt.hold_reason) == (t.reopen_count, t.hold_reason)

    seconds = time.perf_counter() - started
    print()
    print(report(figures, seconds))
    print(f"  from_history checked on                 {len(sample):,} tickets")

    assert figures.rows == EXPECTED_ROWS
    assert figures.incidents == len(tickets) == EXPECTED_INCIDENTS
    assert figures.corrupt_rows_skipped == 5

    # Nothing a real team did is refused, apart from the two counted anomaly kinds.
    refused = {
        f"{phase} → {state}": f"{len(found)} incidents, e.g. {found[0]}"
        for (phase, state), found in figures.refused.items()
    }
    assert not refused, f"the workflow refused real moves: {refused}"
    assert set(figures.anomalies) <= {CLOSED_WITHOUT_RESOLVED, AFTER_CLOSED}
    anomalous = {number for found in figures.anomalies.values() for number in found}
    assert len(anomalous) <= EXPECTED_INCIDENTS // 500, "anomalies should stay rare (≤ 0.2 %)"
    unclosed = len(figures.anomalies.get(CLOSED_WITHOUT_RESOLVED, []))
    assert figures.final_phases[Phase.CLOSED.value] == EXPECTED_INCIDENTS - unclosed

    # The moves the issue is about: resolving straight from hold and from new.
    assert figures.incidents_resolved_from[Phase.ON_HOLD.value] > 4_000
    assert figures.incidents_resolved_from[RESOLVED_AFTER_NEW_ROW] > 5_000
    assert figures.incidents_resolved_from[Phase.NEW.value] > 5_000
    assert figures.reopened_incidents > 200
    assert figures.moves["change_hold_reason"] > 0
    # Our reopen counts agree with ServiceNow's, except where the log is anomalous.
    assert set(figures.reopen_count_differs) <= anomalous
