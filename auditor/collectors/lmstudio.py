"""LM Studio's models folder: `<publisher>/<repo>/<file>`, the Hub repo a model was downloaded
from (`lmstudio-community/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf`).

The folder is `~/.lmstudio/models` (older releases: `~/.cache/lm-studio/models`; LM Studio's
docs, "Download an LLM" / "Import models": models live in `<models dir>/<publisher>/<model>/`).
It is found by those two path endings anywhere in a tree, or is the tree itself for a named
`lmstudio:` target. Each repo is one unversioned `pkg:huggingface/<publisher>/<repo>`
component; LM Studio records no revision or digest, so files are hashed for identity only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.hub_files import RepoFile, repo_components
from auditor.model import Evidence, Strength
from auditor.sources import Tree
from auditor.weights.inspect import is_weight_path
from auditor.weights.lineage import repo_id

PREFIX = "lmstudio:"
_ROOT = re.compile(r"(?:^|.*/)(?:\.lmstudio|lm-studio)/models/")
SOURCE = "lmstudio"


def model_roots(tree: Tree, paths: Iterable[str]) -> tuple[str, ...]:
    """Models-folder prefixes (`…/.lmstudio/models/`, or `` for a named target)."""
    if tree.ref.startswith(PREFIX):
        return ("",)
    return tuple(sorted({m.group(0) for p in paths if (m := _ROOT.match(p))}))


class LMStudioCollector(Collector):
    """Weight files under LM Studio's models folder, by the repo their folders name."""

    name: ClassVar[str] = "lmstudio"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One Hub repo component per `<publisher>/<repo>` holding weight files."""
        index = tree.index()
        roots = model_roots(tree, index)
        repos: dict[str, list[RepoFile]] = {}
        evidence: dict[str, list[Evidence]] = {}
        for path in sorted(index):
            root = next((r for r in roots if path.startswith(r)), None)
            if root is None or not is_weight_path(path):
                continue
            parts = path[len(root) :].split("/")
            if len(parts) < 3:
                continue
            rid = repo_id(f"{parts[0]}/{parts[1]}", need_namespace=True)
            if rid is None:
                continue
            repos.setdefault(rid, []).append(RepoFile("/".join(parts[2:]), path))
            folder = f"{root}{parts[0]}/{parts[1]}"
            evidence.setdefault(rid, [Evidence(SOURCE, "models-folder", rid, folder,
                                               Strength.DECLARED)])  # fmt: skip
        return repo_components(tree, context, repos, evidence, self.name)
