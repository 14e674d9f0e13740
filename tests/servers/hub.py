"""A loopback Hugging Face Hub: the API routes huggingface_hub calls, in the shapes it parses.

Routes (shapes and sources: tests/data/hub/README.md):
- `GET /api/{models,datasets}/{id}[/revision/{rev}]` — the repo document; `?blobs=true` adds
  `size`/`blobId`/`lfs` to `siblings`, `?securityStatus=true` adds `securityRepoStatus`.
- `GET /api/{models,datasets}/{id}/tree/{rev}[/{path}]` — `list_repo_tree` entries (what
  `hf cache verify` compares against).
- `GET /api/organizations/{name}/overview` — `get_organization_overview`.
- `HEAD|GET /[datasets/]{id}/resolve/{rev}/{path}` — file downloads (`hf_hub_download`), with
  `X-Repo-Commit`, `ETag` and `X-Linked-Size` as the Hub sends them.
A repo whose `gated` is set lists its siblings without hashes and refuses downloads unless
the request carries the token; a private repo is a 401 without it. Faults (latency, 429,
5xx, hangs, malformed bodies) reuse the loopback PyPI's `Fault`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.servers import StateServer, running
from tests.servers.pypi import Fault, take_fault

UNKNOWN_CREATED_AT = "2022-03-02T23:29:04.000Z"
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pkl", ".onnx", ".dat")


def git_blob_id(data: bytes) -> str:
    """git's blob hash: sha1 over `blob <len>\\0` + content (huggingface_hub utils/sha.py)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    """The git-lfs pointer file committed in place of an LFS file's content."""
    oid = hashlib.sha256(data).hexdigest()
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
    )


@dataclass
class Repo:
    """One repo at one revision (the head)."""

    id: str
    sha: str
    files: dict[str, bytes]
    kind: str = "model"
    card: dict[str, Any] = field(default_factory=dict)
    base_models: dict[str, Any] | None = None
    """The Hub's computed `{"relation": …, "models": [{"id": …}]}`; None: not computed."""
    gated: str | bool = False
    private: bool = False
    flagged: list[dict[str, str]] = field(default_factory=list)
    created_at: str = "2024-09-16T11:55:40.000Z"
    last_modified: str = "2024-09-25T12:33:00.000Z"
    served: dict[str, bytes] = field(default_factory=dict)
    """What `resolve` serves instead of `files` (a mirror serving other bytes)."""

    @property
    def author(self) -> str | None:
        return self.id.split("/")[0] if "/" in self.id else None

    def is_lfs(self, path: str) -> bool:
        return path.endswith(LFS_SUFFIXES)

    def document(self, blobs: bool, security: bool, hashes: bool) -> dict[str, Any]:
        """The `/api/models/{id}` JSON (hub-docs api-model.ts, huggingface_hub ModelInfo)."""
        siblings = []
        for path, data in sorted(self.files.items()):
            sibling: dict[str, Any] = {"rfilename": path}
            if blobs and hashes:
                if self.is_lfs(path):
                    sibling["blobId"] = git_blob_id(lfs_pointer(data))
                    sibling["size"] = len(data)
                    sibling["lfs"] = {
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                        "pointerSize": len(lfs_pointer(data)),
                    }
                else:
                    sibling["blobId"] = git_blob_id(data)
                    sibling["size"] = len(data)
            siblings.append(sibling)
        tags = ["transformers", "safetensors"]
        if isinstance(self.card.get("license"), str):
            tags.append(f"license:{self.card['license']}")
        for base in (self.base_models or {}).get("models", []):
            tags += [
                f"base_model:{base['id']}",
                f"base_model:{self.base_models['relation']}:{base['id']}",
            ]  # type: ignore[index]
        tags.append("region:us")
        doc: dict[str, Any] = {
            "_id": hashlib.md5(self.id.encode()).hexdigest()[:24],
            "id": self.id,
            "private": self.private,
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "tags": tags,
            "downloads": 1234,
            "likes": 56,
            "modelId": self.id,
            "author": self.author,
            "sha": self.sha,
            "lastModified": self.last_modified,
            "createdAt": self.created_at,
            "gated": self.gated,
            "disabled": False,
            "cardData": self.card,
            "siblings": siblings,
            "spaces": [],
            "usedStorage": sum(len(d) for d in self.files.values()),
        }
        if self.kind == "dataset":
            for key in ("pipeline_tag", "library_name", "modelId"):
                doc.pop(key)
        if self.base_models is not None:
            doc["baseModels"] = self.base_models
        if security:
            doc["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": self.flagged}
        return doc

    def tree(self) -> list[dict[str, Any]]:
        """`/api/models/{id}/tree/{rev}?recursive=true` entries (huggingface_hub RepoFile)."""
        entries = []
        for path, data in sorted(self.files.items()):
            entry: dict[str, Any] = {"type": "file", "size": len(data), "path": path}
            if self.is_lfs(path):
                entry["oid"] = git_blob_id(lfs_pointer(data))
                entry["lfs"] = {
                    "oid": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "pointerSize": len(lfs_pointer(data)),
                }
            else:
                entry["oid"] = git_blob_id(data)
            entries.append(entry)
        return entries


@dataclass
class HubState:
    """The server's repos and behaviour; tests change it between requests."""

    repos: dict[str, Repo] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    latency: float = 0.0
    token: str | None = None
    """The token that opens gated and private repos."""
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: Repo) -> Repo:
        self.repos[f"{repo.kind}:{repo.id.casefold()}"] = repo
        return repo

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.log]

    def api_paths(self) -> list[str]:
        return [path for method, path, _ in self.log if path.startswith("/api/")]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, head: bool) -> None:
        state = self.server.state
        headers = {k.lower(): v for k, v in self.headers.items()}
        with state.lock:
            state.log.append((self.command, self.path, headers))
        if state.latency:
            time.sleep(state.latency)
        fault = take_fault(state.faults, state.lock, self.path)
        if fault is not None:
            return self._fail(fault)
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        parts = [unquote(p) for p in split.path.split("/") if p]
        authorised = state.token is not None and headers.get("authorization") == (
            f"Bearer {state.token}"
        )
        if parts[:1] == ["api"]:
            return self._api(state, parts[1:], query, authorised)
        return self._resolve(state, parts, authorised, head)

    def _api(
        self, state: HubState, parts: list[str], query: dict[str, list[str]], authorised: bool
    ) -> None:
        if len(parts) == 3 and parts[0] == "organizations" and parts[2] == "overview":
            org = state.orgs.get(parts[1])
            if org is None:
                return self._json(404, {"error": "Organization not found"})
            return self._json(200, org)
        if len(parts) < 3 or parts[0] not in ("models", "datasets"):
            return self._json(404, {"error": "Not Found"})
        kind = parts[0][:-1]
        repo_id, rest = _split_id(parts[1:])
        repo = state.repos.get(f"{kind}:{repo_id.casefold()}")
        if repo is None or (repo.private and not authorised):
            return self._json(
                401, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
            )
        if rest[:1] == ["revision"] and len(rest) == 2:
            if rest[1] not in (repo.sha, "main"):
                return self._json(
                    404, {"error": "Revision Not Found"}, {"X-Error-Code": "RevisionNotFound"}
                )
            rest = []
        if rest == []:
            blobs = query.get("blobs") == ["true"]
            security = query.get("securityStatus") == ["true"]
            hashes = not repo.gated or authorised
            return self._json(200, repo.document(blobs, security, hashes))
        if rest[:1] == ["tree"] and len(rest) >= 2:
            if rest[1] not in (repo.sha, "main"):
                return self._json(404, {"error": "Revision Not Found"})
            return self._json(200, repo.tree())
        return self._json(404, {"error": "Not Found"})

    def _resolve(self, state: HubState, parts: list[str], authorised: bool, head: bool) -> None:
        kind = "model"
        if parts[:1] == ["datasets"]:
            kind, parts = "dataset", parts[1:]
        try:
            at = parts.index("resolve")
        except ValueError:
            return self._json(404, {"error": "Not Found"})
        repo = state.repos.get(f"{kind}:{'/'.join(parts[:at]).casefold()}")
        if repo is None or (repo.private and not authorised):
            return self._json(
                401, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
            )
        if repo.gated and not authorised:
            return self._json(401, {"error": "Access restricted"}, {"X-Error-Code": "GatedRepo"})
        path = "/".join(parts[at + 2 :])
        data = repo.served.get(path, repo.files.get(path))
        if data is None:
            return self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        etag = hashlib.sha256(data).hexdigest() if repo.is_lfs(path) else git_blob_id(data)
        extra = {"X-Repo-Commit": repo.sha, "ETag": f'"{etag}"', "X-Linked-Size": str(len(data))}
        if repo.is_lfs(path):
            extra["X-Linked-Etag"] = f'"{etag}"'
        self._send(200, data, "application/octet-stream", extra, head)

    def _fail(self, fault: Fault) -> None:
        if fault.kind == "hang":
            time.sleep(fault.seconds)
            return self._json(200, {})
        if fault.kind == "malformed":
            return self._send(200, b'{"id": "x", <html>oops', "application/json", {}, False)
        if fault.kind == "badshape":  # valid JSON that huggingface_hub's parser rejects
            body = {"id": "x", "siblings": [{"rfilename": "a", "lfs": {"size": 1}}]}
            return self._json(200, body)
        extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return self._json(int(fault.kind), {"error": "injected"}, extra)

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers or {}, False)

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str], head: bool
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and self.command != "HEAD":
            self.wfile.write(body)


def _split_id(parts: list[str]) -> tuple[str, list[str]]:
    """`org/name/rest…` or `name/rest…`: a second segment that is a route word ends the id."""
    if len(parts) >= 2 and parts[1] not in ("revision", "tree"):
        return f"{parts[0]}/{parts[1]}", parts[2:]
    return parts[0], parts[1:]


class _Server(StateServer[HubState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: HubState) -> Iterator[str]:
    """Run the hub in a thread for the duration of a `with`/fixture; yields its base URL."""
    with running(_Server(_Handler, state)) as (url,):
        yield url
