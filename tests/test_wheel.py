"""The built wheel, installed in a fresh venv, scans with the rules and templates it ships."""

from __future__ import annotations

import json
import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, f"{args[0]} exited {done.returncode}:\n{done.stderr}"
    return done


def test_wheel_ships_rules_templates_and_schema(wheelhouse: Path) -> None:
    [wheel] = wheelhouse.glob("origin_auditor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "auditor/_data/rules/builtin.toml" in names
    assert "auditor/_data/rules/screening/fcc-covered.yaml" in names  # the screening lists
    assert "auditor/_data/templates/report.md.j2" in names
    assert "auditor/schema/scan-v1.json" in names
    assert "auditor/store/migrations/env.py" in names
    assert not any(n.startswith(("tests/", "examples/", "bench/")) for n in names)


def test_installed_wheel_scans(wheelhouse: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    pip = [env / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-index"]
    _run(*pip, "--find-links", wheelhouse, "origin-auditor")
    auditor = env / "bin" / "auditor"
    db = f"sqlite:///{tmp_path / 'store.db'}"
    workdir = tmp_path / "elsewhere"  # not the checkout: the data must come from the wheel
    workdir.mkdir()
    scan = _run(
        auditor, "scan", REPO / "examples", "--offline", "--format", "json", "--db", db,
        cwd=workdir,
    )  # fmt: skip
    doc = json.loads(scan.stdout)
    assert len(doc["components"]) > 10
    report = _run(auditor, "report", doc["scan"]["id"], "-f", "markdown", "--db", db, cwd=workdir)
    assert "# Origin Auditor report" in report.stdout
    assert "package.unpinned" in _run(auditor, "rules", "list", cwd=workdir).stdout
