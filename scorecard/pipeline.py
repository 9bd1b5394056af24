"""The build, start to finish: load -> validate -> score -> render -> write.

Everything is gathered, validated and rendered in memory first; only then is the site
written, all at once, so a failure at any step leaves the previous site untouched.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import resultcache
from .compute import (
    CountryScore,
    LayerScore,
    RankInterval,
    data_years_of,
    layer_scores,
    lens_matrix,
    rank_scores,
    score_country,
    score_dataset,
)
from .config import Config
from .errors import Problem
from .model import Dataset
from .validate import load_dataset
from .write import Content, write_site


@dataclass(frozen=True)
class Paths:
    project_root: Path
    data: Path
    out: Path
    templates: Path
    static: Path

    @classmethod
    def for_project(cls, project: Path, data: Path | None = None, out: Path | None = None) -> Paths:
        return cls(
            project_root=project,
            data=data or project / "indicators",
            out=out or project / "site",
            templates=project / "templates",
            static=project / "static",
        )


@dataclass(frozen=True)
class Results:
    """The validated data and everything computed from it."""

    dataset: Dataset
    scores: list[CountryScore]
    intervals: dict[str, RankInterval]  # composite rank intervals by ISO code
    pillar_intervals: dict[str, dict[str, RankInterval]]  # pillar id -> ISO code -> interval
    warnings: list[Problem]
    layers: dict[str, dict[str, LayerScore]] = field(default_factory=dict)  # layer -> ISO -> score
    # ISO code -> (pillar, layer) -> score: the sovereignty lens matrix of each country
    matrix: dict[str, dict[tuple[str, str], LayerScore]] = field(default_factory=dict)
    editions: dict[int, list[CountryScore]] = field(default_factory=dict)  # year -> scores then


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one build or check.

    A build makes hundreds of thousands of objects (observations, scores, page fragments)
    that live until it ends and form almost no reference cycles; the collector kept walking
    all of them again, which took a fifth to a quarter of a build. Reference counting still
    frees everything that is not in a cycle; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check(
    paths: Paths, *, country_codes: Collection[str] | None = None
) -> tuple[Dataset, list[Problem]]:
    """Validate the data; raise ScorecardError with every problem if anything is wrong.

    `country_codes`: see validate.load_dataset (benchmarks only; the CLI never sets it).
    """
    return load_dataset(paths.data, country_codes=country_codes)


def compute(paths: Paths, *, country_codes: Collection[str] | None = None) -> Results:
    """Validate, then score, rank and run the sensitivity analysis (or read the results
    back, if this data was computed before: scorecard.resultcache)."""
    dataset, warnings = check(paths, country_codes=country_codes)
    store = resultcache.default()
    computed = resultcache.load(dataset, store)
    if computed is None:
        computed = compute_results(dataset)
        resultcache.save(dataset, store, computed)
    return Results(
        dataset,
        computed.scores,
        computed.intervals,
        computed.pillar_intervals,
        warnings,
        layers=computed.layers,
        editions=computed.editions,
        matrix=computed.matrix,
    )


def compute_results(dataset: Dataset) -> resultcache.Computed:
    """Scores, ranks, lens scores, editions and rank intervals: everything but the pages."""
    from .sensitivity import analyse  # numpy loads only here: `check` does not need it

    scores = score_dataset(dataset)
    analysis = analyse(dataset.framework, scores)
    return resultcache.Computed(
        scores,
        analysis.composite,
        analysis.pillars,
        layer_scores(dataset.framework, scores),
        editions(dataset),
        lens_matrix(dataset.framework, scores),
    )


def editions(dataset: Dataset) -> dict[int, list[CountryScore]]:
    """The scorecard as the data stood at the end of each year with enough data to rank.

    Every year is scored with today's framework (fixed goalposts), so years compare.
    """
    years = sorted(
        {
            o.year
            for c in dataset.countries
            for obs in c.indicators.values()
            for o in obs
            if o.year <= dataset.framework.edition
        }
    )
    framework = dataset.framework
    data_years = {c.iso3: data_years_of(c) for c in dataset.countries}
    unranked: dict[tuple[str, int | None], CountryScore] = {}  # (country, data up to) -> scores
    result = {}
    for year in years:
        scores = []
        for country in dataset.countries:
            own = data_years[country.iso3]  # data_as_of(country, year), without a scan:
            found = bisect.bisect_right(own, year)
            key = (country.iso3, own[found - 1] if found else None)
            if key not in unranked:
                unranked[key] = score_country(country, framework, framework.aggregation, year)
            scores.append(unranked[key])
        if any(s.composite is not None for s in scores):
            result[year] = rank_scores(framework, scores)
    return result


def render(results: Results, paths: Paths, config: Config) -> dict[str, Content]:
    """Every file of the site, in memory (relative path -> bytes or a file to copy)."""
    from .site import render_site  # the site's templates load only when building

    return render_site(results, paths, config)


def build(paths: Paths, config: Config) -> tuple[Results, dict[str, Content]]:
    """Compute and render everything, then replace the output folder in one step."""
    results = compute(paths)
    files = render(results, paths, config)
    write_site(paths.out, files)
    return results, files
