"""Component identities (purls) as docs/json.md documents them, built with packageurl-python."""

from __future__ import annotations

import re
from urllib.parse import quote

from packageurl import PackageURL
from packaging.utils import canonicalize_name

_SURROGATE = re.compile("[\ud800-\udfff]")


def _visible(text: str) -> str:
    """Lone surrogates (a JSON `\\ud800` escape, a byte of a non-UTF-8 file name) as text:
    a purl is percent-encoded UTF-8, which cannot hold them."""
    if text.isascii():  # nearly every name and version: no regex pass over it
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _build(
    *,
    type: str,
    name: str,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    """A PackageURL from any text; ValueError (never TypeError or UnicodeEncodeError) when
    the parts cannot make one, such as a name that is only white space."""
    try:
        purl = PackageURL(
            type=type,
            namespace=_visible(namespace) if namespace else None,
            name=_visible(name),
            version=_visible(version) if version else None,
            qualifiers={k: _visible(v) for k, v in qualifiers.items()} if qualifiers else None,
        )
        return str(purl.to_string())
    except TypeError:  # packageurl normalises a blank name to None, then fails to join it
        raise ValueError(f"{name!r}: no usable purl name") from None


def _qualifiers(vcs_url: str | None, download_url: str | None) -> dict[str, str] | None:
    """Direct references keep where they came from; registry packages carry no qualifier."""
    found = {k: v for k, v in (("vcs_url", vcs_url), ("download_url", download_url)) if v}
    return found or None


def pypi(
    name: str, version: str | None, *, vcs_url: str | None = None, download_url: str | None = None
) -> str:
    """`pkg:pypi/<PEP 503 name>@<version>`."""
    return str(
        _build(
            type="pypi",
            name=canonicalize_name(name),
            version=version or None,
            qualifiers=_qualifiers(vcs_url, download_url),
        )
    )


def npm(
    name: str, version: str | None, *, vcs_url: str | None = None, download_url: str | None = None
) -> str:
    """`pkg:npm/%40scope/name@<version>`: the scope is the purl namespace, `@` encoded."""
    scope, _, bare = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return str(
        _build(
            type="npm",
            namespace=scope or None,
            name=bare,
            version=version or None,
            qualifiers=_qualifiers(vcs_url, download_url),
        )
    )


def huggingface(repo_id: str, revision: str | None = None, repo_type: str | None = None) -> str:
    """`pkg:huggingface/<namespace>/<name>@<revision>` (purl-spec huggingface type; names keep
    their case); datasets and spaces add `?repository_type=`."""
    namespace, _, name = repo_id.rpartition("/")
    return str(
        _build(
            type="huggingface",
            namespace=namespace or None,
            name=name,
            version=revision or None,
            qualifiers={"repository_type": repo_type} if repo_type not in (None, "model") else None,
        )
    )


def modelscope(repo_id: str, revision: str | None = None) -> str:
    """`pkg:generic/<ns>/<name>@<rev>?repository_url=modelscope` (no purl type exists)."""
    namespace, _, name = repo_id.rpartition("/")
    return str(
        _build(
            type="generic",
            namespace=namespace or None,
            name=name,
            version=revision or None,
            qualifiers={"repository_url": "modelscope"},
        )
    )


def generic_file(name: str, sha256: str) -> str:
    """`pkg:generic/<file name>?checksum=sha256:<hex>`: a loose file known by its bytes."""
    return str(_build(type="generic", name=name, qualifiers={"checksum": f"sha256:{sha256}"}))


def ollama(
    namespace: str, model: str, tag: str, manifest_sha256: str | None, host: str | None = None
) -> str:
    """`pkg:generic/ollama/<namespace>/<model>@<tag>?checksum=sha256:<manifest digest>`: purl-spec
    has no Ollama type (docs/types/definitions lists none; `generic` is for what fits no other),
    so the generic type, the tag as version and Ollama's own digest of the tag (the sha256 of
    its manifest file); `repository_url=<host>` unless the host is Ollama's default registry."""
    qualifiers = {"checksum": f"sha256:{manifest_sha256}"} if manifest_sha256 else {}
    if host:
        qualifiers["repository_url"] = host
    return _build(
        type="generic", namespace=f"ollama/{namespace}", name=model, version=tag,
        qualifiers=qualifiers or None,
    )  # fmt: skip


def local_folder(name: str, path: str) -> str:
    """`pkg:generic/<folder name>?download_url=file:<path>`: a local model folder."""
    return str(_build(type="generic", name=name, qualifiers={"download_url": f"file:{path}"}))


def os_package(
    kind: str,
    namespace: str | None,
    name: str,
    version: str | None,
    *,
    arch: str | None = None,
    distro: str | None = None,
    epoch: str | None = None,
) -> str:
    """`pkg:deb/debian/openssl@3.0.15-1?arch=amd64&distro=debian-12` (deb, apk and rpm alike;
    rpm adds `epoch`). The namespace is the os-release ID; None when the tree has none."""
    qualifiers = {k: v for k, v in (("arch", arch), ("distro", distro), ("epoch", epoch)) if v}
    return str(
        _build(
            type=kind,
            namespace=namespace or None,
            name=name,
            version=version or None,
            qualifiers=qualifiers or None,
        )
    )


def githubactions(owner: str, repo: str, path: str | None, ref: str | None) -> str:
    """`pkg:githubactions/<owner>/<repo>[%2F<path>]@<ref>` (purl-spec
    types/githubactions-definition.json): owner and repository lower-cased, the path inside
    the repository kept in case and percent-encoded into the name (`/` as `%2F`)."""
    base = str(
        PackageURL(type="githubactions", namespace=owner.lower(), name=repo.lower()).to_string()
    )
    if path:
        base += quote("/" + path, safe="")
    return f"{base}@{quote(ref, safe='')}" if ref else base


def oci(name: str, digest: str | None, repository_url: str, tag: str | None) -> str:
    """`pkg:oci/<last path segment>@<digest>?repository_url=…&tag=…` (purl-spec
    types/oci-definition.json): no namespace, the name lower-cased, the digest as version."""
    qualifiers = {"repository_url": repository_url.lower()}
    if tag:
        qualifiers["tag"] = tag
    return str(
        PackageURL(
            type="oci", name=name.lower(), version=digest or None, qualifiers=qualifiers
        ).to_string()
    )


def ai_service(provider: str, model: str | None) -> str:
    """`pkg:generic/ai-service/<provider>/<model>` (`…/ai-service/<provider>` without a model):
    the purl spec has no type for a hosted API (PURL-TYPES.rst: `generic` is for what no
    type covers), so the generic type with an `ai-service` namespace names it."""
    if model:
        return str(_build(type="generic", namespace=f"ai-service/{provider}", name=model))
    return str(_build(type="generic", namespace="ai-service", name=provider))


def ai_lab(lab: str) -> str:
    """`pkg:generic/ai-lab/<organisation id>`: the lab whose model a hosted service serves,
    named by its rules/publishers.yaml id (the root a service's model traces to)."""
    return str(_build(type="generic", namespace="ai-lab", name=lab))


SBOM_ONLY = "auditor_source=sbom"
"""The qualifier marking a component an SBOM lists without a package URL (`sbom_only`)."""
SBOM_ONLY_REASON = "the SBOM gives no package URL; kept as the SBOM states it"
"""The origin reason of such a component: there is nothing to look up."""


def sbom_only(name: str, version: str | None) -> str:
    """`pkg:generic/<name>@<version>?auditor_source=sbom`: a component an SBOM lists without a
    package URL, kept under the name and version it states (stable across scans of the same
    document); resolution skips it (`is_sbom_only`)."""
    return _build(type="generic", name=name, version=version or None,
                  qualifiers={"auditor_source": "sbom"})  # fmt: skip


def is_sbom_only(purl: str) -> bool:
    """Whether `purl` is one `sbom_only` made."""
    return purl.startswith("pkg:generic/") and SBOM_ONLY in purl.partition("?")[2].split("&")
