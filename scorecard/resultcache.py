"""The computed results of a data set, kept between builds like the validated files.

Scores, ranks, the editions, the lens scores and matrix, and the Monte Carlo rank intervals
depend only on the validated data, the code and numpy (whose generator draws the runs). A
build whose data did not change since an earlier one reads them back (one file) instead of
computing them again, and does not import numpy. The key is the Dataset's fingerprint,
which validate makes from the validation cache's keys (every country file's bytes and
path, framework.yaml, sources.yaml, the code and schemas, the Python and PyYAML versions,
the ISO codes, the date), plus numpy's version: any change is a new key, never a stale hit.

An entry holds no copy of the data: an indicator score names its observation by place
(country, indicator, position) and gets back the Dataset's own object, so the pages and
downloads can tell, by identity, which observation a score used. Entries are read with an
allow-list of the result classes (a tampered entry is a miss, it cannot run code); the
store, its folder and its clean-up are scorecard.cache's.
"""

from __future__ import annotations

import importlib.util
import io
import pickle
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .cache import Store, default_store, digest
from .compute import CountryScore, LayerScore, RankInterval
from .model import Dataset, Observation

_ALLOWED = {
    ("scorecard.compute", name)
    for name in ("CountryScore", "IndicatorScore", "PillarScore", "LayerScore", "RankInterval")
}

Place = tuple[str, str, int]  # country, indicator, position among its observations


@dataclass(frozen=True)
class Computed:
    """Everything a build computes from a Dataset (see pipeline.Results)."""

    scores: list[CountryScore]
    intervals: dict[str, RankInterval]
    pillar_intervals: dict[str, dict[str, RankInterval]]
    layers: dict[str, dict[str, LayerScore]]
    editions: dict[int, list[CountryScore]]
    matrix: dict[str, dict[tuple[str, str], LayerScore]]


def load(dataset: Dataset, store: Store | None) -> Computed | None:
    """The results stored for this data, or None (no fingerprint, no entry, or unusable)."""
    entry = key(dataset)
    raw = store.read(entry) if store is not None and entry else None
    if raw is None:
        return None
    try:
        found = _Unpickler(io.BytesIO(raw), dataset).load()
    except Exception:  # truncated, corrupt, tampered with, or from other code: a miss
        return None
    return found if isinstance(found, Computed) else None


def save(dataset: Dataset, store: Store | None, computed: Computed) -> None:
    entry = key(dataset)
    if store is None or not entry:
        return
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, _places(dataset)).dump(computed)
    except pickle.PicklingError:  # an observation that is not the Dataset's: do not keep
        return
    store.write(entry, buffer.getvalue())


def default() -> Store | None:
    return default_store("results")


def key(dataset: Dataset) -> str:
    """The key of the results of this data; "" when unknown (no cache)."""
    return digest(dataset.fingerprint, _numpy_version()) if dataset.fingerprint else ""


@cache
def _numpy_version() -> str:
    """numpy's version file, read without importing numpy (that takes ~0.1 s)."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        return ""
    try:
        return (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except OSError:
        return ""


def _places(dataset: Dataset) -> dict[int, Place]:
    return {
        id(observation): (country.iso3, indicator, position)
        for country in dataset.countries
        for indicator, observations in country.indicators.items()
        for position, observation in enumerate(observations)
    }


def observation_at(iso3: str, indicator: str, position: int) -> Observation:
    """How an entry names an observation; only _Unpickler can resolve it (to its Dataset's)."""
    raise pickle.UnpicklingError("an observation outside a result cache entry")


# Neither class below may hold a bound method of itself (a reference cycle): builds run with
# the cyclic collector paused (pipeline.collector_paused), and the pickler's memo of every
# object it wrote (~50 MB at 1,000 countries) would then live until the build ends.


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, places: dict[int, Place]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

        def observation(found: Observation) -> tuple[Any, Place]:
            place = places.get(id(found))
            if place is None:
                raise pickle.PicklingError("an observation from outside the Dataset")
            return observation_at, place

        # Only observations are pickled differently; a dispatch table costs nothing for
        # the other objects (persistent_id would be a Python call for every one of them).
        self.dispatch_table = {Observation: observation}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, dataset: Dataset):
        super().__init__(file)

        def observation(iso3: str, indicator: str, position: int) -> Observation:
            return dataset.country(iso3).indicators[indicator][position]

        self.observation = observation

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, "observation_at"):
            return self.observation
        if (module, name) == (__name__, "Computed") or (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
