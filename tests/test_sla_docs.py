"""The SLA concept page's example runs and prints what its last comment says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "sla.md"


def test_sla_page_example_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1
    code = blocks[0]
    expected = re.search(r"# (.+)$", code.strip().splitlines()[-1])
    assert expected is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(PAGE), "exec"), {})
    assert out.getvalue().strip() == expected.group(1).strip()
