"""GitHub Actions: annotations printed by the checks, and the workflows themselves."""

from __future__ import annotations

import pytest

from scorecard.cli import main
from scorecard.errors import Problem, Severity
from scorecard.github import annotation, enabled, escape_data, escape_property

from .conftest import edit

QUOTED = Problem(
    "indicators/countries/KOR.yaml",
    20,
    14,
    Severity.ERROR,
    "indicators.top500_systems[0].value",
    "expected a number, got text '15'",
    "write the number without quotes, thousands separators or %",
)


# -- annotations --------------------------------------------------------------------------------


def test_an_error_points_at_its_file_line_and_column():
    assert annotation(QUOTED) == (
        "::error file=indicators/countries/KOR.yaml,line=20,col=14,title=build.py check::"
        "indicators.top500_systems[0].value: expected a number, got text '15'"
        "%0Atip: write the number without quotes, thousands separators or %25"
    )


def test_a_problem_with_the_whole_file_has_no_line():
    problem = Problem("indicators/countries/NZL.yaml", 0, 0, Severity.ERROR, "", "file is empty")
    assert annotation(problem) == (
        "::error file=indicators/countries/NZL.yaml,title=build.py check::file is empty"
    )


def test_a_warning_is_a_warning_unless_strict():
    problem = Problem(
        "indicators/sources.yaml", 42, 1, Severity.WARNING, "spare", "not cited", "remove it"
    )
    expected = (
        "::warning file=indicators/sources.yaml,line=42,col=1,title=build.py check::"
        "spare: not cited%0Atip: remove it"
    )
    assert annotation(problem) == expected
    assert annotation(problem, strict=True) == expected.replace("::warning", "::error", 1)


def test_escaping_follows_the_runner_rules():
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("odd:name,1%.yaml") == "odd%3Aname%2C1%25.yaml"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False), ("1", False)])
def test_only_github_actions_true_enables_annotations(value, expected):
    assert enabled({"GITHUB_ACTIONS": value}) is expected
    assert enabled({}) is False


def test_check_prints_annotations_in_github_actions(project, capsys, monkeypatch):
    edit(project / "indicators/countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    assert main(["check"], project=project) == 1
    plain_out, plain_err = capsys.readouterr()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check"], project=project) == 1
    out, err = capsys.readouterr()
    assert (plain_out, err) == ("", plain_err)  # the terminal lines do not change
    assert out == (
        "::error file=indicators/countries/FRA.yaml,line=35,col=14,title=build.py check::"
        "indicators.internet_users[0].value: expected a number, got text '90'"
        "%0Atip: write the number without quotes, thousands separators or %25\n"
    )


def test_a_clean_check_prints_no_annotation(project, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check"], project=project) == 0
    assert "::" not in capsys.readouterr().out
