"""ServiceNow incident event log (CSV, plain or gzip) → tickets, streamed.

The export has one row per update of an incident (the UCI "incident
management process enriched event log" is one). Rows are read with a plain
`csv.reader`, grouped per incident (the export lists each incident's rows
together), ordered by `sys_mod_count` (ties keep file order) and replayed
through the workflow (see `_replay.py` for the moves), one incident at a time.

Mapping: `incident_state` New / Active / Awaiting User Info, Vendor, Problem,
Evidence / Resolved / Closed → new / in progress / on hold (awaiting caller,
vendor, problem, evidence) / resolved / closed; `sys_updated_at` is the
step's time (`d/m/yyyy HH:MM`, local time in the caller's zone); `opened_at`
opens the ticket; `assignment_group`, `assigned_to`, `impact`, `urgency`,
`category`, `subcategory`, `u_symptom`, `cmdb_ci` per row; `problem_id`,
`rfc`, `caused_by` become links; `vendor` names the L3 target; the fields
the workflow does not model are kept in `attributes` (last row's values). `?` means missing.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterator
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, Unpack

from itil_l2.importers._conformance import ImportPolicy, MalformedExport, Tally
from itil_l2.importers._reading import (
    ImportOptions,
    case_fault,
    check_cap,
    open_export,
    policy_of,
    start_import,
)
from itil_l2.importers._run import ImportRun
from itil_l2.importers._servicenow_rows import SERVICENOW_STATES, RowMapper
from itil_l2.importers._steps import Case

__all__ = [
    "DEFAULT_MAX_ROWS_PER_INCIDENT",
    "REQUIRED_COLUMNS",
    "SERVICENOW_STATES",
    "read_servicenow",
]

DEFAULT_MAX_ROWS_PER_INCIDENT = 100_000
"""How many rows of one incident `read_servicenow` holds by default."""
REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "impact",
    "urgency",
    "assignment_group",
)
"""Columns without which the export cannot be read (a `MalformedExport` names them)."""


def read_servicenow(
    path: str | Path,
    *,
    zone: tzinfo = UTC,
    max_rows_per_incident: int = DEFAULT_MAX_ROWS_PER_INCIDENT,
    **options: Unpack[ImportOptions],
) -> ImportRun:
    r"""Stream a ServiceNow incident event log (`.csv` or `.csv.gz`) into tickets.

    `zone` is the time zone the export's local times are in; `groups` the
    tier directory (without one, tiers are inferred per ticket, see
    `infer_tiers`); `resolution_code` is the code imported resolutions get
    (`closed_code` is kept in the notes and attributes). Nothing is read
    until the run is iterated. Past `max_rows_per_incident` rows of one
    incident (held to be ordered): `MalformedExport`. A count that is no
    whole number of ≤ 18 digits is left out (a deviation).

    >>> import gzip, tempfile, pathlib
    >>> from itil_l2.importers import read_servicenow
    >>> head = ("number,incident_state,sys_mod_count,sys_updated_at,impact,urgency,"
    ...         "assignment_group,made_sla\n")
    >>> rows = ["INC1,New,0,1/3/2016 09:00,2 - Medium,2 - Medium,Group 1,true",
    ...         "INC1,Active,1,1/3/2016 09:30,2 - Medium,2 - Medium,Group 2,true",
    ...         "INC1,Resolved,2,1/3/2016 11:00,2 - Medium,2 - Medium,Group 2,true",
    ...         "INC1,Closed,3,6/3/2016 11:00,2 - Medium,2 - Medium,Group 2,true"]
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "log.csv").write_text(head + "\n".join(rows) + "\n")
    >>> run = read_servicenow(folder / "log.csv")
    >>> [(t.id, t.phase.value, t.tier.value, t.escalation_count) for t in run]
    [('INC1', 'closed', 'L2', 1)]
    >>> run.report.rows_read, run.report.rows_accepted, run.report.deviations
    (4, 4, ())
    """
    max_rows = check_cap("max_rows_per_incident", max_rows_per_incident)
    policy = policy_of(options)

    def cases(file: Path, tally: Tally) -> Iterator[Case]:
        return _cases(file, zone, tally, (policy, max_rows))

    return start_import(path, cases, options, "read_servicenow")


def _cases(
    path: Path, zone: tzinfo, tally: Tally, limits: tuple[ImportPolicy, int]
) -> Iterator[Case]:
    """Cases in file order; every read error becomes a `MalformedExport` with its line."""
    source = str(path)
    with open_export(path, "rt") as handle:
        reader = csv.reader(handle)
        try:
            yield from _group(reader, source, zone, tally, limits)
        except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
            line = reader.line_num + (not isinstance(exc, csv.Error))  # csv: line read
            raise MalformedExport(source, line, f"cannot read further: {exc}") from None


def _group(
    reader: Any, source: str, zone: tzinfo, tally: Tally, limits: tuple[ImportPolicy, int]
) -> Iterator[Case]:
    header = next(reader, None)
    if header is None:
        raise MalformedExport(source, 1, "empty file: no header row")
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise MalformedExport(source, 1, f"missing columns: {', '.join(missing)}")
    builder = RowMapper(index, len(header), zone)
    policy, max_rows = limits

    def build(number: str, lines: list[int], rows: list[list[str]]) -> Case | None:
        case = builder.case(number, lines, rows)
        kept = all(
            case_fault(tally, policy, case, lines[-1], f, "left out") for f in builder.faults
        )
        return case if kept else None

    key_at = index["number"]
    seen: set[str] = set()
    current: str | None = None
    lines: list[int] = []
    rows: list[list[str]] = []
    read = tally.rows_read  # counted here, handed to the tally before each yield
    try:
        for row in reader:
            read += 1
            key = row[key_at] if len(row) > key_at else current
            if key != current:
                if rows:
                    tally.rows_read = read
                    if (case := build(current or "", lines, rows)) is not None:
                        yield case
                if key in seen:
                    raise MalformedExport(
                        source, reader.line_num, f"rows of {key} are not together; sort by number"
                    )
                seen.add(key or "")
                current, lines, rows = key, [], []
            if len(rows) >= max_rows:
                raise MalformedExport(
                    source,
                    reader.line_num,
                    f"{key!r:.80} has more than {max_rows:,} rows (max_rows_per_incident)",
                )
            lines.append(reader.line_num)
            rows.append(row)
    finally:
        tally.rows_read = read
    if rows and (case := build(current or "", lines, rows)) is not None:
        yield case
