"""Component identities (purls) as the README documents them, built with packageurl-python."""

from __future__ import annotations

from packageurl import PackageURL
from packaging.utils import canonicalize_name


def _qualifiers(vcs_url: str | None, download_url: str | None) -> dict[str, str] | None:
    """Direct references keep where they came from; registry packages carry no qualifier."""
    found = {k: v for k, v in (("vcs_url", vcs_url), ("download_url", download_url)) if v}
    return found or None


def pypi(
    name: str, version: str | None, *, vcs_url: str | None = None, download_url: str | None = None
) -> str:
    """`pkg:pypi/<PEP 503 name>@<version>`."""
    return str(
        PackageURL(
            type="pypi",
            name=canonicalize_name(name),
            version=version or None,
            qualifiers=_qualifiers(vcs_url, download_url),
        ).to_string()
    )


def npm(
    name: str, version: str | None, *, vcs_url: str | None = None, download_url: str | None = None
) -> str:
    """`pkg:npm/%40scope/name@<version>`: the scope is the purl namespace, `@` encoded."""
    scope, _, bare = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return str(
        PackageURL(
            type="npm",
            namespace=scope or None,
            name=bare,
            version=version or None,
            qualifiers=_qualifiers(vcs_url, download_url),
        ).to_string()
    )


def huggingface(repo_id: str, revision: str | None, repo_type: str = "model") -> str:
    """`pkg:huggingface/<ns>/<name>@<commit>`; no namespace: `pkg:huggingface/<name>@…`;
    datasets and spaces add `?repository_type=dataset|space` (the design's encoding)."""
    namespace, _, name = repo_id.rpartition("/")
    return str(
        PackageURL(
            type="huggingface",
            namespace=namespace or None,
            name=name,
            version=revision or None,
            qualifiers={"repository_type": repo_type} if repo_type != "model" else None,
        ).to_string()
    )


def modelscope(repo_id: str, revision: str | None) -> str:
    """`pkg:generic/<ns>/<name>@<rev>?repository_url=modelscope` (purl has no modelscope type)."""
    namespace, _, name = repo_id.rpartition("/")
    return str(
        PackageURL(
            type="generic",
            namespace=namespace or None,
            name=name,
            version=revision or None,
            qualifiers={"repository_url": "modelscope"},
        ).to_string()
    )
