"""One file fetched by URL (a fleet's lockfile), bounded like every registry answer.

`Http` names requests by registry role and lets `requests` follow redirects; a lockfile URL
is a user's URL and every hop of it must stay inside what the operator allowed, so here
redirects are followed by hand, each `Location` checked by the caller's `allowed` before it
is requested. The body is read with the size cap and the deadline of `auditor.http_limits`
(AUDITOR_HTTP_MAX_BYTES, AUDITOR_HTTP_DEADLINE: the whole fetch, redirects included).
Credentials come only from the user's netrc (requests' `trust_env`), per hop, for that hop's
host; URLs in messages are redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from auditor.http import (
    CREDENTIAL_HEADERS,
    DEADLINE_ENV,
    MAX_BYTES_ENV,
    RETRY_STATUSES,
    USER_AGENT,
    HttpSettings,
    credential_safe_session,
)
from auditor.urls import redact

MAX_REDIRECTS = 5


class UrlFetchError(Exception):
    """The file could not be fetched; `transient` when a later try may succeed (the server
    down or overloaded, a timeout), not when it was refused, missing or too large."""

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Fetched:
    """The body and the URL it finally came from (after redirects)."""

    body: bytes
    url: str
    redirects: int


def fetch_url(
    url: str,
    allowed: Callable[[str], str],
    settings: HttpSettings | None = None,
) -> Fetched:
    """GET `url` and every redirect target as `allowed` gives it (the URL to request,
    in a form no two parsers read differently) or refuses it (ValueError saying why).

    Raises UrlFetchError. Nothing is cached: the file is the target, read afresh each scan.
    """
    import requests

    from auditor.http_limits import (
        AnswerTooLarge,
        DeadlinePassed,
        WatchedAdapter,
        read_capped,
        watchdog,
    )

    settings = settings or HttpSettings()
    deadline = time.monotonic() + settings.deadline
    late = f"no complete answer within {settings.deadline:g} s ({DEADLINE_ENV})"
    session = credential_safe_session(CREDENTIAL_HEADERS)
    adapter = WatchedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        current = allowed(url)
    except ValueError as exc:
        raise UrlFetchError(f"refused: {exc}", transient=False) from None
    try:
        for hop in range(MAX_REDIRECTS + 1):
            dog = watchdog(deadline)
            try:
                with dog:
                    reply = session.get(
                        current,
                        headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
                        timeout=(settings.connect_timeout, settings.read_timeout),
                        stream=True,
                        allow_redirects=False,
                    )
                    if reply.is_redirect:
                        location = reply.headers.get("location", "")
                        reply.close()
                        body = b""
                    else:
                        body = read_capped(reply, settings.max_bytes, deadline)
            except AnswerTooLarge as exc:
                raise UrlFetchError(f"{exc} ({MAX_BYTES_ENV})", transient=False) from None
            except DeadlinePassed:
                raise UrlFetchError(late, transient=True) from None
            except (requests.RequestException, OSError) as exc:
                if dog.fired:
                    raise UrlFetchError(late, transient=True) from None
                raise UrlFetchError(_failure(exc), transient=True) from None
            if reply.is_redirect:
                target = urljoin(current, location)
                try:
                    current = allowed(target)
                except ValueError as exc:
                    raise UrlFetchError(
                        f"redirected to {redact(target)}, refused: {exc}", transient=False
                    ) from None
                continue
            status = reply.status_code
            if status == 200:
                return Fetched(body, current, hop)
            raise UrlFetchError(f"HTTP {status}", transient=status in RETRY_STATUSES)
    finally:
        session.close()
    raise UrlFetchError(f"more than {MAX_REDIRECTS} redirects", transient=False)


def _failure(exc: BaseException) -> str:
    """What went wrong, without the URL (and so without anything it carries)."""
    from auditor.http import connection_failure

    failure = connection_failure(exc)
    return failure[0] if failure is not None else type(exc).__name__
