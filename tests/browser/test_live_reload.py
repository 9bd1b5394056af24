"""`python build.py serve` in Chromium: an edit reloads the open page, a broken file shows a
banner over the last good page, and the page's own Content-Security-Policy is respected
(a blocked script or connection would be a console error)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import edit
from ..test_serve import QUOTED_PROBLEM, TIMEOUT, Live, copy_project

BANNER = "#scorecard-live-problems"


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    running = Live(root)
    yield running
    running.close()


def test_an_edit_reloads_the_page_and_a_mistake_shows_over_it(open_page, live):
    page, log = open_page(live.server.url + "countries/FRA/")
    failures: list[tuple[str, str]] = []
    page.on("requestfailed", lambda r: failures.append((r.url, r.failure or "")))
    wait = int(TIMEOUT * 1000)
    data = live.root / "indicators/countries/FRA.yaml"

    edit(data, "name: France", "name: République")
    page.wait_for_function("() => document.title.startsWith('République')", timeout=wait)

    edit(data, "value: 90\n", "value: '90'\n")
    banner = page.wait_for_selector(BANNER, timeout=wait)
    text = banner.inner_text()
    assert text.startswith("The last change broke the build.")
    assert QUOTED_PROBLEM.split("\n")[0] in text
    assert page.title().startswith("République")  # the last good page, still there

    edit(data, "value: '90'\n", "value: 90\n")
    page.wait_for_selector(BANNER, state="detached", timeout=wait)
    # A reload cancels what is still loading (always the event stream): aborted, not failed.
    assert {reason for _, reason in failures} <= {"net::ERR_ABORTED"}
    assert (log.outside, log.console_errors, log.page_errors) == ([], [], [])
