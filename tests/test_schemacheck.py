"""The fast schema check agrees with jsonschema on every file and on generated variations.

validate asks schemacheck first and jsonschema only for the files it rejects, so a file the
fast check wrongly accepted would lose its error messages. These tests compare both on the
real data, the fixtures, and many mutations of them (values of every JSON type put at every
place, fields removed, unknown fields added).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard import schemacheck, validate
from scorecard.yamlsafe import load_bytes

from .conftest import FIXTURE, REPO

KINDS = {
    "framework.yaml": "framework.schema.json",
    "sources.yaml": "sources.schema.json",
}


def schema_for(path: Path) -> str:
    if path.name in KINDS:
        return KINDS[path.name]
    return "spotlight.schema.json" if path.parent.name == "spotlights" else "country.schema.json"


def data_files() -> list[Path]:
    roots = [REPO / "indicators", FIXTURE]
    found = []
    for root in roots:
        found += [root / "framework.yaml", root / "sources.yaml"]
        found += sorted((root / "countries").glob("*.yaml"))  # the template too
        found += sorted((root / "spotlights").glob("*.yaml"))
    return found


DOCUMENTS = [(p, schema_for(p), load_bytes(p.read_bytes())[0].data) for p in data_files()]


def jsonschema_valid(schema: str, data: Any) -> bool:
    return not any(validate._validator(schema).iter_errors(data))


def fast_valid(schema: str, data: Any) -> bool:
    check = validate._accepts(schema)
    assert check is not None, f"{schema} uses a keyword schemacheck does not know"
    return check(data)


@pytest.mark.parametrize("schema", sorted(validate._schemas()))
def test_every_project_schema_compiles(schema):
    assert schemacheck.compile_schema(validate._schemas(), schema) is not None


@pytest.mark.parametrize(("path", "schema", "data"), DOCUMENTS, ids=lambda v: str(v)[-40:])
def test_agrees_on_every_data_file(path, schema, data):
    assert fast_valid(schema, data) == jsonschema_valid(schema, data)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3000)
    | st.sampled_from([0.5, 1.0, -1.0, 1e300, math.inf, math.nan, 2024.0])
    | st.sampled_from(["", "x", "KOR", "KOR\n", "Asia", "log", "none", "https://example.org/a"])
    | st.sampled_from(["2024-01", "2024-01\n", "a_b", "a_b\n", "top500-2025-06"])
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["value", "year", "source", "id", "zz"]), children, max_size=3
        )
    ),
    max_leaves=6,
)


def places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value in `node`, the root included."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += places(value, (*path, index))
    return found


def mutate(data: Any, path: tuple, action: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last]["unknown_field"] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = value
    return data


@settings(max_examples=400)
@given(
    document=st.sampled_from(DOCUMENTS),
    choice=st.integers(0, 10_000),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=JSON,
)
def test_agrees_on_mutated_files(document, choice, action, value):
    _, schema, data = document
    spots = places(data)
    changed = mutate(data, spots[choice % len(spots)], action, value)
    assert fast_valid(schema, changed) == jsonschema_valid(schema, changed)


def test_an_unknown_keyword_falls_back_to_jsonschema():
    schemas = {"a.json": {"type": "object", "dependencies": {"a": ["b"]}}}
    assert schemacheck.compile_schema(schemas, "a.json") is None


def test_draft7_details():
    schemas = {
        "a.json": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {"n": {"type": "integer", "minimum": 0}},
            "type": "object",
            "properties": {
                "n": {"$ref": "#/definitions/n", "maximum": -5},  # $ref's siblings: ignored
                "e": {"enum": [1, "x"]},
                "u": {"type": "array", "uniqueItems": True},
                "o": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            },
            "additionalProperties": False,
        }
    }
    check = schemacheck.compile_schema(schemas, "a.json")
    assert check is not None
    assert check({"n": 3.0})  # an integral float is an integer in draft 7
    assert not check({"n": True})  # a boolean is not
    assert check({"e": 1.0}) and not check({"e": True})  # 1.0 == 1, but true != 1
    assert check({"u": [1, True]}) and not check({"u": [1, 1.0]})
    assert not check({"o": 2}) and check({"o": 2.5})  # oneOf: exactly one
    assert not check({"zz": 1})
    assert check({"n": math.nan}) == jsonschema_like({"n": math.nan}, schemas)


def test_recursive_references_and_objects_checked_in_one_pass():
    # A tree: a node refers to itself (the reference is looked up when checking), and an
    # object's properties, additionalProperties (a schema, and patterns) and required are
    # checked together.
    schemas = {
        "a.json": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
                    },
                    "patternProperties": {"^x-": {"type": "integer"}},
                    "additionalProperties": {"type": "boolean"},
                    "required": ["name"],
                }
            },
            "$ref": "#/definitions/node",
        }
    }
    check = schemacheck.compile_schema(schemas, "a.json")
    assert check is not None
    cases = [
        {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]},
        {"name": "a", "children": [{"name": "b", "children": [{"nom": "c"}]}]},  # required
        {"name": "a", "children": [{"name": 1}]},
        {"name": "a", "x-n": 2, "flag": True},
        {"name": "a", "x-n": "2"},  # pattern property: an integer
        {"name": "a", "flag": 1},  # additional property: a boolean
        {"name": "a", "x-n": True},  # matches the pattern, so not additional: not an integer
        ["name"],
    ]
    assert [check(case) for case in cases] == [jsonschema_like(c, schemas) for c in cases]
    assert [check(case) for case in cases] == [True, False, False, True, False, False, False, False]


def jsonschema_like(data: Any, schemas: dict[str, Any]) -> bool:
    import jsonschema
    from referencing import Registry, Resource

    resources = [(key, Resource.from_contents(schema)) for key, schema in schemas.items()]
    registry = Registry().with_resources(resources)
    validator = jsonschema.Draft7Validator(registry.contents("a.json"), registry=registry)
    return not any(validator.iter_errors(data))


@pytest.mark.parametrize(("path", "schema", "data"), DOCUMENTS, ids=lambda v: str(v)[-40:])
def test_agrees_on_a_final_newline(path, schema, data):
    """JSON Schema's `$` is the end of the text: "KOR\\n" breaks "^[A-Z]{3}$"."""
    texts = [p for p in places(data) if p and isinstance(value_at(data, p), str)]
    for place in texts[:: max(1, len(texts) // 40)]:
        changed = mutate(data, place, "replace", value_at(data, place) + "\n")
        assert fast_valid(schema, changed) == jsonschema_valid(schema, changed), place


def value_at(data: Any, place: tuple) -> Any:
    for part in place:
        data = data[part]
    return data
