"""A tampered cache blob is hashed again however its timestamps are put back (issue 28).

The memo (the store's digest_memo table) keys each digest on size, mtime, inode and ctime.
Each variant changes a memoised file and restores what a user can restore (the mtime with
`os.utime`, the size, even the inode by writing in place); the next hashing reads the file
again and reports its true digest.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.hashing import Hasher
from auditor.sources.directory import DirectoryTree
from auditor.store import open_store

DATA = bytes(range(256)) * 64


def _in_place(path: Path, at: int) -> None:
    with path.open("r+b") as fh:  # same inode, same size
        fh.seek(at)
        fh.write(bytes([DATA[at] ^ 0xFF]))


def _rewrite(path: Path, at: int) -> None:
    data = bytearray(DATA)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))  # O_TRUNC: same inode, same size


def _replace(path: Path, at: int) -> None:
    data = bytearray(DATA)
    data[at] ^= 0x80
    fresh = path.with_suffix(".new")
    fresh.write_bytes(bytes(data))
    os.replace(fresh, path)  # another inode under the same name


TAMPER: dict[str, Callable[[Path, int], None]] = {
    "in place": _in_place, "rewrite": _rewrite, "replace": _replace,
}  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(how=st.sampled_from(sorted(TAMPER)), at=st.integers(0, len(DATA) - 1),
       restore_atime=st.booleans())  # fmt: skip
def test_tampered_blob_with_restored_mtime_is_rehashed(
    tmp_path_factory: pytest.TempPathFactory, how: str, at: int, restore_atime: bool
) -> None:
    root = tmp_path_factory.mktemp("cache")
    blob = root / "blobs" / "weights.bin"
    blob.parent.mkdir()
    blob.write_bytes(DATA)
    tree = DirectoryTree("cache", root)
    with open_store(f"sqlite:///{root / 'store.db'}") as store:
        first = Hasher(store.digest_memo())
        assert first.sha256(tree, ["blobs/weights.bin"]) == {
            "blobs/weights.bin": hashlib.sha256(DATA).hexdigest()
        }
        again = Hasher(store.digest_memo())
        again.sha256(DirectoryTree("cache", root), ["blobs/weights.bin"])
        assert again.hashed_bytes == 0  # unchanged: served by the memo
        before = blob.stat()
        time.sleep(0.01)
        TAMPER[how](blob, at)
        atime = before.st_atime_ns if restore_atime else blob.stat().st_atime_ns
        os.utime(blob, ns=(atime, before.st_mtime_ns))
        after = blob.stat()
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        third = Hasher(store.digest_memo())
        found = third.sha256(DirectoryTree("cache", root), ["blobs/weights.bin"])
        assert third.hashed_bytes == len(DATA)  # read again
        assert found["blobs/weights.bin"] == hashlib.sha256(blob.read_bytes()).hexdigest()
        assert found["blobs/weights.bin"] != hashlib.sha256(DATA).hexdigest()


def test_metadata_only_change_rehashes_and_agrees(tmp_path: Path) -> None:
    blob = tmp_path / "b.bin"
    blob.write_bytes(DATA)
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        Hasher(store.digest_memo()).sha256(DirectoryTree("t", tmp_path), ["b.bin"])
        time.sleep(0.01)
        blob.chmod(0o600)  # ctime moves; the content does not
        again = Hasher(store.digest_memo())
        found = again.sha256(DirectoryTree("t", tmp_path), ["b.bin"])
        assert again.hashed_bytes == len(DATA)
        assert found == {"b.bin": hashlib.sha256(DATA).hexdigest()}
