"""The scorecard's arithmetic, worked out by hand on the small fixture (tests/fixtures/README.md).

Expected numbers are written as the arithmetic that produces them, never copied from output.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from math import log10, sqrt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecard.compute import (
    adjust,
    competition_ranks,
    composite,
    normalise,
    pillar_score,
    rank_scores,
    score_country,
    score_dataset,
    score_observation,
)
from scorecard.export import scores_document, scores_json
from scorecard.model import Dataset, Observation
from scorecard.sensitivity import rank_intervals
from scorecard.validate import load_dataset

from .conftest import FIXTURE, TODAY, with_observation, without

DEU_SUPERCOMPUTERS = 100 * (log10(30) - log10(1)) / (log10(1000) - log10(1))
DEU_COMPUTE = (DEU_SUPERCOMPUTERS + 50) / 2


def by_iso(dataset: Dataset, aggregation: str | None = None) -> dict:
    return {s.iso3: s for s in score_dataset(dataset, aggregation)}


# -- normalisation ----------------------------------------------------------------------------


def test_log_scale_between_the_goalposts(small):
    supercomputers = small.framework.indicator("supercomputers")
    expected = 100 * (log10(30) - log10(1)) / (log10(1000) - log10(1))
    assert normalise(30, supercomputers) == pytest.approx(expected)
    assert normalise(10, supercomputers) == pytest.approx(100 * 1 / 3)


@pytest.mark.parametrize("value", [1, 0.5, 0.001, 0])
def test_log_scale_at_or_below_the_low_goalpost_scores_zero(small, value):
    # Zero has no logarithm: it must score 0, not raise.
    assert normalise(value, small.framework.indicator("supercomputers")) == 0


@pytest.mark.parametrize("value", [1000, 5000, 1e12])
def test_values_at_or_above_the_high_goalpost_score_100(small, value):
    assert normalise(value, small.framework.indicator("supercomputers")) == 100


def test_linear_scale(small):
    internet = small.framework.indicator("internet_users")
    assert normalise(90, internet) == pytest.approx(90)
    assert normalise(12.5, internet) == pytest.approx(12.5)
    assert normalise(-3, internet) == 0  # clipped below the low goalpost
    assert normalise(140, internet) == 100  # and above the high one


def test_lower_is_better_reverses_the_scale(small):
    cloud = small.framework.indicator("foreign_cloud")  # goalposts 0–50, lower is better
    assert normalise(10, cloud) == pytest.approx(100 * (1 - (10 - 0) / (50 - 0)))
    assert normalise(25, cloud) == pytest.approx(50)
    assert normalise(0, cloud) == 100
    assert normalise(60, cloud) == 0  # beyond the "bad" goalpost: clipped to 0


def test_per_capita_divides_by_millions_of_people(small):
    developers = small.framework.indicator("developers")
    adjusted = adjust(250_000, developers, population=50_000_000, gdp=3000)
    assert adjusted == pytest.approx(250_000 / (50_000_000 / 1_000_000))
    assert normalise(adjusted, developers) == pytest.approx(100 * 5000 / 10_000)


@pytest.mark.parametrize("population", [None, 0])
def test_per_capita_without_a_population_has_no_score(small, population):
    developers = small.framework.indicator("developers")
    observation = Observation(year=2024, source=small.sources["github-2024"], value=250_000)
    result = score_observation(observation, developers, population, 3000)
    assert result.adjusted is None
    assert result.score is None


def test_measured_values_without_a_denominator_are_not_adjusted(small):
    internet = small.framework.indicator("internet_users")
    assert adjust(90, internet, population=None, gdp=None) == 90.0


@pytest.mark.parametrize(("level", "score"), [("legislation", 100), ("draft", 50), ("none", 0)])
def test_assessed_levels_take_their_rubric_score(small, level, score):
    law = small.framework.indicator("privacy_law")
    observation = Observation(year=2024, source=small.sources["unctad-2024"], level=level)
    result = score_observation(observation, law, None, None)
    assert (result.adjusted, result.score) == (None, score)


def test_assessed_lower_is_better_reverses_the_rubric(small):
    law = replace(small.framework.indicator("privacy_law"), higher_is_better=False)
    observation = Observation(year=2024, source=small.sources["unctad-2024"], level="draft")
    assert score_observation(observation, law, None, None).score == 100 - 50
    legislation = replace(observation, level="legislation")
    assert score_observation(legislation, law, None, None).score == 0


# -- the fixture, worked by hand ----------------------------------------------------------


def test_indicator_scores_of_the_fixture(small):
    scores = by_iso(small)
    got = {iso3: {i: r.score for i, r in s.indicators.items()} for iso3, s in scores.items()}
    assert got == {
        "FRA": {
            "supercomputers": 100,  # 5000 (2024, the latest year) is above the goalpost 1000
            "foreign_cloud": pytest.approx(100 * (1 - 10 / 50)),
            "developers": pytest.approx(100 * (250_000 / 50) / 10_000),
            "internet_users": pytest.approx(90),
            "privacy_law": 100,
            "open_data": pytest.approx(70),
        },
        "DEU": {
            "supercomputers": pytest.approx(100 * log10(30) / log10(1000)),
            "foreign_cloud": pytest.approx(100 * (1 - 25 / 50)),
            "developers": pytest.approx(100 * (800_000 / 80) / 10_000),
            "internet_users": pytest.approx(60),  # 2024, not the 2022 value
            "privacy_law": 100,
            "open_data": pytest.approx(50),
        },
        "ITA": {
            "supercomputers": 0,  # zero on a log scale
            "foreign_cloud": 0,  # 60 is worse than the goalpost 50
            "internet_users": pytest.approx(80),
            "privacy_law": 50,
            "open_data": pytest.approx(40),
        },
    }


def test_the_latest_year_is_used_whatever_the_order_in_the_file(small):
    france = small.country("FRA")
    reordered = replace(
        france,
        indicators={
            **france.indicators,
            "supercomputers": france.indicators["supercomputers"][::-1],
        },
    )
    dataset = replace(small, countries=(small.country("DEU"), reordered, small.country("ITA")))
    result = by_iso(dataset)["FRA"].indicators["supercomputers"]
    assert (result.observation.year, result.observation.value) == (2024, 5000)


def test_pillar_scores_of_the_fixture(small):
    scores = by_iso(small)
    got = {iso3: {p: ps.score for p, ps in s.pillars.items()} for iso3, s in scores.items()}
    assert got == {
        "FRA": {
            "compute": pytest.approx((100 + 80) / 2),
            "talent": pytest.approx((50 + 90) / 2),
            "governance": pytest.approx((100 + 70) / 2),
        },
        "DEU": {
            "compute": pytest.approx(DEU_COMPUTE),
            "talent": pytest.approx((100 + 60) / 2),
            "governance": pytest.approx((100 + 50) / 2),
        },
        "ITA": {
            "compute": 0,
            "talent": pytest.approx(80),  # developers missing: internet_users alone
            "governance": pytest.approx((50 + 40) / 2),
        },
    }


def test_a_missing_value_reweights_the_pillar(small):
    talent = by_iso(small)["ITA"].pillars["talent"]
    assert (talent.score, talent.coverage, talent.present, talent.total) == (
        pytest.approx(80),
        0.5,
        1,
        2,
    )


def test_arithmetic_composite_weights_the_pillars(small):
    scores = by_iso(small)
    # governance has weight 2, the other pillars 1
    assert scores["FRA"].composite == pytest.approx((90 + 70 + 2 * 85) / 4)
    assert scores["DEU"].composite == pytest.approx((DEU_COMPUTE + 80 + 2 * 75) / 4)
    assert scores["ITA"].composite == pytest.approx((0 + 80 + 2 * 45) / 4)


def test_composite_coverage_is_the_weighted_mean_of_pillar_coverages(small):
    scores = by_iso(small)
    assert scores["FRA"].coverage == 1
    assert scores["ITA"].coverage == pytest.approx((1 * 1 + 0.5 * 1 + 1 * 2) / 4)


def test_geometric_composite(small):
    scores = by_iso(small, "geometric")
    assert scores["FRA"].composite == pytest.approx(90**0.25 * 70**0.25 * 85**0.5)
    assert scores["DEU"].composite == pytest.approx(DEU_COMPUTE**0.25 * 80**0.25 * 75**0.5)
    # ITA's compute pillar is 0: the geometric mean counts it as 1, not as 0.
    assert scores["ITA"].composite == pytest.approx(1**0.25 * 80**0.25 * 45**0.5)


def test_geometric_mean_floors_pillar_scores_below_one():
    assert composite([(0.5, 1), (100, 1)], "geometric") == pytest.approx(sqrt(1 * 100))
    assert composite([(0, 1), (100, 1)], "geometric") == pytest.approx(10)
    assert composite([(4, 1), (100, 1)], "geometric") == pytest.approx(sqrt(4 * 100))
    assert composite([(0.5, 1), (100, 1)], "arithmetic") == pytest.approx((0.5 + 100) / 2)


def test_geometric_and_arithmetic_agree_on_equal_pillars():
    pairs = [(42.0, 1), (42.0, 3)]
    assert composite(pairs, "geometric") == pytest.approx(42)
    assert composite(pairs, "arithmetic") == pytest.approx(42)


def test_an_unknown_aggregation_is_refused():
    with pytest.raises(ValueError, match=r"^unknown aggregation 'median'$"):
        composite([(1, 1)], "median")


def test_the_years_behind_the_scores(small):
    scores = by_iso(small)
    assert (scores["FRA"].oldest, scores["FRA"].newest) == (2024, 2024)
    older = with_observation(small, "ITA", "open_data", value=40, year=2019)
    italy = by_iso(older)["ITA"]
    assert (italy.oldest, italy.newest) == (2019, 2024)
    assert (italy.pillars["governance"].oldest, italy.pillars["talent"].oldest) == (2019, 2024)


# -- coverage threshold -------------------------------------------------------------------


def test_coverage_exactly_at_the_threshold_is_published(small):
    talent = small.framework.pillars[1]
    scores = by_iso(small)["ITA"].indicators  # developers missing: coverage 1/2
    result = pillar_score("talent", talent.indicators, scores, threshold=0.5)
    assert (result.score, result.coverage) == (pytest.approx(80), 0.5)


def test_coverage_just_below_the_threshold_is_not_published(small):
    talent = small.framework.pillars[1]
    scores = by_iso(small)["ITA"].indicators
    result = pillar_score("talent", talent.indicators, scores, threshold=0.5 + 1e-9)
    assert (result.score, result.coverage, result.present) == (None, 0.5, 1)


def test_a_pillar_below_the_threshold_leaves_the_country_unranked(small):
    # Weigh the missing indicator a hair more: 1 / 2.000001 of the weight is present.
    framework = small.framework
    talent = framework.pillars[1]
    heavier = replace(talent.indicators[0], weight=1.000001)
    pillars = (
        framework.pillars[0],
        replace(talent, indicators=(heavier, talent.indicators[1])),
        framework.pillars[2],
    )
    dataset = replace(small, framework=replace(framework, pillars=pillars))
    italy = by_iso(dataset)["ITA"]
    assert italy.pillars["talent"].coverage == pytest.approx(1 / 2.000001)
    assert (italy.pillars["talent"].score, italy.pillars["talent"].rank) == (None, None)
    assert (italy.composite, italy.rank) == (None, None)
    assert by_iso(dataset)["DEU"].rank == 2


def test_with_no_indicator_present_the_pillar_is_empty(small):
    dataset = without(without(small, "ITA", "internet_users"), "ITA", "developers")
    talent = by_iso(dataset)["ITA"].pillars["talent"]
    assert (talent.score, talent.coverage, talent.present, talent.oldest) == (None, 0, 0, None)


# -- ranks ------------------------------------------------------------------------------------


def test_competition_ranking_shares_ranks_on_ties():
    ranks = competition_ranks({"a": 90.0, "b": 80.0, "c": 80.0, "d": 70.0, "e": None})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4, "e": None}


def test_scores_equal_to_nine_decimals_tie():
    assert competition_ranks({"a": 80.0, "b": 80.0000000001, "c": 79.99}) == {
        "a": 1,
        "b": 1,
        "c": 3,
    }
    assert competition_ranks({"a": 80.0, "b": 80.000000002}) == {"a": 2, "b": 1}


def test_ranks_of_the_fixture(small):
    scores = by_iso(small)
    assert {k: s.rank for k, s in scores.items()} == {"FRA": 1, "DEU": 2, "ITA": 3}
    # Talent: DEU and ITA both score 80 and share the first place; FRA (70) is third.
    talent = {k: s.pillars["talent"].rank for k, s in scores.items()}
    assert talent == {"FRA": 3, "DEU": 1, "ITA": 1}


def test_a_tied_country_shares_the_rank_1_2_2_4(small):
    germany = small.country("DEU")
    spain = replace(germany, iso3="ESP", name="Spain", path="indicators/countries/ESP.yaml")
    dataset = replace(small, countries=(*small.countries, spain))
    ranks = {s.iso3: s.rank for s in score_dataset(dataset)}
    assert ranks == {"FRA": 1, "DEU": 2, "ESP": 2, "ITA": 4}


# -- properties ---------------------------------------------------------------------------


def _observation_fields(small: Dataset, indicator_id: str) -> st.SearchStrategy:
    indicator = small.framework.indicator(indicator_id)
    if indicator.assessed:
        return st.sampled_from([r.level for r in indicator.rubric]).map(lambda v: {"level": v})
    high = min(indicator.valid_max, 1e7)
    values = st.floats(indicator.valid_min, high, allow_nan=False) | st.integers(
        int(indicator.valid_min), int(high)
    )
    return values.map(lambda v: {"value": v})


@st.composite
def datasets(draw: st.DrawFn, small: Dataset) -> Dataset:
    """The fixture's countries with random values (some left out) and populations."""
    dataset = small
    for country in small.countries:
        for indicator in small.framework.indicators:
            fields = draw(st.none() | _observation_fields(small, indicator.id))
            if fields is None:
                dataset = without(dataset, country.iso3, indicator.id)
            else:
                dataset = with_observation(dataset, country.iso3, indicator.id, **fields)
        population = draw(st.floats(10_000, 2e9))
        pop_obs = (replace(country.context["population"][0], value=population),)
        changed = replace(
            dataset.country(country.iso3),
            context={**country.context, "population": pop_obs},
        )
        dataset = replace(
            dataset,
            countries=tuple(changed if c.iso3 == changed.iso3 else c for c in dataset.countries),
        )
    return dataset


SMALL, _ = load_dataset(FIXTURE, today=TODAY)  # module level: Hypothesis cannot use fixtures


@given(datasets(SMALL), st.sampled_from(["arithmetic", "geometric"]))
def test_every_score_stays_within_0_and_100(dataset, aggregation):
    for result in score_dataset(dataset, aggregation):
        for indicator in result.indicators.values():
            assert indicator.score is None or 0 <= indicator.score <= 100
        for pillar in result.pillars.values():
            assert pillar.score is None or 0 <= pillar.score <= 100
            assert 0 <= pillar.coverage <= 1
        assert result.composite is None or 0 <= result.composite <= 100
        assert 0 <= result.coverage <= 1


@st.composite
def improvements(draw: st.DrawFn, small: Dataset) -> tuple[Dataset, str, str, dict, dict]:
    """A dataset, a country, an indicator, and a worse and a better observation of it."""
    dataset = draw(datasets(small))
    iso3 = draw(st.sampled_from([c.iso3 for c in small.countries]))
    indicator = draw(st.sampled_from(small.framework.indicators))
    a = draw(_observation_fields(small, indicator.id))
    b = draw(_observation_fields(small, indicator.id))
    if indicator.assessed:
        key = indicator.level_score
        worse, better = sorted([a, b], key=lambda f: key(f["level"]))
    else:
        worse, better = sorted([a, b], key=lambda f: f["value"])
        if not indicator.higher_is_better:
            worse, better = better, worse
    return dataset, iso3, indicator.id, worse, better


@given(improvements(SMALL), st.sampled_from(["arithmetic", "geometric"]))
def test_improving_an_indicator_never_lowers_its_country_s_scores(case, aggregation):
    dataset, iso3, indicator_id, worse, better = case
    pillar = dataset.framework.indicator(indicator_id).pillar
    before = by_iso(with_observation(dataset, iso3, indicator_id, **worse), aggregation)[iso3]
    after = by_iso(with_observation(dataset, iso3, indicator_id, **better), aggregation)[iso3]
    assert after.indicators[indicator_id].score >= before.indicators[indicator_id].score
    if before.pillars[pillar].score is not None:
        assert after.pillars[pillar].score >= before.pillars[pillar].score - 1e-9
    if before.composite is not None:
        assert after.composite >= before.composite - 1e-9


def _summary(dataset: Dataset) -> dict:
    scores = score_dataset(dataset)
    return {
        s.iso3: (s.composite, s.rank, {p: (ps.score, ps.rank) for p, ps in s.pillars.items()})
        for s in scores
    }


@given(datasets(SMALL), st.data())
def test_the_order_of_the_countries_changes_nothing(dataset, data):
    shuffled = replace(dataset, countries=tuple(data.draw(st.permutations(dataset.countries))))
    assert _summary(shuffled) == _summary(dataset)
    fw = dataset.framework
    assert rank_intervals(fw, score_dataset(shuffled)) == rank_intervals(fw, score_dataset(dataset))


def test_the_order_the_files_were_created_in_changes_nothing(tmp_path: Path):
    # Copy the countries in reverse order, under another folder name.
    first, second = tmp_path / "indicators", tmp_path / "elsewhere" / "indicators"
    shutil.copytree(FIXTURE, first)
    (second / "countries").mkdir(parents=True)
    for name in ("sources.yaml", "framework.yaml"):
        shutil.copyfile(FIXTURE / name, second / name)
    for path in sorted((FIXTURE / "countries").iterdir(), reverse=True):
        shutil.copyfile(path, second / "countries" / path.name)

    def published(root: Path) -> bytes:
        dataset, _ = load_dataset(root, today=TODAY)
        scores = score_dataset(dataset)
        intervals = rank_intervals(dataset.framework, scores)
        return scores_json(scores_document(dataset, scores, intervals))

    assert published(first) == published(second)


def test_a_perfect_country_scores_exactly_100(small):
    perfect = small
    for indicator, fields in {
        "supercomputers": {"value": 1000},
        "foreign_cloud": {"value": 0},
        "developers": {"value": 500_000},  # 50 M people: 10 000 per million
        "internet_users": {"value": 100},
        "privacy_law": {"level": "legislation"},
        "open_data": {"value": 100},
    }.items():
        perfect = with_observation(perfect, "FRA", indicator, **fields)
    # Pillar weights 1, 1, 2: 100 ** 0.25 * 100 ** 0.25 * 100 ** 0.5 is 100.00000000000001
    # in floating point; a mean cannot exceed the largest of its inputs.
    assert by_iso(perfect, "geometric")["FRA"].composite == 100
    assert by_iso(perfect, "arithmetic")["FRA"].composite == 100


pairs_of_scores = st.lists(
    st.tuples(st.floats(0, 100), st.sampled_from([0.1, 0.2, 0.3, 0.7, 1, 1.5, 2, 3])),
    min_size=1,
    max_size=6,
)


@given(pairs_of_scores, st.sampled_from(["arithmetic", "geometric"]))
def test_a_mean_stays_within_the_range_of_its_inputs(pairs, aggregation):
    floor = 1 if aggregation == "geometric" else 0
    scores = [max(score, floor) for score, _ in pairs]
    assert min(scores) <= composite(pairs, aggregation) <= max(scores)


@given(
    datasets(SMALL),
    st.sampled_from(["DEU", "FRA", "ITA"]),
    st.sampled_from([i.id for i in SMALL.framework.indicators]),
    st.booleans(),
    st.integers(0, 100),
)
def test_a_ranking_after_one_edit_keeps_what_did_not_change(
    dataset, iso3, indicator, indicators, value
):
    framework = dataset.framework
    unranked = [score_country(c, framework, "arithmetic") for c in dataset.countries]
    first = rank_scores(framework, unranked, indicators=indicators)
    if framework.indicator(indicator).assessed:
        edited = without(dataset, iso3, indicator)
    else:
        edited = with_observation(dataset, iso3, indicator, value=value)
    now = [
        u if c.iso3 != iso3 else score_country(c, framework, "arithmetic")
        for u, c in zip(unranked, edited.countries, strict=True)
    ]
    again = rank_scores(framework, now, indicators=indicators, earlier=(unranked, first))
    assert again == rank_scores(framework, now, indicators=indicators)
    for before, after, source in zip(first, again, now, strict=True):
        same_ranks = (before.rank, [p.rank for p in before.pillars.values()]) == (
            after.rank,
            [p.rank for p in after.pillars.values()],
        )
        assert (after is before) == (source.iso3 != iso3 and same_ranks)
