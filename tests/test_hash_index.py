"""The hash index: a GGUF copied out of a scanned Hub cache, renamed, in another folder, is
known again by its bytes in a later scan, traces to the same publisher and lineage, and the
index travels with `auditor cache export/import`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.hashing import KnownFile, MemoryMemo
from auditor.known_files import reidentified
from auditor.model import Component, ComponentKind
from tests.conftest import Ran
from tests.lineage_hub import QUANT, download, populate, sha
from tests.servers.hub import HubState, serve

GGUF = "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    state = HubState()
    for url in serve(state):
        populate(state, url)
        download(state, url, tmp_path / "hub", (QUANT,))
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield tmp_path / "hub"


def _scan(auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]], *args: Any
          ) -> dict[str, Any]:  # fmt: skip
    ran = auditor("scan", *args, "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    return validate(ran.stdout)


def _copy(hub: Path, to: Path) -> Path:
    [blob] = list(hub.rglob(GGUF))
    to.mkdir(parents=True)
    shutil.copyfile(blob.resolve(), to / "my-model.gguf")
    return to


def test_copied_gguf_is_reidentified_with_registry_strength(
    hub: Path,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    _scan(auditor, validate, f"hf-cache:{hub}")  # online: the Hub confirms the digest
    folder = _copy(hub, tmp_path / "elsewhere")
    doc = _scan(auditor, validate, folder, "--offline")
    [loose] = [c for c in doc["components"] if c["name"] == "my-model.gguf"]
    assert loose["purl"].startswith("pkg:generic/my-model.gguf?checksum=sha256:")
    [seen] = [e for e in loose["origin"]["evidence"] if e["source"] == "hash-index"]
    assert seen["value"] == f"{QUANT}@{sha(QUANT)}/{GGUF}"
    assert seen["strength"] == "registry"
    edges = {(d["from"], d["to"], d.get("scope")) for d in doc["dependencies"]}
    hub_purl = f"pkg:huggingface/{QUANT}@{sha(QUANT)}"
    assert (loose["purl"], hub_purl, "copy") in edges
    # The same publisher and lineage as the cached revision: through the quantisation to
    # the Qwen base, from the Hub's answers kept in the store.
    roots = {(r["purl"], r["organisation"], r["country"]) for r in loose["origin"]["roots"]}
    assert roots == {("pkg:huggingface/Qwen/Qwen2.5-0.5B", "Alibaba Group Holding Limited",
                      "CN")}  # fmt: skip


def test_index_travels_with_cache_export_import(
    hub: Path,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _scan(auditor, validate, f"hf-cache:{hub}", "--offline")  # offline: declared only
    snapshot = tmp_path / "snap.jsonl"
    assert auditor("cache", "export", snapshot).code == 0
    lines = [json.loads(x) for x in snapshot.read_text().splitlines()[1:]]
    [line] = [x for x in lines if x["key"].startswith("hash-index:")]
    assert json.loads(line["body"])[0]["strength"] == "declared"
    monkeypatch.setenv("AUDITOR_DB", f"sqlite:///{tmp_path / 'other.db'}")
    assert auditor("cache", "import", snapshot).code == 0
    doc = _scan(auditor, validate, _copy(hub, tmp_path / "b"), "--offline")
    [loose] = [c for c in doc["components"] if c["name"] == "my-model.gguf"]
    assert [e["value"] for e in loose["origin"]["evidence"] if e["source"] == "hash-index"] == [
        f"{QUANT}@{sha(QUANT)}/{GGUF}"
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(snapshot.read_text().splitlines()[0] + "\n" + json.dumps(
        {**line, "body": '[{"repo": 1}]'}) + "\n")  # fmt: skip
    ran = auditor("cache", "import", bad)
    assert ran.code == 2 and "bad.jsonl:2" in ran.stderr


def test_unknown_digest_changes_nothing() -> None:
    digest = "a" * 64
    c = Component(f"pkg:generic/x.gguf?checksum=sha256:{digest}", ComponentKind.WEIGHTS,
                  "x.gguf", None, hashes=(f"sha256:{digest}",), found_by="model-files")  # fmt: skip
    memo = MemoryMemo()
    assert reidentified((c,), memo) == ((c,), ())
    manifest = f"sha256:{'d' * 64}"
    memo.record_files([KnownFile("a" * 64, "ollama:qwen2.5:7b", manifest, "model", "ollama",
                                 "declared")])  # fmt: skip
    found, edges = reidentified((c,), memo)
    tag = f"pkg:generic/ollama/library/qwen2.5@7b?checksum=sha256:{'d' * 64}"
    assert [(e.source, e.target, e.scope) for e in edges] == [(c.purl, tag, "copy")]
    [loose] = [x for x in found if x.purl == c.purl]
    assert [e.value for e in loose.evidence] == [f"ollama:qwen2.5:7b@{manifest}/model"]
    [added] = [x for x in found if x.purl == tag]  # the library model, mapped to its lab
    assert ("upstream.huggingface", "Qwen") in {(e.field, e.value) for e in added.evidence}
