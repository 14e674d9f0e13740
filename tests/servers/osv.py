"""A loopback OSV API: `POST /v1/query`, `POST /v1/querybatch`, `GET /v1/vulns/<id>`.

Shapes as the OSV API documents them (tests/data/osv/README.md): `query` answers
`{"vulns": [full records]}` or `{}`; `querybatch` answers `{"results": [...]}` in query order,
each `{"vulns": [{"id", "modified"}]}` or `{}`; `vulns/<id>` answers one record. A record
affects a package version when it lists the version under `affected[].versions`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.servers import StateServer, running

DATA = Path(__file__).resolve().parent.parent / "data" / "osv"


@dataclass
class OsvState:
    """Records served, and what was asked."""

    records: list[dict[str, Any]] = field(default_factory=list)
    log: list[tuple[str, str, Any]] = field(default_factory=list)
    """(method, path, JSON body or None)."""
    fail: bool = False
    """Answer every request with HTTP 500."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def affecting(self, ecosystem: str, name: str, version: str) -> list[dict[str, Any]]:
        """Records listing this exact version."""
        return [
            r
            for r in self.records
            for a in r.get("affected", [])
            if a["package"]["ecosystem"] == ecosystem
            and a["package"]["name"] == name
            and version in a.get("versions", [])
        ]


def load_records() -> list[dict[str, Any]]:
    """Every record in tests/data/osv."""
    return [json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.log.append(("GET", self.path, None))
        if state.fail:
            return self._answer(500, {"code": 13, "message": "internal"})
        prefix = "/v1/vulns/"
        if self.path.startswith(prefix):
            wanted = self.path[len(prefix) :]
            for r in state.records:
                if r["id"] == wanted:
                    return self._answer(200, r)
            return self._answer(404, {"code": 5, "message": "Bug not found."})
        self._answer(404, {"code": 5, "message": "Not Found"})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            doc = json.loads(self.rfile.read(length))
        except ValueError:
            return self._answer(400, {"code": 3, "message": "Invalid JSON"})
        with state.lock:
            state.log.append(("POST", self.path, doc))
        if state.fail:
            return self._answer(500, {"code": 13, "message": "internal"})
        if self.path == "/v1/query":
            found = self._find(doc)
            return self._answer(200, {"vulns": found} if found else {})
        if self.path == "/v1/querybatch":
            results = []
            for query in doc.get("queries", []):
                found = self._find(query)
                ids = [{"id": r["id"], "modified": r["modified"]} for r in found]
                results.append({"vulns": ids} if ids else {})
            return self._answer(200, {"results": results})
        self._answer(404, {"code": 5, "message": "Not Found"})

    def _find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        package = query.get("package", {})
        return self.server.state.affecting(
            package.get("ecosystem", ""), package.get("name", ""), query.get("version", "")
        )


class _Server(StateServer[OsvState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: OsvState) -> Iterator[str]:
    """Run the server in a thread; yields its base URL."""
    with running(_Server(_Handler, state)) as (url,):
        yield url
