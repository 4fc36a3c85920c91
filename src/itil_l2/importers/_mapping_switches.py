"""The `[workflow]` table of a mapping file: the config switches a log needs.

An incident log's switches are `WorkflowConfig` fields (`WORKFLOW_SWITCHES`);
a problem log's are `ProblemConfig` fields (`PROBLEM_SWITCHES`), set over
the config problem imports use by default (closing without an RCA allowed,
a fix startable without a root cause: a log holds no RCA). A key that is no
switch, or a value of the wrong kind, is a mapping mistake remembering its
key, so `ImportMapping.load` can name the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from itil_l2.errors import ValidationError
from itil_l2.importers._problem_import import IMPORT_CONFIG
from itil_l2.problems import ProblemConfig
from itil_l2.tickets import EntryPolicy, WorkflowConfig

__all__ = [
    "KEY",
    "PROBLEM_SWITCHES",
    "WORKFLOW_SWITCHES",
    "bad",
    "problem_config",
    "short",
    "workflow_config",
]

KEY = "_mapping_key"
WORKFLOW_SWITCHES = (
    "allow_tier_skip",
    "auto_close_after",
    "entry_above_l1",
    "handover_min_description",
)
"""The `WorkflowConfig` fields an incident mapping's `[workflow]` table may set."""
PROBLEM_SWITCHES = ("allow_close_without_rca", "fix_needs_root_cause")
"""The `ProblemConfig` fields a problem mapping's `[workflow]` table may set (true or false)."""


def bad(key: str, message: str) -> ValidationError:
    """A mapping mistake, remembering the key it is about (so `load` can find the line)."""
    error = ValidationError(message)
    setattr(error, KEY, key)
    return error


def short(value: object) -> str:
    """A value as a mistake quotes it: short, and never a whole table."""
    if isinstance(value, str | int | float | bool):
        return f"{value!r:.80}"
    return "nothing" if value is None else f"a {type(value).__name__}"


def workflow_config(table: Mapping[str, Any]) -> WorkflowConfig:
    """The `WorkflowConfig` an incident mapping's `[workflow]` table means."""
    return WorkflowConfig(**{key: _switch(key, value) for key, value in table.items()})


def problem_config(table: Mapping[str, Any]) -> ProblemConfig:
    """The `ProblemConfig` a problem mapping's `[workflow]` table means.

    >>> problem_config({"fix_needs_root_cause": True}).allow_close_without_rca
    True
    >>> try:
    ...     problem_config({"allow_tier_skip": True})
    ... except ValidationError as exc:
    ...     print(str(exc).partition(" (")[0])
    [workflow]: 'allow_tier_skip' is no problem switch
    """
    for key, value in table.items():
        if key not in PROBLEM_SWITCHES:
            known = ", ".join(PROBLEM_SWITCHES)
            raise bad(key, f"[workflow]: {key!r:.80} is no problem switch (known: {known})")
        if not isinstance(value, bool):
            raise bad(key, f"[workflow]: {key} is true or false, got {short(value)}")
    return attrs.evolve(IMPORT_CONFIG, **table)  # what read_problem_log uses by default


def _switch(key: str, value: object) -> Any:
    """One `[workflow]` switch's value, as `WorkflowConfig` takes it."""
    if key not in WORKFLOW_SWITCHES:
        known = ", ".join(WORKFLOW_SWITCHES)
        raise bad(key, f"[workflow]: {key!r:.80} is no switch (known: {known})")
    if key == "allow_tier_skip" and not isinstance(value, bool):
        raise bad(key, f"[workflow]: allow_tier_skip is true or false, got {short(value)}")
    if key == "handover_min_description" and (type(value) is not int or value < 0):
        raise bad(key, f"[workflow]: {key} is a whole number >= 0, got {short(value)}")
    if key == "entry_above_l1":
        choices = [p.value for p in EntryPolicy]
        if value not in choices:
            raise bad(key, f"[workflow]: {key} is one of {', '.join(choices)}, got {short(value)}")
        return EntryPolicy(value)
    if key == "auto_close_after":
        return _period(value, key)
    return value


_PERIOD = re.compile(r"(\d{1,6})\s*(d|h|m)")


def _period(value: object, key: str) -> timedelta:
    found = _PERIOD.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or int(found.group(1)) == 0:
        raise bad(
            key, f'[workflow]: {key} is a period such as "5d", "12h" or "90m", got {short(value)}'
        )
    unit = {"d": "days", "h": "hours", "m": "minutes"}[found.group(2)]
    return timedelta(**{unit: int(found.group(1))})
