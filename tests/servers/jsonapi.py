"""Loopback npm registry, GitHub and GitLab REST APIs and deps.dev API: JSON documents by
path, in the real shapes (tests/data/npm/README.md names the sources), with pypi.py's faults.

One handler serves all of them (GitLab's too), because what differs is only which documents
sit at which paths: `routes` maps a decoded request path (with its query, when a route names
one; else without) to a document. The npm registry also answers
the abbreviated install document when asked for it (`Accept:
application/vnd.npm.install-v1+json`) or when `abbreviated_only` imitates a mirror that
keeps only those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.servers import StateServer, running
from tests.servers.pypi import PyPIState, _Handler, take_fault

DATA = Path(__file__).resolve().parent.parent / "data"
CORGI = "application/vnd.npm.install-v1+json"
CORGI_VERSION_KEYS = ("name", "version", "dependencies", "optionalDependencies",
                      "devDependencies", "bundleDependencies", "peerDependencies",
                      "peerDependenciesMeta", "bin", "directories", "dist", "engines",
                      "_hasShrinkwrap", "hasInstallScript", "cpu", "os", "deprecated",
                      "funding", "license")  # fmt: skip
"""What the registry keeps per version in an abbreviated document (npm/registry
docs/responses/package-metadata.md, "Abbreviated version object")."""


@dataclass
class JsonApiState(PyPIState):
    """Documents by decoded path; faults, latency and the request log as for PyPI."""

    routes: dict[str, Any] = field(default_factory=dict)
    abbreviated_only: bool = False


def load(relative: str) -> Any:
    """A JSON document from tests/data."""
    return json.loads((DATA / relative).read_text(encoding="utf-8"))


def abbreviate(packument: dict[str, Any]) -> dict[str, Any]:
    """The abbreviated install document the registry derives from a full packument."""
    versions = {
        v: {k: m[k] for k in CORGI_VERSION_KEYS if k in m}
        for v, m in packument.get("versions", {}).items()
    }
    modified = packument.get("time", {}).get("modified", "2024-01-01T00:00:00.000Z")
    return {"name": packument["name"], "modified": modified,
            "dist-tags": packument.get("dist-tags", {}), "versions": versions}  # fmt: skip


class _JsonHandler(_Handler):
    server: _JsonServer  # type: ignore[assignment]

    def _answer(self, state: PyPIState) -> None:
        assert isinstance(state, JsonApiState)
        fault = take_fault(state.faults, state.lock, self.path)
        if fault is not None:
            return self._fail(fault)
        path = unquote(self.path.split("?")[0])
        doc = state.routes.get(unquote(self.path), state.routes.get(path))
        if doc is None:
            return self._send(404, b'{"error": "Not found"}')
        wants_corgi = CORGI in (self.headers.get("Accept") or "")
        if isinstance(doc, dict) and "versions" in doc and (wants_corgi or state.abbreviated_only):
            doc = abbreviate(doc)
        return self._send(200, json.dumps(doc).encode())


class _JsonServer(StateServer[JsonApiState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: JsonApiState) -> Iterator[str]:
    """Run the server in a thread for a `with`/fixture; yields its base URL."""
    with running(_JsonServer(_JsonHandler, state)) as (url,):
        yield url
