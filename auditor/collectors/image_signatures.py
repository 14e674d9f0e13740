"""Image signatures and attestations in an OCI layout folder (`oci-layout` + `index.json`).

Each image the layout's index names becomes `pkg:oci/<name>@sha256:<digest>` carrying what
image_signature_evidence found about it; the image reader (sources/image.py) attaches the
same evidence to the images it opens by calling that function with the manifest digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from auditor.collectors import CollectContext, Collected, Collector
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentKind, Finding, Location
from auditor.signatures.oci_layout import REF_NAME, layout_index
from auditor.sources import Tree

LAYOUT_MARKER = "oci-layout"
IMAGE_MEDIA_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
NAME_ANNOTATIONS = ("io.containerd.image.name", REF_NAME)


def image_name(reference: str) -> str:
    """The purl name of an image reference: its repository's last path segment, lower-case
    (`docker.io/library/alpine:3.19` -> `alpine`)."""
    repository = reference.rpartition("@")[0] or reference
    return repository.rpartition("/")[2].partition(":")[0].lower()


def image_purl(reference: str, digest: str) -> str:
    """`pkg:oci/<name>@sha256:<hex>` (design.md)."""
    return str(PackageURL(type="oci", name=image_name(reference), version=digest).to_string())


class ImageSignatureCollector(Collector):
    """Images of OCI layouts, with their signatures and attestations checked."""

    name = "image-signatures"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Every image listed by every OCI layout in `tree`."""
        parts = []
        for path in tree.index():
            if path.rpartition("/")[2] == LAYOUT_MARKER:
                root = path.rpartition("/")[0]
                try:
                    parts.append(self._layout(tree, root, context))
                except ParseError as exc:
                    where = f"{tree.ref}:{exc.path}" + (f":{exc.line}" if exc.line else "")
                    parts.append(Collected(diagnostics=(Diagnostic(where, exc.reason),)))
        return Collected.merge(parts)

    def _layout(self, tree: Tree, root: str, context: CollectContext) -> Collected:
        fallback = (root.rpartition("/")[2] or tree.ref.rstrip("/").rpartition("/")[2]) or "image"
        components: list[Component] = []
        findings: list[Finding] = []
        for digest, name in _images(layout_index(tree, root), fallback):
            purl = image_purl(name, digest)
            from auditor.signatures.image import image_signature_evidence  # heavy: on demand

            evidence, found = image_signature_evidence(
                tree, digest, purl, context.signatures, root=root
            )
            components.append(
                Component(
                    purl=purl,
                    kind=ComponentKind.APPLICATION,
                    name=image_name(name),
                    version=digest,
                    hashes=(digest,),
                    locations=(Location(tree.ref, root or "."),),
                    evidence=evidence,
                    found_by=self.name,
                )
            )
            findings += found
        return Collected(components=tuple(components), findings=tuple(findings))


def _images(index: dict[str, Any], fallback: str) -> Iterator[tuple[str, str]]:
    """(digest, name) of each image entry; signature, attestation and referrer tags are not
    images (cosign's `sha256-<hex>[.sig|.att]`)."""
    for entry in index["manifests"]:
        if not isinstance(entry, dict) or entry.get("mediaType") not in IMAGE_MEDIA_TYPES:
            continue
        annotations = entry.get("annotations")
        annotations = annotations if isinstance(annotations, dict) else {}
        ref = str(annotations.get(REF_NAME, ""))
        tag = ref.rpartition(":")[2] if "/" in ref else ref
        if tag.startswith("sha256-") or entry.get("artifactType"):
            continue
        digest = str(entry.get("digest", ""))
        names = [str(annotations[a]) for a in NAME_ANNOTATIONS if annotations.get(a)]
        name = next((n for n in names if "/" in n or ":" in n), fallback)
        yield digest, name
