"""A three-hop lineage on a loopback Hub, and a real cache of it laid out by huggingface_hub.

A re-packager's quantisation (`bartowski/…-GGUF`, a real GGUF written by the `gguf` package,
its header naming its base) → the Qwen instruct model (a real safetensors file written by
`safetensors`) → the Qwen base model. The cards carry `base_model` and `license` as uploaders
write them (hub-docs model-cards.md); the Hub's documents carry the computed `baseModels`
(`{"relation", "models": [{"id"}]}`, huggingface_hub `ModelInfo.base_models`). Used by the
every-view test, the 1,000-model test and bench, and to build the demo in `examples/models/`.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from tests.servers.hub import HubState, Repo

QUANT = "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
INSTRUCT = "Qwen/Qwen2.5-0.5B-Instruct"
BASE = "Qwen/Qwen2.5-0.5B"
UNVETTED = "someone-new/tiny-chat"


def sha(text: str) -> str:
    """A stable 40-hex commit id per repo."""
    return hashlib.sha1(text.encode()).hexdigest()


def card(license_: str, base: str | None = None, relation: str | None = None) -> str:
    """A model card's front matter, as the Hub's card editor writes it."""
    lines = ["---", f"license: {license_}"]
    if base:
        lines.append(f"base_model: {base}")
    if relation:
        lines.append(f"base_model_relation: {relation}")
    return "\n".join([*lines, "---", "", "A tiny test model.", ""])


def gguf_bytes(base_url: str | None, quantized_by: str) -> bytes:
    """A real (tiny) GGUF file: one 4x4 tensor and the provenance keys llama.cpp writes."""
    import gguf
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.gguf"
        writer = gguf.GGUFWriter(str(path), "qwen2")
        writer.add_name("Qwen2.5 0.5B Instruct")
        writer.add_string("general.quantized_by", quantized_by)
        writer.add_string("general.license", "apache-2.0")
        if base_url:
            writer.add_uint32("general.base_model.count", 1)
            writer.add_string("general.base_model.0.organization", "Qwen")
            writer.add_string("general.base_model.0.name", "Qwen2.5 0.5B Instruct")
            writer.add_string("general.base_model.0.repo_url", base_url)
        writer.add_tensor("token_embd.weight", np.zeros((4, 4), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


def safetensors_bytes(seed: int) -> bytes:
    """A real (tiny) safetensors file, as transformers' `save_pretrained` writes one."""
    import numpy as np
    from safetensors.numpy import save

    return save({"lm_head.weight": np.full((2, 2), seed, dtype=np.float32)}, {"format": "pt"})


def populate(state: HubState, endpoint: str | None) -> HubState:
    """The three repos (and an unvetted one) as the Hub describes them; `endpoint` is where
    the GGUF header's `general.base_model.0.repo_url` points (the Hub in effect; None: the
    header names no base URL, as in the demo, which names no real host)."""
    base_url = f"{endpoint}/{INSTRUCT}" if endpoint else None
    config = b'{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}\n'
    state.add(
        Repo(
            BASE,
            sha(BASE),
            {"README.md": card("apache-2.0").encode(), "config.json": config,
             "model.safetensors": safetensors_bytes(1)},
            card={"license": "apache-2.0"},
        )
    )  # fmt: skip
    state.add(
        Repo(
            INSTRUCT,
            sha(INSTRUCT),
            {"README.md": card("apache-2.0", BASE).encode(), "config.json": config,
             "model.safetensors": safetensors_bytes(2)},
            card={"license": "apache-2.0", "base_model": BASE},
            base_models={"relation": "finetune", "models": [{"id": BASE}]},
        )
    )  # fmt: skip
    state.add(
        Repo(
            QUANT,
            sha(QUANT),
            {"README.md": card("apache-2.0", INSTRUCT, "quantized").encode(),
             "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf": gguf_bytes(base_url, "bartowski")},
            card={"license": "apache-2.0", "base_model": INSTRUCT,
                  "base_model_relation": "quantized"},
            base_models={"relation": "quantized", "models": [{"id": INSTRUCT}]},
        )
    )  # fmt: skip
    state.add(
        Repo(
            UNVETTED,
            sha(UNVETTED),
            {"README.md": card("llama3.2").encode(), "model.safetensors": safetensors_bytes(3)},
            card={"license": "llama3.2"},
        )
    )
    state.orgs["Qwen"] = {"avatarUrl": "", "name": "Qwen", "fullname": "Qwen",
                          "isVerified": True, "numModels": 300}  # fmt: skip
    return state


def download(state: HubState, endpoint: str, cache: Path, repos: tuple[str, ...]) -> None:
    """Lay the repos out in `cache` with huggingface_hub itself (as `hf download` does)."""
    from huggingface_hub import snapshot_download

    for repo_id in repos:
        repo = state.repos[f"model:{repo_id.lower()}"]
        snapshot_download(repo_id, revision=repo.sha, cache_dir=cache, endpoint=endpoint)
