"""A mapping file with `entity = "problem"`: a CSV problem log, read by `read_problem_log`.

The file is the incident mapping's, read for problems: `[columns]` names
`read_problem_log`'s columns (`PROBLEM_COLUMNS`; `case_id`, `activity` and
`sub_state`, as `mapping suggest` writes them, mean `case`, `status` and
`sub_status`); `[states]` maps each status (or `"status/sub-status"`) to a
problem phase token (`PROBLEM_PHASE_TOKENS`); `[time]`, `[csv]`, `[tiers]`
and `[defaults]` (impact, urgency) mean what they mean for incidents; the
`[workflow]` switches are `ProblemConfig` fields (`PROBLEM_SWITCHES`). A
problem log is CSV, and its impact and urgency are read as 1/2/3 or
high/medium/low, so `format = "xes"` and a `[levels]` table are mistakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from itil_l2._core.priority import Impact, Urgency
from itil_l2.importers._conformance import ImportPolicy
from itil_l2.importers._groups import GroupDirectory
from itil_l2.importers._mapping_switches import bad, short
from itil_l2.importers._problem_import import (
    PROBLEM_COLUMNS,
    PROBLEM_PHASE_TOKENS,
    ProblemImportRun,
    read_problem_log,
)
from itil_l2.problems import ProblemConfig

if TYPE_CHECKING:
    from itil_l2.importers._mapping import ImportMapping

__all__ = ["check_problem_mapping", "problem_columns", "read_problem_mapping"]

ALIASES = {"case_id": "case", "activity": "status", "sub_state": "sub_status"}
_REQUIRED = ("case", "timestamp", "status")
_TOKENS = ", ".join(PROBLEM_PHASE_TOKENS)


def problem_columns(m: ImportMapping) -> dict[str, str]:
    """`read_problem_log`'s `columns` from the mapping's `[columns]` (aliases resolved)."""
    found: dict[str, str] = {}
    for key, column in m.columns.items():
        name = ALIASES.get(key, key)
        if name not in PROBLEM_COLUMNS:
            known = ", ".join(PROBLEM_COLUMNS)
            raise bad(key, f"[columns]: {key!r:.80} is no problem log column (known: {known})")
        if name in found:
            raise bad(key, f"[columns]: {name} is named twice")
        if not column:
            raise bad(key, f"[columns]: {key} names no column")
        found[name] = column
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        raise bad(missing[0], f"a problem mapping names the columns {', '.join(missing)}")
    return found


def check_problem_mapping(m: ImportMapping) -> None:
    """Every mistake of a problem mapping, as a `ValidationError` remembering its key."""
    if m.format != "csv":
        raise bad(
            "format", f'a problem log is read from CSV (format = "csv"), got {short(m.format)}'
        )
    problem_columns(m)
    for raw, token in m.states.items():
        if token not in PROBLEM_PHASE_TOKENS:
            what = "has no phase yet" if token in ("?", "") else f"= {token!r:.80} is no phase"
            raise bad(raw, f"[states]: {raw!r:.80} {what}; a problem phase is one of {_TOKENS}")
    if m.levels:
        raise bad(
            next(iter(m.levels)),
            "[levels]: a problem log's impact and urgency are read as 1/2/3 or"
            " high/medium/low; leave [levels] out",
        )
    if m.workflow is not None and not isinstance(m.workflow, ProblemConfig):
        raise bad(
            "workflow", f"workflow of a problem mapping is a ProblemConfig, got {m.workflow!r:.80}"
        )


def read_problem_mapping(
    m: ImportMapping,
    path: str | Path,
    policy: ImportPolicy,
    groups: GroupDirectory | None,
) -> ProblemImportRun:
    """The problem import the mapping means, of the log at `path`."""
    config = m.workflow if isinstance(m.workflow, ProblemConfig) else None
    return read_problem_log(
        path,
        columns=problem_columns(m),
        phases=m.states,
        time_format=m.time_format,
        zone=m.zone,
        delimiter=m.delimiter,
        policy=policy,
        config=config,
        groups=groups if groups is not None else m.groups,
        impact=Impact(m.defaults.get("impact", "medium")),
        urgency=Urgency(m.defaults.get("urgency", "medium")),
    )
