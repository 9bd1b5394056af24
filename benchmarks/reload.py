#!/usr/bin/env python3
"""From saving a country file to the open page showing the change, with `serve` running.

    python benchmarks/reload.py [--data DIR] [--runs 10]

What a maintainer sees: `python build.py serve` on a copy of the data (default: the real
`indicators/`), Chromium (Debian's, through Playwright, as the browser tests use it) on
the first country's page. Each run renames the country in its file ("… (edit 3)"); the
clocks stop when the page on disk has the new name, and when the page's title in the
browser shows it: watching, the rebuild, the live-reload event and the browser's reload
all included. Prints the median and min–max of each, and the rebuild times `serve`
itself reports.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import free_port, load_average, running, spread, wait_for  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "indicators")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} processors, load {load_average()}")
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        shutil.copytree(args.data, data)
        target = sorted((data / "countries").glob("[A-Z][A-Z][A-Z].yaml"))[0]
        port = free_port()
        command = [
            sys.executable,
            str(REPO / "build.py"),
            "serve",
            "--data",
            str(data),
            "--out",
            str(Path(scratch) / "site"),
            "--port",
            str(port),
        ]
        env = {**os.environ, "SCORECARD_CACHE_DIR": str(Path(scratch) / "cache")}
        with running(command, env) as log, sync_playwright() as playwright:
            wait_for(lambda: "serving" in log.read_text(), 300)
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/countries/{target.stem}/")
            name = re.search(r"^name: (.+)$", target.read_text(encoding="utf-8"), re.M)
            assert name, f"{target}: no name line"
            original = name.group(1)
            html = Path(scratch) / "site" / "countries" / target.stem / "index.html"
            times: list[float] = []
            on_disk: list[float] = []
            for n in range(args.runs):
                new = f"{original} (edit {n + 1})"
                time.sleep(0.5)  # the page has settled, the watcher is idle
                text = target.read_text(encoding="utf-8")
                started = time.perf_counter()
                target.write_text(
                    re.sub(r"^name: .+$", f"name: {new}", text, count=1, flags=re.M),
                    encoding="utf-8",
                )
                wait_for(partial(_shows, html, new), 60, step=0.002)
                on_disk.append(time.perf_counter() - started)
                page.wait_for_function(
                    "name => document.title.startsWith(name + ' ')", arg=new, timeout=60_000
                )
                times.append(time.perf_counter() - started)
            browser.close()
            built = re.findall(r"built .*? in ([0-9.]+) s", log.read_text())
            rebuilt = [float(s) for s in built[1:]]  # the first is the initial build
    print(f"{len(times)} edits of {target.name}, seconds from saving to the new page:")
    print(f"  edit -> page on disk: {spread(on_disk)}")
    print(f"  edit -> page shown:   {spread(times)}")
    if rebuilt:
        print(f"  serve's rebuild:      {spread(rebuilt)}")
    print(f"load after: {load_average()}")
    return 0


def _shows(path: Path, text: str) -> bool:
    return text in _read(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:  # between the old site's removal and the new one's arrival
        return ""


if __name__ == "__main__":
    sys.exit(main())
