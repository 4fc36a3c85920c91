"""The argument parser of `itil-l2`: every command and option in one place."""

from __future__ import annotations

import argparse
from typing import NoReturn

from itil_l2.cli._errors import UsageError
from itil_l2.kpis import DIMENSIONS

__all__ = ["DIAGRAM_KINDS", "build_parser", "parse_by"]

DIAGRAM_KINDS = ("ticket", "problem", "change", "knowledge", "ci")


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is a `UsageError` (one line), not usage text and exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def parse_by(text: str) -> list[str]:
    """`"group,month"` → `["group", "month"]`, checked against the known dimensions.

    >>> parse_by("group, priority,month")
    ['group', 'priority', 'month']
    """
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown or len(set(names)) != len(names) or not names:
        raise UsageError(
            f"--by takes distinct names from {', '.join(DIMENSIONS)} separated by commas, "
            f"got {text!r}"
        )
    return names


def _source(cmd: argparse.ArgumentParser) -> None:
    group = cmd.add_mutually_exclusive_group(required=True)
    group.add_argument("--db", metavar="F.sqlite", help="an itil-l2 SQLite database")
    group.add_argument("path", nargs="?", metavar="PATH", help="an export to import in memory")
    cmd.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="read a database whose import did not complete (default: refuse it)",
    )
    _import_options(cmd)


def _import_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--mapping",
        metavar="F.toml",
        help="how a foreign XES or CSV log reads (see `itil-l2 mapping suggest`)",
    )
    cmd.add_argument("--tier-map", metavar="F", help="group directory (TOML or JSON) with tiers")
    cmd.add_argument(
        "--policy",
        choices=("strict", "lenient", "skip"),
        default="lenient",
        help="what to do with a ticket whose history breaks the workflow (default lenient)",
    )
    cmd.add_argument("--tz", metavar="ZONE", help="zone of the export's dates (default UTC)")


def build_parser() -> argparse.ArgumentParser:
    """The `itil-l2` parser with all its commands."""
    parser = _Parser(prog="itil-l2", description="ITIL L2 tickets: import, KPIs, report.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    imp = sub.add_parser("import", help="import a ServiceNow CSV export, or an XES or CSV log")
    imp.add_argument("path", metavar="PATH", help="the export (.csv, .csv.gz, .xes, .xes.gz)")
    imp.add_argument("--format", choices=("servicenow", "xes", "csv"), dest="input_format")
    imp.add_argument("--db", metavar="F.sqlite", help="store the tickets here (default: memory)")
    again = imp.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue the database's unfinished import"
    )
    again.add_argument(
        "--replace", action="store_true", help="empty the database and import from scratch"
    )
    _import_options(imp)

    kpi = sub.add_parser("kpi", help="the KPI set as a table")
    _source(kpi)
    kpi.add_argument("--by", type=parse_by, default=[], metavar="group,priority,month")
    kpi.add_argument("--format", choices=("table", "csv", "json"), default="table")
    kpi.add_argument(
        "--stored-facts",
        action="store_true",
        help="with --db: read the KPI facts stored with each ticket instead of replaying"
        " every history (fast on a large database; no SLA compliance, which needs the histories)",
    )

    rep = sub.add_parser("report", help="a self-contained HTML report")
    _source(rep)
    rep.add_argument("-o", "--output", required=True, metavar="report.html")

    sim = sub.add_parser("simulate", help="generate a realistic ticket stream")
    sim.add_argument("--tickets", type=int, required=True, metavar="N")
    sim.add_argument("--seed", type=int, default=0, metavar="S")
    sim.add_argument("--db", metavar="F.sqlite", help="store the tickets here (default: memory)")

    facts = sub.add_parser("rebuild-facts", help="recompute a database's stored KPI facts")
    facts.add_argument("--db", required=True, metavar="F.sqlite", help="the itil-l2 database")

    export = sub.add_parser("export", help="a database's KPI facts and events as Parquet")
    export.add_argument("--parquet", required=True, metavar="DIR", help="write the files here")
    export.add_argument("--db", required=True, metavar="F.sqlite", help="the itil-l2 database")

    dia = sub.add_parser("diagram", help="a workflow's mermaid state diagram")
    dia.add_argument("kind", nargs="?", default="ticket", choices=DIAGRAM_KINDS)

    mapping = sub.add_parser("mapping", help="mapping files for foreign logs")
    task = mapping.add_subparsers(dest="task", required=True, parser_class=_Parser)
    suggest = task.add_parser("suggest", help="a starter mapping from one read of a log")
    suggest.add_argument("path", metavar="LOG", help="the log (.xes, .xes.gz, .csv, .csv.gz)")
    suggest.add_argument("-o", "--output", metavar="F.toml", help="write here (default: stdout)")
    suggest.add_argument("--format", choices=("xes", "csv"), dest="input_format")
    return parser
