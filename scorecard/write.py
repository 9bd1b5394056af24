"""Write the site all at once: into a temporary folder beside the target, then swap.

A build that fails, or is killed, at any moment leaves either the previous site or the
new one in place, never a mix. Leftover temporary folders from killed builds are removed
by the next build (unless another build still holds them).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from .cache import Store, digest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-folder cleanup
    fcntl = None  # type: ignore[assignment]

Content = bytes | Path  # bytes to write, or a file to copy


# Present in every site this tool writes; an existing folder without it is never replaced.
MARKER = "data/scores.json"
OLD_SITE = "site"  # where the fallback swap parks the old site, inside a temporary folder


class UnsafePathError(ValueError):
    """A path that would land outside the output folder, or an output folder not ours."""


def write_site(out: Path, files: Mapping[str, Content], record: Store | None = None) -> bool:
    """Replace the folder `out` with exactly `files` (relative POSIX path -> content).

    With `record`, a store to remember the written site in: when `out` still holds what
    the last write put there (no file added, removed or modified since: sizes, times and
    inodes, as git tells whether a file changed) and `files` are the same bytes and the
    same copied files, nothing is written. Returns whether anything was.
    """
    out = out.absolute()
    check_replaceable(out)
    targets = {rel: safe_join(out, rel) for rel in files}  # refuse bad paths before writing
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    written = _content_key(files) if record is not None else ""
    if record is not None and _holds(out, written, record):
        return False
    with _staging(out) as staging:
        made: set[Path] = set()
        for rel in sorted(files):
            target = staging / targets[rel].relative_to(out)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            content = files[rel]
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
        _swap(staging, out)
    if record is not None:
        record.put(_record_name(out), (written, _listing(out)))
    return True


def _record_name(out: Path) -> str:
    return digest("written", str(out))


def _holds(out: Path, written: str, record: Store) -> bool:
    """Whether `out` is as the last write with this content left it."""
    previous = record.get(_record_name(out))
    return (
        isinstance(previous, tuple)
        and len(previous) == 2
        and previous[0] == written
        and previous[1] == _listing(out)  # listed only when the files are the same
    )


def _content_key(files: Mapping[str, Content]) -> str:
    """A digest of what would be written: every path with its bytes, or with the size and
    time of the file it copies."""
    parts: list[bytes | str] = []
    for rel in sorted(files):
        found = files[rel]
        if isinstance(found, Path):
            stat = found.stat()
            parts += [rel, f"copy {found} {stat.st_size} {stat.st_mtime_ns}"]
        else:
            parts += [rel, found]
    return digest(*parts)


def _listing(out: Path) -> list[tuple[str, int, int, int]] | None:
    """Every folder and file under `out`, with its size, time and inode; None if absent."""
    if not out.is_dir():
        return None
    found = []
    for folder, folders, names in os.walk(out):
        folders.sort()
        for name in sorted(names) + folders:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            found.append((os.path.relpath(path, out), stat.st_size, stat.st_mtime_ns, stat.st_ino))
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
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
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
