"""What readers copy uses public paths only: no example imports a private module.

A private module is any `itil_l2` path with a part that starts with `_` (`itil_l2._core`,
`itil_l2.tickets._ticket`); importing a private name (`from itil_l2.tickets import
_ticket`) is the same mistake. Checked: every docs page (docs/**/*.md), the README, the
files those pages include (`--8<--`), every Python file under docs/, and every docstring
in src/itil_l2 (module, class, function and attribute docstrings, with their `>>>`
examples and fenced code). Besides `import` statements, `importlib.import_module("...")`
calls, mkdocstrings directives (`::: itil_l2...`) and the API markers of the docs hooks
(`<!-- api: itil_l2... -->`) must name public paths too. A failure lists file and line
of every offender.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "itil_l2"

_PROMPT = re.compile(r"^\s*(?:>>>|\.\.\.)(?: |$)")
_FROM = re.compile(r"\bfrom\s+(itil_l2(?:\.\w+)*)\s+import\s+(.*)")
_IMPORT = re.compile(
    r"(?:^|[\s;:`>])import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)"
)
_NAMED = re.compile(
    r"""import_module\(\s*["'](itil_l2[\w.]*)["']"""
    r"|^\s*:::\s*(itil_l2[\w.]*)"
    r"|<!--\s*api(?:-index)?:\s*(itil_l2[\w.]*)\s*-->"
)
_SNIPPET = re.compile(r'^--8<--\s+"([^"]+)"\s*$', flags=re.MULTILINE)


def is_private(dotted: str) -> bool:
    """Whether a dotted name has a part that starts with `_` (dunders like `__main__` aside)."""
    return any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in dotted.split(".")
    )


def _imported_names(rest: str, following: Iterator[str]) -> list[str]:
    """The names after `import` in a from-import, reading on to the `)` if parenthesised."""
    rest = rest.split("#", maxsplit=1)[0].split(";", maxsplit=1)[0]
    if rest.lstrip().startswith("("):
        text = rest
        while ")" not in text:
            line = next(following, None)
            if line is None:
                break
            text += " " + _PROMPT.sub("", line).split("#")[0]
        rest = text.strip().lstrip("(").split(")")[0]
    names = []
    for item in rest.replace("\\", " ").split(","):
        words = item.split()
        if words and re.fullmatch(r"\w+", words[0]):
            names.append(words[0])
    return names


def private_imports(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line number, offending line) for every use of a private itil_l2 path in `text`.

    `text` may be Python, Markdown, or a docstring: `>>>` and `...` prompts are read
    through, so doctest examples count like any other code.
    """
    offenders: list[tuple[int, str]] = []
    lines = text.splitlines()
    for index, raw in enumerate(lines):
        line = _PROMPT.sub("", raw)
        following = iter(lines[index + 1 :])
        bad = False
        for match in _FROM.finditer(line):
            module, rest = match.groups()
            names = _imported_names(rest, following)
            bad |= is_private(module) or any(is_private(name) for name in names)
        for match in _IMPORT.finditer(line):
            for item in match.group(1).split(","):
                dotted = item.split()[0]
                bad |= dotted.split(".")[0] == "itil_l2" and is_private(dotted)
        for match in _NAMED.finditer(line):
            bad |= is_private(next(group for group in match.groups() if group))
        if bad:
            offenders.append((first_line + index, raw.strip()))
    return offenders


def docstrings(source: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of every docstring in Python source, attribute docstrings too."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield node.lineno, node.value.value


def _doc_files() -> list[Path]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    included = {
        (ROOT / name).resolve()
        for page in pages
        for name in _SNIPPET.findall(page.read_text(encoding="utf-8"))
    }
    examples = sorted((ROOT / "docs").rglob("*.py"))
    return sorted({*pages, *examples, *included})


def _report(found: list[tuple[Path, int, str]]) -> str:
    return "\n".join(f"{path.relative_to(ROOT)}:{line}: {text}" for path, line, text in found)


# --- the checker, on planted examples ------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "from itil_l2._core.tier import Tier",
        "from itil_l2.tickets._ticket import Ticket",
        ">>> from itil_l2.problems._rca_methods import FiveWhys",
        "    >>> import itil_l2._core.diagram as d",
        "import json, itil_l2.storage._rows",
        "from itil_l2 import _core",
        "from itil_l2.tickets import Ticket, _ticket as t",
        "from itil_l2.tickets import (\n    Ticket,\n    _ticket,\n)",
        ">>> from itil_l2.tickets import (\n...     Ticket,\n...     _workflow,\n... )",
        "x = 1; from itil_l2._core import errors",
        'importlib.import_module("itil_l2.cmdb._graph")',
        "::: itil_l2.tickets._ticket.Ticket",
        "<!-- api: itil_l2._core -->",
        "Run `from itil_l2._core.time import utc` first.",
    ],
)
def test_the_checker_finds_a_private_import(snippet: str) -> None:
    text = f"Some prose.\n\n```python\n{snippet}\n```\n"
    found = private_imports(text, first_line=10)
    assert [line for line, _ in found] == [13], found


@pytest.mark.parametrize(
    "snippet",
    [
        "from itil_l2 import Actor, Ticket",
        "from itil_l2.tickets import Ticket, events",
        "from itil_l2.problems.rca import FiveWhys",
        ">>> from itil_l2.storage.sqlalchemy import SqlAlchemyStore",
        "import itil_l2",
        "import itil_l2.storage.sqlite as sqlite",
        "from itil_l2.tickets import (\n    Ticket,\n    Handover,\n)",
        "python -m itil_l2",
        "from itil_l2.cli import __main__",
        "from other_package._private import thing",
        "import _thread",
        "::: itil_l2.tickets.Ticket",
        "<!-- api: itil_l2.tickets.events -->",
        "`import itil_l2` never loads `sqlite3`.",
        "Everything here is importable from `itil_l2._core`'s public re-exports.",
    ],
)
def test_the_checker_passes_public_paths_and_prose(snippet: str) -> None:
    assert private_imports(f"```python\n{snippet}\n```\n") == []


def test_docstring_lines_count_from_the_docstring_start() -> None:
    source = (
        'x = 1\n\n\ndef f():\n    """Summary.\n\n    >>> from itil_l2._core import time\n    """\n'
    )
    found = [
        (start + line - 1, text)
        for start, doc in docstrings(source)
        for line, text in private_imports(doc)
    ]
    assert found == [(7, ">>> from itil_l2._core import time")]


# --- the project ---------------------------------------------------------------------


def test_docs_readme_and_examples_import_only_public_paths() -> None:
    found = [
        (path, line, text)
        for path in _doc_files()
        for line, text in private_imports(path.read_text(encoding="utf-8"))
    ]
    assert not found, "private imports in the docs:\n" + _report(found)


def test_docstrings_import_only_public_paths() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for start, doc in docstrings(path.read_text(encoding="utf-8")):
            found += [(path, start + line - 1, text) for line, text in private_imports(doc)]
    assert not found, "private imports in docstrings:\n" + _report(found)
