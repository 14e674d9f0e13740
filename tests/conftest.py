"""Shared fixtures: the JSON contract validator and a CLI runner that keeps the store local."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.servers.pypi import PyPIState, load_project, serve

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


DEAD_ENDPOINT = "http://127.0.0.1:9"
"""The discard port: nothing listens, so a test that forgets to point a registry at its
loopback server fails fast instead of reaching the internet."""


@pytest.fixture(autouse=True)
def _own_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The tool's user cache (parsed shipped rule files) in the test run's folder, never the
    user's own (one per worker: the files are keyed by content, so tests may share them)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AUDITOR_PYPI_URL", "PIP_INDEX_URL", "HF_ENDPOINT", "AUDITOR_OSV_URL",
                     "AUDITOR_NPM_REGISTRY"):  # fmt: skip
        monkeypatch.setenv(variable, DEAD_ENDPOINT)
    # GitHub lookups and deps.dev only when a test asks for them (their servers are loopback).
    for variable in ("GITHUB_API_URL", "GITHUB_TOKEN", "AUDITOR_DEPSDEV_URL", "CI_API_V4_URL",
                     "AUDITOR_GITLAB_API_URL", "GITLAB_TOKEN"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="session")
def scan_schema() -> jsonschema.protocols.Validator:
    """The shipped JSON Schema, checked itself before it checks anything."""
    schema = json.loads((resources.files("auditor") / "schema" / "scan-v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def validate(scan_schema: jsonschema.protocols.Validator) -> Callable[[str], dict[str, Any]]:
    """Parse JSON output and validate it against the contract (every JSON test uses this)."""

    def check(text: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(text)
        errors = sorted(scan_schema.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
        return doc

    return check


@dataclass
class Ran:
    """One CLI invocation's outcome."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A throwaway SQLite store per test, so no test touches the user's data dir."""
    return f"sqlite:///{tmp_path / 'auditor.db'}"


@pytest.fixture
def auditor(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """Run the real click command in-process with the test store."""
    monkeypatch.setenv("AUDITOR_DB", db_url)

    def run(*args: str | Path, stdin: str | None = None) -> Ran:
        result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create `files` (relative path -> content) below root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def purls(doc: dict[str, Any]) -> Sequence[str]:
    """The component purls of a JSON document, in order."""
    return [c["purl"] for c in doc["components"]]


@pytest.fixture
def pypi() -> Iterator[tuple[PyPIState, str]]:
    """A loopback PyPI serving the recorded projects; yields (state, base URL)."""
    state = PyPIState()
    for name in ("requests", "click", "sampleproject", "pypi-attestations"):
        state.add_project(load_project(name))
    yield from ((state, url) for url in serve(state))


@pytest.fixture(scope="session")
def graphviz_dot() -> str:
    """Graphviz's `dot` (Debian package `graphviz`): a skip when missing, a failure under
    CI=true (tests/prereqs.py says so up front and tries to install it)."""
    import os
    import shutil

    found = shutil.which("dot")
    if found is None:
        reason = "Graphviz `dot` not found (apt-get install graphviz)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the Graphviz export tests must run)", pytrace=False)
        pytest.skip(reason)
    return found


CHROMIUM = "/usr/bin/chromium"
"""Debian's chromium: the HTML report's browser tests drive it through Playwright (never a
browser Playwright downloads itself)."""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's `chromium` and the `playwright` package: a skip when missing, a failure
    under CI=true (tests/prereqs.py says so up front and tries to install chromium)."""
    import importlib.util
    import os

    reason = None
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} not found (apt-get install chromium)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the HTML browser tests must run)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def wheelhouse(request: pytest.FixtureRequest) -> Path:
    """Our wheel plus every dependency's, built once and kept while pyproject is unchanged."""
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    house = Path(request.config.cache.mkdir(f"wheelhouse-{key}"))  # type: ignore[union-attr]
    if not any(house.glob("*.whl")) or not (house / ".deps-done").exists():
        _checked(sys.executable, "-m", "pip", "wheel", "--quiet", "-w", house, REPO)
        (house / ".deps-done").write_text("ok")
    else:  # our own code changed: rebuild only our wheel
        for old in house.glob("origin_auditor-*.whl"):
            old.unlink()
        _checked(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", house, REPO)
    return house


def _checked(*args: str | Path) -> None:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert done.returncode == 0, f"{args[0]} exited {done.returncode}:\n{done.stderr}"


@pytest.fixture(scope="session")
def image_tools() -> None:
    """umoci, skopeo, rpm and rpmbuild (Debian packages umoci, skopeo, rpm): a skip when
    missing, a failure under CI=true (tests/prereqs.py says so up front and installs them)."""
    import os

    from tests.prereqs import image_tools_ready

    reason = image_tools_ready()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the image tests must run)", pytrace=False)
        pytest.skip(reason)
