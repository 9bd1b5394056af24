"""Score changes between the data at a git ref and the data in the working tree.

Both sides are validated and scored by the code that runs (the working tree's), each with
its own framework, so a change of weights or goalposts shows as the moves it causes. What
counts as a move is what a reader would see change: a rank, or a composite or pillar score
as displayed (one decimal). The same comparison renders as plain text for the terminal
(`python build.py diff REF`) and as markdown for a pull request's job summary.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .compute import score_dataset
from .errors import Problem, ScorecardError
from .model import Dataset
from .validate import load_dataset

DECIMALS = 1  # scores are shown with one decimal on the site
NONE = "–"


class GitError(Exception):
    """The ref or the repository cannot be used; the message says why."""


# -- the data at a ref -----------------------------------------------------------------------


@contextlib.contextmanager
def data_at_ref(data: Path, ref: str) -> Iterator[tuple[Path, Path]]:
    """The data folder as it is at git `ref`, extracted into a temporary folder.

    Yields (copy of the repository's root, copy of the data folder). Reads the repository's
    objects only (git archive): the working tree and the index are never touched.
    """
    top = Path(_git(data, "rev-parse", "--show-toplevel").strip())
    relative = data.resolve().relative_to(top.resolve()).as_posix()
    commit = _commit(top, ref)
    if not _git(top, "ls-tree", "-d", "--name-only", commit, "--", relative).strip():
        raise GitError(f"{relative}/ does not exist at {ref}")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", relative],
        cwd=top,
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="scorecard-diff-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+
                tar.extractall(folder, filter="data")
            else:  # pragma: no cover - the archive is the repository's own
                tar.extractall(folder)
        yield Path(folder), Path(folder) / relative


def _commit(data: Path, ref: str) -> str:
    if ref.startswith("-"):  # would be read as an option
        raise GitError(f"unknown git ref '{ref}'")
    try:
        return _git(data, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError:
        raise GitError(
            f"unknown git ref '{ref}' (a branch, tag or commit, e.g. main or origin/main)"
        ) from None


def _git(cwd: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if result.returncode != 0:
        if "not a git repository" in result.stderr:
            raise GitError(f"{cwd} is not in a git repository")
        raise GitError(result.stderr.strip() or f"git {args[0]} failed")
    return result.stdout


# -- what a reader sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One country's rank, composite and pillar scores, as the site shows them."""

    iso3: str
    name: str
    rank: int | None
    composite: float | None
    pillars: dict[str, float | None]


@dataclass(frozen=True)
class Scoreboard:
    version: int
    pillars: tuple[tuple[str, str], ...]  # (id, name), in the framework's order
    countries: dict[str, Standing]


def scoreboard(dataset: Dataset) -> Scoreboard:
    """Score a validated dataset and keep what the comparison needs."""
    framework = dataset.framework
    names = {c.iso3: c.name for c in dataset.countries}
    standings = {
        s.iso3: Standing(
            s.iso3,
            names[s.iso3],
            s.rank,
            s.composite,
            {pid: pillar.score for pid, pillar in s.pillars.items()},
        )
        for s in score_dataset(dataset)
    }
    pillars = tuple((p.id, p.name) for p in framework.pillars)
    return Scoreboard(framework.version, pillars, standings)


def load_scoreboard(data: Path) -> Scoreboard:
    """Validate and score the data folder; raise ScorecardError if it has errors."""
    dataset, _warnings = load_dataset(data)
    return scoreboard(dataset)


# -- the comparison ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    before: Standing
    after: Standing

    @property
    def places(self) -> int | None:
        """Places gained (positive) or lost (negative); None when either side is unranked."""
        if self.before.rank is None or self.after.rank is None:
            return None
        return self.before.rank - self.after.rank

    def pillar_moved(self, pillar: str) -> bool:
        return _moved(self.before.pillars.get(pillar), self.after.pillars.get(pillar))


@dataclass(frozen=True)
class ScoreDiff:
    base: str  # the ref compared against
    pillars: tuple[tuple[str, str], ...]
    moves: list[Move]  # biggest movers first
    added: list[Standing]
    removed: list[Standing]
    unchanged: int
    versions: tuple[int, int]  # framework version before, after

    @property
    def changed(self) -> bool:
        return bool(self.moves or self.added or self.removed)

    def moved_pillars(self) -> list[tuple[str, str]]:
        """The pillars in which at least one country's score moved."""
        return [p for p in self.pillars if any(m.pillar_moved(p[0]) for m in self.moves)]


def compare(base: Scoreboard, head: Scoreboard, base_label: str) -> ScoreDiff:
    """What changed for readers between `base` and `head`."""
    moves, unchanged = [], 0
    for iso3 in sorted(set(base.countries) & set(head.countries)):
        move = Move(base.countries[iso3], head.countries[iso3])
        if _is_move(move):
            moves.append(move)
        else:
            unchanged += 1
    moves.sort(key=_importance)
    pillars = head.pillars + tuple(p for p in base.pillars if p not in head.pillars)
    return ScoreDiff(
        base=base_label,
        pillars=pillars,
        moves=moves,
        added=[head.countries[i] for i in sorted(set(head.countries) - set(base.countries))],
        removed=[base.countries[i] for i in sorted(set(base.countries) - set(head.countries))],
        unchanged=unchanged,
        versions=(base.version, head.version),
    )


def _is_move(move: Move) -> bool:
    pillars = set(move.before.pillars) | set(move.after.pillars)
    return (
        move.before.rank != move.after.rank
        or _moved(move.before.composite, move.after.composite)
        or any(move.pillar_moved(p) for p in pillars)
    )


def _moved(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return (before is None) != (after is None)
    return round(before, DECIMALS) != round(after, DECIMALS)


def _importance(move: Move) -> tuple[float, float, str]:
    places = abs(move.places) if move.places is not None else float("inf")
    before, after = move.before.composite, move.after.composite
    delta = abs(after - before) if before is not None and after is not None else float("inf")
    return (-places, -delta, move.after.iso3)


# -- rendering ---------------------------------------------------------------------------------


def _score(value: float | None) -> str:
    return NONE if value is None else f"{value:.{DECIMALS}f}"


def _delta(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return f"{_score(before)} → {_score(after)}"
    return f"{after - before:+.{DECIMALS}f}"


def _rank_cell(move: Move, up: str, down: str) -> str:
    before, after = move.before.rank, move.after.rank
    if before == after:
        return str(after) if after is not None else "unranked"
    text = f"{before if before is not None else 'unranked'} → "
    text += str(after) if after is not None else "unranked"
    places = move.places
    if places:
        text += f" ({up if places > 0 else down}{abs(places)})"
    return text


def _composite_cell(move: Move) -> str:
    before, after = move.before.composite, move.after.composite
    if not _moved(before, after):
        return _score(after)
    if before is None or after is None:
        return f"{_score(before)} → {_score(after)}"
    return f"{_score(before)} → {_score(after)} ({_delta(before, after)})"


def _pillar_cell(move: Move, pillar: str) -> str:
    if not move.pillar_moved(pillar):
        return ""
    return _delta(move.before.pillars.get(pillar), move.after.pillars.get(pillar))


def _standing(standing: Standing) -> str:
    rank = f"rank {standing.rank}" if standing.rank is not None else "unranked"
    return f"{standing.name} ({standing.iso3}): {rank}, composite {_score(standing.composite)}"


def _headline(diff: ScoreDiff) -> str:
    if not diff.changed:
        return f"No score changes against {diff.base}: no rank or displayed score moved"
    parts = [f"{len(diff.moves)} moved"] if diff.moves else []
    parts += [f"{len(diff.added)} added"] if diff.added else []
    parts += [f"{len(diff.removed)} removed"] if diff.removed else []
    parts.append(f"{diff.unchanged} unchanged")
    return f"Score changes against {diff.base}: " + ", ".join(parts)


def _version_line(diff: ScoreDiff) -> str:
    before, after = diff.versions
    if before == after:
        return ""
    return f"The framework changes from version {before} to {after}."


def _rows(diff: ScoreDiff, up: str, down: str) -> tuple[list[str], list[list[str]]]:
    pillars = diff.moved_pillars()
    header = ["country", "rank", "composite", *(name for _, name in pillars)]
    rows = [
        [
            f"{m.after.name} ({m.after.iso3})",
            _rank_cell(m, up, down),
            _composite_cell(m),
            *(_pillar_cell(m, pid) for pid, _ in pillars),
        ]
        for m in diff.moves
    ]
    return header, rows


def format_text(diff: ScoreDiff) -> str:
    """The comparison as a plain-text table, for the terminal."""
    lines = [_headline(diff) + f" ({_count(diff)})."]
    if _version_line(diff):
        lines.append(_version_line(diff))
    if diff.moves:
        header, rows = _rows(diff, "up ", "down ")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines.append("")
        for row in [header, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines.append("")
        lines.append("Pillar columns show the change in score; blank means unchanged.")
    lines += [f"added: {_standing(s)}" for s in diff.added]
    lines += [f"removed: {_standing(s)}" for s in diff.removed]
    return "\n".join(lines) + "\n"


def format_markdown(diff: ScoreDiff) -> str:
    """The comparison as markdown, for a pull request's job summary."""
    base = diff.base.replace("`", "")
    lines = ["### Score changes", ""]
    headline = _headline(diff).replace(f"against {diff.base}", f"against `{base}`")
    lines.append(f"{headline} ({_count(diff)}).")
    if _version_line(diff):
        lines += ["", _version_line(diff)]
    if diff.moves:
        header, rows = _rows(diff, "▲", "▼")
        lines += ["", _md_row(header), "|" + "---|" * len(header)]
        lines += [_md_row(row) for row in rows]
        lines += ["", "Pillar columns show the change in score; blank means unchanged."]
    if diff.added:
        lines += ["", "**Added:** " + "; ".join(_md_escape(_standing(s)) for s in diff.added)]
    if diff.removed:
        lines += ["", "**Removed:** " + "; ".join(_md_escape(_standing(s)) for s in diff.removed)]
    return "\n".join(lines) + "\n"


def format_unavailable_markdown(base: str, reason: str) -> str:
    """What the job summary says when the scores cannot be compared."""
    return f"### Score changes\n\nNot compared against `{base.replace('`', '')}`: {reason}\n"


def _count(diff: ScoreDiff) -> str:
    total = len(diff.moves) + diff.unchanged + len(diff.added)
    return f"{total} {'country' if total == 1 else 'countries'} now"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(_md_escape(c) for c in cells) + " |"


def _md_escape(text: str) -> str:
    """Keep contributor text from breaking the table or being read as markup."""
    for char in "\\|*_`[]<>":
        text = text.replace(char, "\\" + char)
    return text


def diff_against(data: Path, ref: str) -> ScoreDiff:
    """Compare the data folder at git `ref` with the folder as it is now.

    Raises GitError for an unusable ref, and ScorecardError when either side has errors
    (problems in the files at the ref are named ``REF:path``).
    """
    with data_at_ref(data, ref) as (copy, old):
        head = load_scoreboard(data)
        try:
            base = load_scoreboard(old)
        except ScorecardError as exc:
            raise BaseDataError(ref, [_at_ref(p, copy, ref) for p in exc.problems]) from None
    return compare(base, head, ref)


class BaseDataError(ScorecardError):
    """The data at the ref does not pass today's checks, so it cannot be scored."""

    def __init__(self, ref: str, problems: list[Problem]):
        self.ref = ref
        super().__init__(problems)


def _at_ref(problem: Problem, copy: Path, ref: str) -> Problem:
    """Name a problem's file as ``REF:indicators/…`` (git's notation), not the temporary copy."""
    try:
        inside = Path(problem.path).resolve().relative_to(copy.resolve())
    except ValueError:
        return problem
    return replace(problem, path=f"{ref}:{inside.as_posix()}")
