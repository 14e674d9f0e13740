"""The small files of a Hugging Face cache, parsed: repo folder names, refs, tree listings.

The layout is huggingface_hub's (file_download.py `repo_folder_name`, `_cache_manager.py`
`scan_cache_dir`, `_tree_cache.py`); hub-docs' local-cache.md documents it for re-implementers.
Each parser takes bytes and returns our own values or raises ParseError naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.bounded import load_json
from auditor.errors import ParseError

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
"""Folder prefix -> repo type, as `repo_folder_name` writes them ("{type}s--…")."""

SHA256_BLOB = re.compile(r"[0-9a-f]{64}")
"""An LFS/Xet file's blob: named by the content's sha256."""
GIT_BLOB = re.compile(r"[0-9a-f]{40}")
"""A git-tracked file's blob: named by its git blob id (also the form of a commit hash)."""
_REPO_NAME = re.compile(r"[\w.\-]+")
"""A Hub id part: letters, digits, `_`, `-`, `.` (huggingface_hub `validate_repo_id`)."""


@dataclass(frozen=True, slots=True)
class RepoFolder:
    """`models--org--name` parsed."""

    repo_type: str
    """`model`, `dataset` or `space`."""
    repo_id: str
    """`org/name`, or `name` for a namespace-less (legacy canonical) repo."""


def repo_folder(name: str) -> RepoFolder | None:
    """The repo a cache folder name stands for, or None when it is not one.

    Parsed as `scan_cache_dir` does (split once on `--`, the rest's `--` become `/`), but
    stricter: a Hub id has at most one `/` and no empty or `.`/`..` parts.
    """
    prefix, sep, rest = name.partition("--")
    if not sep or prefix not in REPO_TYPES:
        return None
    parts = rest.split("--")
    if len(parts) > 2 or any(p in ("", ".", "..") or not _REPO_NAME.fullmatch(p) for p in parts):
        return None
    return RepoFolder(REPO_TYPES[prefix], "/".join(parts))


def parse_ref(path: str, data: bytes) -> str:
    """The commit hash a `refs/<name>` file holds (huggingface_hub writes it without newline)."""
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ParseError(path, "ref is not ASCII text; expected a 40-hex commit hash") from None
    if not GIT_BLOB.fullmatch(text):
        shown = text[:60] + ("…" if len(text) > 60 else "")
        raise ParseError(path, f"ref holds {shown!r}; expected a 40-hex commit hash")
    return text


@dataclass(frozen=True, slots=True)
class ListedFile:
    """One file of a commit as `trees/<commit>.json` records it (the Hub's tree listing)."""

    size: int
    blob_id: str
    """git blob id of the file as committed (for an LFS file: of its pointer)."""
    lfs_sha256: str | None = None
    lfs_size: int | None = None


TREE_FORMAT_VERSION = 1
"""`_tree_cache.TREE_CACHE_FORMAT_VERSION`: other versions are skipped, as huggingface_hub does."""


def parse_tree_listing(path: str, data: bytes) -> dict[str, ListedFile]:
    """`trees/<commit>.json`: {"format_version": 1, "files": {path: {size, blob_id, lfs_*}}}."""
    try:
        doc = load_json(data)
    except ValueError as exc:  # bad UTF-8, bad JSON, too deep
        raise ParseError(path, f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a JSON object")
    if doc.get("format_version") != TREE_FORMAT_VERSION:
        raise ParseError(
            path, f"format_version {doc.get('format_version')!r}; this version reads 1"
        )
    files = doc.get("files")
    if not isinstance(files, dict):
        raise ParseError(path, "'files' is not an object")
    listed: dict[str, ListedFile] = {}
    for name, info in files.items():
        listed[name] = _listed(path, name, info)
    return listed


def _listed(path: str, name: str, info: object) -> ListedFile:
    if not isinstance(info, dict):
        raise ParseError(path, f"files[{name!r}] is not an object")
    size, blob_id = info.get("size"), info.get("blob_id")
    lfs_sha256, lfs_size = info.get("lfs_sha256"), info.get("lfs_size")
    if not isinstance(size, int) or not _count(size) or not isinstance(blob_id, str):
        raise ParseError(path, f"files[{name!r}]: needs a size and a 40-hex blob_id")
    if not GIT_BLOB.fullmatch(blob_id):
        raise ParseError(path, f"files[{name!r}]: needs a size and a 40-hex blob_id")
    if lfs_sha256 is not None and (
        not isinstance(lfs_sha256, str) or not SHA256_BLOB.fullmatch(lfs_sha256)
    ):
        raise ParseError(path, f"files[{name!r}]: lfs_sha256 is not 64 hex digits")
    if lfs_size is not None and not _count(lfs_size):
        raise ParseError(path, f"files[{name!r}]: lfs_size is not a size")
    return ListedFile(size, blob_id, lfs_sha256, lfs_size)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
