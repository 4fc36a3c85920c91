"""CMDB: configuration items, their typed relations and the impact graph.

The CI's payload events are in `itil_l2.cmdb.events`.
"""

from __future__ import annotations

from itil_l2._core.public import expose

from ._ci import (
    ConfigurationItem,
    apply_resolution,
    ci_changes_for,
)
from ._config import (
    CiFacts,
    CiPermissions,
    CmdbConfig,
    DefaultCiPermissions,
)
from ._graph import (
    DEFAULT_PROPAGATING,
    CiNode,
    CiReach,
    CmdbGraph,
    Edge,
    cis_with_open_incidents,
    support_groups_for,
)
from ._workflow import (
    WORKFLOW,
    CiChangeConflict,
    CiStatus,
    CiTrigger,
    ResolutionAlreadyApplied,
    UnknownCi,
    UnknownRelation,
)
from .events import (
    AttributeChange,
    AttributeRecord,
    CiEvent,
    CiKind,
    CiPayload,
    HealthState,
    Relation,
    RelationKind,
)

__all__ = [
    "WORKFLOW",
    "AttributeChange",
    "AttributeRecord",
    "CiChangeConflict",
    "CiEvent",
    "CiFacts",
    "CiKind",
    "CiNode",
    "CiPayload",
    "CiPermissions",
    "CiReach",
    "CiStatus",
    "CiTrigger",
    "CmdbConfig",
    "CmdbGraph",
    "ConfigurationItem",
    "DEFAULT_PROPAGATING",
    "DefaultCiPermissions",
    "Edge",
    "HealthState",
    "Relation",
    "RelationKind",
    "ResolutionAlreadyApplied",
    "UnknownCi",
    "UnknownRelation",
    "apply_resolution",
    "ci_changes_for",
    "cis_with_open_incidents",
    "support_groups_for",
]

expose(__name__, globals(), __all__)
