"""What every export reader shares: opening the file, and the run it returns.

`read_servicenow` and `read_xes` differ in how they turn a file into cases;
both open the file the same way (gzip or not, told by its first bytes, not
its name) and return an `ImportRun` that replays the cases under the same
options.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal, TypedDict

from itil_l2._core.checks import check_keywords
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import (
    ConformanceError,
    Deviation,
    ImportPolicy,
    MalformedExport,
    Tally,
)
from itil_l2.importers._groups import GroupDirectory
from itil_l2.importers._replay import Replayer
from itil_l2.importers._run import ImportRun, OnRow
from itil_l2.importers._steps import Case
from itil_l2.tickets import SOLVED_PERMANENTLY, ResolutionCode, WorkflowConfig

__all__ = [
    "ImportOptions",
    "case_fault",
    "check_cap",
    "open_export",
    "policy_of",
    "start_import",
]

_GZIP_MAGIC = b"\x1f\x8b"


class ImportOptions(TypedDict, total=False):
    """The options every export reader takes; each key is optional.

    - `policy`: what a row the workflow refuses does (default `LENIENT`: repair
      what can be repaired, report it as a deviation);
    - `groups`: the tier directory (default: tiers inferred per ticket);
    - `config`: the `WorkflowConfig` tickets replay under;
    - `resolution_code`: the code imported resolutions get (default
      `SOLVED_PERMANENTLY`);
    - `on_row`: called with each row's outcome, e.g. for a progress bar;
    - `defaults`: field name → value for fields the export lacks, used
      without a deviation: `impact` and `urgency`, each `"high"`,
      `"medium"` or `"low"` (anything else: `ValidationError`).
    """

    policy: ImportPolicy
    groups: GroupDirectory | None
    config: WorkflowConfig | None
    resolution_code: ResolutionCode
    on_row: OnRow | None
    defaults: Mapping[str, str] | None


def open_export(path: Path, mode: Literal["rb", "rt"]) -> IO[Any]:
    """`path` opened for reading, through gzip when it starts like a gzip stream.

    Text (`"rt"`) is UTF-8 with line endings left to the reader, as `csv`
    wants. A file that cannot be opened is a `MalformedExport`.
    """
    encoding, newline = (None, None) if mode == "rb" else ("utf-8", "")
    try:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == _GZIP_MAGIC
        if gzipped:
            # a GzipFile is an IO, though typeshed does not say so
            return gzip.open(path, mode, encoding=encoding, newline=newline)  # type: ignore[return-value]
        return path.open(mode, encoding=encoding, newline=newline)
    except OSError as exc:
        raise MalformedExport(str(path), None, f"cannot open: {exc.strerror or exc}") from None


def policy_of(options: ImportOptions) -> ImportPolicy:
    """The options' policy (default lenient); one that is none: `ValidationError`."""
    policy = options.get("policy", ImportPolicy.LENIENT)
    try:
        return ImportPolicy(policy)
    except ValueError:
        names = ", ".join(p.value for p in ImportPolicy)
        raise ValidationError(f"policy must be one of {names}, got {policy!r}") from None


def check_cap(name: str, value: object, *, optional: bool = False) -> Any:
    """`value` if it is a positive int (or None when `optional`), else a `ValidationError`."""
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{name} must be a positive int, got {value!r}")
    return value


def case_fault(
    tally: Tally, policy: ImportPolicy, case: Case, line: int | None, rule: str, repair: str
) -> bool:
    """A field of the case itself (not of one row) the reader cannot use; True: keep the case.

    Like any deviation: under `strict` a `ConformanceError`; under `lenient`
    recorded with its `repair` (the reader leaves the field out) and the
    ticket counted as repaired; under `skip` the case is dropped here,
    counted as skipped with its rows rejected (False: do not yield it).
    """
    lenient = policy is ImportPolicy.LENIENT
    deviation = Deviation(case.id, line, rule, repair if lenient else None, tally.source)
    if policy is ImportPolicy.STRICT:
        raise ConformanceError(deviation)
    tally.deviations.append(deviation)
    if lenient:
        tally.repaired[case.id] = None
        return True
    tally.incidents += 1
    tally.skipped.append(case.id)
    tally.rows_rejected += len(case.steps)
    return False


def start_import(
    path: str | Path,
    read: Callable[[Path, Tally], Iterator[Case]],
    options: ImportOptions,
    reader: str,
) -> ImportRun:
    """The `ImportRun` that replays the cases `read(path, tally)` finds (nothing read yet)."""
    check_keywords(options, ImportOptions.__annotations__, reader)
    tally = Tally(str(path))
    replayer = Replayer(
        tally,
        policy=options.get("policy", ImportPolicy.LENIENT),
        groups=options.get("groups"),
        config=options.get("config"),
        resolution_code=options.get("resolution_code", SOLVED_PERMANENTLY),
        defaults=options.get("defaults"),
    )
    on_row = options.get("on_row")

    def cases(tally: Tally) -> Iterator[Case]:
        return read(Path(path), tally)

    return ImportRun(cases, replayer, on_row)
