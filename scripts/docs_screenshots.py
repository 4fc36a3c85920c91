"""Build the docs site and screenshot pages in headless Chromium, diagrams rendered.

    python scripts/docs_screenshots.py [--out DIR] [--mermaid PATH]

The site loads mermaid from a CDN when a reader opens it. This machine (and CI) has no
internet beyond the package registries, so the script renders the diagrams with a copy
of mermaid taken from the npm registry (`npm pack mermaid@11`, or `--mermaid PATH` to a
`mermaid.min.js`), injected into the built pages before mkdocs-material looks for it
(material uses a `mermaid` global when one exists). The published site is unchanged.
Prints the PNG paths; look at them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"home": "", "workflow": "workflow/", "sla": "sla/", "reference": "reference/"}
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


def fetch_mermaid(workdir: Path) -> Path:
    """mermaid.min.js from the npm registry (a package registry, not a CDN)."""
    subprocess.run(
        ["npm", "pack", "mermaid@11", "--silent"], cwd=workdir, check=True, capture_output=True
    )
    archive = next(workdir.glob("mermaid-*.tgz"))
    with tarfile.open(archive) as tar:
        member = tar.getmember("package/dist/mermaid.min.js")
        tar.extract(member, workdir, filter="data")
    return workdir / "package" / "dist" / "mermaid.min.js"


def build(site: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        check=True,
        env=env,
    )


def inject(site: Path, mermaid: Path) -> None:
    shutil.copy(mermaid, site / "mermaid.min.js")
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        tag = f'<script src="{"../" * depth}mermaid.min.js"></script>'
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r"</head>", tag + "</head>", text, count=1), encoding="utf-8")


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
    parser.add_argument("--mermaid", type=Path, help="a local mermaid.min.js")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        site = work / "site"
        build(site)
        inject(site, args.mermaid or fetch_mermaid(work))
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
