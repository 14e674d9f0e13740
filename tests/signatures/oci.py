"""Build real OCI image layouts with cosign-style signatures and attestations (see README)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from auditor.signatures.image import pae

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"


class Layout:
    """An OCI image layout folder being written: blobs, index.json, oci-layout."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.entries: list[dict[str, Any]] = []

    def blob(self, data: bytes, media_type: str, **extra: Any) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data), **extra}

    def json_blob(self, doc: dict[str, Any], media_type: str, **extra: Any) -> dict[str, Any]:
        return self.blob(json.dumps(doc).encode(), media_type, **extra)

    def add(self, descriptor: dict[str, Any], ref: str | None = None, **extra: Any) -> None:
        entry = {**descriptor, **extra}
        if ref is not None:
            entry["annotations"] = {"org.opencontainers.image.ref.name": ref}
        self.entries.append(entry)
        self.write()

    def write(self) -> None:
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": self.entries}
        (self.root / "index.json").write_text(json.dumps(index, indent=2))

    def image(self, name: str) -> str:
        """A one-layer image (a real gzip'd tar) tagged `name`; returns its manifest digest."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            data = f"hello from {name}\n".encode()
            info = tarfile.TarInfo("app/hello.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        layer = self.blob(
            gzip.compress(buffer.getvalue()), "application/vnd.oci.image.layer.v1.tar+gzip"
        )
        config = self.json_blob(
            {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
             "diff_ids": [f"sha256:{hashlib.sha256(buffer.getvalue()).hexdigest()}"]}},
            "application/vnd.oci.image.config.v1+json",
        )  # fmt: skip
        manifest = self.json_blob(
            {"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer]},
            MANIFEST,
        )
        self.add(manifest, ref=name)
        return str(manifest["digest"])


def simple_signing_payload(digest: str, reference: str) -> bytes:
    """cosign's payload (SIGNATURE_SPEC.md): what a `.sig` layer holds and signs."""
    return json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()


def ecdsa(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def sign_tag(
    layout: Layout,
    digest: str,
    key: ec.EllipticCurvePrivateKey,
    reference: str = "registry.invalid/acme/app",
    payload: bytes | None = None,
    certificate: str | None = None,
) -> None:
    """`cosign sign --key`: a `sha256-<hex>.sig` manifest with one simple-signing layer."""
    payload = payload or simple_signing_payload(digest, reference)
    annotations = {"dev.cosignproject.cosign/signature": ecdsa(key, payload)}
    if certificate is not None:
        annotations["dev.sigstore.cosign/certificate"] = certificate
    layer = layout.blob(
        payload, "application/vnd.dev.cosign.simplesigning.v1+json", annotations=annotations
    )
    config = layout.json_blob({"architecture": "", "os": "", "config": {}, "rootfs": {
        "type": "layers", "diff_ids": []}}, "application/vnd.oci.image.config.v1+json")  # fmt: skip
    manifest = layout.json_blob(
        {"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer]}, MANIFEST
    )
    layout.add(manifest, ref=f"{digest.replace(':', '-')}.sig")


def statement(digest: str, predicate_type: str, predicate: dict[str, Any]) -> bytes:
    """An in-toto v1 statement about the image."""
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [
                {"name": "registry.invalid/acme/app", "digest": {"sha256": digest.split(":")[1]}}
            ],
            "predicateType": predicate_type,
            "predicate": predicate,
        }
    ).encode()


SLSA_V02 = {
    "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
                      "generator_container_slsa3.yml@refs/tags/v1.9.0"},
    "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
    "invocation": {
        "configSource": {
            "uri": "git+https://github.com/acme/app@refs/heads/main",
            "digest": {"sha1": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"},
            "entryPoint": ".github/workflows/release.yml",
        }
    },
    "materials": [{"uri": "git+https://github.com/acme/app@refs/heads/main",
                   "digest": {"sha1": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"}}],
}  # fmt: skip

SLSA_V1 = {
    "buildDefinition": {
        "buildType": "https://actions.github.io/buildtypes/workflow/v1",
        "externalParameters": {
            "workflow": {"ref": "refs/heads/main", "repository": "https://github.com/acme/app",
                         "path": ".github/workflows/release.yml"}
        },
        "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/heads/main",
                                  "digest": {"gitCommit": "aabbccddeeff0011223344556677"
                                                          "8899aabbccdd"}}],
    },
    "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                   "metadata": {"invocationId": "https://github.com/acme/app/actions/runs/1/attempts/1"}},
}  # fmt: skip


def envelope(key: ec.EllipticCurvePrivateKey, payload: bytes) -> dict[str, Any]:
    """A DSSE envelope signing `payload` (an in-toto statement)."""
    payload_type = "application/vnd.in-toto+json"
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": "", "sig": ecdsa(key, pae(payload_type, payload))}],
    }


def attest_tag(
    layout: Layout, digest: str, key: ec.EllipticCurvePrivateKey, payload: bytes
) -> None:
    """`cosign attest --key`: a `sha256-<hex>.att` manifest with one DSSE layer."""
    layer = layout.json_blob(
        envelope(key, payload), "application/vnd.dsse.envelope.v1+json",
        annotations={"dev.cosignproject.cosign/signature": "",
                     "predicateType": json.loads(payload)["predicateType"]},
    )  # fmt: skip
    config = layout.json_blob({"architecture": "", "os": "", "config": {}, "rootfs": {
        "type": "layers", "diff_ids": []}}, "application/vnd.oci.image.config.v1+json")  # fmt: skip
    manifest = layout.json_blob(
        {"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer]}, MANIFEST
    )
    layout.add(manifest, ref=f"{digest.replace(':', '-')}.att")


def refer_bundle(
    layout: Layout, digest: str, bundle: dict[str, Any], tag_index: bool = False
) -> None:
    """An OCI 1.1 referrer carrying a Sigstore bundle (cosign BUNDLE_SPEC.md)."""
    layer = layout.json_blob(bundle, BUNDLE)
    empty = layout.blob(b"{}", "application/vnd.oci.empty.v1+json")
    manifest = layout.json_blob(
        {"mediaType": MANIFEST, "schemaVersion": 2, "artifactType": BUNDLE, "config": empty,
         "layers": [layer], "subject": {"digest": digest, "mediaType": MANIFEST}},
        MANIFEST, artifactType=BUNDLE,
    )  # fmt: skip
    if tag_index:
        index = layout.json_blob(
            {"schemaVersion": 2, "mediaType": INDEX, "manifests": [manifest]}, INDEX
        )
        layout.add(index, ref=digest.replace(":", "-"))
    else:
        layout.add(manifest)


def key_bundle_dsse(key: ec.EllipticCurvePrivateKey, payload: bytes) -> dict[str, Any]:
    return {
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test-key"}, "tlogEntries": []},
        "dsseEnvelope": envelope(key, payload),
    }


def key_bundle_message(key: ec.EllipticCurvePrivateKey, digest: str) -> dict[str, Any]:
    raw = bytes.fromhex(digest.split(":")[1])
    signature = key.sign(raw, ec.ECDSA(Prehashed(hashes.SHA256())))
    return {
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "test-key"}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(raw).decode()},
            "signature": base64.b64encode(signature).decode(),
        },
    }
