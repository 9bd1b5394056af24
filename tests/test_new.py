"""`python build.py new ISO3`: a country file made from the commented template.

Exit status: 0 created; 2 for an unknown code, an existing file, a missing template or a
file that cannot be written (the command cannot do what was asked; 1 stays reserved for
errors in the data). Nothing is written unless the status is 0.
"""

from __future__ import annotations

import errno
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scorecard.cli import main
from scorecard.scaffold import ScaffoldError, country_name, fill

from .conftest import REPO, edit, problems, tree

TEMPLATE = REPO / "indicators/countries/_template.yaml"
REGIONS = "Africa, Americas, Asia, Europe, Oceania"
M49 = "https://unstats.un.org/unsd/methodology/m49/"


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the real framework, sources and template, and no country file yet."""
    root = tmp_path / "project"
    (root / "indicators/countries").mkdir(parents=True)
    for name in ("framework.yaml", "sources.yaml", "countries/_template.yaml"):
        shutil.copyfile(REPO / "indicators" / name, root / "indicators" / name)
    monkeypatch.chdir(root)
    return root


def run(argv: list[str], project: Path, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv, project=project)
    out, err = capsys.readouterr()
    return status, out, err


def replace_line(text: str, start: str, new: str) -> str:
    """`text` with its one line starting with `start` replaced by `new`."""
    lines = text.split("\n")
    found = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert len(found) == 1, f"the template has {len(found)} lines starting {start!r}"
    lines[found[0]] = new
    return "\n".join(lines)


def expected_file(iso3: str, name: str) -> str:
    """The template, as a contributor would fill in its code and name by hand."""
    text = TEMPLATE.read_text(encoding="utf-8")
    step_one = (
        "#   1. Copy this file to indicators/countries/ISO3.yaml, where ISO3 is the country's\n"
        "#      ISO 3166-1 alpha-3 code in capitals (KOR.yaml, FRA.yaml). Files whose names start\n"
        '#      with "_" (like this one) are not read by the build.\n'
    )
    assert text.count(step_one) == 1, "the template's first step changed: update scaffold.fill"
    text = text.replace(
        step_one,
        "#   1. Done: `python build.py new` made this file and filled in its code and name.\n",
    )
    text = replace_line(
        text,
        "# TEMPLATE FOR A NEW COUNTRY FILE.",
        f"# {name} ({iso3}): made from _template.yaml by `python build.py new {iso3}`.",
    )
    text = replace_line(text, "iso3: ", f"iso3: {iso3}")
    text = replace_line(text, "name: ", f"name: {name}")
    text = replace_line(
        text, "region: ", f"region: PLACEHOLDER  # choose one of: {REGIONS} (UN M49, {M49})"
    )
    return replace_line(
        text, "subregion: ", "subregion: PLACEHOLDER  # the UN M49 sub-region, or delete this line"
    )


def test_new_fills_the_code_and_name_and_keeps_every_comment(real, capsys):
    assert run(["new", "PRT"], real, capsys) == (
        0,
        "created indicators/countries/PRT.yaml for Portugal from the template\n"
        "next: choose its region, replace or delete every PLACEHOLDER, then run\n"
        "      python build.py check --strict\n",
        "",
    )
    made = (real / "indicators/countries/PRT.yaml").read_text(encoding="utf-8")
    assert made == expected_file("PRT", "Portugal")


def test_the_check_asks_for_the_region_and_then_passes(real, capsys):
    assert run(["new", "PRT"], real, capsys)[0] == 0
    made = real / "indicators/countries/PRT.yaml"
    lines = made.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("region: "))
    today = date.today()  # the real sources are checked against today's date
    assert [p for p in problems(real / "indicators", today) if ": error: " in p] == [
        f"indicators/countries/PRT.yaml:{line}:9: error: region: unknown region 'PLACEHOLDER' "
        f"(expected one of: {REGIONS})"
    ]
    edit(made, f"region: PLACEHOLDER  # choose one of: {REGIONS} (UN M49, {M49})", "region: Europe")
    assert [p for p in problems(real / "indicators", today) if ": error: " in p] == []


def test_lower_case_codes_are_accepted(real, capsys):
    assert run(["new", "kor"], real, capsys)[0] == 0
    made = (real / "indicators/countries/KOR.yaml").read_text(encoding="utf-8")
    assert made == expected_file("KOR", "South Korea")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("KOR", "South Korea"),  # pycountry's common name, not "Korea, Republic of"
        ("TWN", "Taiwan"),  # not "Taiwan, Province of China"
        ("PRT", "Portugal"),  # no common name: the name
        ("CIV", "Côte d'Ivoire"),
    ],
)
def test_names_come_from_the_iso_list(code, name):
    assert country_name(code) == name


def test_a_name_that_yaml_would_misread_is_quoted():
    text = fill("iso3: X\nname: X\nregion: X\nsubregion: X\n", "XXX", "Odd: name #1", ["Asia"])
    assert 'name: "Odd: name #1"' in text


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "XKX",
            "'XKX' is not an ISO 3166-1 alpha-3 country code (three letters, e.g. KOR; "
            "see https://www.iso.org/obp/ui/#search)",
        ),
        ("KR", "'KR' is not an ISO 3166-1 alpha-3 country code (did you mean KOR, South Korea?)"),
        (
            "../../x",
            "'../../X' is not an ISO 3166-1 alpha-3 country code (three letters, e.g. KOR; "
            "see https://www.iso.org/obp/ui/#search)",
        ),
    ],
)
def test_an_unknown_code_is_refused(real, capsys, code, message):
    before = tree(real)
    assert run(["new", code], real, capsys) == (2, "", f"build.py: error: {message}\n")
    assert tree(real) == before


def test_an_existing_file_is_never_overwritten(real, capsys):
    existing = real / "indicators/countries/FRA.yaml"
    existing.write_text("iso3: FRA\n", encoding="utf-8")
    assert run(["new", "FRA"], real, capsys) == (
        2,
        "",
        "build.py: error: indicators/countries/FRA.yaml already exists; edit it instead\n",
    )
    assert existing.read_text(encoding="utf-8") == "iso3: FRA\n"


def test_without_a_template(real, capsys):
    (real / "indicators/countries/_template.yaml").unlink()
    status, out, err = run(["new", "PRT"], real, capsys)
    assert (status, out) == (2, "")
    assert err == (
        "build.py: error: cannot read the template indicators/countries/_template.yaml: "
        "No such file or directory\n"
    )
    assert not (real / "indicators/countries/PRT.yaml").exists()


def test_a_full_disk_leaves_no_half_written_file(real, capsys, monkeypatch):
    real_open = Path.open

    class HalfWritten:  # writes a little, then finds the disk full
        def __init__(self, file: Any):
            self.file = file

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def write(self, text: str) -> int:
            self.file.write(text[:20])
            self.file.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def opened(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        file = real_open(self, mode, *args, **kwargs)
        return HalfWritten(file) if mode == "x" else file

    monkeypatch.setattr(Path, "open", opened)
    assert run(["new", "PRT"], real, capsys) == (
        2,
        "",
        "build.py: error: cannot write indicators/countries/PRT.yaml: No space left on device\n",
    )
    assert not (real / "indicators/countries/PRT.yaml").exists()


def test_a_template_without_the_fields_it_needs():
    with pytest.raises(ScaffoldError, match="the template has 0 'region:' lines at the top level"):
        fill("iso3: X\nname: X\n", "PRT", "Portugal", [])
