"""The build, start to finish: load -> validate -> score -> render -> write.

Everything is gathered, validated and rendered in memory first; only then is the site
written, all at once, so a failure at any step leaves the previous site untouched.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import pagecache, parallel, resultcache
from .cache import Store
from .compute import (
    CountryScore,
    LayerScore,
    Lens,
    RankInterval,
    data_years_of,
    layer_scores,
    rank_scores,
    score_country,
)
from .config import Config
from .errors import Problem
from .model import Country, Dataset, Framework
from .validate import load_dataset
from .write import Output, Writer, static_files

if TYPE_CHECKING:  # imported only where the runs are made: it imports numpy
    from . import sensitivity


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


class Results:
    """The validated data and everything computed from it.

    The computed part (`computed`, and its fields as attributes) is made, or read back from
    the result cache, when first read: a build whose pages all come from the page cache
    (scorecard.pagecache) never needs it. When it is made, the rank intervals come last
    (see Computing): reading the scores, editions and lens scores does not wait for them,
    and `intervals_ready` tells whether reading them would.
    """

    def __init__(
        self,
        dataset: Dataset,
        warnings: list[Problem],
        computed: Made | Callable[[], Made],
        unsaved: list[Callable[[], None]] | None = None,
    ):
        self.dataset = dataset
        self.warnings = warnings
        self._computed = computed
        self._unsaved = unsaved if unsaved is not None else []  # filled by `computed`
        # Work for the Monte Carlo runs' child after its runs (parallel.Forked's `spare`),
        # if the results are computed after it is set: rendering's templates compiled into
        # their cache, while this process scores the editions.
        self.spare: Callable[[], object] | None = None

    def take_unsaved(self) -> Callable[[], None]:
        """What writes the results computed here to the result cache (nothing when they
        were read from it, are not computed yet, or were taken before). Rendering runs it
        in its second process, meanwhile (site._Renderer.render): the entry takes 0.06 s to
        write at 200 countries, 0.4 s at 1,000."""
        jobs = list(self._unsaved)
        self._unsaved.clear()

        def save() -> None:
            for job in jobs:
                job()

        return save

    @property
    def _made(self) -> Made:
        if not isinstance(self._computed, resultcache.Computed | Computing):
            self._computed = self._computed()  # the function (and what it holds) can go
        return self._computed

    @property
    def computed(self) -> resultcache.Computed:
        made = self._made
        if isinstance(made, Computing):
            made = self._computed = made.whole()
        return made

    def intervals_ready(self) -> bool:
        """Whether the rank intervals can be read without waiting for the Monte Carlo runs
        (the other results are computed by then)."""
        made = self._made
        return not isinstance(made, Computing) or made.ready()

    @property
    def scores(self) -> list[CountryScore]:
        return self._made.scores

    @property
    def intervals(self) -> dict[str, RankInterval]:  # composite rank intervals by ISO code
        return self.computed.intervals

    @property
    def pillar_intervals(self) -> dict[str, dict[str, RankInterval]]:  # pillar -> ISO -> it
        return self.computed.pillar_intervals

    @property
    def layers(self) -> dict[str, dict[str, LayerScore]]:  # layer -> ISO -> score
        return self._made.layers

    @property
    def matrix(self) -> dict[str, dict[tuple[str, str], LayerScore]]:
        """ISO code -> (pillar, layer) -> score: the sovereignty lens matrix of each country."""
        return self._made.matrix

    @property
    def editions(self) -> dict[int, list[CountryScore]]:  # year -> scores then
        return self._made.editions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Results):
            return NotImplemented
        return (self.dataset, self.warnings, self.computed) == (
            other.dataset,
            other.warnings,
            other.computed,
        )

    __hash__ = None  # type: ignore[assignment]


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
    paths: Paths,
    *,
    country_codes: Collection[str] | None = None,
    store: Store | bool | None = True,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[Dataset, list[Problem]]:
    """Validate the data; raise ScorecardError with every problem if anything is wrong.

    `country_codes`, `store`, `meanwhile`: see validate.load_dataset (`country_codes` is
    for the benchmarks only; the CLI never sets it).
    """
    return load_dataset(paths.data, country_codes=country_codes, store=store, meanwhile=meanwhile)


def compute(
    paths: Paths,
    *,
    country_codes: Collection[str] | None = None,
    kept: Kept | None = None,
    store: Store | bool | None = True,
) -> Results:
    """Validate now; score, rank and run the sensitivity analysis (or read the results
    back, if this data was computed before: scorecard.resultcache) when the results are
    first read (Results.computed). New results are written to the result cache by
    rendering (Results.take_unsaved).

    `kept`: what earlier computations in this process (serve's) kept for this one (see
    Kept). `store`: where validated files are kept (see validate.load_dataset; serve's
    keeps them in memory too).
    """
    # While a child checks country files, this process imports what rendering needs (~60
    # ms, with Jinja and Markdown) instead of leaving the other processor idle later.
    dataset, warnings = check(
        paths, country_codes=country_codes, store=store, meanwhile=_import_rendering
    )
    unsaved: list[Callable[[], None]] = []

    def computed() -> Made:
        store = resultcache.default()
        found = resultcache.load(dataset, store)
        if found is not None:
            return found
        computing = start_computing(dataset, kept, spare=results.spare)  # results: below
        unsaved.append(lambda: resultcache.save(dataset, store, computing.whole()))  # take_unsaved
        return computing

    results = Results(dataset, warnings, computed, unsaved)
    return results


# A country's scores before ranking, by (its file's validation key, data up to year): None
# for all its data (also for an edition that has it all), 0 for none (a year before any),
# else the year of its latest observation up to the edition's year (compute.data_as_of).
Unranked = dict[tuple[str, int | None], CountryScore]


@dataclass
class Kept:
    """What a process that computes again after every edit (serve) keeps from one
    computation for the next (start_computing): what each country file alone determines
    (its unranked scores, and the rest in Own, by the file's validation key), and the
    Monte Carlo runs with their ranks (sensitivity.Kept, made when first needed)."""

    unranked: Unranked = field(default_factory=dict)
    own: dict[str, Own] = field(default_factory=dict)
    # Year (None: now) -> the unranked scores last ranked for it, and their ranking.
    ranked: dict[int | None, tuple[list[CountryScore], list[CountryScore]]] = field(
        default_factory=dict
    )
    runs: sensitivity.Kept | None = None


@dataclass(frozen=True)
class Own:
    """What one country file alone determines (with the framework), besides its scores."""

    edition_years: frozenset[int]  # of its indicator observations, up to the edition's
    data_years: list[int]  # every year it has data in (compute.data_years_of)
    layers: dict[str, LayerScore]  # its layer scores before ranking (Lens.layers)
    cells: dict[tuple[str, str], LayerScore]  # its lens matrix (Lens.cells)


def compute_results(dataset: Dataset, kept: Kept | None = None) -> resultcache.Computed:
    """Scores, ranks, lens scores, editions and rank intervals: everything but the pages."""
    return start_computing(dataset, kept).whole()


def _import_rendering() -> None:
    from . import site  # noqa: F401


def start_computing(
    dataset: Dataset, kept: Kept | None = None, *, spare: Callable[[], object] | None = None
) -> Computing:
    """compute_results, returning once everything but the rank intervals is computed.

    The Monte Carlo runs need only the scores, not their ranks: on two processors a forked
    child runs them (and imports numpy) while this process ranks the scores, scores the
    editions and the lens, and goes on with whatever its caller does next until it reads
    the intervals (scorecard.parallel.Forked); the results are the same either way.

    With `kept`, what did not change since the last computation is not computed again. A
    country's unranked scores depend only on its own file and the framework (which its
    validation key covers): those of unchanged files are reused, and `kept.unranked` is
    left holding exactly the current files' scores. The runs are made in this process
    when the intervals are first read, and only the countries whose scores changed in
    them are ranked again (sensitivity.Kept): quicker than every run ranked in a child.
    Ranks and medians involve every country and are always computed.

    `spare`: what the child does after its runs (see Results.spare).
    """
    scorer = _Scorer(dataset, kept)
    framework = dataset.framework
    current = [scorer.score(c, None) for c in dataset.countries]
    if kept is None:
        intervals = parallel.Forked(  # the ranks are not used
            lambda: _rank_intervals(framework, current), spare=spare
        )
    else:
        intervals = parallel.Forked(lambda: _rank_intervals(framework, current, kept), fork=False)
    try:
        own = {c.iso3: scorer.own(c) for c in dataset.countries}  # the lens: after the fork
        scores = scorer.ranked(None, current)
        return Computing(
            scores,
            layer_scores(framework, scores, {iso: o.layers for iso, o in own.items()}),
            editions(dataset, scorer),
            {iso: o.cells for iso, o in own.items()},
            intervals,
        )
    except BaseException:
        intervals.discard()
        raise


class Computing:
    """Results whose rank intervals may still be being computed (start_computing)."""

    def __init__(
        self,
        scores: list[CountryScore],
        layers: dict[str, dict[str, LayerScore]],
        editions: dict[int, list[CountryScore]],
        matrix: dict[str, dict[tuple[str, str], LayerScore]],
        intervals: parallel.Forked[
            tuple[dict[str, RankInterval], dict[str, dict[str, RankInterval]]]
        ],
    ):
        self.scores, self.layers, self.editions, self.matrix = scores, layers, editions, matrix
        self._intervals = intervals
        self._whole: resultcache.Computed | None = None

    def ready(self) -> bool:
        """Whether `whole()` would return without waiting for the intervals."""
        return self._whole is not None or self._intervals.ready()

    def whole(self) -> resultcache.Computed:
        """Every result, the intervals included (waiting for them if need be)."""
        if self._whole is None:
            composite, pillars = self._intervals.result()
            self._whole = resultcache.Computed(
                self.scores, composite, pillars, self.layers, self.editions, self.matrix
            )
        return self._whole


Made = resultcache.Computed | Computing  # what Results holds once computing has started


def _rank_intervals(
    framework: Framework, scores: list[CountryScore], kept: Kept | None = None
) -> tuple[dict[str, RankInterval], dict[str, dict[str, RankInterval]]]:
    """The Monte Carlo rank intervals (sensitivity.analyse): the composite's and each
    pillar's. numpy is imported only here; the intervals come back as plain mappings, since
    reading back a sensitivity.Intervals in the build's process would import it there."""
    from . import sensitivity

    runs = None
    if kept is not None:
        runs = kept.runs = kept.runs or sensitivity.Kept()
    analysis = sensitivity.analyse(framework, scores, runs)
    return analysis.composite, analysis.pillars


class _Scorer:
    """A country's unranked scores (score_country), computed once for each country and
    year, and what else its file alone determines (Own), computed once for each country.

    With `kept` and the files' keys known, both are kept there by file key, for the next
    computation (stale entries are dropped); otherwise in a Kept of this computation's
    own, by ISO code.
    """

    def __init__(self, dataset: Dataset, kept: Kept | None):
        self.framework, self._keys = dataset.framework, dataset.country_keys
        if kept is None or not self._keys:
            kept, self._keys = Kept(), {c.iso3: c.iso3 for c in dataset.countries}
        else:
            current = set(self._keys.values())
            for stale in [k for k in kept.unranked if k[0] not in current]:
                del kept.unranked[stale]
            for gone in [k for k in kept.own if k not in current]:
                del kept.own[gone]
        self._kept = kept
        self._lens: Lens | None = None

    def score(self, country: Country, as_of: int | None) -> CountryScore:
        key = (self._keys[country.iso3], as_of)
        found = self._kept.unranked.get(key)
        if found is None:
            framework = self.framework
            found = score_country(country, framework, framework.aggregation, as_of)
            self._kept.unranked[key] = found
        return found

    def ranked(self, year: int | None, scores: list[CountryScore]) -> list[CountryScore]:
        """rank_scores of the current `scores` (year None) or of an edition's, without
        their indicator scores; the last computation's ranking when it ranked the same
        scores: the same objects where no file changed, and equal ones where an edit did
        not change a country's scores as of that year (a later year's value edited).
        Otherwise the countries whose scores and ranks did not change keep their ranked
        scores from it (rank_scores' `earlier`)."""
        earlier = before, ranking = self._kept.ranked.get(year, ([], []))
        if len(before) == len(scores) and all(map(_same, before, scores)):
            self._kept.ranked[year] = (scores, ranking)  # compared by identity next time
            return ranking
        result = rank_scores(self.framework, scores, indicators=year is None, earlier=earlier)
        self._kept.ranked[year] = (scores, result)
        return result

    def forget_other_years(self, years: Collection[int]) -> None:
        """Keep rankings only of now and of `years` (the current editions')."""
        for gone in [y for y in self._kept.ranked if y is not None and y not in years]:
            del self._kept.ranked[gone]

    def own(self, country: Country) -> Own:
        key = self._keys[country.iso3]
        found = self._kept.own.get(key)
        if found is None:
            if self._lens is None:
                self._lens = Lens(self.framework)
            current = self.score(country, None)
            edition = self.framework.edition
            found = self._kept.own[key] = Own(
                frozenset(
                    o.year for obs in country.indicators.values() for o in obs if o.year <= edition
                ),
                data_years_of(country),
                self._lens.layers(current),
                self._lens.cells(current),
            )
        return found


def _same(before: CountryScore, now: CountryScore) -> bool:
    return before is now or before == now


def editions(dataset: Dataset, scorer: _Scorer | None = None) -> dict[int, list[CountryScore]]:
    """The scorecard as the data stood at the end of each year with enough data to rank.

    Every year is scored with today's framework (fixed goalposts), so years compare.
    `scorer` gives a country's unranked scores and data years, each computed once: a
    country is scored once for each year it has data, not each year.
    An edition keeps each country's composite and pillar scores, coverage, data years and
    ranks, not its indicator scores (`indicators` is empty): the pages show a country's
    indicators as they are now, and without them an edition is a fifth of the size in
    the result cache, which stores every edition.
    """
    if scorer is None:
        scorer = _Scorer(dataset, None)
    countries = [(c, scorer.own(c).data_years) for c in dataset.countries]
    years = sorted(frozenset().union(*(scorer.own(c).edition_years for c, _ in countries)))
    result = {}
    for year in years:
        scores = []
        for country, data_years in countries:  # data_as_of(country, year), without a scan
            found = bisect.bisect_right(data_years, year)
            if found == len(data_years):  # all its data: the current scores, already made
                scores.append(scorer.score(country, None))
            else:  # 0: no data yet
                scores.append(scorer.score(country, data_years[found - 1] if found else 0))
        if any(s.composite is not None for s in scores):
            result[year] = scorer.ranked(year, scores)
    scorer.forget_other_years(result)
    return result


def render(
    results: Results,
    paths: Paths,
    config: Config,
    *,
    first: Collection[str] = (),
    ahead: Callable[[dict[str, bytes]], None] | None = None,
    writer: Writer | None = None,
) -> Output:
    """Every file of the site (relative path -> bytes, or a file to copy: the pages the
    previous build wrote that did not change, and the static files), with the page
    cache's keys. With `writer` (see `publish`), the files with a key are put into the new
    site as they are made, by whichever process makes them (write.STAGED).

    `first`, `ahead`: pages to make before the others and hand to `ahead` as soon as they
    are made (`serve`'s open and edited pages; see site._Renderer.render).
    """
    previous = writer.previous if writer is not None else None
    pages = pagecache.for_build(results.dataset, paths, config, previous)
    if pages is not None:
        kept = pages.whole_site()
        if kept is not None:  # nothing any page shows changed since the last build
            return Output({**static_files(paths.static), **kept}, dict(pages.previous))
    from .site import render_site  # the templates and their libraries load only to render

    return render_site(results, paths, config, pages, first=first, ahead=ahead, writer=writer)


def publish(
    results: Results,
    paths: Paths,
    config: Config,
    *,
    first: Collection[str] = (),
    ahead: Callable[[dict[str, bytes]], None] | None = None,
) -> tuple[Output, bool]:
    """Render the site into a new folder beside paths.out, each file written as it is made
    by both processes (write.Writer), then put it in place of paths.out in one step,
    remembering what was written and the pages' keys (in the cache): a build that changed
    nothing writes nothing, and the next build reuses the pages that did not change.
    Returns the files and whether anything was written. `first`, `ahead`: see render."""
    with Writer(paths.out, pagecache.written_records()) as writer:
        output = render(results, paths, config, first=first, ahead=ahead, writer=writer)
        return output, writer.finish(output.files, output.keys)


def build(paths: Paths, config: Config) -> tuple[Results, Output]:
    """Compute and render everything into a new site, which then replaces the output
    folder in one step."""
    results = compute(paths)
    output, _ = publish(results, paths, config)
    return results, output
