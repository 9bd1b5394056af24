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
from collections.abc import Iterator
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
    The runs are made RUNS_AT_ONCE at a time and only their ranks are kept (counted), so
    that their arrays stay small: a few megabytes instead of ~100 at 1,000 countries.
    """
    if not scores:
        return Intervals({}, {p.id: {} for p in framework.pillars})
    goal, minmax = score_matrices(framework, scores)
    ranked = [i for i, s in enumerate(scores) if s.composite is not None]
    rows = [
        [i for i, s in enumerate(scores) if s.pillars[pillar.id].score is not None]
        for pillar in framework.pillars
    ]
    composite = RankCounts(len(ranked))
    by_pillar = [RankCounts(len(each)) for each in rows]
    for composites, pillars in simulate_blocks(framework, goal, minmax):
        composite.add(composites[:, ranked])
        for p, each in enumerate(rows):
            by_pillar[p].add(pillars[:, each, p])
    return Intervals(
        _intervals(scores, ranked, composite),
        {
            pillar.id: _intervals(scores, rows[p], by_pillar[p])
            for p, pillar in enumerate(framework.pillars)
        },
    )


def _intervals(
    scores: list[CountryScore], rows: list[int], counts: RankCounts
) -> dict[str, RankInterval]:
    if not rows:
        return {}
    low, median, high = counts.percentiles((5, 50, 95))
    return {
        scores[i].iso3: RankInterval(int(median[k]), int(low[k]), int(high[k]))
        for k, i in enumerate(rows)
    }


class RankCounts:
    """The competition ranks each of `columns` countries took over the runs added, kept
    as (column, rank) pairs and counted when percentiles are asked for: all a rank
    percentile needs. One count for all the runs: counting block by block would clear
    columns x (columns + 1) counters for every block (80 ms of the runs at 1,000
    countries)."""

    def __init__(self, columns: int):
        self.columns, self.runs = columns, 0
        self._pairs: list[np.ndarray] = []  # column x (columns + 1) + rank, run by run
        self._type = np.int32 if columns * (columns + 1) < 2**31 else np.int64

    def add(self, values: np.ndarray) -> None:
        """Keep the competition ranks of each row (a run) of `values` (runs x columns), in
        the order each row's sort gives them, never put back in place."""
        if values.shape[1] != self.columns:
            raise ValueError(f"{values.shape[1]} columns, expected {self.columns}")
        order, ranks = _sorted_ranks(values)
        pairs = order * (self.columns + 1) + ranks
        self._pairs.append(pairs.astype(self._type, copy=False).ravel())
        self.runs += values.shape[0]

    def percentiles(self, percents: tuple[float, ...]) -> np.ndarray:
        """Each column's rank percentiles (one row per percent), as numpy's inverted CDF
        picks them (np.percentile(..., method="inverted_cdf")) from all the ranks kept:
        the first rank whose running count passes the position n x q - 1, rounded up
        unless whole."""
        index = self.runs * (np.asarray(percents, dtype=float) / 100) - 1
        below = np.floor(index)
        picked = np.where(index - below == 0, below, below + 1).astype(np.intp)
        picked[picked < 0] = 0
        size = self.columns * (self.columns + 1)
        pairs = np.concatenate(self._pairs) if self._pairs else np.zeros(0, self._type)
        counts = np.bincount(pairs, minlength=size)
        running = counts.reshape(self.columns, self.columns + 1).cumsum(axis=1)
        return (running[:, :, None] > picked).argmax(axis=1).T  # type: ignore[no-any-return]


def rank_percentiles(values: np.ndarray, percents: tuple[float, ...]) -> np.ndarray:
    """Percentiles (one row each) of every column's competition ranks over the runs:
    np.percentile(_competition_ranks(values), percents, axis=0, method="inverted_cdf"),
    from their counts (RankCounts), not a sort of them."""
    counts = RankCounts(values.shape[1])
    counts.add(values)
    return counts.percentiles(percents)


def simulate_ranks(framework: Framework, goal: np.ndarray, minmax: np.ndarray) -> np.ndarray:
    """Composite ranks (runs x countries) under perturbed weights and methods."""
    return _competition_ranks(simulate(framework, goal, minmax)[0])


def simulate(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Composite (runs x countries) and pillar scores (runs x countries x pillars) per run:
    every block of simulate_blocks, in order."""
    blocks = list(simulate_blocks(framework, goal, minmax))
    return np.concatenate([c for c, _ in blocks]), np.concatenate([p for _, p in blocks])


RUNS_AT_ONCE = 100  # runs simulated and ranked together (see analyse)


def simulate_blocks(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The runs, RUNS_AT_ONCE at a time: composite (runs x countries) and pillar scores
    (runs x countries x pillars) of each.

    Countries missing a pillar get NaN there (and in the composite); callers rank only the
    countries that have the score at the nominal settings. Every draw is made up front, in
    a fixed order, so the runs depend only on the seed, whatever the size of a block.
    """
    settings = framework.sensitivity
    rng = np.random.default_rng(settings.seed)
    runs, spread = settings.runs, settings.weight_spread
    indicators = framework.indicators
    pillar_ids = [p.id for p in framework.pillars]
    base_ind = np.array([i.weight for i in indicators])
    base_pil = np.array([p.weight for p in framework.pillars])
    ind_w = base_ind * rng.uniform(1 - spread, 1 + spread, size=(runs, len(indicators)))
    pil_w = base_pil * rng.uniform(1 - spread, 1 + spread, size=(runs, len(pillar_ids)))
    norm_pick = rng.integers(0, len(settings.normalisations), size=runs)
    agg_pick = rng.integers(0, len(settings.aggregations), size=runs)

    members = [
        np.array([n for n, i in enumerate(indicators) if i.pillar == p], dtype=np.intp)
        for p in pillar_ids
    ]
    for first in range(0, runs, RUNS_AT_ONCE):
        block = slice(first, min(first + RUNS_AT_ONCE, runs))
        picks, aggregations = norm_pick[block], agg_pick[block]
        composites = np.empty((len(picks), goal.shape[0]))
        pillars = np.empty((len(picks), goal.shape[0], len(pillar_ids)))
        with np.errstate(invalid="ignore", divide="ignore"):  # a pillar with no data: NaN
            for n, name in enumerate(settings.normalisations):
                rows = np.flatnonzero(picks == n)
                if rows.size == 0:
                    continue
                matrix = goal if name == "goalposts" else minmax
                pillars[rows] = _pillar_scores(matrix, ind_w[block][rows], members)
                for a, aggregation in enumerate(settings.aggregations):
                    picked = rows[aggregations[rows] == a]
                    composites[picked] = _aggregate(
                        pillars[picked], pil_w[block][picked], aggregation
                    )
        yield composites, pillars


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
