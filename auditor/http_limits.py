"""A size cap and a deadline for one registry answer, whatever the server does.

`requests` bounds each socket read (the read timeout) but neither the whole answer nor its
decompressed size: a server dripping one byte a second, or a gzip bomb, holds a worker for
ever or fills memory. Here the body is read in chunks against `max_bytes` of *decoded* bytes,
and a watchdog shuts the request's socket down at the deadline: a blocked read (of headers
or of the body) then returns at once. The socket is known because the adapter's connections
register themselves, per thread, each time they send a request.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_CHUNK = 64 << 10
_current = threading.local()
"""The watchdog of the request this thread is making, if any."""


class AnswerTooLarge(Exception):
    """The decoded body passed the cap."""


class DeadlinePassed(Exception):
    """The request, retries included, took longer than the deadline."""


class _Registering:
    """Mixed into urllib3's connections: the socket is handed to this thread's active
    watchdog as soon as it is connected (so a TLS handshake dripped byte by byte is cut
    too), and again once a request is sent on a kept-alive connection."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        result = super().request(*args, **kwargs)  # type: ignore[misc]
        _watch(self.sock)
        return result


def _watch(sock: socket.socket | None) -> None:
    active: watchdog | None = getattr(_current, "watchdog", None)
    if active is not None:
        active.watch(sock)


class _Connection(_Registering, HTTPConnection):
    pass


class _TLSConnection(_Registering, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter whose connections register their sockets (see `watchdog`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


class watchdog:
    """Shut the socket of this thread's request down when `deadline` (monotonic) passes.

    It keeps its own duplicate of the socket's descriptor: shutdown acts on the socket
    every duplicate shares, so a read blocked in the request's thread (headers, body, or a
    TLS handshake) returns at once; and the duplicate stays valid when `ssl` detaches the
    plain socket it wraps, and is never another connection's reused descriptor. Cutting an
    `SSLSocket` itself would drop its TLS state under the reading thread's feet.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        try:
            dup = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing can block on it
        with self._lock:
            self._close()
            self._sock = dup
            if self.fired:
                self._cut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._cut()

    def _cut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing waits on it
                self._sock.shutdown(socket.SHUT_RDWR)

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current.watchdog = None
        with self._lock:
            self._close()


def read_capped(reply: requests.Response, max_bytes: int, deadline: float) -> bytes:
    """The decoded body, read in chunks: AnswerTooLarge past `max_bytes`, DeadlinePassed
    past `deadline` (the watchdog has then cut the socket, so the read ends at once)."""
    parts: list[bytes] = []
    total = 0
    try:
        for chunk in reply.iter_content(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise AnswerTooLarge(f"answer over {max_bytes} bytes once decoded")
            parts.append(chunk)
            if time.monotonic() > deadline:
                raise DeadlinePassed
    finally:
        reply.close()
    return b"".join(parts)
