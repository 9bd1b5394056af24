"""GitHub Actions: problems as workflow-command annotations.

When a check runs in GitHub Actions (``GITHUB_ACTIONS=true``), each problem is also printed
as ``::error file=…,line=…,col=…::message`` on standard output. GitHub turns those lines
into annotations on the lines of the pull request's "Files changed" tab, so a contributor
who edits a file in the web editor sees the mistake where they made it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from .errors import Problem, Severity

TITLE = "build.py check"


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """True when running as a GitHub Actions step."""
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def annotation(problem: Problem, *, strict: bool = False) -> str:
    """One workflow command for `problem`; with `strict`, warnings are reported as errors."""
    level = "error" if strict or problem.severity is Severity.ERROR else "warning"
    properties = [("file", problem.path)]
    if problem.line:
        properties += [("line", str(problem.line)), ("col", str(problem.column))]
    properties.append(("title", TITLE))
    where = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    text = f"{problem.field}: {problem.message}" if problem.field else problem.message
    if problem.tip:
        text += f"\ntip: {problem.tip}"
    return f"::{level} {where}::{escape_data(text)}"


def annotation_lines(problems: Iterable[Problem], *, strict: bool = False) -> list[str]:
    return [annotation(p, strict=strict) for p in problems]


def escape_data(text: str) -> str:
    """Escape a command's message as the runner expects (as @actions/core does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property (file, title): also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
