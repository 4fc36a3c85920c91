"""mkdocs hooks: diagrams, their offline renderer and the API reference, all at build time.

Diagrams. A page writes `<!-- diagram: ticket -->`; the hook replaces it with a mermaid
block from `itil_l2.diagram("ticket")`, so no diagram is ever drawn by hand. The mermaid
renderer ships with the site: the hook fetches the pinned `mermaid` package from the npm
registry (once, into the gitignored `.cache/` folder), checks the tarball against the
pinned sha512 integrity of the registry's metadata, and adds its `dist/mermaid.min.js` to
the site as `javascripts/mermaid.min.js`. `mkdocs.yml` loads that file through
`extra_javascript`; Material for MkDocs renders with a global `mermaid` when one exists
and fetches mermaid from a CDN only when none does, so diagrams render with no network.

API reference. `<!-- api: itil_l2.tickets -->` becomes the module's docstring and one
mkdocstrings directive per name in its `__all__`, so the reference never goes stale.
Each object is documented once, under the deepest public module on the reference pages
that exports it (`FiveWhys` under `itil_l2.problems.rca`, not also under
`itil_l2.problems`); every other module that exports it links there.
`<!-- api-index: itil_l2 -->` becomes a table of a module's names, each linked to where
it is documented. A public module whose `__all__` holds a name documented nowhere is a
warning, so `mkdocs build --strict` fails until the reference covers it.

View schemas. `<!-- schema: TicketView -->` becomes a json block of
`itil_l2.views.json_schema(itil_l2.views.TicketView)`, so the published JSON Schema is the
one the code generates; a name that is no view class fails the build.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import inspect
import io
import json
import os
import pkgutil
import re
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Link, Navigation
from mkdocs.structure.pages import Page

import itil_l2
from itil_l2 import diagram, views

log = get_plugin_logger("itil_l2")

_DIAGRAM = re.compile(r"<!--\s*diagram:\s*(\w+)\s*-->")
_API = re.compile(r"<!--\s*api:\s*([\w.]+)\s*-->")
_API_INDEX = re.compile(r"<!--\s*api-index:\s*([\w.]+)\s*-->")
_SCHEMA = re.compile(r"<!--\s*schema:\s*(\w+)\s*-->")

# The mermaid renderer. Material for MkDocs 9 loads mermaid@11 from unpkg when it finds
# no global `mermaid`; this is the newest 11.x. To move to another version, take
# `dist.integrity` from https://registry.npmjs.org/mermaid/<version>.
MERMAID_VERSION = "11.17.2"
MERMAID_INTEGRITY = (
    "sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7Lo"
    "aRQxULMa80/qt5gHO73aCleBBg=="
)
MERMAID_URL = f"https://registry.npmjs.org/mermaid/-/mermaid-{MERMAID_VERSION}.tgz"
MERMAID_JS = "javascripts/mermaid.min.js"
"""Where the renderer lands in the site; `extra_javascript` in mkdocs.yml names it."""
MERMAID_LICENSE = "javascripts/mermaid.LICENSE.txt"
CACHE_ENV = "ITIL_L2_DOCS_CACHE"
"""Overrides the download cache folder (default: `.cache/` beside mkdocs.yml)."""


# --- diagrams -------------------------------------------------------------------------


def integrity(data: bytes) -> str:
    """The npm `integrity` string (subresource-integrity form, sha512) of `data`."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _cache_dir(config: MkDocsConfig) -> Path:
    default = Path(config.config_file_path).resolve().parent / ".cache"
    return Path(os.environ.get(CACHE_ENV) or default) / "mermaid"


def _mermaid_tarball(cache: Path) -> bytes:
    """The pinned mermaid tarball, from the cache or the npm registry, integrity checked."""
    path = cache / f"mermaid-{MERMAID_VERSION}.tgz"
    if path.is_file():
        data = path.read_bytes()
        if integrity(data) == MERMAID_INTEGRITY:
            return data
        log.info("cached %s fails its integrity check; downloading it again", path.name)
    log.info("downloading %s", MERMAID_URL)
    try:
        with urllib.request.urlopen(MERMAID_URL, timeout=120) as response:
            data = response.read()
    except OSError as error:
        message = f"cannot download {MERMAID_URL} (the diagrams' renderer): {error}"
        raise PluginError(message) from error
    found = integrity(data)
    if found != MERMAID_INTEGRITY:
        message = f"{MERMAID_URL}: integrity {found}, expected {MERMAID_INTEGRITY}"
        raise PluginError(message)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
    return data


@functools.cache
def _mermaid_files(cache: Path) -> dict[str, bytes]:
    """{site path: content} of the renderer and its licence, from the checked tarball."""
    wanted = {"package/dist/mermaid.min.js": MERMAID_JS, "package/LICENSE": MERMAID_LICENSE}
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(_mermaid_tarball(cache)), mode="r:gz") as tar:
        for member in tar:
            if member.name in wanted and member.isfile():
                extracted = tar.extractfile(member)
                if extracted is not None:
                    found[wanted[member.name]] = extracted.read()
    missing = set(wanted.values()) - set(found)
    if missing:
        raise PluginError(f"mermaid {MERMAID_VERSION} tarball lacks {sorted(missing)}")
    return found


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Refuse a config whose pages would fall back to the CDN for mermaid."""
    scripts = [str(getattr(script, "path", script)) for script in config.extra_javascript]
    if MERMAID_JS not in scripts:
        log.warning("extra_javascript lacks %s: diagrams would need the network", MERMAID_JS)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the pinned mermaid renderer (and its licence) to the site."""
    for path, content in _mermaid_files(_cache_dir(config)).items():
        files.append(File.generated(config, path, content=content))
    return files


# --- nav links to a section of a page -------------------------------------------------

_anchors: dict[str, set[str]] = {}
"""{page source path: the anchors nav links point at}, checked once the page renders."""


def _nav_items(items: list[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _nav_items(item.children or [])


def _resolve_nav_links(nav: Navigation, files: Files) -> None:
    """Point nav links such as `storage.md#your-own-tables` at the built page.

    mkdocs keeps such an entry as a plain link (to `storage.md`, absent from the site) and
    reports it at `validation.nav.not_found`, which mkdocs.yml lowers to info for them;
    this hook reports the ones whose page or anchor does not exist instead.
    """
    _anchors.clear()
    for item in _nav_items(nav.items):
        if not isinstance(item, Link):
            continue
        parts = urlsplit(item.url)
        if parts.scheme or parts.netloc or parts.path.startswith("/"):
            continue
        file = files.get_file_from_path(parts.path)
        if file is None:
            log.warning("nav links to %r, which is not a documentation page", item.url)
            continue
        item.url = file.url + (f"#{parts.fragment}" if parts.fragment else "")
        if parts.fragment:
            _anchors.setdefault(file.src_uri, set()).add(parts.fragment)


def on_page_content(html: str, page: Page, **_kwargs: Any) -> str:
    """Report nav links to an anchor the page does not have."""
    for anchor in sorted(_anchors.get(page.file.src_uri, ())):
        if f'id="{anchor}"' not in html:
            log.warning("nav links to %s#%s, which has no such anchor", page.file.src_uri, anchor)
    return html


# --- API reference --------------------------------------------------------------------


def _public_modules() -> list[str]:
    """Every public module of the package: no part after `itil_l2` starts with `_`."""
    found = ["itil_l2"]
    pending: list[ModuleType] = [itil_l2]
    while pending:
        package = pending.pop()
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found.append(module.__name__)
            if info.ispkg:
                pending.append(module)
    return sorted(found)


def _exports(module_name: str) -> list[tuple[str, Any]]:
    module = importlib.import_module(module_name)
    return [(name, getattr(module, name)) for name in module.__all__]


class _Reference:
    """Which module documents each exported object, for the modules the pages show."""

    def __init__(self, shown: list[str]) -> None:
        self.shown = shown
        self.home: dict[tuple[str, int], str] = {}
        depth = {name: (-name.count("."), index) for index, name in enumerate(shown)}
        for module_name in sorted(shown, key=depth.__getitem__):
            for name, obj in _exports(module_name):
                self.home.setdefault((name, id(obj)), module_name)

    def home_of(self, name: str, obj: object) -> str | None:
        return self.home.get((name, id(obj)))

    def undocumented(self) -> dict[str, list[str]]:
        """{public module: its exported names that no reference page documents}."""
        missing: dict[str, list[str]] = {}
        for module_name in _public_modules():
            if not hasattr(importlib.import_module(module_name), "__all__"):
                continue
            for name, obj in _exports(module_name):
                if self.home_of(name, obj) is None:
                    missing.setdefault(module_name, []).append(name)
        return missing


_reference: _Reference | None = None
_indexed: set[str] = set()


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Resolve nav links to sections; find the modules the reference pages show."""
    global _reference  # noqa: PLW0603 (one build's state, rebuilt on every build)
    _resolve_nav_links(nav, files)
    order = [page.file for page in nav.pages]
    order += [file for file in files.documentation_pages() if file not in order]
    shown: list[str] = []
    _indexed.clear()
    for file in order:
        if file.abs_src_path is None:
            continue
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        shown += [name for name in _API.findall(text) if name not in shown]
        _indexed.update(_API_INDEX.findall(text))
    _reference = _Reference(shown)
    for module_name, names in _reference.undocumented().items():
        log.warning("API reference: %s exports %s, documented nowhere", module_name, names)
    return nav


def _summary(obj: object) -> str:
    """The first line of an object's own docstring, ready for a table cell."""
    if not (inspect.isclass(obj) or inspect.isroutine(obj)):
        return f"A constant (`{type(obj).__name__}`)."
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(first.split()).replace("|", "\\|")


def _module_section(module_name: str) -> str:
    assert _reference is not None
    parts = [
        f"::: {module_name}\n    options:\n      heading_level: 2\n      members: false\n",
    ]
    elsewhere: dict[str, list[str]] = {}
    own: list[str] = []
    for name, obj in _exports(module_name):
        home = _reference.home_of(name, obj)
        if home == module_name:
            own.append(name)
        elif home is not None:
            elsewhere.setdefault(home, []).append(name)
    if module_name not in _indexed:
        for home, names in elsewhere.items():
            links = ", ".join(f"[`{name}`][{home}.{name}]" for name in names)
            parts.append(f"Also exported here, documented with [`{home}`][{home}]: {links}.\n")
    parts += [f"::: {module_name}.{name}\n    options:\n      heading_level: 3\n" for name in own]
    return "\n".join(parts)


def _module_index(module_name: str) -> str:
    assert _reference is not None
    rows = ["| Name | What it is | Documented with |", "|---|---|---|"]
    for name, obj in _exports(module_name):
        home = _reference.home_of(name, obj) or module_name
        rows.append(
            f"| [`{name}`][{home}.{name}] | {_summary(obj)} | [`{home}`][{home}] |",
        )
    return "\n".join(rows) + "\n"


# --- view schemas ---------------------------------------------------------------------


def _view_schema(name: str) -> str:
    """A json block of the JSON Schema of the view class `itil_l2.views.<name>`."""
    view = getattr(views, name, None)
    if name not in views.__all__ or view is None:
        raise PluginError(f"<!-- schema: {name} -->: itil_l2.views has no view class {name}")
    try:
        schema = views.json_schema(view)
    except itil_l2.ItilL2Error as error:
        raise PluginError(f"<!-- schema: {name} -->: {error}") from error
    return f"```json\n{json.dumps(schema, indent=2, ensure_ascii=False)}\n```"


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Replace diagram, API and schema markers with generated content."""
    markdown = _DIAGRAM.sub(lambda m: f"```mermaid\n{diagram(m.group(1))}```", markdown)
    markdown = _SCHEMA.sub(lambda m: _view_schema(m.group(1)), markdown)
    markdown = _API_INDEX.sub(lambda m: _module_index(m.group(1)), markdown)
    return _API.sub(lambda m: _module_section(m.group(1)), markdown)
