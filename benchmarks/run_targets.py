"""Run every benchmark behind issue 18's targets in one go and gather their verdicts.

Run as a script (a report, not a test; the exit code is always 0)::

    python benchmarks/run_targets.py [--quick]

Each benchmark measures its own baseline in the same run and prints its
ratio with the target; this runner runs them one after the other (never in
parallel: they would disturb each other's timings), keeps each one's full
output, and ends with every line that states a target, so one run of the
benchmarks shows every target at once. `--quick` passes smaller sizes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("bench_storage.py", ("--tickets", "5000", "--gets", "200", "--repeat", "3"), ("--quick",)),
    ("bench_workflow.py", (), ("--tickets", "20000", "--repeat", "1", "--memory", "2000")),
    ("bench_kpi.py", ("--tickets", "100000"), ("--quick",)),
    ("bench_replay.py", ("--repeat", "3"), ("--quick",)),
    (
        "bench_scale.py",
        ("--tickets", "1000000"),
        ("--tickets", "20000", "--sample", "5000", "--repeat", "1"),
    ),
)
"""(script, arguments, arguments with --quick)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    parser.add_argument(
        "--scale-db", help="bench_scale's database file: kept, and reused when it holds 1M tickets"
    )
    args = parser.parse_args()
    verdicts: list[str] = []
    for script, full, quick in RUNS:
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        if script == "bench_scale.py" and args.scale_db and not args.quick:
            command += ["--db", args.scale_db]
        print(f"\n===== {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        print(run.stdout, end="")
        if run.returncode:
            print(run.stderr, end="")
        seconds = time.perf_counter() - started
        print(f"----- {script}: exit {run.returncode}, {seconds:.0f} s", flush=True)
        verdicts += [
            f"{script}: {line.strip()}" for line in run.stdout.splitlines() if _verdict(line)
        ]
    print("\n===== every target of this run")
    print("\n".join(verdicts))
    return 0


def _verdict(line: str) -> bool:
    """A line that states a target and whether it was reached."""
    words = set(line.replace("(", " ").replace(")", " ").replace(":", " ").split())
    stated = any(w in line for w in ("target", "<=", ">="))
    return stated and bool(words & {"met", "MISS", "OK", "PASS", "NOT"})


if __name__ == "__main__":
    raise SystemExit(main())
