"""What a scan's findings are judged against: the knowledge base's version and each
screening list's id and version (`model.Evaluation`'s basis).

Recorded for every evaluation: the one a scan makes when it runs (evaluation 1,
`auditor.pipeline.run_scan`) and each re-evaluation (`auditor rescreen`), so an attestation
can name the list versions of a release scanned once. Cheap on purpose, since every scan pays
it: the knowledge base is hashed, not parsed (~64 KB, well under a millisecond), and the
shipped lists are read from their cached parse (`auditor.screening.lists.load_lists`), so a
lockfile-only scan imports neither PyYAML nor the knowledge base's reader.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from auditor.model import ListVersion

__all__ = ["Basis", "current_basis", "knowledge_base_version"]

KB_FILE = "publishers.yaml"
"""The knowledge base under the shipped `rules/` (as `auditor.resolvers.publishers` reads it;
named here too so that hashing it never imports the resolvers)."""


@dataclass(frozen=True, slots=True)
class Basis:
    """What an evaluation is judged against: the knowledge base's version and the lists."""

    knowledge_base: str
    lists: tuple[ListVersion, ...]


def knowledge_base_version(path: Path | None = None) -> str:
    """`sha256:<16 hex>` of the knowledge base file (rules/publishers.yaml by default)."""
    from auditor.config import data_path

    source = path or Path(str(data_path("rules") / KB_FILE))
    return "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def current_basis(lists_dir: Path | None = None) -> Basis:
    """The knowledge base and screening lists in force now: the lists in the folder
    `lists_dir` (`Config.screening_lists`), else the shipped ones. ConfigError names a list
    file that cannot be read."""
    from auditor.screening.lists import load_lists

    lists = tuple(ListVersion(s.id, s.version) for s in load_lists(lists_dir))
    return Basis(knowledge_base_version(), lists)
