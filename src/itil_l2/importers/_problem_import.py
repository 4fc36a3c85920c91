"""Problem logs → problems: a CSV event log read with the user's names for things.

`read_problem_log` reads a CSV problem log (a row per event) whose columns
and status vocabulary the caller names in two plain mappings, so a TOML
mapping file can feed it as it is; `replay_problems` takes cases already
normalised (`ProblemCase`), e.g. from another format's reader. Both return a
`ProblemImportRun`: iterate it once for the `Problem`s, then read its
`report` (rows read = accepted + rejected, every deviation with its line).

The whole file is read before the first problem is built, because a log may
hold a problem's rows anywhere (sorted by time, not by case): rows are
grouped by case id and replayed in file order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from itil_l2._core.priority import Impact, Urgency
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import (
    ConformanceError,
    Deviation,
    ImportPolicy,
    MalformedExport,
    Tally,
)
from itil_l2.importers._groups import GroupDirectory
from itil_l2.importers._problem_replay import (
    PHASE_TOKENS,
    ProblemCase,
    ProblemReplayer,
    ProblemStep,
)
from itil_l2.importers._reading import open_export
from itil_l2.importers._run import ReplayRun
from itil_l2.problems import Problem, ProblemConfig, ProblemResolutionCode

__all__ = [
    "PROBLEM_COLUMNS",
    "PROBLEM_PHASE_TOKENS",
    "ProblemCase",
    "ProblemImportRun",
    "ProblemStep",
    "read_problem_log",
    "replay_problems",
]

PROBLEM_COLUMNS = (
    "case",
    "timestamp",
    "status",
    "sub_status",
    "group",
    "resource",
    "impact",
    "urgency",
    "statement",
    "description",
    "category",
    "service",
)
"""The keys of `columns`: `case`, `timestamp` and `status` are required."""
PROBLEM_PHASE_TOKENS = PHASE_TOKENS
"""The values of `phases`: the `ProblemPhase` values, and `keep` (no phase change)."""
_REQUIRED = ("case", "timestamp", "status")
_LEVELS = {"1": "high", "2": "medium", "3": "low", "high": "high", "medium": "medium"}
_LEVELS |= {"low": "low"}
_CLOSE = ProblemResolutionCode.CLOSED_WITHOUT_RCA
IMPORT_CONFIG = ProblemConfig(allow_close_without_rca=True, fix_needs_root_cause=False)


class ProblemImportRun(ReplayRun[Problem]):
    """A problem import: iterable once, yielding problems; `report` at any time.

    `config` is the `ProblemConfig` the problems were built with; reload
    them from a store with the same config.
    """

    _noun = "log"

    def __init__(self, cases: Iterable[ProblemCase], replayer: ProblemReplayer) -> None:
        super().__init__(lambda _tally: cases, replayer)

    @property
    def config(self) -> ProblemConfig:
        """The config the problems were replayed under."""
        replayer: ProblemReplayer = self._replayer
        return replayer.config


def replay_problems(
    cases: Iterable[ProblemCase],
    *,
    source: str = "<cases>",
    policy: ImportPolicy = ImportPolicy.LENIENT,
    config: ProblemConfig | None = None,
    groups: GroupDirectory | None = None,
    resolution_code: ProblemResolutionCode = _CLOSE,
    impact: Impact = Impact.MEDIUM,
    urgency: Urgency = Urgency.MEDIUM,
) -> ProblemImportRun:
    """The run that replays normalised problem cases (see `read_problem_log`).

    The keywords mean what they mean for `read_problem_log`; `source` names
    the log in deviations and errors. A case id seen twice is a deviation:
    the second case is skipped (`ConformanceError` under strict).
    """
    return ProblemImportRun(
        cases, _replayer(Tally(source), policy, config, groups, resolution_code, impact, urgency)
    )


def read_problem_log(
    path: str | Path,
    *,
    columns: Mapping[str, str],
    phases: Mapping[str, str],
    time_format: str = "iso",
    zone: tzinfo = UTC,
    delimiter: str = ",",
    policy: ImportPolicy = ImportPolicy.LENIENT,
    config: ProblemConfig | None = None,
    groups: GroupDirectory | None = None,
    resolution_code: ProblemResolutionCode = _CLOSE,
    impact: Impact = Impact.MEDIUM,
    urgency: Urgency = Urgency.MEDIUM,
) -> ProblemImportRun:
    r"""Import a CSV problem log (a row per event) as problems, through the problem workflow.

    - `columns`: key (see `PROBLEM_COLUMNS`) → the log's column name; `case`,
      `timestamp` and `status` are required;
    - `phases`: the log's status → a phase token (`new`, `assess`,
      `root_cause_analysis`, `fix_in_progress`, `resolved`, `closed`,
      `cancelled`, or `keep` for a row that changes no phase). With a
      `sub_status` column, the key `"status/sub"` is looked up first, then
      the status alone; a status found in neither is a deviation;
    - `time_format`: `"iso"` or a `strptime` format; naive times are in `zone`;
    - `delimiter`: the CSV field separator (one character);
    - `policy`: what a deviation does (lenient repairs and records it);
    - `config`: default: closing without an RCA allowed and a fix startable
      without a root cause, as a log holds no RCA; a config without
      `allow_close_without_rca` needs a `resolution_code` that does not
      require one, such as `risk_accepted`;
    - `resolution_code`: the code a resolved or closed row resolves with
      (default `closed_without_rca`: the log holds no RCA);
    - `groups`: the tier directory (default: every group at L2);
    - `impact`, `urgency`: used when the log has none (not deviations).

    A file that cannot be read (missing columns, broken encoding, a cell
    over the csv module's size limit) is a `MalformedExport` with its line.

    >>> import tempfile, pathlib
    >>> from itil_l2.importers import read_problem_log
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "problems.csv"
    >>> _ = log.write_text("id,when,state\nPR1,2026-03-02T09:00,Open\n"
    ...                    "PR1,2026-03-04T09:00,Closed\n")
    >>> run = read_problem_log(log, columns={"case": "id", "timestamp": "when",
    ...                        "status": "state"}, phases={"Open": "new", "Closed": "closed"})
    >>> [(p.id, p.phase.value, p.resolution.code.code) for p in run]
    [('PR1', 'closed', 'closed_without_rca')]
    """
    names = _columns(columns)
    vocabulary = _phases(phases)
    if not isinstance(time_format, str) or not time_format:
        raise ValidationError(f"time_format is 'iso' or a strptime format, not {time_format!r}")
    if not isinstance(zone, tzinfo):
        raise ValidationError(f"zone must be a tzinfo, not {zone!r}")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise ValidationError(f"delimiter is one character, not {delimiter!r:.20}")
    tally = Tally(str(path))
    replayer = _replayer(tally, policy, config, groups, resolution_code, impact, urgency)
    reader = _LogReader(Path(path), names, vocabulary, time_format, zone, replayer)
    reader.delimiter = delimiter
    return ProblemImportRun(reader.cases(), replayer)


def _replayer(
    tally: Tally,
    policy: ImportPolicy,
    config: ProblemConfig | None,
    groups: GroupDirectory | None,
    code: ProblemResolutionCode,
    impact: Impact,
    urgency: Urgency,
) -> ProblemReplayer:
    if config is None:
        config = IMPORT_CONFIG
    if not isinstance(config, ProblemConfig):
        raise ValidationError(f"config must be a ProblemConfig, not {config!r}")
    if not isinstance(code, ProblemResolutionCode):
        raise ValidationError(f"resolution_code must be a ProblemResolutionCode, not {code!r}")
    if code == _CLOSE and not config.allow_close_without_rca:
        raise ValidationError(
            "resolution_code closed_without_rca needs ProblemConfig(allow_close_without_rca=True)"
        )
    if code != _CLOSE and code not in config.resolution_codes:
        raise ValidationError(f"resolution_code {code.code} is not one of the config's codes")
    if not isinstance(impact, Impact) or not isinstance(urgency, Urgency):
        raise ValidationError(f"impact and urgency must be levels, not {impact!r}, {urgency!r}")
    if groups is not None and not isinstance(groups, GroupDirectory):
        raise ValidationError(f"groups must be a GroupDirectory, not {groups!r}")
    return ProblemReplayer(
        tally,
        policy=ImportPolicy(policy),
        config=config,
        groups=groups,
        resolution_code=code,
        impact=impact,
        urgency=urgency,
    )


def _columns(columns: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(columns, Mapping):
        raise ValidationError(f"columns must be a mapping of key to column name, not {columns!r}")
    unknown = [k for k in columns if k not in PROBLEM_COLUMNS]
    if unknown:
        raise ValidationError(f"unknown column keys {unknown}: use {', '.join(PROBLEM_COLUMNS)}")
    missing = [k for k in _REQUIRED if k not in columns]
    if missing:
        raise ValidationError(f"columns must name {', '.join(missing)}")
    bad = {k: v for k, v in columns.items() if not isinstance(v, str) or not v}
    if bad:
        raise ValidationError(f"column names must be non-empty strings, not {bad}")
    return dict(columns)


def _phases(phases: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(phases, Mapping):
        raise ValidationError(f"phases must be a mapping of status to phase, not {phases!r}")
    bad = {k: v for k, v in phases.items() if not isinstance(k, str) or v not in PHASE_TOKENS}
    if bad:
        raise ValidationError(f"unknown phase tokens {bad}: use {', '.join(PHASE_TOKENS)}")
    return dict(phases)


class _LogReader:
    """Reads the CSV once, grouping rows by case id; counts rows without an id itself."""

    def __init__(
        self,
        path: Path,
        columns: dict[str, str],
        phases: dict[str, str],
        time_format: str,
        zone: tzinfo,
        replayer: ProblemReplayer,
    ) -> None:
        self.path, self.columns, self.phases = path, columns, phases
        self.time_format, self.zone, self.replayer = time_format, zone, replayer
        self.delimiter = ","

    def cases(self) -> Iterator[ProblemCase]:
        yield from self._read().values()

    def _read(self) -> dict[str, ProblemCase]:
        source = str(self.path)
        found: dict[str, ProblemCase] = {}
        line = 1
        with open_export(self.path, "rt") as handle:
            rows = csv.reader(handle, delimiter=self.delimiter)
            try:
                header = next(rows, None)
                if header is None:
                    raise MalformedExport(source, None, "empty file: no header row")
                if header and header[0].startswith("\ufeff"):
                    header[0] = header[0][1:]
                index = self._index(header)
                line = rows.line_num + 1
                for row in rows:
                    self._row(row, index, line, found)
                    line = rows.line_num + 1
            except (csv.Error, UnicodeDecodeError) as exc:
                raise MalformedExport(source, line, f"unreadable CSV: {exc}") from None
            except (OSError, EOFError) as exc:
                raise MalformedExport(source, line, f"unreadable file: {exc}") from None
        return found

    def _index(self, header: list[str]) -> dict[str, int]:
        missing = [name for name in self.columns.values() if name not in header]
        if missing:
            raise MalformedExport(str(self.path), 1, f"missing columns: {', '.join(missing)}")
        return {key: header.index(name) for key, name in self.columns.items()}

    def _row(
        self, row: list[str], index: dict[str, int], line: int, found: dict[str, ProblemCase]
    ) -> None:
        if not row:
            return  # a blank line is no row
        cells = {key: (row[i].strip() if i < len(row) else None) for key, i in index.items()}
        case_id = cells["case"]
        if not case_id:
            self._orphan(line, "no case id")
            return
        step = self._step(cells, line)
        if len(row) < len(index) and step.error is None:
            step.error = f"row has {len(row)} cells, fewer than the columns named"
        case = found.get(case_id)
        if case is None:
            case = found[case_id] = ProblemCase(case_id)
        case.steps.append(step)

    def _orphan(self, line: int, rule: str) -> None:
        tally = self.replayer.tally
        deviation = Deviation("(no id)", line, rule, None, tally.source)
        if self.replayer.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        tally.rows_read += 1
        tally.rows_rejected += 1
        tally.deviations.append(deviation)

    def _step(self, cells: dict[str, str | None], line: int) -> ProblemStep:
        status = cells.get("status") or ""
        sub = cells.get("sub_status")
        key = f"{status}/{sub}" if sub else status
        phase = self.phases.get(key)
        if phase is None and sub is not None:
            phase = self.phases.get(status)
        at, error = self._time(cells.get("timestamp") or "")
        impact, urgency = _level(cells.get("impact")), _level(cells.get("urgency"))
        if impact is None or urgency is None:
            error = (
                error
                or f"unknown impact or urgency {cells.get('impact')!r}/{cells.get('urgency')!r}"
            )
        return ProblemStep(
            line=line,
            at=at,
            status=key,
            phase=phase,
            group=cells.get("group") or None,
            resource=cells.get("resource") or None,
            impact=Impact(impact) if impact else None,
            urgency=Urgency(urgency) if urgency else None,
            statement=cells.get("statement") or None,
            description=cells.get("description") or None,
            category=cells.get("category") or None,
            service=cells.get("service") or None,
            error=error,
        )

    def _time(self, text: str) -> tuple[datetime | None, str | None]:
        if not text:
            return None, "no timestamp"
        try:
            if self.time_format == "iso":
                at = datetime.fromisoformat(text)
            else:
                at = datetime.strptime(text, self.time_format)
            if at.tzinfo is None:
                at = at.replace(tzinfo=self.zone)
            at.astimezone(UTC)  # a time the zone cannot place (year 1 minus an offset) fails here
        except (ValueError, OverflowError, TypeError):
            shown = text if len(text) <= 40 else f"{text[:40]}…"
            return None, f"bad timestamp {shown!r} (format {self.time_format})"
        return at, None


def _level(text: str | None) -> str | None:
    """'high'/'medium'/'low' for a level ('1', 'High', '2 - Medium'); '' if blank; None if not."""
    if not text:
        return ""
    head = text.split("-", 1)[0].strip().lower() if text[:1].isdigit() else text.strip().lower()
    return _LEVELS.get(head)
