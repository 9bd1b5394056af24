"""The downloads: scores.json, scores.csv and values.csv, as deterministic bytes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import Any

from .compute import GEOMETRIC_FLOOR, PER_CAPITA, TIE_DECIMALS, CountryScore, RankInterval
from .model import Dataset, Indicator, Observation

DECIMALS = 6  # computed numbers are published to this many decimals


def ordered(scores: list[CountryScore]) -> list[CountryScore]:
    """Ranked countries first, best rank first; then the unranked; ties by ISO code."""
    return sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.iso3))


def scores_document(
    dataset: Dataset,
    scores: list[CountryScore],
    intervals: dict[str, RankInterval],
    pillar_intervals: dict[str, dict[str, RankInterval]] | None = None,
) -> dict[str, Any]:
    """Everything needed to read, check and recompute the scores, as plain data."""
    framework = dataset.framework
    sens = framework.sensitivity
    return {
        "title": framework.title,
        "edition": framework.edition,
        "framework_version": framework.version,
        "method": {
            "aggregation": framework.aggregation,
            "coverage_threshold": framework.coverage_threshold,
            "geometric_floor": GEOMETRIC_FLOOR,
            "per_capita": PER_CAPITA,
            "tie_decimals": TIE_DECIMALS,
            "sensitivity": {
                "runs": sens.runs,
                "seed": sens.seed,
                "weight_spread": sens.weight_spread,
                "normalisations": list(sens.normalisations),
                "aggregations": list(sens.aggregations),
            },
        },
        "pillars": [
            {
                "id": p.id,
                "name": p.name,
                "weight": p.weight,
                "question": p.question,
                "indicators": [i.id for i in p.indicators],
            }
            for p in framework.pillars
        ],
        "indicators": [_indicator(i) for i in framework.indicators],
        "countries": [
            _country(dataset, s, intervals.get(s.iso3), pillar_intervals or {})
            for s in ordered(scores)
        ],
    }


def _indicator(indicator: Indicator) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": indicator.id,
        "pillar": indicator.pillar,
        "name": indicator.name,
        "unit": indicator.unit,
        "kind": indicator.kind,
        "direction": "higher_is_better" if indicator.higher_is_better else "lower_is_better",
        "weight": indicator.weight,
        "proxy_for": indicator.proxy_for,
    }
    if indicator.assessed:
        entry["rubric"] = [{"level": r.level, "score": r.score} for r in indicator.rubric]
    else:
        entry["transform"] = list(indicator.transform)
        entry["goalposts"] = {"low": indicator.low, "high": indicator.high}
    return entry


def _country(
    dataset: Dataset,
    score: CountryScore,
    interval: RankInterval | None,
    pillar_intervals: dict[str, dict[str, RankInterval]],
) -> dict[str, Any]:
    country = dataset.country(score.iso3)
    return {
        "iso3": country.iso3,
        "name": country.name,
        "region": country.region,
        "rank": score.rank,
        "rank_median": interval.median if interval else None,
        "rank_p05": interval.low if interval else None,
        "rank_p95": interval.high if interval else None,
        "composite": _round(score.composite),
        "coverage": _round(score.coverage),
        "oldest_year": score.oldest,
        "newest_year": score.newest,
        "pillars": {
            pid: {
                "score": _round(p.score),
                "rank": p.rank,
                **_interval(pillar_intervals.get(pid, {}).get(score.iso3)),
                "coverage": _round(p.coverage),
                "present": p.present,
                "total": p.total,
                "oldest_year": p.oldest,
                "newest_year": p.newest,
            }
            for pid, p in score.pillars.items()
        },
        "indicators": {
            iid: {
                "value": r.observation.value,
                "level": r.observation.level,
                "year": r.observation.year,
                "period": r.observation.period or None,
                "adjusted": _round(r.adjusted),
                "score": _round(r.score),
                "source": _source_key(r.observation),
            }
            for iid, r in score.indicators.items()
        },
        "missing": dict(sorted(country.missing.items())),
    }


def _interval(interval: RankInterval | None) -> dict[str, int | None]:
    if interval is None:
        return {"rank_median": None, "rank_p05": None, "rank_p95": None}
    return {"rank_median": interval.median, "rank_p05": interval.low, "rank_p95": interval.high}


def scores_json(document: dict[str, Any]) -> bytes:
    return (
        json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
    ).encode("utf-8")


SCORES_COLUMNS = [
    "iso3",
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
]


def scores_csv(
    dataset: Dataset, scores: list[CountryScore], intervals: dict[str, RankInterval]
) -> bytes:
    """One row per country: composite, rank interval and every pillar's score."""
    pillars = [p.id for p in dataset.framework.pillars]
    header = SCORES_COLUMNS + [f"{p}_{k}" for p in pillars for k in ("score", "rank", "coverage")]
    rows = []
    for s in ordered(scores):
        country = dataset.country(s.iso3)
        interval = intervals.get(s.iso3)
        row = [
            s.iso3,
            country.name,
            country.region,
            s.rank,
            interval.median if interval else None,
            interval.low if interval else None,
            interval.high if interval else None,
            _number(s.composite),
            _number(s.coverage),
            s.oldest,
            s.newest,
        ]
        for p in pillars:
            ps = s.pillars[p]
            row += [_number(ps.score), ps.rank, _number(ps.coverage)]
        rows.append(row)
    return _csv(header, rows)


VALUES_COLUMNS = [
    "iso3",
    "country",
    "pillar",
    "indicator",
    "year",
    "period",
    "value",
    "level",
    "unit",
    "adjusted",
    "score",
    "used",
    "source_id",
    "source_producer",
    "source_title",
    "source_url",
    "source_published",
    "source_accessed",
    "note",
]


def values_csv(dataset: Dataset, scores: list[CountryScore]) -> bytes:
    """Every input value in long form, with its source and, if used, its score.

    A row's last seven cells (its source's six and the note) repeat from row to row
    (~150 of a row's ~250 bytes, a few dozen sources for ~20,000 rows at 200 countries):
    they are formatted once for each source and note, and each row formats the rest."""
    by_iso = {s.iso3: s for s in scores}
    lines = _Lines()
    tails: dict[tuple[int, str], str] = {}  # (id of the source, note) -> its cells

    def line(cells: list[Any], obs: Observation) -> str:
        tail = tails.get((id(obs.source), obs.note))
        if tail is None:
            src = obs.source
            tail = tails[id(obs.source), obs.note] = lines.row(
                [src.id, src.producer, src.title, src.url, src.published, src.accessed, obs.note]
            )
        return f"{lines.row(cells)[:-1]},{tail}"  # the first cells, then the tail and its "\n"

    text = [lines.row(VALUES_COLUMNS)]
    for country in dataset.countries:
        for figure in dataset.framework.context:
            observations = sorted(country.context.get(figure.id, ()), key=lambda o: o.year)
            for obs in observations:
                # The latest figure is the denominator of per-capita and per-GDP values.
                cells = _value_cells(
                    country.iso3,
                    country.name,
                    "context",
                    figure.id,
                    obs,
                    figure.unit,
                    None,
                    None,
                    obs is observations[-1],
                )
                text.append(line(cells, obs))
        for indicator in dataset.framework.indicators:
            used = by_iso[country.iso3].indicators.get(indicator.id)
            for obs in sorted(country.indicators.get(indicator.id, ()), key=lambda o: o.year):
                # The same object, or an equal one: serve keeps unchanged countries'
                # scores, made from an earlier reading of the same file.
                same = used is not None and (used.observation is obs or used.observation == obs)
                scored = used if same else None
                cells = _value_cells(
                    country.iso3,
                    country.name,
                    indicator.pillar,
                    indicator.id,
                    obs,
                    indicator.unit,
                    scored.adjusted if scored is not None else None,
                    scored.score if scored is not None else None,
                    scored is not None,
                )
                text.append(line(cells, obs))
    return "".join(text).encode("utf-8")


class _Lines:
    """CSV rows formatted one at a time (`row`: a row's text, ending in "\n").

    The csv module quotes a cell that holds the separator, a quote or a character of its
    line end: with "\n" as the line end, a carriage return in a cell (a YAML string may
    hold one, written as the escape \\r) would be left unquoted and split the row in most
    readers. So the writer ends rows with "\r\n", which quotes both, and each row's text
    ends with "\n" alone, as the whole file's lines do."""

    def __init__(self) -> None:
        self._written: list[str] = []
        self._writer = csv.writer(self, lineterminator="\r\n")

    def write(self, text: str) -> None:  # for the writer
        self._written.append(text)

    def row(self, cells: list[Any]) -> str:
        self._writer.writerow(cells)
        return self._written.pop()[:-2] + "\n"


def _value_cells(
    iso3: str,
    name: str,
    pillar: str,
    indicator: str,
    obs: Observation,
    unit: str,
    adjusted: float | None,
    score: float | None,
    used: bool,
) -> list[Any]:
    """A row of values.csv but its source's cells and the note (see values_csv)."""
    return [
        iso3,
        name,
        pillar,
        indicator,
        obs.year,
        obs.period,
        _raw(obs.value),
        obs.level,
        unit,
        _number(adjusted),
        _number(score),
        "true" if used else "false",
    ]


def _csv(header: list[str], rows: list[list[str | int | None]]) -> bytes:
    """Rows of text, whole numbers and None (written as an empty cell); decimals are
    formatted beforehand (`_number`), since the csv module would write their repr."""
    lines = _Lines()
    return (lines.row(header) + "".join(lines.row(cells) for cells in rows)).encode("utf-8")


def _number(value: float | None) -> str | None:
    """A computed decimal for the CSV files, rounded as in scores.json."""
    return None if value is None else format_number(round(value, DECIMALS))


def format_number(value: float) -> str:
    """Plain decimal notation, no exponent, no trailing zeros: 53.6, 1000000, 0.000123."""
    if value.is_integer():
        return str(int(value))
    return f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")


def _raw(value: float | None) -> str | None:
    """A value as the contributor wrote it (full precision, never rounded)."""
    return None if value is None else repr(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _source_key(obs: Observation) -> str:
    return obs.source.id or obs.source.url


def column_docs(_: Callable[[str], str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """What every column of the CSV downloads means, for the Data page."""
    pillar = _("For each pillar (compute, data, talent, funding, openness): ")
    return [
        (
            "scores.csv",
            [
                ("iso3", _("ISO 3166-1 alpha-3 code")),
                ("name", _("Country name")),
                ("region", _("UN M49 region")),
                (
                    "rank",
                    _(
                        "Rank by composite score, 1 = highest; equal scores share a rank; "
                        "empty when the country is not ranked"
                    ),
                ),
                ("rank_median", _("Median rank over the Monte Carlo sensitivity runs")),
                ("rank_p05", _("5th percentile rank: the best rank in 90% of the runs")),
                ("rank_p95", _("95th percentile rank: the worst rank in 90% of the runs")),
                ("composite", _("Composite score, 0–100")),
                (
                    "coverage",
                    _(
                        "Share of indicator weight with data, pillars weighted as in the "
                        "composite, 0–1"
                    ),
                ),
                ("oldest_year", _("Oldest data year behind the scores")),
                ("newest_year", _("Newest data year behind the scores")),
                ("*_score", pillar + _("score, 0–100; empty when coverage is below the threshold")),
                ("*_rank", pillar + _("rank among countries with a score")),
                ("*_coverage", pillar + _("share of the pillar's indicator weight with data, 0–1")),
            ],
        ),
        (
            "values.csv",
            [
                ("iso3", _("ISO 3166-1 alpha-3 code")),
                ("country", _("Country name")),
                ("pillar", _("Pillar of the indicator; context for population and GDP")),
                ("indicator", _("Indicator id (see the framework in scores.json)")),
                ("year", _("Year the value describes (the last year of a period)")),
                ("period", _("Exact period when it is not a calendar year")),
                ("value", _("The value exactly as recorded, in the indicator's unit")),
                ("level", _("Rubric level, for assessed indicators")),
                ("unit", _("Unit of the value")),
                ("adjusted", _("Value after the per-capita or per-GDP step, for the value used")),
                ("score", _("Indicator score 0–100, for the value used")),
                ("used", _("true for the observation the scores use (the latest year)")),
                ("source_id", _("Id in the source registry; empty for an inline citation")),
                ("source_producer", _("Who produced the data")),
                ("source_title", _("Title and edition of the dataset or publication")),
                ("source_url", _("Where the source is published")),
                ("source_published", _("When the source was published")),
                ("source_accessed", _("When the value was read")),
                ("note", _("Caveat recorded with the value")),
            ],
        ),
    ]
