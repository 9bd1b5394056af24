"""A real Chromium (Debian's, driven by Playwright) against the site built from the real data.

The site is built once per session into a temporary folder and served over HTTP on
127.0.0.1 by a thread of this process. Every page a test opens records console errors,
page errors, failed requests and any request that would leave 127.0.0.1 (those are
aborted). Browser tests are skipped only when Chromium is absent and
SCORECARD_REQUIRE_BROWSER is not set; CI sets it.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scorecard import pipeline
from scorecard.config import Config

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
REPOSITORY = "https://github.com/example/scorecard"


def _browser_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [i for i in items if here in Path(str(i.fspath)).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if _browser_available():
        return
    if os.environ.get("SCORECARD_REQUIRE_BROWSER"):
        return  # let the fixture fail loudly
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data built once, with repository links on, under <tmp>/www/scorecard/."""
    www = tmp_path_factory.mktemp("www")
    out = www / "scorecard"
    paths = pipeline.Paths.for_project(ROOT, out=out)
    pipeline.build(paths, Config(repository=REPOSITORY))
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def server(built_site: Path) -> Iterator[str]:
    """Base URL of the site, served from a sub-path (/scorecard/) like a GitHub project page."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/scorecard/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not _browser_available():
        pytest.fail(f"SCORECARD_REQUIRE_BROWSER is set but Chromium is missing at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@dataclass
class PageLog:
    """What went wrong while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests leaving 127.0.0.1: {self.outside}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"page errors: {self.page_errors}"
        assert self.failed == [], f"failed requests: {self.failed}"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("file", "data", "about", "blob") or parts.hostname == "127.0.0.1"


@pytest.fixture
def open_page(browser):  # type: ignore[no-untyped-def]
    """open_page(url, bypass_csp=False) -> (page, log); the context closes after the test."""
    contexts = []

    def _open(url: str, *, bypass_csp: bool = False, viewport: dict | None = None):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            bypass_csp=bypass_csp,  # type: ignore[attr-defined]
            viewport=viewport or {"width": 1280, "height": 900},
        )
        contexts.append(context)
        log = PageLog()
        page = context.new_page()

        def route(request_route, request):  # type: ignore[no-untyped-def]
            if _is_local(request.url):
                request_route.continue_()
            else:
                log.outside.append(request.url)
                request_route.abort()

        page.route("**/*", route)
        page.on(
            "console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: log.failed.append(r.url) if _is_local(r.url) else None)
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "() => !document.querySelector('[data-figure]:not([data-drawn])')", timeout=15000
        )
        return page, log

    yield _open
    for context in contexts:
        context.close()
