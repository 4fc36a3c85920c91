"""The HTML report in a real browser: headless Chromium renders it and draws the charts.

Skipped only when no Chromium is installed and `ITIL_L2_REQUIRE_BROWSER` is
unset; CI sets it, so a missing browser is a failure there, never a silent pass.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from itil_l2.report import report_html
from support import chromium
from test_report import PLANS, planned_tickets


def _browser(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded scanlines) of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "report.html"
    path.write_text(report_html(planned_tickets(), title="Browser check"), encoding="utf-8")
    return path


def test_chromium_renders_the_report_to_a_non_trivial_screenshot(page: Path) -> None:
    shot = page.with_name("report.png")
    result = _browser(page.parent, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    assert shot.is_file(), result.stderr
    width, height, colours = _png_size_and_colours(shot)
    assert (width, height) == (1280, 2400)
    assert shot.stat().st_size > 20_000
    assert colours > 50  # text, bars in several colours, lines: not a blank page


def test_the_rendered_dom_holds_every_chart(page: Path) -> None:
    result = _browser(page.parent, "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr
    dom = result.stdout
    assert len(re.findall(r"<svg\b", dom)) == 5
    for chart in ("bar", "line", "funnel", "hbar"):
        assert f'class="chart {chart}"' in dom
    assert dom.count("<rect") >= 9 + 3 + 4  # histogram bins, legend and funnel stages
    assert f"{len(PLANS)} tickets" in dom and "<h2>Backlog age</h2>" in dom
