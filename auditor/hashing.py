"""File digests for integrity checks and checksum purls: streamed, parallel, memoised.

Collectors only ever ask a Hasher, so they gain parallelism and the memo for free. Files are
hashed on a thread pool: hashlib releases the GIL while it digests a large buffer, so two
threads hash two files on two cores. A memo (the store's, in a scan) keeps each digest under
the file's `stat_key` (real path, size, mtime_ns, inode, ctime_ns): an unchanged file is
never hashed twice, and a changed one never matches its old key. The kernel sets ctime on
every write and every metadata change, and no user call sets it back: a file written and
then given its old mtime (`touch -d`, `os.utime`) has a new ctime and is hashed again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum, unique

from auditor.errors import ParseError
from auditor.progress import NULL_PROGRESS, NULL_STAGE, Progress, Stage
from auditor.sources import Tree

CHUNK = 8 * 1024 * 1024
"""Large reads keep hashlib's per-call overhead negligible against its throughput."""

StatKey = tuple[str, int, int, int, int]
"""(real path, size, mtime_ns, inode, ctime_ns): see `auditor.sources.Entry.stat_key`."""


@unique
class Algorithm(StrEnum):
    """Digests a Hasher computes."""

    SHA256 = "sha256"
    GIT_SHA1 = "git-sha1"
    """git's blob id: sha1 of `blob <len>\\0` followed by the content."""


@dataclass(frozen=True, slots=True)
class MemoKey:
    """What one memoised digest is filed under."""

    stat_key: StatKey
    algorithm: Algorithm


@dataclass(frozen=True, slots=True)
class KnownFile:
    """A file digest seen before, and whose file it was: the hash index's one entry."""

    digest: str
    """64 hex (the content's sha256), or `git-sha1:<40 hex>`: git's blob id of a file the Hub
    keeps in git rather than LFS (config.json, tokenizer files), which is all it lists for one."""
    repo: str
    """A Hub repo id (`Qwen/Qwen2.5-7B-Instruct-GGUF`), or `ollama:<name>` for an Ollama tag."""
    revision: str
    """The Hub commit, an Ollama tag's manifest digest, or `` when the keeper recorded none."""
    path: str
    """The file's path in the repo (an Ollama layer's role)."""
    source: str
    """Who saw it: `huggingface` (a Hub answer confirmed it), `hf-cache`, `ollama`, …"""
    strength: str
    """`registry` when a recorded Hub answer listed the digest, else `declared`."""


HASH_INDEX_PREFIX = "hash-index:"
"""Key prefix of the hash index's lines in a cache snapshot (`hash-index:<digest>`)."""
GIT_BLOB = "git-sha1:"
"""Prefix of a git blob id in the hash index (`KnownFile.digest`)."""
_FIELDS = ("repo", "revision", "path", "source", "strength")
_HEX64 = frozenset("0123456789abcdef")


def parse_index_body(body: bytes) -> list[dict[str, str]]:
    """A snapshot's hash-index line body: a JSON list of {repo, revision, path, source,
    strength}; ValueError says what is wrong."""
    import json

    items = json.loads(body)
    if not isinstance(items, list) or not items:
        raise ValueError("a hash-index body must be a non-empty JSON list")
    for item in items:
        if not isinstance(item, dict) or set(item) != set(_FIELDS):
            raise ValueError(f"a hash-index entry must have exactly {', '.join(_FIELDS)}")
        if not all(isinstance(item[k], str) for k in _FIELDS):
            raise ValueError("hash-index fields must be strings")
        if item["strength"] not in ("registry", "declared"):
            raise ValueError(f"hash-index strength {item['strength']!r}")
    return items


def is_sha256(text: str) -> bool:
    """64 lower-case hex digits."""
    return len(text) == 64 and set(text) <= _HEX64


def is_index_digest(text: str) -> bool:
    """A hash index digest: a sha256 (64 lower-case hex) or `git-sha1:<40 lower-case hex>`."""
    if text.startswith(GIT_BLOB):
        hex_ = text[len(GIT_BLOB) :]
        return len(hex_) == 40 and set(hex_) <= _HEX64
    return is_sha256(text)


class DigestMemo(ABC):
    """Digests computed by earlier runs, keyed by a file's stat key and the algorithm.

    It also keeps the hash index (the other direction: digest → the repo file it is), so a
    weight file copied out of a scanned cache is known again by its bytes."""

    @abstractmethod
    def lookup(self, keys: Iterable[MemoKey]) -> dict[MemoKey, str]:
        """The known digests among `keys` (missing keys are simply absent)."""

    def record(self, digests: Mapping[MemoKey, str]) -> None:  # noqa: B027 - optional hook
        """Keep new digests (default: forget them)."""

    def known_files(self, digests: Iterable[str]) -> dict[str, tuple[KnownFile, ...]]:
        """Hash-index entries for these digests (`KnownFile.digest`; default: none known)."""
        return {}

    def record_files(self, files: Iterable[KnownFile]) -> None:  # noqa: B027 - optional hook
        """Keep hash-index entries (default: forget them)."""


class MemoryMemo(DigestMemo):
    """A memo that lives as long as the object (tests; one process hashing twice)."""

    def __init__(self) -> None:
        self._known: dict[MemoKey, str] = {}
        self._files: dict[str, tuple[KnownFile, ...]] = {}
        self._lock = threading.Lock()

    def lookup(self, keys: Iterable[MemoKey]) -> dict[MemoKey, str]:
        """Known digests among `keys`."""
        with self._lock:
            return {k: self._known[k] for k in keys if k in self._known}

    def record(self, digests: Mapping[MemoKey, str]) -> None:
        """Keep `digests`."""
        with self._lock:
            self._known.update(digests)

    def known_files(self, digests: Iterable[str]) -> dict[str, tuple[KnownFile, ...]]:
        """Hash-index entries recorded in this object."""
        with self._lock:
            return {d: self._files[d] for d in digests if d in self._files}

    def record_files(self, files: Iterable[KnownFile]) -> None:
        """Keep hash-index entries."""
        with self._lock:
            for f in files:
                known = self._files.get(f.digest, ())
                if f not in known:
                    self._files[f.digest] = (*known, f)


WORKERS_ENV = "AUDITOR_HASH_WORKERS"
"""Overrides the thread count (e.g. 1 on a shared build machine, or to measure one core)."""


def default_workers() -> int:
    """One hashing thread per usable core (hashing is CPU-bound once the file is cached),
    unless AUDITOR_HASH_WORKERS says otherwise."""
    configured = os.environ.get(WORKERS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Hasher:
    """Digests of files in a tree: parallel across files, memoised by stat key."""

    def __init__(
        self,
        memo: DigestMemo | None = None,
        workers: int | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        self.memo = memo
        self.workers = workers or default_workers()
        self.progress = progress
        """Hears the bytes hashed, as they are read (a model's weights take minutes)."""
        self.hashed_bytes = 0
        """Bytes actually read and hashed (not served by the memo): benchmarks read it."""
        self._lock = threading.Lock()

    def sha256(self, tree: Tree, paths: Sequence[str]) -> dict[str, str]:
        """Hex sha256 of each path; ParseError names the first path that cannot be read."""
        digests, errors = self.digests(tree, [(p, Algorithm.SHA256) for p in paths])
        if errors:
            path, message = next(iter(errors.items()))
            raise ParseError(path, message)
        return {path: digests[(path, Algorithm.SHA256)] for path in paths}

    def digests(
        self, tree: Tree, wanted: Sequence[tuple[str, Algorithm]]
    ) -> tuple[dict[tuple[str, Algorithm], str], dict[str, str]]:
        """Digests of (path, algorithm) pairs, and an error message per unreadable path.

        Memoised digests are served first; the rest are hashed on the thread pool, largest
        first (so one big file does not start last and finish alone), then memoised.
        """
        found: dict[tuple[str, Algorithm], str] = {}
        errors: dict[str, str] = {}
        keyed: dict[tuple[str, Algorithm], MemoKey] = {}
        for path, algorithm in wanted:
            entry = tree.entry(path)
            if entry is not None and entry.stat_key is not None:
                keyed[(path, algorithm)] = MemoKey(entry.stat_key, algorithm)
        if self.memo is not None and keyed:
            known = self.memo.lookup(set(keyed.values()))
            for item, key in keyed.items():
                if key in known:
                    found[item] = known[key]
        todo = [item for item in dict.fromkeys(wanted) if item not in found]
        todo.sort(key=lambda item: -_size(tree, item[0]))
        fresh: dict[MemoKey, str] = {}
        if todo:
            # Here, not at start-up: a lockfile scan constructs a Hasher, never hashes.
            from concurrent.futures import ThreadPoolExecutor

            size = sum(_size(tree, path) for path, _ in todo)
            with (
                self.progress.stage(f"hashing {len(todo)} files", size, "bytes") as stage,
                ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool,
            ):
                results = pool.map(lambda item: self._hash(tree, item[0], item[1], stage), todo)
                for item, (digest, error) in zip(todo, results, strict=True):
                    if digest is None:
                        errors[item[0]] = error or "cannot read"
                        continue
                    found[item] = digest
                    if item in keyed:
                        fresh[keyed[item]] = digest
        if self.memo is not None and fresh:
            self.memo.record(fresh)
        return found, errors

    def _hash(
        self, tree: Tree, path: str, algorithm: Algorithm, stage: Stage = NULL_STAGE
    ) -> tuple[str | None, str | None]:
        entry = tree.entry(path)
        if entry is None:
            return None, "no such file in the target"
        h = hashlib.sha256() if algorithm is Algorithm.SHA256 else hashlib.sha1()
        if algorithm is Algorithm.GIT_SHA1:
            h.update(f"blob {entry.size}\0".encode())
        read = 0
        try:
            with tree.open(path) as fh:
                readinto = getattr(fh, "readinto", None)  # typing.BinaryIO does not declare it
                if readinto is None:
                    while chunk := fh.read(CHUNK):
                        h.update(chunk)
                        read += len(chunk)
                        stage.advance(len(chunk))
                else:
                    # One reused buffer: no 8 MiB bytes object allocated (and freed) per read.
                    view = memoryview(bytearray(CHUNK))
                    while n := readinto(view):
                        h.update(view[:n])
                        read += n
                        stage.advance(n)
        except ParseError as exc:
            return None, exc.reason
        except OSError as exc:
            return None, f"cannot read: {exc.strerror or exc}"
        with self._lock:
            self.hashed_bytes += read
        if read != entry.size:  # the git header already carried the listed size
            return None, f"changed while being read ({entry.size} bytes listed, {read} read)"
        return h.hexdigest(), None


def _size(tree: Tree, path: str) -> int:
    entry = tree.entry(path)
    return 0 if entry is None else entry.size


def git_blob_sha1(data: bytes) -> str:
    """git's blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
