"""The command line: exit codes, messages, what is (and is not) written, reproducible builds.

The site's pages are still being extended, so build tests compare whole output trees
between builds instead of listing the files; only the data downloads are named.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard import __version__
from scorecard.cli import main

from .conftest import FIXTURE, REPO, edit, tree
from .test_validate import EVERY_PROBLEM, break_several_files

DOWNLOADS = ("data/scores.json", "data/scores.csv", "data/values.csv")
OK = "ok: 3 countries, 6 indicators in 3 pillars, 8 sources\n"
BUILT = re.compile(
    r"built (?P<out>.+)/ in \d+\.\d\d s: 3 countries, (?P<files>\d+) files; 0 warning\(s\)\n"
)


def run(argv: list[str], project: Path, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of one command."""
    status = main(argv, project=project)
    out, err = capsys.readouterr()
    return status, out, err


def usage_error(argv: list[str], project: Path, capsys: pytest.CaptureFixture) -> str:
    """stderr of a command that argparse refuses (it exits with status 2)."""
    with pytest.raises(SystemExit) as caught:
        main(argv, project=project)
    assert caught.value.code == 2
    return capsys.readouterr().err


def add_unused_source(data: Path) -> None:
    with (data / "sources.yaml").open("a") as file:
        file.write("spare:\n  producer: X\n  title: Y\n  url: https://example.org/y\n")


UNUSED = (
    "indicators/sources.yaml:42:1: warning: spare: source 'spare' is not cited by any value\n"
    "    tip: remove it, or cite it from a country file\n"
)


def stale_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# -- check ----------------------------------------------------------------------------------


def test_check_passes_and_writes_nothing(project, capsys):
    before = tree(project.parent)
    assert run(["check"], project, capsys) == (0, OK, "")
    assert tree(project.parent) == before
    assert not (project / "site").exists()


def test_check_reports_errors_with_one_summary_line(project, capsys):
    edit(project / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    edit(project / "indicators/countries/ITA.yaml", "level: draft", "level: drafted")
    status, out, err = run(["check"], project, capsys)
    assert (status, out) == (1, "")
    assert err == (
        "indicators/countries/FRA.yaml:35:14: error: indicators.internet_users[0].value: "
        "expected a number, got text '90'\n"
        "    tip: write the number without quotes, thousands separators or %\n"
        "indicators/countries/ITA.yaml:31:14: error: indicators.privacy_law[0].level: 'drafted' "
        "is not a level of the rubric (expected one of: legislation, draft, none)\n"
        "    tip: did you mean 'draft'?\n"
        "2 errors and 0 warnings in 2 files (5 checked)\n"
    )


def test_every_problem_is_printed_sorted_then_one_summary_line(project, capsys):
    break_several_files(project / "indicators")
    status, out, err = run(["check"], project, capsys)
    assert (status, out) == (1, "")
    summary = "5 errors and 0 warnings in 4 files (6 checked)"
    assert err == "\n".join([*EVERY_PROBLEM, summary]) + "\n"


def test_a_warning_passes_but_strict_fails(project, capsys):
    add_unused_source(project / "indicators")
    summary = "0 errors and 1 warning in 1 file (5 checked)"
    ok = OK.replace("8 sources", "9 sources")
    assert run(["check"], project, capsys) == (0, ok, f"{UNUSED}{summary}\n")
    assert run(["check", "--strict"], project, capsys) == (
        1,
        "",
        f"{UNUSED}{summary} (--strict: warnings count as errors)\n",
    )


def test_check_with_data_elsewhere(project, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere" / "data"
    elsewhere.parent.mkdir()
    (project / "indicators").rename(elsewhere)
    assert run(["check", "--data", str(elsewhere)], project, capsys) == (0, OK, "")


# -- usage errors ---------------------------------------------------------------------------


def test_unknown_option(project, capsys):
    err = usage_error(["build", "--bogus"], project, capsys)
    assert err.endswith("build.py: error: unrecognized arguments: --bogus\n")


def test_unknown_command(project, capsys):
    err = usage_error(["frobnicate"], project, capsys)
    assert err.endswith(
        "build.py: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'build', "
        "'check', 'diff', 'new', 'serve')\n"
    )


@pytest.mark.parametrize("command", ["check", "build"])
def test_missing_data_folder(project, capsys, command):
    status, out, err = run([command, "--data", "nowhere"], project, capsys)
    assert (status, out) == (2, "")
    assert err == (
        "build.py: error: data folder nowhere not found (run from the project root, or pass "
        "--data)\n"
    )
    assert not (project / "site").exists()


def test_version(project, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"], project=project)
    assert (caught.value.code, capsys.readouterr().out) == (0, f"build.py {__version__}\n")


def test_a_bad_setting_is_a_usage_error(project, capsys):
    status, _, err = run(["build", "--base-url", "ftp://example.org"], project, capsys)
    assert status == 2
    assert err == (
        "build.py: error: tool.scorecard.base_url: 'ftp://example.org': only http and https "
        "addresses are allowed, not 'ftp:'\n"
    )
    assert not (project / "site").exists()


def test_exit_codes_from_the_entry_script(project):
    def status(*argv: str) -> int:
        return subprocess.run(
            [sys.executable, str(REPO / "build.py"), *argv],
            cwd=project,
            capture_output=True,
            check=False,
        ).returncode

    # (0 is checked through build.py by the reproducibility test below.)
    assert status("--bogus") == 2
    edit(project / "indicators/countries/FRA.yaml", "value: 90\n", "value: 140\n")
    assert status("check", "--data", "indicators") == 1


def test_the_entry_points_end_at_once_with_their_whole_output(project):
    """build.py and `python -m scorecard` end the process as soon as a build or check is done
    (cli.finish): what they printed still arrives whole through a pipe, with the status."""

    def entry(*argv: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [*argv, "--data", "indicators"],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    script = [sys.executable, str(REPO / "build.py")]
    module = [sys.executable, "-m", "scorecard"]
    status, out, err = entry(*script, "check")
    assert (status, err) == (0, "")
    assert out == "ok: 3 countries, 6 indicators in 3 pillars, 8 sources\n"
    status, out, err = entry(*module, "build", "--out", "site")
    assert (status, err) == (0, "")
    assert re.fullmatch(
        r"built site/ in \d+\.\d\d s: 3 countries, \d+ files; 0 warning\(s\)\n", out
    )
    assert (project / "site" / "data" / "scores.json").is_file()
    status, out, err = entry(*script, "build", "--out", "other", "--quiet")
    assert (status, out, err) == (0, "", "")
    assert tree(project / "other") == tree(project / "site")
    status, out, _ = entry(*module, "build", "--out", "site")
    assert status == 0 and out.endswith(" files (unchanged, not written again); 0 warning(s)\n")


# -- build ------------------------------------------------------------------------------------


def test_build_writes_the_site_and_the_downloads(project, capsys):
    status, out, err = run(["build"], project, capsys)
    assert (status, err) == (0, "")
    built = BUILT.fullmatch(out)
    assert built and built["out"] == "site"
    files = tree(project / "site")
    assert set(DOWNLOADS) <= set(files)
    assert int(built["files"]) == len(files)
    assert stale_leftovers(project) == []


def test_a_second_build_of_the_same_site_writes_nothing(project, capsys):
    run(["build"], project, capsys)
    inode = (project / "site" / "index.html").stat().st_ino
    status, out, err = run(["build"], project, capsys)
    assert (status, err) == (0, "")
    assert re.fullmatch(
        r"built site/ in \d+\.\d\d s: 3 countries, \d+ files "
        r"\(unchanged, not written again\); 0 warning\(s\)\n",
        out,
    )
    assert (project / "site" / "index.html").stat().st_ino == inode
    edit(project / "indicators" / "countries" / "FRA.yaml", "value: 5000\n", "value: 4000\n")
    assert BUILT.fullmatch(run(["build"], project, capsys)[1])  # written


def test_build_is_the_default_command(project, capsys):
    assert run([], project, capsys)[0] == 0
    assert (project / "site/data/scores.json").is_file()


def test_quiet_build_prints_nothing(project, capsys):
    assert run(["build", "-q"], project, capsys) == (0, "", "")


def test_out_and_data_options(project, tmp_path, capsys):
    other = tmp_path / "other-data"
    (project / "indicators").rename(other)
    out = tmp_path / "published" / "www"
    status, printed, _ = run(["build", "--data", str(other), "--out", str(out)], project, capsys)
    assert status == 0
    assert BUILT.fullmatch(printed)["out"] == str(out)
    assert set(DOWNLOADS) <= set(tree(out))
    assert not (project / "site").exists()


def test_strict_build_with_a_warning_writes_nothing(project, capsys):
    add_unused_source(project / "indicators")
    status, out, err = run(["build", "--strict"], project, capsys)
    assert (status, out) == (1, "")
    assert err.endswith("(--strict: warnings count as errors)\n")
    assert not (project / "site").exists()


def test_a_build_with_a_warning_says_so(project, capsys):
    add_unused_source(project / "indicators")
    status, out, err = run(["build"], project, capsys)
    assert status == 0
    assert err == f"{UNUSED}0 errors and 1 warning in 1 file (5 checked)\n"
    assert out.endswith("; 1 warning(s)\n")


def test_two_builds_are_byte_identical(project, tmp_path, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    assert run(["build", "--out", str(first)], project, capsys)[0] == 0
    assert run(["build", "--out", str(second)], project, capsys)[0] == 0
    assert tree(first) == tree(second)


def test_rebuilding_in_place_gives_the_same_bytes(project, capsys):
    assert run(["build"], project, capsys)[0] == 0
    before = tree(project / "site")
    assert run(["build"], project, capsys)[0] == 0
    assert tree(project / "site") == before
    assert stale_leftovers(project) == []


def _build_elsewhere(folder: Path, hash_seed: str) -> dict[str, bytes]:
    """Build the small fixture with build.py from `folder`, under a given PYTHONHASHSEED."""
    import shutil

    shutil.copytree(FIXTURE, folder / "indicators")
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--data", "indicators", "--out", "site"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tree(folder / "site")


def test_builds_in_different_folders_and_hash_seeds_are_identical(tmp_path):
    first = _build_elsewhere(tmp_path / "a", "0")
    second = _build_elsewhere(tmp_path / "deeper" / "folder" / "b", "4242")
    assert set(DOWNLOADS) <= set(first)
    assert first == second


def test_a_failed_build_leaves_the_previous_site_untouched(project, capsys):
    assert run(["build"], project, capsys)[0] == 0
    site = project / "site"
    before = tree(site)
    stamps = {p: p.stat().st_mtime_ns for p in site.rglob("*")}
    edit(project / "indicators/countries/FRA.yaml", "value: 90\n", "value: 140\n")
    status, out, err = run(["build"], project, capsys)
    assert (status, out) == (1, "")
    assert err.endswith("1 error and 0 warnings in 1 file (5 checked)\n")
    assert tree(site) == before
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*")} == stamps
    assert stale_leftovers(project) == []


def test_a_site_that_cannot_be_written_is_an_error_and_the_old_one_stays(
    project, capsys, monkeypatch
):
    """A full disk (or an output folder that cannot be written) under the new site: one
    line saying so, exit status 2, the previous site as it was and nothing left over."""
    assert run(["build"], project, capsys)[0] == 0
    site = project / "site"
    before = tree(site)
    edit(project / "indicators/countries/FRA.yaml", "value: 90\n", "value: 91\n")

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    status, out, err = run(["build"], project, capsys)
    assert (status, out) == (2, "")
    assert err == (
        "build.py: error: the site could not be built: No space left on device; "
        "site/ is unchanged\n"
    )
    monkeypatch.undo()
    assert tree(site) == before
    assert stale_leftovers(project) == []


def test_out_pointing_at_a_folder_that_is_not_a_site_is_refused(project, tmp_path, capsys):
    precious = tmp_path / "precious"
    (precious / "photos").mkdir(parents=True)
    (precious / "photos/cat.jpg").write_bytes(b"\xff\xd8 not really a cat")
    (precious / "notes.txt").write_text("keep me")
    before = tree(precious)
    status, out, err = run(["build", "--out", str(precious)], project, capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"build.py: error: refusing to replace {precious}: it is not empty and is not a site "
        "built by this tool (it has no data/scores.json); choose an empty or new folder with "
        "--out\n"
    )
    assert tree(precious) == before
    assert stale_leftovers(tmp_path) == []


def test_out_pointing_at_a_file_is_refused(project, tmp_path, capsys):
    target = tmp_path / "site.txt"
    target.write_text("a file")
    status, _, err = run(["build", "--out", str(target)], project, capsys)
    assert status == 2
    assert err == f"build.py: error: refusing to replace {target}: it is a file, not a folder\n"
    assert target.read_text() == "a file"


def test_out_pointing_at_an_empty_folder_is_fine(project, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["build", "--out", str(empty)], project, capsys)[0] == 0
    assert (empty / "data/scores.json").is_file()
