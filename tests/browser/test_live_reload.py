"""`python build.py serve` in Chromium: an edit reloads the open page, a broken file shows a
banner over the last good page, and the page's own Content-Security-Policy is respected
(a blocked script or connection would be a console error)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.write import Writer

from ..conftest import edit
from ..test_serve import QUOTED_PROBLEM, TIMEOUT, Live, copy_project, wait_until

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


def test_the_open_page_reloads_ahead_of_the_build_and_only_then(open_page, tmp_path, monkeypatch):
    """The open page is written ahead of the rest of the build and reloads then (the build
    is held before writing the site until the test lets it go); when the build is done,
    the page is already that build's and does not reload again. (Rebuilds the fixture's
    watcher probe caused may still reload the page before the edit: nothing here counts
    reloads.)"""
    gate = tmp_path / "hold"
    real_finish = Writer.finish

    def held_finish(writer: Writer, files: dict[str, object], keys: object = None) -> bool:
        """Hold the edit's build (not the watcher probe's) before it puts its site in place
        (in serve's build process; the edited page is made ahead, so it is bytes here)."""
        page = files.get("countries/FRA/index.html", b"")
        edited = isinstance(page, bytes) and "République".encode() in page
        deadline = time.monotonic() + TIMEOUT
        while edited and gate.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real_finish(writer, files, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(Writer, "finish", held_finish)
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    live = Live(root)
    try:
        page, log = open_page(live.server.url + "countries/FRA/")
        wait = int(TIMEOUT * 1000)

        def shown_build() -> str:
            return page.get_attribute("script[data-build]", "data-build") or ""

        gate.touch()
        edit(root / "indicators/countries/FRA.yaml", "name: France", "name: République")
        page.wait_for_function("() => document.title.startsWith('République')", timeout=wait)
        held = live.state()
        assert held["ahead"] == {"build": shown_build(), "pages": ["/countries/FRA/"]}
        assert "République" not in live.page("/")  # the rest of the site: not yet
        gate.unlink()

        def done() -> bool:  # the build is over, and the page shows it or its successor
            state = live.state()
            return state["ahead"] is None and state["build"] == shown_build()

        wait_until(done, "the build of the edit to finish")
        # Had the page reloaded when the build ended, it would show another build's id.
        assert shown_build() == held["ahead"]["build"]
        assert "République" in live.page("/")
        assert (log.outside, log.console_errors, log.page_errors) == ([], [], [])
    finally:
        gate.unlink(missing_ok=True)
        live.close()
