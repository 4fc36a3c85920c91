"""What an import found: deviations, the policy for them, and the report.

A real export does not always follow the workflow (a ticket closed that was
never resolved, a row timed before the previous one, a corrupt state). The
importer never crashes on such a ticket and never fixes it silently: it
records a `Deviation` naming the ticket, the line and the rule broken, and
goes on as the `ImportPolicy` says. The `ImportReport` accounts for every
row twice over, always: rows read = rows accepted + rows rejected (a rejected
row changed nothing), and rows read = rows replayed + rows deviated (a
replayed row is in the ticket as the export states it; a deviated row is
named by at least one deviation, or belongs to a skipped ticket).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum

import attrs
from attrs import frozen

from itil_l2.errors import ErrorCategory, ValidationError, WorkflowError

__all__ = [
    "ConformanceError",
    "Deviation",
    "ImportPolicy",
    "ImportReport",
    "MalformedExport",
]


class ImportPolicy(StrEnum):
    """What to do with a ticket whose recorded sequence breaks a rule.

    - `strict`: raise `ConformanceError` (with file, line and ticket) at the
      first deviation;
    - `lenient`: repair it with an explicit repair, recorded as a
      `Deviation` with its `repair` text and, where the workflow allows a
      note there, as an `[import repair]` work note in the ticket's history;
    - `skip`: drop the whole ticket, count it and its rows as rejected.
    """

    STRICT = "strict"
    LENIENT = "lenient"
    SKIP = "skip"


@frozen
class Deviation:
    """One place where an export breaks a workflow rule, and what was done.

    `line` is the 1-based line of the CSV file (the header is line 1) or the
    number of the XES event within its file; `repair` is None when nothing
    was repaired (the ticket was skipped, or the policy was strict).

    >>> d = Deviation("INC1", 7, "closed without being resolved", "resolved, then closed")
    >>> str(d)
    'INC1 line 7: closed without being resolved; repair: resolved, then closed'
    """

    ticket_id: str
    line: int | None
    rule: str
    repair: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = f" line {self.line}" if self.line is not None else ""
        done = f"; repair: {self.repair}" if self.repair else ""
        return f"{self.ticket_id}{where}: {self.rule}{done}"


class MalformedExport(ValidationError):
    """The file itself cannot be read as the format says (always raised).

    Missing columns, a truncated gzip stream, broken XML, non-contiguous
    incident rows: `path` and `line` say where.
    """

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class ConformanceError(WorkflowError):
    """Raised under `ImportPolicy.STRICT` at the first deviation; carries it."""

    category = ErrorCategory.INVALID_INPUT  # the imported file breaks the workflow

    def __init__(self, deviation: Deviation) -> None:
        where = deviation.source or "<export>"
        if deviation.line is not None:
            where = f"{where}:{deviation.line}"
        super().__init__(f"{where}: {deviation.ticket_id}: {deviation.rule}")
        self.deviation = deviation
        self.path = deviation.source
        self.line = deviation.line


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _deviations(value: Iterable[Deviation]) -> tuple[Deviation, ...]:
    return tuple(value)


def _counts(value: Mapping[str, int]) -> Mapping[str, int]:
    return dict(value)


def _accepted(report: ImportReport) -> int:
    return report.rows_accepted


def _rejected(report: ImportReport) -> int:
    return report.rows_rejected


@frozen
class ImportReport:
    """The conformance summary of one import; every row is accounted for.

    rows read = accepted + rejected: a rejected row is ignored whole (an
    unusable row, activity after the ticket ended); an accepted one is in
    the ticket, repaired or not. rows read = replayed + deviated: a replayed
    row is in the ticket as the export states it, with no deviation; a
    deviated row is named by at least one deviation (a row may have
    several: rows are counted, not deviations) or belongs to a skipped
    ticket. Every rejected row is a deviated one. Both sums are checked
    when the report is made; `rows_replayed` and `rows_deviated` default to
    the accepted and rejected counts (a report without repairs).

    `incidents` counts the cases (incidents, traces) found; `tickets` those
    imported; `skipped` the ids of tickets dropped (policy `skip`, or no
    usable row). `repaired` holds the ids of imported tickets that needed at
    least one repair. `figures` are counted mapping facts that are not
    deviations (e.g. group names not in the tier directory).

    >>> r = ImportReport("x.csv", rows_read=3, rows_accepted=2, rows_rejected=1,
    ...                  incidents=1, tickets=1)
    >>> r.repair_rate, r.rows_read == r.rows_accepted + r.rows_rejected
    (0.0, True)
    >>> r.rows_read == r.rows_replayed + r.rows_deviated
    True
    """

    source: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    incidents: int
    tickets: int
    skipped: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    repaired: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    deviations: tuple[Deviation, ...] = attrs.field(default=(), converter=_deviations)
    figures: Mapping[str, int] = attrs.field(factory=dict, converter=_counts)
    seconds: float = 0.0
    rows_replayed: int = attrs.field(
        default=attrs.Factory(_accepted, takes_self=True), kw_only=True
    )
    rows_deviated: int = attrs.field(
        default=attrs.Factory(_rejected, takes_self=True), kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if self.rows_read != self.rows_accepted + self.rows_rejected:
            raise ValidationError(
                f"rows read ({self.rows_read}) != accepted ({self.rows_accepted})"
                f" + rejected ({self.rows_rejected})"
            )
        if self.rows_read != self.rows_replayed + self.rows_deviated:
            raise ValidationError(
                f"rows read ({self.rows_read}) != replayed ({self.rows_replayed})"
                f" + deviated ({self.rows_deviated})"
            )
        if self.rows_deviated < self.rows_rejected:
            raise ValidationError(
                f"rows deviated ({self.rows_deviated}) < rejected ({self.rows_rejected}):"
                " every rejected row is named by a deviation"
            )

    @property
    def repairs(self) -> int:
        """How many deviations were repaired (not counting skipped tickets)."""
        return sum(1 for d in self.deviations if d.repair is not None)

    @property
    def repair_rate(self) -> float:
        """Share of imported tickets that needed a repair (0.0 with no tickets)."""
        return len(self.repaired) / self.tickets if self.tickets else 0.0

    def rules(self) -> Counter[str]:
        """Deviations counted by rule (the rule text up to its first colon)."""
        return Counter(d.rule.split(":")[0] for d in self.deviations)

    def summary(self) -> str:
        """A few plain lines for a terminal or a log."""
        lines = [
            f"{self.source}: {self.rows_read:,} rows read = {self.rows_accepted:,} accepted"
            f" + {self.rows_rejected:,} rejected",
            f"  = {self.rows_replayed:,} replayed as recorded"
            f" + {self.rows_deviated:,} with a deviation",
            f"{self.incidents:,} incidents, {self.tickets:,} tickets imported,"
            f" {len(self.skipped):,} skipped, {len(self.repaired):,} repaired"
            f" ({self.repair_rate:.2%}), {len(self.deviations):,} deviations",
        ]
        lines += [f"  {count:>6,}  {rule}" for rule, count in self.rules().most_common()]
        lines += [f"  {count:>6,}  {name}" for name, count in sorted(self.figures.items())]
        lines.append(f"{self.seconds:.1f} s")
        return "\n".join(lines)


class Tally:
    """The running counts of an import (mutable; `report()` freezes them)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.rows_read = 0
        self.rows_rejected = 0
        self.rows_replayed = 0
        """Rows the replay made as the export states them, counted one by one.

        The report derives its `rows_replayed` as rows read - rows deviated, as
        it derives `rows_accepted` (a reader may have read a row of the next
        case already); once a run ended the two agree, and the tests check it.
        """
        self.rows_deviated = 0
        """Rows the replay deviated on or skipped (the readers' rejections are added on report)."""
        self.replay_rejected = 0
        """The part of `rows_rejected` the replay counted; the rest, readers' rejected rows."""
        self.incidents = 0
        self.tickets = 0
        self.skipped: list[str] = []
        self.repaired: dict[str, None] = {}
        self.deviations: list[Deviation] = []
        self.figures: Counter[str] = Counter()
        self.seconds = 0.0

    def deviated(self) -> int:
        """Rows named by a deviation or of a skipped ticket: the replay's, and the readers'."""
        return self.rows_deviated + self.rows_rejected - self.replay_rejected

    def report(self) -> ImportReport:
        """The counts so far, frozen."""
        return ImportReport(
            self.source,
            rows_read=self.rows_read,
            rows_accepted=self.rows_read - self.rows_rejected,
            rows_rejected=self.rows_rejected,
            rows_replayed=self.rows_read - self.deviated(),
            rows_deviated=self.deviated(),
            incidents=self.incidents,
            tickets=self.tickets,
            skipped=tuple(self.skipped),
            repaired=tuple(self.repaired.keys()),
            deviations=tuple(self.deviations),
            figures=self.figures,
            seconds=self.seconds,
        )
