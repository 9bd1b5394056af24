"""A new country file, made from indicators/countries/_template.yaml.

The template's comments and placeholders are kept: the file is a form for the contributor
to fill in. Only what is certain is filled: the ISO code and the country's English name,
from the ISO 3166-1 list that pycountry ships. The region is left for the contributor to
choose: no maintained source of UN M49 regions is among the project's dependencies, and a
guess would look like data. Its placeholder fails `build.py check` until it is chosen.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pycountry

from .load import display_path
from .yamlsafe import YamlFileError, load_bytes

TEMPLATE = "_template.yaml"
PLACEHOLDER = "PLACEHOLDER"
M49 = "https://unstats.un.org/unsd/methodology/m49/"


class ScaffoldError(Exception):
    """The file cannot be made; the message says why."""


class UnknownCountryError(ScaffoldError):
    """The code is not an ISO 3166-1 alpha-3 country code."""


class ExistsError(ScaffoldError):
    """The country already has a file."""


def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-3 code: pycountry's common name, else its name."""
    country = pycountry.countries.get(alpha_3=code) if re.fullmatch(r"[A-Z]{3}", code) else None
    if country is None:
        raise UnknownCountryError(_unknown(code))
    return getattr(country, "common_name", None) or country.name


def _unknown(code: str) -> str:
    message = f"'{code}' is not an ISO 3166-1 alpha-3 country code"
    two = pycountry.countries.get(alpha_2=code) if re.fullmatch(r"[A-Z]{2}", code) else None
    if two is not None:
        return f"{message} (did you mean {two.alpha_3}, {country_name(two.alpha_3)}?)"
    return f"{message} (three letters, e.g. KOR; see https://www.iso.org/obp/ui/#search)"


def fill(template: str, iso3: str, name: str, regions: list[str]) -> str:
    """The template's text with the code and name set and the region left to choose."""
    choices = ", ".join(regions) if regions else "the regions in indicators/framework.yaml"
    replacements = {
        "iso3": iso3,
        "name": _yaml_text(name),
        "region": f"{PLACEHOLDER}  # choose one of: {choices} (UN M49, {M49})",
        "subregion": f"{PLACEHOLDER}  # the UN M49 sub-region, or delete this line",
    }
    text = template
    for key, value in replacements.items():
        line = f"{key}: {value}".replace("\\", "\\\\")  # a replacement: escape backslashes
        text, count = re.subn(rf"(?m)^{key}: .*$", line, text)
        if count != 1:
            raise ScaffoldError(f"the template has {count} '{key}:' lines at the top level")
    title = f"# {name} ({iso3}): made from _template.yaml by `python build.py new {iso3}`."
    text = re.sub(r"(?m)^# TEMPLATE FOR A NEW COUNTRY FILE\.$", lambda _m: title, text, count=1)
    # The template's first step ("copy this file to ...") is done.
    done = "#   1. Done: `python build.py new` made this file and filled in its code and name.\n"
    return re.sub(r"(?ms)^#   1\. Copy this file.*?(?=^#   2\.)", lambda _m: done, text, count=1)


def _yaml_text(text: str) -> str:
    """`text` as a YAML scalar: plain when it reads back as the same text, else quoted."""
    try:
        doc, issues = load_bytes(f"name: {text}\n".encode())
        if not issues and doc.data == {"name": text}:
            return text
    except YamlFileError:
        pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def regions(data: Path) -> list[str]:
    """The framework's regions, or [] when it cannot be read (the check will say why)."""
    try:
        doc, _ = load_bytes((data / "framework.yaml").read_bytes())
    except (OSError, YamlFileError):
        return []
    found = doc.data.get("regions") if isinstance(doc.data, dict) else None
    return [str(r) for r in found] if isinstance(found, list) else []


def create_country(data: Path, code: str) -> Path:
    """Write data/countries/CODE.yaml from the template; return its path."""
    iso3 = code.strip().upper()
    name = country_name(iso3)
    folder = data / "countries"
    target = folder / f"{iso3}.yaml"
    if target.exists():
        raise ExistsError(f"{display_path(target)} already exists; edit it instead")
    try:
        template = (folder / TEMPLATE).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(
            f"cannot read the template {display_path(folder / TEMPLATE)}: {exc.strerror}"
        ) from None
    text = fill(template, iso3, name, regions(data))
    try:
        file = target.open("x", encoding="utf-8")  # "x": never overwrite, even in a race
    except FileExistsError:
        raise ExistsError(f"{display_path(target)} already exists; edit it instead") from None
    except OSError as exc:
        raise ScaffoldError(f"cannot create {display_path(target)}: {exc.strerror}") from None
    try:
        with file:
            file.write(text)
    except OSError as exc:  # a full disk: no half-written file is left behind
        target.unlink(missing_ok=True)
        raise ScaffoldError(f"cannot write {display_path(target)}: {exc.strerror}") from None
    return target
