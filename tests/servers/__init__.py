"""Loopback servers the tests start. Each module's handler reads its state from
`self.server.state`; `StateServer` and `running` are the one way they are started."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Generic, TypeVar

S = TypeVar("S")


class StateServer(ThreadingHTTPServer, Generic[S]):
    """A threaded server on a free 127.0.0.1 port carrying the state its handler answers from."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: S) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def running(*servers: StateServer[S]) -> Iterator[list[str]]:
    """Serve each in a thread while the block runs; their base URLs, in order."""
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
