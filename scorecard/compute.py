"""The scorecard's arithmetic: adjust, normalise, aggregate, rank. No I/O.

Every step is a small pure function so that it can be checked by hand:

1. adjust     value / population (per million people) or / GDP (per billion US$), if asked
2. normalise  onto 0–100 between the framework's fixed goalposts (log10 scale if asked),
              clipped, reversed when lower is better; assessed levels take their rubric score
3. pillar     weighted mean of the indicator scores present, published only when they carry
              at least `coverage_threshold` of the pillar's weight
4. composite  weighted arithmetic (default) or geometric mean of the pillar scores; needs
              every pillar. The geometric mean counts pillar scores below 1 as 1, so that one
              empty pillar pulls the composite far down without erasing every difference.
5. rank       1 = best; equal scores share a rank ("1, 2, 2, 4")
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import Country, Dataset, Framework, Indicator, Observation, Pillar

PER_CAPITA = 1_000_000  # per_capita means "per million people"
TIE_DECIMALS = 9  # scores equal to this many decimals share a rank
GEOMETRIC_FLOOR = 1.0  # pillar scores below this count as this in the geometric mean


@dataclass(frozen=True)
class RankInterval:
    """Where a country ranks over the Monte Carlo runs (scorecard.sensitivity)."""

    median: int
    low: int  # 5th percentile: the best rank in 90% of runs
    high: int  # 95th percentile: the worst rank in 90% of runs


@dataclass(frozen=True)
class IndicatorScore:
    indicator: str
    observation: Observation
    adjusted: float | None  # value after per-capita / per-GDP steps; None for assessed
    score: float | None  # 0–100; None when a denominator is missing


@dataclass(frozen=True)
class PillarScore:
    pillar: str
    score: float | None  # None when coverage is below the threshold
    coverage: float  # share of the pillar's indicator weight present, 0–1
    present: int
    total: int
    oldest: int | None  # years of the data behind the score
    newest: int | None
    rank: int | None = None

    def ranked(self, rank: int | None) -> PillarScore:
        """The same score with its rank (dataclasses.replace, without its cost: editions
        rank thousands of these)."""
        return PillarScore(
            self.pillar,
            self.score,
            self.coverage,
            self.present,
            self.total,
            self.oldest,
            self.newest,
            rank,
        )


@dataclass(frozen=True)
class CountryScore:
    iso3: str
    indicators: dict[str, IndicatorScore]
    pillars: dict[str, PillarScore]
    composite: float | None
    coverage: float  # pillar coverages weighted like the composite, 0–1
    oldest: int | None
    newest: int | None
    rank: int | None = None


# -- 1. adjust ------------------------------------------------------------------------------


def adjust(
    value: float, indicator: Indicator, population: float | None, gdp: float | None
) -> float | None:
    """Apply the per-capita or per-GDP step; None when the denominator is unknown."""
    denominator = indicator.denominator
    if denominator is None:
        return float(value)
    base = (
        population / PER_CAPITA
        if denominator == "population" and population
        else (gdp if denominator == "gdp" else None)
    )
    if not base:
        return None
    return value / base


# -- 2. normalise ---------------------------------------------------------------------------


def normalise(adjusted: float, indicator: Indicator) -> float:
    """Score 0–100 between the goalposts; values beyond them are clipped."""
    low, high = indicator.low, indicator.high
    if indicator.log:
        if adjusted <= low:
            share = 0.0
        else:
            share = (math.log10(adjusted) - math.log10(low)) / (math.log10(high) - math.log10(low))
    else:
        share = (adjusted - low) / (high - low)
    share = min(max(share, 0.0), 1.0)
    return 100.0 * (share if indicator.higher_is_better else 1.0 - share)


def score_observation(
    observation: Observation, indicator: Indicator, population: float | None, gdp: float | None
) -> IndicatorScore:
    """Adjust and normalise one observation (or look up its rubric level)."""
    if indicator.assessed:
        assert observation.level is not None
        level = indicator.level_score(observation.level)
        return IndicatorScore(
            indicator.id, observation, None, level if indicator.higher_is_better else 100.0 - level
        )
    assert observation.value is not None
    adjusted = adjust(observation.value, indicator, population, gdp)
    score = None if adjusted is None else normalise(adjusted, indicator)
    return IndicatorScore(indicator.id, observation, adjusted, score)


# -- 3. pillar ------------------------------------------------------------------------------


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean of (score, weight) pairs, weighted."""
    pairs = list(pairs)
    total = sum(weight for _, weight in pairs)
    return _within(sum(score * weight for score, weight in pairs) / total, pairs)


def _within(mean: float, pairs: list[tuple[float, float]]) -> float:
    """`mean` kept inside its inputs' range, which rounding can step out of (100.00000000000001)."""
    scores = [score for score, _ in pairs]
    return min(max(mean, min(scores)), max(scores))


def pillar_score(
    pillar_id: str,
    indicators: Iterable[Indicator],
    scores: Mapping[str, IndicatorScore],
    threshold: float,
) -> PillarScore:
    """Weighted mean of the scores present, if they carry enough of the pillar's weight."""
    indicators = list(indicators)
    present = [
        (found, i.weight)
        for i in indicators
        if (found := scores.get(i.id)) is not None and found.score is not None
    ]
    total_weight = sum(i.weight for i in indicators)
    coverage = sum(weight for _, weight in present) / total_weight
    years = [s.observation.year for s, _ in present]
    score = None
    # A tiny tolerance keeps e.g. 2 of 4 equal weights (0.5) at a 0.5 threshold.
    if present and coverage >= threshold - 1e-12:
        score = weighted_mean([(s.score, w) for s, w in present])  # type: ignore[misc]
    return PillarScore(
        pillar_id,
        score,
        coverage,
        len(present),
        len(indicators),
        min(years) if years else None,
        max(years) if years else None,
    )


# -- 4. composite ---------------------------------------------------------------------------


def composite(pairs: Iterable[tuple[float, float]], aggregation: str) -> float:
    """Aggregate (pillar score, weight) pairs: arithmetic or geometric weighted mean."""
    pairs = list(pairs)
    if aggregation == "arithmetic":
        return weighted_mean(pairs)
    if aggregation == "geometric":
        floored = [(max(score, GEOMETRIC_FLOOR), weight) for score, weight in pairs]
        total = sum(weight for _, weight in floored)
        result = 1.0
        for score, weight in floored:
            result *= score ** (weight / total)
        return _within(result, floored)
    raise ValueError(f"unknown aggregation {aggregation!r}")


# -- 5. rank --------------------------------------------------------------------------------


def competition_ranks(values: Mapping[str, float | None]) -> dict[str, int | None]:
    """Rank values high to low, 1 = best; ties share the best rank; None stays unranked."""
    keyed = {k: round(v, TIE_DECIMALS) for k, v in values.items() if v is not None}
    ordered = sorted(keyed.values(), reverse=True)
    first_at: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_at.setdefault(value, position)
    return {k: (first_at[keyed[k]] if k in keyed else None) for k in values}


# -- the whole scorecard ----------------------------------------------------------------------


def score_country(
    country: Country, framework: Framework, aggregation: str, as_of: int | None = None
) -> CountryScore:
    """Every score of one country, before ranking (with data up to year `as_of`, if given)."""
    population = country.context_value("population", as_of)
    gdp = country.context_value("gdp", as_of)
    indicator_scores: dict[str, IndicatorScore] = {}
    for indicator in framework.indicators:
        observation = country.latest(indicator.id, as_of)
        if observation is not None:
            indicator_scores[indicator.id] = score_observation(
                observation, indicator, population, gdp
            )
    pillars = {
        p.id: pillar_score(p.id, p.indicators, indicator_scores, framework.coverage_threshold)
        for p in framework.pillars
    }
    weights = {p.id: p.weight for p in framework.pillars}
    complete = all(ps.score is not None for ps in pillars.values())
    total = None
    if complete:
        total = composite(
            ((pillars[k].score, w) for k, w in weights.items()),  # type: ignore[misc]
            aggregation,
        )
    coverage = weighted_mean((pillars[k].coverage, w) for k, w in weights.items())
    years = [y for ps in pillars.values() for y in (ps.oldest, ps.newest) if y is not None]
    return CountryScore(
        country.iso3,
        indicator_scores,
        pillars,
        total,
        coverage,
        min(years, default=None),
        max(years, default=None),
    )


def score_dataset(
    dataset: Dataset, aggregation: str | None = None, as_of: int | None = None
) -> list[CountryScore]:
    """Score and rank every country, in the dataset's order (by ISO code).

    With `as_of`, only observations up to that year are used: the scorecard as the data
    stood then, with today's framework and fixed goalposts, so years stay comparable.
    """
    framework = dataset.framework
    method = aggregation or framework.aggregation
    return rank_scores(
        framework, [score_country(c, framework, method, as_of) for c in dataset.countries]
    )


def rank_scores(
    framework: Framework,
    results: list[CountryScore],
    *,
    indicators: bool = True,
    earlier: tuple[list[CountryScore], list[CountryScore]] = ([], []),
) -> list[CountryScore]:
    """The same scores with their composite and pillar ranks among `results`; without
    their indicator scores if `indicators` is False (an edition's: pipeline.editions).

    `earlier`: an earlier call's `results` and ranking, of the same countries in the same
    order (serve's, before an edit). A country whose unranked scores are the very object
    ranked then, and whose ranks are the same, keeps the ranked score made then: after one
    edit, most countries.
    """
    ranks = competition_ranks({r.iso3: r.composite for r in results})
    pillar_ranks = {
        p.id: competition_ranks({r.iso3: r.pillars[p.id].score for r in results})
        for p in framework.pillars
    }
    before, ranked_before = earlier
    if len(before) != len(results):
        before = ranked_before = []
    ranked = []
    for n, r in enumerate(results):
        if before and before[n] is r:
            kept = ranked_before[n]
            if kept.rank == ranks[r.iso3] and all(
                ps.rank == pillar_ranks[pid][r.iso3] for pid, ps in kept.pillars.items()
            ):
                ranked.append(kept)
                continue
        ranked.append(
            CountryScore(
                r.iso3,
                r.indicators if indicators else {},
                {pid: ps.ranked(pillar_ranks[pid][r.iso3]) for pid, ps in r.pillars.items()},
                r.composite,
                r.coverage,
                r.oldest,
                r.newest,
                ranks[r.iso3],
            )
        )
    return ranked


def data_as_of(country: Country, year: int) -> int | None:
    """The year of the country's latest observation up to `year` (None: none so early).

    A country's scores as of `year` use only observations up to it, so they equal its
    scores as of this year: editions score a country once for each year it has data.
    """
    groups = (*country.indicators.values(), *country.context.values())
    return max((o.year for obs in groups for o in obs if o.year <= year), default=None)


def data_years_of(country: Country) -> list[int]:
    """Every year the country has an observation in (indicators and context), ascending:
    data_as_of(country, year) is the last of them up to `year`."""
    groups = (*country.indicators.values(), *country.context.values())
    return sorted({o.year for obs in groups for o in obs})


# -- the sovereignty lens ---------------------------------------------------------------------


@dataclass(frozen=True)
class LayerScore:
    layer: str
    score: float | None  # None when coverage is below the threshold
    coverage: float  # share of the layer's weight present, 0–1
    present: int
    total: int
    rank: int | None = None

    def ranked(self, rank: int | None) -> LayerScore:
        """The same score with its rank (as PillarScore.ranked)."""
        return LayerScore(self.layer, self.score, self.coverage, self.present, self.total, rank)


def effective_weights(framework: Framework) -> dict[str, float]:
    """Each indicator's share of the composite: pillar share x share within its pillar."""
    total = sum(p.weight for p in framework.pillars)
    weights = {}
    for pillar in framework.pillars:
        inner = sum(i.weight for i in pillar.indicators)
        for indicator in pillar.indicators:
            weights[indicator.id] = pillar.weight / total * indicator.weight / inner
    return weights


def layer_score(
    layer: str,
    indicators: Iterable[Indicator],
    score: CountryScore,
    weights: Mapping[str, float],
    threshold: float,
) -> LayerScore:
    """Weighted mean of the country's scores on the indicators of one layer.

    Indicators weigh as much as in the composite; like a pillar, the score is published
    only when the indicators present carry at least `threshold` of the layer's weight.
    """
    members = [i for i in indicators if i.layer == layer]
    return _members_score(layer, members, score, weights, threshold)


def _members_score(
    layer: str,
    members: list[Indicator],
    score: CountryScore,
    weights: Mapping[str, float],
    threshold: float,
) -> LayerScore:
    """layer_score, with the layer's indicators already picked out (`members`)."""
    found = score.indicators
    present = [
        (result.score, weights[i.id])
        for i in members
        if (result := found.get(i.id)) is not None and result.score is not None
    ]
    total = sum(weights[i.id] for i in members)
    coverage = sum(w for _, w in present) / total if total else 0.0
    value = None
    if present and coverage >= threshold - 1e-12:
        value = weighted_mean(present)  # type: ignore[arg-type]
    return LayerScore(layer, value, coverage, len(present), len(members))


class Lens:
    """The sovereignty lens of a framework, picked out once for every country: the
    indicators of each layer (over all pillars) and of each pillar x layer cell, with the
    weights they carry there."""

    def __init__(self, framework: Framework):
        weights = effective_weights(framework)
        self.threshold = framework.coverage_threshold
        self._layers = [
            (layer.id, [i for i in framework.indicators if i.layer == layer.id], weights)
            for layer in framework.layers
        ]
        self._cells = [
            ((p.id, layer.id), [i for i in p.indicators if i.layer == layer.id], _pillar_weights(p))
            for p in framework.pillars
            for layer in framework.layers
        ]

    def layers(self, score: CountryScore) -> dict[str, LayerScore]:
        """Layer id -> the country's score over all pillars, before ranking (layer_score)."""
        return {
            layer: _members_score(layer, members, score, weights, self.threshold)
            for layer, members, weights in self._layers
        }

    def cells(self, score: CountryScore) -> dict[tuple[str, str], LayerScore]:
        """(pillar id, layer id) -> the country's score in that cell (pillar_layer_score)."""
        return {
            cell: _members_score(cell[1], members, score, weights, self.threshold)
            for cell, members, weights in self._cells
        }


def layer_scores(
    framework: Framework,
    scores: list[CountryScore],
    unranked: Mapping[str, Mapping[str, LayerScore]] | None = None,
) -> dict[str, dict[str, LayerScore]]:
    """Layer id -> ISO code -> score over all pillars, ranked among countries with a score.

    `unranked`: ISO code -> the country's layer scores before ranking (Lens.layers), where
    they were kept from an earlier computation; the others are computed.
    """
    lens = Lens(framework)
    unranked = unranked or {}
    own = {s.iso3: unranked.get(s.iso3) or lens.layers(s) for s in scores}
    result = {}
    for layer in framework.layers:
        ranks = competition_ranks({iso: layers[layer.id].score for iso, layers in own.items()})
        result[layer.id] = {iso: layers[layer.id].ranked(ranks[iso]) for iso, layers in own.items()}
    return result


def lens_matrix(
    framework: Framework, scores: list[CountryScore]
) -> dict[str, dict[tuple[str, str], LayerScore]]:
    """ISO code -> (pillar id, layer id) -> the cell's score (pillar_layer_score)."""
    lens = Lens(framework)
    return {s.iso3: lens.cells(s) for s in scores}


def pillar_layer_score(
    framework: Framework, score: CountryScore, pillar_id: str, layer: str
) -> LayerScore:
    """One cell of the pillar x layer matrix: the layer's indicators within one pillar."""
    pillar = next(p for p in framework.pillars if p.id == pillar_id)
    weights = _pillar_weights(pillar)
    return layer_score(layer, pillar.indicators, score, weights, framework.coverage_threshold)


def _pillar_weights(pillar: Pillar) -> dict[str, float]:
    """A cell's weights: each indicator's own weight within its pillar."""
    return {i.id: i.weight for i in pillar.indicators}
