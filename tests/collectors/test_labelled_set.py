"""Precision and recall of the CI and image readers on a labelled set of real lines."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors import CollectContext
from auditor.collectors.container_images import ContainerImagesCollector
from auditor.collectors.github_actions import GitHubActionsCollector
from auditor.sources.directory import DirectoryTree

DATA = Path(__file__).parent.parent / "data" / "ci"


def _labelled() -> dict[tuple[str, int], str]:
    rows = (line.split("\t") for line in (DATA / "labelled.tsv").read_text().splitlines())
    return {(path, int(line)): purl for path, line, purl, _ in rows}


def test_precision_and_recall_on_real_uses_and_from_lines() -> None:
    labelled = _labelled()
    assert len(labelled) >= 100
    expected = {(k, purl) for k, purl in labelled.items() if purl != "-"}
    tree = DirectoryTree(str(DATA), DATA)
    found: set[tuple[tuple[str, int], str]] = set()
    for collector in (GitHubActionsCollector(), ContainerImagesCollector()):
        for component in collector.collect(tree, CollectContext()).components:
            for loc in component.locations:
                assert loc.line is not None
                found.add(((loc.path, loc.line), component.purl))
    right = found & expected
    precision = len(right) / len(found)
    recall = len(right) / len(expected)
    assert precision >= 0.98, sorted(found - expected)[:10]
    assert recall >= 0.95, sorted(expected - found)[:10]
