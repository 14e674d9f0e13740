"""`service.unvetted`, `{service_vetted: …}`, `vetted_services` and `review_countries` on
hosted AI services, through real scans of a small app (offline: the operator is data)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.errors import AuditorError
from auditor.model import Action, Scan
from auditor.pipeline import run_scan
from tests.conftest import write_files
from tests.policy.helpers import policy_from, rules_on
from tests.services import filled

CORPUS = Path(__file__).parents[1] / "data" / "ai_services"
DEEPSEEK = "pkg:generic/ai-service/deepseek/deepseek-chat"
AZURE = "pkg:generic/ai-service/azure-openai/deployment-name"
LOCAL = "pkg:generic/ai-service/self-hosted/my-model"
QWEN = "pkg:generic/ai-service/dashscope/qwen-max"


def _scan(tmp_path: Path, toml: str) -> Scan:
    files: dict[str, str | bytes] = {
        f"app/{name}": filled((CORPUS / "py" / name).read_text(encoding="utf-8"))
        for name in ("deepseek_openai.py", "azure_openai.py", "llamaindex_dashscope.py")
    }
    write_files(tmp_path / "src", files)
    policy = policy_from(tmp_path, toml)
    config = replace(Config(store=False), offline=True, policy=policy)
    return run_scan([str(tmp_path / "src")], config)


def _action(scan: Scan, purl: str, rule: str) -> Action | None:
    return next((f.action for f in scan.findings if f.purl == purl and f.rule == rule), None)


def test_without_a_vetting_list_unvetted_services_only_report(tmp_path: Path) -> None:
    scan = _scan(tmp_path, "")
    assert _action(scan, DEEPSEEK, "service.unvetted") is Action.REPORT
    assert "service.unvetted" not in rules_on(scan, LOCAL)  # self-hosted: never unvetted


def test_vetted_services_by_provider_and_glob(tmp_path: Path) -> None:
    scan = _scan(tmp_path, 'vetted_services = ["openai", "azure-openai/*"]\n')
    assert _action(scan, DEEPSEEK, "service.unvetted") is Action.BLOCK
    assert _action(scan, QWEN, "service.unvetted") is Action.BLOCK
    assert "service.unvetted" not in rules_on(scan, AZURE)
    assert "service.unvetted" not in rules_on(scan, LOCAL)
    message = next(f.message for f in scan.findings if f.purl == DEEPSEEK)
    assert "deepseek/deepseek-chat" in message and "CN" in message
    vetted = _scan(tmp_path / "b", 'vetted_services = ["DeepSeek/deepseek-*", "dashscope"]\n')
    assert "service.unvetted" not in rules_on(vetted, DEEPSEEK)  # globs, case-folded
    assert "service.unvetted" not in rules_on(vetted, QWEN)


def test_review_countries_apply_to_the_operator(tmp_path: Path) -> None:
    scan = _scan(tmp_path, 'review_countries = ["CN"]\n')
    assert "origin.review-country" in rules_on(scan, DEEPSEEK)
    assert "origin.review-country" in rules_on(scan, QWEN)
    assert "origin.review-country" not in rules_on(scan, AZURE)  # Microsoft: US
    assert "origin.review-country" not in rules_on(scan, LOCAL)


def test_a_malformed_condition_names_its_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "rules:\n  - id: my.rule\n    title: t\n    severity: low\n    action: warn\n"
        "    when: {service_vetted: maybe}\n    message: m\n",
        encoding="utf-8",
    )
    with pytest.raises(AuditorError) as raised:
        policy_from(tmp_path, 'packs = ["default", "pack.yaml"]\n')
    assert "pack.yaml:6" in str(raised.value) and "service_vetted" in str(raised.value)
