"""The result cache: a build of unchanged data reads its scores back; never stale, never unsafe."""

from __future__ import annotations

import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from scorecard import cache, parallel, pipeline, resultcache
from scorecard.config import Config

from .conftest import REPO, edit, modules_a_build_loads, tree


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> cache.Store:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    found = resultcache.default()
    assert found is not None
    return found


def compute(data: Path) -> pipeline.Results:
    """Compute (or read back), and write new results to the cache as rendering does."""
    results = pipeline.compute(pipeline.Paths.for_project(REPO, data))
    assert results.computed.scores  # made (or read back) when first read
    results.take_unsaved()()
    return results


def forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **options):
        raise AssertionError("the results were computed again")

    monkeypatch.setattr(pipeline, "start_computing", fail)


def test_unchanged_data_reads_its_results_back(data, store, monkeypatch):
    first = compute(data)
    assert [p.name for p in store.folder.iterdir()] == [
        resultcache.key(first.dataset)  # one entry, under the data's key
    ]
    forbid_computing(monkeypatch)
    again = compute(data)
    assert again == first
    assert again.scores[0].composite is not None and again.intervals


def test_new_results_are_written_once_by_whoever_takes_them(data, store):
    results = pipeline.compute(pipeline.Paths.for_project(REPO, data))
    save = results.take_unsaved()
    save()  # nothing computed yet: nothing to write
    assert not store.folder.exists()
    assert results.computed.scores
    assert not store.folder.exists()  # computing writes nothing itself
    save = results.take_unsaved()
    results.take_unsaved()()  # taken already: nothing
    assert not store.folder.exists()
    save()
    assert [p.name for p in store.folder.iterdir()] == [resultcache.key(results.dataset)]


@pytest.mark.parametrize("fork", [True, False])
def test_a_build_writes_the_new_results(data, store, monkeypatch, fork):
    """Rendering's forked child writes them while the build makes pages (on one processor,
    the build itself); either way the next computation reads them back."""
    monkeypatch.setattr(parallel, "can_fork", lambda: fork)
    pipeline.build(pipeline.Paths.for_project(REPO, data, data.parent / "site"), Config())
    forbid_computing(monkeypatch)
    assert [p.name for p in store.folder.iterdir()] == [resultcache.key(compute(data).dataset)]


def test_read_back_scores_point_at_the_datasets_own_observations(data, store):
    compute(data)
    results = compute(data)  # from the cache
    for score in results.scores:
        country = results.dataset.country(score.iso3)
        for indicator, used in score.indicators.items():
            assert any(used.observation is o for o in country.indicators[indicator])


def test_changed_data_is_computed_again(data, store, monkeypatch):
    first = compute(data)
    edit(data / "countries" / "FRA.yaml", "value: 5000\n", "value: 4000\n")
    calls = []
    real = pipeline.start_computing
    monkeypatch.setattr(
        pipeline, "start_computing", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    second = compute(data)
    assert calls == [1]
    assert second.scores != first.scores
    assert len(list(store.folder.iterdir())) == 2


def test_nothing_is_kept_with_the_cache_off(data, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, "off")
    results = compute(data)
    assert results.dataset.fingerprint == ""
    assert resultcache.default() is None
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95truncated"])
def test_damaged_entries_are_misses(data, store, damage):
    first = compute(data)
    (entry,) = store.folder.iterdir()
    entry.write_bytes(damage)
    assert compute(data) == first
    assert len(entry.read_bytes()) > 100  # written again


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_an_entry_cannot_run_code(data, store, tmp_path):
    first = compute(data)
    (entry,) = store.folder.iterdir()
    entry.write_bytes(pickle.dumps(_Exploit()))
    assert compute(data) == first
    assert not (tmp_path / "pwned").exists()


def test_an_entry_naming_an_observation_that_is_not_there_is_a_miss(data, store):
    first = compute(data)
    (entry,) = store.folder.iterdir()
    raw = entry.read_bytes()
    assert raw.count(b"supercomputers") >= 1
    entry.write_bytes(raw.replace(b"supercomputers", b"supercomputerz"))
    assert compute(data) == first


def test_the_site_is_the_same_from_computed_and_from_read_back_results(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    paths = pipeline.Paths.for_project(REPO, REPO / "indicators", tmp_path / "one")
    pipeline.build(paths, Config())
    forbid_computing(monkeypatch)
    pipeline.build(replace(paths, out=tmp_path / "two"), Config())
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_build_from_read_back_results_does_not_load_numpy(tmp_path):
    modules_a_build_loads(tmp_path / "one", tmp_path / "cache", ())
    # Another output folder: its pages are rendered (not in the page cache), from the
    # results read back.
    assert modules_a_build_loads(tmp_path / "two", tmp_path / "cache", ("numpy",)) == (0, [])


def test_keeping_results_leaves_no_reference_cycle(data, store):
    """Builds pause the cyclic collector: a pickler or unpickler in a cycle (with its memo
    of every object) would stay in memory until the build ends."""
    import gc

    gc.collect()
    gc.disable()
    try:
        compute(data)  # writes the entry
        compute(data)  # reads it back
        assert not [o for o in gc.get_objects() if isinstance(o, pickle.Pickler | pickle.Unpickler)]
    finally:
        gc.enable()
