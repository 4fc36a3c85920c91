"""Importers: real ticket exports (ServiceNow CSV, XES and CSV event logs) → tickets.

Every imported ticket is built through the library's own workflow, so it
obeys the same rules as a live one. Where an export breaks a rule, the
import records a `Deviation` and goes on as the `ImportPolicy` says; the
`ImportReport` accounts for every row. `simulate` generates realistic ticket
streams through the same workflow.

>>> from itil_l2.importers import ImportPolicy, simulate
>>> [t.id for t in simulate(3, seed=7)]
['SIM-000001', 'SIM-000002', 'SIM-000003']
"""

from __future__ import annotations

from itil_l2._core.public import expose
from itil_l2.importers._conformance import (
    ConformanceError,
    Deviation,
    ImportPolicy,
    ImportReport,
    MalformedExport,
)
from itil_l2.importers._csvlog import read_csv_log
from itil_l2.importers._groups import GroupDirectory, TierRule, infer_tiers
from itil_l2.importers._mapping import ImportMapping
from itil_l2.importers._problem_import import (
    PROBLEM_COLUMNS,
    PROBLEM_PHASE_TOKENS,
    ProblemCase,
    ProblemImportRun,
    ProblemStep,
    read_problem_log,
    replay_problems,
)
from itil_l2.importers._reading import ImportOptions
from itil_l2.importers._run import ImportRun, import_into
from itil_l2.importers._servicenow import read_servicenow
from itil_l2.importers._simulate import simulate
from itil_l2.importers._suggest import suggest_mapping
from itil_l2.importers._xes import KEEP, XesMapping, read_xes
from itil_l2.importers._xes_export import write_xes

__all__ = [
    "KEEP",
    "PROBLEM_COLUMNS",
    "PROBLEM_PHASE_TOKENS",
    "ConformanceError",
    "Deviation",
    "GroupDirectory",
    "ImportMapping",
    "ImportOptions",
    "ImportPolicy",
    "ImportReport",
    "ImportRun",
    "MalformedExport",
    "ProblemCase",
    "ProblemImportRun",
    "ProblemStep",
    "TierRule",
    "XesMapping",
    "import_into",
    "infer_tiers",
    "read_csv_log",
    "read_problem_log",
    "read_servicenow",
    "read_xes",
    "replay_problems",
    "simulate",
    "suggest_mapping",
    "write_xes",
]

expose(__name__, globals(), __all__)
