"""A content-addressed cache, kept outside the repository, of work that depends only on bytes.

Validating a country file gives the same outcome for the same inputs: the file's bytes, the
framework and sources it is checked against, the schemas and the code, the date (a future
year is an error) and the path it is shown under. validate stores the outcome under a hash
of all of them (`digest`), so the next build reads an unchanged file's result instead of
parsing and checking it again, while any change to any input is a new key, never a stale hit.

Where: $SCORECARD_CACHE_DIR, else $XDG_CACHE_HOME/ai-sovereignty-scorecard, else
~/.cache/ai-sovereignty-scorecard; SCORECARD_CACHE_DIR=off turns the cache off. Entries are
written atomically (a temporary file, then a rename), so concurrent builds are safe. An entry
that cannot be read, is truncated or corrupt counts as a miss and is written anew. Entries are
pickles, read back with an allow-list of the model's classes: a tampered entry is a miss, it
cannot run code. Entries unused for two days are removed by the next build that writes one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import time
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

ENV = "SCORECARD_CACHE_DIR"
FORMAT = b"scorecard-cache-1"
MAX_AGE = 2 * 24 * 3600  # seconds without use after which an entry is removed

# The classes an entry may contain (besides plain values): the validated model and problems.
_ALLOWED = {
    *(
        ("scorecard.model", name)
        for name in (
            "Country",
            "Observation",
            "Source",
            # the framework, spotlights and sources (validate._Checker._shared)
            "ContextFigure",
            "EditionRecord",
            "Event",
            "Framework",
            "Indicator",
            "Layer",
            "Link",
            "Measure",
            "OtherIndex",
            "PeerGroup",
            "Pillar",
            "ProposedIndicator",
            "RubricLevel",
            "Sensitivity",
            "Spotlight",
            "Target",
        )
    ),
    ("scorecard.errors", "Problem"),
    ("scorecard.errors", "Severity"),
}


class Store:
    """Values by key (a hex digest), one file each under `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._pruned = False

    def get(self, key: str, unpickler: type[pickle.Unpickler] | None = None) -> Any | None:
        """The value stored under `key`, or None (missing, unreadable or corrupt).

        `unpickler`: the class that reads it back, whose allow-list of classes decides what
        the entry may hold (by default, the validated model's: _Unpickler)."""
        raw = self.read(key)
        if raw is None:
            return None
        try:
            return (unpickler or _Unpickler)(io.BytesIO(raw)).load()
        except Exception:  # truncated, corrupt, tampered with, or from other code: a miss
            return None

    def read(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None."""
        try:
            return (self.folder / key).read_bytes()
        except OSError:
            return None

    def has(self, key: str) -> bool:
        """Whether an entry is stored under `key` (it may still turn out unreadable)."""
        return (self.folder / key).is_file()

    def touch(self, key: str) -> None:
        """Mark an entry as used now, so that it is not removed as unused."""
        with contextlib.suppress(OSError):
            os.utime(self.folder / key)

    def put(self, key: str, value: Any) -> None:
        """Store `value` under `key`; a read-only or full disk only makes builds slower."""
        self.write(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def write(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically (a temporary file, then a rename)."""
        self._write(key, lambda file: file.write(data))

    def dump(self, key: str, value: Any) -> None:
        """`put`, pickling straight into the file: no copy of a large value in memory."""
        self._write(key, lambda file: pickle.dump(value, file, pickle.HIGHEST_PROTOCOL))

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            replace_file(self.folder / key, fill)
        except OSError:
            return
        if not self._pruned:
            self._pruned = True
            self.prune()

    def prune(self, max_age: float = MAX_AGE) -> None:
        """Remove entries (and stray temporary files) not written for `max_age` seconds."""
        cutoff = time.time() - max_age
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)


class Remembering(Store):
    """A Store that also keeps, in this process, the values it reads and writes: for a
    process that builds again and again (`serve`), an unchanged file's outcome is then
    taken without reading and unpickling it (0.13 ms a file). The values are shared
    between builds, as the scores serve keeps are: nothing changes them once made."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self._kept: dict[str, Any] = {}

    def get(self, key: str, unpickler: type[pickle.Unpickler] | None = None) -> Any | None:
        found = self._kept.get(key)
        if found is None:
            found = super().get(key, unpickler)
            if found is not None:
                self._kept[key] = found
        return found

    def has(self, key: str) -> bool:
        return key in self._kept or super().has(key)

    def put(self, key: str, value: Any) -> None:
        super().put(key, value)
        self._kept[key] = value

    def dump(self, key: str, value: Any) -> None:
        super().dump(key, value)
        self._kept[key] = value

    def keep_only(self, keys: Collection[str]) -> None:
        """Forget, in this process, every value but those under `keys` (the current files')."""
        wanted = set(keys)
        self._kept = {k: v for k, v in self._kept.items() if k in wanted}


def replace_file(target: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write `target` in one step: `fill` writes a temporary file beside it, which then
    replaces it, so that a reader sees the old file or the new one, never part of one. If
    anything fails, the temporary file is removed and the error raised."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as file:
            fill(file)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def default_store(kind: str) -> Store | None:
    """The store for one kind of entry, where the environment says; None when turned off."""
    setting = os.environ.get(ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        root = Path(setting)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "ai-sovereignty-scorecard"
    return Store(root / kind)


def remembering_store(kind: str) -> Remembering | None:
    """default_store, also keeping its values in this process (see Remembering)."""
    store = default_store(kind)
    return None if store is None else Remembering(store.folder)


def digest(*parts: bytes | str) -> str:
    """A hex key for a sequence of inputs (lengths included, so parts cannot run together)."""
    hasher = hashlib.sha256(FORMAT)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


@cache
def code_version() -> str:
    """A digest of the package's code and schemas, and of the Python and PyYAML running it."""
    import yaml

    package = Path(__file__).resolve().parent
    files = sorted(package.glob("*.py")) + sorted((package.parent / "schema").glob("*.json"))
    return digest(sys.version, yaml.__version__, *(p.read_bytes() for p in files))


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
        return super().find_class(module, name)
