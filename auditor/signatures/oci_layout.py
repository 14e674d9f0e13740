"""Reading an OCI image layout (`index.json`, `blobs/<alg>/<hex>`) for the signatures and
attestations stored about one image: cosign's tags, the referrers-tag index, `subject`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.bounded import load_json
from auditor.errors import ParseError
from auditor.signatures.slsa import at, objects
from auditor.sources import Tree

REF_NAME = "org.opencontainers.image.ref.name"
MAX_ARTIFACTS = 256
"""Signature manifests read per image; more is hostile, not a real signing history."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """One signature or attestation manifest about the image."""

    path: str
    """Tree path of the signature/attestation manifest blob."""
    manifest: dict[str, Any]
    problem: str | None = None
    """Why the manifest could not be read."""


def layout_index(tree: Tree, root: str) -> dict[str, Any]:
    """`index.json` of the layout; ParseError when it is not an OCI image index."""
    path = join(root, "index.json")
    index = read_json(tree, path)
    if not isinstance(index.get("manifests"), list):
        raise ParseError(path, "not an OCI image index: no 'manifests' list")
    return index


def artifacts(tree: Tree, root: str, digest: str) -> Iterator[Artifact]:
    """Signature manifests about `digest`: by tag, by referrers-tag index, by subject."""
    tag = digest.replace(":", "-", 1)
    seen: set[str] = set()
    candidates: list[dict[str, Any]] = []
    for entry in layout_index(tree, root)["manifests"]:
        if not isinstance(entry, dict):
            continue
        ref = str(at(entry, "annotations", REF_NAME) or "")
        if ref.endswith(tag) and "index" in str(entry.get("mediaType", "")):
            nested = read_json(tree, blob_path(root, str(entry.get("digest", ""))))
            candidates += objects(nested, "manifests")
        elif entry.get("digest") != digest:
            candidates.append(entry)
    for entry in candidates[:MAX_ARTIFACTS]:
        blob = str(entry.get("digest", ""))
        if blob in seen or "manifest" not in str(entry.get("mediaType", "manifest")):
            continue
        seen.add(blob)
        ref = str(at(entry, "annotations", REF_NAME) or "")
        named = ref.endswith((f"{tag}.sig", f"{tag}.att"))
        try:
            path = blob_path(root, blob)
            manifest = read_json(tree, path)
        except ParseError as exc:
            if named:  # a signature that is there but cannot be read verifies nothing
                yield Artifact(exc.path, {}, exc.reason)
            continue
        subject = manifest.get("subject")
        about = isinstance(subject, dict) and subject.get("digest") == digest
        if about or named:
            yield Artifact(path, manifest)


def read_json(tree: Tree, path: str) -> dict[str, Any]:
    """A JSON object from the tree; ParseError names the file otherwise."""
    try:
        doc = load_json(tree.read_bytes(path))
    except ValueError as exc:
        raise ParseError(path, f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a JSON object")
    return doc


def blob_path(root: str, digest: str) -> str:
    """Where a descriptor's blob lives; ParseError for a digest that is no path segment."""
    algorithm, _, hexdigest = digest.partition(":")
    if not algorithm.isalnum() or not hexdigest.isalnum():
        raise ParseError(join(root, "index.json"), f"bad descriptor digest {digest!r}")
    return join(root, f"blobs/{algorithm}/{hexdigest}")


def join(root: str, path: str) -> str:
    """`path` below the layout folder `root`."""
    return f"{root}/{path}" if root else path
