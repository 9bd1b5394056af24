"""Write the site all at once: into a temporary folder beside the target, then swap.

A build that fails, or is killed, at any moment leaves either the previous site or the
new one in place, never a mix. Leftover temporary folders from killed builds are removed
by the next build (unless another build still holds them). The files go into the new
folder as the build makes them, from either of its processes (Writer.put); the swap
comes once every file is there (Writer.finish).

With a record (in the cache), a write remembers what it put in the folder: each file's
size, times and inode, and the keys of the pages (scorecard.pagecache). The next build
then knows which files are still as it left them, and of those, which page each holds:
an unchanged page is linked into the new site instead of being made and written again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, TypeGuard

from .cache import Store, digest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-folder cleanup
    fcntl = None  # type: ignore[assignment]


class Staged:
    """A file already put into the new site (Writer.put), by this process or a child."""

    def __repr__(self) -> str:
        return "STAGED"

    def __reduce__(self) -> str:
        return "STAGED"  # from a child, the one STAGED of this module


STAGED = Staged()
Content = bytes | Path | Staged  # bytes to write, a file to copy, or a file put already


@dataclass
class Output:
    """What a build writes: each file (relative POSIX path -> content) and, for the files
    the page cache identifies, their key (see write_site)."""

    files: dict[str, Content]
    keys: dict[str, str] = field(default_factory=dict)


# Present in every site this tool writes; an existing folder without it is never replaced.
MARKER = "data/scores.json"
OLD_SITE = "site"  # where the fallback swap parks the old site, inside a temporary folder


class UnsafePathError(ValueError):
    """A path that would land outside the output folder, or an output folder not ours."""


def write_site(
    out: Path,
    files: Mapping[str, Content],
    record: Store | None = None,
    keys: Mapping[str, str] | None = None,
) -> bool:
    """Replace the folder `out` with exactly `files` (relative POSIX path -> content): see
    Writer, whose `finish` this is, with nothing put before. Returns whether anything was
    written."""
    with Writer(out, record) as writer:
        return writer.finish(files, keys)


class Writer:
    """A new site for the folder `out`, made beside it: files can be put into it as they
    are made (`put`, from this process or a child forked after the Writer was made), then
    `finish` adds the others and puts the new site in place of `out` in one step. Leaving
    the Writer without finishing drops what was put; `out` is untouched until `finish`.

    With `record`, a store to remember the written site in: when `out` still holds what
    the last write put there (no file added, removed or modified since: sizes, times and
    inodes, as git tells whether a file changed) and the files are the same, nothing is
    written. Files are the same when they are the same bytes, the same copied files (by
    size and time) or, for those given a key, have the same key (a page cache key, which
    stands for the page's bytes). A file to copy that is `out`'s own file at the same path
    (a page the last write put there, unchanged: Previous) is linked into the new site, not
    copied.
    """

    def __init__(self, out: Path, record: Store | None = None):
        self.out = out.absolute()
        self.record = record
        self.previous = Previous(self.out, record)  # the page cache reads the same record
        check_replaceable(self.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(self.out)
        self._stack = contextlib.ExitStack()
        self._folder = self._stack.enter_context(_staging(self.out))
        self._made: set[Path] = set()  # folders made in the new site, by this process

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()  # the new site if not finished, else the old one, removed

    def put(self, rel: str, content: bytes) -> None:
        """Write one file into the new site now."""
        self._write(rel, safe_join(self.out, rel), content)

    def finish(self, files: Mapping[str, Content], keys: Mapping[str, str] | None = None) -> bool:
        """Complete the new site with `files` (STAGED: put already; each key in `keys`
        stands for its file's bytes) and put it in place of `out`; returns whether
        anything was written (with `record`, nothing is when nothing changed)."""
        keys = keys or {}
        targets = {rel: safe_join(self.out, rel) for rel in files}  # refuse bad paths first
        written = _content_key(files, keys) if self.record is not None else ""
        if self.record is not None and self.previous.holds(written):
            return False
        for rel in sorted(files):
            if not isinstance(files[rel], Staged):
                self._write(rel, targets[rel], files[rel])
        _swap(self._folder, self.out)
        self._stack.close()
        if self.record is not None:
            kept = {rel: keys[rel] for rel in files if rel in keys}
            self.record.put(_record_name(self.out), (written, _listing(self.out), kept))
        return True

    def _write(self, rel: str, destination: Path, content: Content) -> None:
        target = self._folder / destination.relative_to(self.out)
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif content == destination:  # the page already there: unchanged
            _link(destination, target)
        elif isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            raise ValueError(f"{rel}: {content!r} is not something to write")


class Previous:
    """What the last write into `out` recorded (Writer.finish's `keys`), read when first asked:
    the keys it was given, and, once the folder is listed, those of the files still as it
    left them."""

    def __init__(self, out: Path, record: Store | None):
        self.out = out.absolute()
        self.record = record

    @cached_property
    def _found(self) -> Record | None:
        found = self.record.get(_record_name(self.out)) if self.record is not None else None
        return found if _well_formed(found) else None

    @property
    def written(self) -> dict[str, str]:
        """The keys the last write was given (path -> key), whatever happened since."""
        return self._found[2] if self._found is not None else {}

    @cached_property
    def _listing(self) -> Listing | None:
        """The folder as it is now (listed once: the page cache and the write both ask)."""
        return _listing(self.out)

    @cached_property
    def intact(self) -> dict[str, str]:
        """The keys of the files still as the last write left them (the folder is listed)."""
        if self._found is None:
            return {}
        then = {entry[0]: entry for entry in self._found[1]}
        now = {entry[0]: entry for entry in self._listing or []}
        return {
            rel: key
            for rel, key in self.written.items()
            if rel in then and now.get(rel) == then[rel]
        }

    @property
    def complete(self) -> bool:
        """Whether every file the last write gave a key is as it left it."""
        return self._found is not None and len(self.intact) == len(self.written)

    def holds(self, written: str) -> bool:
        """Whether the folder is as the last write left it, and that write's content key
        (_content_key) was `written`: then there is nothing to write."""
        found = self._found
        # listed only when the content is the same
        return found is not None and found[0] == written and found[1] == self._listing


def _link(source: Path, target: Path) -> None:
    """`source` at `target` too: a hard link (nothing copied, and an unchanged page keeps
    its time for tools that compare times), or a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _record_name(out: Path) -> str:
    return digest("written", str(out))


Listing = list[tuple[str, int, int, int, int]]  # see _listing
Record = tuple[str, Listing, dict[str, str]]  # content key, listing, keys


def _well_formed(record: Any) -> TypeGuard[Record]:
    """Whether `record` has the shape write_site gives it (anything else is no record)."""
    return (
        isinstance(record, tuple)
        and len(record) == 3
        and isinstance(record[0], str)
        and isinstance(record[1], list)
        and all(isinstance(entry, tuple) and len(entry) == 5 for entry in record[1])
        and isinstance(record[2], dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in record[2].items())
    )


def _content_key(files: Mapping[str, Content], keys: Mapping[str, str]) -> str:
    """A digest of what would be written: every path with its key (given), the size and
    time of the file it copies, or its bytes."""
    parts: list[bytes | str] = []
    for rel in sorted(files):
        found = files[rel]
        if rel in keys:
            parts += [rel, "key", keys[rel]]
        elif isinstance(found, Staged):  # put as it was made: only a page with a key is
            raise ValueError(f"{rel} was put without a key")
        elif isinstance(found, Path):
            stat = found.stat()
            parts += [rel, "copy", f"{found} {stat.st_size} {stat.st_mtime_ns}"]
        else:
            parts += [rel, "bytes", found]
    return digest(*parts)


def _listing(out: Path) -> Listing | None:
    """Every folder and file under `out`, with its size, times (modified, changed) and
    inode; None if absent. The change time moves with any write, even one that puts the
    modification time back, and nothing can set it."""
    if not out.is_dir():
        return None
    found = []
    for folder, folders, names in os.walk(out):
        folders.sort()
        for name in sorted(names) + folders:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            found.append(
                (
                    os.path.relpath(path, out),
                    stat.st_size,
                    stat.st_mtime_ns,
                    stat.st_ino,
                    stat.st_ctime_ns,
                )
            )
    return found


ASSETS = "assets"  # where the static files go in the site


def static_files(static: Path) -> dict[str, Content]:
    """The files of `static` (CSS, scripts, icons), copied as they are into assets/."""
    return {
        f"{ASSETS}/{source.relative_to(static).as_posix()}": source
        for source in sorted(static.rglob("*"))
        if source.is_file() and not source.name.startswith(".")
    }


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that holds something other than a site built here."""
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UnsafePathError(
            f"refusing to replace {out}: it is not empty and is not a site built by this tool "
            f"(it has no {MARKER}); choose an empty or new folder with --out"
        )
    if out.exists() and not out.is_dir():
        raise UnsafePathError(f"refusing to replace {out}: it is a file, not a folder")


def safe_join(root: Path, rel: str) -> Path:
    """`root / rel`, refusing absolute paths, `..`, backslashes and control characters."""
    pure = PurePosixPath(rel)
    if (
        not rel
        or pure.is_absolute()
        or ".." in pure.parts
        or "\\" in rel
        or any(ord(ch) < 32 for ch in rel)
        or rel.startswith("~")
    ):
        raise UnsafePathError(f"refusing to write {rel!r} outside the output folder")
    return root.joinpath(*pure.parts)


def _prefix(out: Path) -> str:
    return f".{out.name}.tmp-"


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    staging = Path(tempfile.mkdtemp(prefix=_prefix(out), dir=out.parent))
    lock = _lock(staging)
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a published site must be readable
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after a swap it holds the old site
        _unlock(lock, staging)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        staging.mkdir()  # so that the cleanup above has something to remove
        return
    if not _exchange(staging, out):
        # No atomic exchange here: two renames, with a moment where `out` is absent. A build
        # killed in that moment leaves the old site in `old`/site; remove_stale puts it back.
        old = Path(tempfile.mkdtemp(prefix=_prefix(out), dir=out.parent))
        lock = _lock(old)  # a concurrent build's remove_stale must not take it meanwhile
        try:
            os.rename(out, old / OLD_SITE)
            os.rename(staging, out)
            os.rename(old, staging)
        finally:
            _unlock(lock, old)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if sys.platform != "linux":  # renameat2 is Linux's
        return False
    import ctypes  # ~5 ms, for the last step of a build that replaces a site

    # The C library is loaded in this process already: look the function up among the
    # loaded libraries' symbols (ctypes.util.find_library would run `ldconfig` for its name).
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28, or without it
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def remove_stale(out: Path) -> None:
    """Delete temporary folders left by killed builds (those no live build holds).

    One killed between the two renames of the fallback swap left no `out` and the old site
    inside such a folder: that site is put back first, never deleted.
    """
    if fcntl is None or not out.parent.is_dir():
        return
    for candidate in sorted(out.parent.glob(_prefix(out) + "*")):
        folder = candidate.with_suffix("") if candidate.suffix == ".lock" else candidate
        if candidate.suffix == ".lock" and folder.exists():
            continue  # handled with its folder
        lock = _lock(folder, blocking=False)
        if lock is None:
            continue  # another build is writing there
        if not out.exists() and (folder / OLD_SITE / MARKER).is_file():
            os.rename(folder / OLD_SITE, out)
        shutil.rmtree(folder, ignore_errors=True)
        _unlock(lock, folder)


def _lock(folder: Path, blocking: bool = True) -> int | None:
    if fcntl is None:
        return None
    fd = os.open(f"{folder}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None, folder: Path) -> None:
    if fd is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(f"{folder}.lock")
    os.close(fd)
