"""A loopback Hub that speaks huggingface_hub's file-download protocol, so tests build real caches.

What huggingface_hub reads (file_download.py `get_hf_file_metadata`, `hf_hub_download`,
utils/_http.py `hf_raise_for_status`; _snapshot_download.py; hf_api.py `repo_info`,
`list_repo_tree`, `RepoFile`):
- HEAD/GET `/{repo}/resolve/{revision}/{path}` (datasets and spaces: `/datasets/…`,
  `/spaces/…`): `X-Repo-Commit` (the commit the revision resolves to), `ETag` (a git file's
  blob id, quoted), `Content-Length`. An LFS file answers 302 with `Location` (the CDN),
  `X-Linked-Etag` (the content's sha256, quoted) and `X-Linked-Size`; the GET then follows the
  redirect. A missing file: 404 with `X-Error-Code: EntryNotFound` and `X-Repo-Commit` (so
  huggingface_hub records it under `.no_exist/`).
- GET `/api/{type}s/{repo}/revision/{revision}`: `{"id", "sha", "siblings"}` (repo_info).
- GET `/api/{type}s/{repo}/tree/{commit}`: a list of `{"type": "file", "path", "size",
  "oid", "lfs": {"oid", "size", "pointerSize"}}` (list_repo_tree; no `Link` header = one page).
No `X-Xet-Hash` is sent, so downloads take the plain HTTP path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from tests.servers import StateServer, running


def git_blob_id(data: bytes) -> str:
    """git's blob id, computed independently of the code under test."""
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    """The git-lfs pointer file committed in place of an LFS file."""
    oid = hashlib.sha256(data).hexdigest()
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
    )


@dataclass
class HubRepo:
    """One repo: commits (file path -> bytes), refs, and which paths are LFS."""

    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    lfs: set[str] = field(default_factory=set)


@dataclass
class HubState:
    """Repos by (repo type, repo id); every request path is recorded."""

    repos: dict[tuple[str, str], HubRepo] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    cdn_url: str = ""
    """Base URL of the second server that plays the CDN (set by `serve`)."""

    def add(
        self,
        repo_id: str,
        commit: str,
        files: dict[str, bytes],
        refs: tuple[str, ...] = ("main",),
        lfs: tuple[str, ...] = (),
        repo_type: str = "model",
    ) -> None:
        """Add one commit of a repo, pointed at by `refs`."""
        repo = self.repos.setdefault((repo_type, repo_id), HubRepo())
        repo.commits[commit] = dict(files)
        repo.lfs.update(lfs)
        for ref in refs:
            repo.refs[ref] = commit

    def blobs(self) -> dict[str, bytes]:
        """Every LFS object by sha256 (what the CDN route serves)."""
        return {
            hashlib.sha256(data).hexdigest(): data
            for repo in self.repos.values()
            for files in repo.commits.values()
            for path, data in files.items()
            if path in repo.lfs
        }


PREFIXES = {"datasets": "dataset", "spaces": "space"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        state.requests.append(f"{self.command} {path}")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["lfs-objects"] and len(parts) == 2:
            data = state.blobs().get(parts[1])
            return self._send(200, {}, data, head) if data is not None else self._send(404, {})
        if parts[:1] == ["api"]:
            return self._api(parts[1:], head)
        repo_type = PREFIXES.get(parts[0], "model") if parts else "model"
        if repo_type != "model":
            parts = parts[1:]
        if "resolve" not in parts:
            return self._send(404, {"X-Error-Code": "RepoNotFound"})
        at = parts.index("resolve")
        repo_id, rest = "/".join(parts[:at]), parts[at + 1 :]
        repo = state.repos.get((repo_type, repo_id))
        if repo is None or not rest:
            return self._send(404, {"X-Error-Code": "RepoNotFound"})
        # A revision may itself hold slashes (`refs/pr/1`), URL-encoded or not.
        commit, file_path = self._revision(repo, rest)
        if commit is None:
            return self._send(404, {"X-Error-Code": "RevisionNotFound"})
        data = repo.commits[commit].get(file_path)
        if data is None:
            return self._send(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit})
        if file_path in repo.lfs:
            sha = hashlib.sha256(data).hexdigest()
            headers = {
                "X-Repo-Commit": commit,
                "X-Linked-Etag": f'"{sha}"',
                "X-Linked-Size": str(len(data)),
                "ETag": f'"{git_blob_id(lfs_pointer(data))}"',
                # Another origin, as the Hub's CDN is: huggingface_hub follows redirects
                # within the Hub itself (renamed repos) but takes a CDN's from the 302.
                "Location": f"{state.cdn_url}/lfs-objects/{sha}",
            }
            return self._send(302, headers, b"", head)
        headers = {"X-Repo-Commit": commit, "ETag": f'"{git_blob_id(data)}"'}
        return self._send(200, headers, data, head)

    def _revision(self, repo: HubRepo, rest: list[str]) -> tuple[str | None, str]:
        for cut in range(len(rest) - 1, 0, -1):
            name = "/".join(rest[:cut])
            commit = repo.refs.get(name) or (name if name in repo.commits else None)
            if commit is not None:
                return commit, "/".join(rest[cut:])
        return None, ""

    def _api(self, parts: list[str], head: bool) -> None:
        if not parts or not parts[0].endswith("s"):
            return self._send(404, {})
        repo_type = parts[0][:-1]
        for verb in ("revision", "tree"):
            if verb in parts:
                at = parts.index(verb)
                repo = self.server.state.repos.get((repo_type, "/".join(parts[1:at])))
                revision = "/".join(parts[at + 1 :])
                if repo is None:
                    return self._send(404, {"X-Error-Code": "RepoNotFound"})
                commit = repo.refs.get(revision) or (revision if revision in repo.commits else None)
                if commit is None:
                    return self._send(404, {"X-Error-Code": "RevisionNotFound"})
                files = repo.commits[commit]
                if verb == "revision":
                    body = {
                        "id": "/".join(parts[1:at]),
                        "sha": commit,
                        "siblings": [{"rfilename": p} for p in sorted(files)],
                    }
                else:
                    body = [self._tree_item(repo, p, d) for p, d in sorted(files.items())]
                return self._send(
                    200, {"Content-Type": "application/json"}, json.dumps(body).encode(), head
                )
        return self._send(404, {})

    @staticmethod
    def _tree_item(repo: HubRepo, path: str, data: bytes) -> dict[str, object]:
        if path not in repo.lfs:
            return {"type": "file", "path": path, "size": len(data), "oid": git_blob_id(data)}
        pointer = lfs_pointer(data)
        return {
            "type": "file",
            "path": path,
            "size": len(data),
            "oid": git_blob_id(pointer),
            "lfs": {
                "oid": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "pointerSize": len(pointer),
            },
        }

    def _send(
        self, status: int, headers: dict[str, str], body: bytes = b"", head: bool = False
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _Server(StateServer[HubState]):
    """This module's server type (its handler's `server` annotation)."""


def serve(state: HubState) -> Iterator[str]:
    """Run the Hub and its CDN in threads for the duration of a fixture; yields the Hub's URL."""
    with running(_Server(_Handler, state), _Server(_Handler, state)) as (hub, cdn):
        state.cdn_url = cdn
        yield hub
