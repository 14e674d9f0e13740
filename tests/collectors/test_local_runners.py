"""LM Studio's models folder and llama.cpp's caches, laid out as those tools write them.

LM Studio: `<models>/<publisher>/<repo>/<file>.gguf` (`~/.lmstudio/models`, older
`~/.cache/lm-studio/models`). llama.cpp, older flat cache (common/hf-cache.cpp
`make_old_cache_filename`, `parse_manifest_name`): `<owner>_<repo>_<file>` beside
`manifest=<owner>=<repo>=<tag>.json`, the Hub's manifest answer (`ggufFile`/`mmprojFile` with
`rfilename`, `size`, `lfs.sha256`); newer llama.cpp writes the Hugging Face cache layout
(hf-cache.cpp `repo_to_folder_name`, `blobs/<oid>`, `snapshots/<rev>/<path>`, `refs/main`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ran
from tests.ollama_store import gguf_bytes

HUB = "http://127.0.0.1:9"
GGUF = gguf_bytes({"general.source.repo_url": f"{HUB}/Qwen/Qwen2.5-0.5B-Instruct",
                   "general.quantized_by": "bartowski"})  # fmt: skip


@pytest.fixture(autouse=True)
def _hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", HUB)


def _scan(auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]], *args: str
          ) -> dict[str, Any]:  # fmt: skip
    ran = auditor("scan", *args, "--offline", "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    return validate(ran.stdout)


def _hub_models(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["components"] if c["purl"].startswith("pkg:huggingface/")}


def test_lmstudio_folder_named_and_found(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    models = tmp_path / "home" / ".lmstudio" / "models"
    repo = models / "bartowski" / "Qwen2.5-0.5B-Instruct-GGUF"
    repo.mkdir(parents=True)
    (repo / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf").write_bytes(GGUF)
    for target in (f"lmstudio:{models}", str(tmp_path / "home")):
        doc = _scan(auditor, validate, target)
        found = _hub_models(doc)["bartowski/Qwen2.5-0.5B-Instruct-GGUF"]
        assert found["purl"] == "pkg:huggingface/bartowski/Qwen2.5-0.5B-Instruct-GGUF"
        [f] = found["files"]
        assert f["sha256"] == hashlib.sha256(GGUF).hexdigest()
        assert not [c for c in doc["components"] if c["kind"] == "weights"]  # not twice
        edges = {(d["from"], d["to"], d.get("scope")) for d in doc["dependencies"]}
        assert (found["purl"], "pkg:huggingface/Qwen/Qwen2.5-0.5B-Instruct", "quantized") in edges
        assert {r["country"] for r in found["origin"]["roots"]} == {"CN"}
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _hub_models(_scan(auditor, validate, "lmstudio:"))


def _old_cache(folder: Path, data: bytes, recorded: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    owner, repo, name = (
        "bartowski",
        "Qwen2.5-0.5B-Instruct-GGUF",
        "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
    )
    (folder / f"{owner}_{repo}_{name}").write_bytes(data)
    sha = recorded or hashlib.sha256(data).hexdigest()
    lfs = {"sha256": sha, "size": len(data), "pointerSize": 135}
    answer = {"ggufFile": {"rfilename": name, "blobId": "0" * 40, "size": len(data), "lfs": lfs}}
    (folder / f"manifest={owner}={repo}=Q4_K_M.json").write_text(json.dumps(answer))


def test_llama_cpp_old_flat_cache(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    cache = tmp_path / "llama.cpp"
    _old_cache(cache, GGUF)
    doc = _scan(auditor, validate, f"llama-cpp:{cache}")
    found = _hub_models(doc)["bartowski/Qwen2.5-0.5B-Instruct-GGUF"]
    assert [f["path"] for f in found["files"]] == ["Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"]
    assert ("tag", "Q4_K_M") in {(e["field"], e["value"]) for e in found["origin"]["evidence"]}
    assert not [c for c in doc["components"] if c["kind"] == "weights"]
    assert not [f for f in doc["findings"] if f["rule"] == "weights.hash-mismatch"]
    monkeypatch.setenv("LLAMA_CACHE", str(cache))
    assert _hub_models(_scan(auditor, validate, "llama-cpp:"))
    monkeypatch.delenv("LLAMA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _hub_models(_scan(auditor, validate, "llama-cpp:"))


def test_llama_cpp_file_differing_from_its_manifest_is_a_mismatch(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    _old_cache(tmp_path / "c", GGUF, recorded="ab" * 32)
    doc = _scan(auditor, validate, f"llama-cpp:{tmp_path / 'c'}")
    assert [f["rule"] for f in doc["findings"] if f["rule"] == "weights.hash-mismatch"] == [
        "weights.hash-mismatch"
    ]


def test_llama_cpp_newer_hf_cache_layout(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """hf-cache.cpp: blobs named by the file's oid (its lfs sha256), snapshot symlinks."""
    repo = tmp_path / "hub" / "models--bartowski--Qwen2.5-0.5B-Instruct-GGUF"
    rev = "c" * 40
    oid = hashlib.sha256(GGUF).hexdigest()
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / oid).write_bytes(GGUF)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(rev)
    snap = repo / "snapshots" / rev
    snap.mkdir(parents=True)
    os.symlink(f"../../blobs/{oid}", snap / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf")
    doc = _scan(auditor, validate, f"llama-cpp:{tmp_path / 'hub'}")
    found = _hub_models(doc)["bartowski/Qwen2.5-0.5B-Instruct-GGUF"]
    assert found["version"] == rev
    assert {r["country"] for r in found["origin"]["roots"]} == {"CN"}


def test_bad_manifest_is_a_diagnostic(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "manifest=a=b=latest.json").write_text("{not json")
    (cache / "manifest=a=c=latest.json").write_text('{"ggufFile": {"rfilename": "../x"}}')
    doc = _scan(auditor, validate, f"llama-cpp:{cache}")
    messages = " ".join(d["message"] for d in doc["diagnostics"])
    assert "not JSON" in messages and "not a file name" in messages
