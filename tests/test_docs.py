"""Documentation and contributor tooling that must not drift from the code and the data.

- every field of every JSON Schema is named (in backticks) in the field reference;
- the README's command table lists every command of build.py;
- the editor settings attach each schema to the files that use it;
- the pre-commit hook runs the same check as CI, on the data;
- the issue forms offer the framework's pillars and layers.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecard.cli import _parser
from scorecard.yamlsafe import load_bytes

from .conftest import REPO

SCHEMAS = sorted((REPO / "schema").glob("*.schema.json"))


def property_names(node: Any) -> set[str]:
    """Every key of every `properties` object in a JSON Schema, at any depth."""
    names: set[str] = set()
    if isinstance(node, dict):
        names.update(node.get("properties", {}))
        for value in node.values():
            names |= property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= property_names(value)
    return names


def in_backticks(text: str) -> set[str]:
    """What the markdown puts in code spans, and each dotted part of those (`a.b`)."""
    spans = set(re.findall(r"`([^`\n]+)`", text))
    return spans | {part for span in spans for part in re.split(r"[.\[\]: ]+", span) if part}


# -- the field reference -------------------------------------------------------------------------


def test_the_schemas_are_found():
    assert {p.name for p in SCHEMAS} >= {
        "country.schema.json",
        "framework.schema.json",
        "sources.schema.json",
    }


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.name)
def test_every_schema_field_is_in_the_field_reference(schema):
    documented = in_backticks((REPO / "docs/schema.md").read_text(encoding="utf-8"))
    fields = property_names(json.loads(schema.read_text(encoding="utf-8")))
    missing = sorted(fields - documented)
    assert missing == [], (
        f"docs/schema.md does not mention these fields of {schema.name} in backticks: "
        f"{', '.join(missing)}"
    )


def test_the_field_check_finds_nested_fields():
    schema = {
        "properties": {"a": {"type": "object", "properties": {"b": {}}}},
        "definitions": {"c": {"properties": {"d": {}}}},
    }
    assert property_names(schema) == {"a", "b", "d"}


# -- the README's commands -----------------------------------------------------------------------


def test_the_readme_lists_every_command():
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `python build\.py (\w+)", table, flags=re.MULTILINE))
    assert listed == set(commands)


# -- editor settings -----------------------------------------------------------------------------


def modeline_schema(path: Path) -> str | None:
    """The schema a data file names on its `# yaml-language-server: $schema=` line."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    return (path.parent / found[1]).resolve().name if found else None


def test_the_editor_attaches_each_schema_to_the_files_that_name_it():
    settings = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))
    attached = {
        Path(schema).name: patterns for schema, patterns in settings["yaml.schemas"].items()
    }
    assert set(attached) == {p.name for p in SCHEMAS}
    for schema in attached:
        assert (REPO / "schema" / schema).is_file()
    data_files = sorted((REPO / "indicators").rglob("*.yaml"))
    assert data_files
    for path in data_files:
        relative = path.relative_to(REPO).as_posix()
        matching = [
            schema
            for schema, patterns in attached.items()
            if any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)
        ]
        assert matching == [modeline_schema(path)], relative


def test_editorconfig_indents_yaml_with_two_spaces():
    text = (REPO / ".editorconfig").read_text(encoding="utf-8")
    assert text.count("root = true") == 1
    yaml_section = text.split("[*.{yaml,yml,json}]", 1)[1].split("\n[", 1)[0]
    assert "indent_size = 2" in yaml_section
    assert "indent_style = space" in text.split("\n[", 2)[1]  # the [*] section


# -- pre-commit ----------------------------------------------------------------------------------


def test_pre_commit_runs_the_strict_check_on_the_data():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    assert hook["entry"] == "python build.py check --strict"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("indicators/countries/KOR.yaml")
    assert files.search("indicators/framework.yaml")
    assert files.search("schema/country.schema.json")
    assert not files.search("README.md")
    assert not files.search("scorecard/cli.py")


# -- GitHub issue and pull-request templates ----------------------------------------------------

FORMS = sorted((REPO / ".github/ISSUE_TEMPLATE").glob("*.yml"))
FIELD_TYPES = {"markdown", "input", "textarea", "dropdown", "checkboxes"}


def test_there_are_forms_to_report_a_value_and_propose_an_indicator():
    names = {yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in FORMS}
    assert names == {"Report a wrong value", "Propose an indicator"}


@pytest.mark.parametrize("form", FORMS, ids=lambda p: p.name)
def test_issue_forms_are_well_formed(form):
    data = yaml.safe_load(form.read_text(encoding="utf-8"))
    assert data["name"] and data["description"] and data["body"]
    ids = [item["id"] for item in data["body"] if "id" in item]
    assert len(ids) == len(set(ids))
    for item in data["body"]:
        assert item["type"] in FIELD_TYPES
        if item["type"] == "markdown":
            assert item["attributes"]["value"].strip()
        else:
            assert item["id"] and item["attributes"]["label"]
        if item["type"] == "dropdown":
            assert item["attributes"]["options"]


def framework() -> dict[str, Any]:
    doc, _ = load_bytes((REPO / "indicators/framework.yaml").read_bytes())
    return doc.data


def dropdown(form: str, field: str) -> list[str]:
    data = yaml.safe_load((REPO / ".github/ISSUE_TEMPLATE" / form).read_text(encoding="utf-8"))
    item = next(i for i in data["body"] if i.get("id") == field)
    return item["attributes"]["options"]


def test_the_indicator_form_offers_the_frameworks_pillars_and_layers():
    assert dropdown("propose-indicator.yml", "pillar") == [
        p["name"] for p in framework()["pillars"]
    ]
    layers = [layer["name"] for layer in framework().get("layers", [])]
    assert dropdown("propose-indicator.yml", "layer") == [*layers, "Not sure"]


def test_the_pull_request_checklist_names_the_check():
    text = (REPO / ".github/pull_request_template.md").read_text(encoding="utf-8")
    assert "`python build.py check --strict`" in text
    assert text.count("- [ ] ") >= 5
