"""A fast yes-or-no answer to "does this document satisfy its JSON Schema?".

jsonschema explains every violation, which the contributor reads (validate._explain), but it
takes ~17 ms for a country file. Nearly every file of a build is valid, so validate asks this
checker first and calls jsonschema only for the files it rejects; the messages are therefore
exactly jsonschema's. The checker compiles a schema into nested closures once and is about
50 times faster.

It understands the draft-07 keywords the project's schemas use. A schema that uses any other
keyword (or a form of one it does not know, such as `items` as a list) is not compiled:
`compile_schema` returns None and jsonschema checks every file. tests/test_schemacheck.py
asserts that the two agree on every data file and on hundreds of generated variations.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

Check = Callable[[Any], bool]
Schemas = Mapping[str, Any]  # file name (e.g. country.schema.json) -> parsed schema

# Keywords that never reject anything (draft-07 asserts `format` only when asked to, and
# validate does not ask).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "definitions",
        "format",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)


class _Unsupported(Exception):
    """The schema uses something this checker does not implement."""


def compile_schema(
    schemas: Schemas, name: str, *, regex: Callable[[str], re.Pattern[str]] = re.compile
) -> Check | None:
    """A function telling whether a document satisfies schema `name`; None if unsupported.

    `regex` compiles the `pattern` keyword's expressions, as the jsonschema validator it
    stands in for does (validate gives `$` its JSON Schema meaning: the end of the text).
    """
    try:
        return _Compiler(schemas, regex).compile(schemas[name], name)
    except _Unsupported:
        return None


class _Compiler:
    def __init__(self, schemas: Schemas, regex: Callable[[str], re.Pattern[str]]):
        self.schemas = schemas
        self.regex = regex
        self.refs: dict[tuple[str, str], Check] = {}
        self.compiling: set[tuple[str, str]] = set()  # references being compiled

    def compile(self, schema: Any, doc: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _Unsupported(f"schema {schema!r}")
        if "$ref" in schema:  # draft-07: a $ref's siblings are ignored
            return self._ref(schema["$ref"], doc)
        checks = []
        fused = self._object(schema, doc)
        if fused is not None:
            checks.append(fused)
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("then", "else"):
                continue
            if fused is not None and keyword in _FUSED:
                continue
            build = getattr(self, "_k_" + keyword, None)
            if build is None:
                raise _Unsupported(keyword)
            checks.append(build(value, schema, doc))
        return _all(checks)

    def _object(self, schema: dict, doc: str) -> Check | None:
        """`type: object` with its `properties`, `additionalProperties` and `required`, in
        one pass over the instance's keys instead of one each (most of a data file is
        such objects); None when the schema is not `type: object`."""
        if schema.get("type") != "object":
            return None
        checks = {
            name: self.compile(sub, doc) for name, sub in schema.get("properties", {}).items()
        }
        patterns = "|".join(schema.get("patternProperties", {}))
        additional = schema.get("additionalProperties", True)
        extra = self.compile(additional, doc) if isinstance(additional, dict) else None
        closed = additional is False
        required = list(schema.get("required", []))

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return False
            for key, item in instance.items():
                one = checks.get(key)
                if one is not None:
                    if not one(item):
                        return False
                elif not (patterns and re.search(patterns, key)):  # noqa: SIM102
                    if closed or (extra is not None and not extra(item)):
                        return False
            for name in required:  # noqa: SIM110 - a plain loop: this runs for every object
                if name not in instance:
                    return False
            return True

        return check

    # -- references ---------------------------------------------------------------------------

    def _ref(self, ref: str, doc: str) -> Check:
        target, _, pointer = ref.partition("#")
        key = (target or doc, pointer)
        if key not in self.refs:
            if key[0] not in self.schemas:
                raise _Unsupported(f"$ref {ref}")
            self.refs[key] = _never  # placeholder while compiling a recursive reference
            self.compiling.add(key)
            compiled = self.compile(_resolve(self.schemas[key[0]], pointer), key[0])
            self.compiling.discard(key)
            self.refs[key] = compiled
        if key not in self.compiling:
            return self.refs[key]  # compiled: checked directly
        refs = self.refs  # a reference to itself, from inside: looked up when checking
        return lambda instance: refs[key](instance)

    # -- keywords (each returns a check of one instance) -------------------------------------
    # Comparisons are written as jsonschema writes its errors (`instance < minimum` fails), so
    # that NaN is treated alike.

    def _k_type(self, value: Any, schema: dict, doc: str) -> Check:
        names = [value] if isinstance(value, str) else value
        tests = [_TYPES[name] for name in names]
        if len(tests) == 1:
            return tests[0]
        return lambda instance: any(test(instance) for test in tests)

    def _k_enum(self, value: Any, schema: dict, doc: str) -> Check:
        return lambda instance: any(_equal(each, instance) for each in value)

    def _k_const(self, value: Any, schema: dict, doc: str) -> Check:
        return lambda instance: _equal(instance, value)

    def _k_properties(self, value: dict, schema: dict, doc: str) -> Check:
        checks = {name: self.compile(sub, doc) for name, sub in value.items()}

        def check(instance: Any) -> bool:
            if isinstance(instance, dict):
                for key, item in instance.items():
                    check = checks.get(key)
                    if check is not None and not check(item):
                        return False
            return True

        return check

    def _k_required(self, value: list, schema: dict, doc: str) -> Check:
        return lambda instance: (
            not isinstance(instance, dict) or all(name in instance for name in value)
        )

    def _k_additionalProperties(self, value: Any, schema: dict, doc: str) -> Check:
        known = schema.get("properties", {})
        patterns = "|".join(schema.get("patternProperties", {}))
        extra = self.compile(value, doc) if isinstance(value, dict) else None

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            for key in instance:
                if key in known or (patterns and re.search(patterns, key)):
                    continue
                if extra is None:
                    if not value:  # additionalProperties: false
                        return False
                elif not extra(instance[key]):
                    return False
            return True

        return check

    def _k_patternProperties(self, value: dict, schema: dict, doc: str) -> Check:
        checks = [(re.compile(p), self.compile(sub, doc)) for p, sub in value.items()]

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            return all(c(v) for rx, c in checks for k, v in instance.items() if rx.search(k))

        return check

    def _k_propertyNames(self, value: Any, schema: dict, doc: str) -> Check:
        names = self.compile(value, doc)
        return lambda instance: not isinstance(instance, dict) or all(map(names, instance))

    def _k_items(self, value: Any, schema: dict, doc: str) -> Check:
        if isinstance(value, list):
            raise _Unsupported("items as a list")
        each = self.compile(value, doc)

        def check(instance: Any) -> bool:
            if isinstance(instance, list):
                for item in instance:
                    if not each(item):
                        return False
            return True

        return check

    def _k_minItems(self, value: int, schema: dict, doc: str) -> Check:
        return lambda instance: not isinstance(instance, list) or len(instance) >= value

    def _k_maxItems(self, value: int, schema: dict, doc: str) -> Check:
        return lambda instance: not isinstance(instance, list) or len(instance) <= value

    def _k_uniqueItems(self, value: bool, schema: dict, doc: str) -> Check:
        if not value:
            return _always
        return lambda instance: not isinstance(instance, list) or _unique(instance)

    def _k_minLength(self, value: int, schema: dict, doc: str) -> Check:
        return lambda instance: not isinstance(instance, str) or len(instance) >= value

    def _k_maxLength(self, value: int, schema: dict, doc: str) -> Check:
        return lambda instance: not isinstance(instance, str) or len(instance) <= value

    def _k_pattern(self, value: str, schema: dict, doc: str) -> Check:
        search = self.regex(value).search
        return lambda instance: not isinstance(instance, str) or search(instance) is not None

    def _k_minimum(self, value: float, schema: dict, doc: str) -> Check:
        return lambda instance: not _is_number(instance) or not instance < value

    def _k_maximum(self, value: float, schema: dict, doc: str) -> Check:
        return lambda instance: not _is_number(instance) or not instance > value

    def _k_exclusiveMinimum(self, value: float, schema: dict, doc: str) -> Check:
        return lambda instance: not _is_number(instance) or not instance <= value

    def _k_exclusiveMaximum(self, value: float, schema: dict, doc: str) -> Check:
        return lambda instance: not _is_number(instance) or not instance >= value

    def _k_allOf(self, value: list, schema: dict, doc: str) -> Check:
        return _all([self.compile(sub, doc) for sub in value])

    def _k_anyOf(self, value: list, schema: dict, doc: str) -> Check:
        checks = [self.compile(sub, doc) for sub in value]
        return lambda instance: any(c(instance) for c in checks)

    def _k_oneOf(self, value: list, schema: dict, doc: str) -> Check:
        checks = [self.compile(sub, doc) for sub in value]

        def check(instance: Any) -> bool:
            found = False
            for one in checks:
                if one(instance):
                    if found:
                        return False  # a second match: no need to try the rest
                    found = True
            return found

        return check

    def _k_not(self, value: Any, schema: dict, doc: str) -> Check:
        inner = self.compile(value, doc)
        return lambda instance: not inner(instance)

    def _k_if(self, value: Any, schema: dict, doc: str) -> Check:
        condition = self.compile(value, doc)
        then = self.compile(schema.get("then", True), doc)
        otherwise = self.compile(schema.get("else", True), doc)
        return lambda instance: then(instance) if condition(instance) else otherwise(instance)


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(instance: Any) -> bool:
        for one in checks:  # noqa: SIM110 - a plain loop: this runs for every value
            if not one(instance):
                return False
        return True

    return check


def _resolve(document: Any, pointer: str) -> Any:
    """The part of `document` a JSON pointer ("/definitions/source") names."""
    node = document
    for part in pointer.split("/")[1:] if pointer else []:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise _Unsupported(f"pointer {pointer}")
    return node


# -- draft-07 types and equality, as jsonschema defines them ----------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "null": lambda v: v is None,
    "number": _is_number,
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}

# Keywords _Compiler._object checks together, for a schema of `type: object`.
_FUSED = frozenset({"type", "properties", "additionalProperties", "required"})

_TRUE, _FALSE = object(), object()


def _unbool(value: Any) -> Any:
    """Keep true apart from 1 and false apart from 0 (jsonschema's `unbool`)."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def _equal(one: Any, two: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 (jsonschema's `equal`)."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    return bool(_unbool(one) == _unbool(two))


def _unique(items: list[Any]) -> bool:
    """jsonschema's `uniq`: neighbours after sorting, or every pair when unsortable."""
    try:
        ordered = sorted(_unbool(i) for i in items)
        return not any(map(_equal, ordered, itertools.islice(ordered, 1, None)))
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for item in map(_unbool, items):
            if any(_equal(s, item) for s in seen):
                return False
            seen.append(item)
        return True
