"""The model-files collector: loose weights become checksum purls, lineage becomes edges."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from auditor.collectors import CollectContext
from auditor.collectors.model_files import ModelFilesCollector
from auditor.model import DependencyKind
from auditor.sources.directory import DirectoryTree
from tests.weights import makers


def collect(root: Path):  # type: ignore[no-untyped-def]
    return ModelFilesCollector().collect(DirectoryTree("t", root), CollectContext())


def test_loose_files_cards_configs_and_cache_skipping(tmp_path: Path) -> None:
    model = tmp_path / "models" / "tiny"
    model.mkdir(parents=True)
    save_file({"w": np.zeros(4, np.float32)}, str(model / "model.safetensors"))
    (model / "README.md").write_text(
        "---\nlicense: apache-2.0\nbase_model: Qwen/Qwen2.5-7B\nbase_model_relation: quantized\n"
        "---\n# tiny\n"
    )
    (model / "config.json").write_text('{"_name_or_path": "Qwen/Qwen2.5-7B"}')
    adapter = tmp_path / "lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        '{"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "peft_type": "LORA"}'
    )
    cached = tmp_path / "hub" / "models--org--name" / "snapshots" / ("a" * 40)
    cached.mkdir(parents=True)
    makers.torch_zip(cached / "pytorch_model.bin", makers.state_dict())
    (tmp_path / "firmware.bin").write_bytes(b"\x7fELF")

    found = collect(tmp_path)
    digest = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    weights = f"pkg:generic/model.safetensors?checksum=sha256:{digest}"
    purls = sorted(c.purl for c in found.components)
    assert purls == sorted(
        [
            weights,
            "pkg:huggingface/Qwen/Qwen2.5-7B",
            "pkg:generic/lora?download_url=file:lora",
            "pkg:huggingface/meta-llama/Llama-3.1-8B",
        ]
    )
    edges = {(d.source, d.target, d.kind, d.scope) for d in found.dependencies}
    assert edges == {
        (weights, "pkg:huggingface/Qwen/Qwen2.5-7B", DependencyKind.DERIVED_FROM, "quantized"),
        (
            "pkg:generic/lora?download_url=file:lora",
            "pkg:huggingface/meta-llama/Llama-3.1-8B",
            DependencyKind.DERIVED_FROM,
            "adapter",
        ),
    }
    component = next(c for c in found.components if c.purl == weights)
    assert component.hashes == (f"sha256:{digest}",)
    assert component.kind.value == "weights" and component.found_by == "model-files"
    assert component.license == "apache-2.0"  # from the model card beside it
    assert not found.findings and not found.diagnostics


def test_gguf_base_model_on_the_configured_hub(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.weights.test_weights import _gguf

    monkeypatch.setenv("HF_ENDPOINT", "https://hub.invalid")
    _gguf(tmp_path / "m.gguf", repo_url="https://hub.invalid/org/base")
    found = collect(tmp_path)
    (edge,) = found.dependencies
    assert edge.target == "pkg:huggingface/org/base"
    (weights,) = [c for c in found.components if c.kind.value == "weights"]
    assert weights.license == "apache-2.0"


def test_malicious_checkpoint_finding_names_its_purl(tmp_path: Path) -> None:
    payload = makers.state_dict()
    payload["x"] = makers.exploit("id")
    makers.torch_zip(tmp_path / "model.ckpt", payload)
    found = collect(tmp_path)
    (component,) = found.components
    (finding,) = found.findings
    assert finding.purl == component.purl and finding.rule == "weights.unsafe-pickle"


def test_a_changed_weight_changes_the_target_digest(tmp_path: Path) -> None:
    path = makers.torch_zip(tmp_path / "model.pt", makers.state_dict())
    first = DirectoryTree("t", tmp_path)
    ModelFilesCollector().collect(first, CollectContext())
    with path.open("ab") as fh:
        fh.write(b"\0")
    second = DirectoryTree("t", tmp_path)
    ModelFilesCollector().collect(second, CollectContext())
    assert first.digest() != second.digest()


def test_lineage_attaches_to_what_each_file_describes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adapter config describes the adapter weights, a GGUF header its own GGUF, a card
    the folder's model: an unrelated GGUF beside an adapter does not inherit its base."""
    from tests.lineage_hub import gguf_bytes, safetensors_bytes

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(
        '{"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "peft_type": "LORA"}'
    )
    (folder / "adapter_model.safetensors").write_bytes(safetensors_bytes(1))
    (folder / "chat.gguf").write_bytes(
        gguf_bytes("http://127.0.0.1:9/Qwen/Qwen2.5-0.5B-Instruct", "someone")
    )
    found = collect(tmp_path)
    by_name = {c.name: c.purl for c in found.components}
    edges = {(d.source, d.target) for d in found.dependencies}
    assert edges == {
        (by_name["adapter_model.safetensors"], "pkg:huggingface/meta-llama/Llama-3.1-8B"),
        (by_name["chat.gguf"], "pkg:huggingface/Qwen/Qwen2.5-0.5B-Instruct"),
    }
    # A card beside them describes the folder's model: no weights are left for it here
    # (the adapter and the GGUF describe themselves), so the folder itself is the model.
    (folder / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-0.5B\n---\n")
    found = collect(tmp_path)
    edges = {(d.source, d.target) for d in found.dependencies}
    assert ("pkg:generic/mixed?download_url=file:mixed", "pkg:huggingface/Qwen/Qwen2.5-0.5B") in (
        edges
    )
    assert len(edges) == 3


def test_gguf_base_from_organization_and_name_when_no_url() -> None:
    """llama.cpp writes `organization` title-cased from the namespace and `name` from the
    card; together they name a repo only when they form a valid repo id."""
    from auditor.collectors.hf_cache_lineage import gguf_bases
    from auditor.model import Evidence, Strength

    def ev(field: str, value: str) -> Evidence:
        return Evidence("gguf", field, value, "m.gguf", Strength.DECLARED)

    found = gguf_bases([ev("general.base_model.0.organization", "Qwen"),
                        ev("general.base_model.0.name", "Qwen2.5-0.5B-Instruct"),
                        ev("general.base_model.1.organization", "Meta Llama"),
                        ev("general.base_model.1.name", "Llama 3.2 1B")])  # fmt: skip
    assert [(c.base, c.source) for c in found] == [
        ("Qwen/Qwen2.5-0.5B-Instruct", "m.gguf:general.base_model.0.organization+name")
    ]
