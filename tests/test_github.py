"""GitHub Actions: annotations printed by the checks, and the workflows themselves."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scorecard.cli import main
from scorecard.errors import Problem, Severity
from scorecard.github import annotation, enabled, escape_data, escape_property

from .conftest import REPO, edit

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


# -- the workflows ------------------------------------------------------------------------------

WORKFLOWS = REPO / ".github" / "workflows"
# The current major release of each action, confirmed in each project's releases (2026-11):
# checkout v7.0.1, setup-python v7.0.0, configure-pages v6.0.0, upload-pages-artifact v5.0.0,
# deploy-pages v5.0.0. Raise them here and in the workflows together.
PINNED = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/configure-pages": "v6",
    "actions/upload-pages-artifact": "v5",
    "actions/deploy-pages": "v5",
}


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(flow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads YAML 1.1, where the key `on` is the boolean true.
    on = flow.get("on", flow.get(True))
    return {on: None} if isinstance(on, str) else on


def steps(flow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in flow["jobs"].values() for step in job["steps"]]


def runs(flow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(flow))


def test_the_workflows_are_the_expected_ones():
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == ["publish.yml", "pull-request.yml"]


@pytest.mark.parametrize("name", ["publish.yml", "pull-request.yml"])
def test_every_action_is_pinned_to_a_released_version(name):
    used = [step["uses"] for step in steps(workflow(name)) if "uses" in step]
    assert used
    for uses in used:
        action, _, version = uses.partition("@")
        assert PINNED.get(action) == version, f"{uses}: expected {action}@{PINNED.get(action)}"


@pytest.mark.parametrize("name", ["publish.yml", "pull-request.yml"])
def test_no_run_step_expands_untrusted_text(name):
    # Branch names and titles reach scripts through env:, never pasted into the script.
    flow = workflow(name)
    for step in steps(flow):
        assert "${{" not in step.get("run", ""), step.get("name", step.get("run"))
    for job in flow["jobs"].values():
        assert isinstance(job.get("timeout-minutes"), int)


def test_pull_requests_are_checked_compared_built_and_tested_read_only():
    flow = workflow("pull-request.yml")
    assert set(triggers(flow)) == {"pull_request"}
    assert flow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in flow["jobs"].values())
    script = runs(flow)
    order = [
        "python -m pip install -e .",
        "python build.py check --strict",
        'python build.py diff "$BASE" --format markdown | tee -a "$GITHUB_STEP_SUMMARY"',
        "python build.py build --strict",
    ]
    assert [script.find(command) for command in order] == sorted(
        script.find(command) for command in order
    )
    assert -1 not in [script.find(command) for command in order]
    diff_step = next(s for s in steps(flow) if "build.py diff" in s.get("run", ""))
    assert diff_step["env"]["BASE"] == "origin/${{ github.base_ref }}"
    checkout = next(s for s in flow["jobs"]["data"]["steps"] if "checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0  # the base branch is needed for the diff
    tests = flow["jobs"]["tests"]
    assert tests["container"]["image"] == "debian:12"
    assert "bash .ci/run" in runs({"jobs": {"tests": tests}})


def test_pull_requests_are_linted_as_make_lint_does():
    lint = workflow("pull-request.yml")["jobs"]["lint"]
    script = runs({"jobs": {"lint": lint}})
    assert 'python -m pip install -e ".[dev]"' in script
    for command in ("ruff check", "ruff format --check .", "mypy"):
        assert f"python -m {command}" in script
        assert f"$(PYTHON) -m {command}" in (REPO / "Makefile").read_text(encoding="utf-8")


def test_main_is_built_and_published_with_least_privilege():
    flow = workflow("publish.yml")
    assert triggers(flow)["push"] == {"branches": ["main"]}
    assert flow["permissions"] == {}
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v5"]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert uses.index("actions/configure-pages@v6") < uses.index("actions/upload-pages-artifact@v5")
    upload = build["steps"][uses.index("actions/upload-pages-artifact@v5")]
    assert upload["with"]["path"] == "site"
    assert "python build.py build --strict" in runs({"jobs": {"build": build}})
    assert flow["concurrency"]["cancel-in-progress"] is False


def test_the_container_job_runs_the_projects_own_ci_script():
    # .ci/run installs Chromium (and whatever else the tests need) with apt-get, then the
    # project with its test extras, which bring watchfiles for the serve tests.
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "chromium" in script and "apt-get" in script
    assert '-e ".[test]"' in script
