"""Every page type in Chromium: loads cleanly, draws its charts, passes axe, behaves."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from scorecard import svg

from .conftest import AXE, REPOSITORY

# page path -> {CSS selector of drawn marks: minimum count}
PAGES = {
    "index.html": {"svg.world-map path[data-iso]": 40},  # Singapore is too small at 1:110m
    "countries/KOR/index.html": {"#radar .radar-series[data-slot] polygon": 3},
    "countries/TWN/index.html": {"#radar .radar-series[data-slot] polygon": 3},
    "pillars/compute/index.html": {"g.trace.bars path": 30, ".scatterlayer .trace .point": 100},
    "compare/index.html": {"#compare-radar .radar-series[data-slot] polygon": 3},
    "weights/index.html": {"path.choroplethlocation": 41},
    "methodology/index.html": {
        "#intervals .scatterlayer .trace .point": 41,
        "#intervals g.errorbar path": 41,
        "#agreement-chart .scatterlayer .trace .point": 200,
    },
    "lens/index.html": {},
    "spotlights/index.html": {},
    "spotlights/KOR/index.html": {
        "#timeline .scatterlayer .trace .point": 16,
        "#peer-radar .radar-series[data-slot] polygon": 2,
        "#targets g.trace.bars path": 4,
    },
    "data/index.html": {},
    "contribute/index.html": {},
    "404.html": {},
}


def scores(site: Path) -> dict:
    return json.loads((site / "data" / "scores.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_and_draws_its_charts(open_page, server, path):
    page, log = open_page(server + path)
    for selector, minimum in PAGES[path].items():
        count = page.locator(selector).count()
        assert count >= minimum, f"{path}: {selector} drew {count} marks, expected {minimum}+"
    log.assert_clean()


@pytest.mark.parametrize("path", [p for p in PAGES if p != "404.html"])
def test_page_has_no_wcag_a_or_aa_violations(open_page, server, path):
    page, log = open_page(server + path, bypass_csp=True)  # axe is injected as a script
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    assert result == []
    log.assert_clean()


def test_every_ranked_country_is_on_the_map_with_its_score(open_page, server, built_site):
    page, log = open_page(server + "index.html")
    drawn = page.eval_on_selector_all(
        "svg.world-map path[data-iso]",
        "paths => paths.map(p => [p.dataset.iso, p.getAttribute('fill'),"
        " p.querySelector('title').textContent, getComputedStyle(p).fill])",
    )
    _, _, shapes = svg.world_shapes()
    ranked = {c["iso3"]: c for c in scores(built_site)["countries"] if c["composite"] is not None}
    assert {iso for iso, *_ in drawn} == ranked.keys() & shapes.keys()
    for iso, fill, title, shown in drawn:
        country = ranked[iso]
        assert fill == svg.colour(country["composite"]), iso
        assert shown != "rgb(232, 232, 232)", iso  # not the grey of countries not covered
        score, rank = f"{country['composite']:.1f}", country["rank"]
        assert title == f"{country['name']}: Composite {score} · Rank {rank}"
    log.assert_clean()


def test_a_click_on_the_map_opens_the_country(open_page, server):
    page, log = open_page(server + "index.html")
    page.wait_for_load_state("networkidle")  # the icon too: leaving would cancel its request
    page.locator('svg.world-map path[data-iso="KOR"]').click()
    page.wait_for_url("**/countries/KOR/index.html")
    assert page.locator("h1").inner_text() == "South Korea"
    log.assert_clean()


def _column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#ranking tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{index}].dataset.value)"
    )


def test_ranking_table_sorts_by_any_column(open_page, server):
    page, log = open_page(server + "index.html")
    header = page.locator("#ranking thead th").nth(4)  # Compute
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    values = [float(v) for v in _column(page, 4) if v]
    assert values == sorted(values, reverse=True)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = [float(v) for v in _column(page, 4) if v]
    assert values == sorted(values)
    page.locator("#ranking thead th").nth(1).locator("button").click()  # Country
    names = _column(page, 1)
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    log.assert_clean()


def test_ranking_table_filters_by_region(open_page, server, built_site):
    page, log = open_page(server + "index.html")
    page.select_option("#ranking-region", "Europe")
    regions = page.eval_on_selector_all(
        "#ranking tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.region)"
    )
    europe = [c for c in scores(built_site)["countries"] if c["region"] == "Europe"]
    assert regions == ["Europe"] * len(europe)
    assert page.text_content("[data-filter-count='ranking']") == f"{len(europe)} / 41"
    page.select_option("#ranking-region", "")
    assert page.locator("#ranking tbody tr:not([hidden])").count() == 41
    log.assert_clean()


def test_table_is_readable_without_javascript(browser, server, built_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "index.html")
    first = page.locator("#ranking tbody tr").first
    leader = scores(built_site)["countries"][0]
    assert first.locator("th").inner_text() == leader["name"]
    assert first.locator("td").nth(0).inner_text() == "1"
    context.close()


def test_compare_permalink_round_trip(open_page, server):
    page, log = open_page(server + "compare/index.html?c=KOR,JPN,FRA")
    slots = page.eval_on_selector_all("[data-compare-slot]", "s => s.map(x => x.value)")
    assert slots == ["KOR", "JPN", "FRA", "", ""]
    page.select_option("select[name=c3]", "DEU")
    page.wait_for_function("() => location.search.includes('DEU')")
    assert parse_qs(urlsplit(page.url).query)["c"] == ["KOR,JPN,FRA,DEU"]
    headers = page.eval_on_selector_all(
        "#compare-table thead th a", "a => a.map(x => x.textContent)"
    )
    assert headers == ["South Korea", "Japan", "France", "Germany"]
    aligned = page.eval_on_selector_all(  # over their numbers, as the page first drawn
        "#compare-table thead th", "t => t.map(x => getComputedStyle(x).textAlign)"
    )
    assert aligned == ["left", "right", "right", "right", "right"]
    assert _radar_shown(page) == [("0", "KOR"), ("1", "JPN"), ("2", "FRA"), ("3", "DEU")]
    again, log2 = open_page(page.url)
    headers = again.eval_on_selector_all(
        "#compare-table thead th a", "a => a.map(x => x.textContent)"
    )
    assert headers == ["South Korea", "Japan", "France", "Germany"]
    assert _radar_shown(again) == [("0", "KOR"), ("1", "JPN"), ("2", "FRA"), ("3", "DEU")]
    legend = again.eval_on_selector_all(
        "#compare-radar + .chart-legend li",
        "items => items.filter(li => getComputedStyle(li).display !== 'none')"
        ".sort((a, b) => getComputedStyle(a).order - getComputedStyle(b).order)"
        ".map(li => li.textContent)",
    )
    assert legend == ["South Korea", "Japan", "France", "Germany"]
    log.assert_clean()
    log2.assert_clean()


def _radar_shown(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(slot, ISO code) of the series the compare radar shows; the others must be hidden."""
    series = page.eval_on_selector_all(
        "#compare-radar .radar-series",
        "gs => gs.map(g => [g.dataset.slot || '', g.dataset.key, getComputedStyle(g).display])",
    )
    assert all((display == "none") == (slot == "") for slot, _, display in series)
    return sorted((slot, key) for slot, key, _ in series if slot)


def test_compare_ignores_unknown_codes_in_the_url(open_page, server):
    page, log = open_page(server + "compare/index.html?c=KOR,XXX,<script>,usa")
    slots = page.eval_on_selector_all("[data-compare-slot]", "s => s.map(x => x.value)")
    assert slots == ["KOR", "USA", "", "", ""]
    log.assert_clean()


def _browser_scores(page) -> dict[str, tuple[float | None, int | None]]:
    rows = page.eval_on_selector_all(
        "#ranking tbody tr",
        """rows => rows.map(r => [
        r.dataset.iso3, r.dataset.composite, r.cells[0].dataset.value])""",
    )
    return {iso: (float(c) if c else None, int(r) if r else None) for iso, c, r in rows}


def test_weights_at_defaults_equal_scores_json(open_page, server, built_site):
    page, log = open_page(server + "weights/index.html")
    computed = _browser_scores(page)
    for country in scores(built_site)["countries"]:
        composite, rank = computed[country["iso3"]]
        assert rank == country["rank"], country["iso3"]
        if country["composite"] is None:
            assert composite is None
        else:
            assert composite == pytest.approx(country["composite"], abs=1e-6), country["iso3"]
    assert urlsplit(page.url).query == ""
    log.assert_clean()


def test_weights_slider_changes_the_ranking_and_the_url(open_page, server, built_site):
    page, log = open_page(server + "weights/index.html")
    data = scores(built_site)
    for pillar in data["pillars"]:
        value = "1" if pillar["id"] == "openness" else "0"
        page.eval_on_selector(
            f"#w-{pillar['id']}",
            f"(el) => {{ el.value = '{value}'; el.dispatchEvent(new Event('input')); }}",
        )
    computed = _browser_scores(page)
    for country in data["countries"]:
        openness = country["pillars"]["openness"]
        assert computed[country["iso3"]][1] == openness["rank"], country["iso3"]
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"w": ["0,0,0,0,1"], "agg": ["arithmetic"]}
    page.wait_for_function("() => document.getElementById('map').data[0].z.length > 0")
    top = min(data["countries"], key=lambda c: c["pillars"]["openness"]["rank"] or 99)
    z = page.evaluate(
        "() => { const d = document.getElementById('map').data[0];"
        f" return d.z[d.locations.indexOf('{top['iso3']}')]; }}"
    )
    assert z == pytest.approx(top["pillars"]["openness"]["score"], abs=0.01)
    log.assert_clean()


def test_weights_from_the_url_are_applied(open_page, server, built_site):
    page, log = open_page(server + "weights/index.html?w=1,0,0,0,0&agg=geometric")
    assert page.input_value("#w-compute") == "1"
    assert page.input_value("#w-data") == "0"
    assert page.is_checked("input[value=geometric]")
    computed = _browser_scores(page)
    for country in scores(built_site)["countries"]:
        compute = country["pillars"]["compute"]
        if country["composite"] is not None:
            # One pillar at full weight: the geometric mean is that pillar, floored at 1.
            expected = max(compute["score"], 1.0)
            assert computed[country["iso3"]][0] == pytest.approx(expected, abs=1e-6)
    log.assert_clean()


def test_country_page_links_every_value_to_its_source(open_page, server, built_site):
    page, log = open_page(server + "countries/KOR/index.html")
    rows = page.locator("table.indicators tbody tr:not(.missing)")
    assert rows.count() == sum(
        1 for v in scores(built_site)["countries"] if v["iso3"] == "KOR" for _ in v["indicators"]
    )
    for i in range(rows.count()):
        href = rows.nth(i).locator("td.source a").first.get_attribute("href")
        assert href.startswith(("https://", "http://"))
    edit = page.get_by_role("link", name="Edit this file")
    assert edit.get_attribute("href") == f"{REPOSITORY}/edit/main/indicators/countries/KOR.yaml"
    log.assert_clean()


def test_missing_values_are_shown_as_missing_not_zero(open_page, server):
    page, log = open_page(server + "countries/ISR/index.html")
    row = page.locator("#indicators-data tbody tr", has_text="Data protection legislation")
    assert "missing" in row.inner_text()
    assert "UNCTAD" in row.inner_text()  # the recorded reason
    assert row.locator("td.num").count() == 0
    log.assert_clean()


def test_overview_works_from_disk(open_page, built_site):
    page, log = open_page((built_site / "index.html").as_uri())
    assert page.locator("svg.world-map path[data-iso]").count() >= 40
    page.locator("#ranking tbody tr").first.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/countries/USA/index.html")
    log.assert_clean()
    page, log = open_page((built_site / "index.html").as_uri())
    page.wait_for_load_state("networkidle")  # the icon too: leaving would cancel its request
    page.locator('svg.world-map path[data-iso="DEU"]').click()  # at its middle: in Germany
    page.wait_for_url("**/countries/DEU/index.html")
    log.assert_clean()


BESIDE_A_CHART = [  # pages with a table beside a chart (.two-col) from 1,152 px
    "countries/KOR/index.html",
    "countries/USA/index.html",
    "spotlights/KOR/index.html",
    *(
        f"pillars/{pillar}/index.html"
        for pillar in ("compute", "data", "talent", "funding", "openness")
    ),
]
DESKTOP_PAGES = {  # width -> pages; from 1,152 px every page is as wide as at 1,280
    1024: [
        "index.html",
        "compare/index.html",
        "weights/index.html",
        "lens/index.html",
        "methodology/index.html",
        "data/index.html",
        *BESIDE_A_CHART,
    ],
    1280: BESIDE_A_CHART,
}


@pytest.mark.parametrize("width", list(DESKTOP_PAGES))
def test_no_table_is_cut_on_a_desktop(open_page, server, width):
    """Every table shows all its columns without scrolling sideways at desktop widths
    (phones scroll them: test_layout_fits_a_phone). Before: a country's pillar table
    lost its last column at every desktop width beside its chart, and the overview's
    tables at 1,024 px."""
    cut = {}
    for path in DESKTOP_PAGES[width]:  # a page each: leaving one would cancel what it loads
        page, log = open_page(server + path, viewport={"width": width, "height": 900})
        tables = page.evaluate(
            """() => [...document.querySelectorAll('.table-scroll')]
                .map(e => [e.querySelector('table').id, e.scrollWidth - e.clientWidth])"""
        )
        assert tables, path
        cut.update({f"{path}#{table}": hidden for table, hidden in tables if hidden > 0})
        log.assert_clean()
    assert cut == {}


def test_layout_fits_a_phone(open_page, server):
    page, log = open_page(
        server + "countries/KOR/index.html", viewport={"width": 390, "height": 844}
    )
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    log.assert_clean()
