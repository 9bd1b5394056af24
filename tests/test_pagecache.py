"""The page cache: a page is rendered again exactly when something it shows changed.

Each test builds the real data with the cache (into the same output folder, as a maintainer
does), changes one kind of input, builds again, and compares every byte with a build that
renders every page. The pages not rendered again are counted, so a cache that never hit
would fail too.
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from unittest import mock

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard import cache, pagecache, parallel, pipeline, resultcache, site, write
from scorecard.config import Config
from scorecard.errors import ScorecardError
from scorecard.model import Country, Observation, Source

from .conftest import (
    REPO,
    SITE_EDITS,
    edit,
    edit_a_field,
    modules_a_build_loads,
    small_project,
    tree,
)

DEFAULT = Config()


@dataclass
class Project:
    root: Path
    rendered: list[str]  # pages rendered by the last build, in this process

    @property
    def paths(self) -> pipeline.Paths:
        return pipeline.Paths.for_project(self.root)

    def build(self, config: Config = DEFAULT, *, cached: bool = True) -> dict[str, bytes]:
        """Build into site/ (with the page cache) or fresh/ (rendering every page)."""
        self.rendered.clear()
        out = self.root / ("site" if cached else "fresh")
        paths = replace(self.paths, out=out)
        if cached:
            pipeline.build(paths, config)
        else:
            original = pagecache.for_build
            pagecache.for_build = lambda *args: None  # type: ignore[assignment]
            try:
                pipeline.build(paths, config)
            finally:
                pagecache.for_build = original
        return tree(out)

    def same_as_rendered(self, config: Config = DEFAULT) -> list[str]:
        """Build with the cache and without; assert equal bytes; the cached build's pages."""
        cached = self.build(config)
        rendered = list(self.rendered)
        assert cached == self.build(config, cached=False)
        return rendered


def copy_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real data, templates and locales (copies: tests edit them), run from there."""
    root = tmp_path / "project"
    for name in ("indicators", "templates", "locales"):
        shutil.copytree(REPO / name, root / name)
    (root / "static").symlink_to(REPO / "static", target_is_directory=True)
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    monkeypatch.chdir(root)
    return root


def edit_a_value(root: Path) -> None:
    """Korea's TOP500 performance, ten times larger."""
    edit(
        root / "indicators" / "countries" / "KOR.yaml",
        "    - value: 323.11\n",
        "    - value: 3231.1\n",
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """copy_project, built once, in one process (every page renders here)."""
    root = copy_project(tmp_path, monkeypatch)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    rendered: list[str] = []
    real = site._Renderer._html

    def spy(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(path)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(site._Renderer, "_html", spy)
    built = Project(root, rendered)
    pages = [p for p in built.build() if p.endswith(".html")]
    assert sorted(rendered) == sorted(pages)  # a first build renders every page
    assert len(countries(rendered)) == COUNTRY_PAGES
    return built


COUNTRY_PAGES = 41


def countries(rendered: list[str]) -> list[str]:
    return [p for p in rendered if p.startswith("countries/")]


def test_an_unchanged_build_renders_nothing(project):
    assert project.same_as_rendered() == []


def test_an_unchanged_build_does_not_even_read_the_scores_back(project, monkeypatch):
    def fail(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("the results were read")

    monkeypatch.setattr(resultcache, "load", fail)
    monkeypatch.setattr(pipeline, "compute_results", fail)
    project.build()
    assert project.rendered == []


def test_an_edited_value_renders_its_country_again_and_not_every_country(project):
    edit_a_value(project.root)
    rendered = countries(project.same_as_rendered())
    assert "countries/KOR/index.html" in rendered
    assert len(rendered) < COUNTRY_PAGES


@pytest.mark.parametrize(
    "template, old, new",
    [
        ("country.html", "<h1>{{ co.name }}</h1>", "<h1>{{ co.name }}!</h1>"),
        ("macros.html", "<cite>{{ source.title }}</cite>", "<q>{{ source.title }}</q>"),
        ("_peer_table.html", "{{ _('Peers’ median') }}", "Median"),
        ("base.html", '<main id="main" class="wrap">', '<main id="main" class="wrap" x>'),
    ],
)
def test_a_changed_template_renders_every_page_using_it(project, template, old, new):
    edit(project.root / "templates" / template, old, new)
    rendered = countries(project.same_as_rendered())
    assert len(rendered) == COUNTRY_PAGES


@pytest.mark.parametrize(
    "config",
    [
        Config(repository="https://github.com/example/scorecard"),
        Config(repository="https://github.com/example/scorecard", branch="next"),
        Config(base_url="https://example.org/scorecard/"),
    ],
)
def test_changed_settings_render_every_page(project, config):
    assert len(countries(project.same_as_rendered(config))) == COUNTRY_PAGES


@pytest.mark.parametrize(
    "file, old, new",
    [
        ("framework.yaml", "name: Compute", "name: Computing power"),
        ("sources.yaml", "producer: TOP500.org", "producer: The TOP500 project"),
        ("methodology.md", "# Methodology", "# How we score"),
        ("spotlights/KOR.md", "South\nKorea is trying", "South\nKorea is trying hard"),
    ],
)
def test_changed_framework_sources_or_methodology(project, file, old, new):
    edit(project.root / "indicators" / file, old, new)
    project.same_as_rendered()


def test_a_changed_spotlight_renders_the_pages_that_show_it(project):
    story = next((project.root / "indicators" / "spotlights").glob("*.yaml"))
    text = story.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    story.write_text(text.replace(title, title + " (revised)"), encoding="utf-8")
    rendered = project.same_as_rendered()
    assert f"countries/{story.stem}/index.html" in rendered
    assert f"spotlights/{story.stem}/index.html" in rendered


def test_a_renamed_country_renders_again(project):
    edit(
        project.root / "indicators" / "countries" / "JPN.yaml",
        "name: Japan\n",
        "name: Nippon\n",
    )
    assert "countries/JPN/index.html" in project.same_as_rendered()


def test_a_country_page_reads_only_what_its_key_holds(project):
    """Reading more of the site on a country page fails the build, cache or not: it would
    otherwise show stale values when only another country changed."""
    edit(
        project.root / "templates" / "country.html",
        "<h1>{{ co.name }}</h1>",
        "<h1>{{ co.name }} of {{ site.countries|length }}</h1>",
    )
    with pytest.raises(jinja2.UndefinedError, match="countries"):
        project.build()


def record(project: Project) -> Path:
    """The cache's record of what the last build wrote into site/ (scorecard.write)."""
    (found,) = (project.root.parent / "cache" / "written").iterdir()
    return found


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle",
        b"\x80\x05\x95truncated",
        pickle.dumps(["not", "a", "tuple"]),
        pickle.dumps(("key", [])),  # a record without keys
        pickle.dumps(("key", [], {"index.html": 1})),
        pickle.dumps(("key", [("index.html", 1)], {})),
    ],
)
def test_a_damaged_record_renders_every_page_again(project, damage):
    record(project).write_bytes(damage)
    assert len(countries(project.same_as_rendered())) == COUNTRY_PAGES


class _Exploit:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch pwned",))


def test_a_record_cannot_run_code(project):
    record(project).write_bytes(pickle.dumps(("key", [], {"x": _Exploit()})))
    project.same_as_rendered()
    assert not (project.root / "pwned").exists()


def test_an_unchanged_page_is_linked_into_the_new_site_not_written_again(project):
    site = project.root / "site"
    before = {p.parent.name: p.stat() for p in (site / "countries").glob("*/index.html")}
    edit_a_value(project.root)
    rendered = countries(project.same_as_rendered())
    after = {p.parent.name: p.stat() for p in (site / "countries").glob("*/index.html")}
    assert after.keys() == before.keys()
    for iso3, stat in after.items():
        made = f"countries/{iso3}/index.html" in rendered
        assert (stat.st_ino == before[iso3].st_ino) is not made, iso3
        assert stat.st_nlink == 1  # the old site's name is gone
        if not made:
            assert stat.st_mtime_ns == before[iso3].st_mtime_ns


@pytest.mark.parametrize(
    "meddle",
    [
        lambda page: page.write_bytes(page.read_bytes().replace(b"<h1>", b"<h2>", 1)),
        lambda page: os.utime(
            page, ns=(0, page.stat().st_mtime_ns), follow_symlinks=False
        ),  # nothing else changed: the change time still tells
        lambda page: page.unlink(),
    ],
)
def test_a_page_changed_on_disk_is_rendered_again(project, meddle):
    page = project.root / "site" / "countries" / "JPN" / "index.html"
    stat = page.stat()
    meddle(page)
    if page.exists() and page.stat().st_size == stat.st_size:  # same size, same time
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert countries(project.same_as_rendered()) == ["countries/JPN/index.html"]


def test_no_page_is_kept_in_the_cache(project):
    """The pages are the site's own files: the cache keeps their keys, not a copy."""
    page = (project.root / "site" / "countries" / "KOR" / "index.html").read_bytes()
    heading = page[page.index(b"<h1>") : page.index(b"</h1>") + 5]  # rendered, not a template's
    assert heading.startswith(b"<h1>") and len(heading) > 10
    kept = [p.read_bytes() for p in (project.root.parent / "cache").rglob("*") if p.is_file()]
    assert kept and not any(heading in found for found in kept)
    assert not (project.root.parent / "cache" / "pages").exists()


def test_bundles_left_by_earlier_versions_are_removed(project):
    """Earlier versions kept a copy of every page in the cache, under pages/; nothing
    reads, writes or prunes it now, so a build removes it."""
    old = project.root.parent / "cache" / "pages"
    old.mkdir()
    (old / "0123abcd").write_bytes(b"a bundle of pages")
    project.build()
    assert not old.exists()


def test_the_keys_of_the_files_still_as_written(tmp_path):
    store, out = cache.Store(tmp_path / "cache"), tmp_path / "site"
    files = {"data/scores.json": b"{}", "a/index.html": b"<p>a</p>", "b/index.html": b"<p>b</p>"}
    keys = {"a/index.html": "key a", "b/index.html": "key b"}

    def previous() -> tuple[dict[str, str], dict[str, str], bool]:
        found = write.Previous(out, store)
        return found.written, found.intact, found.complete

    assert previous() == ({}, {}, False)  # nothing written yet
    write.write_site(out, files, store, keys)
    assert previous() == (keys, keys, True)
    (out / "b" / "index.html").write_bytes(b"<p>B</p>")
    assert previous() == (keys, {"a/index.html": "key a"}, False)
    write.write_site(out, files, None, keys)  # a write without the record: nothing is known
    assert previous() == (keys, {}, False)


def test_without_the_cache_nothing_is_kept(project, monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV, "off")
    assert pagecache.for_build(pipeline.check(project.paths)[0], project.paths, DEFAULT) is None
    project.build()
    assert len(countries(project.rendered)) == COUNTRY_PAGES


# -- keys -------------------------------------------------------------------------------------

SOURCE = Source("top500", "TOP500", "The list", "https://top500.org/")
USED = Observation(2024, SOURCE, 2.5)
COUNTRY = Country(
    "KOR", "Korea", "Asia", "indicators/countries/KOR.yaml", indicators={"top500": (USED,)}
)


def key(value: object, file_key: str = "k1") -> str:
    return pagecache.ValueKeys({"KOR": file_key}).of(value)


def test_equal_values_have_one_key_whatever_objects_they_share():
    shared = Observation(2024, SOURCE, 1.5)
    twice = (shared, shared)
    copies = (Observation(2024, SOURCE, 1.5), Observation(2024, SOURCE, 1.5))
    assert key(twice) == key(copies)


def test_every_field_counts():
    base = Observation(2024, SOURCE, 1.5, note="n")
    assert len({key(base), key(replace(base, value=1.25)), key(replace(base, note="m"))}) == 3
    assert key(1.0) != key(1) and key(0.0) != key(-0.0)


def test_a_country_and_its_observations_count_by_the_files_key():
    assert key(COUNTRY) == key(replace(COUNTRY, name="changed: the file's key covers it"))
    assert key(COUNTRY) != key(COUNTRY, "k2")
    # An observation after its country: by its place in the file (and the file's key).
    assert key((COUNTRY, USED)) != key((COUNTRY, USED), "k2")
    assert key((COUNTRY, USED)) != key((COUNTRY, replace(USED)))  # from elsewhere: by value
    assert key(USED) == key(USED, "k2") == key(replace(USED))  # no country before it
    with pytest.raises(KeyError):
        pagecache.ValueKeys({}).of(COUNTRY)


def test_a_registry_source_counts_by_its_id_an_inline_one_by_its_fields():
    assert key(SOURCE) == key(replace(SOURCE, title="sources.yaml: the context covers it"))
    inline = replace(SOURCE, id="")  # written in a country file
    assert key(inline) != key(replace(inline, title="another"))


def test_an_unchanged_build_loads_neither_the_templates_nor_numpy(tmp_path):
    heavy = ("numpy", "jinja2", "markdown", "nh3", "importlib.metadata")
    out, cache_folder = tmp_path / "site", tmp_path / "cache"
    assert modules_a_build_loads(out, cache_folder, heavy)[0] == 0
    assert modules_a_build_loads(out, cache_folder, heavy) == (0, [])


@pytest.mark.parametrize("library", ["jinja2", "markupsafe", "markdown", "nh3"])
def test_library_versions_are_those_installed(library):
    version = importlib.metadata.version(library)
    assert pagecache._library_version(library).lower() == f"{library}-{version}.dist-info"


def test_on_two_processors_too(tmp_path, monkeypatch):
    """The forked child sends back only the pages it rendered; the others are the
    previous site's files."""
    root = copy_project(tmp_path, monkeypatch)
    paths = pipeline.Paths.for_project(root)
    pipeline.build(paths, DEFAULT)
    edit_a_value(root)
    pipeline.build(paths, DEFAULT)
    monkeypatch.setattr(pagecache, "for_build", lambda *args: None)
    pipeline.build(replace(paths, out=root / "fresh"), DEFAULT)
    assert tree(root / "site") == tree(root / "fresh")


def test_pages_are_put_into_the_new_site_by_the_process_that_made_them(tmp_path, monkeypatch):
    """With a writer, the country pages, the other pages and the downloads (each with a
    key) are written as they are made, in the forked child too: only their paths come back."""
    root = copy_project(tmp_path, monkeypatch)
    paths = pipeline.Paths.for_project(root)
    pipeline.build(paths, DEFAULT)
    edit_a_value(root)
    results = pipeline.compute(paths)
    output, _ = pipeline.publish(results, paths, DEFAULT)
    staged = sorted(p for p, c in output.files.items() if c is write.STAGED)
    assert "countries/KOR/index.html" in staged and "data/values.csv" in staged
    assert "index.html" in staged
    assert all(p in output.keys for p in staged)
    monkeypatch.setattr(pagecache, "for_build", lambda *args: None)
    pipeline.build(replace(paths, out=root / "fresh"), DEFAULT)
    assert tree(root / "site") == tree(root / "fresh")


def test_pages_made_first_are_those_of_the_build(project):
    """`serve` has the open and edited pages made first (site._Renderer.render): each is
    made once, before any other, and is the page the build keeps (Korea's, after an edit
    to its narrative; the methodology). One the previous build wrote unchanged (Japan's,
    which the edit does not change) is made too: it is made before the page cache lists
    the site, which would take longer."""
    edit(
        project.root / "indicators" / "countries" / "KOR.yaml",
        "is the case that started this",
        "is the case that began this",
    )
    first = {
        "countries/KOR/index.html",
        "countries/JPN/index.html",
        "methodology/index.html",
        "no/such/page.html",  # ignored
    }
    given: list[dict[str, bytes]] = []
    results = pipeline.compute(project.paths)
    project.rendered.clear()
    files = pipeline.render(results, project.paths, DEFAULT, first=first, ahead=given.append).files
    made = list(project.rendered)
    assert made[:3] == sorted(first - {"no/such/page.html"})
    assert sorted(made) == sorted(set(made))  # nothing made twice
    assert len(given) == 1 and sorted(given[0]) == sorted(first - {"no/such/page.html"})
    assert all(files[path] == html for path, html in given[0].items())
    assert b"is the case that began this" in given[0]["countries/KOR/index.html"]
    usa = files["countries/USA/index.html"]  # neither first nor changed: the previous page
    assert usa == project.root / "site" / "countries" / "USA" / "index.html"
    fresh = project.build(cached=False)
    assert {
        p: c.read_bytes() if isinstance(c, Path) else c
        for p, c in files.items()
        if not p.startswith("assets/")
    } == {p: c for p, c in fresh.items() if not p.startswith("assets/")}


def build_or_problems(paths: pipeline.Paths, cache_folder: str) -> list[str]:
    """Build with the caches at `cache_folder` ("off": none); the problems, [] if built."""
    with mock.patch.dict(os.environ, {cache.ENV: cache_folder}):
        try:
            pipeline.build(paths, DEFAULT)
        except ScorecardError as exc:
            return [p.format() for p in exc.problems]
    return []


@given(edits=st.lists(SITE_EDITS, min_size=1, max_size=3))
@settings(max_examples=10)
def test_a_site_built_with_the_caches_is_the_site_built_without(edits, tmp_path_factory):
    """After any edits to values, years, weights, names and source titles, a build that
    keeps what it can from the previous one (pages, results, checked files) writes the
    same bytes as a build with every cache off, or reports the same problems and leaves
    the previous site."""
    root = small_project(tmp_path_factory.mktemp("project"))
    paths = pipeline.Paths.for_project(root)
    caches = str(root / "cache")
    assert build_or_problems(paths, caches) == []
    before = tree(root / "site")
    for (name, field), which, number in edits:
        edit_a_field(root / name, field, which, number)
    problems = build_or_problems(paths, caches)
    assert problems == build_or_problems(replace(paths, out=root / "fresh"), "off")
    if problems:
        assert tree(root / "site") == before
    else:
        assert tree(root / "site") == tree(root / "fresh")
