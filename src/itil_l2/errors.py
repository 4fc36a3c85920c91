"""The library's error hierarchy: every failure is an `ItilL2Error`.

Hosts catch one base class; each subclass carries the facts a caller needs to
explain the refusal to a user (which phase, which parts are missing, ...).
Errors that belong to one concept live in its package (for example
`itil_l2.changes.ApprovalMissing`, `itil_l2.sla.NoTargetForPriority`); each is
a subclass of one of these families.

>>> from itil_l2.errors import InvalidTransition, ItilL2Error, WorkflowError
>>> issubclass(InvalidTransition, WorkflowError) and issubclass(WorkflowError, ItilL2Error)
True
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AlreadyExists",
    "ConcurrencyError",
    "ConfigMismatch",
    "CorruptHistory",
    "DuplicateLink",
    "EntryRefused",
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


class ItilL2Error(Exception):
    """Base class of every error raised by itil_l2."""


class ValidationError(ItilL2Error, ValueError):
    """A value handed to the library is malformed (empty title, bad mapping, ...)."""


class NaiveDatetime(ValidationError):
    """A datetime without time zone was given; the library only accepts aware ones."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} must be a timezone-aware datetime, got a naive one")
        self.name = name


class UnknownResolutionCode(ValidationError):
    """The resolution code is not one of the configured codes."""


class UnknownHoldReason(ValidationError):
    """The hold reason is not one of the configured reasons."""


class EventOutOfOrder(ItilL2Error):
    """A trigger's `at` lies before the entity's last event: time never goes back."""


class CorruptHistory(ItilL2Error):
    """A history cannot be replayed (gaps, wrong entity, an illegal step)."""


class ConcurrencyError(ItilL2Error):
    """A stale write: the stored version is not the one the entity was loaded with."""


class StorageError(ItilL2Error):
    """A repository refused an operation on stored data (the base of the storage errors)."""


class NotFound(StorageError, KeyError):
    """No stored aggregate of this kind has this id (in this tenant)."""

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


class ConfigMismatch(StorageError):
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
    """


class TransactionNotJoinable(StorageError):
    """The host's connection cannot hold a unit of work inside its own transaction.

    For example SQLite under pysqlite's default transaction handling, where a
    SAVEPOINT's release commits: the host's rollback could not undo the
    library's writes. The message says how to configure the engine.
    """


class UnknownSchema(StorageError):
    """A stored event has a schema version this library cannot read (no upcaster, or newer)."""


class NotPermitted(ItilL2Error):
    """The permissions policy refuses this actor this trigger on this entity."""

    def __init__(self, actor_id: str, trigger: str, entity_id: str) -> None:
        super().__init__(f"actor {actor_id!r} may not {trigger} {entity_id!r}")
        self.actor_id = actor_id
        self.trigger = trigger
        self.entity_id = entity_id


class WorkflowError(ItilL2Error):
    """A workflow rule refuses the trigger."""


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
    """An escalation's handover lacks parts the receiving tier needs; names them all."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = tuple(missing)
        super().__init__("incomplete handover, missing: " + "; ".join(self.missing))


class TierSkipRefused(WorkflowError):
    """The move would skip a support tier and the configuration forbids that."""


class EntryRefused(WorkflowError):
    """A new ticket may not enter above L1 this way (see `EntryPolicy`)."""


class DuplicateLink(WorkflowError):
    """The entity already carries exactly this link."""
