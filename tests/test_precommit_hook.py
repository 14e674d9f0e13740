"""The pre-commit hooks through the real `pre-commit` framework, in a temporary git repo
whose .pre-commit-config.yaml points at this checkout (its working tree, committed into a
scratch copy so uncommitted changes are what is tested).

pre-commit builds the hook's environment itself: it installs this project from the scratch
repo with pip, from the same wheelhouse the wheel test builds (no index is consulted).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from auditor.references import CONFIG_SUFFIXES, PYTHON_SUFFIXES, SHELL_SUFFIXES
from auditor.weights.inspect import WEIGHT_SUFFIXES
from tests.conftest import REPO
from tests.servers.hub import HubState, Repo, serve

pytestmark = pytest.mark.slow

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
BIN = Path(sys.executable).parent


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_hook_files_pattern_covers_what_check_models_reads() -> None:
    pattern = re.compile(next(h for h in HOOKS if h["id"] == "auditor-models")["files"])
    for suffix in (*PYTHON_SUFFIXES, *CONFIG_SUFFIXES, *SHELL_SUFFIXES, *WEIGHT_SUFFIXES):
        assert pattern.search(f"src/x{suffix}"), suffix
    assert pattern.search("deploy/Dockerfile") and not pattern.search("README.md")
    lockfiles = re.compile(next(h for h in HOOKS if h["id"] == "auditor-lockfiles")["files"])
    for name in ("requirements.txt", "a/uv.lock", "package-lock.json", "pnpm-lock.yaml"):
        assert lockfiles.search(name), name
    assert not lockfiles.search("src/app.py")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repo holding this checkout's working tree (tracked and new files), committed."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    copy = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    assert _git(copy, "commit", "-q", "-m", "hook under test").returncode == 0
    rev = _git(copy, "rev-parse", "HEAD").stdout.strip()
    return copy, rev


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> dict[str, str]:
    """Environment for pre-commit: its own cache, pip offline from the wheelhouse."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(wheelhouse), "hatchling"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0 or any(wheelhouse.glob("hatchling-*.whl")), build.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "AUDITOR_", "PRE_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        AUDITOR_DB=f"sqlite:///{tmp_path_factory.mktemp('hook-db') / 'store.db'}",
        HF_ENDPOINT="http://127.0.0.1:9",
    )
    return env


def _project(tmp_path: Path, hook: tuple[Path, str], env: dict[str, str], policy: str) -> Path:
    repo, rev = hook
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: auditor-models\n      - id: auditor-lockfiles\n"
    )
    (project / "pyproject.toml").write_text(f"[project]\nname = 'p'\n\n[tool.auditor]\n{policy}")
    installed = subprocess.run(
        [str(BIN / "pre-commit"), "install"], cwd=project, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git(project, "add", "-A")
    first = _commit(project, env, "policy")
    assert first.returncode == 0, first.stdout + first.stderr
    return project


def _commit(project: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    _git(project, "add", "-A")
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", message],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


TRAIN = 'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("{repo}")\n'
VETTED = 'vetted_publishers = ["vetted-org"]\n'


def test_commit_adding_an_unvetted_model_is_refused(
    tmp_path: Path, hook_repo: tuple[Path, str], hook_env: dict[str, str]
) -> None:
    project = _project(tmp_path, hook_repo, hook_env, VETTED)
    (project / "train.py").write_text(TRAIN.format(repo="unvetted-org/model"))
    refused = _commit(project, hook_env, "add a model")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert "train.py:3: unvetted-org/model blocked by model.unvetted" in out
    assert 'add "unvetted-org" to vetted_publishers' in out
    assert 'rule = "model.unvetted"\n' in out
    assert 'purl = "pkg:huggingface/unvetted-org/model*"\n' in out
    assert _git(project, "log", "--oneline").stdout.count("\n") == 1  # nothing was committed
    # the printed waiver, pasted as it is, lets the same commit through
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "to waive: add to" in line) + 1
    pasted = "\n".join(line.strip() for line in lines[start : start + 6])
    with (project / "pyproject.toml").open("a") as config:
        config.write("\n" + pasted + "\n")
    assert _commit(project, hook_env, "add a waived model").returncode == 0


def test_with_no_vetting_configured_every_model_is_refused(
    tmp_path: Path, hook_repo: tuple[Path, str], hook_env: dict[str, str]
) -> None:
    """A hook installed with an empty configuration protects: nothing is vetted yet, and it
    prints the configuration that would vet what the change references, for review."""
    project = _project(tmp_path, hook_repo, hook_env, "")
    (project / "train.py").write_text(TRAIN.format(repo="some-org/model"))
    refused = _commit(project, hook_env, "add a model")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert "train.py:3: some-org/model blocked by model.unvetted" in out
    assert "no vetted_publishers or vetted_models is configured" in out
    snippet = next(line.strip() for line in out.splitlines() if "vetted_models = [" in line)
    assert snippet == 'vetted_models = ["some-org/model"]'
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace("[tool.auditor]\n", f"[tool.auditor]\n{snippet}\n")
    )
    assert _commit(project, hook_env, "vetted").returncode == 0


def test_commit_adding_a_vetted_model_passes(
    tmp_path: Path, hook_repo: tuple[Path, str], hook_env: dict[str, str]
) -> None:
    project = _project(tmp_path, hook_repo, hook_env, VETTED)
    (project / "train.py").write_text(TRAIN.format(repo="vetted-org/model"))
    done = _commit(project, hook_env, "add a vetted model")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "blocked" not in done.stdout + done.stderr


@pytest.mark.parametrize(("days", "passes"), [(30, True), (0, True), (-1, False)])
def test_a_waiver_lets_it_through_until_its_expiry_date(
    tmp_path: Path,
    hook_repo: tuple[Path, str],
    hook_env: dict[str, str],
    days: int,
    passes: bool,
) -> None:
    expires = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
    waiver = (
        '\n[[tool.auditor.waivers]]\nrule = "model.unvetted"\n'
        'purl = "pkg:huggingface/unvetted-org/*"\nreason = "evaluation only"\n'
        f'approver = "security@example.com"\nexpires = {expires}\n'
    )
    project = _project(tmp_path, hook_repo, hook_env, VETTED + waiver)
    (project / "train.py").write_text(TRAIN.format(repo="unvetted-org/model"))
    done = _commit(project, hook_env, "add a waived model")
    assert (done.returncode == 0) is passes, done.stdout + done.stderr


def test_lockfile_hook_blocks_a_typosquat(
    tmp_path: Path, hook_repo: tuple[Path, str], hook_env: dict[str, str]
) -> None:
    project = _project(tmp_path, hook_repo, hook_env, VETTED)
    (project / "requirements.txt").write_text("reqeusts==2.32.3\n")
    refused = _commit(project, hook_env, "add a lockfile")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert "package.typosquat" in out and "reqeusts" in out
    (project / "requirements.txt").write_text("requests==2.32.3\n")
    assert _commit(project, hook_env, "fix it").returncode == 0


def _sha(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()


@pytest.fixture
def lineage_hub() -> Iterator[str]:
    """A loopback hub: a re-packager's quantisation of a fine-tune of a Qwen base."""
    state = HubState()
    files = {"config.json": b'{"model_type": "qwen2"}\n'}
    chain = [
        ("Qwen/Qwen2.5-7B", None),
        ("Qwen/Qwen2.5-7B-Instruct", ("finetune", "Qwen/Qwen2.5-7B")),
        ("bartowski/Qwen2.5-7B-Instruct-GGUF", ("quantized", "Qwen/Qwen2.5-7B-Instruct")),
    ]
    for n, (repo_id, base) in enumerate(chain, 1):
        bases = {"relation": base[0], "models": [{"id": base[1]}]} if base else None
        state.add(Repo(repo_id, _sha(n), files, base_models=bases))
    yield from serve(state)


@pytest.mark.parametrize(("vetted", "passes"), [('["bartowski"]', False),
                                                ('["bartowski", "Qwen"]', True)])  # fmt: skip
def test_quantisation_by_a_vetted_repackager_of_an_unvetted_lab_is_refused(
    tmp_path: Path,
    hook_repo: tuple[Path, str],
    hook_env: dict[str, str],
    lineage_hub: str,
    vetted: str,
    passes: bool,
) -> None:
    """The policy vets roots: bartowski is vetted, the lab the weights trace to is not. The
    lineage comes from the store's cache, filled by an earlier online scan (the hook itself
    stays offline)."""
    project = _project(tmp_path, hook_repo, hook_env, f"vetted_publishers = {vetted}\n")
    repo_id = "bartowski/Qwen2.5-7B-Instruct-GGUF"
    (project / "serve.py").write_text(
        "from transformers import AutoModel\n\n"
        f'model = AutoModel.from_pretrained("{repo_id}", revision="{_sha(3)}")\n'
    )
    online = dict(hook_env, HF_ENDPOINT=lineage_hub)
    scanned = subprocess.run(
        [str(BIN / "auditor"), "scan", str(project), "--format", "json"],
        env=online, capture_output=True, text=True, check=False,
    )  # fmt: skip
    roots = {r["purl"] for c in json.loads(scanned.stdout)["components"]
             if c["name"] == repo_id for r in c["origin"]["roots"]}  # fmt: skip
    assert roots == {"pkg:huggingface/Qwen/Qwen2.5-7B"}, scanned.stderr
    done = _commit(project, hook_env, "serve a quantisation")
    out = done.stdout + done.stderr
    assert (done.returncode == 0) is passes, out
    if not passes:
        assert f"serve.py:3: {repo_id} blocked by model.unvetted" in out
        assert "lineage root (quantized" in out or "lineage root (finetune" in out
        assert "pkg:huggingface/Qwen/Qwen2.5-7B" in out
