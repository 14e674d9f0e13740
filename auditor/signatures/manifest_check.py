"""Re-hash a model's files over a Tree and compare them with a signed manifest.

Mirrors model_signing's serialisations (`files`: one digest per file; `shards`: one per
`path:start:end` slice of `shard_size` bytes, empty files having none) so a signature made
with the model_signing CLI on a folder checks the same bytes inside a cache or an image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import blake3

from auditor.hashing import CHUNK, Hasher
from auditor.sources import Tree

if TYPE_CHECKING:  # model_signing costs ~0.5 s to import: only scans that meet a signature pay
    from auditor.signatures.model_signature import SignedManifest

DEFAULT_IGNORED = (".git", ".gitattributes", ".github", ".gitignore")
"""What model_signing leaves out of every manifest by default (its `ignore_git_paths`)."""


class _Hash(Protocol):
    def update(self, data: bytes, /) -> object: ...
    def hexdigest(self) -> str: ...


_ALGORITHMS: dict[str, Callable[[], _Hash]] = {
    "sha256": hashlib.sha256,
    "blake2b": hashlib.blake2b,
    "blake2": hashlib.blake2b,
    "blake3": blake3.blake3,
}


@dataclass(frozen=True, slots=True)
class ManifestCheck:
    """How the files present differ from the signed manifest."""

    missing: tuple[str, ...] = ()
    """Signed, but not present."""
    extra: tuple[str, ...] = ()
    """Present, but not signed."""
    changed: tuple[str, ...] = ()
    """Present with other bytes than were signed."""

    @property
    def matches(self) -> bool:
        """True when every signed file is present with its signed bytes, and nothing else."""
        return not (self.missing or self.extra or self.changed)

    def describe(self, limit: int = 5) -> str:
        """`changed: a, b; missing: c; extra: d` with at most `limit` names per group."""
        parts = []
        for label, names in (("changed", self.changed), ("missing", self.missing)):
            if names:
                parts.append(f"{label}: {_some(names, limit)}")
        if self.extra:
            parts.append(f"not covered by the signature: {_some(self.extra, limit)}")
        return "; ".join(parts)


def model_files(
    paths: Iterable[str], root: str, excluded: Sequence[str] = DEFAULT_IGNORED
) -> list[str]:
    """Paths below `root` (relative to it), leaving out `excluded` paths and their contents."""
    prefix = f"{root}/" if root else ""
    found = []
    for path in paths:
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if not any(rel == x or rel.startswith(f"{x}/") for x in excluded):
            found.append(rel)
    return sorted(found)


def check_manifest(
    tree: Tree,
    root: str,
    files: Sequence[str],
    signed: SignedManifest,
    hasher: Hasher,
    sha256: Mapping[str, str] | None = None,
) -> ManifestCheck:
    """Compare `files` (relative to `root`) with the manifest `signed` vouches for.

    `sha256` holds digests the caller already has (relative path -> hex), so no file is
    hashed twice.
    """
    expected = {r.identifier: (r.algorithm, r.digest) for r in signed.resources}
    full = {rel: f"{root}/{rel}" if root else rel for rel in files}
    actual: dict[str, str] = {}
    if signed.method == "shards" and signed.shard_size:
        for rel in files:
            actual.update(_shard_digests(tree, full[rel], rel, signed.shard_size, signed.hash_type))
    elif signed.hash_type == "sha256" and sha256 is not None and sha256.keys() >= set(files):
        actual = {rel: sha256[rel] for rel in files}
    elif signed.hash_type == "sha256":
        digests = hasher.sha256(tree, [full[rel] for rel in files])
        actual = {rel: digests[full[rel]] for rel in files}
    else:
        actual = {rel: _digest(tree, full[rel], signed.hash_type) for rel in files}
    changed = sorted(k for k in expected.keys() & actual.keys() if expected[k][1] != actual[k])
    return ManifestCheck(
        missing=tuple(sorted(expected.keys() - actual.keys())),
        extra=tuple(sorted(actual.keys() - expected.keys())),
        changed=tuple(changed),
    )


def _new(algorithm: str) -> _Hash:
    factory = _ALGORITHMS.get(algorithm)
    if factory is None:
        # An algorithm we cannot recompute: every file then counts as changed, never as
        # verified; the message names the files, and the signer's algorithm is in the bundle.
        return hashlib.new("sha3_256")
    return factory()


def _digest(tree: Tree, path: str, algorithm: str) -> str:
    h = _new(algorithm)
    with tree.open(path) as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _shard_digests(tree: Tree, path: str, rel: str, size: int, algorithm: str) -> dict[str, str]:
    found: dict[str, str] = {}
    with tree.open(path) as fh:
        start = 0
        while True:
            h, length = _new(algorithm), 0
            while length < size and (chunk := fh.read(min(CHUNK, size - length))):
                h.update(chunk)
                length += len(chunk)
            if not length:
                return found
            found[f"{rel}:{start}:{start + length}"] = h.hexdigest()
            start += length


def _some(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
