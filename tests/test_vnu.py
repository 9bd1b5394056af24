"""Every page passes the Nu HTML Checker (vnu) with no errors: the real site and the hostile one.

vnu comes from npm (tools/assets/package.json pins vnu-jar) and needs Java. The test is skipped
when either is missing, unless SCORECARD_REQUIRE_VNU is set (CI sets it; .ci/run installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scorecard import pipeline
from scorecard.config import Config

from .hostile_text import write_hostile_data

ROOT = Path(__file__).resolve().parents[1]
JAR = ROOT / "tools" / "assets" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")

if not (JAVA and JAR.is_file()) and not os.environ.get("SCORECARD_REQUIRE_VNU"):
    pytest.skip(
        "the Nu HTML Checker needs java and vnu-jar (apt-get install default-jre-headless; "
        "npm ci --prefix tools/assets)",
        allow_module_level=True,
    )


def vnu_errors(*folders: Path) -> list[str]:
    """vnu's errors for every HTML file under `folders`, as 'file:line: message'."""
    assert JAVA and JAR.is_file(), f"SCORECARD_REQUIRE_VNU is set but java or {JAR} is missing"
    result = subprocess.run(
        [JAVA, "-jar", str(JAR), "--skip-non-html", "--format", "json", *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stderr)
    errors = [
        f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}"
        for m in report["messages"]
        if m["type"] in ("error", "non-document-error")
    ]
    assert errors or result.returncode == 0, result.stderr[-2000:]
    return errors


def test_every_page_is_valid_html(tmp_path):
    real = tmp_path / "real"
    paths = pipeline.Paths.for_project(ROOT, out=real)
    config = Config(base_url="https://example.org/scorecard", repository="https://github.com/o/r")
    pipeline.build(paths, config)
    hostile = tmp_path / "hostile"
    write_hostile_data(tmp_path / "indicators")
    pipeline.build(
        pipeline.Paths.for_project(ROOT, data=tmp_path / "indicators", out=hostile), config
    )
    pages = len(list(real.rglob("*.html"))) + len(list(hostile.rglob("*.html")))
    assert pages > 50
    assert vnu_errors(real, hostile) == []


def test_the_checker_reports_errors(tmp_path):
    """The check is live: a page with a skipped heading level and a stray end tag fails."""
    (tmp_path / "bad.html").write_text(
        "<!doctype html><html lang=en><title>x</title><h1>a</h1><h3>b</h3></p>", encoding="utf-8"
    )
    errors = vnu_errors(tmp_path)
    assert any("skipping 1 heading level" in e for e in errors), errors
