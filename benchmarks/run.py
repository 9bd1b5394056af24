#!/usr/bin/env python3
"""Time the build on synthetic data sets and weigh the pages; print a table.

    python benchmarks/run.py [--sizes 50 200 1000] [--runs 5] [--skip-serve]

For each size N (data from benchmarks/generate.py, seed 1, written once to
benchmarks/out/data-N): every figure is the median and the min–max of `--runs` runs, each
a fresh process (`benchmarks/sitebuild.py`, i.e. `python build.py` with the synthetic
codes allowed):

- cold: a new, empty cache folder, no previous site and no compiled modules of the
  project (a fresh clone); the other runs keep the modules Python compiled (its default;
  this machine's environment sets PYTHONDONTWRITEBYTECODE, which the runs leave out).
  The earlier cold runs' sites and caches are set aside until the last cold run, not
  deleted just before each (see `measure`);
- warm: the same build again, the cache filled and the previous site in place (nothing
  changed, so nothing is rendered or written: see docs/performance.md);
- edited: a build after one value in one country file changed (a new value each run), in
  a new process, the cache filled: what a contributor runs after an edit;
- check: `check` with the cache filled;
- rebuild: what `serve` does after one country file changed: its Builder, in one process
  kept running, rebuilds after a value in one country file was edited (a new value each
  run, as for every edit here);
- serve: the same edit with `python build.py serve` running (N <= 249 only: serve checks
  ISO codes), from writing the file to the country's new page on disk (watching included;
  serve writes that page ahead of the rest of the site);
- serve, all: the same, until serve's status line says the whole site is written;
- peak memory: the largest resident set of the build's processes (cold run).

Then page weights for the 200-country site: every file a page loads (HTML, CSS, scripts,
icon), raw and gzip-compressed (level 6, what web servers commonly use).
The machine's load average is printed too: on a shared machine, figures vary with it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO))

from benchmarks import generate  # noqa: E402

PYTHON = sys.executable
PAGES = {"overview": "index.html", "country": "countries/KOR/index.html", "compare": "compare/"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-serve", action="store_true", help="no `serve` figure")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} processors, load {load_average()}")
    print(
        f"{'N':>5} | {'cold s':>17} | {'cold CPU s':>17} | {'warm s':>17} | {'edited s':>17} | "
        f"{'check s':>17} | {'rebuild s':>17} | {'serve s':>17} | {'serve, all s':>17} | peak MB"
    )
    for size in args.sizes:
        data = dataset(size)
        row = measure(size, data, args.runs, serve=not args.skip_serve and size <= 249)
        print(f"{size:>5} | " + " | ".join(row), flush=True)
    print(f"load after: {load_average()}")
    site = OUT / "site-200"
    if site.is_dir():
        print("\npage weights (200 countries), bytes: raw / gzip")
        for name, page in PAGES.items():
            raw, packed, files = weigh(site, page)
            print(
                f"  {name:<9} {raw:>10,} / {packed:>9,}  ({len(files)} files: "
                + ", ".join(files)
                + ")"
            )
    return 0


def dataset(size: int) -> Path:
    data = OUT / f"data-{size}"
    if not (data / "countries").is_dir():
        generate.generate(data, size)
    return data


def measure(size: int, data: Path, runs: int, serve: bool) -> list[str]:
    site = OUT / f"site-{size}"
    cold, processor, peaks = [], [], []
    # The earlier runs' sites and caches are set aside, and deleted only after the cold
    # runs: on this machine's file system (ext4 without a journal), creating files is
    # several times slower for a minute or more after thousands were deleted (ext4 skips
    # recently freed inodes, fs/ext4/ialloc.c), which a fresh clone does not meet.
    with tempfile.TemporaryDirectory(dir=OUT) as aside:
        for n in range(runs):
            if site.exists():
                site.rename(Path(aside) / f"site-{n}")
            empty = Path(aside) / f"cache-{n}"
            forget_bytecode()
            command = ["build", "--data", str(data), "--out", str(site)]
            seconds, peak, used = timed(command, str(empty))
            cold.append(seconds)
            processor.append(used)
            peaks.append(peak)
    with tempfile.TemporaryDirectory() as cache:
        build = ["build", "--data", str(data), "--out", str(site)]
        timed(build, cache)  # fills the cache
        warm = [timed(build, cache)[0] for _ in range(runs)]
        check = [timed(["check", "--data", str(data)], cache)[0] for _ in range(runs)]
        scratch = Path(cache) / "data"  # edited by the next three: keep the data set as made
        shutil.copytree(data, scratch)
        timed(["build", "--data", str(scratch), "--out", str(site)], cache)  # its own keys
        edited = []
        for _ in range(runs):  # a new value each time: never data seen before
            edit_value(scratch)
            edited.append(timed(["build", "--data", str(scratch), "--out", str(site)], cache)[0])
        rebuild = rebuilds(scratch, site, runs, cache)
        page, whole = served(scratch, site, runs, cache) if serve else ([], [])
    return [
        spread(cold),
        spread(processor),
        spread(warm),
        spread(edited),
        spread(check),
        spread(rebuild),
        spread(page),
        spread(whole),
        f"{max(peaks):.0f}",
    ]


def environment(cache: str) -> dict[str, str]:
    """The builds' environment: the cache folder, and Python's default of keeping compiled
    modules (this machine's environment turns it off; a user's does not)."""
    env = {**os.environ, "SCORECARD_CACHE_DIR": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def forget_bytecode() -> None:
    """Remove the project's compiled modules, as in a fresh clone (installed libraries keep
    theirs: pip compiles them when it installs them)."""
    for folder in ("scorecard", "benchmarks"):
        shutil.rmtree(REPO / folder / "__pycache__", ignore_errors=True)


def timed(
    arguments: list[str], cache: str, script: Path = REPO / "benchmarks" / "sitebuild.py"
) -> tuple[float, float, float]:
    """Seconds, peak resident megabytes and processor seconds (user and system, its
    children's included: the build waits for them) of one `sitebuild.py` run (or of
    another `script` taking its arguments)."""
    env = environment(cache)
    command = [PYTHON, str(script), *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # KB on Linux


def rebuilds(data: Path, site: Path, runs: int, cache: str) -> list[float]:
    """serve's Builder, kept in this process, rebuilding after each edit (as serve does)."""
    code = f"""
import sys, time
from functools import partial
from pathlib import Path
sys.path.insert(0, {str(REPO)!r})
from benchmarks import generate, run
from scorecard import pipeline, serve
from scorecard.config import load_config
pipeline.compute = partial(pipeline.compute, country_codes=generate.accepted_codes())
paths = pipeline.Paths.for_project(Path({str(REPO)!r}), Path({str(data)!r}), Path({str(site)!r}))
builder = serve.Builder(paths, load_config(paths.project_root))
assert builder.build().ok
for n in range({runs}):
    edited = run.edit_value(paths.data)
    started = time.perf_counter()
    outcome = builder.build({{edited}})
    assert outcome.ok, outcome.lines
    print(time.perf_counter() - started)
"""
    out = subprocess.run(
        [PYTHON, "-c", code], env=environment(cache), capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return [float(line) for line in out.stdout.split()]


def served(data: Path, site: Path, runs: int, cache: str) -> tuple[list[float], list[float]]:
    """From saving an edited country file to its new page on disk, and to the whole site
    written (serve's status line), with serve running."""
    env = environment(cache)
    port = free_port()
    command = [
        PYTHON,
        str(REPO / "build.py"),
        "serve",
        "--data",
        str(data),
        "--out",
        str(site),
        "--port",
        str(port),
    ]
    with running(command, env) as log:
        wait_for(lambda: "serving" in log.read_text(), 300)
        page = site / "countries" / edit_target(data).stem / "index.html"
        pages, wholes = [], []
        for n in range(runs):
            before = page.read_bytes()
            time.sleep(0.5)  # let the watcher settle
            edit_value(data)
            started = time.perf_counter()
            wait_for(partial(_changed, page, before), 60, step=0.002)
            pages.append(time.perf_counter() - started)
            # The rest of the site follows the page (serve writes it ahead); the status
            # line says the build has finished.
            wait_for(partial(_built, log, n + 2), 60, step=0.002)
            wholes.append(time.perf_counter() - started)
    return pages, wholes


def edit_target(data: Path) -> Path:
    return sorted((data / "countries").glob("*.yaml"))[0]


def edit_value(data: Path) -> Path:
    """Raise the latest internet_users value of the first country by 0.5.

    Every edit is a value the build has not seen: one seen before (an edit undone) would
    be answered by the caches (the file's validated outcome, the results), which is not
    what a contributor's new value costs."""
    path = edit_target(data)
    text = path.read_text(encoding="utf-8")
    start = text.index("  internet_users:\n")
    found = re.search(r"\n  [a-z_0-9]+:\n", text[start + 1 :])
    stop = start + 1 + found.start() if found else len(text)
    last = list(re.finditer(r"- value: ([0-9.]+)\n", text[start:stop]))[-1]  # latest year
    new = round(float(last.group(1)) + 0.5, 2)
    if new > 100:  # a share of the population
        raise SystemExit(f"{path}: internet_users would pass 100%; generate the data again")
    begin, end = start + last.start(1), start + last.end(1)
    path.write_text(text[:begin] + str(new) + text[end:], encoding="utf-8")
    return path


def weigh(site: Path, page: str) -> tuple[int, int, list[str]]:
    """Raw and gzip bytes of a page and every file it loads (scripts, styles, icon)."""
    path = site / page / "index.html" if page.endswith("/") else site / page
    html = path.read_text(encoding="utf-8")
    assets = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)
    files = [path] + [(path.parent / a).resolve() for a in assets if not a.startswith("http")]
    files = [f for f in dict.fromkeys(files) if f.is_file()]
    raw = sum(f.stat().st_size for f in files)
    packed = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
    return raw, packed, [f.name for f in files]


def spread(values: list[float]) -> str:
    if not values:
        return f"{'n/a':>17}"
    return f"{statistics.median(values):5.2f} ({min(values):.2f}–{max(values):.2f})"


def load_average() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[Path]:
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Path(log.name)
    finally:
        process.terminate()
        process.wait(10)
        os.unlink(log.name)


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        time.sleep(step)


def _built(log: Path, builds: int) -> bool:
    """Whether serve's log reports `builds` finished builds."""
    return log.read_text().count("built ") >= builds


def _changed(page: Path, before: bytes) -> bool:
    try:
        return page.read_bytes() != before
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
