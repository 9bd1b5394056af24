"""Hostile text in every field a contributor can write: XSS payloads, template injection.

`write_hostile_data(dest)` copies the small fixture to `dest` and puts one payload into each
contributor-editable text field (country, observation, inline and registry source, missing
reason, markdown narrative, and the names the charts show). Each payload carries the field's
name, so a test can tell which field a piece of page text came from. Used by the browser test
(tests/browser/test_xss.py) and the HTML checker test (tests/test_vnu.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from .conftest import FIXTURE

# Each payload tries to run code or make an element; `{f}` is the field's name. When one works,
# it sets window.__pwned (to the field's name) or changes document.title.
PAYLOADS = [
    "<script>window.__pwned='{f}'</script>",
    "<img src=x onerror=\"window.__pwned='{f}'\">",
    '"><svg onload="window.__pwned=\'{f}\'">',
    "'><iframe srcdoc=\"<script>parent.__pwned='{f}'</script>\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__pwned='{f}'\">",
    "<a href=\"javascript:window.__pwned='{f}'\">{f}</a>",
    "<object data=\"data:text/html,<script>parent.__pwned='{f}'</script>\"></object>",
    "{{{{ 7*7 }}}} {{% raw %}}{{{{ config }}}}{{% endraw %}} ${{7*7}} {f}",
    "</title></script></textarea><script>document.title='{f}'</script>",
    "<details open ontoggle=\"window.__pwned='{f}'\">{f}",
    "<svg><script>window.__pwned='{f}'</script></svg>",
    '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=x:">{f}',
]

# A valid https address whose query holds quotes and angle brackets: kept, but escaped.
HOSTILE_URL = "https://example.org/x?q=\"><script>window.__pwned='url'</script>&r='<b>'"
# ... as the links hold it: HTML-escaped in the page, and the characters a URL may not hold
# as they are (here `"`, `<` and `>`) percent-encoded.
HOSTILE_URL_LINKED = (
    "https://example.org/x?q=%22%3E%3Cscript%3Ewindow.__pwned='url'%3C/script%3E&r='%3Cb%3E'"
)

# Markdown: raw HTML, javascript: and data: links, an image with an event handler.
NARRATIVE = (
    "Narrative text with *emphasis*.\n\n"
    "<script>window.__pwned='narrative'</script>\n\n"
    "[a javascript link](javascript:window.__pwned='narrative-link') and "
    "[a data link](data:text/html,<script>alert(1)</script>) and "
    '![an image](x "t" onerror="window.__pwned=\'md-img\'")\n\n'
    "<img src=x onerror=\"window.__pwned='narrative-img'\"> "
    "<svg onload=\"window.__pwned='narrative-svg'\"></svg> "
    "<iframe src=\"javascript:parent.__pwned='narrative-iframe'\"></iframe>\n\n"
    "{{ 7*7 }} {% raw %}x{% endraw %} and a [fine link](https://example.org/fine).\n"
)

# Where each field's text is shown (page path -> fields whose payload must be visible as text).
VISIBLE = {
    "countries/FRA/index.html": ["name", "note", "evidence", "period", "pillar", "indicator"],
    "countries/DEU/index.html": ["source-producer", "source-title", "source-via"],
    "countries/ITA/index.html": ["missing"],
    "data/index.html": [
        "source-producer",
        "source-title",
        "source-licence",
        "source-via",
        "registry-producer",
        "registry-title",
        "registry-licence",
    ],
    "index.html": ["name", "pillar"],
    "pillars/compute/index.html": ["name", "pillar", "indicator"],
}
# Fields the pages do not show (the downloads may): only their harmlessness is checked.
NOT_SHOWN = ["subregion", "justification", "source-note"]


def payload(field: str, index: int, limit: int = 2000) -> str:
    text = PAYLOADS[index % len(PAYLOADS)].format(f=field)
    assert len(text) <= limit, (field, text)
    return text


def write_hostile_data(dest: Path) -> dict[str, str]:
    """The small fixture at `dest`, with a payload in every editable field; field -> text."""
    shutil.copytree(FIXTURE, dest)
    texts: dict[str, str] = {}

    def put(field: str, index: int, limit: int = 2000) -> str:
        texts[field] = payload(field, index, limit)
        return texts[field]

    fra = _load(dest / "countries/FRA.yaml")
    fra["name"] = put("name", 5, 80)  # a link: plotly would draw it if names were not escaped
    fra["subregion"] = put("subregion", 0, 80)
    fra["narrative"] = NARRATIVE
    used = fra["indicators"]["internet_users"][0]
    used["note"] = put("note", 2)
    used["evidence"] = put("evidence", 3)
    used["period"] = "<b>2024</b>\"'&"
    texts["period"] = used["period"]
    fra["indicators"]["privacy_law"][0]["justification"] = put("justification", 4)
    _dump(fra, dest / "countries/FRA.yaml")

    deu = _load(dest / "countries/DEU.yaml")
    inline = next(
        obs["source"]
        for observations in deu["indicators"].values()
        for obs in observations
        if isinstance(obs["source"], dict)
    )
    inline.update(
        producer=put("source-producer", 5, 300),
        title=put("source-title", 6, 300),
        licence=put("source-licence", 7, 300),
        via=put("source-via", 8, 1000),
        note=put("source-note", 9),
        url=HOSTILE_URL,
    )
    _dump(deu, dest / "countries/DEU.yaml")

    ita = _load(dest / "countries/ITA.yaml")
    ita["missing"]["developers"] = put("missing", 10)
    _dump(ita, dest / "countries/ITA.yaml")

    sources = _load(dest / "sources.yaml")
    sources["itu-2024"].update(
        producer=put("registry-producer", 11, 300),
        title=put("registry-title", 0, 300),
        licence=put("registry-licence", 1, 300),
    )
    _dump(sources, dest / "sources.yaml")

    framework = _load(dest / "framework.yaml")
    framework["pillars"][0]["name"] = put("pillar", 2)
    framework["pillars"][0]["indicators"][0]["name"] = put("indicator", 1)
    _dump(framework, dest / "framework.yaml")
    return texts


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(data: dict, path: Path) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    path.write_text(text, encoding="utf-8")
