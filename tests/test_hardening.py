# ruff: noqa: E501 (the expected messages are kept whole, one a line)
"""Hostile data files: each is refused with its place, exit status 1, and nothing written.

The corpus is tests/hostile/ (its README says what each case attacks). Every case is run
through `build.py check` and `build.py build` over an already built site: the answer is the
exact message below, no traceback, and not one file or folder changes anywhere in the
temporary folder (so nothing was written outside the output folder either).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.cli import main
from scorecard.errors import Problem, ScorecardError
from scorecard.validate import load_dataset

from .conftest import FIXTURE, REPO, TODAY, edit, tree

HOSTILE = Path(__file__).resolve().parent / "hostile"
F = "indicators/countries/FRA.yaml"
FW = "indicators/framework.yaml"

BIDI = (
    "character U+%s is not allowed: a bidirectional control makes text display in another "
    "order than it is written"
)

# What check and build print for each file of tests/hostile/countries/, installed as FRA.yaml:
# every error line (tips left out), in order.
CASES: dict[str, str | tuple[str, ...]] = {
    "billion-laughs.yaml": f"{F}:2:7: error: lol0: anchors (&name) are not allowed in data files",
    "binary-tag.yaml": f"{F}:3:7: error: name: tag !!binary is not allowed",
    "binary.yaml": f"{F}:1:1: error: byte 0x89 is not valid UTF-8",
    "bom-inside-value.yaml": f"{F}:3:7: error: name: character U+FEFF is not allowed in a YAML file",
    "bom-then-error.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: expected a number, got text '90'",
    "comment-only.yaml": f"{F}: error: file is empty (or holds only comments)",
    "custom-tag.yaml": f"{F}:36:15: error: indicators.internet_users[0].source: tag !ref is not allowed",
    "date-future.yaml": f"{F}:40:19: error: indicators.internet_users[0].source.accessed: '2999-01-01' is in the future",
    "date-impossible.yaml": f"{F}:40:20: error: indicators.internet_users[0].source.published: '2024-02-30' is not a real date",
    "date-month-13.yaml": f"{F}:40:20: error: indicators.internet_users[0].source.published: '2024-13' is not a real date",
    "date-words.yaml": (
        f"{F}:40:19: error: indicators.internet_users[0].source.accessed: 'yesterday' is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)",
        f"{F}:40:19: error: indicators.internet_users[0].source.accessed: text 'yesterday' is not in the expected form (e.g. 2026-01-26)",
    ),
    "deep-block.yaml": f"{F}:70:49: error: k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k21.k22.k23: structure nested too deeply (limit 24 levels)",
    "deep-flow.yaml": f"{F}:5:1011: error: structure nested too deeply (limit 24 levels)",
    "empty.yaml": f"{F}: error: file is empty (or holds only comments)",
    "escaped-controls.yaml": f"{F}:3:7: error: name: character U+001B is not allowed in a YAML file",
    "indicator-id-fullwidth.yaml": (
        f"{F}:33:3: error: indicators.ｉnternet_users: 'ｉnternet_users' is not a valid id (lower-case letters, digits and '_')",
        f"{F}:33:3: error: indicators.ｉnternet_users: unknown indicator 'ｉnternet_users'",
    ),
    "indicator-id-traversal.yaml": (
        f"{F}:33:3: error: indicators.../../internet_users: '../../internet_users' is not a valid id (lower-case letters, digits and '_')",
        f"{F}:33:3: error: indicators.../../internet_users: unknown indicator '../../internet_users'",
    ),
    "iso3-absolute.yaml": (
        f"{F}:2:7: error: iso3: '/etc/cron.d/pwned' does not match the file name 'FRA.yaml'",
        f"{F}:2:7: error: iso3: text '/etc/cron.d/pwned' is not in the expected form (e.g. KOR)",
    ),
    "iso3-fullwidth.yaml": (
        f"{F}:2:7: error: iso3: 'ＦＲＡ' does not match the file name 'FRA.yaml'",
        f"{F}:2:7: error: iso3: text 'ＦＲＡ' is not in the expected form (e.g. KOR)",
    ),
    "iso3-newline.yaml": (
        f"{F}:2:7: error: iso3: 'FRA\\n' does not match the file name 'FRA.yaml'",
        f"{F}:2:7: error: iso3: text 'FRA\\n' is not in the expected form (e.g. KOR)",
    ),
    "iso3-rtl-override.yaml": f"{F}:2:7: error: iso3: {BIDI % '202E'}",
    "iso3-traversal.yaml": (
        f"{F}:2:7: error: iso3: '../../../../tmp/pwned' does not match the file name 'FRA.yaml'",
        f"{F}:2:7: error: iso3: text '../../../../tmp/pwned' is not in the expected form (e.g. KOR)",
    ),
    "latin1.yaml": f"{F}:3:8: error: byte 0xf4 is not valid UTF-8",
    "long-key.yaml": f"{F}:46:3: error: key is 1,001 characters long; the limit is 1,000",
    "long-line.yaml": f"{F}:5:24013: error: subregion[8000]: anchors (&name) are not allowed in data files",
    "long-string.yaml": f"{F}:46:12: error: narrative: value is 20,001 characters long; the limit is 20,000",
    "merge-key.yaml": f"{F}:17:11: error: defaults: anchors (&name) are not allowed in data files",
    "missing-key-traversal.yaml": (
        f"{F}:47:3: error: missing./etc/passwd: '/etc/passwd' is not a valid id (lower-case letters, digits and '_')",
        f"{F}:47:3: error: missing./etc/passwd: unknown indicator '/etc/passwd'",
    ),
    "noncharacter.yaml": f"{F}:5:12: error: subregion: character U+FFFE is not allowed in a YAML file",
    "not-a-mapping.yaml": f"{F}:2:1: error: expected a mapping of fields, got a list",
    "nul.yaml": f"{F}:3:10: error: character U+0000 is not allowed in a YAML file",
    "python-name.yaml": f"{F}:3:7: error: name: tag !!python/name:os.system is not allowed",
    "python-object-apply.yaml": f"{F}:5:12: error: subregion: tag !!python/object/apply:os.system is not allowed",
    "source-id-newline.yaml": (
        f"{F}:36:15: error: indicators.internet_users[0].source: text 'itu-2024\\n' is not in the expected form (pattern ^[a-z0-9][a-z0-9-]*$)",
        f"{F}:36:15: error: indicators.internet_users[0].source: unknown source 'itu-2024\\n' (not in sources.yaml)",
    ),
    "source-id-rtl-override.yaml": f"{F}:36:15: error: indicators.internet_users[0].source: {BIDI % '202E'}",
    "note-formula.yaml": f"{F}:37:13: error: indicators.internet_users[0].note: text starting with '=' would run as a formula when the CSV downloads are opened in a spreadsheet",
    "note-bidi-isolate.yaml": f"{F}:37:13: error: indicators.internet_users[0].note: {BIDI % '2067'}",
    "tabs.yaml": f"{F}:20:1: error: invalid YAML: while scanning a plain scalar found a tab character that violates indentation",
    "tag-directive.yaml": f"{F}:5:7: error: name: tag !!python/object/apply:os.system is not allowed",
    "two-documents.yaml": f"{F}:46:1: error: a data file holds one YAML document",
    "url-data.yaml": f"{F}:39:14: error: indicators.internet_users[0].source.url: 'data:text/html,<script>alert(1)</script>': only http and https addresses are allowed, not 'data:'",
    "url-javascript.yaml": f"{F}:39:14: error: indicators.internet_users[0].source.url: 'javascript:alert(1)': only http and https addresses are allowed, not 'javascript:'",
    "url-no-host.yaml": f"{F}:39:14: error: indicators.internet_users[0].source.url: 'https:///etc/passwd' has no valid host name",
    "url-protocol-relative.yaml": f"{F}:39:14: error: indicators.internet_users[0].source.url: '//evil.example/x' is not a web address (expected https://…)",
    "utf16.yaml": f"{F}:1:1: error: byte 0xff is not valid UTF-8",
    "value-1e999.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: inf is not a finite number",
    "value-5000-digits.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: number is 5,000 digits long; that cannot be right",
    "value-boolean.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: expected a number, got true (true/false)",
    "value-huge-integer.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: a 401-digit number is too large (numbers in data files are at most 1e15)",
    "value-inf.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: -inf is not a finite number",
    "value-nan.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: nan is not a finite number",
    "value-numeric-string.yaml": f"{F}:34:14: error: indicators.internet_users[0].value: expected a number, got text '90'",
    "value-thousands.yaml": f"{F}:30:14: error: indicators.developers[0].value: expected a number, got text '250,000'",
    "year-date.yaml": f"{F}:35:13: error: indicators.internet_users[0].year: expected a whole number, got text '2024-01-01'",
    "year-float.yaml": f"{F}:35:13: error: indicators.internet_users[0].year: expected a whole number, got the number 2024.5",
    "year-future.yaml": f"{F}:35:13: error: indicators.internet_users[0].year: year 9999 is in the future",
    "year-string.yaml": f"{F}:35:13: error: indicators.internet_users[0].year: expected a whole number, got text '2024'",
}


def test_every_corpus_file_has_a_case_and_a_line_in_the_readme():
    files = sorted(p.name for p in (HOSTILE / "countries").iterdir())
    assert files == sorted(CASES)
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert [f for f in files if f"`{f}`" not in readme] == []


# -- running a case -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project (the small fixture, the real templates) with its site already built."""
    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(FIXTURE, root / "indicators")
    for name in ("templates", "static", "locales"):
        (root / name).symlink_to(REPO / name, target_is_directory=True)
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")
    assert main(["build", "-q"], project=root) == 0
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built project in tmp_path, run from its root."""
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file, folder and link under `folder`: kind, size and modification time."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        state[path.relative_to(folder).as_posix()] = (kind, info.st_size, info.st_mtime_ns)
    return state


def refused(project: Path, capsys: pytest.CaptureFixture) -> list[str]:
    """Run check, then build; both must fail alike and change nothing. The error lines."""
    scene = project.parent
    before = snapshot(scene)
    results = []
    for argv in (["check"], ["build"]):
        status = main(argv, project=project)
        out, err = capsys.readouterr()
        assert (status, out) == (1, ""), err
        assert "Traceback" not in err
        assert re.fullmatch(
            r"\d+ errors? and \d+ warnings? in \d+ files? \(\d+ checked\)", err.splitlines()[-1]
        )
        results.append(err)
    check, build = results
    assert build == check
    assert snapshot(scene) == before, "a refused build changed files"
    return [line for line in check.splitlines() if ": error: " in line]


def expected(case: str | tuple[str, ...]) -> list[str]:
    return [case] if isinstance(case, str) else list(case)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_country_file_is_refused(project, capsys, name):
    shutil.copyfile(HOSTILE / "countries" / name, project / F)
    assert refused(project, capsys) == expected(CASES[name])
    assert not list(project.parent.rglob("PWNED"))


def test_the_whole_corpus_through_build_py(built, tmp_path):
    """All the files at once, through the entry script: every file reported, no traceback."""
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    for path in (HOSTILE / "countries").iterdir():
        shutil.copyfile(path, project / "indicators/countries" / path.name)
    before = snapshot(tmp_path)
    for command in (["check"], ["build", "--out", "site"]):
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), *command, "--data", "indicators"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        reported = {
            line.split(":")[0] for line in result.stderr.splitlines() if ": error: " in line
        }
        assert {f"indicators/countries/{name}" for name in CASES} <= reported
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.rglob("PWNED"))


# -- made here: sizes, file names, file types -------------------------------------------------


@pytest.mark.parametrize("size", [1_000_001, 5_000_000])
def test_a_file_over_the_size_limit_is_refused_whole(project, capsys, size):
    (project / F).write_bytes(b"#" * size)
    assert refused(project, capsys) == [
        f"{F}: error: file is {size:,} bytes; the limit is 1,000,000"
    ]


def test_a_file_over_the_size_limit_is_never_read_whole(project, capsys, monkeypatch):
    (project / F).write_bytes(b"#" * 3_000_000)
    sizes = []
    real_open = Path.open

    def recording_open(self, *args, **kwargs):
        file = real_open(self, *args, **kwargs)
        if self.name == "FRA.yaml":
            real_read = file.read
            file.read = lambda n=-1: sizes.append(n) or real_read(n)  # type: ignore[method-assign]
        return file

    monkeypatch.setattr(Path, "open", recording_open)
    assert main(["check"], project=project) == 1
    assert sizes and all(0 < n <= 1_000_001 for n in sizes)


def test_a_very_long_line_within_the_limits_is_fine(project, capsys):
    with (project / F).open("a", encoding="utf-8") as file:
        file.write("# " + "x" * 990_000 + "\n")
    assert main(["check"], project=project) == 0
    assert capsys.readouterr().err == ""


def odd_name(project: Path, name: str, iso3: str) -> None:
    """Move France to countries/`name`, with `iso3` as its code (a YAML double-quoted text)."""
    text = (project / F).read_text(encoding="utf-8").replace("iso3: FRA", f'iso3: "{iso3}"')
    (project / F).unlink()
    (project / "indicators/countries" / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "iso3", "shown"),
    [
        ("ＦＲＡ.yaml", "ＦＲＡ", "ＦＲＡ"),
        ("F\u202eRA.yaml", "F\\u202eRA", "F\\u202eRA"),
        ("FRA\n.yaml", "FRA\\n", "FRA\\n"),
        ("FRA\x1b[2J.yaml", "FRA\\e[2J", "FRA\\x1b[2J"),
    ],
)
def test_file_names_that_deceive_are_refused_and_shown_escaped(project, capsys, name, iso3, shown):
    odd_name(project, name, iso3)
    path = f"indicators/countries/{shown}.yaml"
    lines = refused(project, capsys)
    if "\\x1b" in shown:  # the escape in the value is refused before anything else
        assert lines == [f"{path}:3:7: error: iso3: character U+001B is not allowed in a YAML file"]
    elif "\\u202e" in shown:  # so is the override (the file name is shown escaped all the same)
        assert lines == [f"{path}:3:7: error: iso3: {BIDI % '202E'}"]
    else:
        assert lines == [
            f"{path}:3:7: error: iso3: text '{shown}' is not in the expected form (e.g. KOR)"
        ]


def test_a_link_to_a_file_outside_the_data_folder_is_refused(project, capsys, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("root: x\n")
    (project / F).unlink()
    (project / F).symlink_to(secret)
    assert refused(project, capsys) == [f"{F}: error: is a link to a file outside the data folder"]


def test_a_link_inside_the_data_folder_is_fine(project, capsys):
    (project / "indicators/countries/_france.yaml").write_bytes((project / F).read_bytes())
    (project / F).unlink()
    (project / F).symlink_to("_france.yaml")
    assert main(["check"], project=project) == 0


def test_a_folder_named_like_a_country_file_is_refused(project, capsys):
    (project / "indicators/countries/ESP.yaml").mkdir()
    assert refused(project, capsys) == [
        "indicators/countries/ESP.yaml: error: a folder, not a country file: country files "
        "are ISO3.yaml files (e.g. KOR.yaml)"
    ]


def test_a_link_to_a_missing_file_is_refused_as_such(project, capsys):
    (project / "indicators/countries/ESP.yaml").symlink_to("_nowhere.yaml")
    assert refused(project, capsys) == [
        "indicators/countries/ESP.yaml: error: a link to a file that does not exist: a country "
        "file must be readable"
    ]


FRAMEWORK_CASES = [
    (
        ("coverage_threshold: 0.5", "coverage_threshold: .nan"),
        f"{FW}:11:21: error: coverage_threshold: nan is not a finite number",
    ),
    (
        ("goalposts: {low: 1, high: 1000}", "goalposts: {low: 1, high: .inf}"),
        f"{FW}:57:35: error: pillars[0].indicators[0].goalposts.high: inf is not a finite number",
    ),
    (
        ("goalposts: {low: 1, high: 1000}", "goalposts: {low: 1, high: 1" + "0" * 400 + "}"),
        f"{FW}:57:35: error: pillars[0].indicators[0].goalposts.high: a 401-digit number is too large (numbers in data files are at most 1e15)",
    ),
    (
        ("    weight: 2\n", "    weight: 1e308\n"),
        f"{FW}:106:13: error: pillars[2].weight: 1e+308 is too large (numbers in data files are at most 1e15)",
    ),
    (
        ("  - id: compute\n", "  - id: ../../x\n"),
        f"{FW}:44:9: error: pillars[0].id: text '../../x' is not in the expected form (pattern ^[a-z][a-z0-9_]*$)",
    ),
    (
        ("  - id: compute\n", '  - id: "compute\\n"\n'),
        f"{FW}:44:9: error: pillars[0].id: text 'compute\\n' is not in the expected form (pattern ^[a-z][a-z0-9_]*$)",
    ),
]


@pytest.mark.parametrize(("change", "message"), FRAMEWORK_CASES)
def test_hostile_framework_is_refused(project, capsys, change, message):
    edit(project / FW, *change)
    assert refused(project, capsys)[0] == message


def test_hostile_sources_are_refused(project, capsys):
    edit(project / "indicators/sources.yaml", "itu-2024:", '"itu-2024\\n":')
    lines = refused(project, capsys)
    assert lines[0] == (
        "indicators/sources.yaml:21:1: error: itu-2024\\n: 'itu-2024\\n' is not a valid id "
        "(lower-case letters, digits and '-')"
    )


def test_a_javascript_url_in_sources_is_refused(project, capsys):
    text = (project / "indicators/sources.yaml").read_text(encoding="utf-8")
    url = re.search(r"url: (\S+)", text).group(1)
    edit(project / "indicators/sources.yaml", f"url: {url}\n", "url: javascript:alert(1)\n")
    assert (
        "only http and https addresses are allowed, not 'javascript:'"
        in refused(project, capsys)[0]
    )


# -- properties: whatever a country file holds, the validator answers with its own error ------

SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "indicators"
    shutil.copytree(FIXTURE, root)
    return root


def _validated(root: Path, raw: bytes) -> None:
    """load_dataset on `root` with FRA.yaml made of `raw`: success or ScorecardError only."""
    (root / "countries/FRA.yaml").write_bytes(raw)
    try:
        dataset, _ = load_dataset(root, today=TODAY)
    except ScorecardError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)
        for problem in exc.problems:
            problem.format()  # every message can be printed
        return
    assert dataset.country("FRA").iso3 == "FRA"


@SETTINGS
@given(st.binary(max_size=400))
def test_validator_takes_arbitrary_bytes(fuzz_root, raw):
    _validated(fuzz_root, raw)


_ORIGINAL = (FIXTURE / "countries/FRA.yaml").read_bytes()


@SETTINGS
@given(st.binary(max_size=8), st.integers(0, len(_ORIGINAL)), st.integers(0, 16))
def test_validator_takes_a_damaged_country_file(fuzz_root, junk, at, cut):
    _validated(fuzz_root, _ORIGINAL[:at] + junk + _ORIGINAL[at + cut :])


_KEYS = st.sampled_from(
    [
        "iso3",
        "name",
        "region",
        "subregion",
        "context",
        "indicators",
        "missing",
        "narrative",
        "population",
        "gdp",
        "internet_users",
        "privacy_law",
        "value",
        "year",
        "source",
        "level",
        "justification",
        "note",
        "evidence",
        "period",
        "producer",
        "title",
        "url",
        "published",
        "accessed",
        "x",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "FRA",
            "Europe",
            "itu-2024",
            "legislation",
            "https://example.org/x",
            "2024",
            "2024-02-30",
            "javascript:alert(1)",
            "../x",
            ".nan",
        ]
    )
)
_STRUCTURES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)


def _emit(value) -> str:
    """YAML text for `value`, written by hand so that NaN, inf and odd keys get through."""
    import json

    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_emit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_emit(v) for v in value) + "]"
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "-.inf" if value < 0 else ".inf"
    return json.dumps(value)


@SETTINGS
@given(_STRUCTURES)
def test_validator_takes_arbitrary_structures(fuzz_root, value):
    _validated(fuzz_root, _emit(value).encode("utf-8"))


@SETTINGS
@given(st.dictionaries(_KEYS, _STRUCTURES, max_size=6))
def test_validator_takes_arbitrary_changes_to_a_valid_file(fuzz_root, changes):
    import yaml

    data = yaml.safe_load(_ORIGINAL)
    data.update(changes)
    _validated(fuzz_root, _emit(data).encode("utf-8"))


def test_the_documented_limits_are_the_ones_enforced():
    from scorecard import validate, yamlsafe

    limits = (REPO / "docs" / "schema.md").read_text(encoding="utf-8").split("## Limits")[1]
    for name, value in [
        ("MAX_FILE_BYTES", f"{yamlsafe.MAX_FILE_BYTES:,} bytes"),
        ("MAX_DEPTH", f"{yamlsafe.MAX_DEPTH} levels"),
        ("MAX_SCALAR_CHARS", f"{yamlsafe.MAX_SCALAR_CHARS:,} characters"),
        ("MAX_KEY_CHARS", f"{yamlsafe.MAX_KEY_CHARS:,} characters"),
        ("MAX_MAGNITUDE", f"at most {validate.MAX_MAGNITUDE:.0e}".replace("e+", "e")),
    ]:
        row = next(line for line in limits.splitlines() if f"`{name}`" in line)
        assert value in row, (name, row)


# -- determinism: another place, another machine ------------------------------------------------


def _copy_project(dest: Path) -> Path:
    """A copy of the project's code, templates, assets and data at `dest` (as on another machine)."""
    for name in ("scorecard", "schema", "templates", "static", "locales", "indicators"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("build.py", "pyproject.toml"):
        shutil.copyfile(REPO / name, dest / name)
    return dest


def _build_copy(project: Path, cwd: Path, env: dict[str, str]) -> dict[str, bytes]:
    out = cwd / "out"
    result = subprocess.run(
        [sys.executable, str(project / "build.py"), "build", "--out", str(out), "--quiet"],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tree(out)


def test_copies_of_the_project_at_different_paths_build_identical_sites(tmp_path):
    """Two copies at different absolute paths, run from different folders, with another hash
    seed, time zone and locale: the same bytes (the real data, so every page type is there)."""
    first = _copy_project(tmp_path / "a" / "project")
    second = _copy_project(tmp_path / "somewhere" / "much" / "deeper" / "scorecard-copy")
    (tmp_path / "cwd1").mkdir()
    (tmp_path / "cwd2" / "x").mkdir(parents=True)
    one = _build_copy(first, tmp_path / "cwd1", {"PYTHONHASHSEED": "1", "TZ": "UTC"})
    two = _build_copy(
        second,
        tmp_path / "cwd2" / "x",
        {"PYTHONHASHSEED": "987654", "TZ": "Pacific/Chatham", "LC_ALL": "C.UTF-8"},
    )
    assert len(one) > 50 and "data/scores.json" in one
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []
    for text in (one["index.html"], one["data/scores.json"], one["countries/KOR/index.html"]):
        assert str(tmp_path).encode() not in text  # no absolute path leaks into the output
