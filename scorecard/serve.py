"""The development server: build, serve on 127.0.0.1, watch, rebuild, reload the open page.

Once a build is done, the site on disk is exactly what `python build.py` writes (while it
runs, the pages written ahead, below, are already the new ones). Live reload lives only in
the responses of this server: every HTML page it sends gets one external script (served
from the reserved path /__scorecard__/, so the pages' `script-src 'self'` allows it), and
its Content-Security-Policy's `connect-src` is set to 'self' (as the site's own policy
says, should that ever be tightened) so that the script can listen to the server's events
(Server-Sent Events). When a rebuild fails, the previous site stays on disk and keeps
being served, and the script shows the problems in a banner over the page.

Watching uses watchfiles (a maintained library, over the operating system's notifications).
A change to templates, static assets or translations re-renders from the last computed
scores; a change to the data or the schemas recomputes everything.

The pages open in a browser (each page's script says which it is) and the pages of the
country files just edited are made first and written over their previous versions at once,
before the rest of the site is made and swapped in; the pages showing them reload then,
the others when the build is done. Should the rest of the build fail, the pages written
ahead get their previous versions back, so a failed build still leaves the last good site.
"""

from __future__ import annotations

import contextlib
import gc
import http.server
import json
import multiprocessing.connection
import os
import pickle
import re
import secrets
import signal
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jinja2
import watchfiles

from . import parallel, pipeline
from .cache import remembering_store, replace_file
from .config import Config
from .errors import Problem, ScorecardError, summarise
from .i18n import TranslationError
from .load import display_path
from .site import country_path
from .validate import SCHEMA_DIR, files_checked
from .write import MARKER, UnsafePathError, safe_join

RESERVED = "/__scorecard__/"
LIVE_JS = RESERVED + "live.js"
EVENTS = RESERVED + "events"
STATE = RESERVED + "state"
KEEPALIVE_SECONDS = 15.0


# -- building -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one build did: `lines` says what went wrong, as the terminal prints it."""

    ok: bool
    lines: list[str] = field(default_factory=list)  # problems and summary, or one error line
    problems: list[Problem] = field(default_factory=list)  # data problems, warnings included
    files: int = 0
    seconds: float = 0.0
    detail: str = ""  # a traceback, for failures that are not about the data


@dataclass(frozen=True)
class Ahead:
    """Pages written ahead of the build they belong to (site paths), as the child says."""

    pages: list[str]


class PagesAhead:
    """Writes pages over their previous versions in the site on disk, one file at a time
    (each atomically), and can put the previous versions back."""

    def __init__(self, out: Path):
        self.out = out
        self._previous: dict[Path, bytes] = {}

    def write(self, pages: dict[str, bytes]) -> list[str]:
        """Write the pages that exist and changed; returns their paths. A new page (or a
        first site) comes with the whole site."""
        if not (self.out / MARKER).is_file():
            return []
        written = []
        for rel, html in sorted(pages.items()):
            target = safe_join(self.out, rel)
            try:
                previous = target.read_bytes()
            except OSError:
                continue
            if previous != html:
                self._previous.setdefault(target, previous)
                _replace(target, html)
                written.append(rel)
        return written

    def restore(self) -> None:
        """Put back what was there before `write` (when the rest of the build failed)."""
        for target, previous in self._previous.items():
            with contextlib.suppress(OSError):
                _replace(target, previous)
        self._previous.clear()


def _replace(target: Path, content: bytes) -> None:
    replace_file(target, lambda file: file.write(content))


class Builder:
    """Builds the site into paths.out; reuses the last scores when only the look changed,
    and the unranked scores of the country files that did not change when the data did.

    `on_ahead(site paths)` is told of the pages written ahead of the build (see the module's
    docstring)."""

    def __init__(self, paths: pipeline.Paths, config: Config):
        # The Monte Carlo runs need numpy (pipeline.start_computing): imported here once,
        # before the first edit, rather than by the first rebuild.
        import_module(".sensitivity", __package__)
        self.paths = paths
        self.config = config
        self.on_ahead: Callable[[list[str]], None] = lambda pages: None
        self._results: pipeline.Results | None = None
        self._kept = pipeline.Kept()  # unchanged countries are not scored or ranked again
        self._validated = remembering_store("countries")  # nor read and checked again
        self._data_roots = [paths.data.resolve(), SCHEMA_DIR.resolve()]
        self._countries = (paths.data / "countries").resolve()

    def roots(self) -> list[Path]:
        """The folders to watch (those that exist)."""
        candidates = [
            self.paths.data,
            SCHEMA_DIR,
            self.paths.templates,
            self.paths.static,
            self.paths.project_root / "locales",
        ]
        return [p for p in dict.fromkeys(c.resolve() for c in candidates) if p.is_dir()]

    def build(self, changed: Collection[Path] = (), first: Collection[str] = ()) -> Outcome:
        """Build once; never raises for a problem in the data, templates or settings.

        `first`: site paths of pages to make and write ahead of the others (the open
        pages), with those of the country files in `changed`."""
        started = time.perf_counter()
        ahead = PagesAhead(self.paths.out)
        with pipeline.collector_paused():  # the server collects after telling the page
            outcome = self._build(changed, {*first, *self._pages_of(changed)}, ahead, started)
        if not outcome.ok:
            ahead.restore()
        return outcome

    def _pages_of(self, changed: Collection[Path]) -> list[str]:
        """The site paths of the pages of the country files in `changed`."""
        return [
            country_path(path.stem)
            for path in changed
            if path.suffix == ".yaml" and path.resolve().parent == self._countries
        ]

    def _build(
        self, changed: Collection[Path], first: set[str], ahead: PagesAhead, started: float
    ) -> Outcome:
        def write_ahead(pages: dict[str, bytes]) -> None:
            written = ahead.write(pages)
            if written:
                self.on_ahead(written)

        try:
            if self._results is None or self._touches_data(changed):
                self._results = None  # a failed compute must not leave stale scores behind
                self._results = pipeline.compute(self.paths, kept=self._kept, store=self._validated)
                if self._validated is not None:
                    dataset = self._results.dataset
                    self._validated.keep_only([*dataset.country_keys.values(), dataset.shared_key])
            output, _ = pipeline.publish(
                self._results, self.paths, self.config, first=first, ahead=write_ahead
            )
        except ScorecardError as exc:
            return Outcome(False, self._problem_lines(exc.problems), exc.problems)
        except jinja2.TemplateError as exc:
            return Outcome(False, [self._template_line(exc)], detail=traceback.format_exc())
        except (UnsafePathError, TranslationError, OSError) as exc:
            return Outcome(False, [f"error: {exc}"])
        except Exception as exc:  # a bug should not stop the server; the traceback is printed
            message = f"error: the build failed: {type(exc).__name__}: {exc}"
            return Outcome(False, [message], detail=traceback.format_exc())
        warnings = self._results.warnings
        return Outcome(True, [], warnings, len(output.files), time.perf_counter() - started)

    def _touches_data(self, changed: Collection[Path]) -> bool:
        return not changed or any(
            root in path.resolve().parents for path in changed for root in self._data_roots
        )

    def _problem_lines(self, problems: list[Problem]) -> list[str]:
        lines = [p.format() for p in problems]
        return [*lines, summarise(problems, files_checked(self.paths.data))]

    def _template_line(self, exc: jinja2.TemplateError) -> str:
        """`templates/x.html:12: error: message`, from the exception or its traceback."""
        where = ""
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            where = f"{display_path(Path(exc.filename))}:{exc.lineno}: "
        else:
            templates = self.paths.templates.resolve()
            frames = traceback.extract_tb(exc.__traceback__)
            for frame in reversed(frames):
                path = Path(frame.filename)
                if path.is_absolute() and templates in path.resolve().parents:
                    where = f"{display_path(path)}:{frame.lineno}: "
                    break
        message = exc.message if isinstance(exc, jinja2.TemplateSyntaxError) else str(exc)
        return f"{where}error: {message}"


class BuildProcess:
    """A Builder in a child process, forked before the server starts its threads.

    Rendering then uses the second processor as `python build.py` does (scorecard.parallel
    forks only a process without other threads, and the server has them), so an edit shows
    sooner. The child builds when told to and answers with the Outcome; it ends when the
    pipe closes. If it is gone, builds happen in this process from then on.
    """

    def __init__(self, builder: Builder, pid: int, pipe: multiprocessing.connection.Connection):
        self._builder = builder
        self._pid = pid
        self._pipe: multiprocessing.connection.Connection | None = pipe

    @classmethod
    def start(cls, builder: Builder) -> BuildProcess | None:
        """The child, or None where it cannot help (see scorecard.parallel)."""
        if not parallel.can_fork():
            return None
        here, there = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:  # the child: build on request, then leave without running any cleanup
            status = 1
            try:
                here.close()
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's
                _build_on_request(builder, there)
                status = 0
            finally:
                os._exit(status)
        there.close()
        return cls(builder, pid, here)

    def build(self, changed: Collection[Path] = (), first: Collection[str] = ()) -> Outcome:
        if self._pipe is not None:
            try:
                self._pipe.send(([str(p) for p in changed], sorted(first)))
                while isinstance(answer := self._pipe.recv(), Ahead):
                    self._builder.on_ahead(answer.pages)
                return answer  # type: ignore[no-any-return]
            except (EOFError, OSError):
                self.close()
        return self._builder.build(changed, first)  # recomputes: this Builder has no scores yet

    def close(self) -> None:
        """End the child once it has finished the build it is doing."""
        if self._pipe is None:
            return
        self._pipe.close()
        self._pipe = None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)


def _build_on_request(builder: Builder, pipe: multiprocessing.connection.Connection) -> None:
    builder.on_ahead = lambda pages: pipe.send(Ahead(pages))
    while True:
        try:
            changed, first = pipe.recv()
        except EOFError:  # the server has stopped
            return
        outcome = builder.build({Path(p) for p in changed}, first)
        try:
            pipe.send(outcome)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # not picklable
            pipe.send(Outcome(False, [f"error: the build's outcome could not be sent: {exc}"]))
        gc.collect()  # what the build left in cycles, once the page has been told


# -- what the browser is told --------------------------------------------------------------------


class LiveState:
    """The current build, its problems and the pages written ahead of the next one; the
    event stream waits on it. It also counts the pages open in browsers."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._session = secrets.token_hex(4)  # a restarted server reloads open pages
        self._numbered = 0  # builds numbered so far
        self._build = 0  # the site on disk
        self._ahead: tuple[int, set[str]] | None = None  # the next build's pages on disk
        self._problems: list[str] = []
        self._version = 0
        self._closed = False
        self._open: Counter[str] = Counter()

    def built(self) -> None:
        with self._condition:
            if self._ahead is None:
                self._numbered += 1
                self._build = self._numbered
            else:  # the pages written ahead are this build's
                self._build = self._ahead[0]
            self._ahead = None
            self._problems = []
            self._changed()

    def ahead(self, pages: Collection[str]) -> None:
        """Pages (URL paths) of the build under way are on disk already."""
        with self._condition:
            if self._ahead is None:
                self._numbered += 1
                self._ahead = (self._numbered, set())
            self._ahead[1].update(pages)
            self._changed()

    def failed(self, lines: list[str]) -> None:
        with self._condition:
            self._ahead = None  # put back by the Builder; its number is never used again
            self._problems = list(lines)
            self._changed()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def _changed(self) -> None:
        self._version += 1
        self._condition.notify_all()

    def build_id(self, page: str = "") -> str:
        """The build the page at URL path `page` on disk belongs to."""
        with self._condition:
            if self._ahead is not None and page in self._ahead[1]:
                return f"{self._session}-{self._ahead[0]}"
            return f"{self._session}-{self._build}"

    def snapshot(self) -> dict[str, object]:
        with self._condition:
            ahead = None
            if self._ahead is not None:
                number, pages = self._ahead
                ahead = {"build": f"{self._session}-{number}", "pages": sorted(pages)}
            return {
                "build": f"{self._session}-{self._build}",
                "problems": self._problems,
                "ahead": ahead,
            }

    def wait(self, seen: int, timeout: float) -> tuple[int, dict[str, object]] | None:
        """Block until the state differs from version `seen`; None when closed."""
        with self._condition:
            self._condition.wait_for(lambda: self._closed or self._version != seen, timeout)
            if self._closed:
                return None
            return self._version, self.snapshot()

    @contextlib.contextmanager
    def open(self, page: str) -> Iterator[None]:
        """While a browser shows the page at URL path `page`."""
        with self._condition:
            self._open[page] += 1
        try:
            yield
        finally:
            with self._condition:
                self._open[page] -= 1
                if not self._open[page]:
                    del self._open[page]

    def open_pages(self) -> list[str]:
        with self._condition:
            return sorted(self._open)


def page_url(path: str) -> str:
    """A page's URL path as the state knows it: `/countries/KOR/`, not `.../index.html`."""
    if path == "index.html" or path.endswith("/index.html"):
        return path.removesuffix("index.html")
    return path


def site_path(url: str) -> str:
    """The file under the site of the page at URL path `url` (`/` -> `index.html`)."""
    path = url.lstrip("/")
    return path + "index.html" if not path or path.endswith("/") else path


# -- serving ------------------------------------------------------------------------------------


def inject(html: str, build_id: str) -> str:
    """The page as served: the live-reload script added, connect-src 'self' (kept or set)."""
    html = re.sub(r"connect-src [^;\"]*", "connect-src 'self'", html, count=1)
    tag = f'<script defer src="{LIVE_JS}" data-build="{build_id}"></script>\n'
    head_end = html.find("</head>")
    if head_end == -1:
        return html + tag
    return html[:head_end] + tag + html[head_end:]


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for build results

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # always the latest build
        super().end_headers()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == LIVE_JS:
            self._send(200, LIVE_SCRIPT.encode(), "text/javascript; charset=utf-8")
        elif path == STATE:
            body = json.dumps(self.server.state.snapshot()).encode()
            self._send(200, body, "application/json")
        elif path == EVENTS:
            self._events()
        elif path.startswith(RESERVED):
            self._send(404, b"not found\n", "text/plain; charset=utf-8")
        else:
            self._site(path)

    def _site(self, path: str) -> None:
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            self._page(200, target, self.server.state.build_id(page_url(path)))
        elif target.is_file():
            super().do_GET()
        elif not (Path(self.directory) / MARKER).is_file():
            self._send(503, self._no_site_page().encode(), "text/html; charset=utf-8")
        elif (Path(self.directory) / "404.html").is_file():
            self._page(404, Path(self.directory) / "404.html", self.server.state.build_id())
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _page(self, status: int, file: Path, build_id: str) -> None:
        try:
            html = file.read_text(encoding="utf-8")
        except OSError:  # swapped away by a rebuild between the check and the read
            self._send(503, b"rebuilding, reload\n", "text/plain; charset=utf-8")
            return
        body = inject(html, build_id).encode("utf-8")
        self._send(status, body, "text/html; charset=utf-8")

    def _no_site_page(self) -> str:
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>No site yet</title></head><body><h1>No site yet</h1>"
            "<p>The first build failed; the problems are shown above and in the terminal. "
            "This page reloads when the build succeeds.</p></body></html>"
        )
        return inject(page, self.server.state.build_id())

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        state, seen = self.server.state, -1
        page = parse_qs(urlsplit(self.path).query).get("page", [""])[0]
        with contextlib.suppress(OSError), state.open(page_url(page)):  # till the page goes
            while True:
                update = state.wait(seen, KEEPALIVE_SECONDS)
                if update is None:
                    return
                version, snapshot = update
                if version == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = version
                    self.wfile.write(f"data: {json.dumps(snapshot)}\n\n".encode())
                self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never blocks the exit
    state: LiveState


class DevServer:
    """Build, serve and watch. Binding happens here, so a busy port fails early (OSError)."""

    def __init__(self, paths: pipeline.Paths, config: Config, host: str, port: int):
        self.builder = Builder(paths, config)
        self.state = LiveState()
        self.builder.on_ahead = lambda pages: self.state.ahead(
            ["/" + page_url(page) for page in pages]
        )
        self._builds = BuildProcess.start(self.builder)  # before any thread, socket or watch
        self.out = paths.out.absolute()
        handler = _handler_for(self.out)
        try:
            self._httpd = _Server((host, port), handler)
        except OSError:
            if self._builds is not None:
                self._builds.close()
            raise
        self._httpd.state = self.state
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else host
        return f"http://{shown}:{port}/"

    def build(self, changed: Collection[Path] = (), first: Collection[str] = ()) -> Outcome:
        """Build once; `first`: site paths of pages to make and write ahead of the others."""
        builds = self._builds or self.builder
        outcome = builds.build(changed, first)
        if outcome.ok:
            self.state.built()
        else:
            self.state.failed(outcome.lines)
        if self._builds is None:
            gc.collect()  # what the build left in cycles, once the page has been told
        return outcome

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def watch(
        self,
        on_build: Callable[[Outcome, set[Path]], None],
        stop: threading.Event | None = None,
    ) -> None:
        """Rebuild on every change until `stop` is set (or Ctrl-C in the main thread)."""
        for changes in self._changes(stop):
            changed = {Path(path) for _, path in changes}
            first = [site_path(page) for page in self.state.open_pages()]
            on_build(self.build(changed, first), changed)

    def _changes(
        self, stop: threading.Event | None
    ) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        out = self.out
        ignored = watchfiles.DefaultFilter()

        def relevant(change: watchfiles.Change, path: str) -> bool:
            target = Path(path)
            inside_out = out == target or out in target.parents
            staging = target.name.startswith(f".{out.name}.tmp-")
            return ignored(change, path) and not inside_out and not staging

        yield from watchfiles.watch(
            *self.builder.roots(),
            watch_filter=relevant,
            stop_event=stop,
            debounce=400,
            step=20,  # ms without a further change before building: editors save at once
            rust_timeout=500,
            yield_on_timeout=False,
        )

    def close(self) -> None:
        """Stop serving: end the event streams, then the server, then the builds."""
        self.state.close()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        if self._builds is not None:
            self._builds.close()


def _handler_for(directory: Path) -> Callable[..., _Handler]:
    def handler(*args: object, **kwargs: object) -> _Handler:
        return _Handler(*args, directory=str(directory), **kwargs)  # type: ignore[arg-type]

    return handler


# The script the server adds to every page it sends (never written to site/).
LIVE_SCRIPT = r"""// Live reload: `build.py serve` adds it to the pages it sends.
(function () {
  'use strict';
  var me = document.currentScript;
  var loaded = me ? me.getAttribute('data-build') : null;
  var banner = null;

  function show(lines) {
    if (!banner) {
      banner = document.createElement('section');
      banner.id = 'scorecard-live-problems';
      banner.setAttribute('role', 'alert');
      banner.style.cssText = 'position:fixed;top:0;left:0;right:0;z-index:2147483647;' +
        'max-height:50vh;overflow:auto;margin:0;padding:0.75rem 1rem;background:#fff4f4;' +
        'color:#5c0000;border-bottom:3px solid #b00020;font:14px/1.4 system-ui,sans-serif;' +
        'box-shadow:0 2px 8px rgba(0,0,0,0.25)';
      var title = document.createElement('strong');
      title.textContent = 'The last change broke the build. This page shows the last good ' +
        'build; fix the problems below and it reloads.';
      var pre = document.createElement('pre');
      pre.style.cssText = 'margin:0.5rem 0 0;white-space:pre-wrap;' +
        'font:13px/1.4 ui-monospace,monospace';
      banner.appendChild(title);
      banner.appendChild(pre);
      document.body.appendChild(banner);
    }
    banner.querySelector('pre').textContent = lines.join('\n');
  }

  function hide() {
    if (banner) { banner.remove(); banner = null; }
  }

  var here = location.pathname.replace(/\/index\.html$/, '/');
  var source = new EventSource('/__scorecard__/events?page=' + encodeURIComponent(here));
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (state.problems.length) { show(state.problems); return; }
    // This page may be on disk ahead of the build under way: then it shows that build.
    var ahead = state.ahead && state.ahead.pages.indexOf(here) !== -1;
    var current = ahead ? state.ahead.build : state.build;
    if (loaded !== null && current !== loaded) { source.close(); location.reload(); return; }
    hide();
  };
})();
"""
