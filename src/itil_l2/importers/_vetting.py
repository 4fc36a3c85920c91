"""The limits on values, applied to a case before its replay (see `itil_l2.MAX_ID_LENGTH`).

A row holding an identifier or a text no ticket can hold is ignored (a
deviation, like any unusable row), a caller that is no identifier is left
out, and a case whose id or title is none is skipped whole
(`ConformanceError` under `strict`). `Vetting` is the half of the
`Replayer` that does it.
"""

from __future__ import annotations

from operator import attrgetter
from typing import NoReturn

from itil_l2._core.checks import id_fault, text_fault
from itil_l2.importers._conformance import ConformanceError, Deviation, ImportPolicy
from itil_l2.importers._moves import Moves, _Run, _Skip
from itil_l2.importers._steps import Step

__all__ = ["Vetting"]

_ID_FIELDS = ("actor", "group", "assignee", "category", "subcategory", "l3_name", "l3_reference")
"""The step's values a ticket holds as identifiers (see `itil_l2.MAX_ID_LENGTH`)."""
_TEXT_FIELDS = (
    "raw_state",
    "symptom",
    "resolution_code",
    "resolution_notes",
    "note",
    "vendor_text",
    "instructions",
    "fix",
)
"""The step's values that become a ticket's text (no NUL)."""
_FAULTS_KEPT = 100_000
_ID_VALUES = attrgetter(*_ID_FIELDS)
_TEXT_VALUES = attrgetter(*_TEXT_FIELDS)
_REF = attrgetter("ref")


class Vetting(Moves):
    """Checks a case's values against the limits before it is replayed.

    Names, references and texts repeat row after row, so the values found
    sound are remembered (`_sound_ids`, `_sound_texts`, up to `_FAULTS_KEPT`
    each; `None`, "not in the export", is sound): a row whose values are all
    among them has no fault, checked with two set lookups in C instead of a
    check per field. `id_fault` and `text_fault` are pure functions of the
    string, so a remembered verdict is the verdict. Any other row is checked
    field by field as before, in the same order, so the first fault found
    (the one the deviation names) is the same.
    """

    _faults: dict[str, str | None]

    def __init__(self) -> None:
        super().__init__()
        self._sound_ids: set[str] = set()  # for references: None is none
        self._sound_texts: set[str] = set()
        self._sound_id_fields: set[str | None] = {None}  # for fields: None is "not given"
        self._sound_text_fields: set[str | None] = {None}

    def _vet(self, run: _Run) -> None:
        """Values the ticket cannot take: a bad id skips the ticket, a bad row is ignored.

        An id must be an identifier; a caller that is none is left out; a row with
        an unusable identifier or text is ignored (a deviation each, as ever).
        """
        case = run.case
        fault = id_fault(case.id)
        if fault is not None:
            self._refuse(run, f"ticket id {fault}")
        fault = text_fault(case.title)
        if fault is not None:
            self._refuse(run, f"title {fault}")
        if case.caller is not None and (fault := self._id_fault(case.caller)) is not None:
            self._deviate(run, f"caller {fault}", "caller left out")
            case.caller = None
        for step in case.steps:
            if step.error is None:
                step.error = self._step_fault(step)

    def _refuse(self, run: _Run, rule: str) -> NoReturn:
        """The whole ticket cannot be imported: `ConformanceError` if strict, else skipped."""
        deviation = Deviation(run.case.id, None, rule, None, self.tally.source)
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        raise _Skip(deviation)

    def _id_fault(self, value: str) -> str | None:
        """`id_fault`, once per distinct value (names and refs repeat row after row)."""
        faults = self._faults
        if value in faults:
            return faults[value]
        fault = id_fault(value)
        if len(faults) < _FAULTS_KEPT:
            faults[value] = fault
            if fault is None and type(value) is str:
                self._sound_ids.add(value)
                self._sound_id_fields.add(value)
        return fault

    def _text_fault(self, value: str) -> str | None:
        """`text_fault`; a text found sound is remembered (up to `_FAULTS_KEPT`)."""
        fault = text_fault(value)
        sound = self._sound_texts
        if fault is None and type(value) is str and len(sound) < _FAULTS_KEPT:
            sound.add(value)
            self._sound_text_fields.add(value)
        return fault

    def _step_fault(self, step: Step) -> str | None:
        """Why a row cannot be used: an identifier or a text it holds is not one."""
        refs = self._sound_ids
        if (
            self._sound_id_fields.issuperset(_ID_VALUES(step))
            and self._sound_text_fields.issuperset(_TEXT_VALUES(step))
            and (step.ci_refs is None or refs.issuperset(step.ci_refs))
            and refs.issuperset(step.kb_refs)
            and (not step.links or refs.issuperset(map(_REF, step.links)))
            and self._sound_texts.issuperset(step.specialisations)
        ):
            return None
        return self._first_fault(step)

    def _first_fault(self, step: Step) -> str | None:
        """`_step_fault` field by field; the values found sound are remembered."""
        check = self._id_fault
        for name in _ID_FIELDS:
            value = getattr(step, name)
            if value is not None and (fault := check(value)) is not None:
                return f"{name} {fault}"
        refs = (*(step.ci_refs or ()), *step.kb_refs, *(link.ref for link in step.links))
        for ref in refs:
            if (fault := check(ref)) is not None:
                return f"reference {fault}"
        for name in _TEXT_FIELDS:
            value = getattr(step, name)
            if value is not None and (fault := self._text_fault(value)) is not None:
                return f"{name} {fault}"
        for text in step.specialisations:
            if (fault := self._text_fault(text)) is not None:
                return f"specialisation {fault}"
        return None
