"""Command line: python build.py [build|check|diff|new|serve] [options].

Exit status: 0 success, 1 data errors (or warnings with --strict), 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, github, pipeline
from .config import ConfigError, load_config
from .errors import Problem, ScorecardError, Severity, summarise
from .i18n import TranslationError
from .load import display_path
from .validate import files_checked
from .write import MARKER, UnsafePathError, check_replaceable

if TYPE_CHECKING:
    from . import serve

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
COMMANDS = ("build", "check", "diff", "new", "serve")


def main(argv: list[str] | None = None, *, project: Path | None = None, leave: bool = False) -> int:
    """Run the command line; returns the exit status.

    `leave`: the caller is the program itself (build.py, python -m scorecard), which exits
    as soon as this returns; `build` and `check` then end the process when done (`finish`).
    """
    project = project or Path.cwd()
    args = _parser().parse_args(_with_default_command(sys.argv[1:] if argv is None else argv))
    paths = pipeline.Paths.for_project(
        project, getattr(args, "data", None), getattr(args, "out", None)
    )
    if not paths.data.is_dir():
        return _usage_error(
            f"data folder {paths.data} not found (run from the project root, or pass --data)"
        )
    if args.command == "check":
        with pipeline.collector_paused():
            return _check(paths, args.strict, leave)
    if args.command == "diff":
        return _diff(paths, args.ref, args.format)
    if args.command == "new":
        return _new(paths, args.iso3)
    if args.command == "serve":
        return _serve(paths, project, args.host, args.port)
    with pipeline.collector_paused():
        return _build(paths, project, args, leave)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Validate the scorecard's data, compute the scores and build the site.",
        epilog="Exit status: 0 success, 1 data errors, 2 usage errors.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data", type=Path, metavar="DIR", help="data folder (default: indicators/)"
    )
    common.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build = commands.add_parser(
        "build",
        parents=[common],
        help="build the site (default)",
        description="Validate, compute and write the site.",
    )
    build.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site/)")
    build.add_argument(
        "--base-url",
        metavar="URL",
        help="absolute URL the site is published at (enables sitemap.xml)",
    )
    build.add_argument(
        "--repository", metavar="URL", help="repository URL for 'edit this file' links"
    )
    build.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    commands.add_parser(
        "check",
        parents=[common],
        help="validate the data; write nothing",
        description="Validate every data file and report all problems.",
    )
    diff = commands.add_parser(
        "diff",
        help="score changes since a git ref",
        description="Compare ranks and scores computed from the data at a git ref with "
        "those from the data as it is now (the same comparison as a pull request's summary).",
    )
    diff.add_argument("ref", metavar="BASE_REF", help="branch, tag or commit, e.g. main")
    diff.add_argument("--data", type=Path, metavar="DIR", help="data folder (default: indicators/)")
    diff.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="plain text (default) or markdown, e.g. for $GITHUB_STEP_SUMMARY",
    )
    new = commands.add_parser(
        "new",
        help="start a country file from the template",
        description="Create indicators/countries/ISO3.yaml from the commented template, with the "
        "code and the country's name filled in; the rest is left for you to fill.",
    )
    new.add_argument("iso3", metavar="ISO3", help="ISO 3166-1 alpha-3 code, e.g. PRT")
    new.add_argument("--data", type=Path, metavar="DIR", help="data folder (default: indicators/)")
    serve = commands.add_parser(
        "serve",
        help="build, serve on 127.0.0.1, rebuild and reload on every change",
        description="Build the site, serve it, watch the data, schemas, templates and static "
        "files, rebuild on every change and reload the open page. Problems show in the terminal "
        "and over the page; the last good site stays. Ctrl-C stops.",
    )
    serve.add_argument(
        "--data", type=Path, metavar="DIR", help="data folder (default: indicators/)"
    )
    serve.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site/)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any free)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """`build.py [options]` means `build.py build [options]`."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["build", *argv]
    return argv


def finish(status: int, leave: bool) -> int:
    """`status`; with `leave`, the process ends here with it, its output flushed.

    A build's objects (the validated data, scores, pages: hundreds of thousands) would
    otherwise be freed one by one as the functions holding them return, and again at the
    interpreter's shutdown: 0.07 s at 200 countries, 0.23 s at 1,000, after everything is
    written. Nothing is left to do by then: every file is written and closed (the site,
    the caches), no child process is running and no exit handler is registered.
    """
    if leave:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)
    return status


def _check(paths: pipeline.Paths, strict: bool, leave: bool = False) -> int:
    try:
        dataset, warnings = pipeline.check(paths)
    except ScorecardError as exc:
        return _report(exc.problems, paths)
    status = _report(warnings, paths, strict=strict)
    if status == EXIT_OK:
        framework = dataset.framework
        print(
            f"ok: {len(dataset.countries)} countries, {len(framework.indicators)} indicators "
            f"in {len(framework.pillars)} pillars, {len(dataset.sources)} sources"
        )
    return finish(status, leave)


def _build(
    paths: pipeline.Paths, project: Path, args: argparse.Namespace, leave: bool = False
) -> int:
    started = time.perf_counter()
    try:
        config = load_config(project).with_overrides(
            base_url=args.base_url, repository=args.repository
        )
    except ConfigError as exc:
        return _usage_error(str(exc))
    try:
        results = pipeline.compute(paths)
        status = _report(results.warnings, paths, strict=args.strict)
        if status != EXIT_OK:
            return status
        output, written = pipeline.publish(results, paths, config)
    except ScorecardError as exc:
        return _report(exc.problems, paths)
    except (UnsafePathError, TranslationError) as exc:
        return _usage_error(str(exc))
    except OSError as exc:  # a full disk, an output folder that cannot be written...
        where = f" ({exc.filename})" if exc.filename else ""
        kept = f"{_shown(paths.out)}/ is unchanged" if paths.out.exists() else "nothing written"
        return _usage_error(f"the site could not be built: {exc.strerror or exc}{where}; {kept}")
    if not args.quiet:
        elapsed = time.perf_counter() - started
        countries = len(results.dataset.countries)
        print(
            f"built {_shown(paths.out)}/ in {elapsed:.2f} s: {countries} countries, "
            f"{len(output.files)} files{'' if written else ' (unchanged, not written again)'}; "
            f"{len(results.warnings)} warning(s)"
        )
    return finish(EXIT_OK, leave)


def _diff(paths: pipeline.Paths, ref: str, output: str) -> int:
    from . import diff as score_diff  # it loads tarfile and difflib, which builds do not need

    markdown = output == "markdown"
    try:
        result = score_diff.diff_against(paths.data, ref)
    except score_diff.GitError as exc:
        return _usage_error(str(exc))
    except score_diff.BaseDataError as exc:
        reason = f"the data at {ref} does not pass today's checks, so it cannot be scored"
        if markdown:
            print(score_diff.format_unavailable_markdown(ref, reason + "."))
        _report(exc.problems, paths, annotate=False)
        print(f"build.py: error: {reason} (see above)", file=sys.stderr)
        return EXIT_DATA
    except ScorecardError as exc:
        if markdown:
            print(
                score_diff.format_unavailable_markdown(
                    ref, "the data has errors; `build.py check` lists them."
                )
            )
        return _report(exc.problems, paths)
    render = score_diff.format_markdown if markdown else score_diff.format_text
    print(render(result), end="")
    return EXIT_OK


def _new(paths: pipeline.Paths, code: str) -> int:
    from . import scaffold  # it loads pycountry, which the other commands rarely need

    try:
        created = scaffold.create_country(paths.data, code)
    except scaffold.ScaffoldError as exc:
        return _usage_error(str(exc))
    name = scaffold.country_name(created.stem)
    print(f"created {display_path(created)} for {name} from the template")
    print("next: choose its region, replace or delete every PLACEHOLDER, then run")
    print("      python build.py check --strict")
    return EXIT_OK


def _serve(paths: pipeline.Paths, project: Path, host: str, port: int) -> int:
    from . import serve  # watchfiles loads only for this command

    try:
        config = load_config(project)
        check_replaceable(paths.out.absolute())  # never serve, or replace, a folder not ours
    except (ConfigError, UnsafePathError) as exc:
        return _usage_error(str(exc))
    try:
        server = serve.DevServer(paths, config, host, port)
    except OSError as exc:
        return _usage_error(
            f"cannot serve on {host}:{port}: {exc.strerror or exc} (choose another with --port)"
        )
    try:
        _served(server.build(), paths, set())
        server.start()
        watched = ", ".join(f"{_shown(p)}/" for p in server.builder.roots())
        print(f"serving {_shown(paths.out)}/ at {server.url} (Ctrl-C to stop)", flush=True)
        print(f"watching {watched}", flush=True)
        server.watch(lambda outcome, changed: _served(outcome, paths, changed))
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("stopped", flush=True)
    return EXIT_OK


def _served(outcome: serve.Outcome, paths: pipeline.Paths, changed: set[Path]) -> None:
    """Print one build of `serve`: problems as `check` prints them, then one status line."""
    what = ", ".join(sorted(_shown(p) for p in changed)) or "start"
    if outcome.ok:
        _report(outcome.problems, paths, annotate=False)  # warnings, if any
        print(
            f"built {_shown(paths.out)}/ in {outcome.seconds:.2f} s ({what}): "
            f"{outcome.files} files",
            flush=True,
        )
        return
    for line in outcome.lines:
        print(line, file=sys.stderr)
    if outcome.detail:
        print(outcome.detail.rstrip(), file=sys.stderr)
    kept = "still serving the last good site" if (paths.out / MARKER).is_file() else "no site yet"
    print(f"build failed ({what}); {kept}", file=sys.stderr, flush=True)


def _report(
    problems: list[Problem], paths: pipeline.Paths, *, strict: bool = False, annotate: bool = True
) -> int:
    """Print problems and a summary line to stderr; return the exit status they imply."""
    if not problems:
        return EXIT_OK
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    if annotate and github.enabled():  # on the pull request's lines; the runner reads stdout
        for line in github.annotation_lines(problems, strict=strict):
            print(line)
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    summary = summarise(problems, files_checked(paths.data))
    if strict and not has_errors:
        summary += " (--strict: warnings count as errors)"
    print(summary, file=sys.stderr)
    return EXIT_DATA if has_errors or strict else EXIT_OK


def _usage_error(message: str) -> int:
    print(f"build.py: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
