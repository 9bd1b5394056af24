#!/usr/bin/env python3
"""Write a synthetic data folder for benchmarks: the real framework, extended, and N countries.

    python benchmarks/generate.py --countries 200 [--seed 1] [--out benchmarks/out/data-200]

The folder has everything `python build.py --data DIR` reads: framework.yaml (the real one
with synthetic indicators added, so that there are at least 25), sources.yaml (the real
sources the framework cites, plus one per synthetic indicator), methodology.md, the real
spotlight, and one file per country with several years of every indicator, population and
GDP, other indices' results, a few gaps explained under `missing`, and a few narratives.
Values are drawn from a seeded generator: the same seed and N give the same bytes.

Country codes: the 41 countries of the real data first, then the rest of ISO 3166-1 (249
codes in pycountry), then codes from the ranges ISO 3166-1 leaves to its users (XAA–XZZ,
QMA–QZZ, AAA–AAZ, ZZA–ZZZ), which no country will ever have. The validator accepts only
ISO codes, so data sets of more than 249 countries validate only when the caller passes
`accepted_codes()` to `load_dataset(country_codes=...)`, as benchmarks/sitebuild.py does;
`python build.py` never does (docs/performance.md).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import string
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scorecard.validate import iso_codes  # noqa: E402
from scorecard.yamlsafe import load_bytes  # noqa: E402

REAL = REPO / "indicators"
EDITION_YEARS = range(2019, 2026)  # observations fall in these years (several per indicator)
EXTRA_INDICATORS = 6  # synthetic indicators added to the real framework's 22
SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/country.schema.json\n"


def user_assigned_codes() -> list[str]:
    """ISO 3166-1's user-assigned alpha-3 codes, in the order the generator uses them."""
    letters = string.ascii_uppercase
    ranges = [("X", letters), ("Q", letters[letters.index("M") :]), ("A", "A"), ("Z", "Z")]
    codes = []
    for first, seconds in ranges:
        codes += [first + second + third for second in seconds for third in letters]
    return codes


def accepted_codes() -> frozenset[str]:
    """Every code a synthetic data set may use: ISO 3166-1 and the user-assigned ranges."""
    return frozenset(iso_codes()) | frozenset(user_assigned_codes())


def country_codes(count: int) -> list[str]:
    """`count` unique codes: the real data's countries, other ISO countries, user-assigned."""
    real = sorted(p.stem for p in (REAL / "countries").glob("[!_.]*.yaml"))
    iso = iso_codes()
    pool = real + [c for c in iso if c not in real]
    pool += [c for c in user_assigned_codes() if c not in iso]
    if count > len(pool):
        raise SystemExit(f"at most {len(pool)} countries can be generated")
    return pool[:count]


def country_name(code: str) -> str:
    import pycountry  # only to generate: sitebuild.py imports this module, as build.py does not

    found = pycountry.countries.get(alpha_3=code)
    if found is None:
        return f"Synthetic country {code}"
    return getattr(found, "common_name", None) or found.name


# -- framework and sources -------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    document, _ = load_bytes(path.read_bytes())
    return document.data


def framework(real: dict[str, Any]) -> dict[str, Any]:
    """The real framework with EXTRA_INDICATORS measured indicators spread over the pillars."""
    layers = [layer["id"] for layer in real["layers"]]
    pillars = real["pillars"]
    for n in range(EXTRA_INDICATORS):
        pillar = pillars[n % len(pillars)]
        log = n % 2 == 0
        pillar["indicators"].append(
            {
                "id": f"synthetic_{pillar['id']}_{n + 1}",
                "name": f"Synthetic {pillar['name'].lower()} indicator {n + 1}",
                "proxy_for": "A made-up quantity that gives the benchmark more indicators.",
                "unit": "units" if log else "score 0–100",
                "kind": "measured",
                "layer": layers[n % len(layers)],
                "direction": "higher_is_better" if n % 3 else "lower_is_better",
                "transform": "log" if log else "none",
                "goalposts": {"low": 1, "high": 100000} if log else {"low": 0, "high": 100},
                "valid_range": {"min": 0, "max": 10000000} if log else {"min": 0, "max": 100},
                "weight": 1,
                "default_source": f"synthetic-source-{n + 1}",
            }
        )
    return real


def sources(real: dict[str, Any], cited: set[str]) -> dict[str, Any]:
    """The real sources that the generated data cites, then one per synthetic indicator."""
    chosen = {key: value for key, value in real.items() if key in cited}
    for n in range(EXTRA_INDICATORS):
        chosen[f"synthetic-source-{n + 1}"] = {
            "producer": "Scorecard benchmarks",
            "title": f"Synthetic data set {n + 1}",
            "url": f"https://example.org/synthetic/{n + 1}",
            "published": "2025-01",
            "licence": "CC0",
        }
    return chosen


def cited_sources(real_countries: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(section, id) -> the source the real data cites most for it (context, other indices)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for data in real_countries:
        for section in ("context", "other_indices"):
            for key, observations in data.get(section, {}).items():
                for obs in observations:
                    if isinstance(obs["source"], str):
                        tally = counts.setdefault((section, key), {})
                        tally[obs["source"]] = tally.get(obs["source"], 0) + 1
    return {key: max(sorted(tally), key=tally.get) for key, tally in counts.items()}  # type: ignore[arg-type]


# -- countries -----------------------------------------------------------------------------


def country(
    code: str,
    index: int,
    fw: dict[str, Any],
    context_sources: dict[tuple[str, str], str],
    regions: dict[str, str],
    rng: random.Random,
) -> dict[str, Any]:
    """One country's file: a latent strength drives every value, with noise and gaps."""
    strength = rng.random()
    complete = index < 3  # the first countries cite every source, so that none goes unused
    population = 10 ** rng.uniform(5, 9)
    gdp = population * 10 ** rng.uniform(-3.5, -1) / 1000  # billion US$
    data: dict[str, Any] = {
        "iso3": code,
        "name": country_name(code),
        "region": regions.get(code) or rng.choice(fw["regions"]),
        "context": {
            "population": series(
                population,
                0.01,
                rng,
                "wb-wdi-population",
                context_sources,
                ("context", "population"),
                digits=0,
                lowest=10_000,
            ),
            "gdp": series(
                gdp, 0.04, rng, "imf-weo", context_sources, ("context", "gdp"), digits=3, lowest=0.1
            ),
        },
        "indicators": {},
    }
    missing = {}
    for pillar in fw["pillars"]:
        for indicator in pillar["indicators"]:
            if not complete and rng.random() < 0.08:
                if rng.random() < 0.3:
                    missing[indicator["id"]] = "No value found in the source for this country."
                continue
            data["indicators"][indicator["id"]] = observations(indicator, strength, population, rng)
    if missing:
        data["missing"] = missing
    others = {}
    for other in fw.get("other_indices", []):
        if other["kind"] == "rank":  # a top-ten list: the first ten countries, in order
            value: float = index + 1
        else:
            value = round(min(100.0, max(0.0, 100 * strength + rng.gauss(0, 8))), 2)
        if (other["kind"] == "rank" and index >= 10) or (not complete and rng.random() < 0.4):
            continue
        key = ("other_indices", other["id"])
        others[other["id"]] = [
            {
                "value": value,
                "year": 2024,
                "source": context_sources[key],
                "evidence": f"synthetic: latent strength {strength:.3f} plus noise",
            }
        ]
    if others:
        data["other_indices"] = others
    if rng.random() < 0.05:
        data["narrative"] = (
            f"{data['name']} is **synthetic**: its values come from a seeded generator.\n\n"
            "- Every value has a source, as in the real data.\n"
            "- Some indicators are missing, with a reason.\n"
        )
    return data


def series(
    level: float,
    drift: float,
    rng: random.Random,
    fallback: str,
    context_sources: dict[tuple[str, str], str],
    key: tuple[str, str],
    *,
    digits: int,
    lowest: float,
) -> list[dict[str, Any]]:
    years = list(EDITION_YEARS)[-rng.randint(3, 6) :]
    result = []
    for offset, year in enumerate(years):
        value = max(lowest, level * (1 + drift) ** (offset - len(years) + 1))
        result.append(
            {
                "value": round(value) if digits == 0 else round(value, digits),
                "year": year,
                "source": context_sources.get(key, fallback),
            }
        )
    return result


def observations(
    indicator: dict[str, Any], strength: float, population: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Two to five yearly observations of one indicator, ending in 2023–2025."""
    last = rng.randint(2023, 2025)
    count = rng.randint(2, 5)
    years = [last - k for k in reversed(range(count))]
    result = []
    for offset, year in enumerate(years):
        grown = min(1.0, max(0.0, strength + rng.gauss(0, 0.1) - 0.03 * (count - 1 - offset)))
        entry: dict[str, Any] = {}
        if indicator["kind"] == "assessed":
            levels = [r["level"] for r in indicator["rubric"]]
            level = levels[min(len(levels) - 1, int((1 - grown) * len(levels)))]
            entry = {"level": level, "justification": f"Synthetic: {level} from the generator."}
        else:
            entry = {"value": measured_value(indicator, grown, population)}
        entry.update(
            year=year,
            source=indicator["default_source"],
            evidence=f"synthetic: strength {grown:.4f}, seeded",
        )
        result.append(entry)
    return result


def measured_value(indicator: dict[str, Any], share: float, population: float) -> float:
    """A value whose score is about `share` of the way between the goalposts."""
    low, high = indicator["goalposts"]["low"], indicator["goalposts"]["high"]
    if indicator["direction"] == "lower_is_better":
        share = 1 - share
    steps = (
        indicator["transform"]
        if isinstance(indicator["transform"], list)
        else [indicator["transform"]]
    )
    if "log" in steps:
        value = 10 ** (math.log10(low) + share * (math.log10(high) - math.log10(low)))
    else:
        value = low + share * (high - low)
    if "per_capita" in steps:
        value *= population / 1_000_000
    valid = indicator["valid_range"]
    value = min(max(value, valid["min"]), valid["max"])
    return float(f"{value:.4g}")


# -- writing -----------------------------------------------------------------------------------


def dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


def generate(out: Path, count: int, seed: int = 1) -> Path:
    """Write a complete data folder with `count` countries into `out` (replaced if present)."""
    rng = random.Random(seed)
    fw = framework(read_yaml(REAL / "framework.yaml"))
    real_countries = [read_yaml(p) for p in sorted((REAL / "countries").glob("[!_.]*.yaml"))]
    regions = {c["iso3"]: c["region"] for c in real_countries}
    context_sources = cited_sources(real_countries)
    cited = {i["default_source"] for p in fw["pillars"] for i in p["indicators"]}
    cited |= set(context_sources.values())
    if out.exists():
        shutil.rmtree(out)
    (out / "countries").mkdir(parents=True)
    (out / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../schema/framework.schema.json\n"
        "# Synthetic: written by benchmarks/generate.py from indicators/framework.yaml.\n"
        + dump(fw),
        encoding="utf-8",
    )
    (out / "sources.yaml").write_text(
        "# yaml-language-server: $schema=../schema/sources.schema.json\n"
        + dump(sources(read_yaml(REAL / "sources.yaml"), cited)),
        encoding="utf-8",
    )
    shutil.copyfile(REAL / "methodology.md", out / "methodology.md")
    codes = country_codes(count)
    for index, code in enumerate(codes):
        data = country(code, index, fw, context_sources, regions, rng)
        (out / "countries" / f"{code}.yaml").write_text(SCHEMA_LINE + dump(data), "utf-8")
    spotlights = REAL / "spotlights"
    if spotlights.is_dir():
        wanted = [p for p in spotlights.glob("[!_.]*.yaml") if p.stem in codes]
        if wanted:
            (out / "spotlights").mkdir()
        for path in wanted:
            shutil.copyfile(path, out / "spotlights" / path.name)
            shutil.copyfile(path.with_suffix(".md"), out / "spotlights" / f"{path.stem}.md")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=200, help="how many (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, help="folder (default benchmarks/out/data-N)")
    args = parser.parse_args(argv)
    out = args.out or REPO / "benchmarks" / "out" / f"data-{args.countries}"
    generate(out, args.countries, args.seed)
    print(f"wrote {out}: {args.countries} countries (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
