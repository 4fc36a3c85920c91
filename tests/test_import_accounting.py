"""Every row is replayed or a deviation, for every rule, always (issue 16).

rows read = rows replayed + rows deviated, and no row is dropped silently:
for each row, either the ticket right after it holds what the row states
(its phase, group, fields, assignee while open) or a deviation names the
row's line (or the row's ticket was skipped whole). Checked with random
cases replayed under each policy: random phases in any order, group changes
in any phase (after resolve and close too), missing fields, equal and
backward times, unusable rows. Then the moves issue 16 added, one by one:
the return to the queue, group changes after a resolve, defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2 import SYSTEM, HoldReason, Impact, Tier, Urgency, ValidationError
from itil_l2.importers import (
    ConformanceError,
    ImportPolicy,
    ImportReport,
    read_servicenow,
    read_xes,
    write_xes,
)
from itil_l2.importers._conformance import Tally
from itil_l2.importers._moves import _Run
from itil_l2.importers._replay import Replayer
from itil_l2.importers._steps import Case, Step
from itil_l2.kpis import kpi_facts
from itil_l2.testing import example_ticket
from itil_l2.tickets import Phase, Ticket

T0 = datetime(2026, 2, 2, 9, tzinfo=UTC)
TIERS = {"desk-a": Tier.L1, "desk-b": Tier.L1, "net": Tier.L2, "db": Tier.L2, "acme": Tier.L3}
_TIERED = {Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD}
P = Phase


class Watching(Replayer):
    """The replayer, keeping what each row left the ticket as."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after: dict[tuple[str, int], dict[str, Any]] = {}

    def _step(self, run: _Run, ticket: Ticket, step: Step, premature_close: bool) -> None:
        super()._step(run, ticket, step, premature_close)
        self.after[(run.case.id, step.line)] = {
            "phase": ticket.phase,
            "group": (ticket.group or ticket.owner_group).name,  # a new ticket is at its owner
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "assignee": ticket.assignee,
            "hold_reason": ticket.hold_reason,
        }


# -- random cases ---------------------------------------------------------------------

_ROW = st.fixed_dictionaries(
    {
        "phase": st.sampled_from([*Phase, None]),  # None: an unusable row (corrupt state)
        "minutes": st.sampled_from([0, 0, 1, 30, 600, -45]),  # equal, later, earlier
        "group": st.sampled_from([None, None, *TIERS, "bad\x07name"]),
        "impact": st.sampled_from([None, *Impact]),
        "urgency": st.sampled_from([None, *Urgency]),
        "assignee": st.sampled_from([None, None, "ann", "bob"]),
        "hold": st.sampled_from([None, HoldReason.AWAITING_CALLER, HoldReason.AWAITING_VENDOR]),
    }
)


def _cases(rows_per_case: list[list[dict[str, Any]]]) -> list[Case]:
    cases, line = [], 1
    for number, rows in enumerate(rows_per_case):
        steps, at = [], T0
        for row in rows:
            line += 1
            at += timedelta(minutes=row["minutes"])
            phase = row["phase"]
            step = Step(line, at, phase, phase.value if phase else "-100")
            if phase is None:
                step.error = "corrupt state '-100'"
            step.group = row["group"]
            step.tier = TIERS.get(row["group"] or "", Tier.L1) if row["group"] else None
            step.impact, step.urgency, step.assignee = (
                row["impact"],
                row["urgency"],
                row["assignee"],
            )
            step.hold_reason = row["hold"] if phase is Phase.ON_HOLD else None
            steps.append(step)
        cases.append(Case(f"INC{number}", steps))
    return cases


def _replay(cases: list[Case], policy: ImportPolicy) -> tuple[Watching, list[Ticket], Tally]:
    tally = Tally("log")
    replayer = Watching(tally, policy=policy)
    tickets = []
    for case in cases:
        tally.rows_read += len(case.steps)
        ticket = replayer.replay(case)
        if ticket is not None:
            tickets.append(ticket)
    return replayer, tickets, tally


def _reflected(step: Step, after: dict[str, Any]) -> str | None:
    """What of the row the ticket does not hold right after it (None: all of it).

    A new ticket has no group yet (its first group is its owner), so a row
    saying new is checked for its phase only; an assignee counts while open.
    """
    phase = after["phase"]
    if step.phase is Phase.NEW:
        return None if phase in (Phase.NEW, Phase.QUEUED) else f"phase {phase}"
    if phase is not step.phase:
        return f"phase {phase.value}, the row says {step.phase}"
    if step.group is not None and after["group"] != step.group:
        return f"group {after['group']}, the row says {step.group}"
    for name in ("impact", "urgency"):
        if getattr(step, name) is not None and after[name] is not getattr(step, name):
            return f"{name} {after[name]}, the row says {getattr(step, name)}"
    if step.assignee is not None and phase in _TIERED and after["assignee"] != step.assignee:
        return f"assignee {after['assignee']}, the row says {step.assignee}"
    if phase is Phase.ON_HOLD and after["hold_reason"] != (
        step.hold_reason or HoldReason.AWAITING_CALLER
    ):
        return f"hold reason {after['hold_reason']}"
    return None


def _check_accounting(cases: list[Case], replayer: Watching, tally: Tally) -> None:
    report = tally.report()
    assert report.rows_read == sum(len(c.steps) for c in cases)
    assert report.rows_read == report.rows_replayed + report.rows_deviated
    assert report.rows_replayed == tally.rows_replayed  # derived = counted row by row
    assert report.rows_rejected <= report.rows_deviated
    named = {(d.ticket_id, d.line) for d in report.deviations}
    skipped = set(report.skipped)
    deviated = 0
    for case in cases:
        for step in case.steps:
            if case.id in skipped or (case.id, step.line) in named:
                deviated += 1
                continue
            assert step.error is None, f"{case.id} line {step.line}: unusable, yet no deviation"
            after = replayer.after.get((case.id, step.line))
            assert after is not None, f"{case.id} line {step.line} was dropped silently"
            missing = _reflected(step, after)
            assert missing is None, f"{case.id} line {step.line} ({step.phase}): {missing}"
    assert deviated == report.rows_deviated  # rows, not deviations
    assert not any(d.rule.startswith("unusable value") for d in report.deviations)


_CASES = st.lists(st.lists(_ROW, min_size=1, max_size=9), min_size=1, max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CASES, st.sampled_from([ImportPolicy.LENIENT, ImportPolicy.SKIP]))
def test_every_row_is_replayed_or_a_deviation(rows: list[list[dict[str, Any]]], policy) -> None:
    cases = _cases(rows)
    replayer, tickets, tally = _replay(cases, policy)
    _check_accounting(cases, replayer, tally)
    for ticket in tickets:  # and every imported history is one the workflow accepts
        assert Ticket.from_history(ticket.history).version == ticket.version


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CASES)
def test_strict_stops_at_a_deviation_or_replays_every_row(rows: list[list[dict[str, Any]]]) -> None:
    cases = _cases(rows)
    try:
        replayer, _tickets, tally = _replay(cases, ImportPolicy.STRICT)
    except ConformanceError as exc:
        lines = {s.line for c in cases for s in c.steps}
        assert exc.line is None or exc.line in lines
        return
    assert tally.report().deviations == ()
    _check_accounting(cases, replayer, tally)
    assert tally.report().rows_replayed == tally.rows_read


# -- the moves, one by one ------------------------------------------------------------


def _steps(*rows: tuple[Phase, str | None], **fields: Any) -> Case:
    steps = []
    for i, (phase, group) in enumerate(rows):
        step = Step(i + 2, T0 + timedelta(minutes=10 * i), phase, phase.value)
        step.group, step.tier = group, TIERS.get(group or "")
        step.impact, step.urgency = Impact.LOW, Urgency.LOW
        for name, value in fields.get(str(i), {}).items():
            setattr(step, name, value)
        steps.append(step)
    return Case("INC1", steps)


def _one(case: Case, policy: ImportPolicy = ImportPolicy.LENIENT) -> tuple[Ticket, ImportReport]:
    tally = Tally("log")
    tally.rows_read = len(case.steps)
    ticket = Replayer(tally, policy=policy).replay(case)
    assert ticket is not None
    return ticket, tally.report()


def _kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in ticket.history if e.kind not in ("open", "add_note")]


def test_queued_in_the_same_group_after_work_began_is_a_requeue() -> None:
    ticket, report = _one(
        _steps((P.IN_PROGRESS, "desk-a"), (P.QUEUED, "desk-a"), (P.IN_PROGRESS, "desk-a"))
    )
    assert _kinds(ticket) == ["assign", "start", "requeue", "start"]
    assert report.deviations == () and report.rows_replayed == 3


def test_queued_from_on_hold_or_resolved_resumes_or_reopens_first() -> None:
    held, report = _one(_steps((P.ON_HOLD, "desk-a"), (P.QUEUED, "desk-a")))
    assert _kinds(held) == ["assign", "start", "hold", "resume", "requeue"]
    resolved, _ = _one(_steps((P.IN_PROGRESS, "net"), (P.RESOLVED, "net"), (P.QUEUED, "net")))
    assert _kinds(resolved)[-2:] == ["reopen", "requeue"] and resolved.phase is P.QUEUED
    assert report.deviations == ()


def test_a_queued_row_out_of_order_is_no_requeue() -> None:
    case = _steps((P.IN_PROGRESS, "desk-a"), (P.QUEUED, "desk-a"))
    case.steps[1].at = T0 - timedelta(hours=1)  # before the work it would end
    ticket, report = _one(case)
    assert "requeue" not in _kinds(ticket) and ticket.phase is Phase.IN_PROGRESS
    assert [d.rule.split(":")[0] for d in report.deviations] == [
        "time goes back",
        "queued after in_progress, out of order",
    ]
    assert (report.rows_replayed, report.rows_deviated) == (1, 1)


def test_a_reopen_row_with_a_new_group_reopens_then_moves() -> None:
    ticket, report = _one(
        _steps((P.IN_PROGRESS, "desk-a"), (P.RESOLVED, "desk-a"), (P.IN_PROGRESS, "net"))
    )
    assert _kinds(ticket)[-3:] == ["reopen", "escalate", "start"]
    assert (ticket.phase, ticket.group.name, ticket.tier) == (P.IN_PROGRESS, "net", Tier.L2)
    assert report.deviations == ()
    handed, _ = _one(_steps((P.ON_HOLD, "net"), (P.RESOLVED, "net"), (P.ON_HOLD, "desk-b")))
    assert _kinds(handed)[-4:] == ["reopen", "hand_back", "start", "hold"]


def test_a_group_change_on_a_resolved_or_closed_row_is_a_deviation() -> None:
    ticket, report = _one(
        _steps((P.IN_PROGRESS, "desk-a"), (P.RESOLVED, "desk-a"), (P.RESOLVED, "acme"))
    )
    assert ticket.group.name == "desk-a" and ticket.phase is P.RESOLVED
    assert [(d.line, d.rule) for d in report.deviations] == [
        (4, "group change on a resolved ticket: desk-a to acme")
    ]
    closed, report = _one(_steps((P.RESOLVED, "desk-a"), (P.CLOSED, "desk-a"), (P.CLOSED, "net")))
    assert closed.phase is P.CLOSED and [d.line for d in report.deviations] == [4]
    assert report.deviations[0].rule == "group change (desk-a to net) on a closed ticket"


def test_field_changes_and_cancels_no_trigger_can_make_are_deviations() -> None:
    case = _steps(
        (P.IN_PROGRESS, "desk-a"), (P.RESOLVED, None), (P.RESOLVED, None), (P.CANCELLED, None)
    )
    case.steps[2].impact = Impact.HIGH
    ticket, report = _one(case)
    assert ticket.impact is Impact.LOW and ticket.phase is P.RESOLVED
    assert [(d.line, d.rule.split(":")[0]) for d in report.deviations] == [
        (4, "field change on a resolved ticket"),
        (5, "cancelled after resolved"),
    ]
    back, report = _one(_steps((P.IN_PROGRESS, "desk-a"), (P.NEW, "desk-a")))
    assert back.phase is P.IN_PROGRESS
    assert report.deviations[0].rule == "new after in_progress: no way back to new"


def test_a_new_ticket_ended_at_another_group_is_assigned_there_first() -> None:
    ticket, report = _one(_steps((P.NEW, "desk-a"), (P.RESOLVED, "desk-b")))
    assert _kinds(ticket) == ["assign", "resolve"] and ticket.group.name == "desk-b"
    assert report.deviations == ()


def test_the_summary_states_both_sums() -> None:
    _ticket, report = _one(_steps((P.IN_PROGRESS, "desk-a"), (P.NEW, "desk-a"), (P.NEW, "desk-a")))
    assert (report.rows_read, report.rows_replayed, report.rows_deviated) == (3, 1, 2)
    assert "= 1 replayed as recorded + 2 with a deviation" in report.summary()


def test_a_report_whose_rows_do_not_add_up_is_refused() -> None:
    base: dict[str, Any] = {"rows_read": 3, "rows_accepted": 3, "rows_rejected": 0}
    with pytest.raises(ValidationError, match="replayed"):
        ImportReport("x", **base, incidents=1, tickets=1, rows_replayed=2, rows_deviated=0)
    with pytest.raises(ValidationError, match="rejected"):
        ImportReport(
            "x", rows_read=3, rows_accepted=2, rows_rejected=1, incidents=1, tickets=1,
            rows_replayed=3, rows_deviated=0,
        )  # fmt: skip


# -- defaults ------------------------------------------------------------------------

_HEAD = "number,incident_state,sys_mod_count,sys_updated_at,impact,urgency,assignment_group\n"
_ROWS = "INC1,Active,0,1/3/2016 09:00,?,?,Group 1\nINC1,Resolved,1,1/3/2016 10:00,?,?,Group 1\n"


def test_defaults_fill_missing_impact_and_urgency_without_a_deviation(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(_HEAD + _ROWS)
    run = read_servicenow(log, defaults={"impact": "high", "urgency": "low"})
    (ticket,) = list(run)
    assert (ticket.impact, ticket.urgency) == (Impact.HIGH, Urgency.LOW)
    assert run.report.deviations == () and run.report.rows_replayed == 2
    run = read_servicenow(log, policy=ImportPolicy.SKIP)  # without: a deviation, as before
    assert list(run) == [] and run.report.deviations[0].rule == "impact or urgency missing"


def test_a_default_for_one_field_leaves_the_other_a_deviation(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(_HEAD + _ROWS)
    run = read_servicenow(log, defaults={"impact": "low"})
    (ticket,) = list(run)
    assert (ticket.impact, ticket.urgency) == (Impact.LOW, Urgency.MEDIUM)
    assert [d.rule for d in run.report.deviations] == ["impact or urgency missing"]


@pytest.mark.parametrize(
    "defaults",
    [{"priority": "high"}, {"impact": "urgent"}, {"urgency": 1}, ["impact"], {"impact": None}],
)
def test_defaults_outside_the_known_fields_and_levels_are_refused(
    tmp_path: Path, defaults: Any
) -> None:
    with pytest.raises(ValidationError, match="defaults"):
        read_servicenow(tmp_path / "none.csv", defaults=defaults)


def test_a_requeue_round_trips_through_write_xes_and_read_xes(tmp_path: Path) -> None:
    t, hour = example_ticket(), timedelta(hours=1)
    t.requeue(at=t.updated_at + hour, actor=SYSTEM, reason="shift ended")
    t.start(at=t.updated_at + 2 * hour, actor=SYSTEM)
    t.hold(HoldReason.AWAITING_CALLER, at=t.updated_at + hour, actor=SYSTEM)
    t.resume("caller answered", at=t.updated_at + hour, actor=SYSTEM)
    t.requeue(at=t.updated_at + 3 * hour, actor=SYSTEM)
    write_xes([t], tmp_path / "t.xes")
    run = read_xes(tmp_path / "t.xes")
    (back,) = list(run)
    assert [e.kind for e in back.history] == [e.kind for e in t.history]
    assert [e.kind for e in t.history].count("requeue") == 2
    assert kpi_facts(back).hours == kpi_facts(t).hours
    assert run.report.deviations == () and run.report.rows_replayed == run.report.rows_read


def test_a_row_a_reader_names_in_a_deviation_counts_as_deviated(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    head = _HEAD.replace("\n", ",reassignment_count\n")
    rows = _ROWS.replace("Group 1\n", "Group 1,0\n", 1).replace("Group 1\n", "Group 1,²\n")
    log.write_text(head + rows)
    run = read_servicenow(log, defaults={"impact": "low", "urgency": "low"})
    assert len(list(run)) == 1
    report = run.report
    assert [d.line for d in report.deviations] == [3], report.deviations
    assert (report.rows_replayed, report.rows_deviated, report.rows_rejected) == (1, 1, 0)
