"""The docs site draws its diagrams with no network: the mermaid renderer ships with it.

The site is built from the checkout (`mkdocs build --strict` into a temporary folder),
served on localhost, and every page with a diagram is opened in headless Chromium with
every host but 127.0.0.1 unresolvable. Material for MkDocs puts the drawn SVG in a
closed shadow root, which `--dump-dom` does not show, so the test drives Chromium over
the DevTools protocol (`--remote-debugging-pipe`, no extra packages): DOM.getDocument
with `pierce` sees into closed shadow roots, Network events list every request the page
made, and Page.captureScreenshot photographs each diagram.

Browser handling follows tests/test_report_browser.py: skipped only when no Chromium is
installed and `ITIL_L2_REQUIRE_BROWSER` is unset (CI sets it, so there a missing
browser is a failure). The build needs the pinned mermaid tarball, which docs/_hooks.py
downloads from the npm registry into `.cache/` once.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import importlib.util
import io
import json
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from itil_l2 import diagram
from support import chromium

ROOT = Path(__file__).resolve().parent.parent
DIAGRAM = re.compile(r"<!--\s*diagram:\s*(\w+)\s*-->")
COSMETIC_HOSTS = {"api.github.com"}
"""The host Material asks for the repository's star count (fonts are off); offline it does without."""
LAUNCH = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4);"
    " os.execv(sys.argv[3], sys.argv[3:])"
)
"""Starts Chromium with the DevTools pipe on fds 3 (commands in) and 4 (replies out)."""


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("itil_l2_docs_hooks", ROOT / "docs/_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def diagram_pages() -> dict[str, list[str]]:
    """{site path of a docs page: the diagrams it shows}."""
    found = {}
    for page in sorted((ROOT / "docs").glob("*.md")):
        names = DIAGRAM.findall(page.read_text(encoding="utf-8"))
        if names:
            found["" if page.stem == "index" else f"{page.stem}/"] = names
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built strictly from this checkout into a temporary folder."""
    folder = tmp_path_factory.mktemp("docs") / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on localhost: its base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- without a browser ---------------------------------------------------------------


def test_the_site_ships_the_renderer_and_every_page_loads_it(site: Path) -> None:
    hooks = _hooks()
    renderer = site / hooks.MERMAID_JS
    assert renderer.stat().st_size > 1_000_000
    assert re.search(rb'globalThis\["mermaid"\]\s*=', renderer.read_bytes()[-2000:])  # the global
    assert "MIT License" in (site / hooks.MERMAID_LICENSE).read_text(encoding="utf-8")
    for path, names in diagram_pages().items():
        html = (site / path / "index.html").read_text(encoding="utf-8")
        assert html.count('<pre class="mermaid">') == len(names), path
        assert re.search(r'<script src="(\.\./)*javascripts/mermaid\.min\.js" defer>', html), path
    assert not [page for page in site.rglob("*.html") if "unpkg.com" in page.read_text("utf-8")]


def test_material_draws_with_a_global_mermaid_and_fetches_one_only_without_it(
    site: Path,
) -> None:
    """The assumption the offline renderer rests on, read from the installed theme's bundle."""
    (bundle,) = (site / "assets" / "javascripts").glob("bundle.*.min.js")
    text = bundle.read_text(encoding="utf-8")
    loader = re.search(r'typeof mermaid\s*==\s*"undefined"[^?]{0,60}\?\s*\w+\("([^"]+)"\)', text)
    assert loader is not None, "Material's mermaid loader changed: check docs/_hooks.py"
    assert "unpkg.com/mermaid@11/" in loader.group(1)
    assert _hooks().MERMAID_VERSION.startswith("11.")


def test_the_hook_refuses_a_tarball_that_fails_its_integrity_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = _hooks()
    monkeypatch.setattr(hooks.urllib.request, "urlopen", lambda *_a, **_k: io.BytesIO(b"evil"))
    with pytest.raises(hooks.PluginError, match="integrity"):
        hooks._mermaid_tarball(tmp_path)
    assert not list(tmp_path.iterdir())  # nothing unverified is cached


def test_the_hook_uses_a_verified_cache_and_replaces_a_corrupt_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = _hooks()
    good = b"a tarball"
    monkeypatch.setattr(hooks, "MERMAID_INTEGRITY", hooks.integrity(good))
    cached = tmp_path / f"mermaid-{hooks.MERMAID_VERSION}.tgz"
    cached.write_bytes(good)

    def offline(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("no network")

    monkeypatch.setattr(hooks.urllib.request, "urlopen", offline)
    assert hooks._mermaid_tarball(tmp_path) == good
    cached.write_bytes(b"a tarball, damaged")
    monkeypatch.setattr(hooks.urllib.request, "urlopen", lambda *_a, **_k: io.BytesIO(good))
    assert hooks._mermaid_tarball(tmp_path) == good
    assert cached.read_bytes() == good


def test_integrity_is_the_npm_sha512_form() -> None:
    # npm's integrity of an empty tarball: base64 of the sha512 of no bytes.
    assert _hooks().integrity(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )


# --- in headless Chromium ------------------------------------------------------------


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe; only localhost resolves."""

    def __init__(self, browser: str, folder: Path) -> None:
        commands_in, self._commands = os.pipe()
        self._replies, replies_out = os.pipe()
        # Out of the way of 3 and 4, so the launcher's dup2 cannot clobber one with the other.
        child_in = fcntl.fcntl(commands_in, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(replies_out, fcntl.F_DUPFD, 10)
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.log = folder / "chromium.log"
        with self.log.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(child_in), str(child_out), browser, *flags],
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        for fd in (commands_in, replies_out, child_in, child_out):
            os.close(fd)
        self._buffer = b""
        self._last_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") != self._last_id:
                    self.events.append(reply)
                    continue
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise TimeoutError(f"{method}: no reply in {timeout} s; see {self.log}")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise EOFError(f"Chromium closed the pipe; see {self.log}")
            self._buffer += chunk

    def open_tab(self, width: int, height: int) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return reply["result"].get("value")

    def requested_urls(self) -> list[str]:
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close", timeout=10)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._replies)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A DOM.getDocument tree, depth first, into shadow roots (open or closed) too."""
    yield node
    for child in [*node.get("children", ()), *node.get("shadowRoots", ())]:
        yield from _nodes(child)


def _classes(node: dict[str, Any]) -> list[str]:
    attributes = node.get("attributes", [])
    return dict(zip(attributes[::2], attributes[1::2], strict=True)).get("class", "").split()


def _png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded scanlines) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def _wait_for_diagrams(browser: DevTools, count: int, timeout: float = 30) -> None:
    """Until the page has loaded and Material has replaced every mermaid source block."""
    state = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = browser.evaluate(
            "[document.readyState, document.querySelectorAll('div.mermaid').length,"
            " document.querySelectorAll('pre.mermaid').length]"
        )
        if state == ["complete", count, 0]:
            return
        time.sleep(0.2)
    raise AssertionError(f"diagrams not drawn in {timeout} s: [readyState, drawn, source]={state}")


def _drawn_svgs(browser: DevTools) -> list[str]:
    """The markup inside each diagram's (closed) shadow root."""
    root = browser.call("DOM.getDocument", depth=-1, pierce=True)["root"]
    hosts = [n for n in _nodes(root) if n.get("nodeName") == "DIV" and "mermaid" in _classes(n)]
    drawn = []
    for host in hosts:
        inside = [n for shadow in host.get("shadowRoots", ()) for n in shadow.get("children", ())]
        drawn.append(
            "".join(
                browser.call("DOM.getOuterHTML", nodeId=n["nodeId"])["outerHTML"] for n in inside
            )
        )
    return drawn


def test_every_diagram_renders_in_chromium_with_no_network(served: str, tmp_path: Path) -> None:
    pages = diagram_pages()
    assert pages, "no page shows a diagram"
    browser = DevTools(chromium(), tmp_path)
    try:
        browser.open_tab(width=1280, height=1600)
        for path, names in pages.items():
            browser.call("Page.navigate", url=served + path)
            _wait_for_diagrams(browser, count=len(names))
            drawn = _drawn_svgs(browser)
            assert len(drawn) == len(names), path
            for name, markup in zip(names, drawn, strict=True):
                assert markup.startswith("<svg") and 'aria-roledescription="stateDiagram"' in markup
                assert markup.count("statediagram-state") >= 3, (path, name)
                for label in set(re.findall(r'state "([^"]+)" as', diagram(name))):
                    assert f">{label}<" in markup, (path, name, label)
            visible = browser.evaluate("document.body.innerText")
            assert "stateDiagram" not in visible and "[*] -->" not in visible, path

            box = browser.evaluate(
                "(() => { const r = document.querySelector('div.mermaid').getBoundingClientRect();"
                " return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()"
            )
            x, y, width, height = box
            shot = browser.call(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={"x": x, "y": y, "width": width, "height": height, "scale": 1},
            )
            png = base64.b64decode(shot["data"])
            (tmp_path / f"{path.strip('/') or 'index'}.png").write_bytes(png)
            shot_width, shot_height, colours = _png_size_and_colours(png)
            assert shot_width > 300 and shot_width * shot_height > 60_000, (path, box)
            assert len(png) > 10_000, path
            assert colours > 20, path  # boxes, lines and labels, not a blank area

        urls = browser.requested_urls()
        errors = [
            e["params"] for e in browser.events if e.get("method") == "Runtime.exceptionThrown"
        ]
    finally:
        browser.close()
    assert not errors, errors
    assert any(url.endswith("/javascripts/mermaid.min.js") for url in urls), urls
    external = [url for url in urls if urlsplit(url).hostname not in {"127.0.0.1", None}]
    assert {urlsplit(url).hostname for url in external} <= COSMETIC_HOSTS, external
    assert not [url for url in external if "mermaid" in url], external
