"""Problems: problem records, root cause analysis and known errors.

The RCA record and its methods (five whys, Ishikawa, Kepner-Tregoe, fault
trees, timelines, custom methods) are in `itil_l2.problems.rca`.

The problem's payload events are in `itil_l2.problems.events`.
"""

from __future__ import annotations

from itil_l2._core.public import expose

from ._config import (
    DefaultProblemPermissions,
    ProblemConfig,
    ProblemFacts,
    ProblemPermissions,
    ProblemResolutionCode,
)
from ._known_error import (
    AffectedProduct,
    KnownError,
    KnownErrorDetails,
    KnownErrorMatch,
    KnownErrorNotReady,
    MatchWeights,
    SymptomFacts,
    match_known_errors,
)
from ._problem import (
    IncidentLinkedElsewhere,
    Problem,
)
from ._workflow import (
    WORKFLOW,
    ProblemPhase,
    ProblemTrigger,
)
from .events import (
    ProblemEvent,
    ProblemPayload,
    ProblemResolution,
)
from .rca import RcaIncomplete, RcaRecord, RcaStatus

__all__ = [
    "WORKFLOW",
    "AffectedProduct",
    "DefaultProblemPermissions",
    "IncidentLinkedElsewhere",
    "KnownError",
    "KnownErrorDetails",
    "KnownErrorMatch",
    "KnownErrorNotReady",
    "MatchWeights",
    "Problem",
    "ProblemConfig",
    "ProblemEvent",
    "ProblemFacts",
    "ProblemPayload",
    "ProblemPermissions",
    "ProblemPhase",
    "ProblemResolution",
    "ProblemResolutionCode",
    "ProblemTrigger",
    "RcaIncomplete",
    "RcaRecord",
    "RcaStatus",
    "SymptomFacts",
    "match_known_errors",
]

expose(__name__, globals(), __all__)
