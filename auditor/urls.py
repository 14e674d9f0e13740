"""URL hygiene shared by every stage: credentials out, repositories in one canonical form."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

CODE_HOSTS = frozenset(
    {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com", "gitcode.com"}
)
"""Hosts whose first two path segments name a repository (owner/name)."""


def redact(url: str) -> str:
    """The URL without `user:password@`: lockfiles and metadata can carry tokens.

    A bare `git@` (the ssh user of every code host) is kept: it is no secret and without
    it the URL no longer works.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable (e.g. a bad IPv6 literal): keep only what follows `@`
        return url.rpartition("@")[2]
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or userinfo == "git":
        return url
    return urlunsplit(parts._replace(netloc=host))


def normalise_repository(url: str) -> str | None:
    """`https://<host>/<owner>/<name>` for a code-host URL, else None.

    Lower-cases the host, drops `git+`, credentials, `.git`, fragments and deeper paths
    so that the same repository written five ways compares equal.
    """
    url = url.strip().removeprefix("git+")
    if url.startswith("git@") and ":" in url:  # scp-like: git@github.com:owner/name.git
        host, _, path = url[4:].partition(":")
        url = f"https://{host}/{path}"
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return None
    host = (hostname or "").lower().removeprefix("www.")
    if host not in CODE_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s][:2]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    name = name.split("@", 1)[0]  # pip VCS refs: repo.git@v1.0
    return f"https://{host}/{owner}/{name}".lower() if owner and name else None


def site_of(url: str) -> str | None:
    """The host of an http(s) URL, lower case, without `www.` or a trailing dot; None for
    anything else (another scheme, no host, unparseable)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host.lower().rstrip(".").removeprefix("www.")
