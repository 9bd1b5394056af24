#!/usr/bin/env python3
"""How fast could a cold build be? Cold builds with a part of the work made (nearly) free.

    python benchmarks/bounds.py [--countries 200] [--runs 5]

Times cold builds of the synthetic data set (benchmarks/generate.py), as benchmarks/run.py
times them (a new process, an empty cache, no previous site, no compiled modules of the
project), in four variants, each run of every variant one after the other so that the
machine's load falls on all of them alike:

- as built: `benchmarks/sitebuild.py`, the code `python build.py` runs;
- pages free: country pages are not rendered; each is a one-byte file without a page
  cache key (their data, the view, is still made);
- YAML free: each file's YAML is read back from a pickle of what the reader made of it
  (the pickles made beforehand, outside the timing; unpickling one takes ~0.1 ms where
  reading the YAML takes ~1.2 ms);
- both free.

No optimisation of rendering country pages or of reading YAML can make a build faster
than the variant where that work costs nothing: the figures bound what is left to gain
there (docs/performance.md, "What is still slow, and why"). The variants change no file of
the project; they replace two functions in the build's process (`--pickled` and `--free`,
for this script's own use).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

VARIANTS = {
    "as built": (),
    "pages free": ("pages",),
    "YAML free": ("yaml",),
    "both free": ("pages", "yaml"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from benchmarks import run  # not in the builds' processes: they import only what they use

    data = run.dataset(args.countries)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} processors, "
        f"load {run.load_average()}; {args.countries} countries, cold builds"
    )
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    processor: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(dir=run.OUT) as scratch:
        pickled = Path(scratch) / "yaml.pickle"
        pickle_yaml(data, pickled)
        for n in range(args.runs):
            for name, free in VARIANTS.items():
                run.forget_bytecode()
                command = ["build", "--data", str(data), "--out", f"{scratch}/site-{n}-{name}"]
                script = REPO / "benchmarks" / "sitebuild.py"  # as built: run.py's cold build
                if free:
                    script = Path(__file__)
                    command[:0] = ["--pickled", str(pickled), *(f"--free={p}" for p in free)]
                wall, _, used = run.timed(command, f"{scratch}/cache-{n}-{name}", script)
                seconds[name].append(wall)
                processor[name].append(used)
    print(f"{'':>11} | {'wall s':>17} | {'processor s':>17} | wall saved")
    built = statistics.median(seconds["as built"])
    for name in VARIANTS:
        saved = built - statistics.median(seconds[name])
        print(
            f"{name:>11} | {run.spread(seconds[name])} | {run.spread(processor[name])} | "
            f"{saved:5.2f}"
        )
    print(f"load after: {run.load_average()}")
    return 0


def pickle_yaml(data: Path, into: Path) -> None:
    """What the YAML reader makes of every file under `data`, pickled, by the file's bytes."""
    from scorecard.yamlsafe import load_bytes

    made = {}
    for path in sorted(data.rglob("*.yaml")):
        raw = path.read_bytes()
        made[raw] = pickle.dumps(load_bytes(raw), protocol=pickle.HIGHEST_PROTOCOL)
    into.write_bytes(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))


def variant(argv: list[str]) -> int:
    """One build with the parts named by `--free` made free (the child of `main`)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pickled", type=Path, required=True)
    parser.add_argument("--free", action="append", choices=("pages", "yaml"), default=[])
    args, rest = parser.parse_known_args(argv)
    from benchmarks import sitebuild

    if "yaml" in args.free:
        free_yaml(args.pickled)
    if "pages" in args.free:
        free_country_pages()
    return sitebuild.main(rest, leave=True)


def free_yaml(pickled: Path) -> None:
    """Files whose bytes were pickled beforehand are unpickled instead of read."""
    from scorecard import load

    made: dict[bytes, bytes] = pickle.loads(pickled.read_bytes())
    read = replaced(load, "load_bytes")

    def load_bytes(raw: bytes) -> Any:
        found = made.get(raw)
        return read(raw) if found is None else pickle.loads(found)

    load.load_bytes = load_bytes  # type: ignore[assignment]


def free_country_pages() -> None:
    """A country page is one byte, without a key (so never kept from a previous build)."""
    from scorecard import site

    replaced(site._Renderer, "_country_page")

    def country_page(
        self: site._Renderer, country: Any, reuse: bool = True
    ) -> tuple[str, str, bytes]:
        return site.country_path(country.iso3), "", b"-"

    site._Renderer._country_page = country_page  # type: ignore[method-assign]


def replaced(owner: object, name: str) -> Any:
    """What `owner.name` is, before this script replaces it: it must exist (renamed, the
    replacement would change nothing and the bound would be the build as it is)."""
    if not hasattr(owner, name):
        raise SystemExit(f"bounds.py: {owner!r} has no {name!r} any more: update this script")
    return getattr(owner, name)


if __name__ == "__main__":
    if "--pickled" in sys.argv:
        sys.exit(variant(sys.argv[1:]))
    sys.exit(main())
