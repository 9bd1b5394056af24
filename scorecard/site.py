"""Render the static site: pages, charts, downloads and assets, all in memory.

Every page links relatively (``../../index.html``), so the site works at a domain root,
under a sub-path and opened from disk. Contributor text is escaped by Jinja's
autoescaping; markdown goes through an allow-list sanitiser (nh3); URLs were checked to
be http(s) during validation. Output is byte-identical for identical inputs.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Callable, Collection, Iterator
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import jinja2.ext
import jinja2.lexer
import jinja2.nodes
import markdown
import nh3
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markupsafe import Markup, escape

from . import charts, export, pagecache, parallel, svg
from .cache import code_version, default_store, digest
from .compute import GEOMETRIC_FLOOR, TIE_DECIMALS
from .config import Config
from .i18n import catalogue_path, translations
from .model import Indicator, Observation, Source, Spotlight
from .pipeline import Paths, Results
from .views import (
    Agreement,
    AgreementRow,
    CountrySite,
    CountryView,
    OtherIndexRank,
    SiteView,
    indicator_rows,
    site_view,
)
from .write import STAGED, Content, Output, Writer, static_files

COMPARE_DEFAULT = ("KOR", "JPN", "FRA")

# What `python build.py check` prints for three typical mistakes; tests/test_site.py
# regenerates it from tests/fixtures/contribute-example so that it cannot drift.
EXAMPLE_ERRORS = (Path(__file__).parent / "example-errors.txt").read_text(encoding="utf-8")
DOWNLOADS = ("data/scores.json", "data/scores.csv", "data/values.csv")

_MARKDOWN_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "dl",
    "dt",
    "dd",
}
_MARKDOWN_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "th": {"scope"},
    "td": set(),
}


def render_site(
    results: Results,
    paths: Paths,
    config: Config,
    pages: pagecache.PageCache | None = None,
    *,
    first: Collection[str] = (),
    ahead: Callable[[dict[str, bytes]], None] | None = None,
    writer: Writer | None = None,
) -> Output:
    """Every file of the site (relative path -> bytes, or a file to copy) and, with
    `pages`, their keys; the pages whose inputs did not change are the previous build's
    files (pagecache.PageCache.kept). With `writer`, the pages with a key are put into the
    new site as they are made (write.STAGED). `first`, `ahead`: see _Renderer.render."""
    renderer = _Renderer(results, paths, config, config.language, pages, writer)
    return renderer.render(first, ahead)


class _Renderer:
    def __init__(
        self,
        results: Results,
        paths: Paths,
        config: Config,
        language: str,
        pages: pagecache.PageCache | None = None,
        writer: Writer | None = None,
    ):
        self.results = results
        self.writer = writer
        self.paths = paths
        self.config = config
        locales = paths.project_root / "locales"
        self.gettext = translations(locales, language)
        self.env = _environment(
            paths.templates, self.gettext, language, catalogue_path(locales, language)
        )
        self.files: dict[str, Content] = {}
        self.pages: list[str] = []
        self._source_cells: dict[Source, Markup] = {}
        self.pages_cache = pages
        self._country_keys: dict[str, str] = {}  # country page -> its key in the page cache
        self._ahead: dict[str, bytes] = {}  # pages other than country pages, made ahead

    @cached_property
    def view(self) -> SiteView:
        return site_view(self.results)

    def render(
        self, first: Collection[str] = (), ahead: Callable[[dict[str, bytes]], None] | None = None
    ) -> Output:
        """Every file, with the page cache's keys. Pages whose inputs did not change since
        the previous build are its files, left where they are (scorecard.pagecache). On two
        processors a forked child makes the downloads (and writes the result cache's new
        entry) while this process makes the other pages, then both make country pages
        until none are left (scorecard.parallel.fork_sharing).

        `first` (site paths) with `ahead`: those pages are made before any other and given
        to `ahead` as soon as they are (`serve` writes the open and edited pages at once);
        the files returned are the same either way.
        """
        self.files.update(static_files(self.paths.static))
        made: dict[str, tuple[str, str, Content | None]] = {}  # country pages made ahead
        if first and ahead is not None:
            made.update(self._make_ahead(first, ahead))
        self._compile_while_computing()
        _ = self.results.computed  # before the fork: the child must not compute them again
        save_results = self.results.take_unsaved()

        def there() -> dict[str, Content]:
            save_results()  # the result cache's new entry, off the build's critical path
            made = self._downloads().items()
            return {path: self._staged(path, data, self._site_keyed) for path, data in made}

        def here() -> None:
            # Compiled first: the child, busy with the downloads meanwhile, then finds it
            # in the compiled templates' cache (scorecard.cache) instead of compiling it.
            self.env.get_template("country.html")
            self._pages()

        def country_page(iso3: str) -> tuple[str, str, Content | None]:
            path, key, html = self._country_page(self.view.country(iso3))
            return path, key, html if html is None else self._staged(path, html, bool(key))

        # The view and the country pages' common key are made after the fork, by each
        # process as it needs them: at 1,000 countries the view takes ~0.2 s, which the
        # child's downloads hide. Pages the previous build wrote unchanged come back as
        # None: they stay where they are. Each process puts the files it makes with a key
        # into the new site itself (with a writer): only their paths come back from the
        # child, not their bytes.
        downloads, pages = parallel.fork_sharing(
            [c.iso3 for c in self.results.dataset.countries if country_path(c.iso3) not in made],
            country_page,
            there,
            here,
        )
        made.update((page[0], page) for page in pages)
        for country in self.view.countries:
            self._keep_country(*made[country_path(country.iso3)])
        self.files.update(downloads)
        self._meta_files()
        keys = dict(self._country_keys)
        site_key = self.pages_cache.site_file_key if self.pages_cache is not None else ""
        if site_key:  # every other file made here is the same for the same site key
            keys.update(
                (path, site_key)
                for path, content in self.files.items()
                if not isinstance(content, Path) and path not in keys
            )
        return Output(self.files, keys)

    def _staged(self, path: str, content: bytes, keyed: bool) -> Content:
        """STAGED once `content` is put into the new site, if there is a writer and the
        file has a key to stand for its bytes (`keyed`: a country page's own, or the site
        key for the others); else `content`, for the writer to write with the rest."""
        if self.writer is None or not keyed:
            return content
        self.writer.put(path, content)
        return STAGED

    @cached_property
    def _site_keyed(self) -> bool:
        """Whether the files other than country pages have a key (the site key)."""
        return self.pages_cache is not None and bool(self.pages_cache.site_file_key)

    def _compile_while_computing(self) -> None:
        """Compile templates while the Monte Carlo runs are still being made in a child
        (pipeline.Computing), the country template first, until they are done: this
        process would wait for them, and compiles the templates afterwards otherwise.

        The child compiles them too, from the last, once its runs are done (Results.spare):
        at 1,000 countries it would otherwise wait ~0.2 s for this process to score the
        editions. Each process finds what the other compiled in the compiled templates'
        cache; without that cache there is nothing the child could hand over."""
        names = list(dict.fromkeys(["country.html", *self.env.list_templates(["html"])]))

        def from_the_last() -> None:
            for name in reversed(names):
                self.env.get_template(name)

        if self.env.bytecode_cache is not None:
            self.results.spare = from_the_last
        for name in names:
            if self.results.intervals_ready():
                return
            self.env.get_template(name)

    def _make_ahead(
        self, first: Collection[str], ahead: Callable[[dict[str, bytes]], None]
    ) -> dict[str, tuple[str, str, bytes | None]]:
        """Make the pages of `first` that exist (the others are ignored), give them to
        `ahead`; returns the country pages made (as _country_page does)."""
        made: dict[str, tuple[str, str, bytes | None]] = {}
        countries = {country_path(c.iso3): c for c in self.view.countries}
        others = self._site_pages()
        for path in sorted(first):
            if path in countries:  # made even if unchanged: listing the site would take longer
                made[path] = self._country_page(countries[path], reuse=False)
            elif path in others:
                self._ahead[path] = others[path]()
        given = dict(self._ahead)
        given.update((path, html) for path, _, html in made.values() if html is not None)
        if given:
            ahead(given)
        return made

    @cached_property
    def _country_globals_key(self) -> str:
        """What every country page's key holds besides the page's own values."""
        dataset = self.results.dataset
        assert self.pages_cache is not None  # keys are made only with a cache
        return digest(
            self.pages_cache.environment,
            dataset.context,
            self._value_keys.of(self._country_site),
        )

    @cached_property
    def _value_keys(self) -> pagecache.ValueKeys:
        return pagecache.ValueKeys(self.results.dataset.country_keys)

    @cached_property
    def _country_site(self) -> CountrySite:
        return self.view.for_country_pages()

    def _keep_country(self, path: str, key: str, html: Content | None) -> None:
        """Keep a country page; None: the page the previous build wrote, unchanged."""
        if html is None:
            assert self.pages_cache is not None  # None comes only from the page cache
            self._keep(path, self.pages_cache.kept(path))
        else:
            self._keep(path, html)
        if key:
            self._country_keys[path] = key

    def _pages(self) -> None:
        """Every page but the country pages (those made ahead come from `self._ahead`)."""
        for path, make in self._site_pages().items():
            html = self._ahead.pop(path, None)
            page = self._staged(path, make() if html is None else html, self._site_keyed)
            self._keep(path, page, listed=path != "404.html")

    def _site_pages(self) -> dict[str, Callable[[], bytes]]:
        """Every page but the country pages, in the order they are made: path -> maker."""
        pages: dict[str, Callable[[], bytes]] = {}

        def add(
            path: str, template: str, page: str, context: Callable[[], dict[str, Any]] = dict
        ) -> None:
            pages[path] = lambda: self._html(path, template, page, **context())

        add("index.html", "overview.html", "overview", self._world_map)
        add("lens/index.html", "lens.html", "lens")
        spotlights = list(self._spotlights.values())
        for spotlight in spotlights:
            pages[spotlight_path(spotlight.iso3)] = lambda s=spotlight: self._spotlight(s)  # type: ignore[misc]
        if spotlights:
            add(
                "spotlights/index.html",
                "spotlights.html",
                "spotlight",
                lambda: {"spotlights": spotlights},
            )
        for pillar in self.view.pillars:
            add(
                f"pillars/{pillar.id}/index.html",
                "pillar.html",
                "pillar",
                lambda p=pillar: {  # type: ignore[misc]
                    "pillar": p,
                    "bars": self._pillar_bars(p.id),
                    "distribution": self._distribution(p.id),
                },
            )
        add("compare/index.html", "compare.html", "compare", self._compare_context)
        add("weights/index.html", "weights.html", "weights", self._weights_context)
        add(
            "methodology/index.html",
            "methodology.html",
            "methodology",
            lambda: {
                "body": _md(self.results.dataset.methodology, headings_from=1),
                "intervals": self._interval_figure(),
                "shares": self._shares(),
                "agreement_figure": self._agreement_figure(),
            },
        )
        add(
            "data/index.html",
            "data.html",
            "data",
            lambda: {"column_docs": export.column_docs(self.gettext.gettext)},
        )
        add(
            "contribute/index.html",
            "contribute.html",
            "contribute",
            lambda: {"example_errors": EXAMPLE_ERRORS},
        )
        add("404.html", "404.html", "404")
        return pages

    def _compare_context(self) -> dict[str, Any]:
        default = self._compare_default()
        return {
            "data_json": self._scores_data,
            "compare_default": default,
            **self._compare_radar(default),
        }

    def _weights_context(self) -> dict[str, Any]:
        weights = [p.weight for p in self.view.pillars]
        return {
            "map_figure": self._map_figure(),
            "data_json": self._scores_data,
            "max_weight": max(weights),
            "weight_step": _step(weights),
        }

    # -- pages ----------------------------------------------------------------------------

    @cached_property
    def _spotlights(self) -> dict[str, Spotlight]:
        return {s.iso3: s for s in self.results.dataset.spotlights}

    def _country_page(
        self, country: CountryView, reuse: bool = True
    ) -> tuple[str, str, bytes | None]:
        """(path, key, HTML); HTML None when the previous build's page under the same key is
        reused (the previous build wrote it, and it is still as it was written), unless not
        to `reuse` it."""
        path = country_path(country.iso3)
        series = self._radar_series(country)
        # The page's key covers the view `c` and the framework (the context key, its
        # globals' part): its indicator rows, made from those two alone, are not keyed
        # again (half the key's cost), and are made only when the page is rendered.
        context = {
            "c": country,
            "peers": self.view.peer_groups(country.iso3),
            "trend": self.view.trend(country.iso3),
            "others": self._other_indices(country),
            "spotlight": self._spotlights.get(country.iso3),
        }
        key = ""
        if self.pages_cache is not None and self.results.dataset.context:
            try:
                own = self._value_keys.of((path, series, context))
            except KeyError:  # a country file without a validation key: no key
                pass
            else:
                key = digest(self._country_globals_key, own)
                if reuse and self.pages_cache.has(path, key):
                    return path, key, None
        html = self._html(
            path,
            "country.html",
            page="country",
            site=self._country_site,
            **self._radar_chart("radar", series),
            narrative=_md(country.country.narrative),
            source_cell=self._source_cell,
            rows=indicator_rows(self.results.dataset.framework, country),
            **context,
        )
        return path, key, html

    def _source_cell(self, source: Source) -> Markup:
        """A value's citation on a country page, rendered once per source: thousands of values
        share a few dozen sources."""
        cell = self._source_cells.get(source)
        if cell is None:
            macros = self.env.get_template("macros.html").module
            cell = self._source_cells[source] = macros.source_cell(source)  # type: ignore[attr-defined]
        return cell

    def _keep(self, path: str, html: Content, listed: bool = True) -> None:
        self.files[path] = html
        if listed:
            self.pages.append(path)

    def _html(self, path: str, template: str, page: str, **context: Any) -> bytes:
        root = _root_for(path)
        context.setdefault("site", self.view)  # a country page's is smaller: CountrySite
        html = self.env.get_template(template).render(
            root=root,
            path=path,
            page=page,
            config=self.config,
            framework=self.results.dataset.framework,
            downloads=DOWNLOADS,
            url=lambda target: _relative(root, target),
            canonical=self._canonical(path),
            edit_url=self._repo_url("edit"),
            history_url=self._repo_url("commits"),
            blob_url=self._repo_url("blob"),
            **context,
        )
        return html.encode("utf-8")

    def _canonical(self, path: str) -> str:
        if not self.config.base_url:
            return ""
        pretty = path.removesuffix("index.html")
        return self.config.base_url.rstrip("/") + "/" + pretty

    def _repo_url(self, kind: str) -> Callable[[str], str] | None:
        """Links into the repository (GitHub's layout): edit, commits or blob of a file."""
        if not self.config.repository:
            return None
        base = self.config.repository.rstrip("/")
        return lambda file: f"{base}/{kind}/{self.config.branch}/{file}"

    def _spotlight(self, spotlight: Spotlight) -> bytes:
        _ = self.gettext.gettext
        country = self.view.country(spotlight.iso3)
        tracks = dict(spotlight.tracks)
        events = [(e.date, tracks[e.track], e.title, e.source.title) for e in spotlight.events]
        groups = self.view.peer_groups(spotlight.iso3)
        group = next((p for p in groups if p.id == spotlight.peer_group), None)
        group = group or (groups[0] if groups else None)
        radar: dict[str, Any] = {}
        if group is not None:
            medians = [r.median for r in group.rows[1:]]
            radar = self._radar_chart(
                "peer-radar",
                [
                    svg.Series(
                        country.country.name,
                        [country.score.pillars[p.id].score for p in self.view.pillars],
                    ),
                    svg.Series(_("Median of %(group)s") % {"group": group.name}, medians),
                ],
            )
        # Goalposts: every target in a unit that something was measured in, then the measures.
        units = sorted(
            {t.unit for t in spotlight.targets if any(m.target == t.id for m in spotlight.measures)}
        )
        rows: list[tuple[str, float, str]] = []
        for unit in units:
            targets = [t for t in spotlight.targets if t.unit == unit]
            rows += [
                (
                    _("Target for %(year)s: %(name)s") % {"year": t.year, "name": t.name},
                    t.value,
                    "target",
                )
                for t in targets
            ]
            rows += [
                (f"{m.name} ({m.date})", m.value, "measure")
                for m in spotlight.measures
                if m.target in {t.id for t in targets}
            ]
        return self._html(
            spotlight_path(spotlight.iso3),
            "spotlight.html",
            page="spotlight",
            s=spotlight,
            c=country,
            story=_md(spotlight.story, headings_from=1),
            group=group,
            timeline=charts.to_json(
                charts.timeline([name for _, name in spotlight.tracks], events)
            ),
            **radar,
            targets=charts.to_json(charts.targets(rows, ", ".join(units))) if rows else None,
        )

    def _other_indices(self, country: CountryView) -> list[OtherIndexRank]:
        """The country in each other index that covers it."""
        found = []
        for agreement, rows in self._agreement_rows:
            row = rows.get(country.iso3)
            if row is not None:
                found.append(
                    OtherIndexRank(
                        agreement.index.name, row.value, row.theirs, row.ours, len(agreement.rows)
                    )
                )
        return found

    @cached_property
    def _agreement_rows(self) -> list[tuple[Agreement, dict[str, AgreementRow]]]:
        return [(a, {r.country.iso3: r for r in a.rows}) for a in self.view.agreements]

    def _agreement_figure(self) -> str:
        _ = self.gettext.gettext
        series = [
            (a.index.name, [(r.country.country.name, r.theirs, r.ours) for r in a.rows])
            for a in self.view.agreements
            if a.rows
        ]
        return charts.to_json(charts.rank_agreement(series, _("Our rank"), _("Their rank")))

    def _compare_default(self) -> list[str]:
        """Five slots: the example of the design (Korea, Japan, France) where present."""
        known = {c.iso3 for c in self.view.countries}
        chosen = [iso for iso in COMPARE_DEFAULT if iso in known]
        if len(chosen) < 2:
            chosen = [c.iso3 for c in self.view.countries[:3]]
        return (chosen + [""] * 5)[:5]

    def _shares(self) -> dict[str, float]:
        """Each pillar's and indicator's share of the composite at full coverage."""
        pillars = self.view.pillars
        total = sum(p.weight for p in pillars)
        shares: dict[str, float] = {}
        for p in pillars:
            shares[p.id] = p.weight / total
            inner = sum(i.weight for i in p.indicators)
            for i in p.indicators:
                shares[i.id] = shares[p.id] * i.weight / inner
        return shares

    # -- charts ---------------------------------------------------------------------------

    def _map_figure(self) -> str:
        ranked = [c for c in self.view.countries if c.score.composite is not None]
        _ = self.gettext.gettext
        return charts.to_json(
            charts.world_map(
                [c.iso3 for c in ranked],
                [c.score.composite for c in ranked],  # type: ignore[misc]
                [c.country.name for c in ranked],
                [c.score.rank for c in ranked],
                _("Composite"),
                _("Rank"),
            )
        )

    def _world_map(self) -> dict[str, Any]:
        """The overview's map, drawn here; a click on a country opens its page."""
        _ = self.gettext.gettext
        areas = [
            svg.MapArea(
                c.iso3,
                c.country.name,
                c.score.composite,
                _("Composite %(score)s · Rank %(rank)s")
                % {"score": fmt_score(c.score.composite), "rank": c.score.rank},
                _relative("", f"countries/{c.iso3}/"),  # the overview is at the root
            )
            for c in self.view.countries
            if c.score.composite is not None
        ]
        return {
            "world_map": svg.world_map(areas, "map-title"),
            "map_legend": svg.map_legend(_("Composite"), _("Not covered")),
        }

    def _radar_chart(
        self, chart_id: str, series: list[svg.Series], slots: list[int | None] | None = None
    ) -> dict[str, Any]:
        axes = [p.name for p in self.view.pillars]
        return {
            "radar": svg.radar(axes, series, f"{chart_id}-title", fmt_score, slots),
            "radar_legend": svg.legend(series, slots),
        }

    def _radar_series(self, country: CountryView) -> list[svg.Series]:
        """A country page's radar: the country, the median country and the leader."""
        _ = self.gettext.gettext
        pillars = self.view.pillars
        own = [country.score.pillars[p.id].score for p in pillars]
        series = [svg.Series(country.country.name, own)]
        if self.view.medians:
            medians = [self.view.medians[p.id] for p in pillars]
            series.append(svg.Series(_("Median country"), medians))
        leader = self.view.leader
        if leader is not None and leader.iso3 != country.iso3:
            series.append(
                svg.Series(
                    _("Leader: %(name)s") % {"name": leader.country.name},
                    [leader.score.pillars[p.id].score for p in pillars],
                )
            )
        return series

    def _compare_radar(self, chosen: list[str]) -> dict[str, Any]:
        """Every country is drawn; scorecard.js shows the chosen ones by giving them a slot."""
        pillars = self.view.pillars
        countries = sorted(self.view.countries, key=lambda c: c.country.name)
        series = [
            svg.Series(c.country.name, [c.score.pillars[p.id].score for p in pillars], key=c.iso3)
            for c in countries
        ]
        slot = {iso: i for i, iso in enumerate(chosen) if iso}
        return self._radar_chart("compare-radar", series, [slot.get(c.iso3) for c in countries])

    def _pillar_bars(self, pillar_id: str) -> str:
        rows = sorted(
            (c for c in self.view.countries if c.score.pillars[pillar_id].score is not None),
            key=lambda c: (c.score.pillars[pillar_id].rank, c.iso3),
        )
        return charts.to_json(
            charts.ranking_bars(
                [c.country.name for c in rows],
                [c.score.pillars[pillar_id].score for c in rows],  # type: ignore[misc]
                None,
                self.gettext.gettext("Score (0–100)"),
            )
        )

    def _distribution(self, pillar_id: str) -> str:
        pillar = next(p for p in self.view.pillars if p.id == pillar_id)
        points = []
        for indicator in pillar.indicators:
            row = []
            for c in sorted(self.view.countries, key=lambda v: v.iso3):
                result = c.score.indicators.get(indicator.id)
                if result is not None and result.score is not None:
                    row.append(
                        (c.country.name, result.score, display_value(result.observation, indicator))
                    )
            points.append(row)
        return charts.to_json(
            charts.distributions(
                [i.name for i in pillar.indicators], points, self.gettext.gettext("Score (0–100)")
            )
        )

    def _interval_figure(self) -> str:
        rows = sorted(
            ((c, c.interval) for c in self.view.countries if c.interval is not None),
            key=lambda pair: (pair[1].median, pair[0].score.rank, pair[0].iso3),
        )
        return charts.to_json(
            charts.rank_intervals(
                [c.country.name for c, _ in rows],
                [interval.median for _, interval in rows],
                [interval.low for _, interval in rows],
                [interval.high for _, interval in rows],
                self.gettext.gettext("Rank"),
            )
        )

    @cached_property
    def _scores_data(self) -> str:
        """The scores the browser needs to re-weight, compare and re-draw, as JSON."""
        view = self.view
        framework = self.results.dataset.framework
        return charts.script_json(
            {
                "aggregation": framework.aggregation,
                "geometric_floor": GEOMETRIC_FLOOR,
                "tie_decimals": TIE_DECIMALS,
                "pillars": [{"id": p.id, "name": p.name, "weight": p.weight} for p in view.pillars],
                "indicators": [
                    {"id": i.id, "name": i.name, "pillar": i.pillar, "unit": i.unit}
                    for i in framework.indicators
                ],
                "countries": [
                    {
                        "iso3": c.iso3,
                        "name": c.country.name,
                        "region": c.country.region,
                        "rank": c.score.rank,
                        "composite": c.score.composite,
                        "pillars": [c.score.pillars[p.id].score for p in view.pillars],
                        "indicators": [_indicator_cell(c, i) for i in framework.indicators],
                    }
                    for c in sorted(view.countries, key=lambda v: v.iso3)
                ],
            }
        )

    # -- files ----------------------------------------------------------------------------

    def _downloads(self) -> dict[str, bytes]:
        data, scores, intervals = (
            self.results.dataset,
            self.results.scores,
            self.results.intervals,
        )
        return {
            "data/scores.json": export.scores_json(
                export.scores_document(data, scores, intervals, self.results.pillar_intervals)
            ),
            "data/scores.csv": export.scores_csv(data, scores, intervals),
            "data/values.csv": export.values_csv(data, scores),
        }

    def _meta_files(self) -> None:
        base = self.config.base_url.rstrip("/")
        robots = "User-agent: *\nAllow: /\n"
        if base:
            robots += f"Sitemap: {base}/sitemap.xml\n"
            self.files["sitemap.xml"] = (
                self.env.get_template("sitemap.xml")
                .render(urls=[f"{base}/{p.removesuffix('index.html')}" for p in sorted(self.pages)])
                .encode("utf-8")
            )
        self.files["robots.txt"] = robots.encode("utf-8")


# -- helpers ----------------------------------------------------------------------------------


def _environment(
    templates: Path, gettext: Any, language: str, catalogue: Path
) -> jinja2.Environment:
    """A build's one Jinja environment, in `language` (`catalogue`: its .po file, absent for
    English, which _bytecode_cache keys its compiled templates by)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_CompiledTranslations],
        bytecode_cache=_bytecode_cache(catalogue),
        auto_reload=False,  # one Environment per build: no need to stat templates per page
    )
    _install_gettext(env, gettext)
    env.filters.update(
        score=fmt_score,
        number=fmt_number,
        percent=fmt_percent,
        percent_precise=fmt_percent_precise,
        value=display_value,
        earlier=fmt_earlier,
        years=fmt_years,
        pillar_order=pillar_order,
        layer_order=layer_order,
    )
    env.globals.update(language=language, figure_json=charts.to_json)
    return env


def _bytecode_cache(catalogue: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates, kept with the validation cache (compiling them takes ~0.13 s).

    Jinja checks each template's source; the file names also carry the code version, which
    covers the Environment's options above and the Jinja version, and the catalogue, whose
    translations of fixed text are part of the compiled code (_CompiledTranslations).
    """
    store = default_store("templates")
    if store is None:
        return None
    try:
        store.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds code: private
    except OSError:
        return None
    store.prune()
    translated = catalogue.read_bytes() if catalogue.is_file() else b""
    version = digest(code_version(), jinja2.__version__, catalogue.as_posix(), translated)[:16]
    return _BytecodeCache(str(store.folder), f"{version}-%s.cache")


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, where a full or read-only disk only means
    compiling them again next time, as with every other cache (scorecard.cache.Store):
    Jinja's own raised the error, and the build stopped."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


class _CompiledTranslations(jinja2.ext.InternationalizationExtension):
    """Jinja's i18n extension, whose messages are translated when a template is compiled:
    `{{ _('Rank') }}`, and `{% trans %}` blocks, become the translated text in the compiled
    template (Jinja then writes it with the text around it, and a block's variables where
    the translation puts them), instead of a call on every render (~270 a country page,
    a third of its time).

    The same output as the calls would give: what the new-style gettext of _install_gettext
    returns (Markup when autoescaping, %-formatted). A block's text is marked safe only
    where Jinja autoescapes, as gettext does, and its variables are escaped as Jinja
    escapes any value; a `_()` call is kept where that is not certain (in an
    `{% autoescape %}` block, or a template not autoescaped). `_()` calls with variables,
    plural and context forms, and messages whose formatting could fail or evaluates a
    variable other than once, are left to the render. `_` and `gettext` are taken to be
    the translation functions, as the message extractor (babel.cfg) takes them. Without
    translations given to _install_gettext, nothing is translated early.
    """

    def filter_stream(self, stream: jinja2.lexer.TokenStream) -> Iterator[jinja2.lexer.Token]:
        tokens = list(stream)
        escaping = self.environment.autoescape
        if callable(escaping):
            escaping = escaping(stream.name)
        blocks = 0  # depth of {% autoescape %} blocks, where the escaping may differ
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "name" and index and tokens[index - 1].type == "block_begin":
                blocks += {"autoescape": 1, "endautoescape": -1}.get(token.value, 0)
            text = None
            if escaping and not blocks and _fixed_message_call(tokens, index):
                text = self._translated(tokens[index + 2].value)
            if text is None:
                yield token
                index += 1
                continue
            # _('...') -> ('translation'|safe): a constant Jinja folds into the page's text
            line = token.lineno
            yield jinja2.lexer.Token(line, "lparen", "(")
            yield jinja2.lexer.Token(line, "string", text)
            yield jinja2.lexer.Token(line, "pipe", "|")
            yield jinja2.lexer.Token(line, "name", "safe")
            yield jinja2.lexer.Token(line, "rparen", ")")
            index += 4

    def _make_node(  # type: ignore[override]
        self,
        singular: str,
        plural: str | None,
        context: str | None,
        variables: dict[str, jinja2.nodes.Expr],
        plural_expr: jinja2.nodes.Expr | None,
        vars_referenced: bool,
        num_called_num: bool,
    ) -> jinja2.nodes.Output:
        if plural is None and context is None and plural_expr is None:
            if not variables:
                text = self._translated(singular)
                if text is not None:  # the block's text, marked safe as gettext's result is
                    const = jinja2.nodes.Const(text)
                    return jinja2.nodes.Output([jinja2.nodes.MarkSafeIfAutoescape(const)])
            else:
                output = self._with_variables(singular, variables)
                if output is not None:
                    return output
        return super()._make_node(  # type: ignore[no-any-return]
            singular, plural, context, variables, plural_expr, vars_referenced, num_called_num
        )

    def _with_variables(
        self, message: str, variables: dict[str, jinja2.nodes.Expr]
    ) -> jinja2.nodes.Output | None:
        """A `{% trans %}` block with variables, translated now: the translation's text
        (marked safe as gettext's result is) with each `%(name)s` replaced by the output of
        its variable, which Jinja escapes as it escapes any `{{ value }}`: what gettext's
        `Markup(translation) % values` gives, without the call on every render (~60 a
        country page). Only when the translation holds each variable exactly once and no
        other placeholder than `%(name)s` and `%%`; None otherwise (left to the render,
        which then fails or formats as Jinja's own extension does)."""
        translations = self._translations()
        if translations is None:
            return None
        text = translations.gettext(message)
        parts: list[jinja2.nodes.Expr] = []
        used: list[str] = []
        start = 0
        for found in _PLACEHOLDER.finditer(text):
            literal = text[start : found.start()]
            start = found.end()
            name = found.group(1)
            if found.group() == "%%":
                literal += "%"
            elif name is None or name not in variables:  # another format, or a KeyError
                return None
            if literal:
                parts.append(jinja2.nodes.MarkSafeIfAutoescape(jinja2.nodes.Const(literal)))
            if name is not None:
                parts.append(variables[name])
                used.append(name)
        if sorted(used) != sorted(variables):  # each evaluated once, as the call's values
            return None
        if text[start:]:
            parts.append(jinja2.nodes.MarkSafeIfAutoescape(jinja2.nodes.Const(text[start:])))
        return jinja2.nodes.Output(parts)

    def _translations(self) -> Any:
        """The translations _install_gettext was given, when messages can be translated
        now (new-style gettext); None: every message is left to the render."""
        if not getattr(self.environment, "newstyle_gettext", False):
            return None
        return getattr(self.environment, "compiled_translations", None)

    def _translated(self, message: str) -> str | None:
        """`message` translated and formatted as gettext would; None: leave the call."""
        translations = self._translations()
        if translations is None:
            return None
        try:
            return str(translations.gettext(message) % {})
        except (KeyError, TypeError, ValueError):  # e.g. %(name)s without its value
            return None


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%|)")  # %(name)s, %%, or another format


def _fixed_message_call(tokens: list[jinja2.lexer.Token], index: int) -> bool:
    """Whether tokens[index:] start `_('text')` or `gettext('text')` (no variables)."""
    return (
        index + 3 < len(tokens)
        and tokens[index].type == "name"
        and tokens[index].value in ("_", "gettext")
        and (index == 0 or tokens[index - 1].type != "dot")
        and tokens[index + 1].type == "lparen"
        and tokens[index + 2].type == "string"
        and tokens[index + 3].type == "rparen"
    )


def _install_gettext(env: jinja2.Environment, translations: Any) -> None:
    """Jinja's new-style `gettext` and `_`, made cheaper, for the messages translated when
    a page is rendered: `_()` calls with values, and what _CompiledTranslations leaves.

    The same results as `install_gettext_translations(newstyle=True)` gives (Markup when
    autoescaping, always %-formatted): strings without variables are translated and
    formatted once per build; with variables, the translation (and whether it holds any
    placeholder but `%(name)s`) is looked up once per build, each value is escaped and the
    text formatted as Markup's own `%` does it, without its per-value helper objects.
    """
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    translate = translations.gettext
    plain: dict[str, Markup] = {}
    named: dict[str, tuple[str, bool]] = {}  # string -> translation, only %(name)s in it

    @jinja2.pass_eval_context
    def gettext(eval_ctx: jinja2.nodes.EvalContext, string: str, /, **variables: Any) -> str:
        if not eval_ctx.autoescape:
            return str(translate(string) % variables)
        if variables:
            known = named.get(string)
            if known is None:
                text = translate(string)
                known = named[string] = (text, not _OTHER_FORMATS.search(text))
            text, simple = known
            if not simple:  # e.g. %d: Markup knows how to escape those
                return Markup(text) % variables
            return Markup(text % {name: escape(value) for name, value in variables.items()})
        found = plain.get(string)
        if found is None:
            found = plain[string] = Markup(translate(string)) % variables
        return found

    env.globals.update(gettext=gettext, _=gettext)
    env.compiled_translations = translations  # type: ignore[attr-defined]


_OTHER_FORMATS = re.compile(r"%(?!\(\w+\)s)")  # any placeholder but %(name)s


def country_path(iso3: str) -> str:
    """The site path of a country's page."""
    return f"countries/{iso3}/index.html"


def spotlight_path(iso3: str) -> str:
    """The site path of a country's spotlight page."""
    return f"spotlights/{iso3}/index.html"


def _root_for(path: str) -> str:
    depth = path.count("/")
    return "../" * depth


@cache  # a page links to the same few places many times
def _relative(root: str, target: str) -> str:
    """Link from a page (at `root` depth) to a site path; folders link to their index.html."""
    if target.endswith("/") or target == "":
        target += "index.html"
    return posixpath.normpath(root + target) if root else target


@lru_cache(maxsize=512)  # serve renders the same documents again after every edit
def _md(source: str, *, headings_from: int = 2) -> str:
    """Markdown to HTML through an allow-list sanitiser: no raw HTML, scripts or odd URLs.

    Headings above `headings_from` are removed: a narrative sits under the page's own h1,
    while the methodology document brings its own. A pure function of its arguments, so
    its results are kept: the methodology alone takes ~0.1 s to convert.
    """
    if not source.strip():
        return ""
    # Extensions given as objects, not names: a name is looked up among the installed
    # packages' entry points, which took ~25 ms in each process that converts a document.
    extensions = [TableExtension(), TocExtension(), SaneListExtension(), FencedCodeExtension()]
    html = markdown.markdown(source, extensions=extensions, output_format="html")
    tags = _MARKDOWN_TAGS | {f"h{n}" for n in range(headings_from, 6)}
    clean = nh3.clean(
        html,
        tags=tags,
        attributes=_MARKDOWN_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )
    # A link whose address was removed (javascript:, data:) keeps its text but not its rel,
    # which HTML allows only with an href.
    return _REL_WITHOUT_HREF.sub(r"<a\1>", clean)


_REL_WITHOUT_HREF = re.compile(r'<a((?:(?!\shref=)[^>])*?) rel="noopener noreferrer">')


def _indicator_cell(country: CountryView, indicator: Indicator) -> list[Any] | None:
    result = country.score.indicators.get(indicator.id)
    if result is None:
        return None
    return [
        display_value(result.observation, indicator),
        result.observation.label,
        None if result.score is None else round(result.score, 6),
    ]


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def fmt_number(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,}"


def fmt_percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100):d}%"


def fmt_percent_precise(share: float) -> str:
    return f"{share * 100:.1f}%"


def pillar_order(countries: list[CountryView], pillar_id: str) -> list[CountryView]:
    """Countries by their rank in one pillar; the unscored last, by name."""
    return sorted(
        countries,
        key=lambda c: (
            c.score.pillars[pillar_id].rank is None,
            c.score.pillars[pillar_id].rank or 0,
            c.country.name,
        ),
    )


def layer_order(countries: list[CountryView], layer_id: str) -> list[CountryView]:
    """Countries by their rank in one layer of the lens; the unscored last, by name."""
    return sorted(
        countries,
        key=lambda c: (
            c.layers[layer_id].rank is None,
            c.layers[layer_id].rank or 0,
            c.country.name,
        ),
    )


def _step(weights: list[float]) -> str:
    """A slider step that lands exactly on every default weight."""
    return "1" if all(float(w).is_integer() for w in weights) else "any"


def fmt_years(oldest: int | None, newest: int | None) -> str:
    if oldest is None:
        return "—"
    return str(oldest) if oldest == newest else f"{oldest}–{newest}"


def fmt_earlier(observations: tuple[Observation, ...], indicator: Indicator) -> str:
    """An indicator's earlier values, as given (newest first): "5,000 (2023) · 500 (2022)"."""
    return " · ".join(f"{display_value(o, indicator)} ({o.label})" for o in observations)


def display_value(observation: Observation, indicator: Indicator) -> str:
    """The value as written in the data file, with thousands separators, or the level."""
    if observation.level is not None:
        return observation.level
    return fmt_number(observation.value)
