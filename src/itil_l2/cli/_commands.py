"""The commands of `itil-l2`: each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from itil_l2._core.diagram import diagram
from itil_l2.cli._errors import UsageError
from itil_l2.cli._export import export_command
from itil_l2.cli._facts import rebuild_facts_command
from itil_l2.cli._importing import (
    NothingImported,
    import_command,
    load_export,
    mapping_command,
    mapping_of,
    simulate_command,
)
from itil_l2.cli._output import kpi_csv, kpi_json, kpi_rich_table, kpi_rows, terminal_width
from itil_l2.cli._problems import problem_kpi, problem_source
from itil_l2.cli._source import load_db, stored_kpi_rows
from itil_l2.kpis import KpiRow
from itil_l2.report import HEADLINE_METRICS, as_of, render_report, report_figures
from itil_l2.tickets import Ticket

__all__ = ["COMMANDS"]


def _tickets(args: argparse.Namespace) -> tuple[list[Ticket], str]:
    if args.db is not None:
        if args.mapping is not None:
            raise UsageError("--mapping reads an export: give PATH, not --db")
        tickets = load_db(args.db, allow_incomplete=args.allow_incomplete)
        if not tickets:
            raise NothingImported(f"{args.db} holds no ticket: nothing to measure")
        return tickets, args.db
    return load_export(args, quiet=True), args.path


def kpi(args: argparse.Namespace) -> int:
    """Print the KPI set, grouped by `--by`, as a table, CSV or JSON (problems: their KPIs)."""
    if args.stored_facts:
        return _stored_kpi(args)
    problems = problem_source(args, mapping_of(args))
    if problems is not None:
        return problem_kpi(args, *problems)
    tickets, source = _tickets(args)
    _print_kpis(args, kpi_rows(tickets, args.by, as_of(tickets)), len(tickets), source)
    return 0


def _stored_kpi(args: argparse.Namespace) -> int:
    """`kpi --db F --stored-facts`: the KPI set of the stored facts, no history replayed."""
    if args.db is None or args.mapping is not None:
        raise UsageError("--stored-facts reads a database's stored facts: give --db, not PATH")
    rows, count = stored_kpi_rows(args.db, args.by, allow_incomplete=args.allow_incomplete)
    if not count:
        raise NothingImported(f"{args.db} holds no ticket: nothing to measure")
    _print_kpis(args, rows, count, f"{args.db}, stored facts")
    return 0


def _print_kpis(args: argparse.Namespace, rows: list[KpiRow], count: int, source: str) -> None:
    if args.format == "csv":
        sys.stdout.write(kpi_csv(rows))
    elif args.format == "json":
        sys.stdout.write(kpi_json(rows))
    else:
        title = f"KPIs of {count:,} tickets ({source})"
        width = terminal_width(fallback=240)
        sys.stdout.write(kpi_rich_table(rows, args.by, HEADLINE_METRICS, title=title, width=width))


def report(args: argparse.Namespace) -> int:
    """Write the self-contained HTML report."""
    tickets, source = _tickets(args)
    started = time.perf_counter()
    html = render_report(report_figures(tickets), title="ITIL L2 report", source=source)
    out = Path(args.output)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    took = time.perf_counter() - started
    print(f"wrote {out} ({len(html):,} bytes, {len(tickets):,} tickets, {took:.1f} s)")
    return 0


def show_diagram(args: argparse.Namespace) -> int:
    """Print a workflow's mermaid diagram."""
    sys.stdout.write(diagram(args.kind))
    return 0


COMMANDS = {
    "import": import_command,
    "kpi": kpi,
    "report": report,
    "simulate": simulate_command,
    "diagram": show_diagram,
    "rebuild-facts": rebuild_facts_command,
    "export": export_command,
    "mapping": mapping_command,
}
"""Command name → function(args) -> exit code."""
