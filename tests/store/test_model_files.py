"""Migration 0003: a model revision's files round-trip, and the digest memo keeps digests by
(path, size, mtime_ns, inode) on SQLite and PostgreSQL."""

from __future__ import annotations

from auditor.hashing import Algorithm, MemoKey
from auditor.model import Component, ComponentFile, ComponentKind, Scan, ScanStatus
from auditor.store import Store


def test_component_files_round_trip(store: Store) -> None:
    files = (
        ComponentFile("config.json", 12, None, "a" * 40, "models--o--m/snapshots/c/config.json"),
        ComponentFile("model.safetensors", 2**40, "b" * 64, None, None),
        ComponentFile("gone.bin"),
    )
    scan = Scan(
        id="scan-files",
        started_at="2026-11-28T12:00:00.000Z",
        finished_at="2026-11-28T12:00:01.000Z",
        status=ScanStatus.COMPLETE,
        tool_version="0",
        targets=(),
        components=(
            Component(
                "pkg:huggingface/o/m@" + "c" * 40, ComponentKind.MODEL, "o/m", "c" * 40, files=files
            ),
            Component("pkg:pypi/x@1", ComponentKind.LIBRARY, "x", "1"),
        ),
    )
    store.save_scan(scan)
    assert store.load_scan("scan-files") == scan
    # a summary load leaves the files out, like the other detail columns
    assert all(c.files == () for c in store.load_scan("scan-files", detail=False).components)


def test_digest_memo(store: Store) -> None:
    memo = store.digest_memo()
    huge_inode = 2**64 - 1  # larger than any signed 64-bit column: kept as text
    ctime = 1_700_000_000_999_999_999
    key = MemoKey(
        ("/cache/blobs/x", 10, 1_700_000_000_123_456_789, huge_inode, ctime), Algorithm.SHA256
    )
    git = MemoKey(key.stat_key, Algorithm.GIT_SHA1)
    assert memo.lookup([key]) == {}
    memo.record({key: "d" * 64, git: "e" * 40})
    assert memo.lookup([key, git]) == {key: "d" * 64, git: "e" * 40}
    touched = MemoKey(
        ("/cache/blobs/x", 10, 1_700_000_000_123_456_790, huge_inode, ctime), Algorithm.SHA256
    )
    assert memo.lookup([touched]) == {}  # a changed mtime never matches the old digest
    restored = MemoKey((*key.stat_key[:4], ctime + 1), Algorithm.SHA256)
    assert memo.lookup([restored]) == {}  # nor a restored mtime: the ctime moved on
    memo.record({touched: "f" * 64})  # replaces the row: the memo does not grow
    assert memo.lookup([touched, key]) == {touched: "f" * 64}
    many = {MemoKey((f"/p/{i}", i, i, i, i), Algorithm.SHA256): f"{i:064x}" for i in range(1200)}
    memo.record(many)  # more than one batch
    assert memo.lookup(many) == many
