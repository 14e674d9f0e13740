"""The whole CLI on a folder of weights and code: JSON contract, exit codes, diagnostics."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from tests.conftest import Ran, write_files
from tests.weights import makers


def test_scan_of_weights_and_references(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    root = write_files(
        tmp_path / "proj",
        {
            "app.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("org/m")\n',
            "model/README.md": "---\nbase_model: org/base\nlicense: mit\n---\n",
        },
    )
    save_file({"w": np.zeros(2, np.float32)}, str(root / "model" / "model.safetensors"))
    payload = makers.state_dict()
    payload["x"] = makers.exploit("id")
    makers.torch_zip(root / "model" / "evil.pt", payload)
    (root / "broken.safetensors").write_bytes(struct.pack("<Q", 10**12))

    ran = auditor("scan", root, "--no-resolve", "--format", "json")
    doc = validate(ran.stdout)
    assert ran.code == 1  # weights.unsafe-pickle blocks
    assert doc["scan"]["status"] == "partial"  # the broken header is a diagnostic
    # The collectors' own findings (the default pack and signature checks add theirs).
    rules = sorted(
        f["rule"]
        for f in doc["findings"]
        if f["rule"].startswith(("weights.", "model.unpinned-ref"))
    )
    assert rules == ["model.unpinned-reference", "weights.unsafe-pickle"]
    (diag,) = doc["diagnostics"]
    assert diag["location"] == "broken.safetensors"
    kinds = {c["purl"].split("?")[0]: c["kind"] for c in doc["components"]}
    assert kinds == {
        "pkg:generic/broken.safetensors": "weights",  # malformed, still a file we hold
        "pkg:generic/model.safetensors": "weights",
        "pkg:generic/evil.pt": "weights",
        "pkg:huggingface/org/m": "model",
        "pkg:huggingface/org/base": "model",
    }
    derived = [d for d in doc["dependencies"] if d["kind"] == "derived_from"]
    assert {d["to"] for d in derived} == {"pkg:huggingface/org/base"}
    assert len(derived) == 2  # both weight files of the folder


def test_clean_weights_exit_zero(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    makers.torch_zip(tmp_path / "pytorch_model.bin", makers.state_dict())
    ran = auditor("scan", tmp_path, "--no-resolve", "--fail-on", "medium")
    assert ran.code == 0, ran.stdout + ran.stderr


def test_a_named_weight_file_is_a_file_target(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    import hashlib

    path = makers.torch_zip(tmp_path / "model.pt", makers.state_dict())
    doc = validate(auditor("scan", path, "--no-resolve", "--format", "json").stdout)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (target,) = doc["scan"]["targets"]
    assert (target["kind"], target["digest"]) == ("file", f"sha256:{digest}")
    assert [c["purl"] for c in doc["components"]] == [
        f"pkg:generic/model.pt?checksum=sha256:{digest}"
    ]
