"""What every export reader shares: opening the file, and the run it returns.

`read_servicenow` and `read_xes` differ in how they turn a file into cases;
both open the file the same way (gzip or not, told by its first bytes, not
its name) and return an `ImportRun` that replays the cases under the same
options.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, TypedDict

from itil_l2._core.checks import check_keywords
from itil_l2.importers._conformance import ImportPolicy, MalformedExport, Tally
from itil_l2.importers._groups import GroupDirectory
from itil_l2.importers._replay import Replayer
from itil_l2.importers._run import ImportRun, OnRow
from itil_l2.importers._steps import Case
from itil_l2.tickets import SOLVED_PERMANENTLY, ResolutionCode, WorkflowConfig

__all__ = ["ImportOptions", "open_export", "start_import"]

_GZIP_MAGIC = b"\x1f\x8b"


class ImportOptions(TypedDict, total=False):
    """The options every export reader takes; each key is optional.

    - `policy`: what a row the workflow refuses does (default `LENIENT`: repair
      what can be repaired, report it as a deviation);
    - `groups`: the tier directory (default: tiers inferred per ticket);
    - `config`: the `WorkflowConfig` tickets replay under;
    - `resolution_code`: the code imported resolutions get (default
      `SOLVED_PERMANENTLY`);
    - `on_row`: called with each row's outcome, e.g. for a progress bar.
    """

    policy: ImportPolicy
    groups: GroupDirectory | None
    config: WorkflowConfig | None
    resolution_code: ResolutionCode
    on_row: OnRow | None


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
    )
    on_row = options.get("on_row")

    def cases(tally: Tally) -> Iterator[Case]:
        return read(Path(path), tally)

    return ImportRun(cases, replayer, on_row)
