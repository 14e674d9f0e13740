"""OCI model artifacts (Docker Model Runner, CNCF ModelPack) read through the image source:
the artifact is a model component, its raw layers are files of the merged view (so the
weight readers inspect the GGUF and follow its header's lineage), each verified against its
digest, and a ModelPack tar layer is read like any layer.

The layouts are written here as `docker model package` and ModelPack tools write them (media
types and annotations from docker/model-runner pkg/distribution/types/config.go and
modelpack/model-spec specs-go/v1/mediatype.go, annotations.go).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from tests.conftest import DEAD_ENDPOINT, Ran
from tests.ollama_store import gguf_bytes

LICENCE = b"Apache License\nVersion 2.0, January 2004\n"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layout(
    root: Path,
    manifest: dict[str, Any],
    config: dict[str, Any],
    layers: list[tuple[str, bytes, dict[str, str]]],
    top: dict[str, Any],
) -> Path:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict[str, Any]:
        (blobs / _sha(data)[7:]).write_bytes(data)
        return {"digest": _sha(data), "size": len(data)}

    config_bytes = json.dumps(config).encode()
    manifest = {
        **manifest,
        "config": {**manifest["config"], **put(config_bytes)},
        "layers": [
            {"mediaType": media, **put(data), **({"annotations": notes} if notes else {})}
            for media, data, notes in layers
        ],
    }
    manifest_bytes = json.dumps(manifest).encode()
    descriptor = {"mediaType": "application/vnd.oci.image.manifest.v1+json", **put(manifest_bytes)}
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [{**descriptor, **top}]})
    )
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


def docker_model(root: Path, model: bytes) -> Path:
    """`docker model package --gguf … --license …` as Docker Model Runner lays it out."""
    config = {
        "descriptor": {"createdAt": "2025-06-01T00:00:00Z"},
        "config": {
            "format": "gguf",
            "format_version": "3",
            "gguf": {"architecture": "qwen2", "parameter_count": "494 M", "quantization": "Q4_K_M"},
            "size": str(len(model)),
        },
        "files": [
            {"diffID": _sha(model), "type": "application/vnd.docker.ai.gguf.v3"},
            {"diffID": _sha(LICENCE), "type": "application/vnd.docker.ai.license"},
        ],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.docker.ai.model.config.v0.1+json"},
    }
    layers = [
        ("application/vnd.docker.ai.gguf.v3", model, {}),
        ("application/vnd.docker.ai.license", LICENCE, {}),
    ]
    top = {"annotations": {"org.opencontainers.image.ref.name": "ai/qwen2.5:0.5B-Q4_K_M"}}
    return _layout(root, manifest, config, layers, top)


def modelpack(root: Path, model: bytes) -> Path:
    """A ModelPack artifact: a raw weight named by its filepath annotation, and the
    tokenizer/config files as a gzipped tar layer."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = json.dumps({"architectures": ["Qwen2ForCausalLM"]}).encode()
        info = tarfile.TarInfo("config.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    config = {
        "descriptor": {"name": "qwen2.5-0.5b", "family": "qwen2", "vendor": "Alibaba Cloud",
                       "licenses": ["Apache-2.0"]},
        "config": {"architecture": "transformer", "format": "gguf", "paramSize": "0.5b",
                   "precision": "int4", "quantization": "q4_k_m"},
        "modelfs": {"type": "layers", "diffIds": [_sha(model), _sha(out.getvalue())]},
    }  # fmt: skip
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.model.config.v1+json"},
    }
    layers = [
        ("application/vnd.cncf.model.weight.v1.raw", model,
         {"org.cncf.model.filepath": "qwen2.5-0.5b-instruct-q4_k_m.gguf"}),
        ("application/vnd.cncf.model.weight.config.v1.tar+gzip", gzip.compress(out.getvalue()),
         {}),
    ]  # fmt: skip
    top = {
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "annotations": {"org.opencontainers.image.ref.name": "models/qwen2.5:0.5b"},
    }
    return _layout(root, manifest, config, layers, top)


def _gguf() -> bytes:
    # The Hub is the configured endpoint (HF_ENDPOINT: the conftest's dead loopback port).
    return gguf_bytes(
        {"general.name": "Qwen2.5 0.5B Instruct",
         "general.source.repo_url": f"{DEAD_ENDPOINT}/Qwen/Qwen2.5-0.5B-Instruct",
         "general.quantized_by": "someone"}
    )  # fmt: skip


def _scan(auditor: Any, validate: Any, layout: Path) -> dict[str, Any]:
    ran: Ran = auditor("scan", f"image:{layout}", "--offline", "--no-store", "-f", "json")
    assert ran.code == 0, ran.stderr
    doc: dict[str, Any] = validate(ran.stdout)
    return doc


def _evidence(component: dict[str, Any]) -> dict[str, str]:
    found = (component.get("evidence") or []) + (
        (component.get("origin") or {}).get("evidence") or []
    )
    return {e["field"]: e["value"] for e in found}


def test_a_docker_model_artifact_is_a_model_with_its_gguf_inside(
    tmp_path: Path, auditor: Any, validate: Any
) -> None:
    doc = _scan(auditor, validate, docker_model(tmp_path / "layout", _gguf()))
    image = next(c for c in doc["components"] if c["purl"].startswith("pkg:oci/"))
    assert image["kind"] == "model"
    facts = _evidence(image)
    assert facts["model.config.format"] == "gguf"
    assert facts["model.config.gguf.quantization"] == "Q4_K_M"
    paths = {loc["path"] for c in doc["components"] for loc in c.get("locations") or []}
    assert any(p.endswith(".gguf") for p in paths), paths
    # The GGUF header names the Hub repo it was converted from: declared lineage.
    assert any(
        d["kind"] == "derived_from" and d["to"] == "pkg:huggingface/Qwen/Qwen2.5-0.5B-Instruct"
        for d in doc["dependencies"]
    ), doc["dependencies"]
    assert not [f for f in doc["findings"] if f["rule"] == "image.digest-mismatch"]


def test_a_modelpack_artifact_reads_raw_and_tar_layers(
    tmp_path: Path, auditor: Any, validate: Any
) -> None:
    doc = _scan(auditor, validate, modelpack(tmp_path / "layout", _gguf()))
    image = next(c for c in doc["components"] if c["purl"].startswith("pkg:oci/"))
    assert image["kind"] == "model"
    facts = _evidence(image)
    assert facts["model.descriptor.vendor"] == "Alibaba Cloud"
    assert facts["model.descriptor.licenses"] == "Apache-2.0"
    paths = {loc["path"] for c in doc["components"] for loc in c.get("locations") or []}
    assert "qwen2.5-0.5b-instruct-q4_k_m.gguf" in {p.rpartition("!")[2] for p in paths} or any(
        p.endswith("qwen2.5-0.5b-instruct-q4_k_m.gguf") for p in paths
    ), paths


def test_a_tampered_raw_layer_is_a_digest_mismatch(
    tmp_path: Path, auditor: Any, validate: Any
) -> None:
    model = _gguf()
    layout = docker_model(tmp_path / "layout", model)
    blob = layout / "blobs" / "sha256" / _sha(model)[7:]
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF  # a flipped byte in the last tensor
    blob.write_bytes(bytes(data))
    ran: Ran = auditor("scan", f"image:{layout}", "--offline", "--no-store", "-f", "json")
    doc = validate(ran.stdout)
    assert [f for f in doc["findings"] if f["rule"] == "image.digest-mismatch"], doc["findings"]
