"""The site's text is translatable: no bare words in templates, and the catalogue is current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))
# Words that are not prose: file and column names shown as code, units of the site itself.
ALLOWED = {"scores.csv", "values.csv", "scores.json"}
READABLE_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
VERBATIM = ("code", "script", "style")


def _untranslated(source: str) -> list[str]:
    """Human words in a template that are outside {% trans %} blocks and _() calls."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    tokens = [t for t in env.lex(source) if t[1] != "whitespace"]
    prose: list[str] = []
    tags: list[str] = []
    in_trans, in_tag, skip_until = 0, False, ""
    for index, (_, kind, value) in enumerate(tokens):
        if kind == "name" and tokens[index - 1][1] == "block_begin":
            in_trans += {"trans": 1, "endtrans": -1}.get(value, 0)
        if kind != "data":
            continue
        for char in value:  # a tag may be split by Jinja expressions: keep state across tokens
            if in_tag:
                tags[-1] += char
                in_tag = char != ">"
                name = tags[-1].split(None, 1)[0].rstrip(">") if not in_tag else ""
                if name in VERBATIM:
                    skip_until = "/" + name  # code, scripts and styles are not prose
                elif name == skip_until:
                    skip_until = ""
            elif char == "<":
                tags.append("")
                in_tag = True
            elif not in_trans and not skip_until:
                prose.append(char)
        prose.append(" ")
    found = [w for w in re.findall(r"[A-Za-z][A-Za-z.'’-]+", "".join(prose)) if w not in ALLOWED]
    for tag in tags:
        for attribute in READABLE_ATTRIBUTES:
            for literal in re.findall(rf'\s{attribute}="([^"{{]*)"', tag):
                if re.search(r"[A-Za-z]{2,}", literal):
                    found.append(literal)
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_untranslatable_text(template: Path) -> None:
    assert _untranslated(template.read_text(encoding="utf-8")) == []


def test_the_lint_catches_bare_text() -> None:
    found = _untranslated('<p>Hello {{ _("World") }}</p><a title="Bare" {{ x }} href="y">x</a>')
    assert sorted(found) == ["Bare", "Hello"]
    assert _untranslated("{% trans %}Inside a block{% endtrans %}<p>{{ _('Call') }}</p>") == []


def test_message_catalogue_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from babel.messages.frontend import main; main()",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            "--omit-header",
            "--no-location",
            "--sort-output",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert extracted == committed, "run `make messages` to update locales/messages.pot"


def _translating(project: Path, overview: str):
    """Paths of a project in `project` (the real data and templates) whose Korean catalogue
    translates "Overview" as `overview`."""
    from scorecard import pipeline

    catalogue = project / "locales" / "ko" / "LC_MESSAGES" / "messages.po"
    catalogue.parent.mkdir(parents=True, exist_ok=True)
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "Overview"\nmsgstr "{overview}"\n',
        encoding="utf-8",
    )
    return pipeline.Paths(
        project_root=project,
        data=ROOT / "indicators",
        out=project / "site",
        templates=ROOT / "templates",
        static=ROOT / "static",
    )


def test_a_catalogue_translates_the_site(tmp_path: Path) -> None:
    from scorecard import pipeline
    from scorecard.config import Config

    pipeline.build(_translating(tmp_path, "개요"), Config(language="ko"))
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in page
    assert ">개요</a>" in page
    assert "Compare" in page  # untranslated strings fall back to English


def test_the_compiled_templates_follow_the_catalogue(tmp_path: Path, monkeypatch) -> None:
    """Fixed messages are translated when the templates are compiled, and compiled templates
    are kept between builds: a changed catalogue, or another language, must not reuse them."""
    from scorecard import pipeline
    from scorecard.config import Config

    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(tmp_path / "cache"))

    def build(language: str, overview: str) -> str:
        pipeline.build(_translating(tmp_path, overview), Config(language=language))
        page = (tmp_path / "site" / "countries" / "KOR" / "index.html").read_text("utf-8")
        return re.search(r'<p class="breadcrumb"><a href="[^"]*">([^<]*)</a>', page)[1]

    assert build("ko", "개요") == "개요"
    assert build("ko", "총괄") == "총괄"
    assert build("en", "총괄") == "Overview"
    assert build("ko", "총괄") == "총괄"


def test_a_language_without_a_catalogue_is_a_usage_error(tmp_path: Path, capsys) -> None:
    from scorecard import cli

    (tmp_path / "pyproject.toml").write_text('[tool.scorecard]\nlanguage = "ko"\n')
    (tmp_path / "indicators").symlink_to(ROOT / "indicators")
    status = cli.main(["build", "--out", str(tmp_path / "out")], project=tmp_path)
    assert status == 2
    assert "no catalogue for language 'ko'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
