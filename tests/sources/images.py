"""Builders for test images: real ones made with umoci and skopeo, hostile ones with tarfile.

umoci writes OCI layouts with real whiteouts (it diffs the unpacked rootfs between
repacks); skopeo converts between OCI layouts, OCI archives and docker-save archives. The
hostile builders write docker-save archives by hand so each defect is exactly the one a
test names.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Change = Callable[[Path], None]
"""Mutates the unpacked rootfs before the next layer is packed."""


def run(*argv: str | Path) -> str:
    """Run a tool; its stderr is in the assertion message when it fails."""
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{argv}: {done.stderr}"
    return done.stdout


def umoci_image(
    work: Path, layers: list[tuple[str, Change]], labels: dict[str, str] | None = None
) -> Path:
    """An OCI layout `work/oci` (tag `latest`) with one umoci layer per (history, change)."""
    layout, bundle = work / "oci", work / "bundle"
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", f"{layout}:latest")
    run("umoci", "unpack", "--rootless", "--image", f"{layout}:latest", bundle)
    for command, change in layers:
        change(bundle / "rootfs")
        run(
            "umoci", "repack", "--refresh-bundle", "--history.created_by", command,
            "--image", f"{layout}:latest", bundle,
        )  # fmt: skip
    for key, value in (labels or {}).items():
        run("umoci", "config", "--image", f"{layout}:latest", "--config.label", f"{key}={value}")
    shutil.rmtree(bundle)
    return layout


def skopeo_copy(source: str, dest: str, *extra: str) -> None:
    """skopeo copy between transports (oci:, oci-archive:, docker-archive:)."""
    run("skopeo", "copy", "--quiet", *extra, source, dest)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Create files below an unpacked rootfs."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


# --- hand-made archives --------------------------------------------------------------------


@dataclass
class Member:
    """One tar member of a hand-made layer."""

    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    size: int | None = None
    """A header size differing from len(data) (only for hostile cases)."""


def layer_tar(members: list[Member]) -> bytes:
    """An uncompressed layer tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.type = m.type
            info.linkname = m.linkname
            info.mode = 0o755 if m.type == tarfile.DIRTYPE else 0o644
            info.size = len(m.data) if m.type == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(m.data) if m.type == tarfile.REGTYPE else None)
    return out.getvalue()


def sha(data: bytes) -> str:
    """`sha256:<hex>`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def docker_save(
    path: Path,
    layers: list[bytes],
    *,
    compress: bool = True,
    repo_tag: str = "example/app:1.0",
    config_extra: dict[str, Any] | None = None,
    blob_override: dict[int, bytes] | None = None,
    drop_layer: int | None = None,
) -> Path:
    """A docker-save archive (OCI-style blob names, as Docker 25+ writes) of these layers.

    `blob_override` stores other bytes under a layer's digest (a digest mismatch);
    `drop_layer` leaves a layer's blob out (a missing layer).
    """
    blobs = [gzip.compress(t, 1) if compress else t for t in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin", "API_TOKEN=hunter2"], "Labels": {}},
        "rootfs": {"type": "layers", "diff_ids": [sha(t) for t in layers]},
        "history": [{"created_by": f"RUN step {i}"} for i in range(len(layers))],
        **(config_extra or {}),
    }
    config_bytes = json.dumps(config).encode()
    names = [f"blobs/sha256/{sha(b)[7:]}" for b in blobs]
    manifest = [
        {"Config": f"blobs/sha256/{sha(config_bytes)[7:]}", "RepoTags": [repo_tag], "Layers": names}
    ]
    with tarfile.open(path, "w") as tar:
        _add(tar, "manifest.json", json.dumps(manifest).encode())
        _add(tar, f"blobs/sha256/{sha(config_bytes)[7:]}", config_bytes)
        for i, (name, blob) in enumerate(zip(names, blobs, strict=True)):
            if i == drop_layer:
                continue
            _add(tar, name, (blob_override or {}).get(i, blob))
    return path


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def oci_layout(root: Path, images: list[tuple[str, list[bytes]]], nested: bool = True) -> Path:
    """An OCI layout holding one manifest per (platform, layers) under a nested index."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict[str, Any]:
        (blobs / sha(data)[7:]).write_bytes(data)
        return {"digest": sha(data), "size": len(data)}

    descriptors = []
    for platform, layers in images:
        os_name, arch = platform.split("/")[:2]
        config = {
            "architecture": arch,
            "os": os_name,
            "rootfs": {"type": "layers", "diff_ids": [sha(t) for t in layers]},
        }
        layer_descs = [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **put(gzip.compress(t))}
            for t in layers
        ]
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                **put(json.dumps(config).encode()),
            },
            "layers": layer_descs,
        }
        descriptors.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **put(json.dumps(manifest).encode()),
                "platform": {"os": os_name, "architecture": arch},
            }
        )
    inner = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": descriptors,
    }
    if nested:
        top = [
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                **put(json.dumps(inner).encode()),
                "annotations": {"org.opencontainers.image.ref.name": "example/multi:2.0"},
            }
        ]
    else:
        top = descriptors
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": top}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


def zeros_layer(size: int, name: str = "zeros") -> bytes:
    """A gzip layer holding one `size`-byte file of zeros (~1000:1), built in 1 MiB steps."""
    header = tarfile.TarInfo(name)
    header.size = size
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(header.tobuf(format=tarfile.PAX_FORMAT))]
    zeros = bytes(1 << 20)
    parts += [compressor.compress(zeros) for _ in range(size >> 20)]
    parts.append(compressor.compress(bytes(1024)) + compressor.flush())  # the tar's end
    return b"".join(parts)
