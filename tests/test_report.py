"""The HTML report and the figures behind it, on tickets whose outcome the test planned."""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import SOLVED_PERMANENTLY, SYSTEM, Impact, Resolution, Ticket, Urgency
from itil_l2.report import AGE_BINS, bin_counts, report_figures, report_html
from support import DBA, DESK, GOOD_HANDOVER, ORACLE, VENDOR

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Plan:
    """What happens to one generated ticket (P3: medium impact, medium urgency)."""

    id: str
    opened: datetime
    tier: int  # the highest tier it reaches
    hours: float | None  # opened -> resolved; None: still open
    category: str = "database"
    ci: str = "db-prod-3"
    made_sla: bool | None = None


def build(plan: Plan) -> Ticket:
    """A ticket that follows `plan` through the real workflow."""
    t0 = plan.opened
    t = Ticket.open(
        id=plan.id,
        title=f"{plan.category} issue on {plan.ci}",
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        category=plan.category,
        ci_refs=[plan.ci],
        attributes={} if plan.made_sla is None else {"made_sla": plan.made_sla},
        at=t0,
        actor=SYSTEM,
    )
    t.assign(DESK, at=t0 + 0.1 * HOUR, actor=SYSTEM)
    t.start(at=t0 + 0.2 * HOUR, actor=SYSTEM)
    if plan.tier >= 2:
        t.escalate(DBA, GOOD_HANDOVER, at=t0 + 0.3 * HOUR, actor=SYSTEM)
        t.start(at=t0 + 0.4 * HOUR, actor=SYSTEM)
    if plan.tier >= 3:
        t.escalate(VENDOR, GOOD_HANDOVER, at=t0 + 0.5 * HOUR, actor=SYSTEM, target=ORACLE)
        t.start(at=t0 + 0.6 * HOUR, actor=SYSTEM)
    if plan.hours is not None:
        t.resolve(Resolution(SOLVED_PERMANENTLY, "fixed"), at=t0 + plan.hours * HOUR, actor=SYSTEM)
    return t


JAN = datetime(2026, 1, 5, 9, tzinfo=UTC)
FEB = datetime(2026, 2, 2, 9, tzinfo=UTC)
PLANS = [
    # January: five on db-prod-3 within 7 days (a recurrence), resolved well inside 24 h.
    *(Plan(f"INC-J{i}", JAN + timedelta(days=i), 1, 2.0 + i, made_sla=True) for i in range(5)),
    Plan("INC-J5", JAN + timedelta(days=12), 2, 30.0, "network", "sw-7", made_sla=False),
    # February: mixed tiers, one breach of the 24 h P3 target, two still open.
    Plan("INC-F0", FEB, 2, 5.0, "network", "sw-7", made_sla=True),
    Plan("INC-F1", FEB + timedelta(days=1), 3, 50.0, "storage", "san-1", made_sla=False),
    Plan("INC-F2", FEB + timedelta(days=2), 1, 3.0, "printing", "prn-2", made_sla=True),
    Plan("INC-F3", FEB + timedelta(days=3), 3, None, "storage", "san-1"),
    Plan("INC-F4", FEB + timedelta(days=4), 2, None, "network", "sw-8"),
]


def planned_tickets() -> list[Ticket]:
    """The PLANS as tickets (also used by the command-line tests)."""
    return [build(p) for p in PLANS]


def test_funnel_counts_every_ticket_at_each_tier_it_reached() -> None:
    f = report_figures(planned_tickets())
    expected = (
        len(PLANS),
        len(PLANS),  # all start at the service desk
        sum(p.tier >= 2 for p in PLANS),
        sum(p.tier == 3 for p in PLANS),
    )
    assert f.funnel == expected == (11, 11, 5, 2)


def test_resolution_time_distribution_holds_every_planned_duration() -> None:
    f = report_figures(planned_tickets())
    planned = sorted(p.hours for p in PLANS if p.hours is not None)
    assert list(f.resolution_hours) == planned
    assert f.kpis["resolution_time"].value == statistics.mean(planned)


def test_sla_per_month_by_month_of_resolution_computed_and_recorded() -> None:
    f = report_figures(planned_tickets())
    # P3 target: 24 h round the clock, by the month the ticket was resolved.
    # January: J0-J4 met, J5 (30 h) breached. February: F0, F2 met, F1 (50 h) breached.
    # The open F3/F4 have no month row (a row is the month a ticket ended).
    months = {m: (share, n, rec, rec_n) for m, share, n, rec, rec_n in f.sla_by_month}
    assert set(months) == {"2026-01", "2026-02"}
    assert months["2026-01"] == (5 / 6, 6, 5 / 6, 6)
    assert months["2026-02"] == (2 / 3, 3, 2 / 3, 3)
    assert f.recorded_sla == (7, 9)
    assert f.kpis["recorded_sla_met"].value == 7 / 9


def _last_event(p: Plan) -> datetime:
    """The plan's last event: the resolution, or the last start at its highest tier."""
    if p.hours is not None:
        return p.opened + p.hours * HOUR
    return p.opened + (0.2 * p.tier) * HOUR


def test_as_of_is_the_latest_event_and_backlog_ages_are_measured_then() -> None:
    f = report_figures(planned_tickets())
    latest = max(map(_last_event, PLANS))
    assert f.at == latest == datetime(2026, 2, 6, 9, 24, tzinfo=UTC)  # F4's start at L2
    open_ages = sorted((latest - p.opened) / HOUR for p in PLANS if p.hours is None)
    assert list(f.backlog.distribution.values) == open_ages == [0.4, 24.4]
    later = report_figures(planned_tickets(), at=FEB + timedelta(days=10))
    assert list(later.backlog.distribution.values) == [6 * 24.0, 7 * 24.0]


def test_recurring_ci_is_the_top_problem_candidate() -> None:
    f = report_figures(planned_tickets())
    top = f.recurring[0]
    assert (top.key_kind, top.key) in {("ci", "db-prod-3"), ("category", "database")}
    assert top.ticket_ids == tuple(f"INC-J{i}" for i in range(5))
    assert {(c.key_kind, c.key) for c in f.recurring} == {
        ("ci", "db-prod-3"),
        ("category", "database"),
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False)))
def test_bin_counts_puts_each_value_in_the_bin_whose_bounds_hold_it(values: list[float]) -> None:
    counts = bin_counts(values)
    assert sum(counts) == len(values)
    expected = [0] * len(AGE_BINS)
    for v in values:
        low = 0.0
        for i, (high, _) in enumerate(AGE_BINS):
            if low <= v < high:
                expected[i] += 1
                break
            low = high
    assert counts == expected


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_is_self_contained_and_escapes_ticket_text() -> None:
    hostile = '<script>alert("x")</script>'
    tickets = [
        build(Plan(f"INC-{i}", JAN + timedelta(days=i), 1, 3.0, hostile, "db&<1>"))
        for i in range(4)
    ]
    html = report_html(tickets, title="Desk <Q1>")
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags
    assert hostile in "".join(parser.text)  # shown as text, not run
    assert "db&amp;&lt;1&gt;" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)
    assert "<link" not in html and "@import" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 5  # resolution, SLA, funnel, recurring, backlog
    for svg in svgs:
        ET.fromstring(svg)  # each chart is well-formed XML
    for heading in ("KPIs", "Resolution time", "SLA compliance over time", "Escalation funnel"):
        assert f"<h2>{heading}</h2>" in html
    assert "Top recurring CIs and categories" in html and "Backlog age" in html


def test_kpi_table_in_the_report_lists_the_whole_set_with_sample_sizes() -> None:
    tickets = planned_tickets()
    html = report_html(tickets)
    resolved = sum(p.hours is not None for p in PLANS)
    row = re.search(
        r"<tr><td>resolution_rate</td><td class=num>(.*?)</td>"
        r"<td class=num>(.*?)</td><td class=num>(.*?)</td>",
        html,
    )
    assert row is not None
    assert row.groups() == ("100.0%", str(resolved), str(len(PLANS) - resolved))
    assert "sla_compliance:resolution" in html and "escalation_rate_l2_l3" in html


def test_extra_metrics_median_reopened_and_recorded_kb() -> None:
    tickets = planned_tickets()
    again = tickets[0]  # INC-J0, resolved after 2 h: reopen and resolve again 10 h later
    again.reopen("still broken", at=PLANS[0].opened + 3 * HOUR, actor=SYSTEM)
    again.resolve(Resolution(SOLVED_PERMANENTLY, "x"), at=PLANS[0].opened + 12 * HOUR, actor=SYSTEM)
    kb = build(Plan("INC-KB", FEB + timedelta(days=9), 1, 4.0))
    object.__setattr__(kb, "attributes", {"knowledge": "TRUE"})  # as an importer would keep it
    f = report_figures([*tickets, kb])
    hours = sorted([12.0, *(p.hours for p in PLANS[1:] if p.hours is not None), 4.0])
    assert f.kpis["resolution_time_median"].value == statistics.median(hours)
    reopened = f.kpis["reopened_tickets"]
    assert (reopened.numerator, reopened.sample_size) == (1, len(PLANS) + 1)
    kb_used = f.kpis["recorded_kb_used"]
    assert (kb_used.numerator, kb_used.sample_size) == (1, 1)
