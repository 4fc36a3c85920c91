"""The rule of every problem trigger: what its event must hold, checked live and on replay.

`RULES` maps each payload type to one function taking the problem as it is
before the event, the payload and the actor's id. `Problem`'s triggers only
build payloads; the entity engine runs the payload's rule both when a trigger
fires and when a stored history is replayed, so a check cannot exist for one
path only. The rules cover the config (configured resolution codes, flags
included; `closed_without_rca` only with `allow_close_without_rca`),
"changes something" (assign, RCA, workaround), links (no incident twice,
resolved incidents are linked ones), duplicates (not of itself) and the known
error (raised once, only with a root cause and a workaround, and holding
what the problem says). Each payload checks its own values (types, non-blank
texts) when it is made. Two conditions are the workflow's own, so they run on
replay too: starting the fix needs a root cause, and a code that requires an
RCA needs a complete one (`RcaIncomplete`).

What depends on the ticket objects a trigger is given (`link_incident`'s and
`resolve`'s tickets: their kind, their links, their hold reason, whether their
own triggers accept) is checked live only, in `Problem`: a stored problem
event names ticket ids, and replay has only the problem's own history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itil_l2._core.checks import check_identifier
from itil_l2._core.entity import Rule
from itil_l2._core.fields import check_changes
from itil_l2.errors import DuplicateLink, UnknownResolutionCode, ValidationError
from itil_l2.problems import events as ev
from itil_l2.problems._config import ProblemResolutionCode
from itil_l2.problems._known_error import KnownErrorNotReady, known_error_gaps

__all__ = ["RULES", "check_opened"]


def check_opened(id: str, payload: ev.ProblemOpened, config: Any) -> None:
    """A creation event: an id (an identifier) and the priority the config's matrix gives."""
    check_identifier(id, "id")
    config.priority_matrix.check(payload.impact, payload.urgency, payload.priority)


# -- one rule per payload type --------------------------------------------------------


def _assigned(p: Any, e: ev.ProblemAssigned, _actor: str, _at: datetime) -> None:
    if (p.group, p.assignee) == (e.group, e.assignee):
        raise ValidationError(f"{p.id} is already with {e.group.name}/{e.assignee}")


def _rca_recorded(p: Any, e: ev.ProblemRcaRecorded, _actor: str, _at: datetime) -> None:
    check_changes(p, "rca", e.rca)


def _workaround_published(
    p: Any, e: ev.ProblemWorkaroundPublished, _actor: str, _at: datetime
) -> None:
    check_changes(p, "workaround", e.text)


def _incident_linked(p: Any, e: ev.ProblemIncidentLinked, _actor: str, _at: datetime) -> None:
    if e.ticket_id in p.incident_ids:
        raise DuplicateLink(f"{p.id} already links {e.ticket_id}")


def _known_error_raised(p: Any, e: ev.ProblemKnownErrorRaised, _actor: str, _at: datetime) -> None:
    """Once; with a root cause and a workaround; holding the problem's own facts."""
    if p.known_error is not None:
        raise ValidationError(f"{p.id} already is known error {p.known_error.id}")
    missing = known_error_gaps(p)
    if missing:
        raise KnownErrorNotReady(missing)
    known = e.known_error
    facts = {
        "problem_id": p.id,
        "title": p.statement,
        "root_cause": p.rca.root_cause,
        "workaround": p.workaround,
        "category": p.category,
        "ci_refs": p.ci_refs,
    }
    for name, value in facts.items():
        if getattr(known, name) != value:
            raise ValidationError(
                f"known error {known.id}: {name} is {getattr(known, name)!r}, "
                f"but the problem says {value!r}"
            )


def _resolved(p: Any, e: ev.ProblemResolved, _actor: str, _at: datetime) -> None:
    """A configured code (flags included), not a duplicate of itself, linked incidents only."""
    resolution = e.resolution
    code = resolution.code
    if resolution.duplicate_of == p.id:
        raise ValidationError("a problem cannot duplicate itself")
    if code == ProblemResolutionCode.CLOSED_WITHOUT_RCA:
        if not p.config.allow_close_without_rca:
            raise UnknownResolutionCode(
                f"{code.code} ends a problem without an RCA, for imported histories only: "
                "set ProblemConfig(allow_close_without_rca=True)"
            )
    elif code not in p.config.resolution_codes:
        raise UnknownResolutionCode(
            f"{code.code!r} (requires_rca={code.requires_rca}, duplicate={code.duplicate}, "
            f"incident_code={code.incident_code}) is not a configured problem code"
        )
    ids = e.incident_ids
    if not ids:
        return
    if code.incident_code is None:
        raise ValidationError(f"{code.code} resolves no incidents; link them elsewhere")
    strangers = [i for i in ids if i not in p.incident_ids]
    if strangers or len(set(ids)) != len(ids):
        raise ValidationError(
            f"{p.id} resolves only its linked incidents, once each, not {list(ids)}"
        )


# -- shared parts -----------------------------------------------------------------------


RULES: dict[type[Any], Rule] = {
    ev.ProblemAssigned: _assigned,
    ev.ProblemRcaRecorded: _rca_recorded,
    ev.ProblemWorkaroundPublished: _workaround_published,
    ev.ProblemIncidentLinked: _incident_linked,
    ev.ProblemKnownErrorRaised: _known_error_raised,
    ev.ProblemResolved: _resolved,
}
"""Payload type -> its rule; payloads without one need only the workflow and their values."""
