"""Monte Carlo sensitivity analysis: how much does a rank depend on the method's choices?

Each run perturbs every indicator and pillar weight by an independent uniform factor in
[1 - spread, 1 + spread], and draws one normalisation (the framework's goalposts, or the
observed min–max range) and one aggregation (arithmetic or geometric). The runs are
vectorised with numpy and seeded, so the same inputs give the same intervals on every
machine. Countries whose composite is not published at the nominal settings are left out
of every run, so the intervals are ranks among the same set of countries as the table.
No I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .compute import GEOMETRIC_FLOOR, TIE_DECIMALS, CountryScore, RankInterval
from .model import Framework, Indicator


def minmax_basis(adjusted: float, indicator: Indicator) -> float:
    """Value on the scale the min–max normalisation stretches (log10 when asked).

    Values at or below a log indicator's low goalpost are held at it, as the goalpost
    normalisation does, so that zeros do not stretch the scale to minus infinity.
    """
    if indicator.log:
        return math.log10(max(adjusted, indicator.low))
    return adjusted


def score_matrices(framework: Framework, scores: list[CountryScore]) -> tuple[np.ndarray, ...]:
    """Countries x indicators matrices: goalpost scores and min–max scores (NaN = missing).

    The min–max range of an indicator is the range observed over every country with a
    value. Assessed indicators have no range to stretch: both normalisations use the rubric.
    """
    indicators = framework.indicators
    goal = np.full((len(scores), len(indicators)), np.nan)
    basis = np.full_like(goal, np.nan)
    for row, country in enumerate(scores):
        for col, indicator in enumerate(indicators):
            result = country.indicators.get(indicator.id)
            if result is None or result.score is None:
                continue
            goal[row, col] = result.score
            if not indicator.assessed:
                basis[row, col] = minmax_basis(result.adjusted, indicator)  # type: ignore[arg-type]
    minmax = _minmax(basis, indicators)
    assessed = np.array([i.assessed for i in indicators], dtype=bool)
    minmax[:, assessed] = goal[:, assessed]
    return goal, minmax


def _minmax(basis: np.ndarray, indicators: tuple[Indicator, ...]) -> np.ndarray:
    low = np.nanmin(basis, axis=0, initial=np.inf, where=~np.isnan(basis))
    high = np.nanmax(basis, axis=0, initial=-np.inf, where=~np.isnan(basis))
    span = np.where(high > low, high - low, 1.0)
    share = (basis - low) / span
    share = np.where(high > low, share, 0.5)  # a constant column says nothing: mid-scale
    reverse = np.array([not i.higher_is_better for i in indicators])
    share = np.where(reverse, 1.0 - share, share)
    return np.where(np.isnan(basis), np.nan, 100.0 * share)


@dataclass(frozen=True)
class Intervals:
    """Rank intervals of the composite, and of each pillar, by ISO code."""

    composite: dict[str, RankInterval]
    pillars: dict[str, dict[str, RankInterval]]


def rank_intervals(framework: Framework, scores: list[CountryScore]) -> dict[str, RankInterval]:
    """Median and 5th–95th percentile composite rank of each ranked country over the runs."""
    return analyse(framework, scores).composite


def analyse(framework: Framework, scores: list[CountryScore]) -> Intervals:
    """Composite and pillar rank intervals from one set of Monte Carlo runs.

    A pillar's interval ranks the countries that have that pillar's score at the nominal
    settings; the pillar scores move with the indicator weights and the normalisation.
    """
    if not scores:
        return Intervals({}, {p.id: {} for p in framework.pillars})
    goal, minmax = score_matrices(framework, scores)
    composites, pillars = simulate(framework, goal, minmax)
    ranked = [i for i, s in enumerate(scores) if s.composite is not None]
    composite = _intervals(scores, ranked, composites[:, ranked])
    by_pillar = {}
    for p, pillar in enumerate(framework.pillars):
        rows = [i for i, s in enumerate(scores) if s.pillars[pillar.id].score is not None]
        by_pillar[pillar.id] = _intervals(scores, rows, pillars[:, rows, p])
    return Intervals(composite, by_pillar)


def _intervals(
    scores: list[CountryScore], rows: list[int], values: np.ndarray
) -> dict[str, RankInterval]:
    if not rows:
        return {}
    low, median, high = rank_percentiles(values, (5, 50, 95))
    return {
        scores[i].iso3: RankInterval(int(median[k]), int(low[k]), int(high[k]))
        for k, i in enumerate(rows)
    }


def rank_percentiles(values: np.ndarray, percents: tuple[float, ...]) -> np.ndarray:
    """Percentiles (one row each) of every column's competition ranks over the runs:
    np.percentile(_competition_ranks(values), percents, axis=0, method="inverted_cdf").

    A rank is a whole number from 1 to the number of columns, so each column's ranks are
    counted (one histogram for all columns) instead of sorted: a percentile is then the
    first rank whose running count passes the position numpy's inverted CDF picks
    (n x q - 1, rounded up unless whole). The ranks are counted in the order each row's
    sort gives them, never put back in place.
    """
    runs, columns = values.shape
    order, ranks = _sorted_ranks(values)
    counts = np.bincount((order * (columns + 1) + ranks).ravel(), minlength=columns * (columns + 1))
    running = counts.reshape(columns, columns + 1).cumsum(axis=1)  # column x rank
    index = runs * (np.asarray(percents, dtype=float) / 100) - 1
    below = np.floor(index)
    picked = np.where(index - below == 0, below, below + 1).astype(np.intp)
    picked[picked < 0] = 0
    return (running[:, :, None] > picked).argmax(axis=1).T  # type: ignore[no-any-return]


def simulate_ranks(framework: Framework, goal: np.ndarray, minmax: np.ndarray) -> np.ndarray:
    """Composite ranks (runs x countries) under perturbed weights and methods."""
    return _competition_ranks(simulate(framework, goal, minmax)[0])


def simulate(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Composite (runs x countries) and pillar scores (runs x countries x pillars) per run.

    Countries missing a pillar get NaN there (and in the composite); callers rank only the
    countries that have the score at the nominal settings.
    """
    settings = framework.sensitivity
    rng = np.random.default_rng(settings.seed)
    runs, spread = settings.runs, settings.weight_spread
    indicators = framework.indicators
    pillar_ids = [p.id for p in framework.pillars]
    base_ind = np.array([i.weight for i in indicators])
    base_pil = np.array([p.weight for p in framework.pillars])
    # Draw everything up front, in a fixed order, so that results depend only on the seed.
    ind_w = base_ind * rng.uniform(1 - spread, 1 + spread, size=(runs, len(indicators)))
    pil_w = base_pil * rng.uniform(1 - spread, 1 + spread, size=(runs, len(pillar_ids)))
    norm_pick = rng.integers(0, len(settings.normalisations), size=runs)
    agg_pick = rng.integers(0, len(settings.aggregations), size=runs)

    members = [
        np.array([n for n, i in enumerate(indicators) if i.pillar == p], dtype=np.intp)
        for p in pillar_ids
    ]
    composites = np.empty((runs, goal.shape[0]))
    pillars = np.empty((runs, goal.shape[0], len(pillar_ids)))
    with np.errstate(invalid="ignore", divide="ignore"):  # a pillar with no data gives NaN
        for n, name in enumerate(settings.normalisations):
            rows = np.flatnonzero(norm_pick == n)
            if rows.size == 0:
                continue
            matrix = goal if name == "goalposts" else minmax
            pillars[rows] = _pillar_scores(matrix, ind_w[rows], members)
            for a, aggregation in enumerate(settings.aggregations):
                picked = rows[agg_pick[rows] == a]
                composites[picked] = _aggregate(pillars[picked], pil_w[picked], aggregation)
    return composites, pillars


def _pillar_scores(
    matrix: np.ndarray, weights: np.ndarray, members: list[np.ndarray]
) -> np.ndarray:
    """Pillar scores (runs x countries x pillars): for each pillar, the weighted mean of
    the scores of its indicators a country has, under each run's weights.

    `members`: each pillar's indicators (column numbers). One matrix product per pillar
    for all runs, (runs x its indicators) @ (its indicators x countries), three times
    faster than one product per run over every indicator with the others' weights zeroed.
    """
    present = ~np.isnan(matrix)
    filled = np.where(present, matrix, 0.0)
    counted = present.astype(float)
    scores = np.empty((weights.shape[0], matrix.shape[0], len(members)))
    for p, columns in enumerate(members):
        pillar_weights = weights[:, columns]
        numerator = pillar_weights @ filled[:, columns].T
        scores[:, :, p] = numerator / (pillar_weights @ counted[:, columns].T)
    return scores


def _aggregate(pillars: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    shares = weights / weights.sum(axis=1, keepdims=True)  # runs x pillars
    if aggregation == "arithmetic":
        return np.einsum("rcp,rp->rc", pillars, shares)
    return np.prod(np.maximum(pillars, GEOMETRIC_FLOOR) ** shares[:, None, :], axis=2)


def _competition_ranks(values: np.ndarray) -> np.ndarray:
    """Per row: 1 + number of strictly greater values (ties share the best rank)."""
    order, ranks = _sorted_ranks(values)
    placed = np.empty_like(ranks)
    np.put_along_axis(placed, order, ranks, axis=1)
    return placed


def _sorted_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns from the highest value to the lowest, and their competition
    ranks in that order.

    All rows at once: sort each row from the highest; a value's rank is 1 + the position
    where its run of equal values starts (positions carried forward over the ties).
    """
    rounded = np.round(values, TIE_DECIMALS)  # ties as in the published ranks
    order = np.argsort(-rounded, axis=1)  # ties need not keep their order: they share a rank
    ordered = np.take_along_axis(rounded, order, axis=1)
    starts = np.empty(values.shape, dtype=bool)
    starts[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    ranks = np.where(starts, np.arange(1, values.shape[1] + 1), 0)
    np.maximum.accumulate(ranks, axis=1, out=ranks)
    return order, ranks
