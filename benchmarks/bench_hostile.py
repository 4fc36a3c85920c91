"""Hostile XES: one huge attribute value, parsed (cap raised) or refused (default cap).

Issue 16 found `iterparse` quadratic in the size of one attribute value
(2/4/8/16 MB: 0.8/2.1/8.8/29.7 s). This times `read_xes` on a `.xes.gz`
holding one value of 2, 4, 8 and 16 MB, with `max_value_length` raised to
read it and with the default cap that refuses it, and, for scale, a normal
log of about the same size (many small events), read whole and parsed only.

Run: `.venv/bin/python benchmarks/bench_hostile.py` (prints; exit 0).
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from itil_l2.importers import MalformedExport, read_xes, simulate, write_xes
from itil_l2.importers._reading import open_export
from itil_l2.importers._xes_stream import XesLimits, raw_traces

ROUNDS = 3
SIZES_MB = (2, 4, 8, 16)


def one_value_log(folder: Path, size: int) -> Path:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n<trace>\n'
        '<string key="concept:name" value="T1"/>\n<event>\n'
        '<date key="time:timestamp" value="2026-03-01T09:00:00+00:00"/>\n'
        '<string key="itil:phase" value="queued"/>\n<string key="org:group" value="SD"/>\n'
        '<string key="x:blob" value="'
    )
    tail = '"/>\n</event>\n</trace>\n</log>\n'
    path = folder / f"value-{size >> 20}mb.xes.gz"
    path.write_bytes(gzip.compress(head.encode() + b"a" * size + tail.encode()))
    return path


def median_seconds(action: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_all(path: Path, **kw: int) -> int:
    return sum(1 for _ in read_xes(path, **kw))


def refuse(path: Path) -> None:
    try:
        read_all(path)
    except MalformedExport:
        return
    raise AssertionError(f"{path} was not refused")


def parse_only(path: Path) -> int:
    with open_export(path, "rb") as handle:
        limits = XesLimits(1_000_000, 100_000, None)
        return sum(1 for _ in raw_traces(handle, str(path), limits, lambda n, v: n))


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    parsed: dict[int, float] = {}
    refused: dict[int, float] = {}
    print(f"one attribute value, .xes.gz, median of {ROUNDS}")
    print(f"{'value':>6} {'file':>9} {'parsed (cap raised)':>20} {'refused (default cap)':>22}")
    for mb in SIZES_MB:
        size = mb << 20
        path = one_value_log(folder, size)
        parsed[mb] = median_seconds(lambda p=path, s=size: read_all(p, max_value_length=s))
        refused[mb] = median_seconds(lambda p=path: refuse(p))
        print(
            f"{mb:>4} MB {path.stat().st_size:>7,} B {parsed[mb]:>18.3f} s {refused[mb]:>20.3f} s"
        )
    ratio = parsed[16] / parsed[2]
    print(f"ratio 16 MB / 2 MB (parsed): {ratio:.1f} (linear: 8, quadratic: 64)")
    print("  (above 1 MiB pyexpat hands expat 1 MiB per call, and expat 2.5 scans an")
    print("   unfinished tag again per call: superlinear up to the cap, which bounds it)")
    verdict = "PASS" if max(parsed[16], refused[16]) < 1.0 else "MISS"
    print(
        f"16 MB attribute value: parsed in {parsed[16]:.2f} s / refused in {refused[16]:.3f} s"
        f" (< 1 s: {verdict})"
    )
    normal = folder / "normal.xes"
    events = write_xes(simulate(3_000, seed=1), normal)
    whole = median_seconds(lambda: read_all(normal))
    parse = median_seconds(lambda: parse_only(normal))
    print(
        f"baseline, a normal log of {normal.stat().st_size / 2**20:.1f} MB ({events:,} events):"
        f" parsed only {parse:.2f} s, read whole (with replay) {whole:.2f} s"
    )


if __name__ == "__main__":
    main()
