"""Configured sources: the URL prefixes a fleet may fetch lockfiles from.

A targets file may name a lockfile by URL (an internal Git server's raw file) only when the
URL falls under a source the operator configured (`--allow-source URL_PREFIX`, repeated, or
AUDITOR_FLEET_SOURCES); `fleet submit` refuses any other URL line and the worker checks again
with its own list (a message on the broker is no authority). Matching is on normalised URLs:

- scheme `https`, or `http` only where a source spells `http://` itself (a loopback mirror,
  a trusted internal network): an https source never admits a plain-HTTP URL;
- host, and port (default ports filled in), compared exactly: no suffix or sub-domain match;
- the path compared segment by segment: `/raw/team-a` admits `/raw/team-a/uv.lock`, not
  `/raw/team-ab/uv.lock`; a `.` or `..` segment, an empty one, or an encoded `/` or `\\` is
  refused outright rather than resolved, since servers disagree about what they mean;
- `user:password@` is stripped (the target is stored and shown, so it must carry no secret;
  the worker authenticates from its netrc), and a query carrying a secret is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from auditor.errors import ConfigError
from auditor.urls import redact

SOURCES_ENV = "AUDITOR_FLEET_SOURCES"
"""Whitespace- or comma-separated URL prefixes, added to `--allow-source`."""
SCHEMES = ("https", "http")
DEFAULT_PORTS = {"http": 80, "https": 443}
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"
"""Characters a path segment keeps unescaped (RFC 3986 pchar): the canonical spelling."""
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class BadURL(ValueError):
    """A URL that cannot be fetched safely; the message says why (no credential in it)."""


@dataclass(frozen=True, slots=True)
class Location:
    """A normalised http(s) URL, split into what matching compares."""

    scheme: str
    host: str
    port: int
    path: str
    """Canonical: `/`-separated segments, each percent-encoded one way only."""
    query: str
    had_credentials: bool = False

    @property
    def url(self) -> str:
        """The URL in its normal form (no credentials, no fragment, no default port)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{host}{port}{self.path}{query}"

    @property
    def file_name(self) -> str:
        """The last path segment, decoded (`uv.lock`); empty for a folder URL."""
        return unquote(self.path.rpartition("/")[2])

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK or self.host.startswith("127.")


def is_url(text: str) -> bool:
    """Whether a target line is an http(s) URL rather than a path."""
    return text[:8].lower().startswith(("http://", "https://"))


def parse_location(text: str) -> Location:
    """`text` as a normalised Location; BadURL when it is not one we can trust."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadURL(f"scheme {scheme or '(none)'!r}: only https (or http) URLs")
    host = (parts.hostname or "").lower()
    if not host:
        raise BadURL("no host")
    if not host.isascii():
        raise BadURL("the host is not ASCII: give its punycode (xn--) form")
    if parts.query and redact(f"https://h/?{parts.query}") != f"https://h/?{parts.query}":
        raise BadURL("the query carries a credential: workers authenticate from their netrc")
    return Location(
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        path=_canonical_path(parts.path),
        query=parts.query,
        had_credentials="@" in parts.netloc,
    )


def _canonical_path(raw: str) -> str:
    if not raw:
        return "/"
    if "\\" in raw:
        raise BadURL("a backslash in the path")
    segments = raw.split("/")[1:]
    canonical = []
    for i, segment in enumerate(segments):
        try:
            decoded = unquote(segment, errors="strict") if "%" in segment else segment
        except UnicodeDecodeError:
            raise BadURL("a percent-escape in the path that is not UTF-8") from None
        if decoded in (".", ".."):
            raise BadURL(f"a {decoded!r} segment in the path")
        if "/" in decoded or "\\" in decoded:
            raise BadURL("an encoded '/' or '\\' in the path")
        if any(ord(c) < 32 or ord(c) == 127 for c in decoded):
            raise BadURL("an encoded control character in the path")
        if not decoded and i < len(segments) - 1:
            raise BadURL("an empty segment ('//') in the path")
        canonical.append(quote(decoded, safe=_SEGMENT_SAFE))
    return "/" + "/".join(canonical)


@dataclass(frozen=True, slots=True)
class Sources:
    """The configured URL prefixes (empty: no URL target is allowed)."""

    prefixes: tuple[Location, ...] = ()

    def allows(self, location: Location) -> bool:
        """Whether `location` lies under one of the prefixes (scheme, host, port exact;
        the path on a segment boundary; a query is allowed under any prefix)."""
        return any(_under(location, prefix) for prefix in self.prefixes)

    def problem(self, text: str) -> str | None:
        """Why the URL `text` may not be fetched, or None."""
        try:
            location = parse_location(text)
        except BadURL as exc:
            return str(exc)
        if not self.prefixes:
            return f"no source is configured ({SOURCES_ENV} or --allow-source URL_PREFIX)"
        if not self.allows(location):
            return "not under a configured source (" + ", ".join(self.shown()) + ")"
        return None

    def checked(self, text: str) -> str:
        """The normal form of `text`, the URL to request; BadURL saying why not."""
        problem = self.problem(text)
        if problem is not None:
            raise BadURL(problem)
        return parse_location(text).url

    def shown(self) -> tuple[str, ...]:
        """The prefixes as printed (normalised; they carry no credentials)."""
        return tuple(p.url for p in self.prefixes)


def _under(location: Location, prefix: Location) -> bool:
    if (location.scheme, location.host, location.port) != (
        prefix.scheme,
        prefix.host,
        prefix.port,
    ):
        return False
    base = prefix.path if prefix.path.endswith("/") else prefix.path + "/"
    return location.path == prefix.path or location.path.startswith(base)


def configured_sources(flags: Iterable[str], environ: Mapping[str, str] | None = None) -> Sources:
    """`--allow-source` values plus AUDITOR_FLEET_SOURCES; ConfigError naming a bad one."""
    env = os.environ if environ is None else environ
    from_env = env.get(SOURCES_ENV, "").replace(",", " ").split()
    prefixes: list[Location] = []
    named = [*(("--allow-source", f) for f in flags), *((SOURCES_ENV, e) for e in from_env)]
    for where, text in named:
        try:
            location = parse_location(text)
        except BadURL as exc:
            raise ConfigError(
                f"{where} {redact(text)!r}: {exc}",
                hint="a source is an http(s) URL prefix, e.g. https://git.example.test/raw/",
            ) from None
        if location.query:
            raise ConfigError(f"{where} {redact(text)!r}: a source is a prefix; drop the query")
        if location not in prefixes:
            prefixes.append(location)
    return Sources(tuple(prefixes))


def plain_http(sources: Sources) -> tuple[str, ...]:
    """Configured plain-HTTP prefixes off the loopback (what a warning names)."""
    return tuple(p.url for p in sources.prefixes if p.scheme == "http" and not p.loopback)
