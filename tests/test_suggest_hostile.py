"""`itil-l2 mapping suggest` on hostile XES: linear time, the reader's caps, one line, exit 1.

The suggestion reads XES with the same capped expat reader as `read_xes`,
so a file that `import` refuses is refused here too, quickly and with its
file and line; a normal log still gives counts the test reads from the
events it wrote.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from itil_l2.cli import main
from itil_l2.importers import suggest_mapping

HEAD = '<?xml version="1.0"?><log xes.version="1.0">'


def event(name: str, at: str, team: str = "Desk") -> str:
    return (
        f'<event><string key="concept:name" value="{name}"/>'
        f'<date key="time:timestamp" value="{at}"/><string key="org:group" value="{team}"/></event>'
    )


def trace(case: str, *events: str) -> str:
    return f'<trace><string key="concept:name" value="{case}"/>{"".join(events)}</trace>'


def suggest(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    code = main(["mapping", "suggest", str(path)])
    took = time.perf_counter() - started
    out, err = capsys.readouterr()
    return code, out, err, took


def refused(err: str, path: Path) -> str:
    """The one error line, which names the file and a line number in it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert re.match(rf"itil-l2: error: MalformedExport: {re.escape(str(path))}:\d+: ", lines[0])
    return lines[0]


def test_a_16_mb_value_in_a_small_gzip_is_refused_within_a_second_or_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.xes.gz"
    value = "A" * (16 << 20)
    body = HEAD + trace("C1", event(value, "2024-01-01T09:00:00")) + "</log>"
    path.write_bytes(gzip.compress(body.encode(), compresslevel=9))
    assert path.stat().st_size < 64 << 10
    code, out, err, took = suggest(capsys, path)
    assert code == 1 and out == ""
    assert "max_value_length" in refused(err, path) or "markup over" in err
    assert took < 2.5


def test_a_value_just_over_the_default_cap_is_refused_and_one_at_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    over = tmp_path / "over.xes"
    at = "2024-01-01T09:00:00"
    lines = [
        HEAD,
        trace("C1", event("Open", at)),
        trace("C2", event("X" * 1_000_001, at)),
        "</log>",
    ]
    over.write_text("\n".join(lines))
    code, _, err, _ = suggest(capsys, over)
    assert code == 1
    assert ":3: an attribute value of 1,000,001 characters" in refused(err, over)
    fine = tmp_path / "fine.xes"
    fine.write_text(HEAD + trace("C1", event("Y" * 1_000_000, at)) + "</log>")
    code, out, _, _ = suggest(capsys, fine)
    assert code == 0 and "events in 1 cases" in out.replace("1 events", "events")


def test_events_outside_any_trace_give_no_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orphans.xes"
    path.write_text(HEAD + "\n" + event("Open", "2024-01-01T09:00:00") * 3 + "\n</log>")
    code, _, err, _ = suggest(capsys, path)
    assert code == 1
    assert ":2: no event inside a <trace> (3 outside a <trace>)" in refused(err, path)


def test_orphans_beside_traces_are_left_out_of_the_counts_and_named(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xes"
    at = "2024-01-01T09:00:00"
    path.write_text(
        "\n".join(
            [
                HEAD,
                trace("C1", event("Open", at), event("Solved", at)),
                event("Solved", at, "Intruder"),
                "</log>",
            ]
        )
    )
    text = suggest_mapping(path)
    states = tomllib.loads(text)["states"]
    assert states == {"Open": "queued", "Solved": "resolved"}
    assert '"Solved" = "resolved"  # guessed; 1 events' in text
    assert "# 1 events outside a <trace> (the first at line 3)" in text
    assert "Intruder" not in text


@pytest.mark.parametrize("closed", [False, True])
def test_a_deeply_nested_tag_is_one_line_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], closed: bool
) -> None:
    depth = 300_000
    path = tmp_path / "deep.xes"
    inner = "<a>" * depth + ("</a>" * depth if closed else "")
    path.write_text(HEAD + "\n<trace>" + inner + ("</trace></log>" if closed else ""))
    code, _, err, took = suggest(capsys, path)
    assert code == 1 and took < 2.5
    line = refused(err, path)
    assert ("no event inside a <trace>" in line) if closed else ("broken XML" in line)


def test_a_normal_xes_log_gives_the_counts_of_the_events_written(tmp_path: Path) -> None:
    """States, teams and cases counted from what the test wrote, not from the code."""
    import random

    rng = random.Random(16)
    names = ["Open", "In Progress", "Waiting", "Solved", "Closed"]
    teams = ["Desk", "Net 2nd", "L3-Db"]
    traces, states, team_count = [], Counter[str](), Counter[str]()
    for case in range(40):
        events = []
        for i in range(rng.randint(1, 6)):
            name, team = rng.choice(names), rng.choice(teams)
            states[name] += 1
            team_count[team] += 1
            events.append(event(name, f"2024-01-{1 + i:02d}T09:00:00", team))
        traces.append(trace(f"T{case}", *events))
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress((HEAD + "".join(traces) + "</log>").encode()))
    text = suggest_mapping(path)
    assert f"{states.total():,} events in 40 cases" in text
    for name, n in states.items():
        assert re.search(rf"^{re.escape(json.dumps(name))} = .*# .*\b{n:,} events$", text, re.M)
    for team, n in team_count.items():
        assert f"#   {json.dumps(team)}  {n:,}" in text
    mapping = tomllib.loads(text)
    assert mapping["columns"]["group"] == "org:group"
    assert {p["tier"] for p in mapping["tiers"]["patterns"]} == {"L2", "L3"}
