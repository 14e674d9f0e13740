"""An image scanned and the Dockerfile that built it are one story: a `derived_from` edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import Config
from auditor.model import DependencyKind
from auditor.pipeline import run_scan
from tests.conftest import write_files
from tests.sources.images import umoci_image, write

BASE = "pkg:oci/python?repository_url=docker.io/library/python&tag=3.12-slim"


@pytest.mark.usefixtures("image_tools")
def test_the_image_derives_from_the_dockerfiles_base(tmp_path: Path) -> None:
    layout = umoci_image(
        tmp_path / "img",
        [("COPY app.py /app/", lambda root: write(root, {"app/app.py": "print(1)\n"}))],
        labels={
            "org.opencontainers.image.base.name": "docker.io/library/python:3.12-slim",
            "org.opencontainers.image.title": "app",
        },
    )
    write_files(
        tmp_path / "src",
        {"Dockerfile": "FROM python:3.12-slim AS run\nCOPY app.py /app/\n"},
    )
    other = tmp_path / "other"
    write_files(other, {"Dockerfile": "FROM python:3.11-slim\n"})
    scan = run_scan([str(layout), str(tmp_path / "src"), str(other)], Config(store=False))
    image = next(c.purl for c in scan.components if c.found_by == "image")
    edges = [
        (d.source, d.target) for d in scan.dependencies if d.kind is DependencyKind.DERIVED_FROM
    ]
    assert (image, BASE) in edges
    # another tag of the same repository is not the base the label names
    assert not [t for s, t in edges if s == image and "3.11" in t]


def test_no_label_no_edge(tmp_path: Path) -> None:
    write_files(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n"})
    scan = run_scan([str(tmp_path)], Config(store=False, no_resolve=True))
    assert not [d for d in scan.dependencies if d.kind is DependencyKind.DERIVED_FROM]
