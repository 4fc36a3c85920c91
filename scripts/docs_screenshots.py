"""Build the docs site and screenshot pages in headless Chromium, diagrams rendered.

    python scripts/docs_screenshots.py [--out DIR]

The site ships its own mermaid renderer (docs/_hooks.py adds the pinned, integrity-checked
`mermaid.min.js` from the npm registry), so the diagrams render with no network; the
screenshots show the site exactly as it is published. Prints the PNG paths; look at them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"home": "", "workflow": "workflow/", "sla": "sla/", "reference": "reference/tickets/"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=8000",
]


def build(site: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        check=True,
        env=env,
    )


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def shoot(url: str, png: Path, profile: Path, height: int) -> None:
    subprocess.run(
        [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size=1280,{height}",
            f"--screenshot={png}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs-screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        site = work / "site"
        build(site)
        server, port = serve(site)
        try:
            for name, path in PAGES.items():
                png = args.out / f"{name}.png"
                shoot(f"http://127.0.0.1:{port}/{path}", png, work / "profile", 2000)
                print(png)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
