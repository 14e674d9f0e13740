"""The Hugging Face Hub's repo and organisation documents, fetched through our Http.

The requests are exactly the ones `huggingface_hub.HfApi.model_info(repo, revision=…,
files_metadata=True, securityStatus=True)`, `dataset_info(…, files_metadata=True)` and
`get_organization_overview(…)` send (same path, same query), and the answers are parsed by
huggingface_hub's own `ModelInfo` / `DatasetInfo` / `Organization` classes. They go through
`auditor.http` rather than HfApi's session because that is where the scan's cache, offline
mode, snapshots, retries, per-host limits and per-scan memo live; huggingface_hub's client
factory is process-global (`set_client_factory`), so routing it through a per-scan cache
would be global mutable state shared by concurrent scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from auditor.http import MISSING_STATUSES, FetchError, Http, Response
from auditor.model import Strength

if TYPE_CHECKING:
    from huggingface_hub.hf_api import DatasetInfo, ModelInfo

ROLE = "huggingface"
UNKNOWN_CREATED_AT = "2022-03-02T23:29:04"
"""The Hub's floor for `createdAt`: repos older than creation-date tracking all carry it."""
DENIED_STATUSES = frozenset({401, 403})
"""The Hub answers 401 for a private or missing repo without a token (it does not say which)."""


@dataclass(frozen=True, slots=True)
class HubFile:
    """One file the Hub lists for a revision (a `RepoSibling`)."""

    path: str
    size: int | None
    blob_id: str | None
    """Git OID; for an LFS file, the OID of its pointer."""
    sha256: str | None
    """`lfs.sha256`: the content's sha256, for LFS/Xet files."""


@dataclass(frozen=True, slots=True)
class HubRepo:
    """What this auditor reads from one repo document."""

    id: str
    author: str | None
    sha: str | None
    created_at: str | None
    """None when the Hub does not know (its 2022-03-02T23:29:04Z floor)."""
    last_modified: str | None
    gated: str | None
    """`auto` / `manual`, or None when not gated."""
    private: bool
    card: dict[str, Any]
    base_relation: str | None
    base_models: tuple[str, ...]
    base_strength: Strength
    """`registry` for the Hub's computed `baseModels`, `declared` for the card's `base_model`."""
    files: tuple[HubFile, ...] | None
    """None when the answer lists no siblings at all."""
    flagged: tuple[tuple[str, str], ...]
    """(path, level) from `securityRepoStatus.filesWithIssues`."""
    where: str
    retrieved_at: str
    pipeline_tag: str | None = None
    """The Hub's task for a model (`text-generation` …): the SPDX 3 AI profile's domain and
    the CycloneDX model card's task."""

    @property
    def hashed_files(self) -> bool:
        """Whether the Hub gave per-file hashes (not for a gated repo without access)."""
        return bool(self.files) and any(f.blob_id or f.sha256 for f in self.files or ())


@dataclass(frozen=True, slots=True)
class Denied:
    """The Hub would not say (private, gated beyond reach, or absent): `unknown`."""

    status: int
    reason: str


def repo_path(kind: str, repo_id: str, revision: str | None, files: bool) -> str:
    """The path HfApi's `model_info`/`dataset_info` request (query in HfApi's order)."""
    base = f"/api/{kind}s/{repo_id}"
    path = base if revision is None else f"{base}/revision/{quote(revision, safe='')}"
    if not files:
        return path
    return path + ("?securityStatus=true&blobs=true" if kind == "model" else "?blobs=true")


def organization_path(name: str) -> str:
    """The path HfApi's `get_organization_overview` requests."""
    return f"/api/organizations/{quote(name, safe='')}/overview"


def fetch_repo(
    http: Http, kind: str, repo_id: str, revision: str | None, files: bool = True
) -> HubRepo | Denied:
    """One repo document; a commit revision is immutable, so its answer is kept forever."""
    immutable = revision is not None and _is_commit(revision)
    path = repo_path(kind, repo_id, revision, files)
    reply = http.get(ROLE, path, immutable=immutable, answers=DENIED_STATUSES)
    if reply.status in MISSING_STATUSES:
        what = f"{repo_id} at {revision}" if revision else repo_id
        return Denied(reply.status, f"{what} is not on the hub (HTTP {reply.status})")
    if reply.status in DENIED_STATUSES:
        return Denied(
            reply.status,
            f"{repo_id}: the hub refused (HTTP {reply.status}): private, or missing, or a token"
            " without access",
        )
    return parse_repo(reply, kind)


def fetch_organization(http: Http, name: str) -> dict[str, Any] | None:
    """The organisation overview's fields (display name, verified); None for a user."""
    from huggingface_hub.hf_api import Organization

    reply = http.get(ROLE, organization_path(name))
    if not reply.ok:
        return None
    doc = reply.json()
    if not isinstance(doc, dict):
        raise FetchError(reply.key, "malformed organisation overview (not an object)")
    org = Organization(**doc)
    return {"fullname": org.fullname, "isVerified": org.is_verified}


def parse_repo(reply: Response, kind: str) -> HubRepo:
    """A repo document through huggingface_hub's parser; FetchError when malformed."""
    from huggingface_hub.hf_api import DatasetInfo, ModelInfo

    doc = reply.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise FetchError(reply.key, "malformed repo document (no `id`)")
    try:
        # huggingface_hub leaves these constructors untyped.
        info = ModelInfo(**doc) if kind == "model" else DatasetInfo(**doc)  # type: ignore[no-untyped-call]
        return _repo(info, reply)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FetchError(
            reply.key, f"malformed repo document ({type(exc).__name__}: {exc})"
        ) from None


def _repo(info: ModelInfo | DatasetInfo, reply: Response) -> HubRepo:
    card = _card(info.card_data)
    relation, bases, strength = _bases(getattr(info, "base_models", None), card)
    created = info.created_at.isoformat().replace("+00:00", "Z") if info.created_at else None
    if created is not None and created.startswith(UNKNOWN_CREATED_AT):
        created = None
    modified = info.last_modified
    gated = info.gated if isinstance(info.gated, str) else None
    return HubRepo(
        id=info.id,
        author=info.author if isinstance(info.author, str) and info.author else None,
        sha=info.sha if isinstance(info.sha, str) else None,
        created_at=created,
        last_modified=modified.isoformat().replace("+00:00", "Z") if modified else None,
        gated=gated,
        private=info.private is True,
        card=card,
        base_relation=relation,
        base_models=bases,
        base_strength=strength,
        files=_files(info.siblings),
        flagged=_flagged(getattr(info, "security_repo_status", None)),
        where=reply.key,
        retrieved_at=reply.fetched_at.isoformat(timespec="seconds"),
        pipeline_tag=_text(getattr(info, "pipeline_tag", None)),
    )


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _card(card_data: object) -> dict[str, Any]:
    if card_data is None:
        return {}
    to_dict = getattr(card_data, "to_dict", None)
    raw = to_dict() if callable(to_dict) else card_data
    return dict(raw) if isinstance(raw, dict) else {}


def _bases(computed: object, card: dict[str, Any]) -> tuple[str | None, tuple[str, ...], Strength]:
    """The Hub's computed `baseModels` when present, else the card's free-text `base_model`."""
    if isinstance(computed, dict):
        models = computed.get("models")
        ids = tuple(
            m["id"] for m in models or () if isinstance(m, dict) and isinstance(m.get("id"), str)
        )
        relation = computed.get("relation")
        if ids:
            return (relation if isinstance(relation, str) else None), ids, Strength.REGISTRY
    declared = card.get("base_model")
    names = [declared] if isinstance(declared, str) else declared
    ids = tuple(n.strip() for n in names or () if isinstance(n, str) and n.strip())
    relation = card.get("base_model_relation")
    return (relation if isinstance(relation, str) else None), ids, Strength.DECLARED


def _files(siblings: object) -> tuple[HubFile, ...] | None:
    if not isinstance(siblings, list):
        return None
    files = []
    for s in siblings:
        lfs = s.lfs
        sha256 = lfs.sha256 if lfs is not None else None
        files.append(HubFile(s.rfilename, s.size, _hex(s.blob_id), _hex(sha256)))
    return tuple(files)


def _flagged(status: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(status, dict):
        return ()
    return tuple(
        (item["path"], str(item.get("level") or "unsafe"))
        for item in status.get("filesWithIssues") or ()
        if isinstance(item, dict) and isinstance(item.get("path"), str)
    )


def _hex(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def _is_commit(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision.lower())
