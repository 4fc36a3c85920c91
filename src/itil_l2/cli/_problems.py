"""Problem logs on the command line: `import` and `kpi` with a problem mapping, `kpi --db`.

`import LOG --mapping M` reads problems when M says `entity = "problem"`;
`kpi` measures them from such a log, or from a database that holds
problems and no ticket.

An import of problems is stored and recorded like one of tickets (the same
import run, resumable, with the problems' `ProblemConfig` stored with them,
so `kpi --db` replays them under it); no problem imported is exit 1 with the
reason. The problem KPIs are `problem_time_to_resolve`, `problem_time_to_close`
(mean hours), `problem_backlog` (open problems at the latest event of any
problem), `known_errors_raised` and `closed_without_rca`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from itil_l2.cli._database import import_recorded
from itil_l2.cli._errors import UsageError
from itil_l2.cli._output import kpi_csv, kpi_json, kpi_rich_table, terminal_width
from itil_l2.cli._source import existing_file, load_db, opened_db
from itil_l2.importers import GroupDirectory, ImportMapping, ImportPolicy, ImportReport, import_into
from itil_l2.kpis import (
    KpiRow,
    closed_without_rca,
    known_errors_raised,
    problem_backlog,
    problem_time_to_close,
    problem_time_to_resolve,
)
from itil_l2.problems import Problem
from itil_l2.storage import MemoryStore

__all__ = ["import_problems", "problem_kpi", "problem_source"]

PROBLEM_METRICS = (
    "problem_time_to_resolve",
    "problem_time_to_close",
    "problem_backlog",
    "known_errors_raised",
    "closed_without_rca",
)


def _nothing(message: str) -> Exception:
    """The exit-1 error (imported here: `_importing` imports this module)."""
    from itil_l2.cli._importing import NothingImported

    return NothingImported(message)


def _summary(report: ImportReport) -> str:
    """The conformance summary in a problem log's words (the report counts cases as incidents)."""
    lines = report.summary().splitlines()
    lines[2] = lines[2].replace(" incidents, ", " cases, ", 1)
    lines[2] = lines[2].replace(" tickets imported,", " problems imported,", 1)
    return "\n".join(lines)


def _reason(source: str, report: ImportReport) -> str:
    head = f"0 problems imported from {source}"
    if report.rows_read == 0:
        return f"{head}: it holds no row"
    unmapped: Counter[str] = Counter()
    for deviation in report.deviations:
        if deviation.rule.startswith("unknown status "):
            unmapped[deviation.rule.removeprefix("unknown status ")] += 1
    if unmapped:
        top = ", ".join(f"{raw} ({n:,})" for raw, n in unmapped.most_common(3))
        why = f"{unmapped.total():,} of {report.rows_read:,} rows had no mapped status ({top})"
        return f"{head}: {why}; give each status a phase under [states]"
    rules = ", ".join(f"{rule} ({n:,})" for rule, n in report.rules().most_common(3))
    why = f"{report.rows_rejected:,} of {report.rows_read:,} rows rejected ({rules or 'no rule'})"
    return f"{head}: {why}"


def import_problems(
    args: argparse.Namespace, mapping: ImportMapping, options: str, mode: str | None
) -> int:
    """Import a problem log into a database (recorded) or memory; print the summary."""
    path = existing_file(args.path, "export")
    groups = GroupDirectory.load(args.tier_map) if args.tier_map else None
    run = mapping.read_problems(path, policy=ImportPolicy(args.policy), groups=groups)
    if args.db is None:
        report = import_into(MemoryStore(), run)
        assert report is not None
        print(_summary(report))
        _check(args.path, report)
        print("stored in memory")
        return 0
    report, stored = import_recorded(
        args.db, path, run, (options, mode), configs={Problem: run.config}, noun="problems"
    )
    print(_summary(report))
    print(stored)
    _check(args.path, report)
    return 0


def _check(source: str, report: ImportReport) -> None:
    if report.tickets == 0:
        raise _nothing(_reason(source, report))


def problem_source(
    args: argparse.Namespace, mapping: ImportMapping | None
) -> tuple[list[Problem], str] | None:
    """The problems `kpi` measures, or None when its source is a ticket one.

    A problem mapping's log is read in memory; a database is a problem one
    when it holds problems and no ticket.
    """
    if mapping is not None and mapping.entity == "problem":
        path = existing_file(args.path, "export")
        run = mapping.read_problems(path, policy=ImportPolicy(args.policy))
        problems = list(run)
        if not problems:
            raise _nothing(_reason(args.path, run.report))
        return problems, args.path
    if args.db is None or args.mapping is not None:
        return None
    first_look = opened_db(args.db, args.allow_incomplete, imports=False)
    with first_look as store, store.unit_of_work() as uow:
        if uow.tickets.count() or not uow.problems.count():
            return None
    found = load_db(args.db, allow_incomplete=args.allow_incomplete, kind="problem")
    return [p for p in found if isinstance(p, Problem)], args.db


def problem_rows(problems: Sequence[Problem]) -> list[KpiRow]:
    """The problem KPIs, one row (no grouping); the backlog at the latest event of any problem."""
    at = max((p.history[-1].at for p in problems), default=datetime(1970, 1, 1, tzinfo=UTC))
    results = [
        problem_time_to_resolve(problems),
        problem_time_to_close(problems),
        problem_backlog(problems, at),
        known_errors_raised(problems),
        closed_without_rca(problems),
    ]
    return [KpiRow({}, dict(zip(PROBLEM_METRICS, results, strict=True)))]


def problem_kpi(args: argparse.Namespace, problems: list[Problem], source: str) -> int:
    """`kpi` for problems: the same table, CSV or JSON shape as the ticket KPIs, no `--by`."""
    if args.by:
        raise UsageError("--by: problem KPIs are not grouped; leave --by out")
    rows = problem_rows(problems)
    if args.format == "csv":
        sys.stdout.write(kpi_csv(rows))
    elif args.format == "json":
        sys.stdout.write(kpi_json(rows))
    else:
        title = f"problem KPIs of {len(problems):,} problems ({source})"
        width = terminal_width(fallback=240)
        sys.stdout.write(kpi_rich_table(rows, [], PROBLEM_METRICS, title=title, width=width))
    return 0
