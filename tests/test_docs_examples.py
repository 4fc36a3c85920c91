"""Every Python example in the README and the docs runs, and prints what its comments say.

A page's ```python blocks run in order in one namespace (so a later block may use an
earlier one's names); `--8<-- "path"` lines are replaced by the file they name, as
pymdownx.snippets does for the site. A `print(...)` statement whose last line ends in a
comment states the expected output: `print(x)  # 42` must print exactly `42`. A block
that ends in a run of comment lines states its whole output instead, one line each. An
example that rots fails here, not in a reader's terminal.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(?:python| \{ \.python \})\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)
"""A python fence; `{ .python }` is the spelling for snippet includes, which ruff must not format."""
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', flags=re.MULTILINE)


def blocks(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [
        SNIPPET.sub(lambda m: (ROOT / m.group(1)).read_text(encoding="utf-8"), block)
        for block in BLOCK.findall(text)
    ]


def trailing_output(code: str) -> list[str] | None:
    """The comment lines that end a block (its whole expected output), if it ends so."""
    lines = code.rstrip().splitlines()
    tail: list[str] = []
    while lines and lines[-1].startswith("#"):
        tail.insert(0, lines.pop()[2:])
    return tail or None


def expectations(code: str) -> dict[int, tuple[int, str]]:
    """{first line of a top-level print statement: (its last line, the expected text)}."""
    lines = code.splitlines()
    found = {}
    for node in ast.parse(code).body:
        is_print = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "print"
        )
        if not is_print or node.end_lineno is None:
            continue
        comment = re.search(r"\)\s*#\s?(.*)$", lines[node.end_lineno - 1])
        if comment:
            found[node.lineno] = (node.end_lineno, comment.group(1).rstrip())
    return found


def recorder(filename: str, printed: list[tuple[int, str]]) -> Any:
    """A `print` that records (line in the block, text) for each printed line."""

    def record(*args: Any, sep: str = " ", **_: Any) -> None:
        frame = sys._getframe(1)
        line = frame.f_lineno if frame.f_code.co_filename == filename else -1
        printed.extend((line, text) for text in sep.join(map(str, args)).splitlines())

    return record


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_page_examples_run_and_print_what_they_say(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    checked = 0
    for number, code in enumerate(blocks(page), start=1):
        printed: list[tuple[int, str]] = []
        filename = f"{page.name}#block{number}"
        namespace["print"] = recorder(filename, printed)
        # dont_inherit: compiled as a reader's file is, without this module's __future__ imports
        exec(compile(code, filename, "exec", dont_inherit=True), namespace)
        whole = trailing_output(code)
        if whole is not None:
            assert [text for _, text in printed] == whole, f"{filename} printed otherwise"
            checked += 1
            continue
        for first, (last, expected) in expectations(code).items():
            got = [text for line, text in printed if first <= line <= last]
            assert got == [expected], f"{filename}, line {first}: printed {got}"
            checked += 1
    assert checked, f"{page.name}: no example states its output"
