"""What the pages show, computed once from the results: rows, summaries, statistics.

Pure functions over the Results; the templates only lay these out. Numbers stay
numbers here; formatting for display happens in the templates' filters.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

from .compute import (
    CountryScore,
    IndicatorScore,
    LayerScore,
    RankInterval,
    competition_ranks,
)
from .model import (
    Country,
    Dataset,
    Framework,
    Indicator,
    Observation,
    OtherIndex,
    Pillar,
    Source,
)


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of one country, as its page shows it."""

    indicator: Indicator
    observation: Observation | None  # the one used for the score
    older: tuple[Observation, ...]  # earlier years, shown for context
    adjusted: float | None
    score: float | None
    missing_reason: str = ""


@dataclass(frozen=True)
class CountryView:
    """A country as the site's pages show it (its indicator rows, which only its own page
    shows, are made by that page: indicator_rows)."""

    country: Country
    score: CountryScore
    interval: RankInterval | None
    pillar_intervals: dict[str, RankInterval]  # pillar id -> rank interval within the pillar
    layers: dict[str, LayerScore]  # layer id -> score over all pillars
    matrix: dict[tuple[str, str], LayerScore]  # (pillar id, layer id) -> score
    unranked_because: list[str] = field(default_factory=list)  # pillar names below coverage

    @property
    def iso3(self) -> str:
        return self.country.iso3


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: Indicator
    present: int
    total: int
    missing: list[str]  # ISO codes without a value
    minimum: float | None  # of raw values (measured indicators)
    median: float | None
    maximum: float | None
    oldest: int | None
    newest: int | None


@dataclass(frozen=True)
class SiteView:
    """Everything the templates draw on, computed once per build."""

    dataset: Dataset
    countries: list[CountryView]  # table order: ranked first, by rank, then the unranked
    ranked: int
    medians: dict[str, float]  # pillar id -> median pillar score of ranked countries
    leader: CountryView | None
    agreements: list[Agreement] = field(default_factory=list)
    editions: dict[int, list[CountryScore]] = field(default_factory=dict)
    lens_medians: dict[Any, float] = field(default_factory=dict)  # layer or (pillar, layer)

    def country(self, iso3: str) -> CountryView:
        return self._by_iso[iso3]

    # Made when first read: only the site-wide pages show them, so a process that makes
    # country pages or downloads only (the build's second process; `serve`'s page written
    # ahead) never makes them.

    @cached_property
    def summaries(self) -> dict[str, IndicatorSummary]:
        """Indicator id -> what the data holds for it across the countries."""
        return {i.id: _summary(i, self.dataset) for i in self.dataset.framework.indicators}

    @cached_property
    def correlations(self) -> dict[tuple[str, str], float | None]:
        """(pillar id, pillar id) -> Pearson correlation of the two pillars' scores."""
        scores = [self._by_iso[c.iso3].score for c in self.dataset.countries]  # data order
        return _correlations(self.dataset, scores)

    @cached_property
    def sources_used(self) -> list[Source]:
        """Every source some value cites, by producer and title."""
        return _sources_used(self.dataset)

    @cached_property
    def _by_iso(self) -> dict[str, CountryView]:
        return {c.iso3: c for c in self.countries}

    @cached_property
    def _position(self) -> dict[str, int]:
        return {c.iso3: n for n, c in enumerate(self.countries)}

    @cached_property
    def _published(self) -> dict[str, list[CountryView]]:
        """Region -> its countries with a published composite, in table order."""
        found: dict[str, list[CountryView]] = {}
        for c in self.countries:
            if c.score.composite is not None:
                found.setdefault(c.country.region, []).append(c)
        return found

    @cached_property
    def _editions_by_iso(self) -> dict[int, dict[str, CountryScore]]:
        return {year: {s.iso3: s for s in scores} for year, scores in self.editions.items()}

    def peer_groups(self, iso3: str) -> list[PeerComparison]:
        """The country against each group it belongs to, and against its region."""
        return peer_comparisons(self, self.country(iso3))

    def peer_group(self, group_id: str, members: Iterable[str], rows: list[str]) -> PeerGroup:
        """A peer group's members with a published composite, prepared once per build."""
        key = ("group", group_id)
        if key not in self._peer_groups:
            views = (self._by_iso[m] for m in set(members) if m in self._by_iso)
            published = sorted(
                (c for c in views if c.score.composite is not None),
                key=lambda c: self._position[c.iso3],
            )
            self._peer_groups[key] = PeerGroup(published, rows)
        return self._peer_groups[key]

    def region_group(self, region: str, rows: list[str]) -> PeerGroup:
        """A region's countries with a published composite, prepared once per build."""
        key = ("region", region)
        if key not in self._peer_groups:
            self._peer_groups[key] = PeerGroup(self._published.get(region, []), rows)
        return self._peer_groups[key]

    @cached_property
    def _peer_groups(self) -> dict[tuple[str, str], PeerGroup]:
        return {}

    def trend(self, iso3: str) -> list[TrendPoint]:
        """The country's composite and pillars in each year the scorecard can be computed."""
        return trend(self, iso3)

    def history_warning(self) -> str:
        """Editions made with other framework versions, if any (to warn readers)."""
        framework = self.dataset.framework
        older = [h for h in framework.history if h.version != framework.version]
        return ", ".join(f"{h.edition} (version {h.version})" for h in older)

    @property
    def pillars(self) -> tuple[Pillar, ...]:
        return self.dataset.framework.pillars

    @cached_property
    def pillar_names(self) -> dict[str, str]:
        return {p.id: p.name for p in self.pillars}

    @property
    def has_spotlights(self) -> bool:
        return bool(self.dataset.spotlights)

    def for_country_pages(self) -> CountrySite:
        """The part of the site a country page shows (see CountrySite)."""
        return CountrySite(
            self.pillars,
            self.pillar_names,
            self.ranked,
            self.medians,
            self.lens_medians,
            self.history_warning(),
            self.has_spotlights,
        )


@dataclass(frozen=True)
class CountrySite:
    """All that a country page may read of the whole site: `site` in country.html and the
    templates it uses, instead of the SiteView.

    A country page is rendered again only when this, its own country's view, the data's
    framework and sources, the templates or the code changed (scorecard.pagecache), so
    what it reads of the other countries is only these few figures. A template that reads
    anything else of `site` on a country page fails the build (StrictUndefined): add it
    here, and it is part of every country page's key.
    """

    pillars: tuple[Pillar, ...]
    pillar_names: dict[str, str]
    ranked: int
    medians: dict[str, float]
    lens_medians: dict[Any, float]
    history: str  # SiteView.history_warning()
    has_spotlights: bool

    def history_warning(self) -> str:
        return self.history

    def verdict(self, score: float | None, cell: Any) -> str:
        """lens_verdict against the ranked countries' median in `cell`: a layer id, or a
        (pillar id, layer id) pair (one call from the template instead of two)."""
        return lens_verdict(score, self.lens_medians.get(cell))


def site_view(results: Any) -> SiteView:
    """Build the view of the whole site from the pipeline's Results.

    What only some pages show is made when they first read it: the indicator summaries,
    correlations and sources (SiteView's cached properties), a country's indicator rows
    (indicator_rows). The rank intervals may still be being computed in another process
    (pipeline.Computing): the view waits for them, not for anything else.
    """
    dataset, scores = results.dataset, results.scores
    by_iso = {s.iso3: s for s in scores}
    intervals, by_pillar = results.intervals, results.pillar_intervals
    views = [
        _country_view(
            dataset,
            c,
            by_iso[c.iso3],
            intervals.get(c.iso3),
            {p: found[c.iso3] for p, found in by_pillar.items() if c.iso3 in found},
            {layer: found[c.iso3] for layer, found in results.layers.items()},
            results.matrix[c.iso3],
        )
        for c in dataset.countries
    ]
    views.sort(key=lambda v: (v.score.rank is None, v.score.rank or 0, v.iso3))
    ranked = [v for v in views if v.score.rank is not None]
    medians = {  # a ranked country has every pillar's score
        p.id: statistics.median(_scores(v.score.pillars[p.id].score for v in ranked))
        for p in dataset.framework.pillars
        if ranked
    }
    return SiteView(
        dataset=dataset,
        countries=views,
        ranked=len(ranked),
        medians=medians,
        leader=ranked[0] if ranked else None,
        agreements=[agreement(dataset, index, views) for index in dataset.framework.other_indices],
        editions=results.editions,
        lens_medians=_lens_medians(dataset, ranked),
    )


def _lens_medians(dataset: Dataset, ranked: list[CountryView]) -> dict[Any, float]:
    """Median score of the ranked countries per layer and per (pillar, layer) cell."""
    medians: dict[Any, float] = {}
    framework = dataset.framework
    for layer in framework.layers:
        values = _scores(c.layers[layer.id].score for c in ranked)
        if values:
            medians[layer.id] = statistics.median(values)
        for pillar in framework.pillars:
            cell = (pillar.id, layer.id)
            values = _scores(c.matrix[cell].score for c in ranked)
            if values:
                medians[cell] = statistics.median(values)
    return medians


def _scores(values: Iterable[float | None]) -> list[float]:
    """The scores that exist (None is a gap, never a zero)."""
    return [v for v in values if v is not None]


def lens_verdict(score: float | None, median: float | None) -> str:
    """strong or dependent against the median country, or "" when level or unknown."""
    if score is None or median is None or abs(score - median) < LEVEL_BAND:
        return ""
    return "strong" if score > median else "dependent"


def _country_view(
    dataset: Dataset,
    country: Country,
    score: CountryScore,
    interval: RankInterval | None,
    pillar_intervals: dict[str, RankInterval],
    layers: dict[str, LayerScore],
    matrix: dict[tuple[str, str], LayerScore],
) -> CountryView:
    unranked = [p.name for p in dataset.framework.pillars if score.pillars[p.id].score is None]
    return CountryView(country, score, interval, pillar_intervals, layers, matrix, unranked)


def indicator_rows(framework: Framework, view: CountryView) -> dict[str, list[IndicatorRow]]:
    """A country's indicator rows, by pillar id, in framework order.

    Made from the framework and the view alone: a country page's cache key covers those
    two, not the rows (site._Renderer._country_page). Anything else read here would have
    to join that key.
    """
    country, score = view.country, view.score
    return {
        pillar.id: [_row(country, ind, score.indicators.get(ind.id)) for ind in pillar.indicators]
        for pillar in framework.pillars
    }


def _row(country: Country, indicator: Indicator, result: IndicatorScore | None) -> IndicatorRow:
    observations = sorted(country.indicators.get(indicator.id, ()), key=lambda o: -o.year)
    if result is None:
        return IndicatorRow(indicator, None, (), None, None, country.missing.get(indicator.id, ""))
    return IndicatorRow(
        indicator, result.observation, tuple(observations[1:]), result.adjusted, result.score
    )


def _summary(indicator: Indicator, dataset: Dataset) -> IndicatorSummary:
    used = {c.iso3: c.latest(indicator.id) for c in dataset.countries}
    present = {iso: obs for iso, obs in used.items() if obs is not None}
    values = sorted(o.value for o in present.values() if o.value is not None)
    years = [o.year for o in present.values()]
    return IndicatorSummary(
        indicator=indicator,
        present=len(present),
        total=len(used),
        missing=sorted(iso for iso, obs in used.items() if obs is None),
        minimum=values[0] if values else None,
        median=statistics.median(values) if values else None,
        maximum=values[-1] if values else None,
        oldest=min(years, default=None),
        newest=max(years, default=None),
    )


def _correlations(
    dataset: Dataset, scores: list[CountryScore]
) -> dict[tuple[str, str], float | None]:
    """Pearson correlation of each pair of pillar scores, over countries that have both."""
    ids = [p.id for p in dataset.framework.pillars]
    result: dict[tuple[str, str], float | None] = {}
    for a in ids:
        for b in ids:
            pairs = [
                (s.pillars[a].score, s.pillars[b].score)
                for s in scores
                if s.pillars[a].score is not None and s.pillars[b].score is not None
            ]
            result[(a, b)] = pearson(pairs)  # type: ignore[arg-type]
    return result


def pearson(pairs: list[tuple[float, float]]) -> float | None:
    """Pearson's r, or None with fewer than three pairs or no variation."""
    if len(pairs) < 3:
        return None
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _sources_used(dataset: Dataset) -> list[Source]:
    """Every source cited by some value (registry entries and inline citations), by title."""
    seen: dict[tuple[str, str], Source] = {}
    for country in dataset.countries:
        for observations in (*country.indicators.values(), *country.context.values()):
            for obs in observations:
                seen.setdefault((obs.source.id, obs.source.url), obs.source)
    return sorted(seen.values(), key=lambda s: (s.producer.casefold(), s.title.casefold()))


# -- peers -------------------------------------------------------------------------------------

LEVEL_BAND = 2.5  # within this many points of the peers' median counts as level with them


@dataclass(frozen=True)
class PeerRow:
    label: str
    score: float | None
    median: float | None  # of the other members with a score
    difference: float | None

    @property
    def verdict(self) -> str:
        """above, below or level (within LEVEL_BAND points), or "" without data."""
        if self.difference is None:
            return ""
        if abs(self.difference) < LEVEL_BAND:
            return "level"
        return "above" if self.difference > 0 else "below"


@dataclass(frozen=True)
class PeerComparison:
    id: str
    name: str
    basis: str
    members: tuple[str, ...]  # ISO codes of the other members with a published composite
    rows: list[PeerRow]  # composite first, then each pillar
    compare: list[str]  # the country and up to four peers closest in composite score


def peer_comparisons(site: SiteView, country: CountryView) -> list[PeerComparison]:
    framework = site.dataset.framework
    rows = ["composite", *(p.id for p in framework.pillars)]
    groups = [
        (g.id, g.name, g.basis, site.peer_group(g.id, g.members, rows))
        for g in framework.peer_groups
        if country.iso3 in g.members
    ]
    region = country.country.region
    groups.append(
        (f"region-{region.lower()}", region, "UN M49 region", site.region_group(region, rows))
    )
    result = []
    for group_id, name, basis, group in groups:
        others = group.others(country.iso3)
        if not others:
            continue
        own = {row: _row_score(country, row) for row in rows}
        result.append(
            PeerComparison(
                group_id,
                name,
                basis,
                others,
                [
                    _peer_row(row, own[row], group.median_without(row, country.iso3, own[row]))
                    for row in rows
                ],
                [country.iso3, *group.closest(country.iso3, country.score.composite or 0, 4)],
            )
        )
    return result


def _row_score(country: CountryView, row: str) -> float | None:
    """A peer row's score: the composite's, or a pillar's."""
    return country.score.composite if row == "composite" else country.score.pillars[row].score


def _peer_row(label: str, score: float | None, median: float | None) -> PeerRow:
    difference = None if score is None or median is None else score - median
    return PeerRow(label, score, median, difference)


class PeerGroup:
    """A group's members with a published composite, prepared once for all of them: each
    member's page compares it with the others (their medians, the closest composites),
    which, member by member from the group's list, made the country pages O(n²) in the
    size of their regions."""

    def __init__(self, members: list[CountryView], rows: list[str]):
        self.iso3s = tuple(c.iso3 for c in members)  # table order
        self._scores = {c.iso3: {row: _row_score(c, row) for row in rows} for c in members}
        self._sorted = {
            row: sorted(v for c in members if (v := self._scores[c.iso3][row]) is not None)
            for row in rows
        }
        self._ranked = sorted(  # (composite, ISO code), lowest first; every member has one
            (c.score.composite, c.iso3) for c in members if c.score.composite is not None
        )

    def others(self, iso3: str) -> tuple[str, ...]:
        """The members but `iso3`, in table order."""
        if iso3 not in self._scores:
            return self.iso3s
        at = self.iso3s.index(iso3)
        return self.iso3s[:at] + self.iso3s[at + 1 :]

    def median_without(self, row: str, iso3: str, score: float | None) -> float | None:
        """statistics.median of the other members' scores on `row` (None without any)."""
        values = self._sorted[row]
        skip = count = len(values)
        if score is not None and iso3 in self._scores:  # its score is among them: left out
            skip, count = bisect.bisect_left(values, score), count - 1
        if count == 0:
            return None

        def at(k: int) -> float:  # the k-th of the sorted others
            return values[k if k < skip else k + 1]

        middle = count // 2
        return at(middle) if count % 2 else (at(middle - 1) + at(middle)) / 2

    def closest(self, iso3: str, composite: float, n: int) -> list[str]:
        """The `n` other members with the composites nearest `composite`, nearest first
        (ties: by ISO code); as sorting every other member would give, from at most `n`
        on each side of it (and what ties with the last of those)."""
        ranked = self._ranked
        split = bisect.bisect_left(ranked, composite, key=itemgetter(0))
        found: list[tuple[float, str]] = []
        for step, start in ((-1, split - 1), (1, split)):
            taken, last = 0, -1.0
            k = start
            while 0 <= k < len(ranked):
                value, code = ranked[k]
                distance = abs(value - composite)
                if taken >= n and distance != last:
                    break
                if code != iso3:
                    found.append((distance, code))
                    taken, last = taken + 1, distance
                k += step
        return [code for _, code in sorted(found)[:n]]


# -- agreement with other indices -------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    country: CountryView
    value: float  # the other index's value
    ours: int  # our composite rank among the countries both cover
    theirs: int  # their rank among the same countries
    driver: str = ""  # pillar id that pulls our rank towards or away from theirs
    driver_rank: int | None = None  # the country's rank on that pillar among the same countries


@dataclass(frozen=True)
class OtherIndexRank:
    """One country in another index, as its page shows it."""

    name: str  # the other index's
    value: float
    theirs: int
    ours: int
    compared: int  # countries both indices cover


@dataclass(frozen=True)
class Agreement:
    index: OtherIndex
    rows: list[AgreementRow]  # by our rank
    spearman: float | None
    disagreements: list[AgreementRow]  # largest rank differences first, at most five


def agreement(dataset: Dataset, index: OtherIndex, countries: list[CountryView]) -> Agreement:
    """Our ranks against another index's, over the countries both cover."""
    common: list[tuple[CountryView, float]] = []
    for c in countries:
        observations = c.country.other_indices.get(index.id)
        if c.score.composite is not None and observations:
            latest = max(observations, key=lambda o: o.year).value
            if latest is not None:  # the schema requires a value; this tells the type checker
                common.append((c, latest))
    ours = competition_ranks({c.iso3: c.score.composite for c, _ in common})
    sign = -1 if index.kind == "rank" else 1  # rank 1 is best: negate so higher is better
    theirs = competition_ranks({c.iso3: sign * value for c, value in common})
    pillar_ranks = {
        p.id: competition_ranks({c.iso3: c.score.pillars[p.id].score for c, _ in common})
        for p in dataset.framework.pillars
    }
    rows = []
    for c, value in common:
        mine, other = ours[c.iso3], theirs[c.iso3]
        driver, driver_rank = _driver(c.iso3, mine, other, pillar_ranks)  # type: ignore[arg-type]
        rows.append(AgreementRow(c, value, mine, other, driver, driver_rank))  # type: ignore[arg-type]
    rows.sort(key=lambda r: (r.ours, r.country.iso3))
    rho = spearman([(float(r.ours), float(r.theirs)) for r in rows])
    disagreements = sorted(
        (r for r in rows if r.ours != r.theirs),
        key=lambda r: (-abs(r.ours - r.theirs), r.country.iso3),
    )[:5]
    return Agreement(index, rows, rho, disagreements)


def spearman(pairs: list[tuple[float, float]]) -> float | None:
    """Spearman's rank correlation (ties get average ranks); None for fewer than five pairs."""
    return pearson(_average_ranks(pairs)) if len(pairs) >= 5 else None


def _driver(
    iso3: str, ours: int, theirs: int, pillar_ranks: dict[str, dict[str, int | None]]
) -> tuple[str, int | None]:
    """The pillar whose rank lies furthest in the direction we differ from the other index."""
    if ours == theirs:
        return "", None
    ranked = [(pid, ranks[iso3]) for pid, ranks in pillar_ranks.items() if ranks[iso3]]
    if not ranked:
        return "", None
    # We rank it higher (a smaller number): the pillar where it ranks best explains it.
    pick = min if ours < theirs else max
    pid, rank = pick(ranked, key=lambda item: (item[1], item[0]))
    return pid, rank


def _average_ranks(pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spearman's ranks: ties get the mean of the positions they span."""

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        result = [0.0] * len(values)
        start = 0
        while start < len(order):
            end = start
            while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
                end += 1
            for k in range(start, end + 1):
                result[order[k]] = (start + end) / 2 + 1
            start = end + 1
        return result

    xs, ys = ranks([p[0] for p in pairs]), ranks([p[1] for p in pairs])
    return list(zip(xs, ys, strict=True))


# -- over time ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    year: int
    composite: float | None
    rank: int | None
    pillars: dict[str, float | None]


def trend(site: SiteView, iso3: str) -> list[TrendPoint]:
    points = []
    for year, scores in sorted(site._editions_by_iso.items()):
        score = scores[iso3]
        points.append(
            TrendPoint(
                year,
                score.composite,
                score.rank,
                {pid: ps.score for pid, ps in score.pillars.items()},
            )
        )
    return points
