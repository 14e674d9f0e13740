"""GGUF lineage from the header, for any GGUF anywhere: the repo it was converted from
(`general.source.repo_url`/`.url`, older `general.source.huggingface.repository`) with
`quantized` when `general.quantized_by` or a quantised `general.file_type` says so, and that
repo's `general.base_model.*` bases (keys as llama.cpp's gguf-py `gguf/constants.py` names
them), written by the `gguf` package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.hf_cache_lineage import gguf_bases, gguf_source_bases
from auditor.collectors.model_files import ModelFilesCollector
from auditor.model import Evidence, Strength
from auditor.sources.directory import DirectoryTree
from tests.conftest import Ran
from tests.ollama_store import gguf_bytes

HUB = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", HUB)


def _edges(root: Path) -> set[tuple[str, str, str | None]]:
    found = ModelFilesCollector().collect(DirectoryTree("t", root), CollectContext())
    return {(d.source.partition("?")[0], d.target, d.scope) for d in found.dependencies}


def test_source_quantized_and_its_bases(tmp_path: Path) -> None:
    (tmp_path / "renamed.gguf").write_bytes(gguf_bytes({
        "general.source.repo_url": f"{HUB}/Qwen/Qwen2.5-7B-Instruct",
        "general.quantized_by": "someone",
        "general.base_model.0.repo_url": f"{HUB}/Qwen/Qwen2.5-7B",
    }))  # fmt: skip
    assert _edges(tmp_path) == {
        ("pkg:generic/renamed.gguf", "pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "quantized"),
        ("pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "pkg:huggingface/Qwen/Qwen2.5-7B", None),
    }


def test_older_repository_key_and_unquantised(tmp_path: Path) -> None:
    (tmp_path / "f16.gguf").write_bytes(gguf_bytes({
        "general.source.huggingface.repository": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    }))  # fmt: skip
    assert _edges(tmp_path) == {
        ("pkg:generic/f16.gguf", "pkg:huggingface/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", None)
    }


def test_a_source_elsewhere_is_not_hub_lineage(tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(gguf_bytes({
        "general.source.url": "https://example.invalid/paper",
        "general.base_model.0.organization": "Qwen",
        "general.base_model.0.name": "Qwen2.5-0.5B",
    }))  # fmt: skip
    assert _edges(tmp_path) == {("pkg:generic/m.gguf", "pkg:huggingface/Qwen/Qwen2.5-0.5B", None)}


def test_loose_gguf_traces_to_the_lab_offline(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    (tmp_path / "x.gguf").write_bytes(gguf_bytes({
        "general.source.repo_url": f"{HUB}/bartowski/Qwen2.5-7B-Instruct-GGUF",
        "general.base_model.0.repo_url": f"{HUB}/Qwen/Qwen2.5-7B-Instruct",
        "general.quantized_by": "bartowski",
    }))  # fmt: skip
    ran = auditor("scan", tmp_path, "--offline", "--format", "json")
    doc = validate(ran.stdout)
    [weights] = [c for c in doc["components"] if c["name"] == "x.gguf"]
    assert {(r["purl"], r["country"]) for r in weights["origin"]["roots"]} == {
        ("pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "CN")
    }


_FIELDS = st.sampled_from([
    "general.source.repo_url", "general.source.url", "general.source.huggingface.repository",
    "general.quantized_by", "general.file_type", "general.base_model.0.repo_url",
    "general.base_model.0.organization", "general.base_model.0.name", "general.organization",
])  # fmt: skip


@given(st.lists(st.tuples(_FIELDS, st.text(max_size=40)), max_size=8))
def test_any_header_gives_valid_repo_ids(pairs: list[tuple[str, str]]) -> None:
    header = [Evidence("gguf", f, v, "m.gguf", Strength.DECLARED) for f, v in pairs]
    for claim in gguf_bases(header):
        assert "/" in claim.base and " " not in claim.base
    for source, claim in gguf_source_bases(header):
        assert source != claim.base
