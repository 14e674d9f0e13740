"""File digests for integrity checks and checksum purls: streamed, never read whole.

The model-cache work makes this parallel across files and memoises digests in the store,
keyed by an entry's `stat_key`; collectors only ever ask a Hasher, so they gain both for free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from auditor.sources import Tree

CHUNK = 8 * 1024 * 1024
"""Large reads keep hashlib's per-call overhead negligible against its throughput."""


class Hasher:
    """sha256 of files in a tree."""

    def sha256(self, tree: Tree, paths: Sequence[str]) -> dict[str, str]:
        """Hex sha256 of each path; ParseError names a path that cannot be read."""
        digests: dict[str, str] = {}
        for path in paths:
            h = hashlib.sha256()
            with tree.open(path) as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
            digests[path] = h.hexdigest()
        return digests
