"""Ollama stores as `ollama pull` / `ollama create` leave them (tests/ollama_store.py cites the
source): one component per tag, every blob verified, config, licence and GGUF header read,
lineage from `from`, Hub tags and library models traced to their lab."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.collectors.ollama_files import parse_manifest, tag_path
from auditor.errors import ParseError
from tests.conftest import Ran
from tests.ollama_store import (
    LICENSE,
    MODEL,
    PARAMS,
    SYSTEM,
    TEMPLATE,
    Store,
    gguf_bytes,
    hub_host,
)

APACHE = "\n" + " " * 33 + "Apache License\n" + " " * 27 + "Version 2.0, January 2004\n"


def _scan(auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]], *args: str
          ) -> dict[str, Any]:  # fmt: skip
    ran = auditor("scan", *args, "--offline", "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    return validate(ran.stdout)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """qwen2.5:7b from the library, a Hub tag, and a model created FROM qwen2.5:7b."""
    s = Store(tmp_path / "models")
    qwen = gguf_bytes({"general.name": "Qwen2.5 7B Instruct",
                                 "general.base_model.0.organization": "Qwen",
                                 "general.base_model.0.name": "Qwen2.5 7B"})  # fmt: skip
    params = b'{"stop":["<|im_end|>"]}'
    s.pull("qwen2.5", "7b", [(MODEL, qwen), (TEMPLATE, b"{{ .Prompt }}"),
                             (LICENSE, APACHE.encode()), (PARAMS, params)])  # fmt: skip
    hub = gguf_bytes({"general.name": "Llama 3.2 1B Instruct"}, arch="llama")
    s.pull("Llama-3.2-1B-Instruct-GGUF", "Q4_K_M", [(MODEL, hub)], namespace="bartowski",
           host=hub_host(), config={"model_family": "llama", "model_type": "1.2B"})  # fmt: skip
    s.pull("helper", "latest", [(MODEL, qwen, "qwen2.5:7b"), (SYSTEM, b"You are terse.")],
           namespace="alice")  # fmt: skip
    return s


def _component(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in doc["components"] if c["name"] == name)


def test_one_component_per_tag_with_layers_and_evidence(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    qwen = _component(doc, "qwen2.5")
    manifest = store.root / "manifests"
    [path] = list(manifest.rglob("7b"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert qwen["purl"] == f"pkg:generic/ollama/library/qwen2.5@7b?checksum=sha256:{digest}"
    assert qwen["kind"] == "model" and qwen["version"] == "7b"
    assert qwen["license"] == "Apache-2.0"
    fields = {(e["field"], e["value"]) for e in qwen["origin"]["evidence"]}
    assert ("config.model_family", "qwen2") in fields
    assert ("config.model_type", "7.6B") in fields
    assert ("config.file_type", "Q4_K_M") in fields
    assert ("general.name", "Qwen2.5 7B Instruct") in fields
    roles = {"config", "model", "template", "license", "params"}
    assert {f["path"] for f in qwen["files"]} >= roles
    assert not [f for f in doc["findings"] if f["rule"] == "weights.hash-mismatch"]
    assert doc["diagnostics"] == []
    # The lab: Ollama's library qwen2.5 is Alibaba's (inferred, from the data file).
    assert qwen["origin"]["organisation"]["value"] == "Alibaba Group Holding Limited"
    assert qwen["origin"]["country"]["value"] == "CN"


def test_library_model_rolls_up_to_its_lab(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """With no header lineage, the library mapping is the whole answer: Alibaba, CN."""
    s = Store(tmp_path / "m")
    s.pull("qwen2.5", "latest", [(MODEL, gguf_bytes({"general.name": "q"}))])
    s.pull("deepseek-r1", "8b", [(MODEL, gguf_bytes({"general.name": "d"}))])
    doc = _scan(auditor, validate, f"ollama:{s.root}")
    roots = {c["name"]: c["origin"]["roots"] for c in doc["components"]}
    assert [(r["organisation"], r["country"], r["strength"]) for r in roots["qwen2.5"]] == [
        ("Alibaba Group Holding Limited", "CN", "inferred")
    ]
    assert roots["deepseek-r1"][0]["country"] == "CN"
    table = auditor("scan", f"ollama:{s.root}", "--offline").stdout
    assert "CN" in table


def test_hub_tag_resolves_as_a_hub_model(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    tag = next(c for c in doc["components"] if c["version"] == "Q4_K_M")
    assert f"repository_url={hub_host()}" in tag["purl"]
    hub = "pkg:huggingface/bartowski/Llama-3.2-1B-Instruct-GGUF"
    assert hub in [c["purl"] for c in doc["components"]]
    edges = {(d["from"], d["to"]) for d in doc["dependencies"] if d["kind"] == "derived_from"}
    assert (tag["purl"], hub) in edges


def test_from_is_lineage_and_header_bases_are_declared(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    helper = _component(doc, "alice/helper")
    qwen = _component(doc, "qwen2.5")
    edges = {(d["from"], d["to"]) for d in doc["dependencies"] if d["kind"] == "derived_from"}
    assert (helper["purl"], qwen["purl"]) in edges
    assert (qwen["purl"], "pkg:huggingface/Qwen/Qwen2.5%207B") not in edges  # not a repo id
    # The helper traces through qwen2.5:7b to Alibaba.
    assert {r["country"] for r in helper["origin"]["roots"]} == {"CN"}


def test_tampered_blob_is_a_hash_mismatch(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    blob = max((store.root / "blobs").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    hits = [f for f in doc["findings"] if f["rule"] == "weights.hash-mismatch"]
    assert hits and all(blob.name in f["message"] for f in hits)
    assert auditor("scan", f"ollama:{store.root}", "--offline", "--fail-on", "high").code == 1


def test_missing_blob_and_bad_manifest_are_diagnostics(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    (next((store.root / "manifests").rglob("helper")) / "broken").write_text("{nope")
    sysblob = hashlib.sha256(b"You are terse.").hexdigest()
    (store.root / "blobs" / f"sha256-{sysblob}").unlink()
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    messages = " ".join(d["message"] for d in doc["diagnostics"])
    assert "not a JSON manifest" in messages
    assert f"sha256-{sysblob} is missing" in messages
    assert len([c for c in doc["components"] if c["purl"].startswith("pkg:generic/ollama/")]) == 3


def test_detected_by_layout_anywhere_and_default_location(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    home = tmp_path / "home"
    (home / ".ollama").mkdir(parents=True)
    store.root.rename(home / ".ollama" / "models")
    doc = _scan(auditor, validate, str(home))  # a plain folder: found by its layout
    assert any(c["name"] == "qwen2.5" for c in doc["components"])
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    assert any(c["name"] == "qwen2.5" for c in _scan(auditor, validate, "ollama:")["components"])
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "nowhere"))
    ran = auditor("scan", "ollama:", "--offline")
    assert ran.code == 2 and "no such file or directory" in ran.stderr


def test_rescan_does_not_hash_again(store: Store) -> None:
    from auditor.collectors import CollectContext
    from auditor.collectors.ollama_store import OllamaStoreCollector
    from auditor.hashing import Hasher, MemoryMemo
    from auditor.sources.directory import DirectoryTree

    hasher = Hasher(MemoryMemo())
    first = OllamaStoreCollector().collect(DirectoryTree("s", store.root), CollectContext(
        hasher=hasher))  # fmt: skip
    hashed = hasher.hashed_bytes
    assert hashed == sum(p.stat().st_size for p in (store.root / "blobs").iterdir())
    again = OllamaStoreCollector().collect(DirectoryTree("s", store.root), CollectContext(
        hasher=hasher))  # fmt: skip
    assert hasher.hashed_bytes == hashed and again == first


def test_no_verify_trusts_the_names(store: Store) -> None:
    from auditor.collectors import CollectContext
    from auditor.collectors.ollama_store import OllamaStoreCollector
    from auditor.hashing import Hasher
    from auditor.sources.directory import DirectoryTree

    hasher = Hasher()
    found = OllamaStoreCollector().collect(DirectoryTree("s", store.root), CollectContext(
        verify=False, hasher=hasher))  # fmt: skip
    assert hasher.hashed_bytes == 0
    assert all(f.sha256 for c in found.components for f in c.files)


def test_tag_paths() -> None:
    assert tag_path("a/manifests/h/library/qwen2.5/7b") is not None
    assert tag_path("manifests/h/library/qwen2.5/7b").root == ""  # type: ignore[union-attr]
    assert tag_path("a/manifests/h/library/qwen2.5") is None
    assert tag_path("a/manifests/h/library/.x/7b") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20,
).map(lambda v: json.dumps({"schemaVersion": 2, "layers": v}).encode()))  # fmt: skip
def test_manifest_parser_never_raises_anything_but_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_manifest("m", data)


def test_hostile_names_do_not_escape(tmp_path: Path) -> None:
    """A `from` naming a path, or a digest that is not hex, never reads outside the store."""
    s = Store(tmp_path / "m")
    path = s.pull("x", "latest", [(MODEL, b"GGUF", "../../../etc/passwd")])
    doc = json.loads(path.read_bytes())
    doc["layers"].append({"mediaType": MODEL, "digest": "sha256:../../etc/passwd", "size": 1})
    path.write_bytes(json.dumps(doc).encode())
    with pytest.raises(ParseError, match="not a sha256 digest"):
        parse_manifest(str(path), path.read_bytes())
    assert os.path.exists(path)


def test_header_base_traces_to_its_lab_offline(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """A library GGUF whose header names its Hub base (as llama.cpp's converter writes
    `general.base_model.0.organization` + `.name`) traces through that base, declared, and
    the base's namespace names the lab (`inferred`) though nothing was fetched."""
    s = Store(tmp_path / "m")
    header = {"general.base_model.count": "1", "general.base_model.0.organization": "Qwen",
              "general.base_model.0.name": "Qwen2.5-7B"}  # fmt: skip
    s.pull("qwen2.5", "7b", [(MODEL, gguf_bytes(header))])
    doc = _scan(auditor, validate, f"ollama:{s.root}")
    [qwen] = [c for c in doc["components"] if c["name"] == "qwen2.5"]
    [root] = qwen["origin"]["roots"]
    assert root["purl"] == "pkg:huggingface/Qwen/Qwen2.5-7B"
    assert (root["organisation"], root["country"], root["strength"]) == (
        "Alibaba Group Holding Limited", "CN", "inferred")  # fmt: skip


def test_tags_are_pinned_by_their_manifest_digest(
    store: Store, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """`model.unpinned-revision` asks for a commit; an Ollama tag is pinned by its digest."""
    doc = _scan(auditor, validate, f"ollama:{store.root}")
    assert not [f for f in doc["findings"] if f["rule"] == "model.unpinned-revision"]


def test_store_inside_an_image(
    store: Store,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    """The official image keeps its store in /root/.ollama/models: found in the layers."""
    from tests.sources.images import Member, docker_save, layer_tar

    members = [
        Member(f"root/.ollama/models/{p.relative_to(store.root).as_posix()}", p.read_bytes())
        for p in sorted(store.root.rglob("*"))
        if p.is_file()
    ]
    image = docker_save(tmp_path / "ollama.tar", [layer_tar(members)], repo_tag="ollama:1")
    doc = _scan(auditor, validate, str(image))
    names = {c["name"] for c in doc["components"] if c["purl"].startswith("pkg:generic/ollama/")}
    assert names == {
        "qwen2.5",
        "alice/helper",
        f"{hub_host()}/bartowski/Llama-3.2-1B-Instruct-GGUF",
    }
    assert not [f for f in doc["findings"] if f["rule"] == "weights.hash-mismatch"]
