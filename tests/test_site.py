"""The rendered site, without a browser: links, escaping, figures, downloads, sitemap."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import plotly.graph_objects as go
import pytest

from scorecard import cli, export, pipeline
from scorecard.config import Config

ROOT = Path(__file__).resolve().parents[1]


class _Page(HTMLParser):
    """Links, ids, scripts and JSON islands of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.islands: dict[str, str] = {}
        self.script_srcs: list[str] = []
        self.inline_scripts = 0
        self._island: str | None = None
        self._buffer: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"] or "")
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        for name in ("href", "src", "poster", "data", "action", "data-href"):
            if a.get(name):
                self.links.append(a[name] or "")
        for candidate in (a.get("srcset") or "").split(","):  # "a.png 1x, b.png 2x"
            if candidate.strip():
                self.links.append(candidate.split()[0])
        self.links += css_urls(a.get("style") or "")
        if tag == "script":
            if a.get("src"):
                self.script_srcs.append(a["src"] or "")
            elif a.get("type") == "application/json":
                self._island = a.get("id") or ""
                self._buffer = []
            else:
                self.inline_scripts += 1

    def handle_data(self, data: str) -> None:
        if self._island is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._island is not None:
            self.islands[self._island] = "".join(self._buffer)
            self._island = None


def css_urls(css: str) -> list[str]:
    """The addresses in a style sheet or style attribute: url(...) and @import "..."."""
    found = re.findall(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", css)
    return [url or imported for _, url, _, imported in found]


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def build(tmp: Path, data: Path | None = None, config: Config | None = None) -> Path:
    out = tmp / "site"
    paths = pipeline.Paths.for_project(ROOT, data=data, out=out)
    pipeline.build(paths, config or Config())
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("site"))


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_country_and_pillar_has_a_page(site: Path) -> None:
    countries = sorted(p.stem for p in (ROOT / "indicators" / "countries").glob("[A-Z]*.yaml"))
    assert sorted(p.name for p in (site / "countries").iterdir()) == countries
    for pillar in ("compute", "data", "talent", "funding", "openness"):
        assert (site / "pillars" / pillar / "index.html").is_file()
    for page in (
        "index.html",
        "compare/index.html",
        "weights/index.html",
        "methodology/index.html",
        "data/index.html",
        "contribute/index.html",
        "404.html",
        "robots.txt",
        "assets/favicon.svg",
    ):
        assert (site / page).is_file(), page


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    broken = []
    pages = {p.resolve(): parse(p) for p in html_pages(site)}
    for path, page in pages.items():
        if path.name == "404.html":
            continue  # served at any depth; its one link is checked below
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not parts.scheme and not parts.netloc, f"{path}: absolute link {link}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{path.relative_to(site)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{path.relative_to(site)} -> {link} (no such anchor)")
    assert broken == []


def test_every_address_in_a_style_sheet_resolves(site: Path) -> None:
    assert css_urls("a{background:url('x.png')} b{mask:url(y.svg#m)} @import \"z.css\";") == [
        "x.png",
        "y.svg#m",
        "z.css",
    ]
    for sheet in site.rglob("*.css"):
        for url in css_urls(sheet.read_text(encoding="utf-8")):
            parts = urlsplit(url)
            assert parts.scheme in ("", "data"), f"{sheet.name}: {url} is not local"
            if not parts.scheme:
                assert (sheet.parent / unquote(parts.path)).resolve().is_file(), url


def test_pages_load_nothing_from_the_network_and_run_no_inline_script(site: Path) -> None:
    for path in html_pages(site):
        page = parse(path)
        for src in page.script_srcs:
            assert not urlsplit(src).scheme, f"{path}: script from {src}"
        assert page.inline_scripts == 0, f"{path}: inline script (the CSP forbids it)"
        assert page.handlers == [], f"{path}: inline event handlers {page.handlers}"
    for asset in ("style.css", "scorecard.js"):
        text = (site / "assets" / asset).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), asset


def test_every_figure_is_valid_for_plotly(site: Path) -> None:
    figures: dict[str, int] = {}
    for path in html_pages(site):
        for island, text in parse(path).islands.items():
            if not island.endswith("-figure"):
                continue
            figure = json.loads(text)
            go.Figure(data=figure["data"], layout=figure["layout"])  # raises on invalid keys
            page = path.relative_to(site).as_posix()
            figures[page] = figures.get(page, 0) + 1
    # The map, the radars (scorecard/svg.py) are drawn at build time; these need plotly.
    pillar_ids = ("compute", "data", "talent", "funding", "openness")
    pillars = {f"pillars/{p}/index.html": 2 for p in pillar_ids}
    assert figures == {
        **pillars,
        "weights/index.html": 1,
        "methodology/index.html": 2,
        "spotlights/KOR/index.html": 2,
    }


def test_plotly_loads_only_where_a_figure_needs_it(site: Path) -> None:
    for path in html_pages(site):
        page = parse(path)
        loads = any(link.endswith("assets/vendor/plotly.min.js") for link in page.links)
        has_figure = any(island.endswith("-figure") for island in page.islands)
        assert loads == has_figure, path.relative_to(site)


def test_figure_json_cannot_close_its_script_element() -> None:
    from scorecard.charts import script_json

    text = script_json({"name": "</script><script>alert(1)</script>", "x": "a\u2028b&"})
    assert "</script" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "x": "a\u2028b&"}


def test_data_page_documents_every_download_column(site: Path) -> None:
    text = (site / "data" / "index.html").read_text(encoding="utf-8")
    documented = set(re.findall(r"<code>([a-z0-9_*]+)</code>", text))
    pillars = ["compute", "data", "talent", "funding", "openness"]
    header = next(csv.reader(io.StringIO((site / "data" / "scores.csv").read_text())))
    for column in header:
        pattern = next(
            (
                f"*_{k}"
                for k in ("score", "rank", "coverage")
                if column.endswith(f"_{k}") and column.split("_")[0] in pillars
            ),
            column,
        )
        assert pattern in documented, column
    for column in export.VALUES_COLUMNS:
        assert column in documented, column


def test_downloads_match_the_pages(site: Path) -> None:
    scores = json.loads((site / "data" / "scores.json").read_text(encoding="utf-8"))
    overview = (site / "index.html").read_text(encoding="utf-8")
    for country in scores["countries"]:
        row = re.search(
            rf'<tr data-region="[^"]*" data-iso3="{country["iso3"]}">(.*?)</tr>', overview, re.S
        )
        assert row, country["iso3"]
        composite = "—" if country["composite"] is None else f"{country['composite']:.1f}"
        assert f">{composite}</td>" in row.group(1)


def test_the_csv_downloads_parse_and_agree_with_the_json_and_the_pages(site: Path) -> None:
    scores = json.loads((site / "data" / "scores.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((site / "data/scores.csv").read_text("utf-8"))))
    assert [r["iso3"] for r in rows] == [c["iso3"] for c in scores["countries"]]
    for row, country in zip(rows, scores["countries"], strict=True):
        assert row["rank"] == ("" if country["rank"] is None else str(country["rank"]))
        composite = country["composite"]
        assert row["composite"] == ("" if composite is None else export.format_number(composite))
        page = (site / "countries" / row["iso3"] / "index.html").read_text(encoding="utf-8")
        if composite is not None:
            assert f"</span> {composite:.1f}</p>" in page, row["iso3"]
    values = list(csv.DictReader(io.StringIO((site / "data/values.csv").read_text("utf-8"))))
    used = {(v["iso3"], v["indicator"]) for v in values if v["used"] == "true"}
    for country in scores["countries"]:
        assert {(country["iso3"], i) for i in country["indicators"]} <= used


def test_sitemap_lists_exactly_the_pages_when_a_base_url_is_set(tmp_path: Path) -> None:
    out = build(tmp_path, config=Config(base_url="https://example.org/scorecard"))
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    urls = re.findall(r"<loc>(.*?)</loc>", sitemap)
    pages = sorted(
        "https://example.org/scorecard/"
        + str(PurePosixPath(p.relative_to(out).as_posix())).removesuffix("index.html")
        for p in out.rglob("*.html")
        if p.name != "404.html"
    )
    assert sorted(urls) == pages
    assert "Sitemap: https://example.org/scorecard/sitemap.xml" in (out / "robots.txt").read_text()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/scorecard/">' in index


def test_no_sitemap_without_a_base_url(site: Path) -> None:
    assert not (site / "sitemap.xml").exists()
    assert "Sitemap" not in (site / "robots.txt").read_text()


def test_edit_links_appear_only_with_a_repository(site: Path, tmp_path: Path) -> None:
    assert "Edit this file" not in (site / "countries" / "KOR" / "index.html").read_text()
    out = build(tmp_path, config=Config(repository="https://github.com/o/r", branch="dev"))
    page = (out / "countries" / "KOR" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/o/r/edit/dev/indicators/countries/KOR.yaml"' in page
    assert 'href="https://github.com/o/r/commits/dev/indicators/countries/KOR.yaml"' in page


HOSTILE = {
    "name": 'Korea <script>alert("name")</script>',
    "note": '"><img src=x onerror=alert(1)> {{ 7*7 }}',
    "narrative": (
        "Hello <script>alert(1)</script> [click](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> <a href="data:text/html,x">d</a> {{ 7*7 }}'
    ),
}


def test_contributor_text_is_escaped_or_sanitised(tmp_path: Path) -> None:
    data = tmp_path / "indicators"
    shutil.copytree(ROOT / "indicators", data)
    path = data / "countries" / "KOR.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("name: South Korea", f"name: {json.dumps(HOSTILE['name'])}")
    text = text.replace(
        "      source: top500-2025-06\n",
        f"      source: top500-2025-06\n      note: {json.dumps(HOSTILE['note'])}\n",
        1,
    )
    text = text[: text.index("narrative:")] if "narrative:" in text else text
    text += f"narrative: {json.dumps(HOSTILE['narrative'])}\n"
    path.write_text(text, encoding="utf-8")
    out = build(tmp_path, data=data)
    for page in html_pages(out):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html, page
        assert "onerror=" not in html.replace("onerror=alert(1)&gt;", ""), page
        assert "javascript:" not in html, page
        assert 'href="data:text' not in html, page
    country = (out / "countries" / "KOR" / "index.html").read_text(encoding="utf-8")
    assert "Korea &lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in country
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}" in country
    assert "Hello" in country and "click" in country
    # Template syntax in data is text, never evaluated: it appears verbatim (note and narrative).
    assert country.count("{{ 7*7 }}") == 2


def test_contribute_page_example_is_what_check_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "indicators"
    (data / "countries").mkdir(parents=True)
    for name in ("framework.yaml", "sources.yaml"):
        shutil.copy(ROOT / "indicators" / name, data / name)
    shutil.copy(
        ROOT / "tests" / "fixtures" / "contribute-example" / "KOR.yaml",
        data / "countries" / "KOR.yaml",
    )
    monkeypatch.chdir(tmp_path)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = cli.main(["check"], project=tmp_path)
    assert status == 1
    expected = (ROOT / "scorecard" / "example-errors.txt").read_text(encoding="utf-8")
    assert stderr.getvalue() == expected, (
        "the Contribute page's example is out of date; regenerate scorecard/example-errors.txt "
        "from tests/fixtures/contribute-example/KOR.yaml"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert expected in readme, "README.md's example of the check's output is out of date"


def test_a_country_page_shows_the_earlier_values_of_an_indicator(tmp_path: Path) -> None:
    data = tmp_path / "indicators"
    shutil.copytree(ROOT / "tests" / "fixtures" / "small", data)
    path = data / "countries" / "FRA.yaml"
    text = path.read_text(encoding="utf-8")
    earlier = "    - value: 500\n      year: 2023\n      source: top500-2024\n"
    assert text.count(earlier) == 1
    older = "    - value: 50\n      year: 2022\n      period: <b>2022</b>\n"
    older += "      source: top500-2024\n"
    path.write_text(text.replace(earlier, earlier + older), encoding="utf-8")
    out = build(tmp_path, data=data)
    html = (out / "countries" / "FRA" / "index.html").read_text(encoding="utf-8")
    row = html[html.index('#supercomputers">Supercomputers</a>') :]
    row = row[: row.index("</tr>")]
    assert ">5,000</span>" in row  # the value used: the latest
    assert "<p>Earlier: 500 (2023) · 50 (&lt;b&gt;2022&lt;/b&gt;)</p>" in row
