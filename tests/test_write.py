"""Writing the site: paths stay inside the output folder, and the swap is all or nothing."""

from __future__ import annotations

import fcntl
import os
import pickle
import sys
from pathlib import Path

import pytest

from scorecard import write
from scorecard.cache import Store
from scorecard.write import STAGED, UnsafePathError, Writer, remove_stale, safe_join, write_site

from .conftest import tree

SITE = {"data/scores.json": b"{}\n", "index.html": b"<h1>new</h1>\n", "a/b/c.txt": b"deep"}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# -- safe_join ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "../x",
        "/etc/x",
        "a/../../b",
        "a/../b",
        "..",
        "a\\b",
        "..\\x",
        "a\x00b",
        "a\nb",
        "a\x1fb",
        "~/x",
        "",
    ],
)
def test_safe_join_refuses_paths_that_leave_the_folder(tmp_path, rel):
    with pytest.raises(UnsafePathError) as caught:
        safe_join(tmp_path, rel)
    assert str(caught.value) == f"refusing to write {rel!r} outside the output folder"


@pytest.mark.parametrize(
    ("rel", "parts"),
    [
        ("index.html", ("index.html",)),
        ("countries/FRA/index.html", ("countries", "FRA", "index.html")),
        ("./a//b", ("a", "b")),
        ("a~b/.hidden", ("a~b", ".hidden")),
    ],
)
def test_safe_join_accepts_relative_paths(tmp_path, rel, parts):
    assert safe_join(tmp_path, rel) == tmp_path.joinpath(*parts)


def test_an_unsafe_path_stops_the_write_before_anything_is_written(tmp_path):
    out = tmp_path / "site"
    with pytest.raises(UnsafePathError):
        write_site(out, {"index.html": b"x", "../escape.txt": b"x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- write_site ---------------------------------------------------------------------------------


def test_writes_a_new_folder(tmp_path):
    source = tmp_path / "style.css"
    source.write_bytes(b"body{}")
    out = tmp_path / "site"
    write_site(out, {**SITE, "assets/style.css": source})
    assert tree(out) == {**SITE, "assets/style.css": b"body{}"}
    assert leftovers(tmp_path) == []


def test_the_site_is_readable_by_others(tmp_path):
    out = tmp_path / "site"
    write_site(out, SITE)
    assert out.stat().st_mode & 0o755 == 0o755


def test_replaces_the_old_site_completely(tmp_path):
    out = tmp_path / "site"
    write_site(out, {"data/scores.json": b"old", "old-only.html": b"old", "gone/x.txt": b"x"})
    write_site(out, SITE)
    assert tree(out) == SITE  # nothing of the old site is left
    assert leftovers(tmp_path) == []


def test_replaces_without_an_atomic_exchange_too(tmp_path, monkeypatch):
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    out = tmp_path / "site"
    write_site(out, {"data/scores.json": b"old", "old-only.html": b"old"})
    write_site(out, SITE)
    assert tree(out) == SITE
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform != "linux", reason="renameat2 is Linux's")
def test_the_exchange_swaps_two_folders_in_one_step_on_linux(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("a")
    (tmp_path / "b").mkdir()
    assert write._exchange(tmp_path / "a", tmp_path / "b")  # glibc 2.28 and later have it
    assert sorted(os.listdir(tmp_path / "a")) == []
    assert (tmp_path / "b" / "one.txt").read_text() == "a"
    assert not write._exchange(tmp_path / "a", tmp_path / "missing")  # fails: nothing moves
    assert (tmp_path / "b" / "one.txt").read_text() == "a"


def test_a_failure_while_writing_leaves_the_old_site(tmp_path):
    out = tmp_path / "site"
    old = {"data/scores.json": b"old", "index.html": b"old"}
    write_site(out, old)
    with pytest.raises(FileNotFoundError):
        write_site(out, {**SITE, "z-last.css": tmp_path / "does-not-exist.css"})
    assert tree(out) == old
    assert leftovers(tmp_path) == []


def test_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(UnsafePathError) as caught:
        write_site(out, SITE)
    assert str(caught.value) == (
        f"refusing to replace {out}: it is not empty and is not a site built by this tool "
        "(it has no data/scores.json); choose an empty or new folder with --out"
    )
    assert tree(out) == {"thesis.tex": b"years of work"}
    assert leftovers(tmp_path) == []


def test_refuses_to_replace_a_file(tmp_path):
    out = tmp_path / "site"
    out.write_text("not a folder")
    with pytest.raises(UnsafePathError) as caught:
        write_site(out, SITE)
    assert str(caught.value) == f"refusing to replace {out}: it is a file, not a folder"
    assert out.read_text() == "not a folder"


def test_an_empty_folder_may_be_replaced(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    write_site(out, SITE)
    assert tree(out) == SITE


def test_a_relative_out_is_taken_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_site(Path("site"), SITE)
    assert tree(tmp_path / "site") == SITE


# -- a site that is already up to date ------------------------------------------------------------


@pytest.fixture
def record(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache")


def test_the_same_files_again_are_not_written(tmp_path, record):
    out = tmp_path / "site"
    assert write_site(out, SITE, record) is True
    inode = (out / "index.html").stat().st_ino
    assert write_site(out, dict(SITE), record) is False
    assert (out / "index.html").stat().st_ino == inode
    assert tree(out) == SITE


def test_a_changed_byte_is_written(tmp_path, record):
    out = tmp_path / "site"
    write_site(out, SITE, record)
    assert write_site(out, {**SITE, "a/b/c.txt": b"deeP"}, record) is True
    assert tree(out) == {**SITE, "a/b/c.txt": b"deeP"}


@pytest.mark.parametrize(
    "meddle",
    [
        lambda out: (out / "extra.html").write_bytes(b"added by hand"),
        lambda out: (out / "a" / "b" / "extra").mkdir(),
        lambda out: (out / "index.html").write_bytes(b"<h1>NEW</h1>\n"),  # same size
        lambda out: (out / "a" / "b" / "c.txt").unlink(),
        lambda out: os.utime(out / "index.html", ns=(0, 0)),
    ],
)
def test_a_site_changed_on_disk_is_written_again(tmp_path, record, meddle):
    out = tmp_path / "site"
    write_site(out, SITE, record)
    meddle(out)
    assert write_site(out, SITE, record) is True
    assert tree(out) == SITE
    assert not (out / "a" / "b" / "extra").exists()


def test_a_changed_file_to_copy_is_written(tmp_path, record):
    out, style = tmp_path / "site", tmp_path / "style.css"
    style.write_bytes(b"body {}")
    write_site(out, {**SITE, "assets/style.css": style}, record)
    style.write_bytes(b"p {} ")
    assert write_site(out, {**SITE, "assets/style.css": style}, record) is True
    assert (out / "assets" / "style.css").read_bytes() == b"p {} "


def test_files_with_keys_are_compared_by_key(tmp_path, record):
    out = tmp_path / "site"
    keys = {"index.html": "page 1"}
    write_site(out, SITE, record, keys)
    changed = {**SITE, "index.html": b"<h1>NEW</h1>\n"}
    assert write_site(out, changed, record, keys) is False  # the key stands for the bytes
    assert write_site(out, changed, record, {"index.html": "page 2"}) is True
    assert tree(out) == changed


def test_a_key_and_bytes_that_spell_it_are_not_the_same(tmp_path, record):
    out = tmp_path / "site"
    files = {**SITE, "index.html": b"page 1"}
    write_site(out, files, record)
    assert write_site(out, files, record, {"index.html": "page 1"}) is True


def test_the_output_folder_s_own_file_is_linked_not_copied(tmp_path, record):
    out = tmp_path / "site"
    write_site(out, SITE, record)
    before = (out / "index.html").stat()
    write_site(out, {**SITE, "index.html": out / "index.html", "a/b/c.txt": b"other"}, record)
    after = (out / "index.html").stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (
        before.st_ino,
        before.st_mtime_ns,
        1,
    )
    assert tree(out) == {**SITE, "a/b/c.txt": b"other"}


def test_a_file_system_without_links_gets_a_copy(tmp_path, record, monkeypatch):
    out = tmp_path / "site"
    write_site(out, SITE, record)

    def refuse(*args, **kwargs):
        raise PermissionError("no hard links here")

    monkeypatch.setattr(os, "link", refuse)
    write_site(out, {**SITE, "index.html": out / "index.html", "a/b/c.txt": b"other"}, record)
    assert tree(out) == {**SITE, "a/b/c.txt": b"other"}


def test_files_put_as_they_are_made_are_in_the_new_site(tmp_path, record):
    out = tmp_path / "site"
    with Writer(out, record) as writer:
        writer.put("a/page.html", b"<p>made first</p>")
        assert not out.exists()  # nothing in place before finish
        assert writer.finish({**SITE, "a/page.html": STAGED}, {"a/page.html": "key"}) is True
    assert tree(out) == {**SITE, "a/page.html": b"<p>made first</p>"}
    assert leftovers(tmp_path) == []


def test_a_writer_left_unfinished_leaves_the_old_site(tmp_path):
    out = tmp_path / "site"
    write_site(out, SITE)
    with pytest.raises(RuntimeError), Writer(out) as writer:
        writer.put("index.html", b"<h1>half</h1>")
        raise RuntimeError("the build failed")
    assert tree(out) == SITE
    assert leftovers(tmp_path) == []


def test_nothing_changed_drops_what_was_put(tmp_path, record):
    out = tmp_path / "site"
    write_site(out, SITE, record, {"index.html": "key"})
    with Writer(out, record) as writer:
        writer.put("index.html", b"<h1>new</h1>\n")
        assert writer.finish({**SITE, "index.html": STAGED}, {"index.html": "key"}) is False
    assert tree(out) == SITE
    assert leftovers(tmp_path) == []


def test_a_file_put_without_a_key_cannot_be_recorded(tmp_path, record):
    with Writer(tmp_path / "site", record) as writer:
        writer.put("index.html", b"<h1>new</h1>\n")
        with pytest.raises(ValueError, match=r"index\.html was put without a key"):
            writer.finish({**SITE, "index.html": STAGED})


def test_put_refuses_paths_that_leave_the_folder(tmp_path):
    with Writer(tmp_path / "site") as writer, pytest.raises(UnsafePathError):
        writer.put("../outside.html", b"no")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", [b"damaged", pickle.dumps(("one",)), pickle.dumps([1, 2])])
def test_a_damaged_record_means_writing(tmp_path, record, damage):
    out = tmp_path / "site"
    write_site(out, SITE, record)
    for entry in record.folder.iterdir():
        entry.write_bytes(damage)
    assert write_site(out, SITE, record) is True


# -- leftovers of killed builds -------------------------------------------------------------------


def killed_build(parent: Path, name: str, with_lock: bool = True) -> Path:
    """What a build killed mid-write leaves: a staging folder (and its lock file)."""
    staging = parent / f".site.tmp-{name}"
    (staging / "data").mkdir(parents=True)
    (staging / "data/scores.json").write_bytes(b"half")
    if with_lock:
        Path(f"{staging}.lock").touch()
    return staging


def test_stale_staging_folders_and_locks_are_removed(tmp_path):
    killed_build(tmp_path, "k1ll3d")
    killed_build(tmp_path, "n0l0ck", with_lock=False)
    Path(tmp_path / ".site.tmp-0rphan.lock").touch()  # a lock whose folder is gone
    (tmp_path / ".other.tmp-keep").mkdir()  # another output folder's: not ours to remove
    write_site(tmp_path / "site", SITE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-keep", "site"]
    assert tree(tmp_path / "site") == SITE


def test_a_staging_folder_held_by_a_live_build_is_kept(tmp_path):
    staging = killed_build(tmp_path, "l1ve")
    fd = os.open(f"{staging}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        remove_stale(tmp_path / "site")
        assert staging.is_dir()
        assert Path(f"{staging}.lock").exists()
    finally:
        os.close(fd)
    remove_stale(tmp_path / "site")  # released: now it is stale
    assert leftovers(tmp_path) == []
