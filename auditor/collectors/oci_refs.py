"""Container image references (`FROM`, `image:`, `docker://`) as `pkg:oci` components.

A reference is `[registry/]path[:tag][@digest]` (the distribution reference grammar Docker
uses): the first path part is a registry when it has a `.` or `:` or is `localhost`;
otherwise the registry is Docker Hub, whose one-part names live under `library/`. The purl
follows purl-spec types/oci-definition.json: `pkg:oci/<last part>@<digest>` with
`repository_url=<registry>/<path>` and `tag=`. Who publishes it comes from
rules/data/container-registries.yaml (registry and namespace); nothing is fetched.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import yaml
from packageurl import PackageURL

from auditor import purls
from auditor.config import data_path
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.policy.builtin import finding

SOURCE = "container-registries"
REGISTRIES_FILE = "container-registries.yaml"
DOCKER_HUB = "docker.io"
_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:(?P<registry>[A-Za-z0-9.-]+(?::[0-9]+)?)/)?(?P<path>{_PART}(?:/{_PART})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128}))?"
)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One parsed image reference."""

    registry: str
    namespace: str
    name: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """`registry/namespace/name`, the purl's repository_url."""
        path = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.registry}/{path}"

    @property
    def purl(self) -> str:
        """`pkg:oci/<name>@<digest>?repository_url=…&tag=…`."""
        return purls.oci(self.name, self.digest, self.repository, self.tag)


def parse(text: str) -> ImageRef | None:
    """The reference in `text`; None when it is not one (a variable, a typo)."""
    text = text.strip()
    if not text or "$" in text:
        return None
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None
    registry, path, tag, digest = match.group("registry", "path", "tag", "digest")
    if registry is not None and not ("." in registry or ":" in registry or registry == "localhost"):
        path, registry = f"{registry.lower()}/{path}", None  # `owner/image`: a Hub path
    if registry is None:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    registry = registry.lower()
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    namespace, _, name = path.rpartition("/")
    return ImageRef(registry, namespace, name, tag, digest.lower() if digest else None)


@dataclass(frozen=True, slots=True)
class Registry:
    """One entry of rules/data/container-registries.yaml."""

    registry: str
    namespace: str | None
    publisher: str
    site: str | None
    operated_in: str | None
    source: str


@cache
def _registries() -> tuple[Registry, ...]:
    raw = yaml.safe_load((data_path("rules") / "data" / REGISTRIES_FILE).read_text("utf-8"))
    return tuple(
        Registry(
            registry=str(e["registry"]).lower(),
            namespace=str(e["namespace"]) if e.get("namespace") is not None else None,
            publisher=str(e["publisher"]),
            site=str(e["site"]) if e.get("site") else None,
            operated_in=str(e["operated_in"]) if e.get("operated_in") else None,
            source=str(e["source"]),
        )
        for e in raw["registries"]
    )


def publisher_of(image: ImageRef) -> Registry | None:
    """The first data-file entry matching the image's registry and namespace."""
    for entry in _registries():
        if not fnmatch.fnmatchcase(image.registry, entry.registry):
            continue
        if entry.namespace is None or fnmatch.fnmatchcase(image.namespace, entry.namespace):
            return entry
    return None


def evidence(image: ImageRef, where: str) -> tuple[Evidence, ...]:
    """What the reference and the data file say: the image as written, its publisher, the
    publisher's site (which the knowledge base may know) and a national registry's country."""
    found = [Evidence("image", "reference", image.repository, where, Strength.DECLARED)]
    entry = publisher_of(image)
    if entry is not None:
        found.append(
            Evidence(SOURCE, "publisher", entry.publisher, entry.source, Strength.INFERRED)
        )
        if entry.site:
            found.append(Evidence(SOURCE, "homepage", entry.site, entry.source, Strength.INFERRED))
        if entry.operated_in:
            found.append(Evidence(SOURCE, "hosted_in", entry.operated_in, entry.source,
                                  Strength.INFERRED))  # fmt: skip
    return tuple(found)


def component(
    image: ImageRef,
    location: tuple[Location, ...],
    found_by: str,
    extra: tuple[Evidence, ...] = (),
) -> Component:
    """The image as a component at `location`."""
    where = f"{location[0].path}:{location[0].line}" if location else ""
    return Component(
        purl=image.purl,
        kind=ComponentKind.APPLICATION,
        name=image.repository,
        version=image.digest or image.tag,
        locations=location,
        direct=True,
        evidence=(*evidence(image, where), *extra),
        found_by=found_by,
    )


def unpinned(image: ImageRef, where: str) -> Finding | None:
    """`image.unpinned` for a reference without a digest."""
    if image.digest is not None:
        return None
    tag = f"tag {image.tag!r}" if image.tag else "no tag (latest)"
    return finding(
        "image.unpinned",
        image.purl,
        f"{where}: {image.repository} at {tag} has no digest: the image can change under the "
        "same name; pin it with @sha256:…",
    )


BASE_NAME_LABEL = "label.org.opencontainers.image.base.name"
BASE_DIGEST_LABEL = "label.org.opencontainers.image.base.digest"


def base_image_edges(components: Iterable[Component]) -> tuple[Dependency, ...]:
    """An image scanned and the Dockerfile that built it, as one story: a `derived_from`
    edge from each scanned image to each base-image reference (a Dockerfile's `FROM`, a
    manifest's `image:`) its `org.opencontainers.image.base.name` label names — the same
    repository, and the same tag, or the same digest when the label or reference has one."""
    components = tuple(components)
    written: dict[str, list[tuple[ImageRef, str]]] = {}
    for c in components:
        if c.purl.startswith("pkg:oci/") and any(e.source == "image" and e.field == "reference"
                                                 for e in c.evidence):  # fmt: skip
            image = _from_purl(c.purl)
            if image is not None:
                written.setdefault(image.repository, []).append((image, c.purl))
    edges: list[Dependency] = []
    for c in components:
        labels = {e.field: e.value for e in c.evidence if e.source == "image-config"}
        base = parse(labels.get(BASE_NAME_LABEL, ""))
        if base is None:
            continue
        digest = (labels.get(BASE_DIGEST_LABEL) or base.digest or "").lower() or None
        for image, purl in written.get(base.repository, ()):
            same = (digest is not None and image.digest == digest) or (
                base.tag is not None and image.tag == base.tag
            )
            if same and purl != c.purl:
                edges.append(Dependency(c.purl, purl, DependencyKind.DERIVED_FROM))
    return tuple(edges)


def _from_purl(purl: str) -> ImageRef | None:
    """The reference a `pkg:oci` purl of ours was made from."""
    parsed = PackageURL.from_string(purl)
    repository = parsed.qualifiers.get("repository_url") if parsed.qualifiers else None
    if not isinstance(repository, str):
        return None
    registry, _, path = repository.partition("/")
    namespace, _, name = path.rpartition("/")
    tag = parsed.qualifiers.get("tag") if parsed.qualifiers else None
    return ImageRef(registry, namespace, name, tag if isinstance(tag, str) else None,
                    parsed.version)  # fmt: skip
