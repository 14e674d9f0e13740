"""Vendored distributions: what pip and setuptools carry inside them, as components with a
`contains` edge from the carrier. Checked on a real `python -m venv` and on the metadata of a
real setuptools 84.2.1 installation (tests/data/python/vendored)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.collectors import CollectContext, Collected
from auditor.collectors.python_env import PythonEnvironmentCollector
from auditor.model import DependencyKind
from auditor.sources.directory import DirectoryTree
from tests.conftest import Ran

DATA = Path(__file__).resolve().parent.parent / "data" / "python" / "vendored"


def _collect(root: Path) -> Collected:
    return PythonEnvironmentCollector().collect(DirectoryTree("t", root), CollectContext())


def _contained(found: Collected) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for d in found.dependencies:
        if d.kind is DependencyKind.CONTAINS:
            edges.setdefault(d.source, set()).add(d.target)
    return edges


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv: ensurepip installs the pip (and, before 3.12, setuptools) it bundles."""
    folder = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    return folder


def test_pips_vendored_copies_in_a_real_venv(venv: Path) -> None:
    [vendor_txt] = venv.glob("lib/python*/site-packages/pip/_vendor/vendor.txt")
    pins = {}  # what is really on disk, read independently of the collector
    for line in vendor_txt.read_text().splitlines():
        if m := re.match(r"\s*([\w.-]+)==(\S+)", line):
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    assert {"requests", "urllib3", "rich"} <= pins.keys()

    found = _collect(venv)
    [pip] = [c for c in found.components if c.name == "pip" and c.found_by == "python-env"
             and c.locations[0].path.endswith(".dist-info")]  # fmt: skip
    vendored = {c.purl: c for c in found.components if "vendor.txt" in c.locations[0].path}
    assert {(c.name.lower().replace("_", "-"), c.version) for c in vendored.values()} == set(
        pins.items()
    )
    assert _contained(found)[pip.purl] == set(vendored)
    for c in vendored.values():
        assert c.direct is False
        assert c.locations[0].line is not None
        assert c.evidence[0].source == "vendor.txt"
    assert not found.diagnostics


def test_setuptools_vendored_dist_infos(tmp_path: Path) -> None:
    site = DATA / "setuptools-84.2.1" / "site-packages"
    found = _collect(site)
    on_disk = sorted(p.name for p in (site / "setuptools" / "_vendor").glob("*.dist-info"))
    assert len(on_disk) == 12
    by_purl = {c.purl: c for c in found.components}
    assert "pkg:pypi/setuptools@84.2.1" in by_purl
    contained = _contained(found)["pkg:pypi/setuptools@84.2.1"]
    names = sorted(p.removesuffix(".dist-info").rpartition("-")[0] for p in on_disk)
    assert len(contained) == 12
    assert "pkg:pypi/packaging@26.3" in contained and "pkg:pypi/wheel@0.46.3" in contained
    assert {re.sub(r"[-_.]+", "-", by_purl[p].name).lower() for p in contained} == {
        re.sub(r"[-_.]+", "-", n).lower() for n in names
    }
    for purl in contained:
        assert by_purl[purl].direct is False
        assert "/_vendor/" in by_purl[purl].locations[0].path
    # The vendored copies' own Requires-Dist never join the site's distributions.
    assert not [d for d in found.dependencies if d.kind is DependencyKind.DEPENDS_ON
                and d.source in contained]  # fmt: skip


def test_carrier_named_by_top_level_not_by_folder_name(tmp_path: Path) -> None:
    """pkg_resources/_vendor belongs to setuptools: its top_level.txt says so."""
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    dist = site / "setuptools-69.0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: setuptools\nVersion: 69.0.0\n")
    (dist / "top_level.txt").write_text("_distutils_hack\npkg_resources\nsetuptools\n")
    vendored = site / "pkg_resources" / "_vendor" / "zipp-3.7.0.dist-info"
    vendored.mkdir(parents=True)
    (vendored / "METADATA").write_text("Metadata-Version: 2.1\nName: zipp\nVersion: 3.7.0\n")
    found = _collect(tmp_path)
    assert _contained(found) == {"pkg:pypi/setuptools@69.0.0": {"pkg:pypi/zipp@3.7.0"}}


def test_a_broken_vendor_txt_line_is_a_diagnostic(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "pip-24.0.dist-info").mkdir(parents=True)
    (site / "pip-24.0.dist-info" / "METADATA").write_text("Name: pip\nVersion: 24.0\n")
    (site / "pip" / "_vendor").mkdir(parents=True)
    (site / "pip" / "_vendor" / "vendor.txt").write_text("idna==3.7\nrich>=13\n")
    found = _collect(tmp_path)
    assert {c.purl for c in found.components} == {"pkg:pypi/pip@24.0", "pkg:pypi/idna@3.7"}
    [diag] = found.diagnostics
    assert diag.location == "site-packages/pip/_vendor/vendor.txt:2"


def test_contains_edges_are_in_the_json_contract(
    auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    ran = auditor("scan", "--no-resolve", "--no-store", DATA, "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    kinds = {d["kind"] for d in doc["dependencies"]}
    assert "contains" in kinds
