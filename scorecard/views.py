"""What the pages show, computed once from the results: rows, summaries, statistics.

Pure functions over the Results; the templates only lay these out. Numbers stay
numbers here; formatting for display happens in the templates' filters.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from .compute import CountryScore, IndicatorScore
from .model import Country, Dataset, Indicator, Observation, Pillar, Source
from .sensitivity import RankInterval


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
    country: Country
    score: CountryScore
    interval: RankInterval | None
    rows: dict[str, list[IndicatorRow]]  # pillar id -> rows, in framework order
    pillar_intervals: dict[str, RankInterval]  # pillar id -> rank interval within the pillar
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
    summaries: dict[str, IndicatorSummary]
    correlations: dict[tuple[str, str], float | None]
    sources_used: list[Source]

    def country(self, iso3: str) -> CountryView:
        return next(c for c in self.countries if c.iso3 == iso3)

    @property
    def pillars(self) -> tuple[Pillar, ...]:
        return self.dataset.framework.pillars


def site_view(
    dataset: Dataset,
    scores: list[CountryScore],
    intervals: dict[str, RankInterval],
    pillar_intervals: dict[str, dict[str, RankInterval]] | None = None,
) -> SiteView:
    """Build the view of the whole site."""
    by_iso = {s.iso3: s for s in scores}
    by_pillar = pillar_intervals or {}
    views = [
        _country_view(
            dataset, c, by_iso[c.iso3], intervals.get(c.iso3),
            {p: found[c.iso3] for p, found in by_pillar.items() if c.iso3 in found},
        )
        for c in dataset.countries
    ]
    views.sort(key=lambda v: (v.score.rank is None, v.score.rank or 0, v.iso3))
    ranked = [v for v in views if v.score.rank is not None]
    medians = {
        p.id: statistics.median(v.score.pillars[p.id].score for v in ranked)  # type: ignore[misc]
        for p in dataset.framework.pillars
        if ranked
    }
    return SiteView(
        dataset=dataset,
        countries=views,
        ranked=len(ranked),
        medians=medians,
        leader=ranked[0] if ranked else None,
        summaries={i.id: _summary(i, dataset) for i in dataset.framework.indicators},
        correlations=_correlations(dataset, scores),
        sources_used=_sources_used(dataset),
    )


def _country_view(
    dataset: Dataset,
    country: Country,
    score: CountryScore,
    interval: RankInterval | None,
    pillar_intervals: dict[str, RankInterval],
) -> CountryView:
    rows: dict[str, list[IndicatorRow]] = {}
    for pillar in dataset.framework.pillars:
        rows[pillar.id] = [
            _row(country, ind, score.indicators.get(ind.id)) for ind in pillar.indicators
        ]
    unranked = [p.name for p in dataset.framework.pillars if score.pillars[p.id].score is None]
    return CountryView(country, score, interval, rows, pillar_intervals, unranked)


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
