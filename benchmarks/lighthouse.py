#!/usr/bin/env python3
"""Lighthouse (mobile preset) on the overview, a country page and the compare page.

    python benchmarks/lighthouse.py [SITE]        (default: site/, built by `python build.py`)

Needs Node 20 and Debian's Chromium (`apt-get install chromium`); installs Lighthouse 12.8.2
(13.x needs Node 22) with npm into benchmarks/out/node the first time. The site is served on
127.0.0.1 with gzip, as any web host serves it (GitHub Pages does); Lighthouse runs with
its default simulated mobile throttling. Prints each category's score and the page's
metrics, and keeps the JSON reports in benchmarks/out/lighthouse-*.json.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE = REPO / "benchmarks" / "out" / "node"
LIGHTHOUSE = NODE / "node_modules" / ".bin" / "lighthouse"
VERSION = "12.8.2"
PAGES = {"overview": "", "country": "countries/KOR/", "compare": "compare/"}
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)
COMPRESSED = (".html", ".js", ".css", ".json", ".svg", ".csv", ".txt", ".xml")


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed for clients that accept it."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        from io import BytesIO

        return BytesIO(body)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0]) if argv else REPO / "site"
    if not (site / "index.html").is_file():
        raise SystemExit(f"no site in {site}: run python build.py first")
    if not LIGHTHOUSE.exists():
        NODE.mkdir(parents=True, exist_ok=True)
        npm = ["npm", "install", "--prefix", str(NODE), "--no-audit", "--no-fund"]
        subprocess.run([*npm, f"lighthouse@{VERSION}"], check=True)
    handler = functools.partial(_GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for name, page in PAGES.items():
            print(_report(name, _run(base + page, name)))
    finally:
        server.shutdown()
    return 0


def _run(url: str, name: str) -> dict:
    out = REPO / "benchmarks" / "out" / f"lighthouse-{name}.json"
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium"}
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    subprocess.run(command, env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def _report(name: str, result: dict) -> str:
    scores = ", ".join(
        f"{c['title']} {round(c['score'] * 100)}" for c in result["categories"].values()
    )
    audits = result["audits"]
    metrics = ", ".join(f"{m} {audits[m]['displayValue']}" for m in METRICS)
    failed = [
        a["id"]
        for a in audits.values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    return f"{name}: {scores}\n  {metrics}\n  failing checks: {', '.join(failed) or 'none'}"


if __name__ == "__main__":
    sys.exit(main())
