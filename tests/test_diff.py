"""Score changes between a git ref and the working tree: the comparison, its two renderings,
and the command (`python build.py diff REF`) on throw-away git repositories.

The small fixture's scores, worked by hand (see tests/test_compute.py): France 82.5 (rank 1),
Germany 69.9 (rank 2), Italy 42.5 (rank 3). Taking France's data protection law from
"legislation" (100) to "none" (0) drops its governance score from (100 + 70) / 2 = 85 to 35
and its composite to (90 + 70 + 2 × 35) / 4 = 57.5, below Germany's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.diff import (
    Scoreboard,
    Standing,
    compare,
    format_markdown,
    format_text,
)

from .conftest import edit, tree

PILLARS = (("compute", "Compute"), ("talent", "Talent"), ("governance", "Governance"))


def board(*standings: Standing, version: int = 1) -> Scoreboard:
    return Scoreboard(version, PILLARS, {s.iso3: s for s in standings})


def standing(iso3: str, rank: int | None, composite: float | None, **pillars: float | None):
    names = {"FRA": "France", "DEU": "Germany", "ITA": "Italy", "AUT": "Austria"}
    scores = {"compute": 50.0, "talent": 50.0, "governance": 50.0, **pillars}
    return Standing(iso3, names[iso3], rank, composite, scores)


BEFORE = board(
    standing("FRA", 1, 82.5, compute=90.0, talent=70.0, governance=85.0),
    standing("DEU", 2, 69.90467, compute=49.6187, talent=80.0, governance=75.0),
    standing("ITA", 3, 42.5, compute=0.0, talent=80.0, governance=45.0),
)
AFTER = board(
    standing("FRA", 2, 57.5, compute=90.0, talent=70.0, governance=35.0),
    standing("DEU", 1, 69.90467, compute=49.6187, talent=80.0, governance=75.0),
    standing("ITA", 3, 42.5, compute=0.0, talent=80.0, governance=45.0),
)

MOVED_TEXT = """\
Score changes against main: 2 moved, 1 unchanged (3 countries now).

country        rank            composite            Governance
France (FRA)   1 → 2 (down 1)  82.5 → 57.5 (-25.0)  -50.0
Germany (DEU)  2 → 1 (up 1)    69.9

Pillar columns show the change in score; blank means unchanged.
"""


# -- the comparison -------------------------------------------------------------------------


def test_nothing_changed():
    diff = compare(BEFORE, BEFORE, "main")
    assert not diff.changed
    assert format_text(diff) == (
        "No score changes against main: no rank or displayed score moved (3 countries now).\n"
    )
    assert format_markdown(diff) == (
        "### Score changes\n\n"
        "No score changes against `main`: no rank or displayed score moved (3 countries now).\n"
    )


def test_ranks_and_scores_that_moved_biggest_first():
    diff = compare(BEFORE, AFTER, "main")
    assert [m.after.iso3 for m in diff.moves] == ["FRA", "DEU"]
    assert [m.places for m in diff.moves] == [-1, 1]
    assert diff.moved_pillars() == [("governance", "Governance")]
    assert format_text(diff) == MOVED_TEXT


def test_markdown_for_the_job_summary():
    assert (
        format_markdown(compare(BEFORE, AFTER, "origin/main"))
        == """\
### Score changes

Score changes against `origin/main`: 2 moved, 1 unchanged (3 countries now).

| country | rank | composite | Governance |
|---|---|---|---|
| France (FRA) | 1 → 2 (▼1) | 82.5 → 57.5 (-25.0) | -50.0 |
| Germany (DEU) | 2 → 1 (▲1) | 69.9 |  |

Pillar columns show the change in score; blank means unchanged.
"""
    )


def test_a_change_too_small_to_see_is_not_a_move():
    after = board(
        standing("FRA", 1, 82.52, compute=90.04, talent=70.0, governance=85.0),
        *(s for s in BEFORE.countries.values() if s.iso3 != "FRA"),
    )
    assert not compare(BEFORE, after, "main").changed


def test_a_pillar_losing_its_score_and_a_country_falling_out_of_the_ranking():
    after = board(
        standing("FRA", None, None, compute=90.0, talent=None, governance=85.0),
        standing("DEU", 1, 69.90467, compute=49.6187, talent=80.0, governance=75.0),
        standing("ITA", 2, 42.5, compute=0.0, talent=80.0, governance=45.0),
    )
    assert (
        format_text(compare(BEFORE, after, "main"))
        == """\
Score changes against main: 3 moved, 0 unchanged (3 countries now).

country        rank          composite  Talent
France (FRA)   1 → unranked  82.5 → –   70.0 → –
Germany (DEU)  2 → 1 (up 1)  69.9
Italy (ITA)    3 → 2 (up 1)  42.5

Pillar columns show the change in score; blank means unchanged.
"""
    )


def test_countries_added_and_removed_and_a_new_framework_version():
    after = board(
        standing("FRA", 1, 82.5, compute=90.0, talent=70.0, governance=85.0),
        standing("DEU", 2, 69.90467, compute=49.6187, talent=80.0, governance=75.0),
        standing("AUT", 3, 48.04, compute=20.0, talent=60.0, governance=56.0),
        version=2,
    )
    diff = compare(BEFORE, after, "v1.0")
    assert format_text(diff) == (
        "Score changes against v1.0: 1 added, 1 removed, 2 unchanged (3 countries now).\n"
        "The framework changes from version 1 to 2.\n"
        "added: Austria (AUT): rank 3, composite 48.0\n"
        "removed: Italy (ITA): rank 3, composite 42.5\n"
    )
    assert format_markdown(diff) == (
        "### Score changes\n\n"
        "Score changes against `v1.0`: 1 added, 1 removed, 2 unchanged (3 countries now).\n\n"
        "The framework changes from version 1 to 2.\n\n"
        "**Added:** Austria (AUT): rank 3, composite 48.0\n\n"
        "**Removed:** Italy (ITA): rank 3, composite 42.5\n"
    )


def test_markdown_escapes_contributor_text():
    odd = Standing("FRA", "Fr|ance <b>*", 1, 80.0, {"compute": 1.0})
    after = board(odd, *(s for s in BEFORE.countries.values() if s.iso3 != "FRA"))
    text = format_markdown(compare(BEFORE, after, "main"))
    assert "| Fr\\|ance \\<b\\>\\* (FRA) |" in text


# -- the command, on a git repository --------------------------------------------------------

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        input="",  # `git mktree` reads stdin; never the terminal's
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def repo(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The throw-away project as a git repository whose `main` holds the small fixture."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "indicators")
    git(project, "commit", "-q", "-m", "data")
    return project


def run(argv: list[str], project: Path, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv, project=project)
    out, err = capsys.readouterr()
    return status, out, err


def drop_frances_law(project: Path) -> None:
    edit(project / "indicators/countries/FRA.yaml", "level: legislation", "level: none")


def test_diff_against_a_branch(repo, capsys):
    drop_frances_law(repo)
    before = (tree(repo / "indicators"), git(repo, "status", "--porcelain"))
    status, out, err = run(["diff", "main"], repo, capsys)
    assert (status, err) == (0, "")
    assert out == MOVED_TEXT
    # Read from git's objects: the working tree and the index are untouched.
    assert (tree(repo / "indicators"), git(repo, "status", "--porcelain")) == before


def test_diff_as_markdown(repo, capsys):
    drop_frances_law(repo)
    status, out, _ = run(["diff", "main", "--format", "markdown"], repo, capsys)
    assert status == 0
    assert out.startswith("### Score changes\n\nScore changes against `main`: 2 moved")
    assert "| France (FRA) | 1 → 2 (▼1) | 82.5 → 57.5 (-25.0) | -50.0 |" in out


def test_no_change(repo, capsys):
    status, out, _ = run(["diff", "HEAD"], repo, capsys)
    assert (status, out) == (
        0,
        "No score changes against HEAD: no rank or displayed score moved (3 countries now).\n",
    )


def test_a_new_country_file(repo, capsys):
    countries = repo / "indicators/countries"
    text = (countries / "DEU.yaml").read_text(encoding="utf-8")
    text = text.replace("iso3: DEU", "iso3: AUT").replace("name: Germany", "name: Austria")
    (countries / "AUT.yaml").write_text(text, encoding="utf-8")
    status, out, _ = run(["diff", "main"], repo, capsys)
    assert status == 0
    assert out.startswith("Score changes against main: ")
    assert "added: Austria (AUT): rank " in out


def test_a_ref_in_the_past_with_a_data_folder_elsewhere(repo, tmp_path, capsys):
    drop_frances_law(repo)
    git(repo, "commit", "-q", "-am", "France: no law")
    edit(repo / "indicators/countries/FRA.yaml", "level: none", "level: legislation")
    status, out, _ = run(["diff", "HEAD~1", "--data", "indicators"], repo, capsys)
    assert (status, out) == (
        0,
        "No score changes against HEAD~1: no rank or displayed score moved (3 countries now).\n",
    )
    assert run(["diff", "HEAD"], repo, capsys)[1].startswith(
        "Score changes against HEAD: 2 moved, 1 unchanged"
    )


def test_an_unknown_ref_is_a_usage_error(repo, capsys):
    assert run(["diff", "no-such-branch"], repo, capsys) == (
        2,
        "",
        "build.py: error: unknown git ref 'no-such-branch' (a branch, tag or commit, "
        "e.g. main or origin/main)\n",
    )


def test_an_option_is_not_taken_for_a_ref(repo, capsys):
    assert run(["diff", "--", "--output=x"], repo, capsys)[0] == 2
    assert not (repo / "x").exists()


def test_outside_a_git_repository(project, capsys):
    status, out, err = run(["diff", "main"], project, capsys)
    assert (status, out) == (2, "")
    assert err.startswith("build.py: error: ") and "not in a git repository" in err


def test_a_ref_without_the_data_folder(repo, capsys):
    empty_tree = git(repo, "mktree").strip()
    git(repo, "tag", "bare", git(repo, "commit-tree", empty_tree, "-m", "no data").strip())
    assert run(["diff", "bare"], repo, capsys) == (
        2,
        "",
        "build.py: error: indicators/ does not exist at bare\n",
    )


def test_errors_in_the_working_tree_are_reported_like_check(repo, capsys):
    edit(repo / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    status, out, err = run(["diff", "main"], repo, capsys)
    assert (status, out) == (1, "")
    assert err == (
        "indicators/countries/FRA.yaml:35:14: error: indicators.internet_users[0].value: "
        "expected a number, got text '90'\n"
        "    tip: write the number without quotes, thousands separators or %\n"
        "1 error and 0 warnings in 1 file (5 checked)\n"
    )


def test_data_at_the_ref_that_fails_todays_checks(repo, capsys):
    edit(repo / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    git(repo, "commit", "-q", "-am", "broken")
    edit(repo / "indicators/countries/FRA.yaml", "value: '90'\n", "value: 90\n")
    status, out, err = run(["diff", "HEAD", "--format", "markdown"], repo, capsys)
    assert status == 1
    assert out == (
        "### Score changes\n\n"
        "Not compared against `HEAD`: the data at HEAD does not pass today's checks, "
        "so it cannot be scored.\n\n"
    )
    assert err == (
        "HEAD:indicators/countries/FRA.yaml:35:14: error: indicators.internet_users[0].value: "
        "expected a number, got text '90'\n"
        "    tip: write the number without quotes, thousands separators or %\n"
        "1 error and 0 warnings in 1 file (5 checked)\n"
        "build.py: error: the data at HEAD does not pass today's checks, so it cannot be "
        "scored (see above)\n"
    )
