"""The KPI rows the command line shows, for a terminal (rich table), a spreadsheet or a program."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from itil_l2.kpis import KpiRow, kpi_table
from itil_l2.report import DEFAULT_RESOLUTION_SLA, all_metrics, format_value
from itil_l2.tickets import Ticket

__all__ = ["csv_cell", "kpi_csv", "kpi_json", "kpi_rich_table", "kpi_rows", "terminal_width"]


def kpi_rows(tickets: Sequence[Ticket], by: Sequence[Any], at: datetime) -> list[KpiRow]:
    """`all_metrics` (SLA compliance of the default resolution SLA at `at`) per group of `by`."""
    return kpi_table(tickets, by=by, metrics=all_metrics(DEFAULT_RESOLUTION_SLA, at, tickets))


def terminal_width(fallback: int) -> int:
    """The terminal's width in columns, or `fallback` when output goes to a file or a pipe."""
    return shutil.get_terminal_size((100, 40)).columns if sys.stdout.isatty() else fallback


def _long_table(row: KpiRow, title: str) -> Table:
    table = Table(title=Text(title))  # Text: a path or name is shown as it is, never as markup
    for name, justify in (("KPI", "left"), ("value", "right"), ("n", "right"), ("excl.", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name, result in row.results.items():
        table.add_row(
            name, format_value(result), f"{result.sample_size:,}", f"{result.excluded_count:,}"
        )
    return table


def _wide_table(
    rows: Sequence[KpiRow], by: Sequence[str], metrics: Sequence[str], title: str
) -> Table:
    table = Table(title=Text(title))
    for name in by:
        table.add_column(name)
    table.add_column("ended", justify="right")
    for name in metrics:
        table.add_column(name.replace("_", " "), justify="right")
    for row in rows:
        ended = row.results["resolution_rate"].sample_size  # resolved, closed or cancelled
        cells = [format_value(row.results[m]) for m in metrics]
        table.add_row(*(Text(row.key[d]) for d in by), f"{ended:,}", *cells)
    return table


def kpi_rich_table(
    rows: Sequence[KpiRow], by: Sequence[str], headline: Sequence[str], *, title: str, width: int
) -> str:
    """The terminal table: every KPI one per line without `by`, else headline KPIs per group."""
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    if by:
        console.print(_wide_table(rows, by, headline, title))
    elif rows:
        console.print(_long_table(rows[0], title))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return str(out)


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run: text starting like a formula gets a `'` first.

    Group, category and CI names come from imported logs, which anyone may
    write (OWASP "CSV injection"). Only text is neutralised: numbers stay
    numbers, a negative one included; None is an empty cell.

    >>> [csv_cell(v) for v in ("=1+1", "-2", "@SUM(A1)", "Group 1", -2.5, None)]
    ["'=1+1", "'-2", "'@SUM(A1)", 'Group 1', -2.5, '']
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def kpi_csv(rows: Sequence[KpiRow]) -> str:
    """Every KPI's value and sample size per group, one CSV line per group.

    Text cells are written through `csv_cell`, so no name from a log runs as
    a formula; a KPI that is not measurable (no value) is an empty cell.

    >>> from itil_l2.kpis import KpiResult
    >>> from itil_l2.kpis import KpiRow
    >>> print(kpi_csv([KpiRow({"tier": "L1"}, {"reopen_rate": KpiResult("reopen_rate", .5, 2)})]))
    tier,reopen_rate,reopen_rate_n
    L1,0.5,2
    <BLANKLINE>
    """
    flat = [row.flat() for row in rows]
    if not flat:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(flat[0])
    writer.writerow([csv_cell(name) for name in names])
    writer.writerows([csv_cell(r.get(name)) for name in names] for r in flat)
    return out.getvalue()


def kpi_json(rows: Sequence[KpiRow]) -> str:
    """Every KPI per group as a JSON list: the key, and per KPI value, n and exclusions."""
    data = [
        {
            "key": dict(row.key),
            "kpis": {
                name: {
                    "value": r.value,
                    "n": r.sample_size,
                    "numerator": r.numerator,
                    "excluded": r.excluded_count,
                    "unit": r.unit,
                }
                for name, r in row.results.items()
            },
        }
        for row in rows
    ]
    return json.dumps(data, indent=2) + "\n"
