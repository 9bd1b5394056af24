"""The validated data the build works on: framework, sources and countries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Source:
    """A citation, modelled on Our World in Data's origin."""

    id: str  # registry id, or "" for a citation written inline in a country file
    producer: str
    title: str
    url: str
    published: str = ""
    accessed: str = ""
    licence: str = ""
    via: str = ""
    note: str = ""


@dataclass(frozen=True)
class RubricLevel:
    level: str
    score: float
    description: str


@dataclass(frozen=True)
class Indicator:
    id: str
    pillar: str
    name: str
    proxy_for: str
    unit: str
    kind: str  # "measured" or "assessed"
    higher_is_better: bool
    weight: float
    default_source: str
    transform: tuple[str, ...] = ()  # steps among "per_capita", "per_gdp", "log"
    low: float = 0.0
    high: float = 100.0
    valid_min: float = float("-inf")
    valid_max: float = float("inf")
    rubric: tuple[RubricLevel, ...] = ()
    layer: str = ""  # layer of the sovereignty lens: territory, ownership or stack
    # Read from `kind` and `transform` once, not each time a value is scored (~40,000
    # times a build at 200 countries): assessed, the log scale, and the context figure
    # values are divided by ("population", "gdp" or None).
    assessed: bool = field(init=False, repr=False, compare=False)
    log: bool = field(init=False, repr=False, compare=False)
    denominator: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = self.transform
        denominator = (
            "population" if "per_capita" in steps else "gdp" if "per_gdp" in steps else None
        )
        object.__setattr__(self, "assessed", self.kind == "assessed")
        object.__setattr__(self, "log", "log" in steps)
        object.__setattr__(self, "denominator", denominator)

    def level_score(self, level: str) -> float:
        return next(r.score for r in self.rubric if r.level == level)


@dataclass(frozen=True)
class Pillar:
    id: str
    name: str
    weight: float
    question: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Sensitivity:
    runs: int
    seed: int
    weight_spread: float
    normalisations: tuple[str, ...]
    aggregations: tuple[str, ...]


@dataclass(frozen=True)
class ContextFigure:
    id: str
    name: str
    unit: str
    valid_min: float
    valid_max: float


@dataclass(frozen=True)
class Layer:
    """A layer of the sovereignty lens."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class ProposedIndicator:
    """An assessed indicator a layer needs but no source covers yet; not scored."""

    id: str
    pillar: str
    layer: str
    name: str
    proxy_for: str
    rubric: tuple[RubricLevel, ...]
    evidence_required: str


@dataclass(frozen=True)
class PeerGroup:
    id: str
    name: str
    basis: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class OtherIndex:
    """Another index whose results are kept for comparison only."""

    id: str
    name: str
    kind: str  # "score" (higher is better) or "rank" (1 is best)
    note: str = ""

    @property
    def unit(self) -> str:
        return "rank (1 = best)" if self.kind == "rank" else "score"

    @property
    def valid_min(self) -> float:
        return 1 if self.kind == "rank" else 0

    @property
    def valid_max(self) -> float:
        return 1000


@dataclass(frozen=True)
class EditionRecord:
    edition: int
    version: int
    changes: str


@dataclass(frozen=True)
class Framework:
    version: int
    title: str
    edition: int
    coverage_threshold: float
    aggregation: str
    regions: tuple[str, ...]
    context: tuple[ContextFigure, ...]
    sensitivity: Sensitivity
    pillars: tuple[Pillar, ...]
    layers: tuple[Layer, ...] = ()
    proposed: tuple[ProposedIndicator, ...] = ()
    peer_groups: tuple[PeerGroup, ...] = ()
    other_indices: tuple[OtherIndex, ...] = ()
    history: tuple[EditionRecord, ...] = ()

    @cached_property  # read for every country and year when scoring
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for pillar in self.pillars for ind in pillar.indicators)

    def indicator(self, indicator_id: str) -> Indicator:
        return next(ind for ind in self.indicators if ind.id == indicator_id)


@dataclass(frozen=True)
class Observation:
    year: int
    source: Source
    value: int | float | None = None  # measured indicators (as written in the file)
    level: str | None = None  # assessed indicators
    justification: str = ""
    period: str = ""
    evidence: str = ""
    note: str = ""
    line: int = 0  # where the observation starts in its file, for links and messages

    @property
    def label(self) -> str:
        """The period the value describes, as shown to readers."""
        return self.period or str(self.year)


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    region: str
    path: str  # the file, relative to the data folder's parent (e.g. indicators/countries/KOR.yaml)
    subregion: str = ""
    context: dict[str, tuple[Observation, ...]] = field(default_factory=dict)
    indicators: dict[str, tuple[Observation, ...]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    narrative: str = ""
    other_indices: dict[str, tuple[Observation, ...]] = field(default_factory=dict)

    def latest(self, indicator_id: str, as_of: int | None = None) -> Observation | None:
        """The observation the score uses: the most recent year (up to `as_of`, if given)."""
        return _latest(self.indicators.get(indicator_id, ()), as_of)

    def context_value(self, figure: str, as_of: int | None = None) -> float | None:
        found = _latest(self.context.get(figure, ()), as_of)
        return found.value if found else None


def _latest(observations: tuple[Observation, ...], as_of: int | None) -> Observation | None:
    latest = None  # one pass, no list: called for every indicator, country and edition year
    for o in observations:
        if (as_of is None or o.year <= as_of) and (latest is None or o.year > latest.year):
            latest = o
    return latest


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Event:
    date: str  # YYYY-MM-DD or YYYY-MM
    track: str
    title: str
    source: Link
    detail: str = ""
    quote: str = ""


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    value: float
    unit: str
    year: int
    source: Link
    unmeasured: str = ""


@dataclass(frozen=True)
class Measure:
    target: str
    name: str
    value: float
    date: str
    source: Link
    note: str = ""


@dataclass(frozen=True)
class Spotlight:
    """A country's story page: markdown, a sourced timeline, and the targets it set itself."""

    iso3: str
    title: str
    story: str  # markdown
    tracks: tuple[tuple[str, str], ...]  # (id, name)
    events: tuple[Event, ...]  # by date
    targets: tuple[Target, ...] = ()
    measures: tuple[Measure, ...] = ()
    peer_group: str = ""


@dataclass(frozen=True)
class Dataset:
    framework: Framework
    sources: dict[str, Source]
    countries: tuple[Country, ...]  # sorted by iso3
    spotlights: tuple[Spotlight, ...] = ()  # sorted by iso3
    methodology: str = ""  # methodology.md, the markdown the Methodology page shows
    # Digests of everything the scores depend on (scorecard.resultcache): all of it, and
    # each country's part (ISO code -> its file's validation key); empty when unknown.
    fingerprint: str = field(default="", compare=False, repr=False)
    country_keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # What every country file's validation depends on besides the file itself: framework,
    # sources, code, date (scorecard.validate; empty when unknown): for scorecard.pagecache.
    context: str = field(default="", compare=False, repr=False)
    # The validation cache's key of the sources, framework, spotlights and methodology
    # checked (validate._Checker._shared; empty when not stored), which serve keeps.
    shared_key: str = field(default="", compare=False, repr=False)

    def country(self, iso3: str) -> Country:
        return self._by_iso[iso3]

    @cached_property
    def _by_iso(self) -> dict[str, Country]:
        return {c.iso3: c for c in self.countries}
