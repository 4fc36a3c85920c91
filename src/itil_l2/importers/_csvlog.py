"""Generic CSV event logs (a row per event, plain or gzip) → tickets.

Many tools export their ticket history as a plain event log: one row per
update, the columns named as that tool likes. An `ImportMapping` with
`format = "csv"` names them (case id, timestamp, activity or status and an
optional sub-status, group, resource, impact, ...). Each row becomes a step
exactly as an XES event does (the same code reads it, see `_xes.py`), so
both formats mean the same by every mapping key.

A log may be sorted by time rather than by case, so rows are grouped by
case id in memory: only the mapped cells of each row are kept (each
distinct text once), and past `max_rows` held rows the import stops with a
`MalformedExport` rather than exhaust memory. Each case's rows are ordered
by timestamp (stable: rows with the same time keep file order) and
replayed through the workflow. A row that cannot be used (a bad time, an
unknown state, the wrong number of fields) is a deviation with its line; a
row without a case id belongs to no ticket: it is a deviation of its own
(ticket id `(no case id)`), so rows read = accepted + rejected still holds.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Unpack

from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import (
    ConformanceError,
    Deviation,
    ImportPolicy,
    MalformedExport,
    Tally,
)
from itil_l2.importers._mapping import ImportMapping
from itil_l2.importers._reading import ImportOptions, open_export, start_import
from itil_l2.importers._run import ImportRun
from itil_l2.importers._steps import Case, Step
from itil_l2.importers._xes import XesMapping, _step

__all__ = ["DEFAULT_MAX_ROWS", "NO_CASE_ID", "read_csv_log", "time_parser"]

DEFAULT_MAX_ROWS = 2_000_000
"""How many rows `read_csv_log` holds while grouping them by case, by default."""
NO_CASE_ID = "(no case id)"
"""The ticket id a deviation names for a row without a case id."""

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_KEPT = 1_000_000
_CASE_ONLY = ("title", "caller")


def read_csv_log(
    path: str | Path,
    mapping: ImportMapping,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    **options: Unpack[ImportOptions],
) -> ImportRun:
    r"""Stream a CSV event log (`.csv` or `.csv.gz`) into tickets, as `mapping` says.

    The mapping's tier directory, workflow config and defaults apply;
    `options` (as for `read_xes`) override them. Nothing is read until the
    run is iterated.

    >>> import tempfile, pathlib
    >>> from itil_l2.importers import ImportMapping, read_csv_log
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = log.write_text("Case;When;Status;Team\n"
    ...     "T1;2024-03-01 09:30;Working;Desk\n"   # rows sorted by time, not by case
    ...     "T1;2024-03-01 09:00;Open;Desk\n"
    ...     "T1;2024-03-01 11:00;Done;Desk\n")
    >>> m = ImportMapping("csv", delimiter=";", defaults={"impact": "low", "urgency": "low"},
    ...     columns={"case_id": "Case", "timestamp": "When", "activity": "Status",
    ...              "group": "Team"},
    ...     states={"Open": "queued", "Working": "in_progress", "Done": "resolved"})
    >>> run = read_csv_log(log, m)
    >>> [(t.id, t.phase.value, t.group.name, f"{t.opened_at:%H:%M}") for t in run]
    [('T1', 'resolved', 'Desk', '09:00')]
    >>> run.report.rows_read, run.report.rows_accepted
    (3, 3)
    """
    if not isinstance(mapping, ImportMapping) or mapping.format != "csv":
        raise ValidationError(
            f"read_csv_log takes an ImportMapping of format csv, got {mapping!r:.80}"
        )
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
        raise ValidationError(f"max_rows must be a positive int, got {max_rows!r}")
    merged = ImportOptions(**{**mapping.options(), **options})
    policy = ImportPolicy(merged.get("policy", ImportPolicy.LENIENT))
    reader = _Reader(mapping, max_rows, policy)
    return start_import(path, reader.cases, merged, "read_csv_log")


def time_parser(time_format: str, zone: tzinfo) -> Callable[[str], datetime | None]:
    """`text` → an aware datetime (naive times read in `zone`), or None when unreadable.

    `time_format` is `"iso"` (ISO 8601, with or without an offset) or a
    `strptime` pattern.

    >>> parse = time_parser("%d.%m.%Y %H:%M", UTC)
    >>> parse("31.12.2024 23:59").isoformat(), parse("2024-12-31"), parse("")
    ('2024-12-31T23:59:00+00:00', None, None)
    """

    def strict(text: str) -> datetime:
        return datetime.strptime(text, time_format)

    read = datetime.fromisoformat if time_format == "iso" else strict

    def parse(text: str) -> datetime | None:
        text = text.strip()
        if not text:
            return None
        try:
            at = read(text)
        except (ValueError, OverflowError):
            return None
        return at if at.tzinfo is not None else at.replace(tzinfo=zone)

    return parse


_Row = tuple[int, datetime | None, tuple[str, ...], str | None]
"""(line, time, the mapped cells, why the row is unusable or None)."""


class _Reader:
    """Reads one log: the header checked, rows grouped by case, each case made of steps."""

    def __init__(self, mapping: ImportMapping, max_rows: int, policy: ImportPolicy) -> None:
        self.mapping = mapping
        self.xes: XesMapping = mapping.xes_mapping()
        self.max_rows = max_rows
        self.policy = policy
        named = [(key, column) for key, column in mapping.columns.items() if column]
        self.columns = tuple(column for _, column in named)
        self.case_only = {key: self.columns.index(c) for key, c in named if key in _CASE_ONLY}
        self.time_column = mapping.columns["timestamp"]
        self.parse = time_parser(mapping.time_format, mapping.zone)
        self.texts: dict[str, str] = {}

    def cases(self, path: Path, tally: Tally) -> Iterator[Case]:
        source = str(path)
        with open_export(path, "rt") as handle:
            reader = csv.reader(handle, delimiter=self.mapping.delimiter)
            try:
                grouped = self._group(reader, source, tally)
            except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
                # csv counted the line it refused; a failing file refused the next one
                line = reader.line_num + (0 if isinstance(exc, csv.Error) else 1)
                raise MalformedExport(source, line, f"cannot read further: {exc}") from None
        cases = list(grouped.items())
        grouped.clear()
        cases.reverse()
        while cases:  # each case's rows are let go once it is made
            case_id, rows = cases.pop()
            yield self._case(case_id, rows)

    def _positions(self, header: Sequence[str], source: str) -> tuple[int, ...]:
        names = [name.strip() for name in header]
        if names:
            names[0] = names[0].lstrip("\ufeff").strip()  # a byte order mark is no name
        missing = [c for c in self.columns if c not in names]
        if missing:
            listed = ", ".join(repr(c) for c in missing)
            raise MalformedExport(source, 1, f"missing columns: {listed:.300} (check [columns])")
        twice = [c for c in self.columns if names.count(c) > 1]
        if twice:
            raise MalformedExport(source, 1, f"column {twice[0]!r:.80} appears twice in the header")
        return tuple(names.index(c) for c in self.columns)

    def _group(self, reader: Any, source: str, tally: Tally) -> dict[str, list[_Row]]:
        header = next(reader, None)
        if header is None:
            raise MalformedExport(source, 1, "empty file: no header row")
        positions = self._positions(header, source)
        width = len(header)
        case_at = positions[self.columns.index(self.mapping.columns["case_id"])]
        time_at = positions[self.columns.index(self.time_column)]
        cases: dict[str, list[_Row]] = {}
        held, parse, text = 0, self.parse, self._text
        for row in reader:
            if not row:
                continue  # a blank line holds no event
            tally.rows_read += 1
            line = reader.line_num
            case_id = row[case_at].strip() if len(row) > case_at else ""
            if not case_id:
                self._orphan(tally, line, source)
                continue
            error = None
            if len(row) != width:
                error = f"malformed row: {len(row)} fields, the header has {width}"
            cells = tuple(text(row[i]) if i < len(row) else "" for i in positions)
            at = parse(row[time_at]) if len(row) > time_at else None
            cases.setdefault(text(case_id), []).append((line, at, cells, error))
            held += 1
            if held > self.max_rows:
                raise MalformedExport(
                    source,
                    line,
                    f"more than {self.max_rows:,} rows to hold while grouping them by case;"
                    " raise max_rows, or split the log",
                )
        return cases

    def _text(self, value: str) -> str:
        """The one copy of `value` (names, states and times repeat row after row)."""
        found = self.texts.get(value)
        if found is None:
            found = value
            if len(self.texts) < _KEPT:
                self.texts[value] = value
        return found

    def _orphan(self, tally: Tally, line: int, source: str) -> None:
        lenient = self.policy is ImportPolicy.LENIENT
        repair = "row ignored" if lenient else None
        deviation = Deviation(NO_CASE_ID, line, "row without a case id", repair, source)
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        tally.deviations.append(deviation)
        tally.rows_rejected += 1

    def _case(self, case_id: str, rows: list[_Row]) -> Case:
        rows.sort(key=lambda r: r[1] or _EARLIEST)  # stable: equal times keep file order
        case = Case(case_id, [self._step(row) for row in rows])
        for key, i in self.case_only.items():
            value = next((r[2][i] for r in rows if r[2][i].strip()), None)
            if key == "title" and value is not None:
                case.title = value
            elif key == "caller":
                case.caller = value
        return case

    def _step(self, row: _Row) -> Step:
        line, at, cells, error = row
        values = {c: v for c, v in zip(self.columns, cells, strict=True) if v.strip()}
        raw_time = values.get(self.time_column, "")
        if at is not None:
            values[self.time_column] = at.isoformat()
        step = _step(line, values, self.xes)
        if at is None:
            step.at = None
            how = "ISO 8601" if self.mapping.time_format == "iso" else self.mapping.time_format
            step.error = f"{self.time_column} {raw_time!r:.80} is not a time ({how})"
        if error is not None:
            step.error = error
        return step
