"""What the speed-ups rest on: the benchmark data validates and builds; shortcuts change nothing.

No timing is asserted here (benchmarks/run.py prints the figures; docs/performance.md
records them).
"""

from __future__ import annotations

import errno
import gc
import gettext
import os
import pickle
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from benchmarks import bounds, generate, run
from scorecard import compute, parallel, pipeline, site, validate, views, yamlsafe
from scorecard.config import Config
from scorecard.validate import load_dataset

from .conftest import FIXTURE, REPO, modules_a_build_loads, tree


@given(st.text(alphabet="0123456789+-.eExXoOabfinNlLtTrRuUsS~_:, ", max_size=8))
def test_one_expression_types_plain_scalars_as_the_four_did(text):
    first = next((name for name, rx in yamlsafe._PLAIN_TYPES if rx.match(text)), "str")
    found = yamlsafe._PLAIN_TYPE.match(text)
    assert (found.lastgroup if found else "str") == first


def test_the_200_country_benchmark_data_validates_and_builds(tmp_path):
    data = generate.generate(tmp_path / "data", 200, seed=1)
    dataset, warnings = load_dataset(data)  # the real checks, ISO codes included
    assert (len(dataset.countries), warnings) == (200, [])
    assert len(dataset.framework.indicators) >= 25
    years = [len(obs) for c in dataset.countries for obs in c.indicators.values()]
    assert min(years) >= 2 and sum(years) / len(years) > 3
    paths = pipeline.Paths.for_project(REPO, data, tmp_path / "site")
    _, output = pipeline.build(paths, Config())
    assert sum(name.startswith("countries/") for name in output.files) == 200
    first = tree(tmp_path / "site")
    pipeline.build(paths, Config())  # every country from the validation cache this time
    assert tree(tmp_path / "site") == first


def test_the_bounds_variants_make_their_part_free_and_nothing_else(tmp_path):
    data = generate.generate(tmp_path / "data", 6, seed=1)
    pickled = tmp_path / "yaml.pickle"
    bounds.pickle_yaml(data, pickled)
    script = REPO / "benchmarks" / "bounds.py"
    env = {**os.environ, "SCORECARD_CACHE_DIR": "off"}

    def build(out: str, *free: str, table: Path = pickled) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(script), "--pickled", str(table)]
        command += [f"--free={part}" for part in free]
        command += ["build", "--data", str(data), "--out", str(tmp_path / out)]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    assert build("built").returncode == 0
    built = tree(tmp_path / "built")
    assert build("from-pickles", "yaml").returncode == 0  # the files' pickles: the same site
    assert tree(tmp_path / "from-pickles") == built
    # Country pages of one byte, the rest as built.
    assert build("one-byte", "pages").returncode == 0
    pages = tree(tmp_path / "one-byte")
    countries = {path for path in built if path.startswith("countries/")}
    assert countries and {pages[path] for path in countries} == {b"-"}
    others = {path: content for path, content in pages.items() if path not in countries}
    assert others == {path: built[path] for path in others}
    # The pickles are what the build reads: two country files' swapped, each file now holds
    # the other country, which validation reports.
    table = pickle.loads(pickled.read_bytes())
    first, second = sorted((data / "countries").glob("*.yaml"))[:2]
    a, b = first.read_bytes(), second.read_bytes()
    table[a], table[b] = table[b], table[a]
    swapped = tmp_path / "swapped.pickle"
    swapped.write_bytes(pickle.dumps(table))
    failed = build("swapped", "yaml", table=swapped)
    assert failed.returncode == 1
    assert f"countries/{first.name}:" in failed.stderr, failed.stderr


def test_the_generator_is_seeded(tmp_path):
    one = generate.generate(tmp_path / "one", 12, seed=7)
    two = generate.generate(tmp_path / "two", 12, seed=7)
    other = generate.generate(tmp_path / "other", 12, seed=8)
    assert tree(one) == tree(two) != tree(other)


def test_beyond_249_countries_only_with_the_benchmarks_codes(tmp_path):
    data = generate.generate(tmp_path / "data", 252, seed=1)
    codes = [p.stem for p in (data / "countries").glob("*.yaml")]
    assert {"XAA", "XAB", "XAC"} < set(codes) and "XAD" not in codes
    problems = pipeline_problems(data)
    assert problems == [
        f"{data}/countries/{code}.yaml:2:7: error: iso3: '{code}' is not an ISO 3166-1 "
        "alpha-3 country code"
        for code in ("XAA", "XAB", "XAC")
    ]
    dataset, _ = load_dataset(data, country_codes=generate.accepted_codes())
    assert len(dataset.countries) == 252


def pipeline_problems(data: Path) -> list[str]:
    from scorecard.errors import ScorecardError

    try:
        load_dataset(data)
    except ScorecardError as exc:
        return [p.format().split("\n")[0] for p in exc.problems]
    return []


def test_fork_while_returns_what_the_child_made(monkeypatch):
    seen = []
    assert parallel.fork_while(lambda: [n * n for n in range(5)], lambda: seen.append(1)) == [
        0,
        1,
        4,
        9,
        16,
    ]
    assert seen == [1]


def test_a_failing_child_fails_here_as_without_it():
    def broken():
        raise ValueError("made in the child")

    with pytest.raises(ValueError, match="made in the child"):
        parallel.fork_while(broken, lambda: None)


@pytest.mark.parametrize("count", [0, 1, 7, parallel._MAX_TICKETS * 2 + 3])
def test_fork_sharing_does_every_item_once_in_order(count, monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    done_here = []
    first, results = parallel.fork_sharing(
        range(count),
        lambda n: (n * n, os.getpid()),
        lambda: os.getpid(),
        lambda: done_here.append(1),
    )
    assert [square for square, _ in results] == [n * n for n in range(count)]
    assert done_here == [1]
    if count:  # the child made `there`, and the items were shared between the processes
        assert first != os.getpid()
        assert {pid for _, pid in results} <= {first, os.getpid()}


def test_fork_sharing_finishes_what_a_failed_child_took(monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    parent = os.getpid()

    def work(n: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # the child dies holding its first item
        return n + 1

    first, results = parallel.fork_sharing(range(40), work, lambda: "there", lambda: None)
    assert (first, results) == ("there", [n + 1 for n in range(40)])


def children_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pid of every child parallel.Forked starts from now on (0: none, run here)."""
    children: list[int] = []

    class Counted(parallel.Forked):  # type: ignore[type-arg]
        def __init__(self, there: Callable[[], Any], **options: Any):
            super().__init__(there, **options)
            children.append(self._pid)

    monkeypatch.setattr(parallel, "Forked", Counted)
    return children


def _reaped(pid: int) -> bool:
    """Whether the child `pid` has been waited for (no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_forked_result_is_made_while_this_process_goes_on(monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    gate = tmp_path / "go"

    def there() -> tuple[int, list[int]]:
        while not gate.exists():  # the child waits for this process to let it finish
            time.sleep(0.001)
        return os.getpid(), [n * n for n in range(5)]

    forked = parallel.Forked(there)
    child = forked._pid
    assert child and not forked.ready()  # still running: this process went on
    gate.touch()
    made_by, squares = forked.result()
    assert (made_by, squares) == (child, [0, 1, 4, 9, 16])
    assert forked.ready() and _reaped(child)
    assert forked.result() == (child, [0, 1, 4, 9, 16])  # the same, not made again


def test_a_forked_result_is_made_here_without_a_child_or_when_it_failed(monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    forked = parallel.Forked(os.getpid)
    assert forked.ready() and forked.result() == os.getpid()
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    parent = os.getpid()

    def dies() -> int:
        if os.getpid() != parent:
            os._exit(3)
        return 7

    assert parallel.Forked(dies).result() == 7
    made: list[int] = []  # fork=False: made here, when first asked for, once
    here = parallel.Forked(lambda: made.append(os.getpid()) or len(made), fork=False)
    assert here._pid == 0 and made == []
    assert here.result() == here.result() == 1 and made == [parent]


def test_a_forked_childs_spare_work_is_done_after_its_result_is_made(monkeypatch, tmp_path):
    """`spare` runs in the child once `there` has made its result, before the child ends;
    a failure in it changes nothing; without a child it is never run."""
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    log = tmp_path / "log"

    def noted(what: str, made: int) -> int:
        with log.open("a") as file:
            file.write(f"{what} {os.getpid()}\n")
        return made

    forked = parallel.Forked(lambda: noted("there", os.getpid()), spare=lambda: noted("spare", 0))
    child = forked._pid
    assert forked.result() == child
    assert log.read_text() == f"there {child}\nspare {child}\n"

    def broken() -> None:
        raise OSError("no space left on device")

    failed = parallel.Forked(os.getpid, spare=broken)
    child = failed._pid
    assert failed.result() == child  # the child's result, not made again here

    log.unlink()
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    here = parallel.Forked(lambda: noted("there", os.getpid()), spare=lambda: noted("spare", 0))
    assert here.result() == os.getpid()
    assert log.read_text() == f"there {os.getpid()}\n"


def test_a_forked_result_asked_for_in_a_later_child_is_made_there(monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    forked = parallel.Forked(os.getpid)
    first_child = forked._pid
    later_child, made_there = parallel.fork_while(
        lambda: (os.getpid(), forked.result()), lambda: None
    )
    assert made_there == later_child  # the first child is not the later one's to wait for
    assert forked.result() == first_child


def test_a_forked_child_is_always_waited_for(monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    discarded = parallel.Forked(lambda: 1)
    child = discarded._pid
    discarded.discard()
    assert _reaped(child)
    dropped = parallel.Forked(lambda: 2)
    child = dropped._pid
    del dropped
    assert _reaped(child)

    def fails() -> None:
        raise RuntimeError("here")

    children = children_started(monkeypatch)
    with pytest.raises(RuntimeError, match="here"):
        parallel.fork_while(lambda: time.sleep(0.05), fails)
    assert len(children) == 1 and _reaped(children[0])


def test_the_view_makes_what_only_some_pages_show_when_they_read_it(monkeypatch):
    """The view waits for the rank intervals (the Monte Carlo child may still be making
    them: pipeline.Computing) and for nothing else: the indicator summaries, correlations
    and sources are made when a site-wide page first reads them, a country's indicator
    rows by its page, each in the process that makes the page."""
    dataset, _ = load_dataset(REPO / "indicators", store=None)
    results = pipeline.Results(dataset, [], pipeline.compute_results(dataset))
    seen: list[str] = []
    for part in ("_row", "_summary", "_correlations", "_sources_used"):
        real = getattr(views, part)
        monkeypatch.setattr(
            views, part, lambda *a, real=real, part=part: seen.append(part) or real(*a)
        )
    view = views.site_view(results)
    assert seen == []
    read = (view.summaries, view.correlations, view.sources_used)
    assert sorted(set(seen)) == ["_correlations", "_sources_used", "_summary"]
    seen.clear()
    assert read == (view.summaries, view.correlations, view.sources_used) and seen == []
    rows = views.indicator_rows(dataset.framework, view.country("KOR"))
    assert seen == ["_row"] * len(dataset.framework.indicators)
    assert [row.indicator for pillar in rows.values() for row in pillar] == [
        i for p in dataset.framework.pillars for i in p.indicators
    ]
    assert view == views.site_view(results)


def test_templates_are_compiled_while_the_intervals_are_computed(tmp_path):
    paths = pipeline.Paths.for_project(REPO, FIXTURE, tmp_path / "site")
    results = pipeline.compute(paths)
    answers = iter([False, False, True])  # not ready, not ready, ready
    results.intervals_ready = lambda: next(answers)  # type: ignore[method-assign]
    renderer = site._Renderer(results, paths, Config(), "en", None)
    compiled = []
    real = renderer.env.get_template
    renderer.env.get_template = lambda name, *a: compiled.append(name) or real(name, *a)  # type: ignore[method-assign]
    renderer._compile_while_computing()
    assert compiled == ["country.html", "404.html"]  # the country template first, then in order


def test_the_monte_carlo_child_compiles_the_templates_into_their_cache(tmp_path, monkeypatch):
    """What the child does after its runs (Results.spare, run by parallel.Forked): every
    template, from the last, into the compiled templates' cache, where this process finds
    them; with the cache turned off there is nothing it could hand over."""
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))
    paths = pipeline.Paths.for_project(REPO, FIXTURE, tmp_path / "site")
    results = pipeline.compute(paths)
    results.intervals_ready = lambda: True  # type: ignore[method-assign]  # nothing compiled here
    compiled: list[str] = []
    real = jinja2.Environment._compile

    def counted(env: jinja2.Environment, source: str, filename: str) -> Any:
        compiled.append(Path(filename).name)
        return real(env, source, filename)

    monkeypatch.setattr(jinja2.Environment, "_compile", counted)
    renderer = site._Renderer(results, paths, Config(), "en", None)
    renderer._compile_while_computing()
    assert compiled == [] and results.spare is not None
    results.spare()
    names = [
        "country.html",
        *(n for n in renderer.env.list_templates(["html"]) if n != "country.html"),
    ]
    assert compiled == names[::-1]
    compiled.clear()
    again = site._Renderer(results, paths, Config(), "en", None)  # a new environment
    for name in names:
        again.env.get_template(name)
    assert compiled == []  # every one read from the cache

    monkeypatch.setenv("SCORECARD_CACHE_DIR", "off")
    results = pipeline.compute(paths)
    site._Renderer(results, paths, Config(), "en", None)._compile_while_computing()
    assert results.spare is None


def test_a_full_disk_under_the_compiled_templates_only_means_compiling_again(tmp_path, monkeypatch):
    """Jinja's own cache raised the disk's error and stopped the build; every other cache
    only makes builds slower when it cannot be written, and so does this one now."""
    paths = pipeline.Paths.for_project(REPO, FIXTURE, tmp_path / "one")
    pipeline.build(paths, Config())

    def full(self: Any, file: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(jinja2.bccache.Bucket, "write_bytecode", full)
    pipeline.build(replace(paths, out=tmp_path / "two"), Config())
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert not list((tmp_path / "cache" / "templates").glob("*.cache"))  # none written


def test_no_fork_with_other_threads_running():
    started, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), stop.wait()))
    thread.start()
    started.wait()
    try:
        assert parallel.fork_while(os.getpid, lambda: None) == os.getpid()
    finally:
        stop.set()
        thread.join()


def test_the_site_is_the_same_with_and_without_the_second_process(tmp_path, monkeypatch):
    paths = pipeline.Paths.for_project(REPO, REPO / "indicators", tmp_path / "one")
    pipeline.build(paths, Config())
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    pipeline.build(replace(paths, out=tmp_path / "two"), Config())
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_results_are_the_same_with_the_monte_carlo_runs_in_a_child(monkeypatch):
    dataset, _ = load_dataset(REPO / "indicators", store=None)
    children = children_started(monkeypatch)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    two = pipeline.compute_results(dataset)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    one = pipeline.compute_results(dataset)
    assert len(children) == 2 and children[0] != 0 and children[1] == 0  # a child, then none
    assert two == one
    assert two.intervals and all(two.pillar_intervals.values())  # something was compared


@pytest.mark.skipif(
    not hasattr(os, "fork") or parallel._processors() < 2,
    reason="on one processor the Monte Carlo runs are the build's own",
)
def test_a_cold_build_imports_numpy_only_in_its_second_process(tmp_path):
    """Reading back what the child computed must not import numpy here (reading back a
    sensitivity.Intervals did: ~40 ms)."""
    status, loaded = modules_a_build_loads(tmp_path / "site", tmp_path / "cache", ("numpy",))
    assert (status, loaded) == (0, [])


def test_a_build_loads_no_package_metadata_and_no_tools_of_other_commands(tmp_path):
    """Markdown's extensions named as text were looked up among the installed packages'
    entry points (importlib.metadata: ~25 ms in each process converting a document);
    tarfile (`diff`) and ctypes (the site's exchange, at its end) load only when used."""
    heavy = ("importlib.metadata", "tarfile", "ctypes")
    assert modules_a_build_loads(tmp_path / "site", tmp_path / "cache", heavy) == (0, [])


def shared_in_halves(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """parallel.fork_sharing with a fixed share instead of a queue: the child takes the
    second half of the items, this process the first, so that a test knows which process
    checks which file. Returns what each child sent back, as it is appended."""
    sent: list[Any] = []

    def halves(items: Any, work: Any, there: Any, here: Any) -> tuple[Any, list[Any]]:
        half = len(items) // 2
        mine: list[Any] = []
        here()
        first, theirs = parallel.fork_while(
            lambda: (there(), [work(item) for item in items[half:]]),
            lambda: mine.extend(work(item) for item in items[:half]),
        )
        sent.append(theirs)
        return first, mine + theirs

    monkeypatch.setattr(parallel, "fork_sharing", halves)
    return sent


def test_country_files_are_checked_the_same_in_two_processes(tmp_path, monkeypatch):
    data = generate.generate(tmp_path / "data", 2 * validate.FORK_AT, seed=3)
    files = sorted((data / "countries").glob("*.yaml"))
    for broken in (files[1], files[-2]):  # one file for each process
        text = broken.read_text(encoding="utf-8")
        broken.write_text(text.replace("year: 2023", "year: 2099", 1), encoding="utf-8")
    sent = shared_in_halves(monkeypatch)
    two = problems_of(data)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    one = problems_of(data)
    assert len(sent) == 2  # the second time, `there` ran here
    assert two == one
    assert [line.split(": ")[0] for line in one] == [
        f"{files[1]}:{line_of(files[1], 'year: 2099')}:11",
        f"{files[-2]}:{line_of(files[-2], 'year: 2099')}:11",
    ]


def test_country_files_are_shared_from_a_queue_once_enough_need_checking(tmp_path, monkeypatch):
    """Keys are made in file order until FORK_AT files need checking; from there the files
    go to a queue both processes take from, while this process first does `meanwhile` and
    reads the outcomes found in the cache before. With all in the cache, no child."""
    data = generate.generate(tmp_path / "data", 3 * validate.FORK_AT, seed=8)
    files = sorted((data / "countries").glob("*.yaml"))
    store = validate.Store(tmp_path / "cache")
    load_dataset(data, store=store)  # every file in the cache
    edited = files[5 : 5 + validate.FORK_AT]  # FORK_AT of them edited
    for path in edited:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("seeded'", "seeded, edited'", 1), encoding="utf-8")
    queued: list[list[Path]] = []
    real = parallel.fork_sharing

    def recorded(items: Any, *rest: Any) -> Any:
        queued.append(list(items))
        return real(items, *rest)

    monkeypatch.setattr(parallel, "fork_sharing", recorded)
    done: list[str] = []
    dataset, warnings = load_dataset(data, store=store, meanwhile=lambda: done.append("meanwhile"))
    assert queued == [edited + files[5 + validate.FORK_AT :]]
    assert done == (["meanwhile"] if parallel.can_fork() else [])
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert repr((dataset, warnings)) == repr(load_dataset(data, store=None))
    queued.clear()
    load_dataset(data, store=store, meanwhile=lambda: done.append("again"))
    assert queued == [] and done.count("again") == 0  # all in the cache: nothing to share


def problems_of(data: Path, store: validate.Store | None = None) -> list[str]:
    from scorecard.errors import ScorecardError

    with pytest.raises(ScorecardError) as caught:
        load_dataset(data, store=store)
    return [p.format() for p in caught.value.problems]


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_a_valid_data_set_is_the_same_from_either_process(tmp_path, monkeypatch):
    data = generate.generate(tmp_path / "data", validate.FORK_AT + 3, seed=4)
    with (data / "sources.yaml").open("a", encoding="utf-8") as file:  # cited by no country
        file.write("spare:\n  producer: X\n  title: Y\n  url: https://example.org/y\n")
    dataset, warnings = load_dataset(data, store=None)
    assert [w.format().split("\n")[0] for w in warnings] == [
        f"{data / 'sources.yaml'}:{line_of(data / 'sources.yaml', 'spare:')}:1: warning: spare: "
        "source 'spare' is not cited by any value"
    ]
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert repr(load_dataset(data, store=None)) == repr((dataset, warnings))


def test_the_childs_stored_outcomes_come_back_through_the_cache(tmp_path, monkeypatch):
    """The child sends None for each file whose outcome it stored (read back from the
    cache here) and the outcome itself for the others: a file with errors is never stored."""
    data = generate.generate(tmp_path / "data", 2 * validate.FORK_AT, seed=5)
    files = sorted((data / "countries").glob("*.yaml"))
    broken = files[-1]  # the child's half
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("year: 2023", "year: 2099", 1),
        encoding="utf-8",
    )
    sent = shared_in_halves(monkeypatch)
    store = validate.Store(tmp_path / "cache")
    two = problems_of(data, store)
    assert len(sent) == 1 and len(sent[0]) == len(files) // 2
    keys = [key for key, _ in sent[0]]
    assert all(keys) and len(set(keys)) == len(keys)  # the child made them
    outcomes = [outcome for _, outcome in sent[0]]
    if parallel.can_fork():  # else `there` ran here, with the same outcome
        assert [o is None for o in outcomes] == [True] * (len(files) // 2 - 1) + [False]
    assert outcomes[-1][2] is None  # the broken file's outcome: problems, no Country
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert two == problems_of(data, None)


def test_without_a_child_no_outcome_is_read_back_from_the_cache(tmp_path, monkeypatch):
    """Where there is no second process (one processor, Windows, threads), the half meant
    for the child is checked here: its outcomes are kept as made, not stored and read back."""
    data = generate.generate(tmp_path / "data", 2 * validate.FORK_AT, seed=7)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    store = validate.Store(tmp_path / "cache")
    read: list[str] = []  # the entries found
    real_get = validate.Store.get

    def get(self: validate.Store, key: str, *arguments: Any) -> Any:
        found = real_get(self, key, *arguments)
        if found is not None:
            read.append(key)
        return found

    monkeypatch.setattr(validate.Store, "get", get)
    dataset, warnings = load_dataset(data, store=store)
    stored = len(list(store.folder.iterdir()))  # every file's, and the shared files' (one)
    assert read == [] and stored == 2 * validate.FORK_AT + 1
    assert repr((dataset, warnings)) == repr(load_dataset(data, store=None))


def test_an_outcome_unreadable_when_read_back_is_checked_again(tmp_path, monkeypatch):
    data = generate.generate(tmp_path / "data", 2 * validate.FORK_AT, seed=6)
    store = validate.Store(tmp_path / "cache")
    real_fork = parallel.fork_while

    def spoiled(*arguments: Any) -> Any:  # every stored outcome spoiled before it is read
        made = real_fork(*arguments)
        for entry in store.folder.iterdir():
            entry.write_bytes(b"not a pickle")
        return made

    monkeypatch.setattr(parallel, "fork_while", spoiled)
    dataset, warnings = load_dataset(data, store=store)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert repr((dataset, warnings)) == repr(load_dataset(data, store=None))


def test_ranking_keeps_every_other_field(tmp_path):
    values = {f.name: f"value-{n}" for n, f in enumerate(fields(compute.PillarScore))}
    pillar = compute.PillarScore(**values)
    assert pillar.ranked(7) == replace(pillar, rank=7)
    dataset, _ = load_dataset(REPO / "indicators")
    framework = dataset.framework
    unranked = [compute.score_country(c, framework, "arithmetic") for c in dataset.countries]
    ranked = compute.rank_scores(framework, unranked)
    for after, before in zip(ranked, unranked, strict=True):
        assert after.rank is not None or after.composite is None
        assert after == replace(
            before,
            rank=after.rank,
            pillars={k: replace(p, rank=after.pillars[k].rank) for k, p in before.pillars.items()},
        )


def test_a_countrys_data_years_give_its_data_as_of_any_year():
    dataset, _ = load_dataset(REPO / "indicators")
    for country in dataset.countries:
        years = compute.data_years_of(country)
        for year in range(years[0] - 2, years[-1] + 2):
            before = [y for y in years if y <= year]
            assert compute.data_as_of(country, year) == (before[-1] if before else None)


TRANSLATED = [
    "{{ _('Plain & <b>') }}|{{ _('Plain & <b>') }}",
    "{% trans name=x %}Hello {{ name }}, 100%{% endtrans %}",
    "{% trans name=x, n=3 %}{{ n }} of {{ name }}{% endtrans %}",
    "{% trans name=x %}{{ name }} and {{ name }}{% endtrans %}",
    "{% trans %}<b>{{ x }}</b> 50%{% endtrans %}",
    "{% for i in range(2) %}{% trans n=i, name=x %}{{ name }}: {{ n }}{% endtrans %}{% endfor %}",
    "{% autoescape false %}{% trans name=x %}<i>{{ name }}</i>{% endtrans %}{% endautoescape %}",
    "{% trans name=x %}Hello {{ name }} again!{% endtrans %}",
    "{{ _('%(n)d items of %(x)s', n=3, x=x) }}",
    "{{ _('100%% sure') }} {{ gettext('a %(x)s', x=x) }}",
    "{% autoescape false %}{{ _('a %(x)s', x=x) }} {{ _('<i>') }}{% endautoescape %}",
]


# Fixed messages, which _CompiledTranslations translates when compiling the template.
FIXED = [
    "{{ _('Plain & <b>') }}|{{ gettext('Plain & <b>') }}|{{ _('Plain & <b>') | upper }}",
    "{% trans %}Block & <b> 100%{% endtrans %}",
    "{{ _('100%% sure') }} {{ _('a %s') }} {{ _('%%(x)s') }}",
    "{% set t = _('<i>') %}{{ t }} {{ t ~ x }} {{ (_('<i>') ~ x) | length }}",
    "{% macro m(v) %}[{{ v }}]{% endmacro %}{{ m(_('<i>')) }}",
    "{{ _('<i>') | e }} {% autoescape false %}{{ _('<i>') | e }}{% endautoescape %}",
    "{% macro m(v) %}{{ v }}{% endmacro %}{% autoescape false %}{{ m(_('<i>')) }}"
    "{% endautoescape %}",
    "{% autoescape false %}{{ _('<i>') }} {% trans %}<b>{% endtrans %}{% endautoescape %}",
    "{{ x.gettext('y') if x is mapping else '' }} {{ _('Rank') ~ ' ' ~ x }}",
]


class Translated(gettext.NullTranslations):
    """A catalogue that changes every message, counting the lookups."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def gettext(self, message: str) -> str:
        self.lookups += 1
        return f"«{message}» <tr>"


class Reordered(gettext.NullTranslations):
    """A catalogue whose translations put the words in the reverse order (placeholders
    included) and leave out the placeholders of messages that end with "!" (a translation
    may put its values in another order, or leave one out)."""

    def gettext(self, message: str) -> str:
        words = message.split(" ")
        if message.endswith("!"):
            words = [w for w in words if "%(" not in w]
        return " ".join(reversed(words))


def _environment(source: str, extension: Any, autoescape: Any = True) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader({"t.txt": source}),
        autoescape=autoescape,
        extensions=[extension],
    )


@pytest.mark.parametrize("source", TRANSLATED + FIXED)
@pytest.mark.parametrize("value", ["<script>&'\"", Markup("<b>ok</b>"), 5, None, "100%"])
@pytest.mark.parametrize("catalogue", [gettext.NullTranslations, Translated, Reordered])
@pytest.mark.parametrize(
    "autoescape", [True, False, jinja2.select_autoescape(["html"])], ids=["on", "off", "by-name"]
)
def test_translations_render_as_jinjas_own(source, value, catalogue, autoescape):
    jinjas = _environment(source, "jinja2.ext.i18n", autoescape)
    jinjas.install_gettext_translations(catalogue(), newstyle=True)
    expected = jinjas.get_template("t.txt").render(x=value)
    for extension in ("jinja2.ext.i18n", site._CompiledTranslations):
        ours = _environment(source, extension, autoescape)
        site._install_gettext(ours, catalogue())
        assert ours.get_template("t.txt").render(x=value) == expected
        assert ours.get_template("t.txt").render(x=value) == expected  # memoized the 2nd time


def test_block_messages_are_translated_once_when_compiled():
    catalogue = Translated()
    env = _environment(
        "{% for i in range(3) %}{{ _('Rank') }} {% trans %}Median{% endtrans %} "
        "{% trans n=i %}{{ n }} of{% endtrans %}|{% endfor %}",
        site._CompiledTranslations,
    )
    site._install_gettext(env, catalogue)
    template = env.get_template("t.txt")
    assert catalogue.lookups == 3  # Rank, Median and "%(n)s of", when compiling
    assert template.render() == (
        "«Rank» <tr> «Median» <tr> «0 of» <tr>|"
        "«Rank» <tr> «Median» <tr> «1 of» <tr>|"
        "«Rank» <tr> «Median» <tr> «2 of» <tr>|"
    )
    assert catalogue.lookups == 3  # none when rendering


def test_a_message_that_cannot_be_formatted_fails_when_rendered_as_with_jinjas_own():
    for extension in ("jinja2.ext.i18n", site._CompiledTranslations):
        env = _environment("{{ _('%(n)s items') }} {{ _('%d') }}", extension)
        site._install_gettext(env, gettext.NullTranslations())
        template = env.get_template("t.txt")  # compiles: the failure is the render's
        with pytest.raises(KeyError, match="'n'"):
            template.render()


def test_the_collector_is_paused_for_a_build_and_restored_after_it():
    assert gc.isenabled()
    with pipeline.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), pipeline.collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with pipeline.collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_check_loads_only_what_validation_needs(tmp_path):
    """`check` is what contributors and CI run most: no numpy, no templates, and no
    jsonschema while the files are valid; no pycountry (its ISO table is read directly) and
    no babel (translations), cold or from the cache."""
    code = (
        "import sys\n"
        "from scorecard.cli import main\n"
        "status = main(['check'])\n"
        "heavy = ('numpy', 'jinja2', 'jsonschema', 'pycountry', 'babel', 'tarfile')\n"
        "print(status, sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "SCORECARD_CACHE_DIR": str(tmp_path)}
    outputs = []
    for _ in range(2):  # the first fills the cache, the second reads it
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.splitlines()[-1])
    assert outputs == ["0 []", "0 []"]


def test_kept_unranked_scores_are_reused_only_for_unchanged_files(tmp_path, monkeypatch):
    data = generate.generate(tmp_path / "data", 6, seed=5)
    paths = pipeline.Paths.for_project(REPO, data, tmp_path / "site")
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))
    scored: list[str] = []
    real = pipeline.score_country
    monkeypatch.setattr(
        pipeline, "score_country", lambda c, *a: scored.append(c.iso3) or real(c, *a)
    )
    kept = pipeline.Kept()
    first = pipeline.compute(paths, kept=kept)
    assert first.computed.scores  # computed when first read
    everyone = sorted(set(scored))
    assert len(everyone) == 6 and len(kept.unranked) == len(scored)
    edited = sorted((data / "countries").glob("*.yaml"))[2]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(re.sub(r"value: (\d+)", r"value: 1\1", text, count=1), encoding="utf-8")
    scored.clear()
    second = pipeline.compute(paths, kept=kept)
    assert second.computed.scores
    assert set(scored) == {edited.stem}
    assert {key for key, _ in kept.unranked} == set(second.dataset.country_keys.values())
    scratch = pipeline.compute_results(second.dataset)
    assert second.computed == scratch  # scores, ranks, editions, lens and intervals
    before, after = first.dataset.country_keys, second.dataset.country_keys
    assert [iso for iso in everyone if before[iso] != after[iso]] == [edited.stem]


def test_kept_rankings_are_made_again_only_for_the_years_an_edit_changed(tmp_path, monkeypatch):
    data = generate.generate(tmp_path / "data", 8, seed=5)
    paths = pipeline.Paths.for_project(REPO, data, tmp_path / "site")
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))
    kept = pipeline.Kept()
    first = pipeline.compute(paths, kept=kept)
    assert len(first.editions) >= 3
    ranked: list[bool] = []  # with indicator scores: the current ranking; else an edition's
    real = pipeline.rank_scores
    monkeypatch.setattr(
        pipeline, "rank_scores", lambda *a, **k: ranked.append(k["indicators"]) or real(*a, **k)
    )
    edited = run.edit_value(data)  # the latest internet_users value of the first country
    year = max(o.year for o in first.dataset.country(edited.stem).indicators["internet_users"])
    second = pipeline.compute(paths, kept=kept).computed
    assert ranked == [True] + [False] * sum(y >= year for y in second.editions)
    assert year > min(second.editions)  # the earlier editions were kept
    ranked.clear()
    assert pipeline.compute(paths, kept=kept).computed == second
    assert ranked == []  # nothing changed: nothing ranked
    dataset, _ = load_dataset(data, store=None, country_codes=generate.accepted_codes())
    assert second == pipeline.compute_results(dataset)


def test_kept_results_equal_fresh_ones_over_a_sequence_of_edits(tmp_path, monkeypatch):
    """serve's computations, each from what the one before kept (scores, lens, rankings,
    Monte Carlo ranks), against computations from scratch, over edits of every kind: a
    value of the latest or an earlier year, a value that moves a min–max range, an
    observation removed, a country file removed and put back, a framework weight."""
    data = generate.generate(tmp_path / "data", 12, seed=9)
    paths = pipeline.Paths.for_project(REPO, data, tmp_path / "site")
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))
    files = sorted((data / "countries").glob("*.yaml"))
    rng = random.Random(4)

    def value_edit(scale: float) -> None:
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8")
        found = re.search(r"(  internet_users:\n(?:    .*\n|  - .*\n)*)", text)
        assert found is not None
        values = list(re.finditer(r"- value: ([0-9.]+)\n", found.group(1)))
        pick = rng.choice(values)  # the latest year's, or an earlier one's
        new = min(100.0, round(float(pick.group(1)) * scale, 2))
        start = found.start(1) + pick.start(1)
        path.write_text(text[:start] + str(new) + text[found.start(1) + pick.end(1) :], "utf-8")

    def remove_observation() -> None:
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8")
        block = re.search(r"  developers:\n((?:  - .*\n(?:    .*\n)*)+)", text)
        assert block is not None
        entries = re.findall(r"  - .*\n(?:    .*\n)*", block.group(1))
        if len(entries) > 1:
            path.write_text(text.replace(entries[0], "", 1), encoding="utf-8")

    def remove_and_restore() -> None:
        path = rng.choice(files)
        saved = path.read_bytes()
        path.unlink()
        check(kept)
        path.write_bytes(saved)

    def reweigh() -> None:
        framework = data / "framework.yaml"
        text = framework.read_text(encoding="utf-8")
        framework.write_text(text.replace("  weight: 1\n", "  weight: 2\n", 1), encoding="utf-8")

    def check(kept: pipeline.Kept) -> None:
        made = pipeline.compute(paths, kept=kept).computed
        dataset, _ = load_dataset(data, store=None, country_codes=generate.accepted_codes())
        assert made == pipeline.compute_results(dataset)

    kept = pipeline.Kept()
    check(kept)
    edits = [lambda: value_edit(1.01), lambda: value_edit(0.5), lambda: value_edit(3.0)]
    edits += [remove_observation, remove_and_restore]
    for step in [*(rng.choice(edits) for _ in range(8)), reweigh, lambda: value_edit(1.1)]:
        step()
        check(kept)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_numpy_runs_one_thread_unless_the_environment_says_otherwise():
    """A build keeps both processors busy with two processes; OpenBLAS's worker thread in
    the Monte Carlo child only competed with the other process."""
    probe = (
        "import os, scorecard.sensitivity;"
        "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    seen = []
    for setting in (None, "2"):
        if setting is not None:
            env["OPENBLAS_NUM_THREADS"] = setting
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        seen.append(done.stdout.split())
    assert seen[0] == ["1", "1"]  # no thread but the main one
    assert seen[1][0] == "2"  # a setting of the environment is kept
