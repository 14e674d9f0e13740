"""A loopback Git server's raw-file endpoint: what a fleet's lockfile URL points at.

Shaped like Gitea's `GET /api/v1/repos/{owner}/{repo}/raw/{filepath}` (the file's bytes,
`application/octet-stream`, 404 for a missing file) and like a code host's blob page that
answers `302 Found` with a `Location` elsewhere (GitHub's `blob/...?raw=true` does so to its
raw host). Paths not in `files` or `redirects` are 404; `statuses` forces an answer (a 503
while the server is being restarted). Every request path is recorded in `hits`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.servers import StateServer, running


@dataclass
class RawState:
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    """The Authorization header of each request (None: none sent)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: StateServer[RawState]

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.hits.append(self.path)
            state.auth.append(self.headers.get("Authorization"))
        if self.path in state.statuses:
            self._answer(state.statuses[self.path], b"unavailable\n", "text/plain")
        elif self.path in state.redirects:
            self.send_response(302)
            self.send_header("Location", state.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path in state.files:
            self._answer(200, state.files[self.path], "application/octet-stream")
        else:
            self._answer(404, b'{"message":"object does not exist [id: , rel_path: ]"}',
                         "application/json;charset=utf-8")  # fmt: skip

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(state: RawState) -> Iterator[str]:
    """Run the server for the duration of a `with`/fixture; yields its base URL."""
    with running(StateServer(_Handler, state)) as (url,):
        yield url
