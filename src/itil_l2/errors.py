"""The library's error hierarchy: every failure is an `ItilL2Error`.

Hosts catch one base class; each subclass carries the facts a caller needs to
explain the refusal to a user (which phase, which parts are missing, ...).
Errors that belong to one concept live in its package (for example
`itil_l2.changes.ApprovalMissing`, `itil_l2.sla.NoTargetForPriority`); each is
a subclass of one of these families.

Every error also carries a `category` (an `ErrorCategory`, a class attribute
subclasses inherit or override): what kind of refusal it is, independent of
the class tree, so a host maps errors to responses with one lookup instead of
an ordered table of classes. `ErrorCategory.http_status` is the suggested
HTTP status.

>>> from itil_l2.errors import InvalidTransition, ItilL2Error, WorkflowError
>>> issubclass(InvalidTransition, WorkflowError) and issubclass(WorkflowError, ItilL2Error)
True
>>> InvalidTransition.category, InvalidTransition.category.http_status
(<ErrorCategory.CONFLICT: 'conflict'>, 409)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "AlreadyExists",
    "ConcurrencyError",
    "ConfigMismatch",
    "ConfigurationError",
    "CorruptHistory",
    "DuplicateLink",
    "EntryRefused",
    "ErrorCategory",
    "EventOutOfOrder",
    "IncompleteHandover",
    "InvalidTransition",
    "ItilL2Error",
    "NaiveDatetime",
    "NotFound",
    "NotPermitted",
    "StorageError",
    "TenantMismatch",
    "TierSkipRefused",
    "TransactionNotJoinable",
    "UnknownHoldReason",
    "UnknownResolutionCode",
    "UnknownSchema",
    "ValidationError",
    "WorkflowError",
]


class ErrorCategory(StrEnum):
    """What kind of refusal an error is; `http_status` is the status a web host answers.

    Six categories cover every `ItilL2Error`: the caller's input is wrong
    (`INVALID_INPUT`), the thing asked for does not exist (`NOT_FOUND`), the
    current state of the data refuses the request (`CONFLICT`), the actor may
    not do it (`FORBIDDEN`), the library is set up wrongly by the host
    (`CONFIGURATION`: the caller can do nothing about it), or stored data cannot
    be read back (`CORRUPT_DATA`). The last two are server faults.

    >>> from itil_l2.errors import ErrorCategory, NotFound
    >>> NotFound.category, NotFound("ticket", "INC-9").category.http_status
    (<ErrorCategory.NOT_FOUND: 'not_found'>, 404)
    """

    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    CONFIGURATION = "configuration"
    CORRUPT_DATA = "corrupt_data"

    @property
    def http_status(self) -> int:
        """The HTTP status a web host answers an error of this category with."""
        return _HTTP_STATUS[self]


_HTTP_STATUS = {
    ErrorCategory.INVALID_INPUT: 422,
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.FORBIDDEN: 403,
    ErrorCategory.CONFIGURATION: 500,
    ErrorCategory.CORRUPT_DATA: 500,
}


class ItilL2Error(Exception):
    """Base class of every error raised by itil_l2.

    An error no subclass classifies more closely counts as a server fault
    (`CONFIGURATION`): a caller is never told to fix what they cannot.
    """

    category: ErrorCategory = ErrorCategory.CONFIGURATION

    @property
    def http_status(self) -> int:
        """The HTTP status a web host answers this error with (its category's).

        >>> from itil_l2.errors import NotFound
        >>> NotFound("ticket", "INC-9").http_status
        404
        """
        return self.category.http_status


class ValidationError(ItilL2Error, ValueError):
    """A value handed to the library is malformed (empty title, bad mapping, ...)."""

    category = ErrorCategory.INVALID_INPUT


class ConfigurationError(ItilL2Error):
    """The host set the library up wrongly (a missing SLA target, an unusable engine).

    Not the caller's fault: a web host answers 500 and logs it.
    """

    category = ErrorCategory.CONFIGURATION


class NaiveDatetime(ValidationError):
    """A datetime without time zone was given; the library only accepts aware ones."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} must be a timezone-aware datetime, got a naive one")
        self.name = name


class UnknownResolutionCode(ValidationError):
    """The resolution code is not one of the configured codes."""


class UnknownHoldReason(ValidationError):
    """The hold reason is not one of the configured reasons."""


class EventOutOfOrder(ValidationError):
    """A trigger's `at` lies before the entity's last event: time never goes back.

    Invalid input: the caller gave the time (a stored history out of order is
    reported as `CorruptHistory` instead).
    """


class CorruptHistory(ItilL2Error):
    """A history cannot be replayed (gaps, wrong entity, an illegal step)."""

    category = ErrorCategory.CORRUPT_DATA


class ConcurrencyError(ItilL2Error):
    """A stale write: the stored version is not the one the entity was loaded with."""

    category = ErrorCategory.CONFLICT


class StorageError(ItilL2Error):
    """A repository refused an operation on stored data (the base of the storage errors).

    Unclassified storage failures (the database refused, no such file) are
    server faults: `CONFIGURATION`.
    """

    category = ErrorCategory.CONFIGURATION


class NotFound(StorageError, KeyError):
    """No stored aggregate of this kind has this id (in this tenant)."""

    category = ErrorCategory.NOT_FOUND

    def __init__(self, kind: str, entity_id: str, tenant: str | None = None) -> None:
        where = f" in tenant {tenant!r}" if tenant else ""
        super().__init__(f"no {kind} {entity_id!r}{where}")
        self.kind = kind
        self.entity_id = entity_id
        self.tenant = tenant

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class AlreadyExists(StorageError):
    """`add` was given an aggregate whose id is already stored (use `save` to update)."""

    category = ErrorCategory.CONFLICT


class ConfigMismatch(StorageError, ConfigurationError):
    """A workflow config differs from the one stored with the data (see `docs/storage.md`).

    The stored entities were validated under the stored config; replaying
    them under another could call valid data corrupt (or let invalid data
    through), so the store refuses and names every differing setting.
    `differences` holds (setting, value there, value here), values as JSON:
    there is the stored config (or the store's own), here the one given.

    >>> error = ConfigMismatch("ticket", [("allow_tier_skip", "true", "false")], "Do so.")
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    the ticket config differs from the one stored with the data:
    allow_tier_skip is true there, false here. Do so.
    """

    def __init__(
        self,
        kind: str,
        differences: Iterable[tuple[str, str, str]],
        advice: str,
        *,
        against: str = "the one stored with the data",
    ) -> None:
        self.kind = kind
        self.differences = tuple(differences)
        settings = "; ".join(
            f"{name} is {there} there, {here} here" for name, there, here in self.differences
        )
        super().__init__(f"the {kind} config differs from {against}: {settings}. {advice}")


class TenantMismatch(StorageError):
    """An entity loaded or added in one tenant cannot be saved in another.

    The entity remembers the tenant storage loaded or added it in; a unit of
    work for another tenant refuses to save it and writes nothing.
    Forbidden: one tenant never writes another's data.
    """

    category = ErrorCategory.FORBIDDEN


class TransactionNotJoinable(StorageError, ConfigurationError):
    """The host's connection cannot hold a unit of work inside its own transaction.

    For example SQLite under pysqlite's default transaction handling, where a
    SAVEPOINT's release commits: the host's rollback could not undo the
    library's writes. The message says how to configure the engine.
    """

    category = ErrorCategory.CONFIGURATION


class UnknownSchema(StorageError):
    """A stored event has a schema version this library cannot read (no upcaster, or newer).

    The data is sound; the deployment lacks an upcaster or is older than the
    data: `CONFIGURATION`.
    """

    category = ErrorCategory.CONFIGURATION


class NotPermitted(ItilL2Error):
    """The permissions policy refuses this actor this trigger on this entity."""

    category = ErrorCategory.FORBIDDEN

    def __init__(self, actor_id: str, trigger: str, entity_id: str) -> None:
        super().__init__(f"actor {actor_id!r} may not {trigger} {entity_id!r}")
        self.actor_id = actor_id
        self.trigger = trigger
        self.entity_id = entity_id


class WorkflowError(ItilL2Error):
    """A workflow rule refuses the trigger: the entity's current state says no."""

    category = ErrorCategory.CONFLICT


class InvalidTransition(WorkflowError):
    """The trigger is not allowed from the entity's current phase and tier."""

    def __init__(
        self,
        trigger: str,
        phase: str,
        tier: str | None,
        allowed: Iterable[str],
        detail: str = "",
    ) -> None:
        self.trigger = trigger
        self.phase = phase
        self.tier = tier
        self.allowed = tuple(sorted(allowed))
        where = f"{phase} at {tier}" if tier else phase
        msg = f"cannot {trigger} from {where}; allowed: {', '.join(self.allowed) or 'none'}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


class IncompleteHandover(WorkflowError):
    """An escalation's handover lacks parts the receiving tier needs; names them all.

    Invalid input, not a conflict: the caller completes the handover and retries.
    """

    category = ErrorCategory.INVALID_INPUT

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = tuple(missing)
        super().__init__("incomplete handover, missing: " + "; ".join(self.missing))


class TierSkipRefused(WorkflowError):
    """The move would skip a support tier and the configuration forbids that."""


class EntryRefused(WorkflowError):
    """A new ticket may not enter above L1 this way (see `EntryPolicy`)."""


class DuplicateLink(WorkflowError):
    """The entity already carries exactly this link."""
