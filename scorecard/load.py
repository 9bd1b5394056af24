"""Find and read the data files, turning YAML trouble into Problems."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, Severity
from .yamlsafe import (
    MAX_FILE_BYTES,
    Document,
    YamlFileError,
    YamlIssue,
    load_bytes,
    read_text,
    too_large,
)

FRAMEWORK_FILE = "framework.yaml"
SOURCES_FILE = "sources.yaml"
COUNTRIES_DIR = "countries"
SPOTLIGHTS_DIR = "spotlights"
METHODOLOGY_FILE = "methodology.md"


@dataclass(frozen=True)
class DataFiles:
    """The files of a data folder, found but not yet read."""

    root: Path
    framework: Path
    sources: Path
    countries: tuple[Path, ...]  # sorted by name; files starting with _ or . are skipped
    strays: tuple[Path, ...]  # files in countries/ that are not *.yaml
    spotlights: tuple[Path, ...] = ()  # spotlights/ISO3.yaml (each with ISO3.md beside it)


def discover(root: Path) -> DataFiles:
    """List the data files under `root` (normally indicators/)."""
    folder = root / COUNTRIES_DIR
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    visible = [p for p in entries if not p.name.startswith(("_", "."))]
    return DataFiles(
        root=root,
        framework=root / FRAMEWORK_FILE,
        sources=root / SOURCES_FILE,
        countries=tuple(p for p in visible if p.suffix == ".yaml" and p.is_file()),
        strays=tuple(p for p in visible if p.suffix != ".yaml" or not p.is_file()),
        spotlights=tuple(sorted((root / SPOTLIGHTS_DIR).glob("[!_.]*.yaml"))),
    )


def display_path(path: Path) -> str:
    """The path as a contributor would type it: relative to the working folder if inside it."""
    try:  # the link's own name, not its target's, when the file is a symbolic link
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_bytes(path: Path, shown: str, problems: list[Problem]) -> bytes | None:
    """A data file's bytes, at most MAX_FILE_BYTES; on failure append a Problem."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)  # never more, whatever the file's size
            size = max(os.fstat(file.fileno()).st_size, len(raw))
    except OSError as exc:
        problems.append(
            Problem(shown, 0, 0, Severity.ERROR, "", f"cannot read file: {exc.strerror}")
        )
        return None
    if size > MAX_FILE_BYTES:
        problems.append(issue_problem(shown, too_large(size)))
        return None
    return raw


def read_markdown(path: Path, problems: list[Problem], raw: bytes | None = None) -> str | None:
    """Read one markdown file (a spotlight's story, the methodology) as the YAML files are
    read: the same size limit, UTF-8 and refused characters (yamlsafe.read_text); on
    failure append a Problem and return None. `raw`: its bytes, if already read (see
    read_yaml)."""
    shown = display_path(path)
    if raw is None:
        raw = _read_bytes(path, shown, problems)
    if raw is None:
        return None
    try:
        return read_text(raw)
    except YamlFileError as exc:
        problems.append(issue_problem(shown, exc.issue))
        return None


def read_yaml(
    path: Path, problems: list[Problem], raw: bytes | None = None, shown: str | None = None
) -> Document | None:
    """Read one YAML file; on failure append Problems and return None.

    `raw`: the file's bytes, if already read (at most MAX_FILE_BYTES: validate hashes
    them for its cache key, and then checks those very bytes, whatever the file holds by
    then). `shown`: the file's display_path, if already made."""
    if shown is None:
        shown = display_path(path)
    if raw is None:
        raw = _read_bytes(path, shown, problems)
    if raw is None:
        return None
    try:
        doc, issues = load_bytes(raw)
    except YamlFileError as exc:
        problems.append(issue_problem(shown, exc.issue))
        return None
    problems.extend(issue_problem(shown, issue) for issue in issues)
    if doc.data is None:
        problems.append(
            Problem(shown, 0, 0, Severity.ERROR, "", "file is empty (or holds only comments)")
        )
        return None
    return doc


def issue_problem(shown: str, issue: YamlIssue) -> Problem:
    return Problem(
        shown,
        issue.line,
        issue.column,
        Severity.ERROR,
        format_path(issue.path),
        issue.message,
        issue.tip,
    )


def format_path(path: tuple[str | int, ...]) -> str:
    """``("indicators", "gerd", 0, "year")`` -> ``indicators.gerd[0].year``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def relative_to_project(path: Path, root: Path) -> str:
    """`path` relative to the data folder's parent, with forward slashes (for repository links)."""
    return os.path.relpath(path, root.parent).replace(os.sep, "/")
