"""Hostile text in Chromium: nothing runs, no element is made from data, the text stays readable.

A site is built from the small fixture with an XSS or template-injection payload in every
contributor-editable field (tests/hostile_text.py), then every page is opened with a dialog
listener, a trap on window.__pwned and a Content-Security-Policy violation listener. The real
site's pages are also checked against the CSP, over HTTP and from file://.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard import pipeline
from scorecard.config import Config

from ..hostile_text import HOSTILE_URL_LINKED, VISIBLE, write_hostile_data
from .conftest import ROOT, PageLog, _is_local, _QuietHandler

# Runs before any script of the page: records CSP violations, dialogs' effects and the trap.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                      (e.sourceFile || '') + ':' + e.lineNumber));
window.__pwnedLog = [];
Object.defineProperty(window, '__pwned', {set: v => window.__pwnedLog.push(String(v)),
                                          get: () => undefined});
"""

# Elements and attributes no page makes from data (plotly draws <svg> of its own: allowed).
UNEXPECTED = """() => {
    const found = [];
    const bad = 'iframe, object, embed, img, math, base, frame, frameset, applet, portal, ' +
        'body meta, svg script, svg foreignObject, [srcdoc], form[action], ' +
        'script:not([src]):not([type="application/json"]), ' +
        'a[href^="javascript:" i], a[href^="data:" i], [src^="javascript:" i]';
    for (const el of document.querySelectorAll(bad)) found.push(el.outerHTML.slice(0, 120));
    for (const el of document.querySelectorAll('*'))
        for (const attr of el.attributes)
            if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
    for (const el of document.querySelectorAll('body style')) found.push('style in body');
    return found;
}"""

PAGES = [
    "index.html",
    "countries/FRA/index.html",
    "countries/DEU/index.html",
    "countries/ITA/index.html",
    "pillars/compute/index.html",
    "compare/index.html?c=FRA,DEU,ITA",
    "weights/index.html",
    "methodology/index.html",
    "data/index.html",
    "contribute/index.html",
    "404.html",
]


def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{folder.name}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The hostile site, built into <tmp>/www/site; and field -> the text put in it."""
    root = tmp_path_factory.mktemp("hostile")
    texts = write_hostile_data(root / "indicators")
    outside = root / "www"
    outside.mkdir()
    (outside / "neighbour.txt").write_text("untouched")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    out = outside / "site"
    paths = pipeline.Paths.for_project(ROOT, data=root / "indicators", out=out)
    pipeline.build(paths, Config(repository="https://github.com/o/r"))
    after = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    # Nothing was written outside the output folder.
    assert [p for p in after if p not in before and not p.startswith("www/site")] == []
    assert (outside / "neighbour.txt").read_text() == "untouched"
    return out, texts


@pytest.fixture(scope="module")
def hostile_server(hostile) -> Iterator[str]:
    yield from _serve(hostile[0])


def visit(browser, url: str, *, draw: bool = True):  # type: ignore[no-untyped-def]
    """Open `url` with the watchers installed; return (page, log, dialogs, context)."""
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    log, dialogs = PageLog(), []

    def route(request_route, request):  # type: ignore[no-untyped-def]
        if _is_local(request.url):
            request_route.continue_()
        else:
            log.outside.append(request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.goto(url, wait_until="load")
    if draw:
        page.wait_for_function(
            "() => !document.querySelector('[data-figure]:not([data-drawn])')", timeout=15000
        )
    return page, log, dialogs, context


def assert_nothing_ran(page, dialogs: list[str], path: str) -> None:  # type: ignore[no-untyped-def]
    assert dialogs == [], f"{path}: dialogs {dialogs}"
    assert page.evaluate("() => window.__pwnedLog") == [], path
    assert page.evaluate("() => window.__csp") == [], f"{path}: CSP violations"
    assert " · " in page.title(), f"{path}: the title became {page.title()!r}"
    assert page.evaluate(UNEXPECTED) == [], path


@pytest.mark.parametrize("path", PAGES)
def test_hostile_text_runs_nothing_and_makes_no_element(browser, hostile_server, hostile, path):
    page, log, dialogs, context = visit(browser, hostile_server + path)
    try:
        # Open every <details>, hover every chart's first mark: plotly builds hover labels
        # from the names, and nothing it draws may turn a name into an element either.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        for selector in (
            "g.trace.bars path",
            ".scatterlayer .trace .point",
            ".polarlayer path.point",
        ):
            marks = page.locator(selector)
            if marks.count():
                marks.first.hover(force=True)
        assert_nothing_ran(page, dialogs, path)
        text = page.evaluate("() => document.body.innerText")
        texts = hostile[1]
        for field in VISIBLE.get(path.split("?")[0], []):
            assert texts[field] in text, f"{path}: the {field} is not shown as text"
        assert log.outside == [] and log.page_errors == []
    finally:
        context.close()


def test_the_narrative_keeps_its_text_and_safe_links_only(browser, hostile_server):
    page, _, dialogs, context = visit(browser, hostile_server + "countries/FRA/index.html")
    try:
        narrative = page.locator("section.narrative")
        assert "Narrative text with emphasis." in narrative.inner_text()
        assert "{{ 7*7 }} {% raw %}x{% endraw %} and a fine link." in narrative.inner_text()
        hrefs = narrative.locator("a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        # javascript: and data: links keep their text and lose their address
        assert hrefs == [None, None, "https://example.org/fine"]
        assert narrative.locator("em").count() == 1  # markdown still works
        assert_nothing_ran(page, dialogs, "narrative")
    finally:
        context.close()


def test_a_url_with_quotes_and_brackets_stays_one_link(browser, hostile_server):
    page, _, dialogs, context = visit(browser, hostile_server + "countries/DEU/index.html")
    try:
        hrefs = page.locator("td.source a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert HOSTILE_URL_LINKED in hrefs
        assert_nothing_ran(page, dialogs, "url")
    finally:
        context.close()


def test_chart_labels_show_names_as_text(browser, hostile_server, hostile):
    page, _, dialogs, context = visit(browser, hostile_server + "pillars/compute/index.html")
    try:
        labels = page.locator("#bars .ytick text").all_text_contents()
        assert hostile[1]["name"] in labels
        page.locator("g.trace.bars path").first.hover(force=True)
        hover = page.locator("#bars .hoverlayer").text_content()
        assert hover is not None
        assert_nothing_ran(page, dialogs, "chart")
    finally:
        context.close()


def test_radar_and_map_show_names_as_text(browser, hostile_server, hostile):
    """The drawings made at build time carry names in <title> and legends: text only."""
    name = hostile[1]["name"]
    page, _, dialogs, context = visit(browser, hostile_server + "compare/index.html?c=FRA,DEU")
    try:
        legend = page.locator("#compare-radar + .chart-legend li[data-slot]").all_text_contents()
        assert name in legend
        titles = page.locator("#compare-radar .radar-series > title").all_text_contents()
        assert name in titles
        page.goto(hostile_server + "index.html")
        titles = page.locator("svg.world-map path > title").all_text_contents()
        assert any(t.startswith(name + ": ") for t in titles)
        assert_nothing_ran(page, dialogs, "drawings")
    finally:
        context.close()


# -- the Content-Security-Policy, on the real site -----------------------------------------------

REAL_PAGES = [
    "index.html",
    "countries/KOR/index.html",
    "pillars/compute/index.html",
    "compare/index.html?c=KOR,JPN,FRA",
    "weights/index.html?w=1,0,0,0,1&agg=geometric",
    "methodology/index.html",
    "data/index.html",
    "contribute/index.html",
    "404.html",
]


@pytest.mark.parametrize("path", REAL_PAGES)
def test_every_page_type_satisfies_the_csp_over_http(browser, server, path):
    page, log, dialogs, context = visit(browser, server + path)
    try:
        csp = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
        directives = dict((d.strip() + " ").split(" ", 1) for d in csp.split(";"))
        assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])
        assert page.evaluate("() => window.__csp") == []
        assert dialogs == []
        log.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "countries/KOR/index.html",
        "weights/index.html",
        "pillars/compute/index.html",
        "methodology/index.html",
    ],
)
def test_every_page_type_satisfies_the_csp_from_disk(browser, built_site, path):
    page, log, _, context = visit(browser, (built_site / path).as_uri())
    try:
        assert page.evaluate("() => window.__csp") == []
        log.assert_clean()
    finally:
        context.close()


def test_the_csp_listener_sees_a_violation(browser, tmp_path):
    """The listener works: an inline script on a page with the site's CSP is reported."""
    head = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    meta = next(line for line in head.splitlines() if "Content-Security-Policy" in line)
    page_file = tmp_path / "probe.html"
    page_file.write_text(f"<!doctype html><head>{meta}</head><script>window.__pwned=1</script>")
    page, _, _, context = visit(browser, page_file.as_uri(), draw=False)
    try:
        assert page.evaluate("() => window.__pwnedLog") == []
        assert any("script-src" in v for v in page.evaluate("() => window.__csp"))
    finally:
        context.close()
