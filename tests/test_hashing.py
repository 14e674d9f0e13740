"""The Hasher: sha256 and git blob ids, parallel across files, memoised by stat key."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import ParseError
from auditor.hashing import Algorithm, Hasher, MemoryMemo, git_blob_sha1
from auditor.sources.directory import DirectoryTree


@pytest.mark.parametrize("data", [b"", b"hello\n", os.urandom(70_000)])
def test_git_blob_id_is_gits(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "f").write_bytes(data)
    expected = subprocess.run(
        ["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_blob_sha1(data) == expected
    digests, errors = Hasher().digests(DirectoryTree("t", tmp_path), [("f", Algorithm.GIT_SHA1)])
    assert digests == {("f", Algorithm.GIT_SHA1): expected} and not errors


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=6), st.integers(1, 4))
def test_parallel_digests_match_hashlib(contents: list[bytes], workers: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for i, data in enumerate(contents):
            Path(folder, str(i)).write_bytes(data)
        tree = DirectoryTree("t", Path(folder))
        got = Hasher(workers=workers).sha256(tree, [str(i) for i in range(len(contents))])
    assert got == {str(i): hashlib.sha256(d).hexdigest() for i, d in enumerate(contents)}


def test_memo_serves_unchanged_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a" * 1000)
    memo = MemoryMemo()
    first = Hasher(memo)
    assert first.sha256(DirectoryTree("t", tmp_path), ["a"]) == {
        "a": hashlib.sha256(b"a" * 1000).hexdigest()
    }
    assert first.hashed_bytes == 1000
    again = Hasher(memo)
    again.sha256(DirectoryTree("t", tmp_path), ["a"])
    assert again.hashed_bytes == 0
    (tmp_path / "a").write_bytes(b"b" * 1001)  # new size: a new key
    assert (
        Hasher(memo).sha256(DirectoryTree("t", tmp_path), ["a"])["a"]
        == hashlib.sha256(b"b" * 1001).hexdigest()
    )


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/etc/hostname")  # outside the tree: never read
    tree = DirectoryTree("t", tmp_path)
    digests, errors = Hasher().digests(
        tree, [("link", Algorithm.SHA256), ("nope", Algorithm.SHA256)]
    )
    assert digests == {}
    assert "outside the target" in errors["link"]
    assert errors["nope"] == "no such file in the target"
    with pytest.raises(ParseError, match="link: symlink points outside"):
        Hasher().sha256(tree, ["link"])
