"""`python build.py serve`: build, serve on 127.0.0.1, watch, rebuild, tell the open page.

The server runs in threads of this process (one serving, one watching; the builds happen in
a child process it forks, on more than one processor) on a copy of the small fixture with
real copies of the templates and static files, so that tests can edit them. Waits poll with
a generous timeout and assert nothing about how long anything took.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard import cache, parallel, pipeline
from scorecard.cli import main
from scorecard.config import Config
from scorecard.serve import (
    LIVE_JS,
    Builder,
    DevServer,
    LiveState,
    Outcome,
    PagesAhead,
    inject,
    page_url,
    site_path,
)
from scorecard.write import MARKER, UnsafePathError, Writer

from .conftest import FIXTURE, REPO, SITE_EDITS, edit, edit_a_field, tree

TIMEOUT = 120.0  # seconds; generous, for a loaded machine: nothing asserts a duration
QUOTED_PROBLEM = (
    "indicators/countries/FRA.yaml:35:14: error: indicators.internet_users[0].value: "
    "expected a number, got text '90'\n"
    "    tip: write the number without quotes, thousands separators or %"
)


def wait_until(
    condition: Callable[[], Any], what: str, timeout: float = TIMEOUT, fail: bool = True
) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    if fail:
        pytest.fail(f"gave up waiting for {what}")
    return None


def copy_project(root: Path) -> Path:
    """The small fixture as indicators/, with copies (not links) of templates and static."""
    shutil.copytree(FIXTURE, root / "indicators")
    for name in ("templates", "static", "locales"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    return root


class Live:
    """A running dev server with its watcher, and ways to look at it."""

    def __init__(self, root: Path):
        self.root = root
        self.paths = pipeline.Paths.for_project(root)
        self.server = DevServer(self.paths, Config(), "127.0.0.1", 0)
        self.outcomes: list[Outcome] = []
        self.first = self.server.build()
        self.server.start()
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self.server.watch,
            args=(lambda outcome, _changed: self.outcomes.append(outcome),),
            kwargs={"stop": self.stop},
            daemon=True,
        )
        self.thread.start()
        self._until_watching()

    def _until_watching(self) -> None:
        """Touch a file the build skips until a rebuild shows that the watcher is running.

        Rebuilds of the probe may still be under way afterwards; tests therefore wait for
        what their own edit causes, never for "the next build".
        """
        probe = self.paths.data / "countries" / "_probe.yaml"
        deadline = time.monotonic() + TIMEOUT
        while not self.outcomes:
            if time.monotonic() > deadline:
                pytest.fail("the watcher never reported a change")
            probe.write_text(f"# {time.monotonic()}\n", encoding="utf-8")
            wait_until(lambda: self.outcomes, "a rebuild", timeout=2.0, fail=False)
        probe.unlink()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the watcher did not stop"
        self.server.close()

    @property
    def port(self) -> int:
        return int(self.server.url.rsplit(":", 1)[1].strip("/"))

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def state(self) -> dict[str, Any]:
        return json.loads(self.get("/__scorecard__/state")[2])

    def page(self, path: str) -> str:
        """The page as served, without the build id (which changes with every build)."""
        return re.sub(r'data-build="[^"]*"', "", self.get(path)[2].decode("utf-8"))

    def problems(self, expected: list[str]) -> dict[str, Any]:
        """Wait until the server reports exactly `expected` (e.g. [] once fixed)."""
        return wait_until(lambda: (s := self.state())["problems"] == expected and s, expected)


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    running = Live(root)
    yield running
    running.close()


# -- what the browser gets -----------------------------------------------------------------------


def test_pages_get_the_live_script_and_the_files_on_disk_do_not(live):
    status, headers, body = live.get("/countries/FRA/")
    page = body.decode("utf-8")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<script defer src="{LIVE_JS}" data-build="' in page
    assert "connect-src 'self'" in page and "connect-src 'none'" not in page
    on_disk = (live.root / "site/countries/FRA/index.html").read_text(encoding="utf-8")
    assert "connect-src 'self'" in on_disk and "__scorecard__" not in on_disk
    assert [p for p, data in tree(live.root / "site").items() if b"__scorecard__" in data] == []


def test_the_site_on_disk_is_a_normal_build(live, tmp_path, capsys):
    assert main(["build", "-q", "--out", str(tmp_path / "plain")], project=live.root) == 0
    assert tree(live.root / "site") == tree(tmp_path / "plain")


def test_the_script_redirects_and_other_files(live):
    status, headers, body = live.get(LIVE_JS)
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert b"new EventSource('/__scorecard__/events?page=' + " in body
    status, headers, _ = live.get("/countries/FRA")
    assert (status, headers["Location"]) == (301, "/countries/FRA/")
    status, _, body = live.get("/data/scores.json")
    assert status == 200 and body == (live.root / "site/data/scores.json").read_bytes()
    status, _, body = live.get("/no/such/page.html")
    assert status == 404 and LIVE_JS.encode() in body  # the site's 404 page, live too
    assert live.get("/__scorecard__/nothing")[0] == 404


def test_injection_keeps_the_rest_of_the_policy():
    html = (
        '<head><meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
        "script-src 'self'; connect-src 'none'; object-src 'none'\"></head><body></body>"
    )
    assert inject(html, "abc-1") == (
        '<head><meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
        "script-src 'self'; connect-src 'self'; object-src 'none'\">"
        '<script defer src="/__scorecard__/live.js" data-build="abc-1"></script>\n'
        "</head><body></body>"
    )


# -- rebuilding ----------------------------------------------------------------------------------


def test_an_edit_is_rebuilt_and_served(live):
    edit(live.root / "indicators/countries/FRA.yaml", "name: France", "name: République")
    wait_until(lambda: "République" in live.page("/countries/FRA/"), "the edit on the page")
    assert live.state()["problems"] == []
    on_disk = (live.root / "site/countries/FRA/index.html").read_text(encoding="utf-8")
    assert "République" in on_disk and "__scorecard__" not in on_disk


def test_a_data_error_keeps_the_last_good_site_and_shows_the_problem(live):
    edit(live.root / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    broken = live.problems([QUOTED_PROBLEM, "1 error and 0 warnings in 1 file (5 checked)"])
    assert not live.outcomes[-1].ok
    # The last good site stays, on disk and served; the page's script shows the problems.
    plain = tmp_build(live.root)
    assert tree(live.root / "site") == tree(plain)
    last_good = (live.root / "site/countries/FRA/index.html").read_text(encoding="utf-8")
    assert live.page("/countries/FRA/") == inject(last_good, "").replace(' data-build=""', " ")
    edit(live.root / "indicators/countries/FRA.yaml", "value: '90'\n", "value: 90\n")
    fixed = live.problems([])
    assert fixed["build"] != broken["build"]


def tmp_build(root: Path) -> Path:
    """The site that `build` makes from the data as it was before the break (git-free)."""
    good = root.parent / "good"
    shutil.copytree(root / "indicators", good / "indicators")
    edit(good / "indicators/countries/FRA.yaml", "value: '90'\n", "value: 90\n")
    out = root.parent / "good-site"
    assert (
        main(["build", "-q", "--data", str(good / "indicators"), "--out", str(out)], project=root)
        == 0
    )
    return out


def test_a_template_error_names_the_template_and_line(live):
    template = live.root / "templates/data.html"
    template.write_text("{% endif %}\n" + template.read_text(encoding="utf-8"), encoding="utf-8")
    live.problems(["templates/data.html:1: error: Encountered unknown tag 'endif'."])


def test_the_event_stream_tells_the_open_page(live):
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=TIMEOUT)
    connection.request("GET", "/__scorecard__/events?page=%2F")  # the overview is open
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"

    def event_until(condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read events until one satisfies `condition` (earlier rebuilds may come first)."""
        while True:
            line = response.fp.readline().decode("utf-8")
            assert line, "the event stream closed"
            if line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                if condition(event):
                    return event

    try:
        first = event_until(lambda e: True)  # the state at once, on connecting
        assert set(first) == {"build", "problems", "ahead"}
        assert wait_until(lambda: live.server.state.open_pages() == ["/"], "the open page")
        # The open page and the edited country's page are written ahead of the others.
        edit(live.root / "indicators/countries/FRA.yaml", "name: France", "name: République")
        ahead = event_until(lambda e: e["ahead"] is not None)
        assert ahead["ahead"]["pages"] == ["/", "/countries/FRA/"]
        assert ahead["build"] != ahead["ahead"]["build"]  # the site on disk: the build before
        built = event_until(lambda e: e["ahead"] is None)
        assert (built["build"], built["problems"]) == (ahead["ahead"]["build"], [])

        edit(live.root / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
        event_until(lambda e: e["problems"][:1] == [QUOTED_PROBLEM])
        edit(live.root / "indicators/countries/FRA.yaml", "value: '90'\n", "value: 90\n")
        fixed = event_until(lambda e: e["problems"] == [] and e["ahead"] is None)
        assert fixed["build"] not in (first["build"], built["build"])
    finally:
        connection.close()


# -- building, without a server ------------------------------------------------------------------


def test_a_rebuild_after_an_edit_is_a_normal_build_of_the_edited_data(tmp_path, monkeypatch):
    """The unchanged countries' scores are kept from the build before (made from an earlier
    reading of their files): values.csv once lost their scores, matching observations by
    identity."""
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok
    data = root / "indicators/countries/FRA.yaml"
    edit(data, "name: France", "name: République")
    assert builder.build({data}).ok
    assert main(["build", "-q", "--out", str(tmp_path / "plain")], project=root) == 0
    assert tree(root / "site") == tree(tmp_path / "plain")


def test_rebuilds_after_value_edits_are_normal_builds_of_the_edited_data(tmp_path, monkeypatch):
    """Scores, ranks, editions, lens and Monte Carlo ranks kept from the builds before
    (pipeline.Kept) give the pages and downloads of a build from scratch."""
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok
    data = root / "indicators/countries/FRA.yaml"
    for old, new in (("value: 500\n", "value: 5\n"), ("value: 90\n", "value: 40\n")):
        before = tree(root / "site")
        edit(data, old, new)
        assert builder.build({data}).ok
        out = tmp_path / f"plain-{len(new)}"
        assert main(["build", "-q", "--out", str(out)], project=root) == 0
        assert tree(root / "site") == tree(out)
        assert before != tree(out)  # a 2023 value (the 2023 edition), then a current one


@given(edits=st.lists(SITE_EDITS, min_size=1, max_size=3))
@settings(max_examples=10)
def test_rebuilds_after_any_edits_are_normal_builds_of_the_edited_data(edits, tmp_path_factory):
    """What the Builder keeps between rebuilds (scores, ranks, editions, lens, Monte Carlo
    ranks, checked files, pages) never shows: after each of a run of edits to values,
    years, weights, names and source titles, its site is a build's from scratch, or it
    reports the problems that build reports and keeps the last good site."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    with contextlib.chdir(root):
        builder = Builder(pipeline.Paths.for_project(root), Config())
        assert builder.build().ok
        for step, ((name, field), which, number) in enumerate(edits):
            before = tree(root / "site")
            edit_a_field(root / name, field, which, number)
            outcome = builder.build({root / name})
            plain = root / f"plain-{step}"
            with mock.patch.dict(os.environ, {cache.ENV: "off"}):
                code = main(["build", "-q", "--out", str(plain)], project=root)
            assert code == (0 if outcome.ok else 1), outcome.lines
            assert tree(root / "site") == (tree(plain) if outcome.ok else before)


def test_a_rebuild_reads_only_the_edited_file_from_the_cache(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok
    read: list[tuple[str, str]] = []
    real = cache.Store.get

    def get(store: cache.Store, key: str, *how: type) -> object:
        read.append((store.folder.name, key))
        return real(store, key, *how)

    monkeypatch.setattr(cache.Store, "get", get)
    data = root / "indicators/countries/FRA.yaml"
    edit(data, "name: France", "name: République")
    assert builder.build({data}).ok
    # The other files' outcomes are in the Builder's memory; the edited file's outcome is
    # looked for, and the record of the site written (small: the pages are the site's own
    # files), once for the page cache and the write.
    assert sorted(kind for kind, _ in read) == ["countries", "written"]


def test_serve_imports_numpy_once_for_every_rebuild():
    """The Monte Carlo runs of each rebuild need numpy: the Builder imports it once,
    before the first edit."""
    probe = (
        "import sys; from pathlib import Path; from scorecard import pipeline, serve;"
        "from scorecard.config import Config;"
        "assert 'numpy' not in sys.modules;"
        "serve.Builder(pipeline.Paths.for_project(Path('.')), Config());"
        "print('numpy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True"]


def test_an_edited_country_page_is_written_before_the_rest_of_the_site(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok
    site, data = root / "site", root / "indicators/countries/FRA.yaml"
    seen = []

    def on_ahead(pages: list[str]) -> None:  # what is on disk when the pages are announced
        shown = ["République" in (site / p).read_text(encoding="utf-8") for p in pages]
        seen.append((pages, shown, "République" in (site / "index.html").read_text("utf-8")))

    builder.on_ahead = on_ahead
    edit(data, "name: France", "name: République")
    assert builder.build({data}, first=["no/such/page.html"]).ok
    assert seen == [(["countries/FRA/index.html"], [True], False)]
    assert "République" in (site / "index.html").read_text(encoding="utf-8")

    # A change to the look: the open pages go first (if they changed).
    seen.clear()
    edit(root / "templates/compare.html", "{% block main %}", "{% block main %}<!-- new -->")
    changed = {root / "templates/compare.html"}
    assert builder.build(changed, first=["compare/index.html", "index.html"]).ok
    assert [pages for pages, _, _ in seen] == [["compare/index.html"]]


def test_pages_written_ahead_are_put_back_when_the_build_then_fails(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok
    before, announced = tree(root / "site"), []
    builder.on_ahead = announced.append

    def full_disk(*args: object) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Writer, "finish", full_disk)
    data = root / "indicators/countries/FRA.yaml"
    edit(data, "name: France", "name: République")
    outcome = builder.build({data})
    assert (outcome.ok, outcome.lines) == (False, ["error: [Errno 28] No space left on device"])
    assert announced == [["countries/FRA/index.html"]]  # it was written, then put back
    assert tree(root / "site") == before
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []  # the new site dropped


def test_pages_ahead_replace_only_pages_that_exist_and_changed(tmp_path):
    out = tmp_path / "site"
    ahead = PagesAhead(out)
    assert ahead.write({"index.html": b"new"}) == []  # no site yet: the build makes it
    (out / "data").mkdir(parents=True)
    (out / MARKER).write_bytes(b"{}")
    (out / "index.html").write_bytes(b"old")
    (out / "same.html").write_bytes(b"same")
    pages = {"index.html": b"new", "same.html": b"same", "countries/NEW/index.html": b"a new page"}
    assert ahead.write(pages) == ["index.html"]
    assert tree(out) == {MARKER: b"{}", "index.html": b"new", "same.html": b"same"}
    assert ahead.write({"index.html": b"newer"}) == ["index.html"]
    ahead.restore()
    assert tree(out) == {MARKER: b"{}", "index.html": b"old", "same.html": b"same"}
    with pytest.raises(UnsafePathError):
        ahead.write({"../outside.html": b"x"})


def test_the_state_numbers_builds_and_pages_on_disk_ahead_of_theirs():
    state = LiveState()
    session = state.build_id().rsplit("-", 1)[0]
    state.built()
    assert state.build_id() == state.build_id("/countries/FRA/") == f"{session}-1"
    state.ahead(["/countries/FRA/"])
    assert state.build_id("/countries/FRA/") == f"{session}-2"  # served during the build
    assert state.build_id("/") == f"{session}-1"
    assert state.snapshot() == {
        "build": f"{session}-1",
        "problems": [],
        "ahead": {"build": f"{session}-2", "pages": ["/countries/FRA/"]},
    }
    state.built()  # the page shown ahead is this build's: it is not reloaded again
    assert state.build_id("/countries/FRA/") == state.build_id("/") == f"{session}-2"
    assert state.snapshot()["ahead"] is None
    state.ahead(["/"])
    state.failed(["error: the disk is full"])  # the Builder put the page back
    assert state.build_id("/") == f"{session}-2"
    state.built()
    assert state.build_id("/") == f"{session}-4"  # not 3: a page may have shown that one


def test_the_state_knows_the_open_pages():
    state = LiveState()
    with state.open("/"), state.open("/"), state.open("/compare/"):
        assert state.open_pages() == ["/", "/compare/"]
        with state.open("/compare/"):
            pass
        assert state.open_pages() == ["/", "/compare/"]
    with pytest.raises(OSError), state.open("/"):  # the browser went away
        raise OSError("broken pipe")
    assert state.open_pages() == []


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/", "index.html"),
        ("/countries/FRA/", "countries/FRA/index.html"),
        ("/404.html", "404.html"),
    ],
)
def test_page_urls_and_site_paths(url, path):
    assert (site_path(url), "/" + page_url(path)) == (path, url)
    assert page_url(url + "index.html" if url.endswith("/") else url) == url


def test_a_change_to_the_look_reuses_the_scores(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    calls = []
    real = pipeline.compute
    monkeypatch.setattr(
        pipeline, "compute", lambda paths, **kw: calls.append(1) or real(paths, **kw)
    )
    builder = Builder(pipeline.Paths.for_project(root), Config())
    assert builder.build().ok and len(calls) == 1
    assert builder.build({root / "static/style.css"}).ok and len(calls) == 1
    assert builder.build({root / "templates/data.html"}).ok and len(calls) == 1
    assert builder.build({root / "indicators/countries/FRA.yaml"}).ok and len(calls) == 2


def test_serve_builds_in_a_child_process_and_here_once_it_is_gone(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)  # as on any POSIX multi-core
    server = DevServer(pipeline.Paths.for_project(root), Config(), "127.0.0.1", 0)
    broken = Outcome(False, ["error: built in this process"])
    monkeypatch.setattr(
        Builder, "build", lambda self, changed=(), first=(): broken
    )  # here, not there
    try:
        assert server._builds is not None
        outcome = server.build()
        assert outcome.ok and outcome.files > 0, outcome.lines  # the child's Builder
        assert (root / "site/index.html").is_file()
        os.kill(server._builds._pid, signal.SIGKILL)
        assert server.build() == broken  # the child is gone: this process builds
        assert server.build() == broken
    finally:
        server.close()


def test_without_fork_serve_builds_in_its_own_process(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    server = DevServer(pipeline.Paths.for_project(root), Config(), "127.0.0.1", 0)
    try:
        assert server._builds is None
        assert server.build().ok
    finally:
        server.close()


def test_a_failed_first_build_serves_a_page_that_waits(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    edit(root / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    server = DevServer(pipeline.Paths.for_project(root), Config(), "127.0.0.1", 0)
    try:
        assert server.build().lines[0] == QUOTED_PROBLEM
        server.start()
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode("utf-8")
        connection.close()
        assert response.status == 503
        assert "The first build failed" in body and LIVE_JS in body
        assert not (root / "site").exists()
    finally:
        server.close()


# -- the command ---------------------------------------------------------------------------------


def test_a_busy_port_is_a_usage_error(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)], project=root) == 2
    assert capsys.readouterr().err == (
        f"build.py: error: cannot serve on 127.0.0.1:{port}: Address already in use "
        "(choose another with --port)\n"
    )
    assert not (root / "site").exists()


def test_a_folder_that_is_not_a_site_is_neither_served_nor_replaced(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    (root / "site").mkdir()
    (root / "site/notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["serve", "--port", "0"], project=root) == 2
    assert capsys.readouterr().err.startswith(
        f"build.py: error: refusing to replace {root / 'site'}: it is not empty and is not a "
        "site built by this tool"
    )
    assert tree(root / "site") == {"notes.txt": b"keep me"}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_stops_cleanly(tmp_path):
    root = copy_project(tmp_path / "project")
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's package, whatever is installed
    child = subprocess.Popen(
        [sys.executable, "-m", "scorecard", "serve", "--port", "0"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any(line.startswith("serving ") for line in lines):
            line = child.stdout.readline()
            assert line, f"serve exited early: {child.stderr.read()}"
            lines.append(line)
        url = lines[-1].split(" at ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        assert re.fullmatch(r"built site/ in \d+\.\d\d s \(start\): \d+ files\n", lines[0])
        host_port = url.removeprefix("http://").strip("/")
        connection = http.client.HTTPConnection(*host_port.split(":"), timeout=TIMEOUT)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert out.endswith("stopped\n")
    assert err == ""
