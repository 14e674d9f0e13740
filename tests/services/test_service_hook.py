"""The pre-commit hook refuses a commit that starts calling an unvetted foreign-operated AI
service, through the real `pre-commit` (the fixtures of tests/test_precommit_hook.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.services import JS_SUFFIXES
from tests.services import filled, host
from tests.test_precommit_hook import (  # noqa: F401  (fixtures)
    HOOKS,
    _commit,
    _git,
    _project,
    hook_env,
    hook_repo,
)

pytestmark = pytest.mark.slow

# After DeepSeek's documented call (https://api-docs.deepseek.com/).
DEEPSEEK = filled("""\
import os

from openai import OpenAI

client = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url="https://{host:deepseek}")
reply = client.chat.completions.create(model="deepseek-chat", messages=[])
""")
# A model served on this machine: nothing leaves it.
LOCAL = """\
from openai import OpenAI

client = OpenAI(base_url="http://localhost:8000/v1", api_key="none")
reply = client.chat.completions.create(model="qwen2.5-7b-instruct", messages=[])
"""
VETTED = 'vetted_publishers = ["vetted-org"]\nvetted_services = ["openai", "azure-openai/*"]\n'


def test_hook_files_pattern_covers_what_services_are_read_from() -> None:
    pattern = re.compile(next(h for h in HOOKS if h["id"] == "auditor-models")["files"])
    for suffix in JS_SUFFIXES:
        assert pattern.search(f"web/x{suffix}"), suffix
    for name in (".env", "deploy/.env.production", "conf/prod.env", "compose.yaml"):
        assert pattern.search(name), name


def test_commit_calling_an_unvetted_foreign_service_is_refused(
    tmp_path: Path,
    hook_repo: tuple[Path, str],  # noqa: F811 (the imported fixture)
    hook_env: dict[str, str],  # noqa: F811
) -> None:
    project = _project(tmp_path, hook_repo, hook_env, VETTED)
    (project / "chat.py").write_text(DEEPSEEK)
    (project / "local.py").write_text(LOCAL)
    refused = _commit(project, hook_env, "call deepseek")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert "chat.py:6: calls AI service deepseek/deepseek-chat blocked by service.unvetted" in out
    assert "operator: Hangzhou DeepSeek Artificial Intelligence" in out
    assert "country: CN" in out and f"endpoint: https://{host('deepseek')} (operated in CN)" in out
    assert "local.py" not in out  # a self-hosted endpoint is never unvetted
    assert _git(project, "log", "--oneline").stdout.count("\n") == 1  # nothing was committed
    # vetting the provider lets the same commit through
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('vetted_services = ["openai"', 'vetted_services = ["deepseek", "openai"')
    )
    done = _commit(project, hook_env, "vetted deepseek")
    assert done.returncode == 0, done.stdout + done.stderr


def test_commit_calling_a_vetted_service_passes(
    tmp_path: Path,
    hook_repo: tuple[Path, str],  # noqa: F811 (the imported fixture)
    hook_env: dict[str, str],  # noqa: F811
) -> None:
    project = _project(tmp_path, hook_repo, hook_env, VETTED)
    (project / "chat.py").write_text(DEEPSEEK.replace(f'base_url="https://{host("deepseek")}"', ""))
    (project / ".env").write_text("OPENAI_API_KEY=sk-not-real\n")
    done = _commit(project, hook_env, "call openai")
    assert done.returncode == 0, done.stdout + done.stderr
