"""The one place HTTP sessions are made: retries, timeouts, per-host limits, cache, offline.

Requests are named by registry *role* and path (`pypi`, `/pypi/requests/2.32.3/json`); the
base URL in effect is looked up per role. Cache keys, logs and evidence carry only the role
and path, so mirrors work, snapshots move between machines, and no credential embedded in a
configured base URL is ever stored.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from auditor import __version__
from auditor.bounded import load_json

if TYPE_CHECKING:
    from concurrent.futures import Future

    import requests

log = logging.getLogger(__name__)

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "private-token", "job-token", "deploy-token", "cookie", "x-api-key",
     "x-auth-token"}
)  # fmt: skip
"""Headers that carry a credential (GitLab's token headers among them): never sent to
another origin after a redirect, whatever the role."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MISSING_STATUSES = frozenset({404, 410})
USER_AGENT = f"origin-auditor/{__version__}"


class FetchError(Exception):
    """The registry did not give a usable answer after retries (origin: `unreachable`)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class NotCached(Exception):
    """Offline, and the cache holds no answer for this request (origin: `skipped`)."""


VERDICT_PREFIX = "verdict:"
"""Cache keys of kept verdicts (`Http.keep_verdict`), beside the `role:path` answers."""


def verdict_request(role: str, path: str) -> tuple[str, str]:
    """The (role, path) pair under which `Http.prefetch` loads the verdict kept on the
    answer to `role:path`."""
    return VERDICT_PREFIX.removesuffix(":"), f"{role}:{path}"


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An answer as the cache keeps it."""

    status: int
    body: bytes
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    immutable: bool = False
    """Describes something that cannot change (a release, a commit): never revalidated."""


class HttpCache(Protocol):
    """Persistent storage of answers (the store implements it)."""

    def get(self, key: str) -> CachedResponse | None:
        """The kept answer for `role:path`, if any."""

    def put(self, key: str, response: CachedResponse) -> None:
        """Keep an answer (may be buffered until `flush`)."""

    def flush(self) -> None:
        """Write buffered answers."""

    def prefetch(self, keys: Iterable[str]) -> None:
        """Load these answers in one go (a hint; `get` works without it)."""


@dataclass(frozen=True, slots=True)
class Response:
    """A registry's answer to one request."""

    key: str
    status: int
    body: bytes
    fetched_at: datetime
    from_cache: bool

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; FetchError when it is not."""
        try:
            return load_json(self.body)  # nesting checked first: never a RecursionError
        except (ValueError, UnicodeDecodeError) as exc:
            raise FetchError(self.key, f"malformed JSON response ({exc})") from None


@dataclass(frozen=True, slots=True)
class Projection:
    """What a caller keeps of a large answer (a registry's whole project document when it
    needs one release): only the projected bytes are memoised and cached, under the key
    `role:path#tag`, so neither this scan nor a warm rescan holds the whole document."""

    tag: str
    """Names the projection and its version (`v1:2.1.0`): change it when `project` changes."""
    project: Callable[[bytes], bytes]
    """The kept bytes of a 200 answer's body (called once per fetch, then discarded)."""


def json_projection(tag: str, cut: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Projection:
    """A Projection of a JSON object: `cut` gives the object kept, or None to keep the body
    as it came (a shape its reader reports). The whole document lives only inside the call."""

    def project(body: bytes) -> bytes:
        try:
            doc = load_json(body)  # nesting checked first: a deep document is kept as it came
        except (ValueError, UnicodeDecodeError):
            return body
        kept = cut(doc) if isinstance(doc, dict) else None
        return body if kept is None else json.dumps(kept, separators=(",", ":")).encode()

    return Projection(tag, project)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Knobs, with defaults fit for public registries."""

    offline: bool = False
    ttl: timedelta = timedelta(hours=24)
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    attempts: int = 4
    backoff: float = 0.5
    """First retry delay in seconds; doubles each time, with jitter."""
    max_retry_after: float = 60.0
    """A longer Retry-After is not waited for: the request is `unreachable` at once."""
    per_host: int = 16
    max_bytes: int = field(default_factory=lambda: env_max_bytes(os.environ))
    """Decoded bytes of one answer (AUDITOR_HTTP_MAX_BYTES): past it, `unreachable`."""
    deadline: float = field(default_factory=lambda: env_deadline(os.environ))
    """Seconds for one request, retries included (AUDITOR_HTTP_DEADLINE)."""


WHOLE_AT_ONCE = 2
"""Whole documents fetched for a projection at the same time (see `Http._send_projected`)."""


class HostBreaker:
    """Per host, consecutive connection failures (refused, name not resolved, TLS, connect
    timeout) of one scan. Once a host is dead, every later request to it fails at once
    with the first reason: a refusing enrichment host costs one failure, not a retry
    schedule per component."""

    REFUSALS = 2
    """Consecutive refusals (or DNS/TLS failures) that make a host dead; the retry after
    the first is immediate, since waiting does not make a refusing host accept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._dead: dict[str, str] = {}

    def dead(self, host: str) -> str | None:
        """Why `host` is not tried again this scan, or None."""
        with self._lock:
            return self._dead.get(host)

    def answered(self, host: str) -> None:
        """A reply came (whatever its status): the host is alive."""
        with self._lock:
            self._failures.pop(host, None)

    def failed(self, host: str, reason: str, timed_out: bool) -> str | None:
        """Count a connection failure; the reason the host is now dead, or None."""
        with self._lock:
            if host in self._dead:
                return self._dead[host]
            count = self._failures[host] = self._failures.get(host, 0) + 1
            if timed_out or count >= self.REFUSALS:  # a connect timeout already waited
                self._dead[host] = reason
                return reason
            return None

    def dead_hosts(self) -> dict[str, str]:
        """Every dead host and why."""
        with self._lock:
            return dict(self._dead)


def connection_failure(exc: BaseException) -> tuple[str, bool] | None:
    """(what went wrong, whether it was a connect timeout) when `exc` says the host could
    not be connected to at all; None for failures after connecting (resets, read
    timeouts), which say nothing about the next request."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out", True
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed", False
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return None
    text = repr(exc)
    for marker, what in (
        ("NameResolutionError", "name not resolved"),
        ("Name or service not known", "name not resolved"),
        ("nodename nor servname", "name not resolved"),
        ("Connection refused", "connection refused"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
    ):
        if marker in text:
            return what, False
    return None


class Http:
    """Fetches by role and path; one instance per scan (its memo is per scan)."""

    def __init__(
        self,
        endpoints: Mapping[str, str],
        cache: HttpCache | None = None,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.endpoints = dict(endpoints)
        # Per-role request headers (a GitHub or Hub token): sent, never part of a key, log or cache.
        self._headers = {role: dict(h) for role, h in (headers or {}).items()}
        self.cache = cache
        self.settings = settings or HttpSettings()
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        self._memo: dict[str, Future[Response]] = {}
        self._hosts: dict[str, threading.Semaphore] = {}
        self.breaker = HostBreaker()
        # One projection at a time: a parsed document is several times its bytes, and the
        # interpreter lock serialises the parsing anyway.
        self._projecting = threading.Lock()
        self._whole = threading.Semaphore(WHOLE_AT_ONCE)
        self.requests_sent = 0

    def get(
        self,
        role: str,
        path: str,
        *,
        accept: str = "application/json",
        immutable: bool = False,
        expect_json: bool = True,
        answers: frozenset[int] = frozenset(),
        projection: Projection | None = None,
    ) -> Response:
        """The answer for `role:path`, fetched at most once per scan (with `projection`:
        only its projection of the answer is kept, and returned).

        Raises FetchError (unreachable after retries) or NotCached (offline, nothing kept).
        A 404/410 is an answer, not an error: callers decide what missing means. Statuses in
        `answers` (a hub's 401 for a private repo) are answers too, but never kept: they
        depend on the credentials of the moment.
        """
        key = f"{role}:{path}"
        from concurrent.futures import Future  # with email.utils and random: only to fetch

        memo = key if projection is None else f"{key}#{projection.tag}"
        with self._lock:
            future = self._memo.get(memo)
            owner = future is None
            if future is None:
                future = self._memo[memo] = Future()
        if owner:
            try:
                future.set_result(
                    self._fetch(
                        key, role, path, accept, immutable, expect_json, answers, projection
                    )
                )
            except (FetchError, NotCached) as exc:
                future.set_exception(exc)
        return future.result()

    def has_credentials(self, role: str) -> bool:
        """Whether requests to `role` carry credentials (say, why a hub withheld something)."""
        return bool(self._headers.get(role))

    def post(self, role: str, path: str, payload: bytes) -> Response:
        """One POST of a JSON query (OSV's `querybatch`), retried like a GET; never cached
        or memoised here: the caller keeps each item of the answer under a key of its own.
        Raises FetchError or NotCached (offline) like `get`."""
        key = f"{role}:{path}"
        if self.settings.offline:
            raise NotCached(key)
        base = self.endpoints.get(role)
        if base is None:
            raise FetchError(key, f"no endpoint configured for {role}")
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        status, body, _ = self._send(key, base.rstrip("/") + path, headers, True, payload)
        if status != 200:
            raise FetchError(key, f"HTTP {status}")
        return Response(key, status, body, datetime.now(UTC), from_cache=False)

    def verdict(self, key: str, inputs: str) -> bytes | None:
        """What an expensive check of a cached answer concluded before (`keep_verdict`),
        when it was made from exactly these `inputs` (a digest of everything it read)."""
        kept = self.cache.get(VERDICT_PREFIX + key) if self.cache is not None else None
        if kept is None or not kept.body.startswith(inputs.encode() + b"\n"):
            return None
        return kept.body[len(inputs) + 1 :]

    def keep_verdict(self, key: str, inputs: str, verdict: bytes) -> None:
        """Keep a check's conclusion next to the answers (never exported in a snapshot:
        a verdict is only believed where it was reached)."""
        if self.cache is not None:
            body = inputs.encode() + b"\n" + verdict
            self.cache.put(VERDICT_PREFIX + key, CachedResponse(200, body, datetime.now(UTC)))

    def prefetch(self, requests: Iterable[tuple[str, str]]) -> None:
        """Warm the cache for (role, path) requests a scan is about to make: one query for
        all of them instead of one per component."""
        if self.cache is not None:
            self.cache.prefetch(f"{role}:{path}" for role, path in requests)

    def peek(self, role: str, path: str) -> Response | None:
        """The kept answer for `role:path` without any request (None when nothing is kept):
        for comparing with what earlier scans saw."""
        key = f"{role}:{path}"
        kept = self.cache.get(key) if self.cache is not None else None
        if kept is None:
            return None
        return Response(key, kept.status, kept.body, kept.fetched_at, from_cache=True)

    def probe(self, role: str, path: str) -> tuple[bool, str]:
        """One uncached request, for `auditor doctor`: (answered, what happened)."""
        import requests

        base = self.endpoints.get(role)
        if base is None:
            return False, "no endpoint configured"
        started = time.monotonic()
        try:
            reply = self._session().get(
                base.rstrip("/") + path,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
        except requests.RequestException as exc:
            return False, type(exc).__name__
        took = (time.monotonic() - started) * 1000
        return reply.status_code < 500, f"HTTP {reply.status_code} in {took:.0f} ms"

    def _fetch(
        self,
        key: str,
        role: str,
        path: str,
        accept: str,
        immutable: bool,
        expect_json: bool,
        answers: frozenset[int] = frozenset(),
        projection: Projection | None = None,
    ) -> Response:
        stored = key if projection is None else f"{key}#{projection.tag}"
        kept = self.cache.get(stored) if self.cache is not None else None
        if kept is None and projection is not None and self.cache is not None:
            kept = self._projected(key, projection)
        now = datetime.now(UTC)
        if kept is not None and (
            self.settings.offline or kept.immutable or now - kept.fetched_at < self.settings.ttl
        ):
            return Response(key, kept.status, kept.body, kept.fetched_at, from_cache=True)
        if self.settings.offline:
            raise NotCached(key)
        base = self.endpoints.get(role)
        if base is None:
            raise FetchError(key, f"no endpoint configured for {role}")
        headers = {**self._headers.get(role, {}), "Accept": accept, "User-Agent": USER_AGENT}
        if kept is not None and kept.etag:
            headers["If-None-Match"] = kept.etag
        if kept is not None and kept.last_modified:
            headers["If-Modified-Since"] = kept.last_modified
        if projection is None:
            status, body, reply = self._send(key, base.rstrip("/") + path, headers, expect_json)
        else:
            url = base.rstrip("/") + path
            status, body, reply = self._send_projected(key, url, headers, expect_json, projection)
        fetched = datetime.now(UTC)
        if status == 304 and kept is not None:
            refreshed = replace(kept, fetched_at=fetched)
            self._keep(stored, refreshed)
            return Response(key, kept.status, kept.body, fetched, from_cache=True)
        if status == 200 or status in MISSING_STATUSES:
            self._keep(
                stored,
                CachedResponse(
                    status,
                    body,
                    fetched,
                    etag=reply.get("etag"),
                    last_modified=reply.get("last-modified"),
                    immutable=immutable and status == 200,
                ),
            )
            return Response(key, status, body, fetched, from_cache=False)
        if status in answers:
            return Response(key, status, body, fetched, from_cache=False)
        raise FetchError(key, f"HTTP {status}")

    def _send_projected(
        self,
        key: str,
        url: str,
        headers: dict[str, str],
        expect_json: bool,
        projection: Projection,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """`_send` of a whole document, projected at once; at most WHOLE_AT_ONCE whole
        documents are in memory (sixteen multi-megabyte bodies waiting to be parsed were
        most of a scan's peak memory)."""
        with self._whole:
            status, body, reply = self._send(key, url, headers, expect_json)
            if status == 200:
                with self._projecting:
                    body = projection.project(body)
        return status, body, reply

    def _projected(self, key: str, projection: Projection) -> CachedResponse | None:
        """A whole answer kept before projections (an older cache, an imported snapshot),
        projected now, so such caches keep answering offline."""
        assert self.cache is not None
        whole = self.cache.get(key)
        if whole is None or whole.status != 200:
            return whole
        with self._projecting:
            return replace(whole, body=projection.project(whole.body))

    def _keep(self, key: str, response: CachedResponse) -> None:
        if self.cache is not None:
            self.cache.put(key, response)

    def _send(
        self,
        key: str,
        url: str,
        headers: dict[str, str],
        expect_json: bool,
        payload: bytes | None = None,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """One request with retries; returns (status, body, lower-cased headers)."""
        import random

        import requests  # ~60 ms: paid only by scans that resolve

        from auditor.http_limits import AnswerTooLarge, DeadlinePassed, read_capped, watchdog

        settings = self.settings
        reason = "no attempt made"
        deadline = time.monotonic() + settings.deadline
        late = f"no complete answer within {settings.deadline:g} s ({DEADLINE_ENV})"
        host = urlsplit(url).netloc
        for attempt in range(settings.attempts):
            delay = settings.backoff * (2**attempt) * (0.5 + random.random())
            if (dead := self.breaker.dead(host)) is not None:
                raise FetchError(key, dead)
            if time.monotonic() >= deadline:
                raise FetchError(key, late)
            dog = watchdog(deadline)
            try:
                with self._host_slot(url), dog:
                    with self._lock:
                        self.requests_sent += 1
                    reply = self._session().request(
                        "GET" if payload is None else "POST",
                        url,
                        data=payload,
                        headers=headers,
                        timeout=(settings.connect_timeout, settings.read_timeout),
                        stream=True,
                    )
                    # the whole body, inside the host slot, capped in size and time
                    body = read_capped(reply, settings.max_bytes, deadline)
            except AnswerTooLarge as exc:
                raise FetchError(key, f"{exc} ({MAX_BYTES_ENV})") from None
            except DeadlinePassed:
                raise FetchError(key, late) from None
            except (requests.RequestException, OSError) as exc:
                if dog.fired:  # the watchdog cut the socket at the deadline
                    raise FetchError(key, late) from None
                if not isinstance(exc, requests.RequestException):
                    raise
                if (failure := connection_failure(exc)) is not None:
                    role = key.partition(":")[0]
                    what = f"{role} endpoint unreachable ({failure[0]}); not tried again this scan"
                    if (dead := self.breaker.failed(host, what, failure[1])) is not None:
                        raise FetchError(key, dead) from None
                    reason = f"{failure[0]} after {attempt + 1} attempt(s)"
                    continue  # one immediate retry: a refusal is not cured by waiting
                if isinstance(exc, requests.Timeout):
                    reason = f"timed out after {attempt + 1} attempt(s)"
                else:
                    # Connection reset, truncated body (ChunkedEncodingError, …)
                    reason = f"{type(exc).__name__} after {attempt + 1} attempt(s)"
            else:
                self.breaker.answered(host)
                lowered = {k.lower(): v for k, v in reply.headers.items()}
                status = reply.status_code
                if status not in RETRY_STATUSES:
                    if status == 200 and expect_json and not self._parses(body):
                        reason = f"malformed JSON response after {attempt + 1} attempt(s)"
                    else:
                        return status, body, lowered
                else:
                    reason = f"HTTP {status} after {attempt + 1} attempt(s)"
                    wait = _retry_after(lowered.get("retry-after"))
                    if wait is not None:
                        if wait > settings.max_retry_after:
                            raise FetchError(key, f"HTTP {status}, Retry-After {wait:.0f} s")
                        delay = wait
            log.debug("%s: %s", key, reason)
            if attempt + 1 < settings.attempts:
                self._sleep(min(delay, max(0.0, deadline - time.monotonic())))
        raise FetchError(key, reason)

    def _parses(self, body: bytes) -> bool:
        """`_is_json`, one document at a time (a parsed document is several times its
        bytes; sixteen at once made a scan's peak memory)."""
        with self._projecting:
            return _is_json(body)

    def _session(self) -> requests.Session:

        from auditor.http_limits import WatchedAdapter  # its sockets can be cut at a deadline

        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _session_class()(
                CREDENTIAL_HEADERS | {n.lower() for h in self._headers.values() for n in h}
            )
            # Retries are ours (they honour Retry-After and count toward the reason).
            adapter = WatchedAdapter(pool_maxsize=self.settings.per_host, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def _host_slot(self, url: str) -> threading.Semaphore:
        host = urlsplit(url).netloc
        with self._lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.Semaphore(self.settings.per_host)
        return slot


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in: what a credential is bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def credential_safe_session(credential_headers: frozenset[str]) -> requests.Session:
    """A requests.Session that drops these headers (and netrc) when a redirect leaves the
    origin: see `_session_class`."""
    session: requests.Session = _session_class()(credential_headers)
    return session


def _session_class() -> Any:
    """A requests.Session that drops every credential when a redirect leaves the origin.

    requests itself strips only `Authorization`, and keeps it across an http -> https
    upgrade; a token in another header (GitLab's `PRIVATE-TOKEN`) would follow a redirect to
    any host. Built lazily: importing requests costs ~60 ms that scans without resolution
    do not pay.
    """
    import requests

    class CredentialSafeSession(requests.Session):
        def __init__(self, credential_headers: frozenset[str] | set[str]) -> None:
            super().__init__()
            self.credential_headers = frozenset(credential_headers)

        def rebuild_auth(
            self, prepared_request: requests.PreparedRequest, response: requests.Response
        ) -> None:
            # The hook requests calls on every redirect, before the next request is sent.
            before = origin(response.request.url or "")
            if origin(prepared_request.url or "") != before:
                for name in [n for n in prepared_request.headers if n.lower() in
                             self.credential_headers]:  # fmt: skip
                    del prepared_request.headers[name]
                log.debug("redirect to another origin: credentials withheld")
                return  # not even netrc: the user's netrc names hosts, a redirect chose this
            super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]

    return CredentialSafeSession


def _is_json(body: bytes) -> bool:
    try:
        load_json(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


MAX_BYTES_ENV = "AUDITOR_HTTP_MAX_BYTES"
DEADLINE_ENV = "AUDITOR_HTTP_DEADLINE"


def env_max_bytes(environ: Mapping[str, str]) -> int:
    """AUDITOR_HTTP_MAX_BYTES (a positive number of bytes), else 64 MiB."""
    raw = environ.get(MAX_BYTES_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 64 << 20


def env_deadline(environ: Mapping[str, str]) -> float:
    """AUDITOR_HTTP_DEADLINE (positive seconds), else 60."""
    try:
        value = float(environ.get(DEADLINE_ENV, "").strip() or 60)
    except ValueError:
        return 60.0
    return value if value > 0 else 60.0
