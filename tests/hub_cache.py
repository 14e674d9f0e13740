"""Hub components as an HF-cache collector reports them, read from a real huggingface_hub cache.

Until the cache collector lands, the resolver tests and the hub benchmark build their
components here: `scan_cache_dir` finds the revisions, and each file's blob name (the ETag
the server sent: sha256 for LFS/Xet files, the git blob id otherwise) gives its hashes. With
`hash_content`, the blob's bytes are hashed instead, as a verifying collector does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from huggingface_hub import scan_cache_dir
from packageurl import PackageURL

from auditor.model import Component, ComponentFile, ComponentKind, Location


def git_blob_id(data: bytes) -> str:
    """git's blob hash (huggingface_hub utils/sha.py `git_hash`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def hub_purl(repo_id: str, revision: str, kind: str = "model") -> str:
    namespace, _, name = repo_id.rpartition("/")
    qualifiers = {"repository_type": kind} if kind != "model" else None
    return str(PackageURL("huggingface", namespace or None, name, revision, qualifiers).to_string())


def components_from_cache(cache: Path, hash_content: bool = False) -> list[Component]:
    """One component per cached revision, its files with their hashes."""
    found = []
    for repo in sorted(scan_cache_dir(cache).repos, key=lambda r: r.repo_id):
        for rev in sorted(repo.revisions, key=lambda r: r.commit_hash):
            files = []
            for f in sorted(rev.files, key=lambda f: str(f.file_path)):
                rel = f.file_path.relative_to(rev.snapshot_path).as_posix()
                name = f.blob_path.name
                sha256 = git_sha1 = None
                if hash_content:
                    data = f.blob_path.read_bytes()
                    if len(name) == 64:
                        sha256 = hashlib.sha256(data).hexdigest()
                    else:
                        git_sha1 = git_blob_id(data)
                elif len(name) == 64:
                    sha256 = name
                else:
                    git_sha1 = name
                files.append(ComponentFile(rel, f.size_on_disk, sha256, git_sha1, str(rel)))
            kind = ComponentKind.DATASET if repo.repo_type == "dataset" else ComponentKind.MODEL
            found.append(
                Component(
                    purl=hub_purl(repo.repo_id, rev.commit_hash, repo.repo_type),
                    kind=kind,
                    name=repo.repo_id,
                    version=rev.commit_hash,
                    locations=(Location(str(cache), str(repo.repo_path.relative_to(cache))),),
                    found_by="tests.hub_cache",
                    files=tuple(sorted(files, key=lambda f: f.path)),
                )
            )
    return found
