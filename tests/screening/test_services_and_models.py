"""`origin.listed-entity` on real scans: hosted AI services (the operator, and the lab whose
model the service serves) and a Hub model whose lineage root is a listed lab (a cache laid
out by huggingface_hub from the loopback Hub of tests/lineage_hub.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.model import MODEL_LAB, Scan
from auditor.pipeline import run_scan
from auditor.resolvers.publishers import load
from auditor.screening.check import PATH_FIELD, screen
from tests.conftest import write_files
from tests.lineage_hub import BASE, INSTRUCT, QUANT, download, populate
from tests.screening.lists import one_list
from tests.servers.hub import HubState, serve
from tests.services import filled

CORPUS = Path(__file__).parents[1] / "data" / "ai_services" / "py"
ARK = "pkg:generic/ai-service/volcengine-ark/doubao-1-5-pro-32k-250115"
AZURE = "pkg:generic/ai-service/azure-openai/deployment-name"
GROQ = "pkg:generic/ai-service/groq/llama-3.3-70b-versatile"


def _service_scan(tmp_path: Path) -> Scan:
    files: dict[str, str | bytes] = {
        f"app/{name}": filled((CORPUS / name).read_text(encoding="utf-8"))
        for name in ("volcengine_ark.py", "azure_openai.py", "groq_sdk.py")
    }
    write_files(tmp_path / "src", files)
    return run_scan([str(tmp_path / "src")], replace(Config(store=False), offline=True))


def test_a_service_whose_operator_belongs_to_a_listed_group(tmp_path: Path) -> None:
    scan = _service_scan(tmp_path)
    listed = one_list(tmp_path / "lists", "groups", [("ByteDance Ltd.", ["bytedance"])])
    found = {f.purl: f for f in screen(scan, [listed], load())}
    assert set(found) >= {ARK} and AZURE not in found
    path = next(e.value for e in found[ARK].evidence if e.field == PATH_FIELD)
    # The operator, Volcengine, is ByteDance's: the chain names both.
    assert path.startswith(f"{ARK} → publisher volcengine-ark → organisation Beijing Volcano")
    assert path.endswith("→ parent ByteDance Ltd."), path


def test_a_service_serving_a_listed_labs_model(tmp_path: Path) -> None:
    """Groq operates it; the model it serves is Meta's (a `model-lab` root)."""
    scan = _service_scan(tmp_path)
    assert any(r.relation == MODEL_LAB for r in scan.origins_by_purl()[GROQ].roots)
    listed = one_list(tmp_path / "lists", "labs", [("Meta Platforms", ["meta"])])
    [found] = screen(scan, [listed], load())
    assert found.purl == GROQ
    path = next(e.value for e in found.evidence if e.field == PATH_FIELD)
    assert path == f"{GROQ} → lab pkg:generic/ai-lab/meta → organisation Meta Platforms, Inc."


def test_a_service_whose_operator_is_listed_itself(tmp_path: Path) -> None:
    scan = _service_scan(tmp_path)
    listed = one_list(tmp_path / "lists", "ops", [("Microsoft Corporation", ["microsoft"])])
    assert [f.purl for f in screen(scan, [listed], load())] == [AZURE]


@pytest.fixture
def hub_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    state = HubState()
    for url in serve(state):
        populate(state, url)
        download(state, url, tmp_path / "hub", (QUANT, INSTRUCT))
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield tmp_path / "hub"


def test_a_model_whose_lineage_root_is_a_listed_lab(hub_cache: Path, tmp_path: Path) -> None:
    """A re-packager's quantisation of Qwen's instruct model: its lineage root is Qwen's
    base, Alibaba's; the re-packager itself is in no knowledge base."""
    scan = run_scan([f"hf-cache:{hub_cache}"], Config(store=False))
    listed = one_list(tmp_path / "lists", "labs", [("Alibaba Group", ["alibaba"])])
    found = {f.purl: f for f in screen(scan, [listed], load())}
    quant = next(c.purl for c in scan.components if QUANT.split("/")[1] in c.purl)
    assert quant in found, sorted(found)
    path = next(e.value for e in found[quant].evidence if e.field == PATH_FIELD)
    assert path.startswith(f"{quant} → ") and f"lineage root pkg:huggingface/{BASE}" in path
    assert found[quant].evidence[0].value == "Alibaba Group"
