"""Ollama model stores laid out exactly as Ollama writes them (github.com/ollama/ollama).

`blobs/sha256-<hex>` per manifest/paths.go `BlobsPath`; `manifests/<host>/<ns>/<model>/<tag>`
per types/model/name.go `Filepath`; the manifest a Docker v2 manifest serialised as Go's
`json.Marshal` writes manifest/manifest.go's `Manifest` (compact, fields in struct order:
schemaVersion, mediaType, config, layers; a layer's mediaType, digest, size, then `from`
only when set); the config blob types/model/config.go `ConfigV2`. Model layers are real GGUF
files written by the `gguf` package (llama.cpp's gguf-py). Hosts come from the data file, so
no host name is written here.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

from auditor.collectors.ollama_files import store_data

MODEL = "application/vnd.ollama.image.model"
TEMPLATE = "application/vnd.ollama.image.template"
PARAMS = "application/vnd.ollama.image.params"
LICENSE = "application/vnd.ollama.image.license"
SYSTEM = "application/vnd.ollama.image.system"
ADAPTER = "application/vnd.ollama.image.adapter"
CONFIG = "application/vnd.docker.container.image.v1+json"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def default_host() -> str:
    return store_data().default_host


def hub_host() -> str:
    return sorted(store_data().hub_hosts)[0]


def gguf_bytes(metadata: dict[str, str] | None = None, arch: str = "qwen2") -> bytes:
    """A tiny real GGUF (one 4x4 tensor) with `general.*` string metadata."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.gguf"
        writer = GGUFWriter(str(path), arch)
        for key, value in (metadata or {}).items():
            writer.add_string(key, value)
        writer.add_tensor("token_embd.weight", np.ones((4, 4), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


@dataclass
class Store:
    """An Ollama models folder (`$OLLAMA_MODELS`)."""

    root: Path
    written: dict[str, Path] = field(default_factory=dict)

    def blob(self, data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / "blobs" / f"sha256-{digest}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return digest, len(data)

    def pull(
        self,
        model: str,
        tag: str,
        layers: list[tuple[str, bytes] | tuple[str, bytes, str]],
        *,
        namespace: str = "library",
        host: str | None = None,
        config: dict[str, object] | None = None,
    ) -> Path:
        """Write blobs and the manifest as `ollama pull` leaves them; the manifest's path."""
        entries = []
        for item in layers:
            digest, size = self.blob(item[1])
            entry: dict[str, object] = {"mediaType": item[0], "digest": f"sha256:{digest}",
                                        "size": size}  # fmt: skip
            if len(item) == 3:
                entry["from"] = item[2]
            entries.append(entry)
        conf = {"model_format": "gguf", "model_family": "qwen2", "model_families": ["qwen2"],
                "model_type": "7.6B", "file_type": "Q4_K_M", "architecture": "amd64",
                "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}  # fmt: skip
        conf.update(config or {})
        cdigest, csize = self.blob(json.dumps(conf, separators=(",", ":")).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": CONFIG, "digest": f"sha256:{cdigest}", "size": csize},
            "layers": entries,
        }
        path = self.root / "manifests" / (host or default_host()) / namespace / model / tag
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(json.dumps(manifest, separators=(",", ":")).encode())
        return path
