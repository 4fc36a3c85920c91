"""`suggest_mapping`: a starter mapping file from one read of a foreign log.

A user with a log of another tool does not know yet which of its states
mean what to the workflow. `suggest_mapping` reads the log once and writes
a TOML mapping (see `ImportMapping`) that lists what it found: every
distinct state (and state/sub-state pair) with its count, every team with
its count and the tier rules its names suggest, the columns or attributes
found, whether impact and urgency exist, and the time format. States whose
name says their phase plainly are filled in (marked "guessed"); the rest
say `"?"`, which `ImportMapping.load` refuses until each has a phase. The
values counted per column are capped (`MAX_VALUES`), so memory stays small
on any log. XES is read by `read_xes`'s own reader, in linear time under its
default caps (a file past one is a `MalformedExport` with its line); events
outside a `<trace>` are left out of the counts and named in a comment.
"""

from __future__ import annotations

import csv
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import MalformedExport
from itil_l2.importers._reading import open_export
from itil_l2.importers._xes_stream import (
    DEFAULT_MAX_EVENTS_PER_TRACE,
    DEFAULT_MAX_VALUE_LENGTH,
    Orphan,
    XesLimits,
    raw_traces,
)

__all__ = ["MAX_VALUES", "suggest_mapping"]

MAX_VALUES = 5000
"""How many distinct values of one column are counted (the rest are counted as "other")."""

_XES_NAMES = {
    "case_id": "concept:name",
    "timestamp": "time:timestamp",
    "activity": "concept:name",
    "sub_state": "lifecycle:transition",
    "group": "org:group",
    "resource": "org:resource",
}
_HINTS = {  # normalised header names (lower case, letters and digits only), best first
    "case_id": "caseid case ticketid incidentid number ticket incident id",
    "timestamp": "timestamp completetimestamp eventtime datetime time date updatedat"
    " sysupdatedat changed updated",
    "activity": "activity status state incidentstate event conceptname",
    "sub_state": "substatus substate lifecycle lifecycletransition subactivity",
    "group": "group assignmentgroup team supportgroup resolvergroup orggroup queue",
    "resource": "resource orgresource agent user updatedby actor changedby",
    "assignee": "assignee assignedto owner",
    "impact": "impact",
    "urgency": "urgency",
    "category": "category productcategory",
    "subcategory": "subcategory",
}
_TIME_FORMATS = (
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M", "%d/%m/%Y", "%m/%d/%Y",
)  # fmt: skip
_PHASES = (  # (words in a state's name, its phase), first match wins; the sub-state is asked first
    (("cancel", "withdrawn", "rejected", "aborted"), "cancelled"),
    (("closed", "close"), "closed"),
    (("resolved", "solved", "fixed", "completed", "in call", "done"), "resolved"),
    (("vendor", "supplier", "3rd party", "third party"), "on_hold:awaiting_vendor"),
    (("wait", "await", "pending", "hold", "suspend"), "on_hold"),
    (("progress", "work", "active", "started", "accepted"), "in_progress"),
    (("queue", "assigned", "assignment", "open"), "queued"),
    (("new", "created", "registered", "logged"), "new"),
)
_TIER_NAMES = (  # a team name's tier mark: (regex, its tier by the word it holds)
    re.compile(r"\s(1st|2nd|3rd)$"),
    re.compile(r"^(L[123])[-_ ]"),
    re.compile(r"[-_ ](L[123])$"),
)
_TIER_WORDS = {"1st": "L1", "2nd": "L2", "3rd": "L3", "L1": "L1", "L2": "L2", "L3": "L3"}
_LEVEL_WORDS = (
    (("high", "critical", "urgent", "major", "1"), "high"),
    (("medium", "normal", "moderate", "2"), "medium"),
    (("low", "minor", "3", "4", "5"), "low"),
)


class _Scan:
    """What one read of a log found: values per column (capped), pairs, cases, events."""

    def __init__(self) -> None:
        self.values: dict[str, Counter[str]] = {}
        self.filled: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.events = 0
        self.cases: set[str] = set()
        self.many_cases = False
        self.orphans = 0  # XES events outside a trace: not counted, deviations on import
        self.first_orphan: int | None = None

    def add(self, values: dict[str, str]) -> None:
        self.events += 1
        for key, value in values.items():
            if not value.strip():
                continue
            self.filled[key] += 1
            counter = self.values.setdefault(key, Counter())
            if value in counter or len(counter) < MAX_VALUES:
                counter[value] += 1
            else:
                counter["\0other"] += 1

    def case(self, case_id: str) -> None:
        if len(self.cases) < 10 * MAX_VALUES * 100:
            self.cases.add(case_id)
        else:
            self.many_cases = True


def suggest_mapping(path: str | Path, *, format: str | None = None) -> str:
    r"""The text of a starter mapping (TOML) for the log at `path`, read once.

    `format` is `"xes"` or `"csv"`; by default `.xes`/`.xes.gz` mean XES and
    anything else CSV.

    >>> import tempfile, pathlib, tomllib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = log.write_text("Case ID,Timestamp,Status,Team\n"
    ...                    "C1,2024-01-02 09:00,Open,Desk\n"
    ...                    "C1,2024-01-02 10:00,Solved,Net 2nd\n")
    >>> toml = tomllib.loads(suggest_mapping(log))
    >>> toml["columns"]["activity"], toml["states"], toml["tiers"]["patterns"]
    ('Status', {'Open': 'queued', 'Solved': 'resolved'}, [{'pattern': ' 2nd$', 'tier': 'L2'}])
    """
    p = Path(path)
    fmt = format or ("xes" if p.name.lower().endswith((".xes", ".xes.gz")) else "csv")
    if fmt not in ("xes", "csv"):
        raise ValidationError(f"format is xes or csv, got {fmt!r:.80}")
    if fmt == "xes":
        scan = _scan_xes(p)
        columns = {k: v for k, v in _XES_NAMES.items() if v in scan.filled}
        columns["case_id"] = columns["activity"] = "concept:name"
        columns["timestamp"] = "time:timestamp"
        columns |= _guess_columns([k for k in scan.filled if k not in _XES_NAMES.values()], {})
        return _render(p, "xes", scan, columns, "iso", ",")
    header, delimiter = _csv_header(p)
    columns = _guess_columns(header, {})
    scan = _scan_csv(p, header, delimiter, columns)
    times = list(scan.values.get(columns.get("timestamp", ""), Counter()))[:500]
    return _render(p, "csv", scan, columns, _time_format(times), delimiter)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _guess_columns(names: Iterable[str], found: dict[str, str]) -> dict[str, str]:
    by_normal: dict[str, str] = {}
    for name in names:
        by_normal.setdefault(_normal(name), name)
    taken = set(found.values())
    for key, hints in _HINTS.items():
        if key in found:
            continue
        for hint in hints.split():
            match = by_normal.get(hint)
            if match is not None and match not in taken:
                found[key] = match
                taken.add(match)
                break
    return found


def _scan_xes(path: Path) -> _Scan:
    """One read with `read_xes`'s reader and default caps: linear time, bounded memory."""
    scan = _Scan()
    source = str(path)
    limits = XesLimits(DEFAULT_MAX_VALUE_LENGTH, DEFAULT_MAX_EVENTS_PER_TRACE, None)

    def step(_number: int, values: dict[str, str]) -> None:
        scan.add(values)
        scan.pairs[(values.get("concept:name", ""), values.get("lifecycle:transition", ""))] += 1

    try:
        with open_export(path, "rb") as handle:
            for item in raw_traces(handle, source, limits, step):
                if isinstance(item, Orphan):
                    scan.orphans += 1
                    scan.first_orphan = scan.first_orphan or item.line
                else:
                    scan.case(item.values.get("concept:name", ""))
    except (EOFError, OSError, zlib.error) as exc:
        raise MalformedExport(source, None, f"cannot read further: {exc}") from None
    if scan.events == 0:
        outside = f" ({scan.orphans:,} outside a <trace>)" if scan.orphans else ""
        raise MalformedExport(
            source, scan.first_orphan or 1, f"no event inside a <trace>{outside}: nothing to map"
        )
    return scan


def _csv_header(path: Path) -> tuple[list[str], str]:
    source = str(path)
    try:
        with open_export(path, "rt") as handle:
            first = handle.readline(1 << 20)
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
        raise MalformedExport(source, 1, f"cannot read: {exc}") from None
    first = first.lstrip("\ufeff")
    if not first.strip():
        raise MalformedExport(source, 1, "empty file: no header row")
    delimiter = max(",;\t|", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    return [name.strip() for name in header], delimiter


def _scan_csv(path: Path, header: list[str], delimiter: str, columns: dict[str, str]) -> _Scan:
    scan = _Scan()
    source = str(path)
    case_at = header.index(columns["case_id"]) if "case_id" in columns else None
    state_at = header.index(columns["activity"]) if "activity" in columns else None
    sub_at = header.index(columns["sub_state"]) if "sub_state" in columns else None
    with open_export(path, "rt") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader, None)
            for row in reader:
                if not row:
                    continue
                scan.add(dict(zip(header, row, strict=False)))
                if case_at is not None and case_at < len(row):
                    scan.case(row[case_at].strip())
                if state_at is not None and sub_at is not None and max(state_at, sub_at) < len(row):
                    scan.pairs[(row[state_at], row[sub_at])] += 1
        except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
            raise MalformedExport(
                source, reader.line_num + 1, f"cannot read further: {exc}"
            ) from None
    return scan


def _time_format(samples: list[str]) -> str:
    samples = [s.strip() for s in samples if s.strip()]
    if all(_parses(datetime.fromisoformat, s) for s in samples):
        return "iso"
    for pattern in _TIME_FORMATS:
        if all(_parses(lambda s, p=pattern: datetime.strptime(s, p), s) for s in samples):
            return pattern
    return "?"


def _parses(parse: object, text: str) -> bool:
    try:
        parse(text)  # type: ignore[operator]
    except (ValueError, OverflowError):
        return False
    return True


def _phase(*names: str) -> str | None:
    for name in names:
        low = name.lower()
        for words, phase in _PHASES:
            if any(re.search(rf"\b{re.escape(w)}", low) for w in words):
                return phase
    return None


def _level(value: str) -> str | None:
    low = value.lower()
    for words, level in _LEVEL_WORDS:
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
            return level
    return None


def _q(text: str) -> str:
    """`text` as a TOML basic string (JSON's escapes are TOML's; non-ASCII escaped)."""
    return json.dumps(text)


def _counted(counter: Counter[str]) -> Iterator[tuple[str, int]]:
    for value, count in counter.most_common():
        if value != "\0other":
            yield value, count


def _render(
    path: Path, fmt: str, scan: _Scan, columns: dict[str, str], time_format: str, delimiter: str
) -> str:
    cases = f"{len(scan.cases):,}{'+' if scan.many_cases else ''}"
    out = [
        f"# A starter mapping for {_q(path.name)}: {scan.events:,} events in {cases} cases.",
        '# Check the columns, give every state a phase (replace each "?"), then:',
        f"#   itil-l2 import {_q(str(path))} --mapping THIS_FILE",
        f'format = "{fmt}"',
        'entity = "incident"',
        "",
        "[columns]",
    ]
    out += [f"{key} = {_q(name)}" for key, name in columns.items()]
    missing = [k for k in _HINTS if k not in columns]
    out.append(f"# not found: {', '.join(missing) or 'nothing'}")
    found = ", ".join(f"{_q(k)} ({n:,})" for k, n in scan.filled.most_common())
    out += [f"# {'attributes' if fmt == 'xes' else 'columns'} found (non-blank values): {found}"]
    if scan.orphans:
        out += [
            f"# {scan.orphans:,} events outside a <trace> (the first at line {scan.first_orphan}):"
            " not counted here; an import reports each as a deviation"
        ]
    out += ["", "[time]", f'format = {_q(time_format)}  # "iso" or a strptime pattern']
    out += ['zone = "UTC"  # the zone of times without an offset, e.g. "Europe/Berlin"']
    if delimiter != ",":
        out += ["", "[csv]", f"delimiter = {_q(delimiter)}"]
    out += ["", "[states]", "# phases: new, queued, in_progress, on_hold[:reason], resolved,"]
    out += ["#   closed, cancelled, keep (no phase change)"]
    out += _states(scan, columns)
    out += _levels(scan, columns)
    out += _tiers(scan, columns.get("group"))
    out += [
        "",
        "# [workflow]",
        "# allow_tier_skip = true  # when tickets go from L1 straight to L3",
    ]
    return "\n".join(out) + "\n"


def _states(scan: _Scan, columns: dict[str, str]) -> list[str]:
    lines = []
    if "sub_state" in columns and scan.pairs:
        for (state, sub), count in scan.pairs.most_common(MAX_VALUES):
            key = f"{state}/{sub}" if sub.strip() else state
            lines.append(_state_line(key, _phase(sub, state), count))
        return lines
    for state, count in _counted(scan.values.get(columns.get("activity", ""), Counter())):
        lines.append(_state_line(state, _phase(state), count))
    return lines


def _state_line(key: str, phase: str | None, count: int) -> str:
    guessed = "guessed; " if phase else ""
    return f"{_q(key)} = {_q(phase or '?')}  # {guessed}{count:,} events"


def _levels(scan: _Scan, columns: dict[str, str]) -> list[str]:
    present = [k for k in ("impact", "urgency") if k in columns]
    lines = []
    if len(present) < 2:
        absent = [k for k in ("impact", "urgency") if k not in present]
        lines += ["", "[defaults]  # the log has no such column: not a deviation"]
        lines += [f'{k} = "medium"' for k in absent]
    values: Counter[str] = Counter()
    for key in present:
        values.update(dict(_counted(scan.values.get(columns[key], Counter()))))
    odd = [(v, n) for v, n in values.most_common() if v not in ("high", "medium", "low")]
    if odd:
        lines += ["", "[levels]  # impact/urgency values → high, medium or low"]
        lines += [f"{_q(v)} = {_q(_level(v) or '?')}  # {n:,} events" for v, n in odd]
    return lines


def _tiers(scan: _Scan, group: str | None) -> list[str]:
    if group is None:
        return []
    teams = scan.values.get(group, Counter())
    patterns: dict[str, str] = {}
    for name in teams:
        for regex in _TIER_NAMES:
            hit = regex.search(name)
            if hit:
                mark = re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", hit.group(0))
                text = f"^{mark}" if regex.pattern.startswith("^") else f"{mark}$"
                patterns.setdefault(text, _TIER_WORDS[hit.group(1)])
    lines = ["", "[tiers]", 'default_tier = "L1"  # the tier of a team no rule names']
    for text, tier in sorted(patterns.items(), key=lambda item: item[1]):
        lines += ["[[tiers.patterns]]  # guessed from the team names", f"pattern = {_q(text)}"]
        lines.append(f'tier = "{tier}"')
    lines += [
        "# teams found (events); give one a tier under [tiers.groups] as",
        '#   "Team" = "L2"',
    ]
    lines += [f"#   {_q(name)}  {n:,}" for name, n in _counted(teams)]
    return lines
