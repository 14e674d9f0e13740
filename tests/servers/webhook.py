"""A loopback webhook receiver: records every POST, answers with scripted status codes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import StateServer, running


@dataclass
class WebhookState:
    """What the receiver answers and what it received; tests change it between requests."""

    answers: list[int] = field(default_factory=list)
    """Status codes for the next requests, in order; 200 once used up."""
    retry_after: str | None = None
    """Sent with every non-2xx answer when set."""
    received: list[dict[str, Any]] = field(default_factory=list)
    """Every request body, parsed, including those answered with an error."""
    statuses: list[int] = field(default_factory=list)
    """The status each received request was answered with."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the requests that were answered 2xx."""
        return [b for b, s in zip(self.received, self.statuses, strict=True) if s < 300]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with state.lock:
            status = state.answers.pop(0) if state.answers else 200
            doc = json.loads(body)
            state.received.append(doc)
            state.statuses.append(status)
        self.send_response(status)
        if status >= 300 and state.retry_after is not None:
            self.send_header("Retry-After", state.retry_after)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean


class _Server(StateServer[WebhookState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: WebhookState) -> Iterator[str]:
    """Run the receiver in a thread for a `with`/fixture; yields its URL."""
    with running(_Server(_Handler, state)) as (url,):
        yield url + "/hook"
