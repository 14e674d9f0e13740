"""DirectoryTree: deterministic listing, skipped folders, and symlinks that cannot escape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.sources import Tree
from auditor.sources.directory import DirectoryTree
from tests.conftest import write_files


def test_lists_files_sorted_and_skips_vcs_folders(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"b/x.txt": "1", "a.txt": "2", ".git/config": "3", "c/__pycache__/m.pyc": ""}
    )
    tree = DirectoryTree("t", tmp_path)
    assert [e.path for e in tree.entries()] == ["a.txt", "b/x.txt"]


def test_symlink_out_of_the_tree_is_listed_but_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_text("top secret")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "requirements.txt")
    os.symlink(tmp_path, root / "loop")  # directory links are not followed
    tree = DirectoryTree("t", root)
    assert [e.path for e in tree.entries()] == ["requirements.txt"]
    with pytest.raises(ParseError, match="outside the target"):
        tree.read_bytes("requirements.txt")


def test_relative_links_inside_the_tree_are_read(tmp_path: Path) -> None:
    write_files(tmp_path, {"blobs/abc": "data"})
    (tmp_path / "snap").mkdir()
    os.symlink("../blobs/abc", tmp_path / "snap" / "file")
    tree = DirectoryTree("t", tmp_path)
    assert tree.read_bytes("snap/file") == b"data"
    assert tree.entry("snap/file") is not None
    assert tree.entry("snap/file").link == "../blobs/abc"  # type: ignore[union-attr]


def test_only_limits_listing_not_reading(tmp_path: Path) -> None:
    write_files(tmp_path, {"req.txt": "x", "base.txt": "y"})
    tree = DirectoryTree("t", tmp_path, only=("req.txt",))
    assert [e.path for e in tree.entries()] == ["req.txt"]
    assert tree.read_bytes("base.txt") == b"y"
    assert tree.entry("../etc/passwd") is None


@pytest.mark.parametrize(
    ("base", "ref", "expected"),
    [
        ("req/prod.txt", "base.txt", "req/base.txt"),
        ("req/prod.txt", "../base.txt", "base.txt"),
        ("prod.txt", "../base.txt", None),
        ("prod.txt", "/etc/passwd", None),
        ("a/b.txt", "./c/../d.txt", "a/d.txt"),
    ],
)
def test_resolve_relative(base: str, ref: str, expected: str | None) -> None:
    assert Tree.resolve_relative(base, ref) == expected


def test_digest_covers_exactly_what_was_read(tmp_path: Path) -> None:
    write_files(tmp_path, {"a": "1", "b": "2"})
    one, two = DirectoryTree("t", tmp_path), DirectoryTree("t", tmp_path)
    one.read_bytes("a")
    two.read_bytes("a")
    assert one.digest() == two.digest()
    two.read_bytes("b")
    assert one.digest() != two.digest()


def test_streams_and_hashes_without_reading_whole(tmp_path: Path) -> None:
    import hashlib

    from auditor.hashing import Hasher

    data = os.urandom(3 * 1024 * 1024 + 7)
    (tmp_path / "w.bin").write_bytes(data)
    tree = DirectoryTree("t", tmp_path)
    entry = tree.entry("w.bin")
    assert entry is not None and entry.stat_key is not None
    st = (tmp_path / "w.bin").stat()
    assert entry.stat_key[1:] == (len(data), st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    with tree.open("w.bin") as fh:
        assert fh.read() == data
    assert Hasher().sha256(tree, ["w.bin"]) == {"w.bin": hashlib.sha256(data).hexdigest()}
    assert tree.read_digests == {}  # streams are data, not metadata: not in the target digest


def test_stream_refuses_a_link_out_of_the_tree(tmp_path: Path) -> None:
    (tmp_path / "outside").write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to(tmp_path / "outside")
    with pytest.raises(ParseError, match="outside the target"):
        DirectoryTree("t", root).open("escape")
