"""The validation cache: same results with or without it, never stale, safe when damaged."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard import cache, validate
from scorecard.errors import ScorecardError
from scorecard.validate import load_dataset

from .conftest import FIXTURE, TODAY, edit
from .test_lens import with_spotlight


@pytest.fixture
def store(tmp_path: Path) -> cache.Store:
    return cache.Store(tmp_path / "cache")


def load(data: Path, store: cache.Store | None, **options):
    return load_dataset(data, today=TODAY, store=store, **options)


def outcome(data: Path, store: cache.Store | None) -> list[str]:
    """Every problem, formatted, or the dataset's repr when there are none."""
    try:
        dataset, warnings = load(data, store)
    except ScorecardError as exc:
        return [p.format() for p in exc.problems]
    return [repr(dataset), *(w.format() for w in warnings)]


def entries(store: cache.Store) -> list[Path]:
    return sorted(store.folder.iterdir()) if store.folder.is_dir() else []


def forbid_checking(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file may be checked again: country files, sources, framework, spotlights and
    methodology all come from the cache."""

    def fail(*args, **kwargs):
        raise AssertionError("a file was checked again")

    for method in ("_check_country", "_sources", "_framework", "_spotlight"):
        monkeypatch.setattr(validate._Checker, method, fail)
    monkeypatch.setattr(validate, "read_markdown", fail)


def test_a_second_load_reads_every_country_from_the_cache(data, store, monkeypatch):
    first = outcome(data, store)
    assert len(entries(store)) == 4  # three countries, and the files they depend on
    assert first == outcome(data, None)
    forbid_checking(monkeypatch)
    assert outcome(data, store) == first


def test_warnings_and_sources_come_back_from_the_cache(data, store, monkeypatch):
    with (data / "sources.yaml").open("a") as file:
        file.write("spare:\n  producer: X\n  title: Y\n  url: https://example.org/y\n")
    first = outcome(data, store)
    assert any("source 'spare' is not cited" in line for line in first)
    forbid_checking(monkeypatch)
    assert outcome(data, store) == first  # no other source reported unused


def cite_a_source_from_the_framework_only(data: Path) -> None:
    """Add a source that only the framework cites (an indicator's default source)."""
    with (data / "sources.yaml").open("a") as file:
        file.write("framework-only:\n  producer: X\n  title: Y\n  url: https://example.org/y\n")
    edit(data / "framework.yaml", "default_source: itu-2024", "default_source: framework-only")


def test_sources_cited_by_the_framework_alone_stay_cited_from_the_cache(data, store, monkeypatch):
    """A source only the framework cites (an indicator's default) is not unused: the cached
    outcome of the shared files brought back their warnings but not their citations, so a
    build with the cache warned about it (and `check --strict` failed) where one without
    did not."""
    cite_a_source_from_the_framework_only(data)
    first = outcome(data, store)
    assert first == outcome(data, None)
    assert first[1:] == []  # no warning after the dataset's repr: every source is cited
    forbid_checking(monkeypatch)
    assert outcome(data, store) == first


def test_an_edited_file_is_checked_again(data, store):
    outcome(data, store)
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 91\n")
    assert outcome(data, store) == outcome(data, None)
    assert "91" in outcome(data, store)[0]
    assert len(entries(store)) == 5


def test_a_file_saved_during_the_check_is_checked_as_it_was_hashed(data, store, monkeypatch):
    """A save between the reading of a file for its key and its check: the outcome kept
    under the key is that of the bytes hashed, never of the file as saved meanwhile (which
    a later build of the first bytes would take from the cache)."""
    fra = data / "countries/FRA.yaml"
    make_key = validate._Checker._cache_key

    def key_then_save(self, path):
        key = make_key(self, path)
        if path == fra:
            edit(fra, "value: 90\n", "value: 91\n")
        return key

    monkeypatch.setattr(validate._Checker, "_cache_key", key_then_save)
    during = outcome(data, store)
    monkeypatch.undo()
    edit(fra, "value: 91\n", "value: 90\n")
    assert during == outcome(data, None)  # the bytes hashed, checked
    assert outcome(data, store) == during  # and kept under their key
    edit(fra, "value: 90\n", "value: 91\n")
    assert outcome(data, store) == outcome(data, None) != during


def test_a_country_file_is_read_once_a_build(data, store, monkeypatch):
    opened: list[str] = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    outcome(data, store)  # every file hashed for its key, then checked
    countries = [path.name for path in (data / "countries").glob("*.yaml")]
    assert len(countries) == 3
    assert sorted(n for n in opened if n.endswith(".yaml")) == sorted(
        ["framework.yaml", "sources.yaml", *countries]
    )


@pytest.mark.parametrize("changed", ["framework.yaml", "sources.yaml"])
def test_a_changed_framework_or_registry_checks_every_country_again(data, store, changed):
    outcome(data, store)
    with (data / changed).open("a") as file:
        file.write("\n# a comment changes the bytes\n")
    outcome(data, store)
    assert len(entries(store)) == 8


@pytest.mark.parametrize(
    "change",
    ["framework", "sources", "methodology", "spotlight", "story", "country names", "none"],
)
def test_the_files_every_country_depends_on_are_checked_again_when_they_change(
    data, store, monkeypatch, change
):
    spotlight = with_spotlight(data)
    first = outcome(data, store)
    assert first[0].startswith("Dataset(") and "France's plan" in first[0]
    checked: list[str] = []
    real = validate._Checker._shared
    monkeypatch.setattr(
        validate._Checker, "_shared", lambda self, names: checked.append("") or real(self, names)
    )
    monkeypatch.setattr(validate._Checker, "_sources", lambda self: checked.append("s") or None)
    appended = {
        "framework": data / "framework.yaml",
        "sources": data / "sources.yaml",
        "methodology": data / "methodology.md",
        "spotlight": spotlight,
        "story": spotlight.with_suffix(".md"),
    }
    if change in appended:
        with appended[change].open("a", encoding="utf-8") as file:
            file.write("\n# changed\n")
    elif change == "country names":
        (data / "countries/ITA.yaml").rename(data / "countries/_ITA.yaml")  # left out
    again = outcome(data, store)
    if change == "none":
        assert (checked, again) == ([""], first)  # from the cache
    else:
        assert checked == ["", "s"]  # checked again


def test_another_day_or_set_of_codes_is_another_key(data, store):
    load_dataset(data, today=TODAY, store=store)
    load_dataset(data, today=TODAY.replace(day=2), store=store)
    load_dataset(data, today=TODAY, store=store, country_codes={"FRA", "DEU", "ITA"})
    assert len(entries(store)) == 12


def test_files_with_errors_are_not_stored(data, store):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    first = outcome(data, store)
    assert "expected a number, got text '90'" in "\n".join(first)
    assert len(entries(store)) == 3  # the valid countries and the files they depend on
    assert outcome(data, store) == first


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95truncated"])
def test_damaged_entries_are_misses_and_are_replaced(data, store, damage):
    expected = outcome(data, store)
    for entry in entries(store):
        entry.write_bytes(damage)
    assert outcome(data, store) == expected
    assert all(len(entry.read_bytes()) > 100 for entry in entries(store))


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_an_entry_cannot_run_code(data, store, tmp_path, monkeypatch):
    expected = outcome(data, store)
    monkeypatch.chdir(tmp_path)
    for entry in entries(store):
        entry.write_bytes(pickle.dumps(([], set(), _Exploit())))
    assert outcome(data, store) == expected
    assert not (tmp_path / "pwned").exists()


def test_an_unwritable_cache_only_costs_time(data, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    assert outcome(data, cache.Store(blocker / "cache")) == outcome(data, None)


def test_where_the_cache_lives(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV, "off")
    assert cache.default_store("countries") is None
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    assert cache.default_store("countries").folder == tmp_path / "countries"
    monkeypatch.delenv(cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg/ai-sovereignty-scorecard/countries"
    assert cache.default_store("countries").folder == expected


def test_old_entries_are_pruned(store):
    store.put("a" * 64, 1)
    old = store.folder / ("b" * 64)
    old.write_bytes(pickle.dumps(2))
    os.utime(old, (0, 0))
    store.prune()
    assert [p.name for p in entries(store)] == ["a" * 64]


def test_country_codes_replace_the_iso_list(data):
    (data / "countries/FRA.yaml").rename(data / "countries/XAA.yaml")
    edit(data / "countries/XAA.yaml", "iso3: FRA", "iso3: XAA")
    problem = "error: iso3: 'XAA' is not an ISO 3166-1 alpha-3 country code"
    assert problem in "\n".join(outcome(data, None))
    codes = {"XAA", "DEU", "ITA"}
    dataset, _ = load_dataset(data, today=TODAY, store=None, country_codes=codes)
    assert [c.iso3 for c in dataset.countries] == ["DEU", "ITA", "XAA"]


def test_a_remembering_store_keeps_what_it_reads_and_writes_in_memory(tmp_path):
    folder = tmp_path / "cache"
    store, disk = cache.Remembering(folder), cache.Store(folder)
    store.put("written", [1])
    store.dump("dumped", [2])
    disk.put("read", {"x": 1})
    assert store.get("read") == {"x": 1}
    assert disk.get("dumped") == [2]  # written to the disk too
    for key in ("written", "dumped", "read"):
        (folder / key).unlink()  # gone from the disk, still in memory
    assert (store.get("written"), store.get("dumped"), store.get("read")) == ([1], [2], {"x": 1})
    assert store.has("written") and not disk.has("written")
    store.keep_only(["read", "never stored"])
    assert (store.get("written"), store.has("written"), store.get("read")) == (
        None,
        False,
        {"x": 1},
    )
    assert store.get("never stored") is None


def test_a_remembering_store_reads_only_what_changed(data, tmp_path, monkeypatch):
    """serve's store: the second validation takes the unchanged files from memory."""
    store = cache.Remembering(tmp_path / "cache")
    first = outcome(data, store)
    read: list[str] = []
    real = cache.Store.get
    monkeypatch.setattr(
        cache.Store, "get", lambda self, key, *how: read.append(key) or real(self, key, *how)
    )
    assert outcome(data, store) == first and read == []
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 91\n")
    assert outcome(data, store) == outcome(data, None)
    assert len(read) == 1  # the edited file's new key: not in memory, nor on the disk


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path):
    target = tmp_path / "page.html"
    target.write_bytes(b"old")
    cache.replace_file(target, lambda file: file.write(b"new"))
    assert target.read_bytes() == b"new"

    def fails(file):  # type: ignore[no-untyped-def]
        file.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cache.replace_file(target, fails)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


# Every file a check reads, the shared ones included (a spotlight added to the fixture).
EDITED_FILES = [
    "framework.yaml",
    "sources.yaml",
    "spotlights/FRA.yaml",
    "countries/DEU.yaml",
    "countries/FRA.yaml",
    "countries/ITA.yaml",
]
LINE_EDITS = st.tuples(
    st.sampled_from(EDITED_FILES),
    st.sampled_from(["delete", "duplicate", "swap", "remove the file"]),
    st.integers(min_value=0),
    st.integers(min_value=0),
)


def edit_lines(path: Path, how: str, first: int, second: int) -> None:
    """Delete a line, insert a copy of one line before another, swap two, or remove the file."""
    if not path.exists():
        return
    if how == "remove the file":
        path.unlink()
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i, j = first % len(lines), second % len(lines)
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[j])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    path.write_text("".join(lines), encoding="utf-8")


@given(edits=st.lists(LINE_EDITS, min_size=1, max_size=3))
@settings(max_examples=40)
def test_the_cache_never_changes_the_outcome_of_a_check(edits, tmp_path_factory):
    """Whatever a contributor's edit breaks or mends, a check with the cache says exactly
    what one without it says: after the edit (the unchanged files from the cache, filled
    before it) and again (everything from the cache). A warm check once disagreed with a
    cold one (test_sources_cited_by_the_framework_alone_stay_cited_from_the_cache)."""
    root = tmp_path_factory.mktemp("edited")
    data = root / "indicators"
    shutil.copytree(FIXTURE, data)
    with_spotlight(data)
    cite_a_source_from_the_framework_only(data)
    store = cache.Store(root / "cache")
    with contextlib.chdir(root):
        outcome(data, store)  # the cache, filled before the edit
        for name, how, first, second in edits:
            edit_lines(data / name, how, first, second)
        cold = outcome(data, None)
        assert outcome(data, store) == cold
        assert outcome(data, store) == cold
