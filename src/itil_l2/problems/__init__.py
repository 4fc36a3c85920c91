"""Problems: problem records, root cause analysis (`itil_l2.problems.rca`) and known errors.

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
from .rca import (
    Analysis,
    CauseTest,
    CustomAnalysis,
    CustomSection,
    Evidence,
    EvidenceKind,
    FaultGate,
    FaultNode,
    FaultTree,
    FiveWhys,
    Ishikawa,
    IshikawaBranch,
    KepnerTregoe,
    KtDimension,
    PossibleCause,
    RcaAction,
    RcaIncomplete,
    RcaMethod,
    RcaRecord,
    RcaStatus,
    SpecItem,
    Timeline,
    TimelineEntry,
    Why,
)

__all__ = [
    "WORKFLOW",
    "AffectedProduct",
    "Analysis",
    "CauseTest",
    "CustomAnalysis",
    "CustomSection",
    "DefaultProblemPermissions",
    "Evidence",
    "EvidenceKind",
    "FaultGate",
    "FaultNode",
    "FaultTree",
    "FiveWhys",
    "IncidentLinkedElsewhere",
    "Ishikawa",
    "IshikawaBranch",
    "KepnerTregoe",
    "KnownError",
    "KnownErrorMatch",
    "KnownErrorNotReady",
    "KtDimension",
    "MatchWeights",
    "PossibleCause",
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
    "RcaAction",
    "RcaIncomplete",
    "RcaMethod",
    "RcaRecord",
    "RcaStatus",
    "SpecItem",
    "SymptomFacts",
    "Timeline",
    "TimelineEntry",
    "Why",
    "match_known_errors",
]

expose(__name__, globals(), __all__)
