"""Start-up imports only what the target needs (issue 36): a lockfile-only inventory, and
`--version`/`--help`, import none of the heavy libraries, within a module and CPU budget.

Measured the only honest way: a fresh interpreter (`python -X importtime`), since this test
process has long imported everything.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "tests" / "data" / "python" / "uvlock" / "project"

HEAVY = (
    "sqlalchemy",
    "alembic",
    "sigstore",
    "model_signing",
    "cryptography",
    "jinja2",
    "networkx",
    "huggingface_hub",
    "requests",
    "auditor.sources.image",
    "auditor.sources.image_format",
    "auditor.weights",
    "auditor.signatures.model_signature",
    "auditor.resolvers",
    "auditor.store.engine",
    "rapidfuzz",
)
"""Packages a lockfile-only `--no-resolve --no-store` scan must never import."""

MODULE_BUDGET = 230
"""Modules imported by that scan (217 since the shipped rule files' parse is cached and the
graph, hashing pool, socket and importlib.resources are imported only where used; 265 since
typosquat candidates are checked without rapidfuzz, 313 before; ~650 before issue 36)."""
CPU_BUDGET = 0.6
"""Seconds of the child's CPU for that whole scan (≈0.25 s when this was written)."""


def _imports(*args: str) -> tuple[set[str], float, str]:
    """Modules a fresh `python -X importtime -m auditor ARGS` imports, its CPU time and
    its output."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed tool has compiled bytecode
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "auditor", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert ran.returncode == 0, ran.stderr[-2000:]
    modules = {
        line.rpartition("|")[2].strip()
        for line in ran.stderr.splitlines()
        if line.startswith("import time:") and not line.endswith("| package")
    }
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return modules, cpu, ran.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_a_lockfile_inventory_imports_nothing_heavy(tmp_path: Path) -> None:
    target = tmp_path / "project"
    shutil.copytree(LOCK, target)
    assert any(target.glob("uv.lock"))
    # Warm the bytecode cache first: a first run compiles, an installed tool never does.
    # It also caches the shipped rule files' parse (in the test run's XDG_CACHE_HOME).
    _imports("scan", str(target), "--no-resolve", "--no-store", "--format", "json")
    modules, cpu, out = _imports(
        "scan", str(target), "--no-resolve", "--no-store", "--format", "json"
    )
    assert len(json.loads(out)["components"]) > 5  # the test measures a real scan
    # the lists it was screened against are recorded, from their cached parse (no PyYAML)
    assert json.loads(out)["scan"]["evaluation"]["lists"]
    assert not _heavy(modules)
    # Only the parser of the file found, and only the lockfile collector.
    parsers = {m for m in modules if m.startswith("auditor.collectors.parsers.")}
    assert parsers <= {"auditor.collectors.parsers.uv_lock"}, parsers
    assert "auditor.collectors.python_env" not in modules
    assert "auditor.collectors.model_signatures" not in modules
    assert "yaml" not in modules  # the default pack is read from its cached parse
    assert "packaging.markers" not in modules  # uv.lock needs no marker parser
    assert len(modules) <= MODULE_BUDGET, len(modules)
    assert cpu <= CPU_BUDGET, cpu


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_nothing_heavy(flag: str) -> None:
    modules, _, _ = _imports(flag)
    assert not _heavy(modules)
    assert "auditor.pipeline" not in modules and "auditor.policy.engine" not in modules
