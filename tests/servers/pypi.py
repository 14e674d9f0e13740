"""A loopback PyPI: the JSON API in the real shapes, with faults to inject.

Project documents are real ones (tests/data/pypi, see regenerate.py there). The
per-version route `/pypi/<name>/<version>/json` answers as warehouse does (docs/user/api/
json.md): the project document without `releases`, with `urls` = that version's files and
`info.version` = that version. Faults: latency, 429 + Retry-After, 500s, hangs, truncated
and malformed bodies; every request is recorded so tests can count them.

The Simple API's JSON form (PEP 691, chosen by the Accept header, API version 1.4 with PEP 740
`provenance` and PEP 792 `project-status`; shapes from warehouse `packaging/utils.py`) is
derived from the same project documents, and the Integrity API serves real provenance
objects from tests/data/attestations (warehouse `docs/user/api/integrity.md`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from tests.servers import StateServer, running

DATA = Path(__file__).resolve().parent.parent / "data" / "pypi"


@dataclass
class Fault:
    """What to do instead of answering, for requests whose path starts with `prefix`."""

    kind: str
    """`429`, `500`, `hang`, `truncate`, `malformed`, `404`."""
    times: int | None = None
    """How many requests it applies to; None: all of them."""
    retry_after: str | None = None
    seconds: float = 5.0
    """How long a `hang` lasts."""


def take_fault(faults: dict[str, Fault], lock: threading.Lock, path: str) -> Fault | None:
    """The fault for a request to `path` (the first whose prefix it starts with and that has
    uses left), one use spent; None: answer normally. Shared by every loopback server."""
    with lock:
        for prefix, fault in faults.items():
            if path.startswith(prefix) and (fault.times is None or fault.times > 0):
                if fault.times is not None:
                    fault.times -= 1
                return fault
    return None


@dataclass
class PyPIState:
    """The server's data and behaviour; tests change it between requests."""

    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    latency: float = 0.0
    version_route: bool = True
    """False imitates a mirror without the per-version route (it answers 404)."""
    credentials: tuple[str, str] | None = None
    """When set, requests must carry this Basic auth."""
    provenance: dict[str, bytes] = field(default_factory=dict)
    """Integrity API provenance objects by file name."""
    status: dict[str, dict[str, str]] = field(default_factory=dict)
    """PEP 792 `project-status` objects by canonical project name."""
    simple_route: bool = True
    """False imitates an index without the JSON Simple API (it answers 404)."""
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_project(self, doc: dict[str, Any]) -> None:
        """Serve a project document under its canonical name."""
        self.projects[canonicalize_name(doc["info"]["name"])] = doc

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        return [path for path, _ in self.log]


def load_project(name: str) -> dict[str, Any]:
    """A recorded project document from tests/data/pypi."""
    doc: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return doc


def version_document(project: dict[str, Any], version: str) -> dict[str, Any] | None:
    """What warehouse serves at /pypi/<name>/<version>/json."""
    files = project.get("releases", {}).get(version)
    if files is None:
        return None
    doc = {k: v for k, v in project.items() if k != "releases"}
    doc["info"] = dict(project["info"], version=version)
    doc["urls"] = files
    if any(f.get("yanked") for f in files) and all(f.get("yanked") for f in files):
        doc["info"]["yanked"] = True
        doc["info"]["yanked_reason"] = files[0].get("yanked_reason")
    return doc


SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"


def simple_document(state: PyPIState, project: dict[str, Any], base: str) -> dict[str, Any]:
    """What warehouse serves at /simple/<name>/ when asked for the JSON form."""
    name = canonicalize_name(project["info"]["name"])
    files = [
        {
            "filename": f["filename"],
            "url": f["url"],
            "hashes": {"sha256": f["digests"]["sha256"]},
            "requires-python": f.get("requires_python"),
            "size": f.get("size"),
            "upload-time": f.get("upload_time_iso_8601"),
            "yanked": f.get("yanked_reason") or f.get("yanked", False),
            "data-dist-info-metadata": f.get("core-metadata", False),
            "core-metadata": f.get("core-metadata", False),
            "provenance": (
                f"{base}/integrity/{name}/{version}/{f['filename']}/provenance"
                if f["filename"] in state.provenance
                else None
            ),
        }
        for version, release in project.get("releases", {}).items()
        for f in release
    ]
    doc: dict[str, Any] = {
        "meta": {"api-version": "1.4", "_last-serial": project.get("last_serial", 0)},
        "name": name,
        "versions": list(project.get("releases", {})),
        "alternate-locations": [],
        "files": files,
    }
    if name in state.status:
        doc["project-status"] = state.status[name]
    return doc


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        self._counted = True
        try:
            if state.latency:
                time.sleep(state.latency)
            self._answer(state)
        finally:
            self._uncount()

    def _uncount(self) -> None:
        # Called before a reply is written: once the client has the body it may release
        # its per-host slot and send the next request, and that must not count as overlap.
        if self._counted:
            self._counted = False
            with self.server.state.lock:
                self.server.state.in_flight -= 1

    def _answer(self, state: PyPIState) -> None:
        if state.credentials is not None:
            expected = base64.b64encode(":".join(state.credentials).encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._send(401, b'{"message": "Unauthorized"}')
        fault = take_fault(state.faults, state.lock, self.path)
        if fault is not None:
            return self._fail(fault)
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if len(parts) == 2 and parts[0] == "simple" and state.simple_route:
            return self._simple(state, parts[1])
        if len(parts) == 5 and parts[0] == "integrity" and parts[-1] == "provenance":
            return self._integrity(state, parts[3])
        if len(parts) in (3, 4) and parts[0] == "pypi" and parts[-1] == "json":
            project = state.projects.get(canonicalize_name(parts[1]))
            doc: dict[str, Any] | None = project
            if project is not None and len(parts) == 4:
                doc = version_document(project, parts[2]) if state.version_route else None
            if doc is not None:
                return self._send(200, json.dumps(doc).encode())
        return self._send(404, b'{"message": "Not Found"}')

    def _simple(self, state: PyPIState, name: str) -> None:
        project = state.projects.get(canonicalize_name(name))
        if project is None:
            return self._send(404, b'{"message": "Not Found"}')
        if SIMPLE_JSON not in self.headers.get("Accept", ""):
            html = f"<!DOCTYPE html><html><body><h1>Links for {name}</h1></body></html>"
            return self._send(200, html.encode(), content_type="text/html")
        base = f"http://{self.headers.get('Host')}"
        body = json.dumps(simple_document(state, project, base)).encode()
        return self._send(200, body, content_type=SIMPLE_JSON)

    def _integrity(self, state: PyPIState, filename: str) -> None:
        if INTEGRITY_JSON not in self.headers.get("Accept", ""):
            return self._send(406, b'{"message": "Invalid Accept header"}')
        body = state.provenance.get(filename)
        if body is None:
            message = {"message": f"No provenance available for {filename}"}
            return self._send(404, json.dumps(message).encode())
        return self._send(200, body, content_type=INTEGRITY_JSON)

    def _fail(self, fault: Fault) -> None:
        if fault.kind == "hang":
            time.sleep(fault.seconds)
            return self._send(200, b"{}")
        if fault.kind == "truncate":
            self._uncount()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"info": {"name": ')
            self.close_connection = True
            return None
        if fault.kind == "malformed":
            return self._send(200, b'{"info": {"name": "x", <html>oops')
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return self._send(int(fault.kind), b'{"message": "injected"}', headers)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self._uncount()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("ETag", etag)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(StateServer[PyPIState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: PyPIState) -> Iterator[str]:
    """Run the server in a thread for the duration of a `with`/fixture; yields its base URL."""
    with running(_Server(_Handler, state)) as (url,):
        yield url
