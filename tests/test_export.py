"""The downloads: scores.json, scores.csv and values.csv parse, are complete, and add up.

Run on the small fixture and on the real data: counts come from the YAML files (read with
PyYAML, independently of the loader under test) and scores are recomputed from the
exported indicator scores and weights.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from scorecard.compute import score_dataset
from scorecard.export import (
    SCORES_COLUMNS,
    VALUES_COLUMNS,
    format_number,
    scores_csv,
    scores_document,
    scores_json,
    values_csv,
)
from scorecard.sensitivity import rank_intervals
from scorecard.validate import load_dataset

from .conftest import FIXTURE, REPO, TODAY, without

FOLDERS = {"small": FIXTURE, "real": REPO / "indicators"}


class Exports:
    """The three downloads of one data folder, as bytes and parsed."""

    def __init__(self, root: Path, dataset=None):
        self.root = root
        self.dataset = dataset or load_dataset(root, today=TODAY if root == FIXTURE else None)[0]
        scores = score_dataset(self.dataset)
        intervals = rank_intervals(self.dataset.framework, scores)
        self.json_bytes = scores_json(scores_document(self.dataset, scores, intervals))
        self.scores_bytes = scores_csv(self.dataset, scores, intervals)
        self.values_bytes = values_csv(self.dataset, scores)
        self.document = json.loads(self.json_bytes, parse_constant=_no_constants)
        self.scores = _rows(self.scores_bytes)
        self.values = _rows(self.values_bytes)


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} in scores.json")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture(scope="module", params=sorted(FOLDERS))
def exports(request) -> Exports:
    return Exports(FOLDERS[request.param])


@pytest.fixture(scope="module")
def small_exports() -> Exports:
    return Exports(FIXTURE)


def country_files(root: Path) -> dict[str, dict]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((root / "countries").glob("[!_.]*.yaml"))
    }


# -- shape ------------------------------------------------------------------------------------


def test_headers(exports):
    pillars = [p.id for p in exports.dataset.framework.pillars]
    header = exports.scores_bytes.decode().splitlines()[0].split(",")
    assert header == SCORES_COLUMNS + [
        f"{p}_{k}" for p in pillars for k in ("score", "rank", "coverage")
    ]
    assert exports.values_bytes.decode().splitlines()[0].split(",") == VALUES_COLUMNS


def test_files_end_with_a_newline_and_use_unix_line_ends(exports):
    for data in (exports.json_bytes, exports.scores_bytes, exports.values_bytes):
        assert data.endswith(b"\n")
        assert b"\r" not in data


def test_every_country_appears_once_everywhere(exports):
    expected = sorted(country_files(exports.root))
    assert sorted(r["iso3"] for r in exports.scores) == expected
    assert sorted(c["iso3"] for c in exports.document["countries"]) == expected
    assert sorted({r["iso3"] for r in exports.values}) == expected


def test_countries_are_listed_by_rank_then_code(exports):
    keys = [(r["rank"] == "", int(r["rank"] or 0), r["iso3"]) for r in exports.scores]
    assert keys == sorted(keys)
    assert [c["iso3"] for c in exports.document["countries"]] == [r["iso3"] for r in exports.scores]


# -- values.csv -----------------------------------------------------------------------------


def test_values_csv_holds_every_observation(exports):
    expected = Counter()
    for iso3, data in country_files(exports.root).items():
        for section in ("context", "indicators"):
            for key, observations in data.get(section, {}).items():
                expected.update((iso3, key, obs["year"]) for obs in observations)
    got = Counter((r["iso3"], r["indicator"], int(r["year"])) for r in exports.values)
    assert got == expected
    assert len(exports.values) == sum(expected.values())


def test_raw_values_are_exported_as_written(exports):
    written = {}
    for iso3, data in country_files(exports.root).items():
        for section in ("context", "indicators"):
            for key, observations in data.get(section, {}).items():
                for obs in observations:
                    written[iso3, key, obs["year"]] = (obs.get("value"), obs.get("level"))
    for row in exports.values:
        value, level = written[row["iso3"], row["indicator"], int(row["year"])]
        assert row["value"] == ("" if value is None else repr(value))
        assert row["level"] == (level or "")


def test_a_long_decimal_is_not_rounded(small_exports):
    [row] = [r for r in small_exports.values if r["iso3"] == "DEU" and r["year"] == "2022"]
    assert (row["indicator"], row["value"], row["used"], row["score"]) == (
        "internet_users",
        "3.774931316",
        "false",
        "",
    )


def test_used_marks_exactly_the_latest_year(exports):
    by_series: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in exports.values:
        by_series.setdefault((row["iso3"], row["indicator"]), []).append(row)
    for rows in by_series.values():
        latest = max(int(r["year"]) for r in rows)
        assert [r["used"] for r in rows] == [
            "true" if int(r["year"]) == latest else "false" for r in rows
        ]


def test_only_used_values_carry_a_score(exports):
    for row in exports.values:
        if row["used"] == "false" or row["pillar"] == "context":
            assert (row["adjusted"], row["score"]) == ("", "")


def test_values_rows_of_the_fixture_by_hand(small_exports):
    rows = {(r["iso3"], r["indicator"], r["year"]): r for r in small_exports.values}
    france = rows["FRA", "developers", "2024"]
    assert (france["value"], france["adjusted"], france["score"]) == ("250000", "5000", "50")
    assert (france["source_id"], france["source_url"]) == (
        "github-2024",
        "https://github.com/github/innovationgraph",
    )
    italy = rows["ITA", "privacy_law", "2024"]
    assert (italy["value"], italy["level"], italy["adjusted"], italy["score"]) == (
        "",
        "draft",
        "",
        "50",
    )
    inline = rows["DEU", "open_data", "2024"]
    assert (inline["source_id"], inline["source_producer"], inline["source_accessed"]) == (
        "",
        "Open Data Watch",
        "2024-12-01",
    )
    old = rows["FRA", "supercomputers", "2023"]
    assert (old["value"], old["used"]) == ("500", "false")
    assert rows["FRA", "population", "2024"]["pillar"] == "context"


NASTY = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", " lead ", "é 한국", '"', ",", "\n"]


def test_any_text_in_a_source_or_note_reads_back_as_written(small):
    """A source's cells and the note are formatted once per source and note (values_csv):
    whatever they hold (separators, quotes, line breaks, a carriage return, which the csv
    module leaves unquoted with "\n" as its line end) each row reads back with its own
    cells."""
    countries, expected = [], []
    n = 0
    for country in small.countries:
        indicators = {}
        for key, observations in country.indicators.items():
            changed = []
            for obs in sorted(observations, key=lambda o: o.year):
                n += 1
                source = replace(obs.source, title=NASTY[n % 10], producer=NASTY[(n * 3) % 10])
                changed.append(replace(obs, source=source, note=NASTY[(n * 7) % 10]))
            indicators[key] = tuple(changed)
        countries.append(replace(country, indicators=indicators))
    dataset = replace(small, countries=tuple(countries))
    for country in dataset.countries:
        for indicator in dataset.framework.indicators:
            for obs in sorted(country.indicators.get(indicator.id, ()), key=lambda o: o.year):
                expected.append((country.iso3, obs.source.producer, obs.source.title, obs.note))
    rows = _rows(values_csv(dataset, score_dataset(dataset)))
    got = [
        (r["iso3"], r["source_producer"], r["source_title"], r["note"])
        for r in rows
        if r["pillar"] != "context"
    ]
    assert got == expected
    assert 5 < len({e[1:] for e in expected}) < len(expected)  # tails differ, and repeat


# -- scores.json and scores.csv -----------------------------------------------------------------


def _recompute(document: dict) -> dict[str, dict]:
    """Pillar scores, coverages and composites from the exported indicator scores and weights."""
    method = document["method"]
    weights = {i["id"]: i["weight"] for i in document["indicators"]}
    results = {}
    for country in document["countries"]:
        scored = {k: v["score"] for k, v in country["indicators"].items() if v["score"] is not None}
        pillars = {}
        for pillar in document["pillars"]:
            present = [(scored[i], weights[i]) for i in pillar["indicators"] if i in scored]
            coverage = sum(w for _, w in present) / sum(weights[i] for i in pillar["indicators"])
            score = None
            if present and coverage >= method["coverage_threshold"]:
                score = sum(s * w for s, w in present) / sum(w for _, w in present)
            pillars[pillar["id"]] = (score, coverage)
        pillar_weights = [(pillars[p["id"]][0], p["weight"]) for p in document["pillars"]]
        total = sum(w for _, w in pillar_weights)
        composite = None
        if all(s is not None for s, _ in pillar_weights):
            if method["aggregation"] == "arithmetic":
                composite = sum(s * w for s, w in pillar_weights) / total
            else:
                floor = method["geometric_floor"]
                composite = math.prod(max(s, floor) ** (w / total) for s, w in pillar_weights)
        coverage = sum(pillars[p["id"]][1] * p["weight"] for p in document["pillars"]) / total
        results[country["iso3"]] = {
            "pillars": pillars,
            "composite": composite,
            "coverage": coverage,
        }
    return results


def test_scores_json_adds_up(exports):
    recomputed = _recompute(exports.document)
    for country in exports.document["countries"]:
        mine = recomputed[country["iso3"]]
        for pillar_id, (score, coverage) in mine["pillars"].items():
            exported = country["pillars"][pillar_id]
            assert exported["coverage"] == pytest.approx(coverage, abs=1e-6)
            assert (exported["score"] is None) == (score is None)
            if score is not None:
                assert exported["score"] == pytest.approx(score, abs=1e-6)
        assert (country["composite"] is None) == (mine["composite"] is None)
        if mine["composite"] is not None:
            assert country["composite"] == pytest.approx(mine["composite"], abs=1e-6)
        assert country["coverage"] == pytest.approx(mine["coverage"], abs=1e-6)


def test_ranks_in_scores_json_follow_the_composites(exports):
    countries = exports.document["countries"]
    for country in countries:
        if country["composite"] is None:
            assert country["rank"] is None
            continue
        better = sum(
            1
            for other in countries
            if other["composite"] is not None and other["composite"] > country["composite"] + 1e-6
        )
        assert country["rank"] == better + 1


def test_rank_intervals_contain_sensible_ranks(exports):
    ranked = sum(1 for c in exports.document["countries"] if c["rank"] is not None)
    for country in exports.document["countries"]:
        interval = (country["rank_p05"], country["rank_median"], country["rank_p95"])
        if country["rank"] is None:
            assert interval == (None, None, None)
        else:
            assert 1 <= interval[0] <= interval[1] <= interval[2] <= ranked


def test_scores_csv_matches_scores_json(exports):
    by_iso = {c["iso3"]: c for c in exports.document["countries"]}

    def cell(value) -> str:
        if value is None:
            return ""
        return format_number(value) if isinstance(value, float) else str(value)

    for row in exports.scores:
        country = by_iso[row["iso3"]]
        for column in (
            "name",
            "region",
            "rank",
            "rank_median",
            "rank_p05",
            "rank_p95",
            "composite",
            "coverage",
            "oldest_year",
            "newest_year",
        ):
            assert row[column] == cell(country[column]), column
        for pillar_id, pillar in country["pillars"].items():
            assert row[f"{pillar_id}_score"] == cell(pillar["score"])
            assert row[f"{pillar_id}_rank"] == cell(pillar["rank"])


def test_scores_of_the_fixture_by_hand(small_exports):
    rows = {r["iso3"]: r for r in small_exports.scores}
    assert [r["iso3"] for r in small_exports.scores] == ["FRA", "DEU", "ITA"]
    france = rows["FRA"]
    assert (france["composite"], france["rank"], france["coverage"]) == ("82.5", "1", "1")
    assert (france["compute_score"], france["talent_score"], france["governance_score"]) == (
        "90",
        "70",
        "85",
    )
    italy = rows["ITA"]
    assert (italy["composite"], italy["coverage"], italy["talent_coverage"]) == (
        "42.5",
        format_number((1 + 0.5 + 2) / 4),
        "0.5",
    )
    assert (italy["talent_rank"], rows["DEU"]["talent_rank"], france["talent_rank"]) == (
        "1",
        "1",
        "3",
    )
    document = small_exports.document
    assert document["method"]["per_capita"] == 1_000_000
    assert document["countries"][2]["missing"] == {
        "developers": "No count of developers was published for Italy."
    }


def test_an_unranked_country_comes_last_with_empty_cells(small):
    dataset = without(without(small, "FRA", "internet_users"), "FRA", "developers")
    exports = Exports(FIXTURE, dataset)
    assert [r["iso3"] for r in exports.scores] == ["DEU", "ITA", "FRA"]
    france = exports.scores[-1]
    assert [france[c] for c in ("rank", "rank_median", "rank_p05", "rank_p95", "composite")] == [
        ""
    ] * 5
    assert (france["talent_score"], france["talent_coverage"]) == ("", "0")
    [entry] = [c for c in exports.document["countries"] if c["iso3"] == "FRA"]
    assert (entry["rank"], entry["composite"], entry["pillars"]["talent"]["score"]) == (
        None,
        None,
        None,
    )


def test_exports_are_deterministic(exports):
    again = Exports(exports.root, exports.dataset)
    assert (again.json_bytes, again.scores_bytes, again.values_bytes) == (
        exports.json_bytes,
        exports.scores_bytes,
        exports.values_bytes,
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (53.6, "53.6"),
        (1_000_000.0, "1000000"),
        (0.000123, "0.000123"),
        (-0.5, "-0.5"),
        (69.9046718, "69.904672"),
        (1e20, "100000000000000000000"),
        (0.0000001, "0"),
    ],
)
def test_number_format(value, text):
    assert format_number(value) == text
