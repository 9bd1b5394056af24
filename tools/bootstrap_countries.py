"""Create the first edition of indicators/countries/*.yaml from the reference snapshot.

This is how the bundled country files were made, kept so that anyone can check that every
value came from `reference/reference*.csv` (a frozen copy of the project's reference data,
with its SOURCES files). After the first edition the YAML files are the source of truth and
are edited by hand in pull requests; this script refuses to overwrite them unless --force.

    python tools/bootstrap_countries.py [--force]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
OUT = ROOT / "indicators" / "countries"

# UN M49 region and sub-region of each country, read from the data table of the
# country_converter package (country_data.tsv, columns UNregion / continent), version 1.3.2.
# Taiwan is not in M49; country_converter places it in Eastern Asia.
REGIONS = {
    "ARE": ("Asia", "Western Asia"),
    "AUS": ("Oceania", "Australia and New Zealand"),
    "AUT": ("Europe", "Western Europe"),
    "BEL": ("Europe", "Western Europe"),
    "BRA": ("Americas", "South America"),
    "CAN": ("Americas", "Northern America"),
    "CHE": ("Europe", "Western Europe"),
    "CHN": ("Asia", "Eastern Asia"),
    "DEU": ("Europe", "Western Europe"),
    "DNK": ("Europe", "Northern Europe"),
    "EGY": ("Africa", "Northern Africa"),
    "ESP": ("Europe", "Southern Europe"),
    "EST": ("Europe", "Northern Europe"),
    "FIN": ("Europe", "Northern Europe"),
    "FRA": ("Europe", "Western Europe"),
    "GBR": ("Europe", "Northern Europe"),
    "IDN": ("Asia", "South-eastern Asia"),
    "IND": ("Asia", "Southern Asia"),
    "IRL": ("Europe", "Northern Europe"),
    "ISR": ("Asia", "Western Asia"),
    "ITA": ("Europe", "Southern Europe"),
    "JPN": ("Asia", "Eastern Asia"),
    "KEN": ("Africa", "Eastern Africa"),
    "KOR": ("Asia", "Eastern Asia"),
    "MEX": ("Americas", "Central America"),
    "MYS": ("Asia", "South-eastern Asia"),
    "NGA": ("Africa", "Western Africa"),
    "NLD": ("Europe", "Western Europe"),
    "NOR": ("Europe", "Northern Europe"),
    "NZL": ("Oceania", "Australia and New Zealand"),
    "POL": ("Europe", "Eastern Europe"),
    "QAT": ("Asia", "Western Asia"),
    "RUS": ("Europe", "Eastern Europe"),
    "SAU": ("Asia", "Western Asia"),
    "SGP": ("Asia", "South-eastern Asia"),
    "SWE": ("Europe", "Northern Europe"),
    "TUR": ("Asia", "Western Asia"),
    "TWN": ("Asia", "Eastern Asia"),
    "USA": ("Americas", "Northern America"),
    "VNM": ("Asia", "South-eastern Asia"),
    "ZAF": ("Africa", "Southern Africa"),
}

# scorecard id -> [(reference indicator_id, source id)], in the order observations are listed.
INDICATORS = {
    "top500_rmax": [("top500_rmax_pflops", "top500-2025-06")],
    "top500_systems": [("top500_systems", "top500-2025-06")],
    "gpu_cluster_h100e": [("epoch_gpu_h100e_existing", "epoch-gpu-clusters")],
    "gpu_clusters": [("epoch_gpu_clusters_existing", "epoch-gpu-clusters")],
    "ict_development": [("itu_idi_2024", "itu-idi-2024")],
    "internet_users": [("wb_internet_users_pct", "owid-wdi-internet-users")],
    "open_data": [("odin_2022_overall", "odin-2022")],
    "web_language_share": [("cc_main_language_share_pct", "common-crawl-languages-2026-04")],
    "data_protection_law": [
        ("unctad_data_protection_legislation_status", "unctad-data-protection-2025")
    ],
    "data_protection_practice": [("girai2024_data_protection_privacy", "girai-2024-ai-index-2026")],
    "ai_publications": [("cset_ai_publications", "cset-owid-ai-publications")],
    "researchers": [("wb_researchers_per_million", "wb-wdi-researchers")],
    "developers": [("github_developers", "github-innovation-graph-2025q3")],
    "ai_talent_concentration": [
        ("aiindex2025_ai_talent_concentration_2024_pct", "ai-index-2025-public-data")
    ],
    "rd_spending": [
        ("wb_gerd_pct_gdp", "wb-wdi-gerd-2016-2021"),
        ("wb_gerd_pct_gdp_latest", "wb-wdi-gerd"),
        ("oecd_msti_gerd_pct_gdp_latest", "oecd-msti"),
    ],
    "private_ai_investment": [
        ("eto_est_private_ai_investment_2024", "eto-country-ai-metrics-1-12"),
        ("eto_est_private_ai_investment_2025", "eto-country-ai-metrics-1-12"),
    ],
    "ai_venture_capital": [
        ("oecdai_vc_ai_2024", "oecd-ai-vc-preqin"),
        ("oecdai_vc_ai_2025", "oecd-ai-vc-preqin"),
    ],
    "newly_funded_ai_companies": [
        ("aiindex2025_newly_funded_ai_companies_2013_2024", "ai-index-2025-public-data")
    ],
    "open_weight_models": [("epoch_open_weight_notable_models", "epoch-notable-models")],
    "notable_models_recent": [("epoch_notable_models_2024_2025", "epoch-notable-models")],
    "ai_open_source_developers": [("github_topic_ai_pushers", "github-innovation-graph-2025q3")],
    "ai_diffusion": [("msft_ai_diffusion_q1_2026", "msft-ai-diffusion-2026q1")],
}

# Other indices, for comparison only (framework.yaml: other_indices).
OTHER_INDICES = {
    "oxford_gairi_2023": [("oxford_gairi_2023", "oxford-gairi-2023")],
    "oxford_gairi_2024": [("oxford_gairi_2024", "oxford-gairi-2024")],
    "oxford_gairi_2025": [("oxford_gairi_2025", "oxford-gairi-2025")],
    "imf_aipi_2023": [("imf_aipi_2023", "imf-aipi-2023")],
    "tortoise_gai_2021": [("tortoise_gai_total_kaggle", "tortoise-gai-kaggle")],
    "tortoise_gai_2023_top10": [("tortoise_gai_2023_rank", "tortoise-gai-2023-top10")],
    "stanford_vibrancy_2024_top10": [
        ("stanford_vibrancy_2024_rank", "stanford-vibrancy-2024-top10")
    ],
}

CONTEXT = {
    "population": [("wb_population", "wb-wdi-population"), ("dgbas_population", "dgbas-taiwan")],
    "gdp": [("imf_weo_gdp_current_usd_bn", "imf-weo-2025-10")],
}

UNCTAD_LEVELS = {
    "Legislation": "legislation",
    "Draft legislation": "draft",
    "No legislation": "none",
}

# Notes that the reference data asks to be carried with particular values.
NOTES = {
    ("gpu_cluster_h100e", 0): (
        "Sum over the country's recorded clusters as published; Epoch lists them with 0 "
        "H100-equivalents, which may mean the size is unknown rather than nil."
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing country files")
    args = parser.parse_args()
    rows = _read_rows()
    OUT.mkdir(parents=True, exist_ok=True)
    for iso3 in sorted(rows):
        path = OUT / f"{iso3}.yaml"
        if path.exists() and not args.force:
            print(f"{path}: exists; pass --force to overwrite", file=sys.stderr)
            return 1
        path.write_text(render_country(iso3, rows[iso3]), encoding="utf-8")
    print(f"wrote {len(rows)} country files to {OUT.relative_to(ROOT)}/")
    return 0


def _read_rows() -> dict[str, dict[str, dict]]:
    rows: dict[str, dict[str, dict]] = defaultdict(dict)
    for name in ("reference.csv", "reference-extra.csv"):
        with open(REFERENCE / name, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows[row["country_iso3"]][row["indicator_id"]] = row
    return rows


def render_country(iso3: str, rows: dict[str, dict]) -> str:
    name = next(iter(rows.values()))["country_name"]
    region, subregion = REGIONS[iso3]
    lines = [
        "# yaml-language-server: $schema=../../schema/country.schema.json",
        f"# {name}: values from the project's reference data (see reference/ and docs/schema.md).",
        f"iso3: {iso3}",
        f"name: {_text(name)}",
        f"region: {region}",
        f"subregion: {subregion}",
        "",
        "context:",
    ]
    for key, candidates in CONTEXT.items():
        observations = _observations(key, candidates, rows)
        lines += [f"  {key}:", *_render_observations(observations, indent=4)]
    lines += ["", "indicators:"]
    missing = {}
    for key, candidates in INDICATORS.items():
        observations = _observations(key, candidates, rows)
        if key == "data_protection_law":
            observations, reason = _assessed(observations)
            if reason:
                missing[key] = reason
        if observations:
            lines += [f"  {key}:", *_render_observations(observations, indent=4)]
    lines += render_other_indices(rows)
    if missing:
        lines += ["", "missing:"]
        lines += [f"  {key}: {_text(reason)}" for key, reason in missing.items()]
    return "\n".join(lines) + "\n"


def render_other_indices(rows: dict[str, dict]) -> list[str]:
    """The other_indices section (empty when the country has none)."""
    lines = []
    for key, candidates in OTHER_INDICES.items():
        observations = _observations(key, candidates, rows)
        if observations:
            lines += [f"  {key}:", *_render_observations(observations, indent=4)]
    return ["", "other_indices:", *lines] if lines else []


def _observations(key: str, candidates: list[tuple[str, str]], rows: dict[str, dict]) -> list[dict]:
    by_year: dict[int, dict] = {}
    for ref_id, source in candidates:
        row = rows.get(ref_id)
        if row is None or row["value"] == "":
            continue
        year, period = _year(row["year"])
        obs = {
            "value": _number(row["value"]),
            "year": year,
            "period": period,
            "source": source,
            "evidence": row["evidence"],
        }
        note = NOTES.get((key, obs["value"]))
        if note:
            obs["note"] = note
        # A later candidate for the same year is a newer pull of the same series: it wins.
        by_year[year] = obs
    return [by_year[year] for year in sorted(by_year)]


def _assessed(observations: list[dict]) -> tuple[list[dict], str]:
    result = []
    for obs in observations:
        status = str(obs["value"])
        if status.startswith("CONFLICT"):
            rows = status.split(":", 1)[1].strip()
            return [], (
                f"UNCTAD's table has conflicting rows for this country ({rows}); "
                "left missing until checked against unctad.org."
            )
        level = UNCTAD_LEVELS[status]
        obs = dict(obs)
        del obs["value"]
        obs = {
            "level": level,
            "justification": f"UNCTAD (2025) lists the country under '{status}'.",
            **obs,
        }
        result.append(obs)
    return result, ""


def _render_observations(observations: list[dict], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for obs in observations:
        first = True
        for field in (
            "value",
            "level",
            "justification",
            "year",
            "period",
            "source",
            "evidence",
            "note",
        ):
            if obs.get(field) in (None, ""):
                continue
            prefix = f"{pad}- " if first else f"{pad}  "
            value = obs[field]
            rendered = (
                _number_text(value)
                if field == "value"
                else (str(value) if field == "year" else _text(str(value)))
            )
            lines.append(f"{prefix}{field}: {rendered}")
            first = False
    return lines


def _year(text: str) -> tuple[int, str]:
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    year = int(years[-1])
    return year, "" if text == str(year) else text


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _number_text(value: int | float | str) -> str:
    if isinstance(value, str):
        return _text(value)
    return repr(value)


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.'()/&–-]*$")


def _text(value: str) -> str:
    """A YAML scalar for `value`: plain when unambiguous, else a JSON (double-quoted) string."""
    if (
        _PLAIN.match(value)
        and value.lower() not in {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
        and ": " not in value
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main())
