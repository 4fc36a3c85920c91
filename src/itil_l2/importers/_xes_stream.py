"""XES markup → raw traces, in time linear in the file's size, with caps.

Why not `iterparse`: it feeds expat 16 KiB at a time, and expat (2.5 here,
before its reparse deferral) scans an unfinished tag again from its start
with every feed, so one attribute value of n bytes costs O(n²) (16 MB:
30 s, and that fits in a 16 KB `.xes.gz`). Here expat is driven directly:
after each feed, `CurrentByteIndex` says where the unfinished markup it
holds begins; while that piece grows, the next feed waits until the unread
data is at least as large as it. pyexpat still hands expat at most 1 MiB
per call, so a piece of markup over 1 MiB is scanned again once per MiB;
the caps bound that: a piece of markup larger than
`4 × max_value_length + 64 KiB` bytes is refused before it is parsed, an
attribute value over `max_value_length` characters when its tag is read.

What is kept: the `key`/`value` attributes directly under a `<trace>` and
directly under an `<event>` of a trace, one trace at a time (an event is
handed to `make_step` as soon as it ends). An `<event>` anywhere else is an
orphan: reported with its number and line, never joined to a trace.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Callable, Iterator
from typing import IO, Any, Generic, TypeVar

from itil_l2.importers._conformance import MalformedExport
from itil_l2.importers._reading import check_cap

__all__ = [
    "DEFAULT_MAX_EVENTS_PER_TRACE",
    "DEFAULT_MAX_VALUE_LENGTH",
    "MAX_ATTRIBUTES",
    "Orphan",
    "RawTrace",
    "XesLimits",
    "raw_traces",
]

DEFAULT_MAX_VALUE_LENGTH = 1_000_000
"""The longest attribute value `read_xes` reads by default (characters)."""
DEFAULT_MAX_EVENTS_PER_TRACE = 100_000
"""The most events one trace may hold by default (a trace is held whole)."""
MAX_ATTRIBUTES = 10_000
"""The most attributes one trace or event may carry (they are held with it)."""

_CHUNK = 1 << 16
_SLACK = 1 << 16
_OTHER, _LOG, _TRACE, _EVENT = 0, 1, 2, 3
_SKIPPED = frozenset({"event", "trace"})
_NAMES_KEPT = 1_000  # element names remembered with their local part (a log has a dozen)

T = TypeVar("T")


class XesLimits:
    """The caps one read observes; each checked positive (`max_traces` may be None)."""

    __slots__ = ("max_events_per_trace", "max_markup_bytes", "max_traces", "max_value_length")

    def __init__(
        self, max_value_length: int, max_events_per_trace: int, max_traces: int | None
    ) -> None:
        check_cap("max_value_length", max_value_length)
        check_cap("max_events_per_trace", max_events_per_trace)
        check_cap("max_traces", max_traces, optional=True)
        self.max_value_length = max_value_length
        self.max_events_per_trace = max_events_per_trace
        self.max_traces = max_traces
        self.max_markup_bytes = 4 * max_value_length + _SLACK


class RawTrace(Generic[T]):
    """One trace as read: the line it starts on, its attributes, its events' steps."""

    __slots__ = ("events_read", "line", "steps", "values")

    def __init__(self, line: int) -> None:
        self.line = line
        self.values: dict[str, str] = {}
        self.steps: list[T] = []
        self.events_read = 0  # events in the file up to the end of this trace


class Orphan:
    """An `<event>` not directly inside a `<trace>`: its number and file line."""

    __slots__ = ("events_read", "line", "number")

    def __init__(self, number: int, line: int) -> None:
        self.number = number
        self.line = line
        self.events_read = number


class _Reader(Generic[T]):
    """The expat handlers: a stack of element kinds, the trace and event being read."""

    def __init__(
        self,
        source: str,
        limits: XesLimits,
        make_step: Callable[[int, dict[str, str]], T],
    ) -> None:
        self.source = source
        self.limits = limits
        self.make_step = make_step
        self.parser = pyexpat.ParserCreate(namespace_separator="}")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.stack: list[int] = []
        self.out: list[RawTrace[T] | Orphan] = []
        self.trace: RawTrace[T] | None = None
        self.event: dict[str, str] = {}
        self.events = 0
        self.traces = 0
        self.local_names: dict[str, str] = {}

    def _refuse(self, message: str) -> MalformedExport:
        return MalformedExport(self.source, self.parser.CurrentLineNumber, message)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if attrs and max(map(len, attrs.values())) > self.limits.max_value_length:  # in C
            raise self._too_long(attrs)
        local = self.local_names.get(name) or self._local(name)  # expat interns names
        stack = self.stack
        if not stack:
            if local != "log":
                raise MalformedExport(self.source, 1, "not an XES log: the root is not <log>")
            stack.append(_LOG)
            return
        parent = stack[-1]
        if local == "event":
            self.events += 1
            if parent == _TRACE and self.trace is not None:
                if len(self.trace.steps) >= self.limits.max_events_per_trace:
                    raise self._refuse(
                        f"a trace with more than {self.limits.max_events_per_trace:,} events"
                        " (max_events_per_trace)"
                    )
                self.event = {}
                stack.append(_EVENT)
                return
            self.out.append(Orphan(self.events, self.parser.CurrentLineNumber))
        elif local == "trace" and parent == _LOG:
            self.traces += 1
            most = self.limits.max_traces
            if most is not None and self.traces > most:
                raise self._refuse(f"more than {most:,} traces (max_traces)")
            self.trace = RawTrace(self.parser.CurrentLineNumber)
            stack.append(_TRACE)
            return
        elif local == "trace":
            raise self._refuse("a <trace> not directly inside <log>")
        elif parent in (_TRACE, _EVENT) and "key" in attrs and local not in _SKIPPED:
            values = self.event if parent == _EVENT else self.trace.values  # type: ignore[union-attr]
            if len(values) >= MAX_ATTRIBUTES:
                raise self._refuse(f"a trace or event with more than {MAX_ATTRIBUTES:,} attributes")
            values[attrs["key"]] = attrs.get("value", "")
        stack.append(_OTHER)

    def _too_long(self, attrs: dict[str, str]) -> MalformedExport:
        """The refusal that names the first value over `max_value_length`."""
        limit = self.limits.max_value_length
        length = next(n for n in map(len, attrs.values()) if n > limit)
        return self._refuse(
            f"an attribute value of {length:,} characters;"
            f" the limit is {limit:,} (max_value_length)"
        )

    def _local(self, name: str) -> str:
        """The local part of an element's name, remembered (a log has a dozen kinds)."""
        local = name.rpartition("}")[2]
        if len(self.local_names) < _NAMES_KEPT:
            self.local_names[name] = local
        return local

    def end(self, _name: str) -> None:
        kind = self.stack.pop()
        if kind == _EVENT:
            self.trace.steps.append(self.make_step(self.events, self.event))  # type: ignore[union-attr]
            self.event = {}
        elif kind == _TRACE:
            trace = self.trace
            assert trace is not None
            trace.events_read = self.events
            self.out.append(trace)
            self.trace = None


def raw_traces(
    handle: IO[bytes],
    source: str,
    limits: XesLimits,
    make_step: Callable[[int, dict[str, str]], T],
) -> Iterator[RawTrace[T] | Orphan]:
    """Traces and orphan events in file order; a broken or over-limit file: `MalformedExport`."""
    reader = _Reader(source, limits, make_step)
    parser = reader.parser
    pending: list[bytes] = []
    size = fed = 0
    try:
        while chunk := handle.read(_CHUNK):
            pending.append(chunk)
            size += len(chunk)
            held = fed - parser.CurrentByteIndex if fed else 0  # unfinished markup expat holds
            if held + size > limits.max_markup_bytes:
                raise reader._refuse(
                    f"a tag or other markup over {limits.max_markup_bytes:,} bytes"
                    f" (4 x max_value_length + {_SLACK:,})"
                )
            if size < held:
                continue  # let the unread data grow as large as the held piece: linear time
            parser.Parse(b"".join(pending), False)
            fed, pending, size = fed + size, [], 0
            yield from _drain(reader.out)
        parser.Parse(b"".join(pending), True)
        yield from _drain(reader.out)
    except pyexpat.ExpatError as exc:
        raise MalformedExport(source, exc.lineno, f"broken XML: {exc}") from None
    except MalformedExport:
        raise
    except (LookupError, ValueError) as exc:  # the declared encoding: unknown, or multi-byte
        raise MalformedExport(source, 1, f"cannot read its encoding: {exc}") from None


def _drain(out: list[Any]) -> Iterator[Any]:
    items = out[:]
    out.clear()
    yield from items
