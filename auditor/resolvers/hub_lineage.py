"""A model's lineage on the Hub: `baseModels` followed upward to the end of every chain.

Depth-first with the usual three colours, so a diamond (a merge of two fine-tunes of one
base) expands each ancestor once and a loop (A's base is B, B's base is A) is reported
instead of followed. The walk is bounded by `max_depth` hops; where it stops early, the
last ancestor reached stands in as the visible end of that chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from packageurl import PackageURL

from auditor.bounded import load_json
from auditor.http import Http
from auditor.model import Strength
from auditor.resolvers.hub_api import ROLE, Denied, HubRepo, repo_path

MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Edge:
    """`child` derives from `parent`, as the Hub (or the card) says."""

    child: str
    parent: str
    relation: str | None
    strength: Strength
    where: str


@dataclass(frozen=True, slots=True)
class End:
    """The end of one chain: a repo with no base, or the last one the walk could see."""

    id: str
    repo: HubRepo | None
    """None when the Hub would not describe it (then `why` says so)."""
    why: str | None = None


@dataclass
class Lineage:
    """Everything one walk found."""

    edges: list[Edge] = field(default_factory=list)
    ends: list[End] = field(default_factory=list)
    cycles: list[tuple[str, ...]] = field(default_factory=list)


Fetch = Callable[[str], "HubRepo | Denied"]


def walk(start: HubRepo, fetch: Fetch, max_depth: int = MAX_DEPTH) -> Lineage:
    """The lineage above `start` (the component's own revision)."""
    found = Lineage()
    on_path: list[str] = []
    done: set[str] = set()

    def visit(repo: HubRepo, depth: int) -> None:
        key = repo.id.casefold()
        on_path.append(key)
        for parent in repo.base_models:
            found.edges.append(
                Edge(repo.id, parent, repo.base_relation, repo.base_strength, repo.where)
            )
            pkey = parent.casefold()
            if pkey in on_path:
                loop = (*on_path[on_path.index(pkey) :], pkey)
                found.cycles.append(loop)
                continue
            if pkey in done:
                continue
            done.add(pkey)
            if depth >= max_depth:
                found.ends.append(End(parent, None, f"lineage deeper than {max_depth} hops"))
                continue
            answer = fetch(parent)
            if isinstance(answer, Denied):
                found.ends.append(End(parent, None, answer.reason))
            elif not answer.base_models:
                found.ends.append(End(parent, answer))
            else:
                visit(answer, depth + 1)
        on_path.pop()

    visit(start, 0)
    return found


def cached_lineage_paths(http: Http, first: Iterable[str], max_depth: int = MAX_DEPTH) -> None:
    """Load the kept documents of every ancestor of the announced revisions, level by level,
    in one cache query per level instead of one per ancestor per walk. Reads the cache only:
    on a cold cache it finds nothing and the walks fetch as usual."""
    cache = http.cache
    if cache is None:
        return
    paths = list(dict.fromkeys(first))
    seen: set[str] = set()
    for _ in range(max_depth + 1):
        bases: list[str] = []
        for path in paths:
            kept = cache.get(f"{ROLE}:{path}")
            if kept is None or kept.status != 200:
                continue
            for base in _bases_of(kept.body):
                if base.casefold() not in seen:
                    seen.add(base.casefold())
                    bases.append(base)
        if not bases:
            return
        paths = [repo_path("model", base, None, files=False) for base in bases]
        http.prefetch((ROLE, p) for p in paths)


def _bases_of(body: bytes) -> list[str]:
    """Base model ids in a kept repo document (a hint: malformed bodies give none)."""
    try:
        doc = load_json(body)
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    computed = doc.get("baseModels")
    models = computed.get("models") if isinstance(computed, dict) else None
    ids = [m.get("id") for m in models or () if isinstance(m, dict)]
    card = doc.get("cardData")
    declared = card.get("base_model") if isinstance(card, dict) else None
    ids += (
        [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    )
    return [i for i in ids if isinstance(i, str) and i]


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def repo_purl(repo_id: str, version: str | None = None, kind: str = "model") -> str:
    """`pkg:huggingface/<ns>/<name>[@<commit>]`, datasets with `?repository_type=dataset`."""
    namespace, _, name = repo_id.rpartition("/")
    if kind == "model" and version is None and _PLAIN.issuperset(namespace + name):
        # Hub ids are `[\w\-.]`: nothing to percent-encode (the common case, and hot).
        return f"pkg:huggingface/{namespace}/{name}" if namespace else f"pkg:huggingface/{name}"
    qualifiers = {"repository_type": kind} if kind != "model" else None
    purl = PackageURL(
        type="huggingface",
        namespace=namespace or None,
        name=name,
        version=version,
        qualifiers=qualifiers,
    )
    return str(purl.to_string())
