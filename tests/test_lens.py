"""The sovereignty lens, peers, agreement with other indices and editions, worked by hand.

The small fixture (tests/fixtures/README.md) weighs governance twice, so an indicator's
share of the composite is 1/4 x 1/2 = 0.125 in compute and talent and 2/4 x 1/2 = 0.25 in
governance. Its layers: territory = supercomputers, developers, internet_users;
ownership = foreign_cloud, privacy_law; stack = open_data.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from math import log10
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecard.compute import (
    Lens,
    effective_weights,
    layer_scores,
    lens_matrix,
    pillar_layer_score,
    score_dataset,
)
from scorecard.model import Dataset, Observation, OtherIndex, Source
from scorecard.pipeline import editions
from scorecard.validate import files_checked
from scorecard.views import (
    PeerGroup,
    PeerRow,
    agreement,
    lens_verdict,
    site_view,
    spearman,
)

from .conftest import edit, problems
from .test_compute import SMALL, datasets

DEU_SUPERCOMPUTERS = 100 * log10(30) / 3


def by_iso(dataset: Dataset) -> dict:
    return {s.iso3: s for s in score_dataset(dataset)}


def test_effective_weights_are_each_indicators_share_of_the_composite():
    assert effective_weights(SMALL.framework) == pytest.approx(
        {
            "supercomputers": 0.125,
            "foreign_cloud": 0.125,
            "developers": 0.125,
            "internet_users": 0.125,
            "privacy_law": 0.25,
            "open_data": 0.25,
        }
    )


def test_layer_scores_by_hand():
    layers = layer_scores(SMALL.framework, score_dataset(SMALL))
    territory, ownership, stack = layers["territory"], layers["ownership"], layers["stack"]
    assert territory["FRA"].score == pytest.approx((100 + 50 + 90) / 3)
    assert territory["DEU"].score == pytest.approx((DEU_SUPERCOMPUTERS + 100 + 60) / 3)
    # ITA has no developers value: two thirds of the layer's weight, above the 0.5 threshold.
    assert territory["ITA"].score == pytest.approx((0 + 80) / 2)
    assert territory["ITA"].coverage == pytest.approx(2 / 3)
    assert (territory["ITA"].present, territory["ITA"].total) == (2, 3)
    # Governance indicators weigh twice as much as compute ones.
    assert ownership["FRA"].score == pytest.approx((80 * 0.125 + 100 * 0.25) / 0.375)
    assert ownership["ITA"].score == pytest.approx((0 * 0.125 + 50 * 0.25) / 0.375)
    assert stack["DEU"].score == 50
    assert [territory[iso].rank for iso in ("FRA", "DEU", "ITA")] == [1, 2, 3]


def test_a_layer_below_the_coverage_threshold_has_no_score():
    dataset = replace(
        SMALL,
        countries=tuple(
            replace(
                c,
                indicators={
                    k: v
                    for k, v in c.indicators.items()
                    if not (c.iso3 == "ITA" and k == "internet_users")
                },
            )
            for c in SMALL.countries
        ),
    )
    territory = layer_scores(dataset.framework, score_dataset(dataset))["territory"]
    # ITA keeps only supercomputers: one third of the weight.
    assert territory["ITA"].score is None
    assert territory["ITA"].rank is None


def test_pillar_by_layer_cells():
    fra = by_iso(SMALL)["FRA"]
    framework = SMALL.framework
    assert pillar_layer_score(framework, fra, "compute", "territory").score == 100
    assert pillar_layer_score(framework, fra, "compute", "ownership").score == 80
    assert pillar_layer_score(framework, fra, "talent", "territory").score == (50 + 90) / 2
    empty = pillar_layer_score(framework, fra, "compute", "stack")
    assert (empty.score, empty.total) == (None, 0)  # no indicator: not measured, not zero


@given(datasets(SMALL))
def test_the_matrix_is_every_pillar_by_layer_cell(dataset):
    framework = dataset.framework
    scores = score_dataset(dataset)
    matrix = lens_matrix(framework, scores)
    assert set(matrix) == {s.iso3 for s in scores}
    for score in scores:
        assert matrix[score.iso3] == {
            (p.id, layer.id): pillar_layer_score(framework, score, p.id, layer.id)
            for p in framework.pillars
            for layer in framework.layers
        }


@given(datasets(SMALL))
def test_layer_scores_ranked_from_kept_unranked_ones_are_the_same(dataset):
    framework, scores = dataset.framework, score_dataset(dataset)
    lens = Lens(framework)
    kept = {s.iso3: lens.layers(s) for s in scores[:2]}  # the others are computed
    assert layer_scores(framework, scores, kept) == layer_scores(framework, scores)
    assert all(s.rank is None for layers in kept.values() for s in layers.values())


@pytest.mark.parametrize(
    ("score", "median", "verdict"),
    [
        (60, 50, "strong"),
        (40, 50, "dependent"),
        (51, 50, ""),
        (None, 50, ""),
        (50, None, ""),
    ],
)
def test_lens_verdict_against_the_median(score, median, verdict):
    assert lens_verdict(score, median) == verdict


@pytest.mark.parametrize(
    ("difference", "verdict"),
    [
        (2.4, "level"),
        (-2.4, "level"),
        (2.5, "above"),
        (-3, "below"),
        (None, ""),
    ],
)
def test_peer_verdicts(difference, verdict):
    assert PeerRow("compute", 50, 50, difference).verdict == verdict


def _member(iso3: str, composite: float | None, pillar: float | None = None) -> SimpleNamespace:
    """What PeerGroup reads of a CountryView."""
    pillars = {"talent": SimpleNamespace(score=pillar)}
    return SimpleNamespace(iso3=iso3, score=SimpleNamespace(composite=composite, pillars=pillars))


def test_a_peer_group_by_hand():
    # Table order AAA, BBB, CCC, DDD; BBB's page compares it with the other three.
    group = PeerGroup(
        [_member("AAA", 60, 1), _member("BBB", 50, 9), _member("CCC", 40), _member("DDD", 50, 5)],
        ["composite", "talent"],
    )
    assert group.others("BBB") == ("AAA", "CCC", "DDD")
    assert group.others("ZZZ") == ("AAA", "BBB", "CCC", "DDD")  # not a member
    assert group.median_without("composite", "BBB", 50) == 50  # of 60, 40, 50
    assert group.median_without("talent", "BBB", 9) == 3  # of 1 and 5 (CCC has none)
    assert group.median_without("talent", "ZZZ", 2) == 5  # of 1, 9 and 5
    # DDD at 0 points; AAA and CCC both at 10: the ISO code decides.
    assert group.closest("BBB", 50, 4) == ["DDD", "AAA", "CCC"]
    assert group.closest("BBB", 50, 2) == ["DDD", "AAA"]
    assert group.closest("ZZZ", 41, 2) == ["CCC", "BBB"]  # BBB before DDD: both 9 away


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 10.0, 12.5, 15.0, 15.0, 20.0, 100.0]),
            st.none() | st.sampled_from([0.0, 5.0, 5.0, 7.5, 60.0]),
        ),
        max_size=12,
    ),
    st.sampled_from([0.0, 12.5, 13.0, 15.0, 99.0]),
    st.integers(1, 5),
)
def test_a_peer_group_gives_what_every_other_member_gives_sorted(scores, target, n):
    """Medians and the closest members, from the prepared group and by brute force, for
    every member and for a country outside the group (many ties, on purpose)."""
    members = [_member(f"C{k:02d}", c, p) for k, (c, p) in enumerate(scores)]
    group = PeerGroup(members, ["composite", "talent"])
    for country in [*members, _member("OUT", target, target)]:
        others = [m for m in members if m.iso3 != country.iso3]
        assert group.others(country.iso3) == tuple(m.iso3 for m in others)
        for row, score in (
            ("composite", lambda m: m.score.composite),
            ("talent", lambda m: m.score.pillars["talent"].score),
        ):
            present = [score(m) for m in others if score(m) is not None]
            expected = statistics.median(present) if present else None
            assert group.median_without(row, country.iso3, score(country)) == expected
        composite = country.score.composite
        nearest = sorted(others, key=lambda m: (abs(m.score.composite - composite), m.iso3))
        assert group.closest(country.iso3, composite, n) == [m.iso3 for m in nearest[:n]]


def test_spearman_by_hand_with_ties():
    # x ranks 1..5; y has a tie at the top: ranks 1.5, 1.5, 3, 4, 5.
    pairs = [(1, 10), (2, 10), (3, 8), (4, 7), (5, 1)]
    x, y = [1, 2, 3, 4, 5], [4.5, 4.5, 3, 2, 1]  # y ranked ascending: 1 -> 1, ..., 10 -> 4.5
    mx, my = 3, 3
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    assert spearman(pairs) == pytest.approx(sxy / (sxx * syy) ** 0.5)
    assert spearman(pairs[:4]) is None  # fewer than five countries: not reported


def with_other_index(values: dict[str, float], kind: str = "score") -> Dataset:
    source = Source("x", "Producer", "An index", "https://example.org/")
    countries = tuple(
        replace(c, other_indices={"x": (Observation(2024, source, value=values[c.iso3]),)})
        if c.iso3 in values
        else c
        for c in SMALL.countries
    )
    framework = replace(SMALL.framework, other_indices=(OtherIndex("x", "X", kind),))
    return replace(SMALL, framework=framework, countries=countries)


def views(dataset: Dataset):
    scores = score_dataset(dataset)
    results = SimpleNamespace(
        dataset=dataset,
        scores=scores,
        intervals={},
        pillar_intervals={},
        layers=layer_scores(dataset.framework, scores),
        editions={},
        matrix=lens_matrix(dataset.framework, scores),
    )
    return site_view(results)


def test_agreement_ranks_the_countries_both_cover_and_names_the_pillar_behind():
    # Our ranks: FRA 1, DEU 2, ITA 3. Theirs (higher is better): DEU 1, ITA 2, FRA 3.
    dataset = with_other_index({"FRA": 10, "DEU": 30, "ITA": 20})
    result = agreement(dataset, dataset.framework.other_indices[0], views(dataset).countries)
    rows = {r.country.iso3: r for r in result.rows}
    assert [(iso, rows[iso].ours, rows[iso].theirs) for iso in ("FRA", "DEU", "ITA")] == [
        ("FRA", 1, 3),
        ("DEU", 2, 1),
        ("ITA", 3, 2),
    ]
    # We rank FRA higher: its best pillar explains it (compute and governance tie at rank 1;
    # the tie goes to the first id). We rank DEU and ITA lower: their worst pillar.
    assert (rows["FRA"].driver, rows["FRA"].driver_rank) == ("compute", 1)
    assert (rows["DEU"].driver, rows["DEU"].driver_rank) == ("governance", 2)
    assert (rows["ITA"].driver, rows["ITA"].driver_rank) == ("governance", 3)
    assert [r.country.iso3 for r in result.disagreements] == ["FRA", "DEU", "ITA"]
    assert result.spearman is None


def test_a_rank_index_counts_one_as_best_and_skips_countries_it_omits():
    dataset = with_other_index({"FRA": 2, "DEU": 1}, kind="rank")
    result = agreement(dataset, dataset.framework.other_indices[0], views(dataset).countries)
    assert [(r.country.iso3, r.ours, r.theirs) for r in result.rows] == [
        ("FRA", 1, 2),
        ("DEU", 2, 1),
    ]


def test_a_past_edition_uses_only_the_data_up_to_its_year():
    then = {s.iso3: s for s in score_dataset(SMALL, as_of=2023)}
    # FRA's 2023 supercomputers value (500), not its 2024 one (5000).
    assert then["FRA"].indicators["supercomputers"].score == pytest.approx(100 * log10(500) / 3)
    assert then["FRA"].indicators["supercomputers"].observation.year == 2023
    assert "developers" not in then["FRA"].indicators  # first recorded in 2024
    assert all(s.composite is None for s in then.values())
    assert by_iso(SMALL)["FRA"].indicators["supercomputers"].score == 100


@st.composite
def _dated(draw: st.DrawFn) -> Dataset:
    """The small fixture with its values moved to random years, some of them dropped."""
    dataset = SMALL
    for country in SMALL.countries:
        for indicator, observations in country.indicators.items():
            kept = draw(st.lists(st.sampled_from(observations), max_size=2))
            dated = tuple(replace(o, year=draw(st.integers(2019, 2025))) for o in kept)
            changed = replace(
                dataset.country(country.iso3),
                indicators={**dataset.country(country.iso3).indicators, indicator: dated},
            )
            dataset = replace(
                dataset,
                countries=tuple(
                    changed if c.iso3 == country.iso3 else c for c in dataset.countries
                ),
            )
    return dataset


@given(_dated())
def test_each_edition_is_the_scorecard_scored_as_of_its_year(dataset):
    """Editions score a country once per year it has data; the result must not show it."""
    edition = dataset.framework.edition
    years = {o.year for c in dataset.countries for obs in c.indicators.values() for o in obs}
    expected = {}
    for year in sorted(y for y in years if y <= edition):
        scores = score_dataset(dataset, as_of=year)
        if any(s.composite is not None for s in scores):
            # An edition keeps everything but the indicator scores.
            expected[year] = [replace(s, indicators={}) for s in scores]
    assert editions(dataset) == expected


# -- validation of the lens, peers, other indices and spotlights -----------------------------


FRAMEWORK = "indicators/framework.yaml"
SPOTLIGHT = "indicators/spotlights/FRA.yaml"

SPOTLIGHT_TEXT = """\
iso3: FRA
title: France's plan
tracks:
  - id: law
    name: Law
events:
  - date: 2024-03-01
    track: law
    title: A law
    source:
      title: A ministry
      url: https://example.org/law
targets:
  - id: gpus
    name: GPUs by 2030
    value: 1000
    unit: GPUs
    year: 2030
    source: {title: A plan, url: "https://example.org/plan"}
measures:
  - target: gpus
    name: GPUs installed
    value: 100
    date: 2025-01
    source: {title: A report, url: "https://example.org/report"}
"""


def with_spotlight(data, text: str = SPOTLIGHT_TEXT, story: bool = True):
    folder = data / "spotlights"
    folder.mkdir()
    (folder / "FRA.yaml").write_text(text, encoding="utf-8")
    if story:
        (folder / "FRA.md").write_text("# France's plan\n\nA story.\n", encoding="utf-8")
    return folder / "FRA.yaml"


def test_an_indicator_names_an_unknown_layer(data):
    edit(data / "framework.yaml", "        layer: stack\n", "        layer: stak\n")
    assert problems(data) == [
        f"{FRAMEWORK}:{_line(data, 'layer: stak')}:16: error: pillars[2].indicators[1].layer: "
        "unknown layer 'stak' (expected one of: territory, ownership, stack)\n"
        "    tip: did you mean 'stack'?"
    ]


def test_the_history_must_agree_with_the_current_version(data):
    text = (data / "framework.yaml").read_text(encoding="utf-8")
    (data / "framework.yaml").write_text(
        text + "\nhistory:\n  - edition: 2024\n    version: 2\n    changes: Second.\n",
        encoding="utf-8",
    )
    assert problems(data) == [
        f"{FRAMEWORK}:{_line(data, 'version: 2')}:14: error: history[0].version: edition 2024 "
        "is recorded with framework version 2, but the framework is version 1\n"
        "    tip: raise version and add a history entry for the new edition"
    ]


def test_peer_group_members_are_real_countries(data):
    text = (data / "framework.yaml").read_text(encoding="utf-8")
    (data / "framework.yaml").write_text(
        text + "\npeer_groups:\n  - id: west\n    name: West\n    basis: A test.\n"
        "    members: [FRA, XKX]\n",
        encoding="utf-8",
    )
    assert problems(data) == [
        f"{FRAMEWORK}:{_line(data, 'members: [FRA, XKX]')}:20: error: peer_groups[0].members[1]: "
        "'XKX' is not an ISO 3166-1 alpha-3 country code"
    ]


def test_a_country_cites_an_index_the_framework_does_not_list(data):
    path = data / "countries" / "FRA.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\nother_indices:\n  oxford:\n    - value: 70\n      year: 2024\n"
        "      source: itu-2024\n",
        encoding="utf-8",
    )
    line = text.count("\n") + 3
    assert problems(data) == [
        f"indicators/countries/FRA.yaml:{line}:3: error: other_indices.oxford: unknown index "
        "'oxford'"
    ]


def test_a_valid_spotlight_is_loaded(data):
    from scorecard.validate import load_dataset

    from .conftest import TODAY

    with_spotlight(data)
    dataset, warnings = load_dataset(data, today=TODAY)
    assert warnings == []
    (spotlight,) = dataset.spotlights
    assert (spotlight.iso3, spotlight.title, spotlight.events[0].source.url) == (
        "FRA",
        "France's plan",
        "https://example.org/law",
    )
    assert spotlight.story.startswith("# France's plan")
    assert spotlight.measures[0].target == "gpus"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    track: law\n",
            "    track: laws\n",
            "events[0].track: unknown track 'laws' (expected one of: law)\n"
            "    tip: did you mean 'law'?",
        ),
        (
            "  - target: gpus\n",
            "  - target: gpu\n",
            "measures[0].target: unknown target 'gpu' (expected one of: gpus)\n"
            "    tip: did you mean 'gpus'?",
        ),
        (
            "url: https://example.org/law",
            "url: javascript:alert(1)",
            "events[0].source.url: 'javascript:alert(1)': only http and https addresses are "
            "allowed, not 'javascript:'\n    tip: write the full address, e.g. https://…",
        ),
        ("date: 2024-03-01", "date: 2031-03-01", "events[0].date: '2031-03-01' is in the future"),
        (
            "iso3: FRA",
            "iso3: DEU",
            "iso3: 'DEU' does not match the file name 'FRA.yaml'\n"
            "    tip: name the file DEU.yaml, or correct the code",
        ),
    ],
)
def test_spotlight_rules(data, old, new, message):
    path = with_spotlight(data, SPOTLIGHT_TEXT.replace(old, new, 1))
    text = path.read_text(encoding="utf-8")
    key = new.strip().split(":")[0]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new.strip() in row)
    column = text.splitlines()[line - 1].index(key) + len(key) + 3
    assert problems(data) == [f"{SPOTLIGHT}:{line}:{column}: error: {message}"]


def test_a_spotlight_needs_its_story(data):
    with_spotlight(data, story=False)
    assert problems(data) == [
        f"{SPOTLIGHT}:1:1: error: the story FRA.md is missing beside FRA.yaml\n"
        "    tip: write the spotlight's story in markdown there"
    ]


def test_a_spotlight_needs_a_country_file(data):
    with_spotlight(data, SPOTLIGHT_TEXT.replace("iso3: FRA", "iso3: ESP"))
    (data / "spotlights" / "FRA.yaml").rename(data / "spotlights" / "ESP.yaml")
    (data / "spotlights" / "FRA.md").rename(data / "spotlights" / "ESP.md")
    assert problems(data) == [
        "indicators/spotlights/ESP.yaml:1:7: error: iso3: no country file for 'ESP'\n"
        "    tip: add indicators/countries/ESP.yaml first"
    ]


def _line(data, text: str) -> int:
    lines = (data / "framework.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, row in enumerate(lines, 1) if text in row)


@pytest.mark.parametrize(
    ("story", "message"),
    [
        (
            b"# Story\n\nFine text, then \xff\xfe.\n",
            "indicators/spotlights/FRA.md:3:17: error: byte 0xff is not valid UTF-8\n"
            "    tip: save the file as UTF-8",
        ),
        (
            "# Story\n\nAn order \u202egnilsaelevni\u202c.\n".encode(),
            "indicators/spotlights/FRA.md:3:10: error: character U+202E is not allowed: a "
            "bidirectional control makes text display in another order than it is written\n"
            "    tip: remove it (it is invisible in most editors); right-to-left text needs "
            "no control characters",
        ),
        (
            b"# Story\n\nA bell \x07 rings.\n",
            "indicators/spotlights/FRA.md:3:8: error: character U+0007 is not allowed\n"
            "    tip: remove it (it is often invisible in editors)",
        ),
    ],
)
def test_a_story_is_utf8_text_without_refused_characters(data, story, message):
    with_spotlight(data)
    (data / "spotlights" / "FRA.md").write_bytes(story)
    assert problems(data) == [message]


def test_the_methodology_is_checked_as_the_stories_are(data):
    (data / "methodology.md").write_bytes("# Method\n\nRight\u2067 to left.\n".encode())
    assert problems(data) == [
        "indicators/methodology.md:3:6: error: character U+2067 is not allowed: a "
        "bidirectional control makes text display in another order than it is written\n"
        "    tip: remove it (it is invisible in most editors); right-to-left text needs "
        "no control characters"
    ]
    (data / "methodology.md").write_text("# Method\n\nRight \u200f to left.\n", encoding="utf-8")
    assert problems(data) == []


def test_the_markdown_files_count_among_the_files_checked(data):
    assert files_checked(data) == 5  # framework, sources, three countries
    (data / "methodology.md").write_text("# Method\n", encoding="utf-8")
    with_spotlight(data)
    assert files_checked(data) == 8  # and the methodology, a spotlight and its story
