"""Shared fixtures: copies of the small data folder in tmp_path, and helpers to edit them.

Tests never write to the working tree: every fixture that builds or edits data does it in
pytest's tmp_path, and Hypothesis keeps no example database (see the profile below).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from scorecard.errors import ScorecardError
from scorecard.model import Dataset, Observation
from scorecard.validate import load_dataset

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "small"
# A fixed "today" for validation, so that date checks do not change with the calendar.
TODAY = date(2025, 6, 1)

# No deadline (that would be a wall-clock assertion) and no database in the working tree;
# Hypothesis's other caches (Unicode tables, constants) go to a temporary folder too. In CI
# (.ci/run sets SCORECARD_DERANDOMIZE) the examples are the same on every run, so that a
# change is judged on its own; elsewhere each run tries new ones, to find what CI would not.
settings.register_profile(
    "scorecard",
    deadline=None,
    database=None,
    print_blob=True,
    derandomize=bool(os.environ.get("SCORECARD_DERANDOMIZE")),
)
settings.load_profile("scorecard")
_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)
# The validation cache (scorecard/cache.py) lives in a temporary folder as well, inherited
# by the builds tests run in subprocesses.
_CACHE_HOME = tempfile.TemporaryDirectory(prefix="scorecard-cache-")
os.environ["SCORECARD_CACHE_DIR"] = _CACHE_HOME.name


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as on a terminal even in GitHub Actions, where problems also print annotations."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the small fixture at tmp_path/indicators, run from tmp_path.

    Running from tmp_path makes messages name files as a contributor sees them:
    ``indicators/countries/FRA.yaml``.
    """
    root = tmp_path / "indicators"
    shutil.copytree(FIXTURE, root)
    monkeypatch.chdir(tmp_path)
    return root


def small_project(root: Path) -> Path:
    """A throw-away project at `root`: the small data as indicators/, the real templates
    and assets (linked) and pyproject.toml."""
    shutil.copytree(FIXTURE, root / "indicators")
    for name in ("templates", "static", "locales"):
        if (REPO / name).is_dir():
            (root / name).symlink_to(REPO / name, target_is_directory=True)
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """small_project at tmp_path/project, run from there."""
    root = small_project(tmp_path / "project")
    monkeypatch.chdir(root)
    return root


@pytest.fixture(scope="session")
def small() -> Dataset:
    """The small fixture, validated (read-only: tests derive changed copies from it)."""
    dataset, warnings = load_dataset(FIXTURE, today=TODAY)
    assert warnings == []
    return dataset


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in the file at `path` by `new`."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems(root: Path, today: date = TODAY) -> list[str]:
    """Every problem `load_dataset` reports for `root`, formatted; [] when it is clean."""
    try:
        _, warnings = load_dataset(root, today=today)
    except ScorecardError as exc:
        return [p.format() for p in exc.problems]
    return [w.format() for w in warnings]


def modules_a_build_loads(
    out: Path, cache: Path, modules: tuple[str, ...]
) -> tuple[int, list[str]]:
    """`python build.py --out OUT` in a new interpreter with the cache at `cache`: its exit
    status and which of `modules` it imported. (build.py's main, as build.py calls it but
    returning: build.py itself ends the process as soon as the build is done.)"""
    probe = (
        "import sys; from pathlib import Path; from scorecard.cli import main;"
        "code = main(['--out', sys.argv[1]], project=Path.cwd());"
        f"print(code, *sorted(m for m in {modules!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(out)],
        cwd=REPO,
        env={**os.environ, "SCORECARD_CACHE_DIR": str(cache)},
        check=True,
        capture_output=True,
        text=True,
    )
    status, *loaded = done.stdout.splitlines()[-1].split()
    return int(status), loaded


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative POSIX path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def with_observation(dataset: Dataset, iso3: str, indicator: str, **fields: object) -> Dataset:
    """`dataset` with `iso3`'s only observation of `indicator` made of `fields` (default 2024)."""
    country = dataset.country(iso3)
    source = next(iter(dataset.sources.values()))
    observation = Observation(**{"year": 2024, "source": source, **fields})  # type: ignore[arg-type]
    indicators = {**country.indicators, indicator: (observation,)}
    changed = replace(country, indicators=indicators)
    return replace(
        dataset, countries=tuple(changed if c.iso3 == iso3 else c for c in dataset.countries)
    )


def without(dataset: Dataset, iso3: str, indicator: str) -> Dataset:
    """`dataset` with no observation of `indicator` for `iso3`."""
    country = dataset.country(iso3)
    indicators = {k: v for k, v in country.indicators.items() if k != indicator}
    changed = replace(country, indicators=indicators)
    return replace(
        dataset, countries=tuple(changed if c.iso3 == iso3 else c for c in dataset.countries)
    )


# Edits to the small fixture: a value, a year, a weight, a country's name, a source's title
# (some make it invalid: a year that repeats another, a weight of zero).
SITE_EDITS = st.tuples(
    st.sampled_from(
        [
            ("indicators/countries/DEU.yaml", "value"),
            ("indicators/countries/FRA.yaml", "value"),
            ("indicators/countries/ITA.yaml", "value"),
            ("indicators/countries/FRA.yaml", "year"),
            ("indicators/countries/ITA.yaml", "name"),
            ("indicators/framework.yaml", "weight"),
            ("indicators/sources.yaml", "title"),
        ]
    ),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=99),
)


def edit_a_field(path: Path, field: str, which: int, number: int) -> None:
    """Give the `which`-th (modulo their count) `field:` line of `path` a new value made
    from `number`: a value of 0–99 (within every fixture indicator's bounds) or a year of
    2021–2024 (both under `indicators:`), a weight of 0–2, a name or a title."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("indicators:\n") if field in ("value", "year") else 0
    found = [n for n in range(start, len(lines)) if lines[n].lstrip(" -").startswith(f"{field}: ")]
    n = found[which % len(found)]
    new = {
        "value": number,
        "year": 2021 + number % 4,
        "weight": number % 3,
        "name": f"Country {number}",
        "title": f"Title {number}",
    }[field]
    indent = lines[n][: len(lines[n]) - len(lines[n].lstrip(" -"))]
    lines[n] = f"{indent}{field}: {new}\n"
    path.write_text("".join(lines), encoding="utf-8")
