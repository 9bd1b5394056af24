"""Safe YAML loading: YAML 1.2 typing, positions, and refusal of what data files must not hold."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scorecard import yamlsafe
from scorecard.yamlsafe import MAX_DEPTH, YamlFileError, YamlIssue, load_bytes


def load(text: str | bytes):
    """The data of a file that must load without any issue."""
    doc, issues = load_bytes(text.encode() if isinstance(text, str) else text)
    assert issues == []
    return doc.data


def refused(text: str | bytes) -> YamlIssue:
    """The issue of a file that must be refused."""
    with pytest.raises(YamlFileError) as caught:
        load_bytes(text.encode() if isinstance(text, str) else text)
    assert str(caught.value) == caught.value.issue.message
    return caught.value.issue


# -- YAML 1.1 surprises stay correct -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NO", "NO"),  # Norway's code, not false
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("2024-04-03", "2024-04-03"),  # not a date
        ("010", 10),  # not octal 8
        ("0o10", 8),  # YAML 1.2 octal
        ("0x1F", 31),
        ("12:30", "12:30"),  # not sexagesimal 750
        ("1_000", "1_000"),  # not 1000
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("-7", -7),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("3.774931316", 3.774931316),
        ("'12'", "12"),
        ('"true"', "true"),
    ],
)
def test_plain_scalars_use_yaml_1_2_core_typing(text, value):
    assert load(f"a: {text}\n") == {"a": value}


def test_nan_is_read_as_nan():
    assert math.isnan(load("a: .nan\n")["a"])


def test_explicit_standard_tags_are_honoured():
    assert load("a: !!str 10\nb: !!int '12'\nc: !!float '1.5'\nd: !!str NO\n") == {
        "a": "10",
        "b": 12,
        "c": 1.5,
        "d": "NO",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!bool yes\n", "'yes' is not true or false"),
        ("a: !!null nothing\n", "'nothing' is not null"),
        ("a: !!int 1.5\n", "'1.5' is not a whole number"),
        ("a: !!float abc\n", "'abc' is not a number"),
    ],
)
def test_explicit_tags_must_fit_their_value(text, message):
    assert refused(text) == YamlIssue(1, 4, ("a",), message)


def test_keys_are_always_text():
    assert load("1: a\ntrue: b\n~: c\n2024-01-01: d\n") == {
        "1": "a",
        "true": "b",
        "~": "c",
        "2024-01-01": "d",
    }


# -- positions -------------------------------------------------------------------------------


def test_positions_of_values_and_keys():
    doc, _ = load_bytes(b"iso3: FRA\nindicators:\n  gerd:\n    - value: 2.2\n      year: 2023\n")
    assert doc.values[("iso3",)] == (1, 7)
    assert doc.keys[("indicators", "gerd")] == (3, 3)
    assert doc.values[("indicators", "gerd", 0)] == (4, 7)
    assert doc.values[("indicators", "gerd", 0, "year")] == (5, 13)
    assert doc.position(("indicators", "gerd", 0, "year"), key=True) == (5, 7)
    # A path that is not in the file falls back to its nearest ancestor.
    assert doc.position(("indicators", "gerd", 0, "source")) == (4, 7)
    assert doc.position(("nothing",)) == (1, 1)


# -- duplicate keys -----------------------------------------------------------------------------


def test_duplicate_keys_are_reported_with_both_lines():
    doc, issues = load_bytes(b"a: 1\nb: 2\na: 3\n")
    assert issues == [
        YamlIssue(
            3,
            1,
            ("a",),
            "duplicate key 'a' (first defined on line 1)",
            "YAML keeps only one of them; delete or rename one",
        )
    ]
    assert doc.data == {"a": 1, "b": 2}  # the first stays; the duplicate is dropped


def test_duplicate_keys_in_nested_mappings():
    doc, issues = load_bytes(b"top:\n  x: 1\n  y: 2\n  x: 3\nother:\n  x: 4\n")
    assert [(i.line, i.column, i.path, i.message) for i in issues] == [
        (4, 3, ("top", "x"), "duplicate key 'x' (first defined on line 2)")
    ]
    assert doc.data == {"top": {"x": 1, "y": 2}, "other": {"x": 4}}


def test_quoted_and_plain_keys_are_the_same_key():
    _, issues = load_bytes(b"'a': 1\na: 2\n")
    assert [i.message for i in issues] == ["duplicate key 'a' (first defined on line 1)"]


def test_the_dropped_value_of_a_duplicate_is_not_checked_again():
    # Each repeat of 'a' is one problem; the keys inside the dropped values are not compared
    # with each other (that reported a spurious duplicate 'x' at a garbled path).
    doc, issues = load_bytes(b"a: {x: 1}\na: {x: 2}\na: {x: 3}\n")
    assert [(i.line, i.path, i.message) for i in issues] == [
        (2, ("a",), "duplicate key 'a' (first defined on line 1)"),
        (3, ("a",), "duplicate key 'a' (first defined on line 1)"),
    ]
    assert doc.data == {"a": {"x": 1}}
    assert doc.values[("a", "x")] == (1, 8)  # positions are those of the value kept


def test_problems_inside_a_dropped_duplicate_name_a_readable_path():
    assert refused("a: 1\na:\n  b: [&x 1]\n") == YamlIssue(
        3,
        7,
        ("a", "b", 0),
        "anchors (&name) are not allowed in data files",
        "write the value out in full instead of referring to an anchor",
    )


# -- refused constructs ---------------------------------------------------------------------

ANCHOR_TIP = "write the value out in full instead of referring to an anchor"


def test_anchors_are_refused():
    assert refused("a: &x 1\n") == YamlIssue(
        1, 4, ("a",), "anchors (&name) are not allowed in data files", ANCHOR_TIP
    )
    assert refused("a: &x {k: 1}\n").message == "anchors (&name) are not allowed in data files"


def test_aliases_are_refused():
    assert refused("a: [1]\nb: *x\n") == YamlIssue(
        2, 4, ("b",), "aliases (*name) are not allowed in data files", ANCHOR_TIP
    )
    assert refused("*x : 1\n") == YamlIssue(
        1, 1, (), "aliases (*name) are not allowed in data files", ANCHOR_TIP
    )


def test_merge_keys_are_refused():
    assert refused("base: {a: 1}\nx:\n  <<: {b: 2}\n") == YamlIssue(
        3, 3, ("x",), "merge keys (<<) are not allowed in data files"
    )


def test_a_quoted_merge_key_is_plain_text():
    assert load("'<<': 1\n") == {"<<": 1}


@pytest.mark.parametrize(
    ("text", "path", "tag"),
    [
        ("a: !!python/object:os.system {}\n", ("a",), "!!python/object:os.system"),
        ("a: !!python/name:os.system ''\n", ("a",), "!!python/name:os.system"),
        ("a: !!python/object/apply:os.system [ls]\n", ("a",), "!!python/object/apply:os.system"),
        ("a: !!binary aGVsbG8=\n", ("a",), "!!binary"),
        ("a: !!timestamp 2024-01-01\n", ("a",), "!!timestamp"),
        ("a: !!set {x, y}\n", ("a",), "!!set"),
        ("a: !custom 1\n", ("a",), "!custom"),
    ],
)
def test_other_tags_are_refused(text, path, tag):
    assert refused(text) == YamlIssue(1, 4, path, f"tag {tag} is not allowed")


def test_a_tag_directive_cannot_smuggle_a_python_object():
    text = "%TAG ! tag:yaml.org,2002:python/\n---\na: !object:os.system {}\n"
    assert refused(text) == YamlIssue(3, 4, ("a",), "tag !!python/object:os.system is not allowed")


def test_a_tag_on_a_key_is_refused():
    assert refused("!!python/object:os.system k: v\n") == YamlIssue(
        1, 1, (), "tag !!python/object:os.system is not allowed"
    )
    assert load("!!str 1: v\n") == {"1": "v"}


def test_a_collection_as_key_is_refused():
    assert refused("? [a]\n: 1\n") == YamlIssue(1, 3, (), "a key must be plain text")
    assert refused("x:\n  {a: 1}: 2\n") == YamlIssue(2, 3, ("x",), "a key must be plain text")


# -- encodings and characters ---------------------------------------------------------------


def test_bytes_that_are_not_utf8_are_located():
    assert refused(b"a: 1\nbb: caf\xe9\n") == YamlIssue(
        2, 8, (), "byte 0xe9 is not valid UTF-8", "save the file as UTF-8"
    )


def test_a_byte_order_mark_is_accepted():
    doc, issues = load_bytes(b"\xef\xbb\xbfa: 1\n")
    assert (doc.data, issues) == ({"a": 1}, [])
    assert doc.values[("a",)] == (1, 4)  # columns are not shifted by the mark


def test_utf8_text_is_kept():
    assert load("name: Côte d’Ivoire\n") == {"name": "Côte d’Ivoire"}


CONTROL_TIP = "remove the control character (it is often invisible in editors)"


def test_a_nul_character_is_located():
    assert refused(b"a: 1\nb: x\x00y\n") == YamlIssue(
        2, 5, (), "character U+0000 is not allowed in a YAML file", CONTROL_TIP
    )


def test_other_control_characters_are_refused():
    assert refused(b"a: \x07\n") == YamlIssue(
        1, 4, (), "character U+0007 is not allowed in a YAML file", CONTROL_TIP
    )


ESCAPE_TIP = "remove it (it is often invisible in editors), or its escape such as \\0 or \\e"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("\\0", "U+0000"),
        ("\\e[31m", "U+001B"),
        ("\\x7f", "U+007F"),
        ("\\x85", "U+0085"),
        ("\\uFEFF", "U+FEFF"),
        ("\\uFFFE", "U+FFFE"),
        ("\\U0010FFFF", "U+10FFFF"),
    ],
)
def test_control_characters_written_as_escapes_are_refused(written, code):
    assert refused(f'a: ok\nb: "x{written}y"\n') == YamlIssue(
        2, 4, ("b",), f"character {code} is not allowed in a YAML file", ESCAPE_TIP
    )
    assert (
        refused(f'"k{written}": 1\n').message == f"character {code} is not allowed in a YAML file"
    )


def test_tabs_newlines_and_a_leading_byte_order_mark_are_fine():
    assert load(b'\xef\xbb\xbfa: "x\\ty\\r\\nz"\n') == {"a": "x\ty\r\nz"}


def test_very_long_keys_are_refused():
    assert refused("? " + "k" * 1_001 + "\n: 1\n") == YamlIssue(
        1, 3, (), "key is 1,001 characters long; the limit is 1,000"
    )
    assert load("? " + "k" * 1_000 + "\n: 1\n") == {"k" * 1_000: 1}


def test_tab_indentation_gets_a_tip():
    assert refused("a:\n\tb: 1\n") == YamlIssue(
        2,
        1,
        (),
        "invalid YAML: while scanning for the next token found character that cannot start "
        "any token",
        "YAML does not allow tabs for indentation; use spaces",
    )


def test_syntax_errors_keep_pyyaml_s_own_position():
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.MarkedYAMLError) as pyyaml:
        yaml.safe_load(text)
    mark = pyyaml.value.problem_mark
    assert refused(text) == YamlIssue(
        mark.line + 1,
        mark.column + 1,
        (),
        "invalid YAML: while parsing a flow sequence did not find expected ',' or ']'",
    )


# -- documents, sizes and depth -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"), [("a: 1\n---\nb: 2\n", 2), ("---\na: 1\n---\nb: 2\n", 3)]
)
def test_one_document_per_file(text, line):
    assert refused(text) == YamlIssue(
        line,
        1,
        (),
        "a data file holds one YAML document",
        "remove the second '---' and what follows",
    )


def test_a_single_explicit_document_is_fine():
    assert load("---\na: 1\n...\n") == {"a": 1}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n  \n", "---\n"])
def test_an_empty_file_has_no_data(text):
    assert load(text) is None


def test_deep_nesting_is_refused_where_it_passes_the_limit():
    issue = refused("[" * 500)
    assert (issue.line, issue.column, issue.message) == (
        1,
        MAX_DEPTH + 1,
        f"structure nested too deeply (limit {MAX_DEPTH} levels)",
    )
    assert issue.path == (0,) * MAX_DEPTH


def test_very_deep_nesting_is_refused_not_crashed():
    # libyaml's own scanner may stop first (at 1,000 levels since 0.2.6): same message.
    issue = refused("[" * 100_000)
    assert issue.line == 1
    assert issue.message == f"structure nested too deeply (limit {MAX_DEPTH} levels)"


def test_deep_mappings_are_refused_too():
    text = "".join(f"{'  ' * depth}k:\n" for depth in range(200)) + "  " * 200 + "1\n"
    assert refused(text).message == f"structure nested too deeply (limit {MAX_DEPTH} levels)"


def test_nesting_up_to_the_limit_is_fine():
    nested = load("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH - 1):
        assert len(nested) == 1
        nested = nested[0]
    assert nested == []


def test_very_long_scalars_are_refused():
    assert refused("a: " + "x" * 20_001 + "\n") == YamlIssue(
        1, 4, ("a",), "value is 20,001 characters long; the limit is 20,000"
    )
    assert load("a: " + "x" * 20_000 + "\n") == {"a": "x" * 20_000}


def test_huge_files_are_refused():
    assert refused(b"#" * 1_000_001) == YamlIssue(
        0, 0, (), "file is 1,000,001 bytes; the limit is 1,000,000"
    )


def test_huge_integers():
    assert load("a: " + "9" * 300 + "\n") == {"a": int("9" * 300)}
    assert refused("a: " + "9" * 5000 + "\n") == YamlIssue(
        1, 4, ("a",), "number is 5,000 digits long; that cannot be right"
    )


# -- properties -------------------------------------------------------------------------------


def _accepts_or_refuses(raw: bytes) -> None:
    try:
        doc, issues = load_bytes(raw)
    except YamlFileError as exc:
        assert isinstance(exc.issue, YamlIssue)
        return
    assert all(isinstance(i, YamlIssue) for i in issues)
    assert doc.data is None or isinstance(doc.data, dict | list | str | int | float | bool)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_either_load_or_raise_yaml_file_error(raw):
    _accepts_or_refuses(raw)


# The characters YAML's syntax is made of, plus a BOM, a non-ASCII letter and NUL.
YAMLISH = st.text(
    alphabet=st.sampled_from([*"ab01 :-?[]{},#&*!|>'\"%@`\\\n\t.~", "\ufeff", "é", "\x00"]),
    max_size=80,
)


@given(YAMLISH)
def test_arbitrary_yaml_like_text_either_loads_or_raises_yaml_file_error(text):
    _accepts_or_refuses(text.encode("utf-8"))


# Text that YAML 1.2 reads as something else. PyYAML writes some of it unquoted because it
# follows YAML 1.1 (see test_pyyaml_writes_some_yaml_1_2_numbers_unquoted), so leave it out.
_TYPED = re.compile(
    r"(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))"
)
# PyYAML's emitter folds the Unicode line breaks NEL, LS and PS in quoted text into spaces
# (yaml.safe_load does not get them back either), so they are left out too; so are the
# characters no value may hold (control characters, noncharacters and the bidirectional
# controls: see below, and yamlsafe.refused_character).
_NONCHARACTERS = "".join(chr(p * 0x10000 + 0xFFFE) + chr(p * 0x10000 + 0xFFFF) for p in range(17))
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs"),
    include_characters="\t\n\r",
    exclude_characters="\u2028\u2029\ufeff"
    + _NONCHARACTERS
    + _BIDI_CONTROLS
    + "".join(map(chr, range(0xFDD0, 0xFDF0))),
)
TEXT = st.text(_CHARS, max_size=20).filter(lambda s: not _TYPED.fullmatch(s))
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT


def _nested(depth: int) -> st.SearchStrategy:
    if depth == 0:
        return SCALARS
    inner = _nested(depth - 1)
    keys = st.text(_CHARS, max_size=10)
    return SCALARS | st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4)


@given(_nested(4))
def test_safe_dumped_structures_load_back_unchanged(value):
    assert load(yaml.safe_dump(value, allow_unicode=True)) == value


def test_pyyaml_writes_some_yaml_1_2_numbers_unquoted():
    # A known difference, documented here: PyYAML quotes text by YAML 1.1 rules, so these
    # strings are written plain and YAML 1.2 (this loader, like editors) reads numbers.
    assert yaml.safe_dump({"a": "0o10", "b": "1e3"}) == "a: 0o10\nb: 1e3\n"
    assert load(yaml.safe_dump({"a": "0o10", "b": "1e3"})) == {"a": 8, "b": 1000.0}


BIDI_TIP = (
    "remove it (it is invisible in most editors); right-to-left text needs no control characters"
)


@pytest.mark.parametrize(
    "code", [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]
)
def test_bidirectional_controls_are_refused_raw_or_escaped(code):
    message = (
        f"character U+{code:04X} is not allowed: a bidirectional control makes text display "
        "in another order than it is written"
    )
    for written in (chr(code), f"\\u{code:04x}"):
        assert refused(f'a: "x{written}y"\n'.encode()) == YamlIssue(1, 4, ("a",), message, BIDI_TIP)


def test_right_to_left_text_and_its_marks_are_kept():
    text = "name: الإمارات العربية المتحدة\u200f\nnote: \u200eשלום\n"
    assert load(text) == {"name": "الإمارات العربية المتحدة\u200f", "note": "\u200eשלום"}


def test_text_that_is_printable_holds_no_refused_character():
    """_check_text skips its searches for printable text: no refused character may be
    printable, in any plane (the searches must stay the only judge)."""
    refused = [
        cp
        for cp in range(0x110000)
        if yamlsafe._FORBIDDEN.match(chr(cp)) or yamlsafe._BIDI_CONTROLS.match(chr(cp))
    ]
    assert len(refused) > 2000  # controls, surrogates, noncharacters, BOM, bidi controls
    assert [cp for cp in refused if chr(cp).isprintable()] == []


# -- the quick reading and the recording one agree --------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def _outcome(load: Callable[[str], tuple[yamlsafe.Document, list[YamlIssue]]], text: str):
    """What a loader makes of `text`: its refusal, or its data (NaN compared as text), every
    value's and key's position and its issues."""
    try:
        doc, issues = load(text)
    except YamlFileError as exc:
        return ("refused", exc.issue)
    return (repr(doc.data), doc.values, doc.keys, issues)


def _load_quickly(text: str) -> tuple[yamlsafe.Document, list[YamlIssue]]:
    return load_bytes(text.encode("utf-8"))


def _agree(text: str) -> None:
    quick = _outcome(_load_quickly, text)
    assert quick == _outcome(yamlsafe._load_recording, text.removeprefix("\ufeff"))
    if quick[0] != "refused":  # what the quick reading recorded is what the other one did
        doc, _ = load_bytes(text.encode("utf-8"))
        recorded = dict(doc._values)
        assert recorded == {p: at for p, at in doc.values.items() if p in recorded}


# Fragments of the constructs either reader refuses or types specially, to be shuffled.
_FRAGMENTS = st.sampled_from(
    [
        "a: 1\n",
        "a: 2\n",
        "b:\n",
        "  - x\n",
        "  - [1, 2]\n",
        "  c: 3\n",
        "  c: 4\n",
        "'a': q\n",
        "<<: {}\n",
        "'<<': 1\n",
        "d: &x 1\n",
        "e: *x\n",
        "f: !!str 10\n",
        "g: !!int x\n",
        "h: !custom 1\n",
        "? [k]\n: v\n",
        "i: {j: 1, j: 2}\n",
        'k: "\\0"\n',
        'l: "\\e"\n',
        "m: .nan\n",
        "n: 0x1F\n",
        "o: NO\n",
        "---\n",
        "p: |\n  text\n",
        "q: '12'\n",
        "r: 12\n",
        "s: ! 12\n",
        "t: !!null ~\n",
        "u: !!map {}\n",
        "v: !!seq []\n",
        "w: [[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "\ty: 1\n",
        "z: \u202e\n",
        "  - a: 1\n    a: 2\n",
        "- 1\n",
        "x: " + "9" * 5000 + "\n",
        "k" * 1001 + ": 1\n",
    ]
)


@given(st.lists(_FRAGMENTS, max_size=8).map("".join))
def test_the_quick_reading_agrees_with_the_recording_one(text):
    _agree(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("flow", [True, False])
def test_the_quick_reading_agrees_at_the_depth_limit(depth, flow):
    if flow:
        text = "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"
    else:
        keys = "".join(f"{'  ' * level}k{level}:\n" for level in range(depth))
        text = keys + "  " * depth + "v\n"
    _agree(text)


@given(YAMLISH)
def test_the_quick_reading_agrees_on_arbitrary_yaml_like_text(text):
    _agree(text)


@pytest.mark.parametrize(
    "text",
    [
        "k" * yamlsafe.MAX_KEY_CHARS + ": 1\n",
        "k" * (yamlsafe.MAX_KEY_CHARS + 1) + ": 1\n",
        "a: " + "v" * yamlsafe.MAX_SCALAR_CHARS + "\n",
        "a: " + "v" * (yamlsafe.MAX_SCALAR_CHARS + 1) + "\n",
        "a: 1\n---\nb: 2\n",
        "a: '\u202e'\n",
        "a: [1, 2]\nb: 2\na: 3\n",
    ],
    ids=["key", "key-over", "value", "value-over", "two-documents", "bidi", "duplicate"],
)
def test_the_quick_reading_agrees_at_each_limit(text):
    _agree(text)


def _project_yaml() -> list[Path]:
    return sorted(
        [
            *(REPO / "indicators").rglob("*.yaml"),
            *(REPO / "tests").rglob("*.yaml"),
        ]
    )


@pytest.mark.parametrize("path", _project_yaml(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_quick_reading_agrees_on_every_file_of_the_project(path):
    try:
        text = yamlsafe._decode(path.read_bytes())
    except YamlFileError:
        return  # refused before either reader runs (size, UTF-8)
    _agree(text)


def test_only_a_question_for_a_scalar_or_key_reads_the_file_again(monkeypatch):
    doc, issues = load_bytes(b"iso3: FRA\nindicators:\n  gerd:\n    - value: 2.2\n")
    assert issues == []
    reads = []
    recording = yamlsafe._load_recording
    monkeypatch.setattr(yamlsafe, "_load_recording", lambda t: reads.append(t) or recording(t))
    assert doc.position(("indicators", "gerd", 0)) == (4, 7)  # a mapping's: known already
    assert reads == []
    assert doc.position(("indicators", "gerd", 0, "value")) == (4, 14)
    assert doc.position(("iso3",), key=True) == (1, 1)
    assert len(reads) == 1  # once, then everything is known
