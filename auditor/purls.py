"""Component identities (purls) as the README documents them, built with packageurl-python."""

from __future__ import annotations

from packageurl import PackageURL
from packaging.utils import canonicalize_name


def pypi(
    name: str, version: str | None, *, vcs_url: str | None = None, download_url: str | None = None
) -> str:
    """`pkg:pypi/<PEP 503 name>@<version>`; direct references keep their URL as a qualifier."""
    qualifiers: dict[str, str] = {}
    if vcs_url:
        qualifiers["vcs_url"] = vcs_url
    if download_url:
        qualifiers["download_url"] = download_url
    return str(
        PackageURL(
            type="pypi",
            name=canonicalize_name(name),
            version=version or None,
            qualifiers=qualifiers or None,
        ).to_string()
    )
