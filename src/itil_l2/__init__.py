"""itil_l2: ITIL second-level support workflows as a typed, pure-Python library.

The root exports the headline names: the entities, the values a caller
needs to fire their triggers, the configs, the common errors, the store
entry points, `sla_status`, `kpi_table` and `diagram`. Everything else
lives at its concept's path, one package per concept:

- `itil_l2.tickets`, `itil_l2.problems` (with `.rca`), `itil_l2.changes`,
  `itil_l2.knowledge`, `itil_l2.cmdb`: the entities; each has a public
  `events` module with its payload events;
- `itil_l2.sla`, `itil_l2.kpis`, `itil_l2.analytics`: clocks, KPIs, trends;
- `itil_l2.storage`: ports, store, query, codec and adapters;
- `itil_l2.importers`, `itil_l2.report`, `itil_l2.cli`, `itil_l2.testing`;
- `itil_l2.errors`: every error family.

The limits on values are defined once and hold at every entry point:
`MAX_ID_LENGTH` for identifiers (ids, tenants, group names, categories, CI
references...), which hold no control character either; text holds no NUL;
JSON values nest at most `MAX_JSON_DEPTH` levels, with whole numbers within
±`MAX_JSON_INT`. What passes them fits every storage adapter.

Every entity package exports its compiled `WORKFLOW` (a `Workflow`): the one
definition its triggers route through and its diagram is drawn from.

Modules and packages whose name starts with `_` are private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.checks import MAX_ID_LENGTH, MAX_JSON_DEPTH, MAX_JSON_INT
from itil_l2._core.diagram import diagram
from itil_l2._core.priority import Impact, Priority, PriorityMatrix, Urgency
from itil_l2._core.public import expose
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.workflow import Workflow
from itil_l2.changes import ChangeConfig, ChangeRequest
from itil_l2.cmdb import CmdbConfig, ConfigurationItem
from itil_l2.errors import (
    AlreadyExists,
    ConcurrencyError,
    CorruptHistory,
    ErrorCategory,
    IncompleteHandover,
    InvalidTransition,
    ItilL2Error,
    NotFound,
    NotPermitted,
    StorageError,
    ValidationError,
    WorkflowError,
)
from itil_l2.knowledge import KnowledgeArticle, KnowledgeConfig, TrainingSession
from itil_l2.kpis import kpi_table
from itil_l2.problems import KnownError, Problem, ProblemConfig, RcaRecord
from itil_l2.sla import BusinessCalendar, SlaTarget, sla_status
from itil_l2.storage import MemoryStore, Query
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    Handover,
    HoldReason,
    L3Target,
    L3TargetKind,
    Link,
    LinkKind,
    Phase,
    Resolution,
    ResolutionCode,
    SolutionAttempt,
    Ticket,
    WorkflowConfig,
)

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import SqliteStore

__version__ = "0.2.0"

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_JSON_INT",
    "SOLVED_PERMANENTLY",
    "SYSTEM",
    "Actor",
    "AlreadyExists",
    "BusinessCalendar",
    "ChangeConfig",
    "ChangeRequest",
    "CmdbConfig",
    "ConcurrencyError",
    "ConfigurationItem",
    "CorruptHistory",
    "ErrorCategory",
    "Handover",
    "HoldReason",
    "Impact",
    "IncompleteHandover",
    "InvalidTransition",
    "ItilL2Error",
    "KnowledgeArticle",
    "KnowledgeConfig",
    "KnownError",
    "L3Target",
    "L3TargetKind",
    "Link",
    "LinkKind",
    "MemoryStore",
    "NotFound",
    "NotPermitted",
    "Phase",
    "Priority",
    "PriorityMatrix",
    "Problem",
    "ProblemConfig",
    "Query",
    "RcaRecord",
    "Resolution",
    "ResolutionCode",
    "Role",
    "SlaTarget",
    "SolutionAttempt",
    "SqliteStore",
    "StorageError",
    "SupportGroup",
    "Ticket",
    "Tier",
    "TrainingSession",
    "Urgency",
    "ValidationError",
    "WorkflowConfig",
    "Workflow",
    "WorkflowError",
    "diagram",
    "kpi_table",
    "sla_status",
]


def __getattr__(name: str) -> Any:
    """`itil_l2.SqliteStore` loads the SQLite adapter (and `sqlite3`) on first use."""
    if name == "SqliteStore":
        from itil_l2.storage import SqliteStore

        return SqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


expose(__name__, globals(), [n for n in __all__ if n != "SqliteStore"], source="itil_l2._core.")
