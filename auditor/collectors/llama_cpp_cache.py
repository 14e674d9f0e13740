"""llama.cpp's download cache, older flat layout: `<owner>_<repo>_<file>` beside the Hub's
manifest answer `manifest=<owner>=<repo>=<tag>.json`.

From llama.cpp `common/hf-cache.cpp` (`parse_manifest_name`: `^manifest=([^=]+)=([^=]+)=.*\\.json$`;
`make_old_cache_filename`: `owner + "_" + repo + "_" + filename`, every `/` made `_`;
`migrate_old_cache_to_hf_cache` reads the manifest's `ggufFile` and `mmprojFile`, each with
`rfilename` and `lfs.sha256`). The folder is `fs_get_cache_directory()` (common/common.cpp):
`$LLAMA_CACHE`, else `$XDG_CACHE_HOME/llama.cpp`, else `~/.cache/llama.cpp` on Linux
(`~/Library/Caches/llama.cpp` on macOS). Newer llama.cpp downloads into the Hugging Face cache
layout (hf-cache.cpp `get_cache_directory`), which the hf-cache collector reads wherever it is.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import ClassVar

from auditor.bounded import load_json
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.hub_files import RepoFile, repo_components
from auditor.errors import Diagnostic, ParseError
from auditor.model import Evidence, Strength
from auditor.sources import Tree
from auditor.weights.lineage import repo_id

MANIFEST = re.compile(r"manifest=([^=]+)=([^=]+)=(.*)\.json")
KEYS = ("ggufFile", "mmprojFile")
SOURCE = "llama.cpp"
MAX_MANIFEST = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def cached_file(folder: str, owner: str, repo: str, rfilename: str) -> str:
    """Where the old cache keeps a repo file (make_old_cache_filename)."""
    name = f"{owner}_{repo}_{rfilename}".replace("/", "_")
    return f"{folder}/{name}" if folder else name


def claimed(paths: Iterable[str]) -> tuple[str, ...]:
    """Path prefixes of files a manifest describes (`<folder>/<owner>_<repo>_`): the
    loose-file collector leaves them to this one."""
    found = []
    for path in paths:
        m = MANIFEST.fullmatch(posixpath.basename(path))
        if m:
            folder = posixpath.dirname(path)
            found.append(cached_file(folder, m.group(1), m.group(2), ""))
    return tuple(found)


def folders(paths: Iterable[str]) -> tuple[str, ...]:
    """Folders holding a `manifest=…json` (`<folder>/`, `` for the tree itself)."""
    return tuple(sorted({
        f"{posixpath.dirname(p)}/" if posixpath.dirname(p) else ""
        for p in paths
        if MANIFEST.fullmatch(posixpath.basename(p))
    }))  # fmt: skip


class LlamaCppCacheCollector(Collector):
    """`manifest=…json` files and the GGUF files they name."""

    name: ClassVar[str] = "llama-cpp-cache"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One Hub repo component per manifest's repo, its cached files verified."""
        repos: dict[str, list[RepoFile]] = {}
        evidence: dict[str, list[Evidence]] = {}
        diagnostics: list[Diagnostic] = []
        index = tree.index()
        for path in sorted(index):
            m = MANIFEST.fullmatch(posixpath.basename(path))
            if m is None:
                continue
            owner, repo, tag = m.groups()
            rid = repo_id(f"{owner}/{repo}", need_namespace=True)
            if rid is None:
                diagnostics.append(Diagnostic(path, f"{owner}/{repo} is not a Hub repo id"))
                continue
            try:
                nodes = _files(path, tree.read_bytes(path))
            except ParseError as exc:
                diagnostics.append(Diagnostic(exc.path, exc.reason))
                continue
            evidence.setdefault(rid, []).append(
                Evidence(SOURCE, "tag", tag, path, Strength.DECLARED)
            )
            folder = posixpath.dirname(path)
            for rfilename, sha256 in nodes:
                location = cached_file(folder, owner, repo, rfilename)
                if location not in index:
                    diagnostics.append(Diagnostic(path, f"names {rfilename}, not in the cache"))
                    continue
                repos.setdefault(rid, []).append(RepoFile(rfilename, location, sha256))
        found = repo_components(tree, context, repos, evidence, self.name)
        return Collected(found.components, found.dependencies, found.findings,
                         (*diagnostics, *found.diagnostics))  # fmt: skip


def _files(path: str, data: bytes) -> list[tuple[str, str | None]]:
    """(rfilename, lfs.sha256) of the manifest's `ggufFile` and `mmprojFile`."""
    if len(data) > MAX_MANIFEST:
        raise ParseError(path, f"manifest of {len(data)} bytes (limit {MAX_MANIFEST})")
    try:
        raw = load_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(path, f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ParseError(path, "not a JSON object")
    found = []
    for key in KEYS:
        node = raw.get(key)
        if not isinstance(node, dict):
            continue
        name = node.get("rfilename")
        if not isinstance(name, str) or not name or ".." in name.split("/"):
            raise ParseError(path, f"{key}.rfilename is not a file name: {name!r}")
        lfs = node.get("lfs")
        sha = lfs.get("sha256") if isinstance(lfs, dict) else None
        found.append((name, sha if isinstance(sha, str) and _SHA256.fullmatch(sha) else None))
    return found
