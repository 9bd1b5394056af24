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
import os
from collections.abc import Iterator
from dataclasses import dataclass

from .compute import GEOMETRIC_FLOOR, TIE_DECIMALS, CountryScore, RankInterval
from .model import Framework, Indicator

# One thread for numpy's linear algebra, unless the environment says otherwise (read when
# numpy is first loaded). The runs' matrix products are small, and a build keeps both
# processors busy with two processes already: OpenBLAS's own worker thread only competed
# with the other process (it spun for as much processor time as the runs took, 0.05 s at
# 200 countries, without making them quicker).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402


def minmax_basis(adjusted: float, indicator: Indicator) -> float:
    """Value on the scale the min–max normalisation stretches (log10 when asked).

    Values at or below a log indicator's low goalpost are held at it, as the goalpost
    normalisation does, so that zeros do not stretch the scale to minus infinity.
    """
    if indicator.log:
        return math.log10(max(adjusted, indicator.low))
    return adjusted


Rows = tuple[list[float], list[float]]  # a country's goalpost scores and min–max basis


def score_matrices(
    framework: Framework,
    scores: list[CountryScore],
    known: dict[int, tuple[CountryScore, Rows]] | None = None,
) -> tuple[np.ndarray, ...]:
    """Countries x indicators matrices: goalpost scores and min–max scores (NaN = missing).

    The min–max range of an indicator is the range observed over every country with a
    value. Assessed indicators have no range to stretch: both normalisations use the rubric.
    `known`: each country's rows as made before (by id, with the scores they were made
    of), taken where a country's scores are that very object, and left holding exactly
    the rows of `scores` (Kept's, for this framework).
    """
    indicators = framework.indicators
    stretched = [i for i in indicators if not i.assessed]  # the min–max basis of each
    goal_rows, basis_rows = [], []
    made: dict[int, tuple[CountryScore, Rows]] = {}
    for country in scores:
        found = known.get(id(country)) if known is not None else None
        if found is None or found[0] is not country:
            found = (country, _rows(indicators, stretched, country))
        made[id(country)] = found
        goal_rows.append(found[1][0])
        basis_rows.append(found[1][1])
    if known is not None:
        known.clear()
        known.update(made)
    goal = np.array(goal_rows, dtype=float).reshape(len(scores), len(indicators))
    assessed = np.array([i.assessed for i in indicators], dtype=bool)
    basis = np.full_like(goal, math.nan)
    basis[:, ~assessed] = np.array(basis_rows, dtype=float).reshape(len(scores), len(stretched))
    minmax = _minmax(basis, indicators)
    minmax[:, assessed] = goal[:, assessed]
    return goal, minmax


def _rows(
    indicators: tuple[Indicator, ...], stretched: list[Indicator], country: CountryScore
) -> Rows:
    found, nan = country.indicators, math.nan
    return (
        [nan if (r := found.get(i.id)) is None or r.score is None else r.score for i in indicators],
        [
            nan
            if (r := found.get(i.id)) is None or r.score is None
            else minmax_basis(r.adjusted, i)  # type: ignore[arg-type]
            for i in stretched
        ],
    )


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


PERCENTS = (5, 50, 95)  # an interval: its low end, median and high end


def analyse(
    framework: Framework, scores: list[CountryScore], kept: Kept | None = None
) -> Intervals:
    """Composite and pillar rank intervals from one set of Monte Carlo runs.

    A pillar's interval ranks the countries that have that pillar's score at the nominal
    settings; the pillar scores move with the indicator weights and the normalisation.
    The runs are made RUNS_AT_ONCE at a time and only their ranks are kept (counted), so
    that their arrays stay small: a few megabytes instead of ~100 at 1,000 countries.

    With `kept` (for a process that analyses again after every edit: serve), every run is
    kept with its ranks, and only the countries whose scores changed are ranked again
    (see Kept). The intervals are the same either way.
    """
    if not scores:
        return Intervals({}, {p.id: {} for p in framework.pillars})
    goal, minmax = score_matrices(framework, scores, kept.rows_of(framework) if kept else None)
    rows = [  # the countries each ranking ranks: the composite's, then each pillar's
        [i for i, s in enumerate(scores) if s.composite is not None],
        *(
            [i for i, s in enumerate(scores) if s.pillars[pillar.id].score is not None]
            for pillar in framework.pillars
        ),
    ]
    if kept is None:
        percentiles = _counted(framework, goal, minmax, rows)
    else:
        percentiles = kept.percentiles(framework, [s.iso3 for s in scores], goal, minmax, rows)
    composite, *pillars = (
        _intervals(scores, each, found) for each, found in zip(rows, percentiles, strict=True)
    )
    return Intervals(
        composite, {pillar.id: pillars[p] for p, pillar in enumerate(framework.pillars)}
    )


def _counted(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray, rows: list[list[int]]
) -> list[np.ndarray]:
    """The PERCENTS of each ranking's ranks (analyse's `rows`), block by block."""
    counts = [RankCounts(len(each)) for each in rows]
    for composites, pillars in simulate_blocks(framework, goal, minmax):
        counts[0].add(composites[:, rows[0]])
        for p, each in enumerate(rows[1:]):
            counts[p + 1].add(pillars[p][:, each])
    return [each.percentiles(PERCENTS) for each in counts]


def _intervals(
    scores: list[CountryScore], rows: list[int], percentiles: np.ndarray
) -> dict[str, RankInterval]:
    low, median, high = percentiles
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
        order, ranks = _sorted_ranks(np.round(values, TIE_DECIMALS))
        pairs = order * (self.columns + 1) + ranks
        self._pairs.append(pairs.astype(self._type, copy=False).ravel())
        self.runs += values.shape[0]

    def percentiles(self, percents: tuple[float, ...]) -> np.ndarray:
        """Each column's rank percentiles (one row per percent), as numpy's inverted CDF
        picks them (np.percentile(..., method="inverted_cdf")) from all the ranks kept:
        the first rank whose running count passes the position n x q - 1, rounded up
        unless whole."""
        picked = _positions(self.runs, percents)
        size = self.columns * (self.columns + 1)
        pairs = np.concatenate(self._pairs) if self._pairs else np.zeros(0, self._type)
        counts = np.bincount(pairs, minlength=size)
        running = counts.reshape(self.columns, self.columns + 1).cumsum(axis=1)
        return (running[:, :, None] > picked).argmax(axis=1).T  # type: ignore[no-any-return]


def _positions(runs: int, percents: tuple[float, ...]) -> np.ndarray:
    """Where each percentile of `runs` sorted ranks is, as numpy's inverted CDF picks it
    (np.percentile(..., method="inverted_cdf")): the position n x q - 1, rounded up
    unless whole."""
    index = runs * (np.asarray(percents, dtype=float) / 100) - 1
    below = np.floor(index)
    picked = np.where(index - below == 0, below, below + 1).astype(np.intp)
    picked[picked < 0] = 0
    return picked


class Kept:
    """Every run of the last analysis and its ranks, kept for the next one (analyse).

    An edit changes one country's file, and so, in most runs, only that country's
    scores: its ranks are counted again, and every other country's rank moves by one in
    the runs where the edited country passed it or fell behind it, instead of sorting
    every run again (~45 ms at 200 countries, and a forked child to run them in). The
    runs are still all made; every score that changed is found, whatever changed it (a
    min-max range that moved changes every country's: then all are ranked afresh).

    Holds the runs' rounded scores (twice: the last ones and the array the next ones are
    written to) and their ranks: ~25 MB at 200 countries, ~120 MB at 1,000.
    """

    def __init__(self) -> None:
        self._basis: tuple[Framework, list[str]] | None = None  # what the runs were of
        self._rankings: list[_Ranking] = []
        # The rankings' rounded scores, and the array the next ones are written to: new
        # memory of that size (~10 MB at 200 countries) took longer to fill than reused.
        self._values: np.ndarray | None = None
        self._spare: np.ndarray | None = None
        self._rows: tuple[Framework | None, dict[int, tuple[CountryScore, Rows]]] = (None, {})

    def rows_of(self, framework: Framework) -> dict[int, tuple[CountryScore, Rows]]:
        """The countries' rows of the last score matrices (score_matrices' `known`), if
        they were of this framework."""
        if self._rows[0] != framework:
            self._rows = (framework, {})
        return self._rows[1]

    def percentiles(
        self,
        framework: Framework,
        countries: list[str],
        goal: np.ndarray,
        minmax: np.ndarray,
        rows: list[list[int]],
    ) -> list[np.ndarray]:
        """The PERCENTS of each ranking's ranks (see analyse), keeping the rankings."""
        shape = (len(rows), framework.sensitivity.runs, len(countries))
        values = self._spare if self._spare is not None and self._spare.shape == shape else None
        if values is None:
            values = np.empty(shape)
        first = 0
        for composites, pillars in simulate_blocks(framework, goal, minmax):
            block = slice(first, first + len(composites))
            np.round(composites, TIE_DECIMALS, out=values[0, block])  # ties as ranks see them
            np.round(pillars, TIE_DECIMALS, out=values[1:, block])
            first = block.stop
        basis = (framework, countries)
        previous: list[_Ranking | None] = [None] * len(rows)
        if basis == self._basis:  # the same draws (the framework's) of the same countries
            previous = list(self._rankings)
        rankings = [
            _Ranking.of(each, ranked, before)
            for each, ranked, before in zip(values, rows, previous, strict=True)
        ]
        self._basis, self._rankings = basis, rankings  # which hold `values`, not the last
        self._values, self._spare = values, self._values
        return [ranking.percentiles[:, ranking.ranked] for ranking in rankings]


RERANK_LIMIT = 8  # countries with changed scores up to which a ranking is updated, not remade


@dataclass(frozen=True)
class _Ranking:
    """The competition ranks of one score (the composite, or a pillar) in every run, and
    each country's rank PERCENTS."""

    values: np.ndarray  # runs x countries, rounded to TIE_DECIMALS; NaN: not ranked
    ranks: np.ndarray  # runs x countries; 0 for a country not ranked
    ranked: np.ndarray  # bool, by country
    percentiles: np.ndarray  # PERCENTS x countries (0 for a country not ranked)

    @classmethod
    def of(cls, rounded: np.ndarray, rows: list[int], previous: _Ranking | None) -> _Ranking:
        """The ranking of `rounded` (runs x countries, rounded to TIE_DECIMALS; changed
        here) among the countries of `rows`: `previous` updated where few countries
        changed, or made afresh."""
        ranked = np.zeros(rounded.shape[1], dtype=bool)
        ranked[rows] = True
        rounded[:, ~ranked] = np.nan
        if previous is not None:
            changed = previous._changed(rounded, ranked)
            if changed.size == 0:  # the same ranks, kept with the scores in `rounded`
                return cls(rounded, previous.ranks, ranked, previous.percentiles)
            if changed.size <= RERANK_LIMIT:
                return previous._updated(rounded, ranked, changed)
        ranks = np.zeros(rounded.shape, dtype=np.int32)
        if rows:
            ranks[:, ranked] = _placed_ranks(rounded[:, ranked])
        percentiles = np.zeros((len(PERCENTS), rounded.shape[1]), dtype=np.int32)
        percentiles[:, ranked] = _sorted_percentiles(ranks[:, ranked])
        return cls(rounded, ranks, ranked, percentiles)

    def _changed(self, rounded: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """The countries ranked here or there whose scores differ in some run."""
        differs = (self.values != rounded).any(axis=0) & self.ranked & ranked  # NaN != NaN
        return np.flatnonzero(differs | (self.ranked != ranked))

    def _updated(self, rounded: np.ndarray, ranked: np.ndarray, changed: np.ndarray) -> _Ranking:
        """These ranks with the `changed` countries' scores replaced by `rounded`'s.

        A country that did not change has 1 + the number of countries above it: each
        changed country no longer counts where it was above it, and counts where it now
        is. A changed country's rank is counted afresh. Percentiles are found again only
        for the countries whose rank changed in some run.
        """
        ranks = self.ranks.copy()
        for k in changed:
            if self.ranked[k]:
                ranks -= self.values[:, k, None] > rounded
            if ranked[k]:
                ranks += rounded[:, k, None] > rounded
        for k in changed[ranked[changed]]:
            ranks[:, k] = 1 + (rounded > rounded[:, k, None]).sum(axis=1)  # NaN: above no one
        ranks[:, ~ranked] = 0
        moved = ranked & (ranks != self.ranks).any(axis=0)
        percentiles = self.percentiles.copy()
        percentiles[:, ~ranked] = 0
        percentiles[:, moved] = _sorted_percentiles(ranks[:, moved])
        return _Ranking(rounded, ranks, ranked, percentiles)


def _sorted_percentiles(ranks: np.ndarray) -> np.ndarray:
    """The PERCENTS of each column's ranks (runs x countries), as RankCounts finds them."""
    ordered = np.sort(ranks.T, axis=1)  # a row by country
    return ordered[:, _positions(ranks.shape[0], PERCENTS)].T


RUNS_AT_ONCE = 100  # runs simulated and ranked together (see analyse)


def simulate_blocks(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The runs, RUNS_AT_ONCE at a time: composite (runs x countries) and pillar scores
    (pillars x runs x countries: one pillar's scores are contiguous) of each.

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
        pillars = np.empty((len(pillar_ids), len(picks), goal.shape[0]))
        with np.errstate(invalid="ignore", divide="ignore"):  # a pillar with no data: NaN
            for n, name in enumerate(settings.normalisations):
                rows = np.flatnonzero(picks == n)
                if rows.size == 0:
                    continue
                matrix = goal if name == "goalposts" else minmax
                pillars[:, rows] = _pillar_scores(matrix, ind_w[block][rows], members)
                for a, aggregation in enumerate(settings.aggregations):
                    picked = rows[aggregations[rows] == a]
                    composites[picked] = _aggregate(
                        pillars[:, picked], pil_w[block][picked], aggregation
                    )
        yield composites, pillars


def _pillar_scores(
    matrix: np.ndarray, weights: np.ndarray, members: list[np.ndarray]
) -> np.ndarray:
    """Pillar scores (pillars x runs x countries): for each pillar, the weighted mean of
    the scores of its indicators a country has, under each run's weights.

    `members`: each pillar's indicators (column numbers). One matrix product per pillar
    for all runs, (runs x its indicators) @ (its indicators x countries), three times
    faster than one product per run over every indicator with the others' weights zeroed.
    """
    present = ~np.isnan(matrix)
    filled = np.where(present, matrix, 0.0)
    counted = present.astype(float)
    scores = np.empty((len(members), weights.shape[0], matrix.shape[0]))
    for p, columns in enumerate(members):
        pillar_weights = weights[:, columns]
        numerator = pillar_weights @ filled[:, columns].T
        np.divide(numerator, pillar_weights @ counted[:, columns].T, out=scores[p])
    return scores


def _aggregate(pillars: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """Composites (runs x countries) of pillar scores (pillars x runs x countries) under
    each run's pillar weights (runs x pillars)."""
    shares = (weights / weights.sum(axis=1, keepdims=True)).T  # pillars x runs
    if aggregation == "arithmetic":
        return np.einsum("prc,pr->rc", pillars, shares)
    return np.prod(np.maximum(pillars, GEOMETRIC_FLOOR) ** shares[:, :, None], axis=0)


def _placed_ranks(rounded: np.ndarray) -> np.ndarray:
    """Per row of `rounded` (values rounded to TIE_DECIMALS, as the published ranks
    compare them): 1 + the number of strictly greater values (ties share the best rank)."""
    order, ranks = _sorted_ranks(rounded)
    placed = np.empty_like(ranks)
    np.put_along_axis(placed, order, ranks, axis=1)
    return placed


def _sorted_ranks(rounded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns from the highest value to the lowest, and their competition
    ranks in that order. `rounded`: values rounded to TIE_DECIMALS (ties as in the
    published ranks).

    All rows at once: sort each row from the highest; a value's rank is 1 + the position
    where its run of equal values starts (positions carried forward over the ties).
    """
    order = np.argsort(-rounded, axis=1)  # ties need not keep their order: they share a rank
    ordered = np.take_along_axis(rounded, order, axis=1)
    starts = np.empty(rounded.shape, dtype=bool)
    starts[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    ranks = np.where(starts, np.arange(1, rounded.shape[1] + 1), 0)
    np.maximum.accumulate(ranks, axis=1, out=ranks)
    return order, ranks
