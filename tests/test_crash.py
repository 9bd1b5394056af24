"""Killing the build (SIGKILL) at any moment leaves the complete old site or the complete new one.

The build writes the new site into a temporary folder beside the output folder and swaps it in
at the end (renameat2 RENAME_EXCHANGE, or two renames where that is missing). These tests run
`build.py` in a subprocess over an existing site and kill it after a random delay drawn from a
seeded generator across the whole run, then compare the output folder with two reference builds
byte for byte; and they check that the temporary folders of killed builds do not pile up.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import FIXTURE, REPO, edit

# Each run is a whole build (~2 s, most of it starting Python and compiling templates); the
# kill times are spread evenly over [0, 1.1 x its duration], one in each slice, in random order.
ITERATIONS = 10

# build.py, optionally without the atomic exchange and with a SIGKILL at a chosen point.
RUNNER = """
import os, signal, sys
from scorecard import write
from scorecard.cli import main

mode, argv = sys.argv[1], sys.argv[2:]
if mode != "exchange":
    write._exchange = lambda a, b: False
if mode == "kill-between-renames":
    rename = os.rename

    def rename_then_die(src, dst):
        rename(src, dst)
        if os.path.basename(dst) == write.OLD_SITE:
            os.kill(os.getpid(), signal.SIGKILL)

    write.os.rename = rename_then_die
if mode == "kill-after-cleanup":
    remove_stale = write.remove_stale

    def remove_stale_then_die(out):
        remove_stale(out)
        os.kill(os.getpid(), signal.SIGKILL)

    write.remove_stale = remove_stale_then_die
sys.exit(main(argv, project=__import__("pathlib").Path(os.getcwd())))
"""


def command(mode: str, data: Path, out: Path) -> list[str]:
    argv = ["build", "--data", str(data), "--out", str(out), "--quiet"]
    return [sys.executable, "-c", RUNNER, mode, *argv]


def digest(folder: Path) -> str | None:
    """One hash of every file's path and bytes; None when the folder is absent."""
    if not folder.exists():
        return None
    total = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        total.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name)


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two data folders whose sites differ (one value changed), and their reference builds."""
    root = tmp_path_factory.mktemp("versions")
    folders = {}
    for name, value in (("old", "90"), ("new", "80")):
        data = root / name / "indicators"
        shutil.copytree(FIXTURE, data)
        edit(data / "countries/FRA.yaml", "value: 90\n", f"value: {value}\n")
        folders[name] = data
        started = time.perf_counter()
        subprocess.run(command("exchange", data, root / name / "site"), cwd=REPO, check=True)
        DURATION.append(time.perf_counter() - started)
    return folders


DURATION: list[float] = []  # of the reference builds


def install(versions: dict[str, Path], name: str, out: Path) -> None:
    """Put a copy of a reference site at `out`, as if built there."""
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(versions[name].parent / "site", out)


def reference(versions: dict[str, Path], name: str) -> str:
    found = digest(versions[name].parent / "site")
    assert found
    return found


def wait_for_writing(parent: Path, process: subprocess.Popen, limit: float) -> None:
    """Return as soon as a build's temporary folder appears in `parent` (or the build ends)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline and process.poll() is None:
        if any(".tmp-" in name and not name.endswith(".lock") for name in os.listdir(parent)):
            return
        time.sleep(0.0005)


def test_killed_at_random_moments_the_site_is_old_or_new(versions, tmp_path):
    expected = {reference(versions, "old"): "old", reference(versions, "new"): "new"}
    assert len(expected) == 2, "the two versions must give different sites"
    out = tmp_path / "www" / "site"
    install(versions, "new", out)
    duration = max(DURATION)
    rng = random.Random(6)
    # Even runs: killed anywhere in [0, 1.1 x the duration], one slice of it each, in random
    # order. Odd runs: killed while writing, a random moment after the temporary folder appears
    # (writing takes a few hundredths of a second of the two: random timing alone rarely hits).
    slices = list(range(ITERATIONS // 2))
    rng.shuffle(slices)
    current, killed = "new", 0
    for iteration in range(ITERATIONS):
        target = "old" if current == "new" else "new"
        process = subprocess.Popen(command("exchange", versions[target], out), cwd=REPO)
        if iteration % 2:
            wait_for_writing(out.parent, process, 3 * duration)
            delay = rng.uniform(0, 0.03)
        else:
            slice_ = slices[iteration // 2]
            delay = rng.uniform(slice_, slice_ + 1) * 1.1 * duration / len(slices)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        found = digest(out)
        assert found in expected, f"run {iteration} killed after {delay:.3f} s: a mixed site"
        current = expected[found]
        assert len(leftovers(out.parent)) <= 2, leftovers(out.parent)  # cleaned at each start
    assert killed >= ITERATIONS // 2, "most runs finished before their kill"
    subprocess.run(command("exchange", versions["old"], out), cwd=REPO, check=True)
    assert digest(out) == reference(versions, "old")
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]  # no leftovers


def test_a_swap_killed_between_its_two_renames_loses_nothing(versions, tmp_path):
    out = tmp_path / "site"
    install(versions, "old", out)
    killed = subprocess.run(command("kill-between-renames", versions["new"], out), cwd=REPO)
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()  # the moment the two-rename swap cannot avoid
    # The next build puts the old site back before anything else: killed right there, the
    # old site is in place (before, it deleted the old site as a stale temporary folder).
    killed = subprocess.run(command("kill-after-cleanup", versions["new"], out), cwd=REPO)
    assert killed.returncode == -signal.SIGKILL
    assert digest(out) == reference(versions, "old")
    subprocess.run(command("renames", versions["new"], out), cwd=REPO, check=True)
    assert digest(out) == reference(versions, "new")
    assert leftovers(tmp_path) == []
