"""Monte Carlo rank intervals: seeded, valid, and equal to the table when nothing varies."""

from __future__ import annotations

from dataclasses import replace
from math import log10

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import generate
from scorecard import sensitivity
from scorecard.compute import TIE_DECIMALS, score_dataset
from scorecard.model import Dataset, Framework, Sensitivity
from scorecard.sensitivity import (
    RankCounts,
    RankInterval,
    analyse,
    rank_intervals,
    score_matrices,
)
from scorecard.validate import load_dataset

from .conftest import with_observation, without
from .test_compute import SMALL, _observation_fields, datasets

# The runs and ranks whole, as the tests read them (the build never holds every run:
# sensitivity.analyse counts ranks block by block).


def _competition_ranks(values: np.ndarray) -> np.ndarray:
    """Per row: 1 + number of strictly greater values (ties share the best rank)."""
    return sensitivity._placed_ranks(np.round(values, TIE_DECIMALS))


def rank_percentiles(values: np.ndarray, percents: tuple[float, ...]) -> np.ndarray:
    """Percentiles (one row each) of every column's competition ranks over the runs,
    from their counts (RankCounts)."""
    counts = RankCounts(values.shape[1])
    counts.add(values)
    return counts.percentiles(percents)


def simulate(
    framework: Framework, goal: np.ndarray, minmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Composite (runs x countries) and pillar scores (pillars x runs x countries) per
    run: every block of simulate_blocks, in order."""
    blocks = list(sensitivity.simulate_blocks(framework, goal, minmax))
    composites = np.concatenate([c for c, _ in blocks])
    return composites, np.concatenate([p for _, p in blocks], axis=1)


def simulate_ranks(framework: Framework, goal: np.ndarray, minmax: np.ndarray) -> np.ndarray:
    """Composite ranks (runs x countries) under perturbed weights and methods."""
    return _competition_ranks(simulate(framework, goal, minmax)[0])


def with_settings(dataset: Dataset, **changes: object) -> Dataset:
    framework = dataset.framework
    settings = replace(framework.sensitivity, **changes)
    return replace(dataset, framework=replace(framework, sensitivity=settings))


def intervals(dataset: Dataset) -> dict[str, RankInterval]:
    return rank_intervals(dataset.framework, score_dataset(dataset))


def test_the_fixture_s_settings_are_the_ones_written(small):
    assert small.framework.sensitivity == Sensitivity(
        runs=200,
        seed=7,
        weight_spread=0.25,
        normalisations=("goalposts", "minmax"),
        aggregations=("arithmetic", "geometric"),
    )


@pytest.fixture
def close(small) -> Dataset:
    """ITA as DEU, but stronger in compute and weaker in governance.

    Which of the two comes second depends on the weights and methods drawn, so the rank
    draws depend on the seed.
    """
    germany = small.country("DEU")
    italy = replace(germany, iso3="ITA", name="Italy", path="indicators/countries/ITA.yaml")
    close = replace(small, countries=(germany, small.country("FRA"), italy))
    close = with_observation(close, "ITA", "supercomputers", value=100)
    return with_observation(close, "ITA", "open_data", value=30)


def draws(dataset: Dataset, seed: int) -> np.ndarray:
    framework = with_settings(dataset, seed=seed).framework
    scores = score_dataset(dataset)
    return simulate_ranks(framework, *score_matrices(framework, scores))


def test_the_same_seed_gives_the_same_draws(close):
    assert np.array_equal(draws(close, 7), draws(close, 7))
    assert intervals(close) == intervals(close)


def test_a_different_seed_gives_other_draws(close):
    assert not np.array_equal(draws(close, 7), draws(close, 8))
    # DEU and ITA swap places in some runs: their intervals span ranks 2 and 3.
    assert intervals(close) == {
        "FRA": RankInterval(1, 1, 1),
        "DEU": RankInterval(2, 2, 3),
        "ITA": RankInterval(3, 2, 3),
    }


def test_a_different_seed_still_gives_valid_intervals(small, close):
    for dataset in (small, close):
        for seed in (0, 8, 123456789):
            result = intervals(with_settings(dataset, seed=seed))
            assert sorted(result) == ["DEU", "FRA", "ITA"]
            for interval in result.values():
                assert 1 <= interval.low <= interval.median <= interval.high <= 3


@pytest.mark.parametrize("at_once", [1, 7, 199, 200, 10_000])
def test_the_intervals_do_not_depend_on_how_many_runs_are_made_at_once(close, monkeypatch, at_once):
    # The fixture's 200 runs in blocks of one, of 7 (the last one shorter), or all at once.
    framework = close.framework
    scores = score_dataset(close)
    expected = analyse(framework, scores)
    goal, minmax = score_matrices(framework, scores)
    whole = simulate(framework, goal, minmax)
    monkeypatch.setattr(sensitivity, "RUNS_AT_ONCE", at_once)
    assert analyse(framework, scores) == expected
    blocks = list(sensitivity.simulate_blocks(framework, goal, minmax))
    assert len(blocks) == -(-200 // at_once)
    composites, pillars = zip(*blocks, strict=True)  # runs are axis 0, then axis 1
    assert np.array_equal(whole[0], np.concatenate(composites), equal_nan=True)
    assert np.array_equal(whole[1], np.concatenate(pillars, axis=1), equal_nan=True)
    assert whole[1].shape == (len(framework.pillars), 200, len(scores))


def test_rank_counts_add_up_blocks_of_runs():
    values = np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0], [2.0, 2.0, 1.0], [1.0, 3.0, 2.0]])
    counts = RankCounts(3)
    counts.add(values[:1])
    counts.add(values[1:])
    # Ranks run by run: 1 2 3, 3 2 1, 1 1 3 (a tie), 3 1 2. The percentiles are the 1st,
    # 2nd and 4th smallest of each country's four (n x q - 1 = -0.8, 1, 2.8, rounded up).
    assert (
        counts.percentiles((5, 50, 95)).tolist() == rank_percentiles(values, (5, 50, 95)).tolist()
    )
    assert counts.percentiles((5, 50, 95)).tolist() == [[1, 1, 1], [1, 1, 2], [3, 2, 3]]
    with pytest.raises(ValueError, match="2 columns, expected 3"):
        counts.add(values[:, :2])


@given(datasets(SMALL), st.integers(0, 2**32))
def test_intervals_are_ordered_and_within_the_ranked_countries(dataset, seed):
    dataset = with_settings(dataset, seed=seed, runs=50)
    scores = score_dataset(dataset)
    result = rank_intervals(dataset.framework, scores)
    ranked = {s.iso3 for s in scores if s.rank is not None}
    assert set(result) == ranked
    for interval in result.values():
        assert 1 <= interval.low <= interval.median <= interval.high <= len(ranked)


def test_a_country_far_ahead_is_first_in_every_run(small):
    # FRA at the top goalpost of every indicator (and above the others on the observed range).
    leader = small
    for indicator, fields in {
        "supercomputers": {"value": 1000},
        "foreign_cloud": {"value": 0},
        "developers": {"value": 1_000_000},  # 20 000 per million: clipped to 100
        "internet_users": {"value": 100},
        "privacy_law": {"level": "legislation"},
        "open_data": {"value": 100},
    }.items():
        leader = with_observation(leader, "FRA", indicator, **fields)
    assert intervals(leader)["FRA"] == RankInterval(median=1, low=1, high=1)


def test_unranked_countries_get_no_interval(small):
    # Without internet_users and developers ITA has no talent score, so no composite.
    dataset = without(without(small, "ITA", "internet_users"), "ITA", "developers")
    result = intervals(dataset)
    assert sorted(result) == ["DEU", "FRA"]
    for interval in result.values():
        assert 1 <= interval.low <= interval.median <= interval.high <= 2


def test_no_interval_when_no_country_is_ranked(small):
    dataset = small
    for country in small.countries:
        dataset = without(dataset, country.iso3, "internet_users")
        dataset = without(dataset, country.iso3, "developers")
    assert intervals(dataset) == {}


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
def test_with_nothing_varying_every_run_gives_the_table_s_rank(small, aggregation):
    dataset = with_settings(
        small, weight_spread=0.0, normalisations=("goalposts",), aggregations=(aggregation,)
    )
    scores = score_dataset(dataset, aggregation)
    result = rank_intervals(dataset.framework, scores)
    assert result == {s.iso3: RankInterval(s.rank, s.rank, s.rank) for s in scores}


def test_with_nothing_varying_tied_countries_share_their_rank(small):
    germany = small.country("DEU")
    spain = replace(germany, iso3="ESP", name="Spain", path="indicators/countries/ESP.yaml")
    dataset = with_settings(
        replace(small, countries=(*small.countries, spain)),
        weight_spread=0.0,
        normalisations=("goalposts",),
        aggregations=("arithmetic",),
    )
    result = intervals(dataset)
    assert {k: v.median for k, v in result.items()} == {"FRA": 1, "DEU": 2, "ESP": 2, "ITA": 4}


def test_goalpost_and_minmax_matrices_by_hand(small):
    scores = score_dataset(small)  # rows: DEU, FRA, ITA (by ISO code)
    goal, minmax = score_matrices(small.framework, scores)
    nan = float("nan")
    # columns: supercomputers, foreign_cloud, developers, internet_users, privacy_law, open_data
    expected_goal = [
        [100 * log10(30) / 3, 50, 100, 60, 100, 50],
        [100, 80, 50, 90, 100, 70],
        [0, 0, nan, 80, 50, 40],
    ]
    # Min–max over the observed values: log10 for the log indicator (ITA's 0 held at the low
    # goalpost 1, i.e. log10 1 = 0), reversed for foreign_cloud; the assessed privacy_law keeps
    # its rubric scores in both normalisations.
    expected_minmax = [
        [
            100 * log10(30) / log10(5000),
            100 * (1 - (25 - 10) / (60 - 10)),
            100,
            0,
            100,
            100 * (50 - 40) / (70 - 40),
        ],
        [100, 100, 0, 100, 100, 100],
        [0, 0, nan, 100 * (80 - 60) / (90 - 60), 50, 0],  # privacy_law: the rubric's 50
    ]
    np.testing.assert_allclose(goal, expected_goal)
    np.testing.assert_allclose(minmax, expected_minmax)


def test_a_constant_column_sits_mid_scale_in_minmax(small):
    dataset = small
    for country in small.countries:
        dataset = with_observation(dataset, country.iso3, "open_data", value=55)
    _, minmax = score_matrices(dataset.framework, score_dataset(dataset))
    assert list(minmax[:, 5]) == [50, 50, 50]


def test_the_geometric_floor_applies_in_the_simulation_too(small):
    # ITA: compute 0 (counted as 1), talent 80, governance 100 -> 1 ** .25 * 80 ** .25 * 100 ** .5
    # DEU: every pillar near 20. Without the floor ITA would be last in every run.
    dataset = with_observation(small, "ITA", "privacy_law", level="legislation")
    dataset = with_observation(dataset, "ITA", "open_data", value=100)
    for indicator, value in {
        "supercomputers": 10**0.6,
        "foreign_cloud": 40,
        "developers": 160_000,  # 2000 per million of 80 million
        "internet_users": 20,
        "open_data": 0,
    }.items():
        dataset = with_observation(dataset, "DEU", indicator, value=value)
    dataset = with_observation(dataset, "DEU", "privacy_law", level="draft")
    scores = {s.iso3: s for s in score_dataset(dataset, "geometric")}
    assert scores["ITA"].composite == pytest.approx(80**0.25 * 100**0.5)
    assert scores["DEU"].composite == pytest.approx(20**0.25 * 20**0.25 * 25**0.5)
    fixed = with_settings(
        dataset, weight_spread=0.0, normalisations=("goalposts",), aggregations=("geometric",)
    )
    assert intervals(fixed) == {
        "FRA": RankInterval(1, 1, 1),
        "ITA": RankInterval(2, 2, 2),
        "DEU": RankInterval(3, 3, 3),
    }


def test_pillar_intervals_rank_the_countries_with_that_pillar(small):
    scores = score_dataset(small)
    result = analyse(small.framework, scores)
    assert result.composite == rank_intervals(small.framework, scores)
    for pillar in small.framework.pillars:
        scored = {s.iso3 for s in scores if s.pillars[pillar.id].score is not None}
        assert set(result.pillars[pillar.id]) == scored
        for interval in result.pillars[pillar.id].values():
            assert 1 <= interval.low <= interval.median <= interval.high <= len(scored)


def test_pillar_intervals_equal_pillar_ranks_when_nothing_varies(small):
    fixed = with_settings(
        small, weight_spread=0.0, normalisations=("goalposts",), aggregations=("arithmetic",)
    )
    scores = score_dataset(fixed)
    result = analyse(fixed.framework, scores)
    for pillar in fixed.framework.pillars:
        for s in scores:
            rank = s.pillars[pillar.id].rank
            if rank is not None:
                assert result.pillars[pillar.id][s.iso3] == RankInterval(rank, rank, rank)


def test_competition_ranks_by_hand():
    values = np.array([[70.0, 90.0, 70.0, 10.0], [5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 3.0, 4.0]])
    assert _competition_ranks(values).tolist() == [[2, 1, 2, 4], [1, 1, 1, 1], [4, 3, 2, 1]]


def test_competition_ranks_treat_a_rounding_difference_as_a_tie():
    assert _competition_ranks(np.array([[50.0, 50.0 + 1e-12, 49.0]])).tolist() == [[1, 1, 3]]


@given(
    st.lists(
        st.lists(st.sampled_from([0.0, 12.5, 33.3, 50.0, 99.9]), min_size=5, max_size=5),
        min_size=1,
        max_size=8,
    )
)
def test_competition_ranks_are_one_plus_the_values_strictly_above(rows):
    values = np.array(rows)
    expected = [[1 + sum(other > value for other in row) for value in row] for row in rows]
    assert _competition_ranks(values).tolist() == expected


def test_rank_percentiles_by_hand():
    # 20 runs of three countries. A is first in runs 1-10, second in 11-19, third in run
    # 20; B is second, then first, then second; C third, third, then first. numpy's
    # inverted CDF takes the 1st, 10th and 19th smallest of 20 ranks (n x q - 1 = 0, 9,
    # 18: whole, so not rounded up).
    runs = [[3.0, 2.0, 1.0]] * 10 + [[2.0, 3.0, 1.0]] * 9 + [[1.0, 2.0, 3.0]]
    low, median, high = rank_percentiles(np.array(runs), (5, 50, 95)).tolist()
    assert (low, median, high) == ([1, 1, 1], [1, 2, 3], [2, 2, 3])
    # 21 runs: the 2nd, 11th and 20th smallest (0.05, 9.5, 18.95 rounded up). Ties share
    # the best rank: A and B tie for first in every run, so C is third, never second.
    tied = np.array([[5.0, 5.0, 1.0]] * 21)
    assert rank_percentiles(tied, (5, 50, 95)).tolist() == [[1, 1, 3]] * 3


@given(
    st.integers(1, 60).flatmap(
        lambda runs: st.lists(
            st.lists(st.sampled_from([0.0, 12.5, 33.3, 50.0, 99.9]), min_size=runs, max_size=runs),
            min_size=1,
            max_size=6,
        )
    ),
    st.lists(st.floats(0, 100), min_size=1, max_size=4),
)
def test_rank_percentiles_are_numpys_inverted_cdf_of_the_ranks(columns, percents):
    values = np.array(columns).T  # runs x countries
    ranks = _competition_ranks(values)
    expected = np.percentile(ranks, percents, axis=0, method="inverted_cdf")
    assert np.array_equal(rank_percentiles(values, tuple(percents)), expected)


# -- runs kept for the next analysis (serve's) ------------------------------------------------


@st.composite
def edits(draw: st.DrawFn, small: Dataset) -> list[Dataset]:
    """A random dataset, then one to four edits of it, each of one country's value (or
    its removal): what serve analyses, one file saved after another."""
    dataset = with_settings(draw(datasets(small)), runs=60)
    steps = [dataset]
    for _ in range(draw(st.integers(1, 4))):
        iso3 = draw(st.sampled_from([c.iso3 for c in small.countries]))
        indicator = draw(st.sampled_from([i.id for i in small.framework.indicators]))
        fields = draw(st.none() | _observation_fields(small, indicator))
        if fields is None:
            dataset = without(dataset, iso3, indicator)
        else:
            dataset = with_observation(dataset, iso3, indicator, **fields)
        steps.append(dataset)
    return steps


@given(edits(SMALL))
def test_kept_runs_give_the_intervals_of_a_fresh_analysis(steps):
    kept = sensitivity.Kept()
    for dataset in steps:
        scores = score_dataset(dataset)
        assert analyse(dataset.framework, scores, kept) == analyse(dataset.framework, scores)


def counted_rankings(monkeypatch) -> list[int]:
    """The countries of every ranking made afresh (every run sorted) from now on."""
    made: list[int] = []
    real = sensitivity._placed_ranks

    def placed(rounded: np.ndarray) -> np.ndarray:
        made.append(rounded.shape[1])
        return real(rounded)

    monkeypatch.setattr(sensitivity, "_placed_ranks", placed)
    return made


@pytest.fixture(scope="module")
def forty(tmp_path_factory) -> Dataset:
    """40 generated countries, 300 runs."""
    data = generate.generate(tmp_path_factory.mktemp("data") / "data", 40, seed=11)
    dataset, _ = load_dataset(data, country_codes=generate.accepted_codes(), store=None)
    return with_settings(dataset, runs=300)


def edited(dataset: Dataset, where: str) -> Dataset:
    """A country's internet_users (a plain percentage) set inside the range the countries'
    values span ("inside"), or above it ("above": the min–max range moves)."""
    having = [c for c in dataset.countries if c.latest("internet_users") is not None]
    values = [c.latest("internet_users").value for c in having]  # type: ignore[union-attr]
    low, high = min(values), max(values)  # type: ignore[type-var]
    value = (low + high) / 2 if where == "inside" else high + 1  # type: ignore[operator]
    return with_observation(dataset, having[5].iso3, "internet_users", value=value, year=2025)


def test_after_an_edit_only_the_edited_country_is_ranked_again(forty, monkeypatch):
    assert forty.framework.indicator("internet_users").transform == ()
    kept = sensitivity.Kept()
    analyse(forty.framework, score_dataset(forty), kept)
    made = counted_rankings(monkeypatch)
    dataset = edited(forty, "inside")
    scores = score_dataset(dataset)
    assert analyse(dataset.framework, scores, kept) == analyse(dataset.framework, scores)
    assert made == []  # every ranking updated where the country moved, none made again
    assert analyse(dataset.framework, scores, kept) == analyse(dataset.framework, scores)
    assert made == []  # nothing changed


def test_a_moved_range_or_other_draws_rank_every_country_again(forty, monkeypatch):
    kept = sensitivity.Kept()
    analyse(forty.framework, score_dataset(forty), kept)
    made = counted_rankings(monkeypatch)
    pillars = forty.framework.pillars
    # A value above every other moves internet_users' min–max range, and so every
    # country's scores in that pillar and the composite; other draws, every score.
    talent = [p.id for p in pillars].index(forty.framework.indicator("internet_users").pillar)
    for dataset, remade in (
        (edited(forty, "above"), [0, 1 + talent]),
        (with_settings(forty, seed=99), list(range(1 + len(pillars)))),
    ):
        made.clear()
        scores = score_dataset(dataset)
        assert analyse(dataset.framework, scores, kept) == analyse(dataset.framework, scores)
        ranked = [sum(s.composite is not None for s in scores)]
        ranked += [sum(s.pillars[p.id].score is not None for s in scores) for p in pillars]
        assert made == [ranked[n] for n in remade] and min(ranked) > 30


def test_score_matrices_reuse_the_rows_of_the_same_score_objects(small, monkeypatch):
    framework, scores = small.framework, score_dataset(small)
    known: dict = {}
    expected = score_matrices(framework, scores)
    made: list[str] = []
    real = sensitivity._rows
    monkeypatch.setattr(
        sensitivity, "_rows", lambda i, s, country: made.append(country.iso3) or real(i, s, country)
    )
    for _ in range(2):
        found = score_matrices(framework, scores, known)
        assert all(
            np.array_equal(a, b, equal_nan=True) for a, b in zip(found, expected, strict=True)
        )
    assert made == ["DEU", "FRA", "ITA"]  # once each: the second time from `known`
    edited = score_dataset(with_observation(small, "FRA", "open_data", value=10))
    scores = [scores[0], edited[1], scores[2]]  # FRA's scores are another object
    found = score_matrices(framework, scores, known)
    assert made[3:] == ["FRA"] and set(known) == {id(s) for s in scores}
    fresh = score_matrices(framework, scores)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(found, fresh, strict=True))
