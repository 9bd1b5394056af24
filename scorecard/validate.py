"""Check every data file against its schema and the framework; build the Dataset.

All problems in all files are collected before anything is reported, so a
contributor sees everything that is wrong in one run. Structure is checked with
the JSON Schemas in schema/ (the same ones editors use); meaning (known ids,
rubric levels, plausible values, dates, URLs, file names) is checked here.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import json
import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import parallel, schemacheck
from .cache import Store, code_version, default_store, digest
from .errors import Problem, ScorecardError, Severity
from .load import (
    METHODOLOGY_FILE,
    DataFiles,
    discover,
    display_path,
    format_path,
    read_markdown,
    read_yaml,
    relative_to_project,
)
from .model import (
    ContextFigure,
    Country,
    Dataset,
    EditionRecord,
    Event,
    Framework,
    Indicator,
    Layer,
    Link,
    Measure,
    Observation,
    OtherIndex,
    PeerGroup,
    Pillar,
    ProposedIndicator,
    RubricLevel,
    Sensitivity,
    Source,
    Spotlight,
    Target,
)
from .yamlsafe import MAX_FILE_BYTES, Document

if TYPE_CHECKING:  # jsonschema loads only when a file breaks its schema (see _schema_check)
    import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
TRANSFORM_STEPS = ("per_capita", "per_gdp", "log")
# No number in a data file may be larger than this (or NaN or infinite): beyond it a value
# is a mistake, and weights or goalposts that large overflow the arithmetic of the scores.
MAX_MAGNITUDE = 1e15

Path_ = tuple[str | int, ...]
_Outcome = tuple[list[Problem], set[str], Country | None]  # a country file's problems, sources
# The sources, the framework, each spotlight (None: not valid) and the methodology's text
_Shared = tuple[dict[str, Source] | None, Framework | None, list[Spotlight | None], str]
FORK_AT = 16  # country files to check (not in the cache) before a second process helps


def load_dataset(
    root: Path,
    *,
    today: date | None = None,
    country_codes: Collection[str] | None = None,
    store: Store | bool | None = True,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[Dataset, list[Problem]]:
    """Read and validate everything under `root`; return the Dataset and its warnings.

    Raises ScorecardError with every problem (errors and warnings) if any error is found.
    `country_codes` replaces ISO 3166-1 alpha-3 (pycountry) as the codes a country may have:
    the command line never sets it; the benchmarks pass ISO plus user-assigned codes to
    build more than 249 countries (docs/performance.md). `store` keeps validated country
    files between builds: True for the default cache (scorecard.cache), False or None for none.
    `meanwhile`: what this process does first while a forked child starts checking country
    files, if one does (a build imports its rendering's modules).
    """
    files = discover(root)
    if store is True:
        store = default_store("countries")
    checker = _Checker(files, today or date.today(), country_codes, store or None, meanwhile)
    dataset = checker.run()
    if dataset is None or any(p.severity is Severity.ERROR for p in checker.problems):
        raise ScorecardError(checker.problems)
    return dataset, sorted(checker.problems)


def files_checked(root: Path) -> int:
    """The files a check reads: framework, sources, countries (and strays), spotlights with
    their stories, and the methodology if there is one."""
    files = discover(root)
    methodology = (root / METHODOLOGY_FILE).is_file()
    return 2 + len(files.countries) + len(files.strays) + 2 * len(files.spotlights) + methodology


class _FileReport:
    """Collects the problems of one file, positioned from its Document."""

    def __init__(
        self, path: Path, doc: Document, problems: list[Problem], shown: str | None = None
    ):
        self.shown = display_path(path) if shown is None else shown
        self.doc = doc
        self.problems = problems

    def error(self, path: Path_, message: str, tip: str = "", *, key: bool = False) -> None:
        self._add(Severity.ERROR, path, message, tip, key)

    def warning(self, path: Path_, message: str, tip: str = "", *, key: bool = False) -> None:
        self._add(Severity.WARNING, path, message, tip, key)

    def line(self, path: Path_) -> int:
        return self.doc.position(path)[0]

    def _add(self, severity: Severity, path: Path_, message: str, tip: str, key: bool) -> None:
        line, column = self.doc.position(path, key=key)
        self.problems.append(
            Problem(self.shown, line, column, severity, format_path(path), message, tip)
        )


def _stray(path: Path) -> tuple[str, str]:
    """What is wrong with an entry of countries/ that is not a country file, and the tip."""
    if path.suffix == ".yaml" and path.is_symlink() and not path.exists():
        return (
            "a link to a file that does not exist: a country file must be readable",
            "point the link at the country's file, or remove it",
        )
    if path.suffix == ".yaml" and path.is_dir():
        return (
            "a folder, not a country file: country files are ISO3.yaml files (e.g. KOR.yaml)",
            "move it out of countries/, or start its name with _ if it is not data",
        )
    return (
        "not a country file: country files are named ISO3.yaml (e.g. KOR.yaml)",
        "rename it, or start its name with _ if it is not data",
    )


class _Checker:
    def __init__(
        self,
        files: DataFiles,
        today: date,
        country_codes: Collection[str] | None = None,
        store: Store | None = None,
        meanwhile: Callable[[], object] | None = None,
    ):
        self.files = files
        self.meanwhile = meanwhile
        self.today = today
        self.problems: list[Problem] = []
        self.used_sources: set[str] = set()
        self.sources_report: _FileReport | None = None
        self.known_code = _iso_country if country_codes is None else country_codes.__contains__
        self.codes_key = "iso" if country_codes is None else ",".join(sorted(country_codes))
        self.store = store
        self.cache_context = ""
        self.shared_key = ""  # of _shared's outcome, when stored
        self._catalogue: tuple[Framework, dict[str, dict[str, Any]]] | None = None
        self.country_keys: dict[Path, str] = {}
        # The bytes read to make a cache key, kept for the file's check: a file is read
        # once a build, and what is checked (and stored under the key) is what was hashed,
        # even if the file is saved again meanwhile (see _key_bytes).
        self._raw: dict[Path, bytes] = {}

    @cached_property
    def _root(self) -> Path:
        """The data folder, resolved (once: every file is checked to be inside it)."""
        return self.files.root.resolve()

    def run(self) -> Dataset | None:
        for stray in self.files.strays:
            message, tip = _stray(stray)
            self.problems.append(
                Problem(display_path(stray), 0, 0, Severity.ERROR, "", message, tip)
            )
        files = {p.stem: p for p in self.files.countries}
        sources, framework, spotlights, methodology = self._shared(set(files))
        if self.store is not None and framework is not None and sources is not None:
            self.cache_context = self._cache_context()
        countries = self._countries(framework, sources)
        valid = [c for c in countries if c is not None]
        self._cross_file(valid)
        self._unused_sources(sources)
        good_spotlights = [s for s in spotlights if s is not None]
        if (
            framework is None
            or sources is None
            or len(valid) != len(countries)
            or len(good_spotlights) != len(spotlights)
        ):
            return None
        return Dataset(
            framework,
            sources,
            tuple(sorted(valid, key=lambda c: c.iso3)),
            tuple(sorted(good_spotlights, key=lambda s: s.iso3)),
            methodology,
            self._fingerprint(),
            {iso3: key for iso3, path in files.items() if (key := self.country_keys.get(path))},
            self.cache_context,
            self.shared_key,
        )

    # -- the files every country file depends on -----------------------------------------

    def _shared(self, countries: set[str]) -> _Shared:
        """The sources, the framework, the spotlights and the methodology, checked; or,
        when none of their files, the country files' names, the code and the day changed
        since they were last checked without an error, their outcome (warnings included)
        from the cache: ~6 ms a build at any size, which `serve` spends on every edit."""
        key = self._shared_key(countries)
        if key:
            match self.store.get(key):  # type: ignore[union-attr]
                case (
                    list() as problems,
                    set() as used,
                    (dict(), Framework(), list(), str()) as shared,
                ):
                    self.problems += problems
                    self.used_sources |= used  # cited by the framework (default sources)
                    self.shared_key = key
                    return shared  # type: ignore[return-value]
        before, used_before = len(self.problems), set(self.used_sources)
        sources = self._sources()
        framework = self._framework(sources)
        spotlights = [self._spotlight(path, framework, countries) for path in self.files.spotlights]
        methodology = ""
        methodology_file = self.files.root / METHODOLOGY_FILE
        if methodology_file.is_file():  # the site shows it; it is checked as the stories are
            raw = self._raw.get(methodology_file)
            methodology = read_markdown(methodology_file, self.problems, raw) or ""
        shared = (sources, framework, spotlights, methodology)
        problems = self.problems[before:]
        if key and not any(p.severity is Severity.ERROR for p in problems):
            used = self.used_sources - used_before
            self.store.put(key, (problems, used, shared))  # type: ignore[union-attr]
            self.shared_key = key
        return shared

    def _shared_key(self, countries: set[str]) -> str:
        """The cache key of _shared's outcome: "" without a cache, or when a file is
        out of the data folder, too large or unreadable (the check then says why)."""
        if self.store is None:
            return ""
        root = self._root
        paths = [self.files.sources, self.files.framework, self.files.root / METHODOLOGY_FILE]
        paths += [p.with_suffix(s) for p in self.files.spotlights for s in (".yaml", ".md")]
        parts: list[str | bytes] = []
        for path in paths:
            if not path.resolve().is_relative_to(root):
                return ""
            try:
                raw = self._key_bytes(path)
            except FileNotFoundError:
                raw = b"missing"  # part of the outcome (an error, or no methodology)
            except OSError:
                return ""
            if raw is None:
                return ""
            parts += [str(path), raw]
        return digest(
            "shared files",
            code_version(),
            _iso_codes_version(),
            self.today.isoformat(),
            self.codes_key,
            str(Path.cwd()),  # problems name files relative to it
            str(root),
            *sorted(countries),
            *parts,
        )

    def _fingerprint(self) -> str:
        """What the scores depend on: the cache context (framework, sources, code...) and
        every country file's key; "" when a key is unknown (no cache)."""
        keys = list(self.country_keys.values())
        if not self.cache_context or not all(keys):
            return ""
        return digest(self.cache_context, *keys)

    # -- spotlights/*.yaml --------------------------------------------------------------

    def _spotlight(
        self, path: Path, framework: Framework | None, countries: set[str]
    ) -> Spotlight | None:
        doc = self._read(path, self._raw.get(path))
        if doc is None:
            return None
        report = _FileReport(path, doc, self.problems)
        if not _schema_check(report, "spotlight.schema.json"):
            return None
        data, errors_before = doc.data, self._error_count()
        if data["iso3"] != path.stem:
            report.error(
                ("iso3",),
                f"'{data['iso3']}' does not match the file name '{path.name}'",
                f"name the file {data['iso3']}.yaml, or correct the code",
            )
        elif data["iso3"] not in countries:
            report.error(
                ("iso3",),
                f"no country file for '{data['iso3']}'",
                f"add indicators/countries/{data['iso3']}.yaml first",
            )
        groups = [g.id for g in framework.peer_groups] if framework else []
        if framework and data.get("peer_group") and data["peer_group"] not in groups:
            report.error(
                ("peer_group",),
                f"unknown peer group '{data['peer_group']}' (expected one of: {', '.join(groups)})",
                _did_you_mean(data["peer_group"], groups),
            )
        self._check_spotlight_entries(report, data)
        story = path.with_suffix(".md")
        text = None
        if story.is_file():
            text = read_markdown(story, self.problems, self._raw.get(story))
        else:
            report.error(
                (),
                f"the story {story.name} is missing beside {path.name}",
                "write the spotlight's story in markdown there",
            )
        if self._error_count() > errors_before or text is None:
            return None
        return _spotlight(data, text)

    def _check_spotlight_entries(self, report: _FileReport, data: dict[str, Any]) -> None:
        tracks = [t["id"] for t in data["tracks"]]
        targets = [t["id"] for t in data.get("targets", [])]
        for section, field, known, what in (
            ("events", "track", tracks, "track"),
            ("measures", "target", targets, "target"),
        ):
            for index, entry in enumerate(data.get(section, [])):
                if entry[field] not in known:
                    report.error(
                        (section, index, field),
                        f"unknown {what} '{entry[field]}' (expected one of: {', '.join(known)})",
                        _did_you_mean(entry[field], known),
                    )
        for section in ("events", "targets", "measures"):
            for index, entry in enumerate(data.get(section, [])):
                problem = url_problem(entry["source"]["url"])
                if problem:
                    report.error(
                        (section, index, "source", "url"),
                        problem,
                        "write the full address, e.g. https://…",
                    )
                if "date" in entry:
                    problem = date_problem(entry["date"], self.today)
                    if problem:
                        report.error((section, index, "date"), problem)

    # -- sources.yaml -------------------------------------------------------------------

    def _sources(self) -> dict[str, Source] | None:
        doc = self._read(self.files.sources, self._raw.get(self.files.sources))
        if doc is None:
            return None
        report = self.sources_report = _FileReport(self.files.sources, doc, self.problems)
        if not _schema_check(report, "sources.schema.json"):
            return None
        sources = {}
        for source_id, entry in doc.data.items():
            self._check_citation(report, (source_id,), entry)
            sources[source_id] = _source(source_id, entry)
        return sources

    # -- framework.yaml -----------------------------------------------------------------

    def _framework(self, sources: dict[str, Source] | None) -> Framework | None:
        doc = self._read(self.files.framework, self._raw.get(self.files.framework))
        if doc is None:
            return None
        report = _FileReport(self.files.framework, doc, self.problems)
        if not _schema_check(report, "framework.schema.json"):
            return None
        data = doc.data
        errors_before = len(self.problems)
        seen: dict[str, Path_] = {}
        pillars = []
        for p_index, pillar in enumerate(data["pillars"]):
            p_path: Path_ = ("pillars", p_index)
            self._unique_id(report, seen, pillar["id"], (*p_path, "id"), "pillar")
            indicators = []
            for i_index, raw in enumerate(pillar["indicators"]):
                i_path: Path_ = (*p_path, "indicators", i_index)
                self._unique_id(report, seen, raw["id"], (*i_path, "id"), "indicator")
                self._check_indicator(report, i_path, raw, sources)
                indicators.append(_indicator(raw, pillar["id"]))
            pillars.append(
                Pillar(
                    pillar["id"],
                    pillar["name"],
                    float(pillar["weight"]),
                    pillar["question"],
                    tuple(indicators),
                )
            )
        for key, figure in data["context"].items():
            _check_range(report, ("context", key, "valid_range"), figure["valid_range"])
        self._check_lens(report, data, pillars, seen)
        self._check_groups(report, data)
        if len(self.problems) > errors_before:
            return None
        sens = data["sensitivity"]
        return Framework(
            version=data["version"],
            title=data["title"],
            edition=data["edition"],
            coverage_threshold=float(data["coverage_threshold"]),
            aggregation=data["aggregation"],
            regions=tuple(data["regions"]),
            context=tuple(
                ContextFigure(
                    key, f["name"], f["unit"], f["valid_range"]["min"], f["valid_range"]["max"]
                )
                for key, f in data["context"].items()
            ),
            sensitivity=Sensitivity(
                sens["runs"],
                sens["seed"],
                float(sens["weight_spread"]),
                tuple(sens["normalisations"]),
                tuple(sens["aggregations"]),
            ),
            pillars=tuple(pillars),
            layers=tuple(Layer(**layer) for layer in data["layers"]),
            proposed=tuple(_proposed(raw) for raw in data.get("proposed_indicators", [])),
            peer_groups=tuple(
                PeerGroup(g["id"], g["name"], g["basis"], tuple(g["members"]))
                for g in data.get("peer_groups", [])
            ),
            other_indices=tuple(OtherIndex(**raw) for raw in data.get("other_indices", [])),
            history=tuple(EditionRecord(**raw) for raw in data.get("history", [])),
        )

    def _check_lens(
        self,
        report: _FileReport,
        data: dict[str, Any],
        pillars: list[Pillar],
        seen: dict[str, Path_],
    ) -> None:
        """Layers named by indicators exist; proposed indicators fit the framework."""
        layers = [layer["id"] for layer in data["layers"]]
        for index, layer in enumerate(layers):
            if layer in layers[:index]:
                report.error(("layers", index, "id"), f"layer id '{layer}' is listed twice")
        for p_index, pillar in enumerate(data["pillars"]):
            for i_index, raw in enumerate(pillar["indicators"]):
                if raw["layer"] not in layers:
                    report.error(
                        ("pillars", p_index, "indicators", i_index, "layer"),
                        f"unknown layer '{raw['layer']}' (expected one of: {', '.join(layers)})",
                        _did_you_mean(raw["layer"], layers),
                    )
        pillar_ids = [p.id for p in pillars]
        for index, raw in enumerate(data.get("proposed_indicators", [])):
            path: Path_ = ("proposed_indicators", index)
            self._unique_id(report, seen, raw["id"], (*path, "id"), "indicator")
            if raw["pillar"] not in pillar_ids:
                report.error(
                    (*path, "pillar"),
                    f"unknown pillar '{raw['pillar']}' (expected one of: {', '.join(pillar_ids)})",
                    _did_you_mean(raw["pillar"], pillar_ids),
                )
            if raw["layer"] not in layers:
                report.error(
                    (*path, "layer"),
                    f"unknown layer '{raw['layer']}' (expected one of: {', '.join(layers)})",
                    _did_you_mean(raw["layer"], layers),
                )

    def _check_groups(self, report: _FileReport, data: dict[str, Any]) -> None:
        """Peer groups name real countries; the history agrees with the current edition."""
        for g_index, group in enumerate(data.get("peer_groups", [])):
            for m_index, iso3 in enumerate(group["members"]):
                if not self.known_code(iso3):
                    report.error(
                        ("peer_groups", g_index, "members", m_index),
                        f"'{iso3}' is not an ISO 3166-1 alpha-3 country code",
                    )
        for key in ("peer_groups", "other_indices"):
            ids = [entry["id"] for entry in data.get(key, [])]
            for index, entry_id in enumerate(ids):
                if entry_id in ids[:index]:
                    report.error((key, index, "id"), f"id '{entry_id}' is listed twice")
        for index, record in enumerate(data.get("history", [])):
            if record["edition"] == data["edition"] and record["version"] != data["version"]:
                report.error(
                    ("history", index, "version"),
                    f"edition {record['edition']} is recorded with framework version "
                    f"{record['version']}, but the framework is version {data['version']}",
                    "raise version and add a history entry for the new edition",
                )

    def _unique_id(
        self, report: _FileReport, seen: dict[str, Path_], value: str, path: Path_, what: str
    ) -> None:
        if value in seen:
            report.error(
                path,
                f"{what} id '{value}' is already used on line {report.line(seen[value])}",
                "ids must be unique across pillars",
            )
        else:
            seen[value] = path

    def _check_indicator(
        self,
        report: _FileReport,
        path: Path_,
        raw: dict[str, Any],
        sources: dict[str, Source] | None,
    ) -> None:
        if sources is not None and raw["default_source"] not in sources:
            report.error(
                (*path, "default_source"),
                f"unknown source '{raw['default_source']}'",
                _did_you_mean(raw["default_source"], sources),
            )
        elif sources is not None:
            self.used_sources.add(raw["default_source"])
        if raw["kind"] == "assessed":
            levels = [r["level"] for r in raw["rubric"]]
            for index, level in enumerate(levels):
                if level in levels[:index]:
                    report.error(
                        (*path, "rubric", index, "level"), f"rubric level '{level}' is listed twice"
                    )
            for field in ("transform", "goalposts", "valid_range"):
                if field in raw:
                    report.error(
                        (*path, field),
                        f"'{field}' does not apply to an assessed "
                        "indicator (its rubric gives the scores)",
                        key=True,
                    )
            return
        steps = _steps(raw["transform"])
        if "none" in steps and len(steps) > 1:
            report.error((*path, "transform"), "'none' cannot be combined with other steps")
        if "per_capita" in steps and "per_gdp" in steps:
            report.error((*path, "transform"), "use per_capita or per_gdp, not both")
        if "log" in steps and steps[-1] != "log":
            report.error((*path, "transform"), "log must be the last step")
        low, high = raw["goalposts"]["low"], raw["goalposts"]["high"]
        if not low < high:
            report.error(
                (*path, "goalposts"),
                f"low goalpost ({low}) must be below the high one ({high})",
                "use direction: lower_is_better to reverse the scale",
            )
        if "log" in steps and low <= 0:
            report.error(
                (*path, "goalposts", "low"),
                f"a log scale needs a low goalpost above 0, got {low}",
                "values at or below the low goalpost score 0, zeros included",
            )
        if "rubric" in raw:
            report.error((*path, "rubric"), "only assessed indicators have a rubric", key=True)
        _check_range(report, (*path, "valid_range"), raw["valid_range"])

    # -- countries/*.yaml ---------------------------------------------------------------

    def _countries(
        self, framework: Framework | None, sources: dict[str, Source] | None
    ) -> list[Country | None]:
        """Every country file's outcome, in file order, its problems and sources recorded.

        Parsing and checking a file takes ~2 ms, reading its outcome from the cache a tenth
        of that. Keys are made in file order until FORK_AT files are found to need checking
        (their outcomes are not in the cache): then a forked child and this process share
        the files from there on from one queue (scorecard.parallel.fork_sharing), each
        making the keys of the files it takes, while this process first does `meanwhile`
        and reads the outcomes found before. A build whose files are all in the cache
        forks nothing. The outcomes the child stores in the cache come back from there,
        not pickled a second time to be sent (_sent). The outcomes are merged in file
        order, so the problems and the Dataset are exactly those of checking one file
        after another. Each file is read once, for its key; its check parses those bytes
        (_key_bytes).
        """
        paths = self.files.countries
        keys: dict[Path, str] = {}
        to_check: list[Path] = []  # of the files with a key so far
        for path in paths:
            if len(to_check) >= FORK_AT:
                break
            key = keys[path] = self._cache_key(path)
            if not (key and self.store.has(key)):  # type: ignore[union-attr]
                to_check.append(path)
        outcomes: dict[Path, _Outcome] = {}
        if len(to_check) >= FORK_AT:
            queue = [*to_check, *paths[len(keys) :]]
            checking = set(to_check)
            found = [path for path in keys if path not in checking]  # in the cache
            outcomes = self._with_a_child(queue, found, keys, framework, sources)
        for path in paths:
            if path not in outcomes:  # read or checked here, in order
                if path not in keys:
                    keys[path] = self._cache_key(path)
                outcomes[path] = self._country(path, keys[path], framework, sources)
        self.country_keys = {path: keys[path] for path in paths}
        countries = []
        for path in paths:
            problems, used, country = outcomes[path]
            self.problems += problems
            self.used_sources |= used
            countries.append(country)
        return countries

    def _with_a_child(
        self,
        queue: list[Path],
        found: list[Path],
        keys: dict[Path, str],
        framework: Framework | None,
        sources: dict[str, Source] | None,
    ) -> dict[Path, _Outcome]:
        """The outcomes of `queue`'s files, shared with a child, and of `found` (read from
        the cache here first, after `meanwhile`); `keys` gets the keys made meanwhile."""
        parent = os.getpid()
        outcomes: dict[Path, _Outcome] = {}

        def here() -> None:
            if self.meanwhile is not None and parallel.can_fork():
                self.meanwhile()
            for path in found:
                outcomes[path] = self._country(path, keys[path], framework, sources)

        def take(path: Path) -> tuple[str, _Outcome | None]:
            key = keys[path] if path in keys else self._cache_key(path)
            outcome = self._country(path, key, framework, sources)
            return key, self._sent(outcome, key, os.getpid() != parent)

        _, taken = parallel.fork_sharing(queue, take, lambda: None, here)
        for path, (key, sent) in zip(queue, taken, strict=True):
            keys[path] = key
            # None: stored by the child, read back here (or, unreadable, checked again)
            outcomes[path] = sent or self._country(path, key, framework, sources)
        return outcomes

    def _country(
        self,
        path: Path,
        key: str,
        framework: Framework | None,
        sources: dict[str, Source] | None,
    ) -> _Outcome:
        """Check one country file, or take its outcome from the cache if nothing changed."""
        raw = self._raw.pop(path, None)  # what its key was made of
        if key:
            hit = self.store.get(key)  # type: ignore[union-attr]
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        elsewhere = self.problems, self.used_sources
        self.problems, self.used_sources = [], set()  # this file's own, while it is checked
        try:
            country = self._check_country(path, framework, sources, raw)
            outcome = (self.problems, self.used_sources, country)
        finally:
            self.problems, self.used_sources = elsewhere
        if key and country is not None:  # only valid files: errors come from the newest code
            self.store.put(key, outcome)  # type: ignore[union-attr]
        return outcome

    def _sent(self, outcome: _Outcome, key: str, forked: bool) -> _Outcome | None:
        """What _with_a_child's `take` returns for a file it checked: from the child
        (`forked`), None if the outcome is stored in the cache under `key` (this process
        reads it from there: pickling it again to send it took as long as reading it back,
        ~0.1 ms a file); else the outcome itself."""
        stored = forked and bool(key) and self.store is not None and self.store.has(key)
        return None if stored else outcome

    def _cache_context(self) -> str:
        """What a country file's outcome depends on, other than its own bytes and path."""
        return digest(
            code_version(),
            _iso_codes_version(),
            self.today.isoformat(),
            self.codes_key,
            str(Path.cwd()),  # problems name files relative to it
            str(self._root),
            *(
                self._raw.get(p) or p.read_bytes()
                for p in (self.files.framework, self.files.sources)
            ),
        )

    def _cache_key(self, path: Path) -> str:
        if not self.cache_context:
            return ""
        try:
            raw = self._key_bytes(path)
        except OSError:
            return ""  # reported by the check itself
        return "" if raw is None else digest(self.cache_context, str(path), raw)

    def _key_bytes(self, path: Path) -> bytes | None:
        """`path`'s bytes, for a cache key, kept for its check (_read); None when over the
        size limit (the check says so). Raises OSError when the file cannot be read."""
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)  # never more (see load.read_yaml)
        if len(raw) > MAX_FILE_BYTES:
            return None
        self._raw[path] = raw
        return raw

    def _check_country(
        self,
        path: Path,
        framework: Framework | None,
        sources: dict[str, Source] | None,
        raw: bytes | None = None,
    ) -> Country | None:
        shown = display_path(path)
        doc = self._read(path, raw, shown)
        if doc is None:
            return None
        report = _FileReport(path, doc, self.problems, shown)
        structure_ok = _schema_check(report, "country.schema.json")
        data = doc.data if isinstance(doc.data, dict) else {}
        errors_before = self._error_count()
        self._check_identity(report, path, data, framework)
        for section in ("context", "indicators", "other_indices"):
            for key, observations in _mapping_items(data.get(section)):
                if isinstance(observations, list):
                    self._check_observations(
                        report, (section, key), observations, framework, sources
                    )
        self._check_missing(report, data, framework)
        if (
            not structure_ok
            or self._error_count() > errors_before
            or framework is None
            or sources is None
        ):
            return None
        return _country(data, doc, path, self.files.root, sources)

    def _check_identity(
        self, report: _FileReport, path: Path, data: dict[str, Any], framework: Framework | None
    ) -> None:
        iso3 = data.get("iso3")
        if not isinstance(iso3, str):
            return
        if re.fullmatch(r"[A-Z]{3}", iso3) and not self.known_code(iso3):
            report.error(
                ("iso3",),
                f"'{iso3}' is not an ISO 3166-1 alpha-3 country code",
                "see https://www.iso.org/obp/ui/#search for the list of codes",
            )
        if path.stem != iso3:
            report.error(
                ("iso3",),
                f"'{iso3}' does not match the file name '{path.name}'",
                f"name the file {iso3}.yaml, or correct the code",
            )
        region = data.get("region")
        if framework and isinstance(region, str) and region not in framework.regions:
            report.error(
                ("region",),
                f"unknown region '{region}' (expected one of: {', '.join(framework.regions)})",
                _did_you_mean(region, framework.regions),
            )

    def _check_observations(
        self,
        report: _FileReport,
        path: Path_,
        observations: list[Any],
        framework: Framework | None,
        sources: dict[str, Source] | None,
    ) -> None:
        section, key = path
        target: Indicator | ContextFigure | None = None
        if framework is not None:
            known = self._catalogues(framework)[str(section)]
            target = known.get(str(key))
            if target is None and section != "context":
                what = "indicator" if section == "indicators" else "index"
                report.error(
                    path, f"unknown {what} '{key}'", _did_you_mean(str(key), known), key=True
                )
                return
        years: dict[int, Path_] = {}
        for index, obs in enumerate(observations):
            if not isinstance(obs, dict):
                continue
            o_path = (*path, index)
            if target is not None:
                self._check_value(report, o_path, obs, target)
            year = obs.get("year")
            if isinstance(year, int) and not isinstance(year, bool):
                if year > self.today.year:
                    report.error((*o_path, "year"), f"year {year} is in the future")
                if year in years:
                    report.error(
                        (*o_path, "year"),
                        f"a second observation for {year} (the first is on line "
                        f"{report.line(years[year])})",
                        "keep one observation per year",
                    )
                else:
                    years[year] = o_path
            self._check_source_ref(report, (*o_path, "source"), obs.get("source"), sources)

    def _catalogues(self, framework: Framework) -> dict[str, dict[str, Any]]:
        """What a country file's sections may name, by section: made once for the
        framework, not for each of a file's ~30 groups of observations."""
        made = self._catalogue
        if made is None or made[0] is not framework:
            made = self._catalogue = (
                framework,
                {
                    "indicators": {ind.id: ind for ind in framework.indicators},
                    "context": {fig.id: fig for fig in framework.context},
                    "other_indices": {index.id: index for index in framework.other_indices},
                },
            )
        return made[1]

    def _check_value(
        self,
        report: _FileReport,
        path: Path_,
        obs: dict[str, Any],
        target: Indicator | ContextFigure,
    ) -> None:
        if isinstance(target, Indicator) and target.assessed:
            self._check_level(report, path, obs, target)
            return
        for field in ("level", "justification"):
            if field in obs:
                report.error(
                    (*path, field),
                    f"'{field}' only applies to assessed indicators; '{target.id}' is measured",
                    "give its number as value",
                    key=True,
                )
        if "value" not in obs:
            report.error(
                path,
                f"missing required field 'value' ({target.unit})",
                "leave the indicator out entirely when no value is known",
            )
            return
        value = obs["value"]
        if not isinstance(value, int | float) or isinstance(value, bool):
            return  # the schema reports the type
        if not abs(value) <= MAX_MAGNITUDE:
            return  # reported with the schema (NaN, infinite or too large)
        if not target.valid_min <= value <= target.valid_max:
            report.error(
                (*path, "value"),
                f"{_number(value)} is outside the plausible range "
                f"{_number(target.valid_min)} to {_number(target.valid_max)} "
                f"({target.unit})",
                "check the unit and the decimal point",
            )

    def _check_level(
        self, report: _FileReport, path: Path_, obs: dict[str, Any], indicator: Indicator
    ) -> None:
        if "value" in obs:
            report.error(
                (*path, "value"),
                f"'{indicator.id}' is assessed: give a rubric level, not a value",
                key=True,
            )
        levels = [r.level for r in indicator.rubric]
        if "level" not in obs:
            report.error(path, f"missing required field 'level' (one of: {', '.join(levels)})")
        elif isinstance(obs["level"], str) and obs["level"] not in levels:
            report.error(
                (*path, "level"),
                f"'{obs['level']}' is not a level of the rubric "
                f"(expected one of: {', '.join(levels)})",
                _did_you_mean(obs["level"], levels),
            )
        if "justification" not in obs:
            report.error(path, "missing required field 'justification' (why this level)")

    def _check_source_ref(
        self, report: _FileReport, path: Path_, source: Any, sources: dict[str, Source] | None
    ) -> None:
        if isinstance(source, dict):
            self._check_citation(report, path, source)
        elif isinstance(source, str) and sources is not None:
            if source in sources:
                self.used_sources.add(source)
            else:
                report.error(
                    path,
                    f"unknown source '{source}' (not in sources.yaml)",
                    _did_you_mean(source, sources)
                    or "add it to indicators/sources.yaml or cite it in full here",
                )

    def _check_citation(self, report: _FileReport, path: Path_, entry: dict[str, Any]) -> None:
        url = entry.get("url")
        if isinstance(url, str):
            problem = url_problem(url)
            if problem:
                report.error((*path, "url"), problem, "write the full address, e.g. https://…")
        for field in ("published", "accessed"):
            value = entry.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                problem = date_problem(str(value), self.today)
                if problem:
                    report.error((*path, field), problem)

    def _check_missing(
        self, report: _FileReport, data: dict[str, Any], framework: Framework | None
    ) -> None:
        given = data.get("indicators")
        indicators: dict[str, Any] = given if isinstance(given, dict) else {}
        for key, _reason in _mapping_items(data.get("missing")):
            if framework and key not in {ind.id for ind in framework.indicators}:
                report.error(
                    ("missing", key),
                    f"unknown indicator '{key}'",
                    _did_you_mean(key, [i.id for i in framework.indicators]),
                    key=True,
                )
            elif key in indicators:
                report.error(
                    ("missing", key),
                    f"'{key}' is listed as missing but has "
                    f"observations on line {report.line(('indicators', key))}",
                    key=True,
                )

    # -- across files -------------------------------------------------------------------

    def _cross_file(self, countries: list[Country]) -> None:
        for attribute, what in (("iso3", "code"), ("name", "name")):
            first: dict[str, Country] = {}
            for country in countries:
                value = getattr(country, attribute).casefold()
                if value in first:
                    self.problems.append(
                        Problem(
                            display_path(self.files.root.parent / country.path),
                            1,
                            1,
                            Severity.ERROR,
                            attribute,
                            f"country {what} '{getattr(country, attribute)}' is also used by "
                            f"{first[value].path}",
                            "each country has exactly one file",
                        )
                    )
                else:
                    first[value] = country

    def _unused_sources(self, sources: dict[str, Source] | None) -> None:
        if sources is None or self._error_count():
            return
        unused = [source_id for source_id in sources if source_id not in self.used_sources]
        if not unused:
            return
        report = self.sources_report
        if report is None:  # the sources came from the cache: read again for the lines
            doc = self._read(self.files.sources, self._raw.get(self.files.sources))
            if doc is None:  # pragma: no cover - read without a problem moments ago
                return
            report = _FileReport(self.files.sources, doc, self.problems)
        for source_id in unused:
            report.warning(
                (source_id,),
                f"source '{source_id}' is not cited by any value",
                "remove it, or cite it from a country file",
                key=True,
            )

    def _read(
        self, path: Path, raw: bytes | None = None, shown: str | None = None
    ) -> Document | None:
        """The Document of a YAML file of the data folder (`raw`: its bytes, if read for
        its key; `shown`: its display_path, if made); None after recording why not."""
        if not path.resolve().is_relative_to(self._root):
            self.problems.append(
                Problem(
                    display_path(path),
                    0,
                    0,
                    Severity.ERROR,
                    "",
                    "is a link to a file outside the data folder",
                    "data files must be files in the data folder, not links to elsewhere",
                )
            )
            return None
        return read_yaml(path, self.problems, raw, shown)

    def _error_count(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)


# -- schema ------------------------------------------------------------------------------


@cache
def _schemas() -> dict[str, Any]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(SCHEMA_DIR.glob("*.schema.json"))
    }


@cache
def _validator(name: str) -> jsonschema.Draft7Validator:
    import jsonschema
    from referencing import Registry, Resource

    resources = [(key, Resource.from_contents(schema)) for key, schema in _schemas().items()]
    registry: Registry = Registry().with_resources(resources)
    schema = registry.contents(name)
    draft7 = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _ecma_pattern})
    return draft7(schema, registry=registry)


def _ecma_pattern(
    validator: jsonschema.Draft7Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """`pattern` with JSON Schema's (ECMA-262) meaning of `$`: the end of the text.

    Python's `$` also matches before a final newline, so "KOR\\n" would pass "^[A-Z]{3}$"
    and reach file names and URLs.
    """
    import jsonschema

    if validator.is_type(instance, "string") and not _anchored(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _anchored(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


@cache
def _accepts(name: str) -> schemacheck.Check | None:
    return schemacheck.compile_schema(_schemas(), name, regex=_anchored)


def _schema_check(report: _FileReport, schema_name: str) -> bool:
    """Validate the document against a schema; report every violation. True when clean."""
    accepts = _accepts(schema_name)
    if accepts is not None and accepts(report.doc.data):
        errors = []  # valid: decided fast; jsonschema is asked only to explain a failure
    else:
        errors = list(_validator(schema_name).iter_errors(report.doc.data))
    reported = set()
    for error in errors:
        for path, message, tip, key in _explain(error):
            # jsonschema raises one `required` error per missing field, each listing them all.
            if (path, message) not in reported:
                reported.add((path, message))
                report.error(path, message, tip, key=key)
    data = report.doc.data
    unusable = [] if _all_usable(data) else _unusable_values(data)
    for path, message, tip in unusable:
        report.error(path, message, tip)
    return not errors and not unusable


# What makes a spreadsheet read a cell of a CSV file as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_TIP = "start it with a letter or a digit (e.g. put the words first)"
UNKNOWN_VALUE_TIP = "leave the indicator out when the value is unknown"


def _all_usable(data: Any) -> bool:
    """Whether _unusable_values finds nothing: the same test of every value, without the
    path of each (a file with something to report is walked again by _unusable_values,
    which words it). Three times as fast: nearly every file has nothing to report."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            if value.startswith(FORMULA_STARTS):
                return False
        elif isinstance(value, float):
            if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # NaN fails this too
                return False
        elif isinstance(value, int) and abs(value) > MAX_MAGNITUDE:
            return False
    return True


def _unusable_values(data: Any) -> list[tuple[Path_, str, str]]:
    """Numbers the arithmetic cannot use, and text a spreadsheet would run as a formula.

    JSON Schema cannot say "finite" (NaN passes every minimum and maximum), and a huge
    number overflows floats in the scores; text starting with = + - @ becomes a formula
    (=HYPERLINK(...), =cmd|...) when the site's CSV downloads are opened in a spreadsheet.
    Every file gets this check.
    """
    found: list[tuple[Path_, str, str]] = []  # path, message, tip
    pending: list[tuple[Path_, Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            pending.extend(((*path, k), v) for k, v in items)
        elif isinstance(value, str):
            if value.startswith(FORMULA_STARTS):
                message = (
                    f"text starting with {value[0]!r} would run as a formula when the CSV "
                    "downloads are opened in a spreadsheet"
                )
                found.append((path, message, FORMULA_TIP))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            tip = UNKNOWN_VALUE_TIP if path[-1:] == ("value",) else ""
            if isinstance(value, float) and not math.isfinite(value):
                found.append((path, f"{value} is not a finite number", tip))
            elif abs(value) > MAX_MAGNITUDE:
                shown = (
                    f"{value:.3g}"
                    if isinstance(value, float)
                    else f"a {len(str(abs(value)))}-digit number"
                )
                message = f"{shown} is too large (numbers in data files are at most 1e15)"
                found.append((path, message, tip))
    return found


def _explain(error: jsonschema.ValidationError) -> Iterator[tuple[Path_, str, str, bool]]:
    """Turn a jsonschema error into (path, message, tip, points-at-key) in plain words."""
    path: Path_ = tuple(error.absolute_path)
    instance, kind, expected = error.instance, error.validator, error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if list(error.schema_path)[-2:-1] == ["propertyNames"]:  # a key, checked as a value
        kind, expected = "propertyNames", {kind: expected}  # as the propertyNames schema
    if kind == "required":
        for name in expected:
            if isinstance(instance, dict) and name not in instance:
                yield path, f"missing required field '{name}'", "", False
    elif kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for name in instance:
            if name not in allowed:
                yield (
                    (*path, name),
                    f"unknown field '{name}' (expected one of: {', '.join(allowed)})",
                    _did_you_mean(name, allowed),
                    True,
                )
    elif kind == "propertyNames":
        yield (
            (*path, instance),
            f"'{instance}' is not a valid id ({_id_rule(expected.get('pattern', ''))})",
            "",
            True,
        )
    elif kind == "type":
        yield (
            path,
            f"expected {_type_name(expected)}, got {_describe(instance)}",
            _type_tip(expected, instance),
            False,
        )
    elif kind == "enum":
        choices = [str(c) for c in expected]
        yield (
            path,
            f"{_describe(instance)} is not one of: {', '.join(choices)}",
            _did_you_mean(str(instance), choices),
            False,
        )
    elif kind == "pattern":
        example = (schema.get("examples") or [""])[0]
        yield (
            path,
            f"{_describe(instance)} is not in the expected form"
            + (f" (e.g. {example})" if example else f" (pattern {expected})"),
            "",
            False,
        )
    elif kind in ("minLength", "minItems") and expected == 1:
        yield path, "must not be empty", "", False
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "above",
            "exclusiveMaximum": "below",
        }
        yield path, f"{_describe(instance)} must be {words[kind]} {expected}", "", False
    elif kind == "oneOf" and error.context:
        # Explain against the alternative that matches the value's type: prefer errors
        # inside the value, then any error but a type mismatch.
        best = max(error.context, key=lambda e: (len(e.path), e.validator != "type"))
        yield from _explain(best)
    else:
        yield path, error.message, "", False


_TYPE_NAMES = {
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "object": "a mapping of fields",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}


def _id_rule(pattern: str) -> str:
    """The characters an id pattern of the schemas allows, in words."""
    last_class = pattern.split("]")[-2].rsplit("[", 1)[-1] if "]" in pattern else ""
    allowed = ["'_'"] if "_" in last_class else []
    if last_class.endswith("-"):  # a literal hyphen ends the class; elsewhere it is a range
        allowed.append("'-'")
    return "lower-case letters, digits" + "".join(f" and {a}" for a in allowed)


def _type_name(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else expected
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"text {shown!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping of fields"


def _type_tip(expected: str | list[str], value: Any) -> str:
    if expected in ("number", "integer") and isinstance(value, str):
        if re.fullmatch(r"[\d.,\s]+%?", value.strip()):
            return "write the number without quotes, thousands separators or %"
        return "write the number without quotes"
    if expected == "string" and isinstance(value, bool):
        return "quote the text: YAML reads true/false as booleans"
    if expected == "string" and isinstance(value, int | float):
        return "quote it to keep it as text"
    return ""


# -- checks shared by several files ----------------------------------------------------


def url_problem(url: str) -> str:
    """Why `url` is not an acceptable http(s) link, or "" when it is."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return f"{url!r} contains spaces or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        if not parts.scheme:
            return f"{url!r} is not a web address (expected https://…)"
        return f"{url!r}: only http and https addresses are allowed, not '{parts.scheme}:'"
    host = parts.hostname or ""
    if not parts.netloc or parts.netloc.startswith(".") or "." not in host.strip("."):
        return f"{url!r} has no valid host name"
    return ""


def date_problem(text: str, today: date) -> str:
    """Why `text` (YYYY, YYYY-MM or YYYY-MM-DD) is not a sensible past date, or ""."""
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        return f"'{text}' is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"
    parts = [int(p) for p in text.split("-")]
    try:
        first = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return f"'{text}' is not a real date"
    if first > today:
        return f"'{text}' is in the future"
    return ""


def _check_range(report: _FileReport, path: Path_, value_range: dict[str, float]) -> None:
    if value_range["min"] > value_range["max"]:
        report.error(path, f"min ({value_range['min']}) is above max ({value_range['max']})")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _iso_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-3 code (as pycountry's lookup: any case)."""
    return code.lower() in _iso_alpha3()


# pycountry's ISO 3166-1 table is read directly: importing pycountry takes ~0.1 s (it
# imports importlib.metadata for its version), and every build checks the framework's codes.


@cache
def _iso_table() -> bytes | None:
    spec = importlib.util.find_spec("pycountry")
    if spec is None or spec.origin is None:
        return None
    try:
        return (Path(spec.origin).parent / "databases" / "iso3166-1.json").read_bytes()
    except OSError:
        return None


@cache
def _iso_alpha3() -> frozenset[str]:
    table = _iso_table()
    if table is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            return frozenset(entry["alpha_3"].lower() for entry in json.loads(table)["3166-1"])
    import pycountry  # the table moved or changed shape: ask pycountry itself

    return frozenset(country.alpha_3.lower() for country in pycountry.countries)


def iso_codes() -> list[str]:
    """Every ISO 3166-1 alpha-3 code, sorted."""
    return sorted(code.upper() for code in _iso_alpha3())


def _iso_codes_version() -> str:
    """What the ISO check depends on, for the cache key."""
    return digest(*sorted(_iso_alpha3()))


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _mapping_items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _steps(transform: str | list[str]) -> list[str]:
    return [transform] if isinstance(transform, str) else list(transform)


# -- building the model -----------------------------------------------------------------


# Characters a URL may not hold as they are (WHATWG URL standard); percent-encoded in links.
_URL_UNSAFE = re.compile(r'["<>`{}|\\^]')


def _source(source_id: str, entry: dict[str, Any]) -> Source:
    fields = {key: str(value) for key, value in entry.items()}  # a year may be written bare
    fields["url"] = _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", fields["url"])
    return Source(id=source_id, **fields)


def _spotlight(data: dict[str, Any], story: str) -> Spotlight:
    def link(raw: dict[str, str]) -> Link:
        return Link(raw["title"], raw["url"])

    events = sorted(
        (
            Event(
                e["date"],
                e["track"],
                e["title"],
                link(e["source"]),
                e.get("detail", ""),
                e.get("quote", ""),
            )
            for e in data["events"]
        ),
        key=lambda e: e.date,
    )
    return Spotlight(
        iso3=data["iso3"],
        title=data["title"],
        story=story,
        tracks=tuple((t["id"], t["name"]) for t in data["tracks"]),
        events=tuple(events),
        targets=tuple(
            Target(
                t["id"],
                t["name"],
                t["value"],
                t["unit"],
                t["year"],
                link(t["source"]),
                t.get("unmeasured", ""),
            )
            for t in data.get("targets", [])
        ),
        measures=tuple(
            Measure(
                m["target"], m["name"], m["value"], m["date"], link(m["source"]), m.get("note", "")
            )
            for m in data.get("measures", [])
        ),
        peer_group=data.get("peer_group", ""),
    )


def _proposed(raw: dict[str, Any]) -> ProposedIndicator:
    rubric = tuple(
        RubricLevel(r["level"], float(r["score"]), r["description"]) for r in raw["rubric"]
    )
    return ProposedIndicator(
        raw["id"],
        raw["pillar"],
        raw["layer"],
        raw["name"],
        raw["proxy_for"],
        rubric,
        raw["evidence_required"],
    )


def _indicator(raw: dict[str, Any], pillar: str) -> Indicator:
    common = dict(
        id=raw["id"],
        pillar=pillar,
        name=raw["name"],
        proxy_for=raw["proxy_for"],
        unit=raw["unit"],
        kind=raw["kind"],
        higher_is_better=raw["direction"] == "higher_is_better",
        weight=float(raw["weight"]),
        default_source=raw["default_source"],
        layer=raw["layer"],
    )
    if raw["kind"] == "assessed":
        rubric = tuple(
            RubricLevel(r["level"], float(r["score"]), r["description"]) for r in raw["rubric"]
        )
        return Indicator(**common, rubric=rubric)  # type: ignore[arg-type]
    steps = tuple(s for s in _steps(raw["transform"]) if s != "none")
    return Indicator(
        **common,  # type: ignore[arg-type]
        transform=steps,
        low=float(raw["goalposts"]["low"]),
        high=float(raw["goalposts"]["high"]),
        valid_min=float(raw["valid_range"]["min"]),
        valid_max=float(raw["valid_range"]["max"]),
    )


def _country(
    data: dict[str, Any], doc: Document, path: Path, root: Path, sources: dict[str, Source]
) -> Country:
    def observations(section: str) -> dict[str, tuple[Observation, ...]]:
        result = {}
        for key, items in data.get(section, {}).items():
            result[key] = tuple(
                _observation(item, doc.position((section, key, i))[0], sources)
                for i, item in enumerate(items)
            )
        return result

    return Country(
        iso3=data["iso3"],
        name=data["name"],
        region=data["region"],
        subregion=data.get("subregion", ""),
        path=relative_to_project(path, root),
        context=observations("context"),
        indicators=observations("indicators"),
        missing=dict(data.get("missing", {})),
        narrative=data.get("narrative", ""),
        other_indices=observations("other_indices"),
    )


def _observation(item: dict[str, Any], line: int, sources: dict[str, Source]) -> Observation:
    source = item["source"]
    cited = sources[source] if isinstance(source, str) else _source("", source)
    value = item.get("value")
    return Observation(
        year=item["year"],
        source=cited,
        value=value,
        level=item.get("level"),
        justification=item.get("justification", ""),
        period=item.get("period", ""),
        evidence=item.get("evidence", ""),
        note=item.get("note", ""),
        line=line,
    )
