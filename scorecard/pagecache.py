"""Pages of the previous build, reused where nothing they show has changed.

Rendering is most of a build once validation and scores come from the cache: a country
page is ~40 KB of HTML that Jinja assembles from ~2,000 pieces. A page is a function of
its template context, the templates, the translations, the settings and the code, so each
page gets a key: a digest of all of them. The previous build's pages are the site it
wrote: its record (scorecard.write, in the cache) keeps each page's key with the output
folder's listing (sizes, times, inodes), so a build knows which files are still as the
last one left them and which page each holds. It renders only the pages whose key is not
among those; the others are linked from the previous site into the new one.

Two kinds of key:

- A country page: its own view (scores, ranks, rank ranges, rows, peers, trend, other
  indices, radar), the few figures of the whole site it shows (views.CountrySite: the
  template gets that instead of the SiteView, so it cannot read anything else), the
  validation context (framework.yaml, sources.yaml, the code, the date: Dataset.context)
  and the rendering environment below. The country's data enters through its file's
  validation key (which covers its bytes), the framework's and sources' objects by their
  id (the validation context covers their files): see ValueKeys. After an edit that
  moves two countries' ranks, those pages are rendered again, not the 200 others.
- Everything else (the overview, pillar, compare, lens, weights, methodology, data and
  other pages, the downloads, sitemap.xml and robots.txt) reads across all countries, so
  it is kept as one unit, under the site's key: the results' key (scorecard.resultcache:
  every data file, the code, numpy), the spotlights, the methodology and the environment.
  When that key is unchanged, every file is: the build takes the whole previous site.

The environment: the templates (every file's bytes), the language and its catalogue, the
settings (pyproject.toml's [tool.scorecard] and the command line's), the package's code and
data files, and the versions of Jinja, MarkupSafe, Markdown and nh3.

A key is a SHA-256 of a pickle made for hashing only: "fast" mode (no memo, so the same
values give the same bytes whatever objects they share) and model objects replaced by what
identifies them (a Country by its file's key, an Indicator by its id). A file of the
previous site that was changed, removed or replaced since it was written (its size, times
or inode differ from the record's) is not reused, nor is anything when the record is
damaged or missing (the cache off, the folder new): those pages are rendered again.
tests/test_pagecache.py builds with and without the cache after each kind of change and
compares every byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import io
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import resultcache
from .cache import Store, code_version, default_store, digest
from .config import Config
from .i18n import catalogue_path
from .model import Country, Dataset, Framework, Indicator, Layer, Observation, Pillar, Source
from .write import Previous, safe_join

if TYPE_CHECKING:
    from .pipeline import Paths

_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3")
SITE = "site "  # the prefix of the site's key (country pages' keys are bare digests)
WRITTEN = "written"  # the cache's kind of entry for written sites' records


class PageCache:
    """The keys of the pages the last build wrote into the output folder that are still as
    it left them (scorecard.write keeps them with the folder's listing), and the site key
    this build gives every file but the country pages.

    `environment`: the rendering environment's key (environment_key); `site_key`: the key
    of every file but the country pages, "" when the data's key is unknown. The record is
    read, and the folder listed, only when first needed: `serve` makes its edited page
    before either.
    """

    def __init__(self, previous: Previous, environment: str = "", site_key: str = ""):
        self._previous = previous
        self.environment = environment
        self.site_key = site_key

    @property
    def previous(self) -> dict[str, str]:
        """Site path -> key, of the files still as the last build wrote them."""
        return self._previous.intact

    def has(self, path: str, key: str) -> bool:
        """Whether the page the last build wrote at `path` had `key`, and is still there."""
        return bool(key) and self.previous.get(path) == key

    def kept(self, path: str) -> Path:
        """The page the last build wrote at `path` (see has): the build's write.Writer links
        it into the new site."""
        return safe_join(self._previous.out, path)

    @property
    def site_file_key(self) -> str:
        """The key of every file but the country pages: the site's key; "" when unknown."""
        return SITE + self.site_key if self.site_key else ""

    def whole_site(self) -> dict[str, Path] | None:
        """Every file the last build gave a key, if it had this site key (then every page
        is the same) and all of them are as it left them; else None."""
        site = self.site_file_key
        if not site or site not in self._previous.written.values():
            return None  # known without listing the folder
        if not self._previous.complete:
            return None
        return {path: self.kept(path) for path in self.previous}


def for_build(
    dataset: Dataset, paths: Paths, config: Config, previous: Previous | None = None
) -> PageCache | None:
    """The page cache of a build of `dataset` into paths.out; None when the cache is off.

    `previous`: what the last write into paths.out recorded (the build's write.Writer's);
    by default read from the cache's records of written sites."""
    if previous is None:
        previous = Previous(paths.out, written_records())
    if previous.record is None:
        return None
    _remove_old_bundles(previous.record.folder.parent)
    environment = environment_key(paths.templates, paths.project_root / "locales", config)
    results = resultcache.key(dataset)
    site = ""
    if results:
        site = digest(environment, results, repr(dataset.spotlights), dataset.methodology)
    return PageCache(previous, environment, site)


def written_records() -> Store | None:
    """Where the records of written sites are kept (scorecard.write); None: the cache off."""
    return default_store(WRITTEN)


# Until the pages became the site's own files, the page cache kept a copy of every page
# under this kind of entry, one bundle per output folder (up to 86 MB); no build writes,
# reads or prunes them any more, so the first build that finds them removes them.
_OLD_BUNDLES = "pages"


def _remove_old_bundles(root: Path) -> None:
    old = root / _OLD_BUNDLES
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)


def environment_key(templates: Path, locales: Path, config: Config) -> str:
    """What every page depends on besides its data: templates, language, settings, code."""
    files = sorted(p for p in templates.rglob("*") if p.is_file())
    language = config.language
    catalogue = catalogue_path(locales, language)
    package = Path(__file__).resolve().parent
    data_files = sorted(p for p in package.iterdir() if p.suffix in {".json", ".txt"})
    return digest(
        code_version(),
        *(_library_version(name) for name in _LIBRARIES),
        *(part for p in data_files for part in (p.name, p.read_bytes())),
        *(part for p in files for part in (p.relative_to(templates).as_posix(), p.read_bytes())),
        language,
        catalogue.read_bytes() if catalogue.is_file() else b"",
        repr(config),
    )


def _library_version(name: str) -> str:
    """A library's name and version, from its installed metadata's folder name (which
    importlib.metadata would read too, but importing that takes ~0.06 s)."""
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent.parent
        wanted = name.lower().replace("-", "_") + "-"
        with contextlib.suppress(OSError):
            for entry in sorted(os.listdir(folder)):
                if entry.endswith(".dist-info") and entry.lower().startswith(wanted):
                    return entry
    module = importlib.import_module(name)  # installed some other way: ask the module
    return f"{name} {getattr(module, '__version__', '')} {getattr(module, '__file__', '')}"


class ValueKeys:
    """Digests of values for pages' keys; model objects count by what identifies them.

    A Country counts by its file's validation key (its bytes, path and the context), an
    observation that follows its Country in the value by its place in that file, an
    Indicator, Pillar, Layer, registry Source or the Framework by its id (framework.yaml
    and sources.yaml are in the context, Dataset.context, which every country page's key
    holds too). Anything else counts by value. `of` raises KeyError for a country whose
    file has no key (the cache is off).
    """

    def __init__(self, country_keys: dict[str, str]):
        self.country_keys = country_keys
        files: set[str] = set()  # the countries a value draws on: their keys join its key
        places: dict[int, str] = {}  # id(observation) -> its place, for those countries
        self._files, self._places = files, places

        def country(found: Country) -> tuple[Any, ...]:
            if found.iso3 not in files:
                files.add(found.iso3)
                for section in ("context", "indicators", "other_indices"):
                    for name, observations in getattr(found, section).items():
                        for n, each in enumerate(observations):
                            places[id(each)] = f"{found.iso3} {section} {name} {n}"
            return str, (found.iso3,)

        def observation(found: Observation) -> tuple[Any, ...]:
            # By its place, if its country came before it in the value; else by value.
            return str, (places.get(id(found)) or repr(found),)

        def by_id(found: Indicator | Pillar | Layer) -> tuple[Any, ...]:
            return str, (f"{type(found).__name__} {found.id}",)

        def source(found: Source) -> tuple[Any, ...]:
            # One written inline in a country file (no id) counts by its fields.
            return str, (f"Source {found.id}" if found.id else repr(found),)

        self._table: dict[type, Callable[[Any], Any]] = {
            Observation: observation,
            Country: country,
            Indicator: by_id,
            Pillar: by_id,
            Layer: by_id,
            Source: source,
            Framework: lambda found: (str, ("Framework",)),
        }

    def of(self, value: Any) -> str:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: equal values, equal bytes, whichever objects are shared
        pickler.dispatch_table = self._table  # type: ignore[assignment]
        self._files.clear()
        self._places.clear()
        pickler.dump(value)
        hasher = hashlib.sha256(buffer.getbuffer())
        for iso3 in sorted(self._files):  # the files' keys cover their countries' content
            hasher.update(f"{iso3} {self.country_keys[iso3]}".encode())
        return hasher.hexdigest()
