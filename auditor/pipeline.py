"""run_scan: targets -> components -> origins -> findings; the one module knowing every stage."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import unquote

from auditor import __version__
from auditor.collectors import CollectContext, Collected, collectors_for
from auditor.collectors.parsers import FileParser, parser_for, sbom_parser_for
from auditor.config import Config
from auditor.declared import local_origin
from auditor.errors import (
    AuditorError,
    ConfigError,
    Diagnostic,
    ParseError,
    TargetError,
    UsageError,
)
from auditor.hashing import DigestMemo, Hasher, KnownFile
from auditor.model import (
    SELF_ROOT,
    Component,
    ComponentFile,
    Dependency,
    DependencyKind,
    Evaluation,
    Evidence,
    Finding,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.progress import NULL_PROGRESS, Progress
from auditor.redaction import redact_scan
from auditor.sources import Tree
from auditor.sources.directory import DirectoryTree, special_kind
from auditor.target_history import previous_scan
from auditor.valid_text import valid_text

if TYPE_CHECKING:
    from auditor.http import HttpCache
    from auditor.policy.engine import Policy
    from auditor.sources.image import ImageTree

PREFIXES: dict[str, TargetKind | None] = {
    "lockfile": TargetKind.LOCKFILE,
    "dir": TargetKind.DIRECTORY,
    "env": TargetKind.ENVIRONMENT,
    "image": TargetKind.IMAGE,
    "hf-cache": TargetKind.HF_CACHE,
    # A vendor's SBOM (CycloneDX, SPDX, syft JSON): its components are the inventory.
    "sbom": TargetKind.SBOM,
    # ModelScope's cache is a plain folder of files plus pickled indexes: a directory target.
    "modelscope": TargetKind.DIRECTORY,
    # Ollama's store is a folder (manifests/, blobs/) its collector finds by layout.
    "ollama": TargetKind.DIRECTORY,
    # LM Studio's models folder; llama.cpp's cache (manifest=…json beside flat files).
    "lmstudio": TargetKind.DIRECTORY,
    "llama-cpp": TargetKind.DIRECTORY,
}
DEFAULT_LOCATIONS = ("hf-cache", "modelscope", "ollama", "lmstudio", "llama-cpp")
"""Prefixes that mean a default place when given alone (the caches the environment names)."""
SNIFF_BYTES = 4096
_LOOSE_KINDS = (TargetKind.DIRECTORY, TargetKind.IMAGE)
"""Targets whose loose model files the hash index may know by their git blob ids."""


@dataclass(frozen=True, slots=True)
class OpenTarget:
    """A named target, detected and opened."""

    ref: str
    kind: TargetKind
    path: Path
    tree: Tree
    file: str | None
    """For a lockfile target: its path inside `tree`."""


def run_scan(
    refs: Sequence[str],
    config: Config,
    cache: HttpCache | None = None,
    progress: Progress | None = None,
    history: Callable[[str], Scan | None] | None = None,
    memo: DigestMemo | None = None,
) -> Scan:
    """Scan every named target; raises one AuditorError naming every unusable target.

    `cache` keeps registry answers between scans (the store's); `progress` hears how
    every long stage advances (walking, image layers, hashing, resolving); `history`
    gives the previous scan of a target identity (the store's): rules about changed origins
    compare with each target's own previous findings
    (`auditor.target_history.previous_scan`); `memo` keeps file digests
    between scans (the store's), so an unchanged model cache is not hashed again.
    """
    started = _now()
    progress = progress or NULL_PROGRESS  # None: nobody is watching
    opened, errors = _open_all(refs, config, progress)
    context = CollectContext(
        verify=config.verify, hasher=Hasher(memo, progress=progress), signatures=config.signatures
    )
    parts: list[Collected] = []
    for target in opened:
        try:
            parts.append(_collect(target, context, progress))
        except ParseError as exc:  # a named lockfile that is malformed
            errors.append(exc.message)
    if errors:
        raise TargetError(
            "\n".join(errors),
            hint="fix or leave out the targets named above; nothing was scanned or stored",
        )
    collected = valid_text(Collected.merge(parts))
    components = merge_components(collected.components)
    copies: tuple[Dependency, ...] = ()
    if memo is not None:  # loose files the hash index knows (auditor.known_files)
        from auditor.known_files import git_blobs, reidentified

        blobs = [b for t in opened if t.kind in _LOOSE_KINDS
                 for b in git_blobs(t.tree, context.hasher)]  # fmt: skip
        components, copies = reidentified(components, memo, blobs)
    origins, resolved_findings, lineage, unreachable, listed = _resolve(
        components, config, cache, progress
    )
    components = _licensed(components, origins)
    diagnostics = tuple(dict.fromkeys(collected.diagnostics + unreachable))
    partial = bool(diagnostics) or any(o.status is OriginStatus.UNREACHABLE for o in origins)
    scan = Scan(
        id=str(uuid.uuid4()),
        started_at=started,
        finished_at=_now(),
        status=ScanStatus.PARTIAL if partial else ScanStatus.COMPLETE,
        tool_version=__version__,
        targets=tuple(_target(t) for t in opened),
        components=components,
        origins=origins,
        dependencies=_lineage(collected.dependencies + copies + _base_images(components), lineage),
        findings=tuple(dict.fromkeys(collected.findings + resolved_findings)),
        diagnostics=diagnostics,
        host=_host_name(),
    )
    previous = previous_scan(scan.targets, history) if history else None
    # Every output and the store render this scan: secrets are withheld once, here.
    # With --no-resolve no root is named at all (as the Hub resolver names none).
    named = scan if config.no_resolve else declared_roots(scan)
    judged = redact_scan(judge(traced_roots(named), config, cache, previous=previous))
    judged = replace(judged, evaluation=first_evaluation(judged, config))
    if memo is not None:  # what this scan teaches the hash index
        from auditor.known_files import sightings

        memo.record_files([*listed, *sightings(judged)])
    if history is None:  # no store consulted: nothing is known about earlier scans
        return judged
    from auditor.changes import summarise

    # Kept with the scan (not recomputed by reports): pruning the previous scan later
    # must not change what a report of this one says.
    return replace(judged, changes=summarise(previous, judged))


def _licensed(
    components: tuple[Component, ...], origins: tuple[Origin, ...]
) -> tuple[Component, ...]:
    """Licences from every source that carries one (auditor.licences)."""
    from auditor.licences import with_licence

    by_purl = {o.purl: o for o in origins}
    return tuple(with_licence(c, by_purl.get(c.purl)) for c in components)


def traced_roots(scan: Scan) -> Scan:
    """Each derived component's `Origin.roots` set to the ends of its whole lineage, as
    `auditor.graph.trace` finds them through every hop (a resolver sees one component's
    files, or one Hub walk): rules, the store and every view then hold the same answer."""
    if not _has_lineage(scan):  # every trace would be the origin itself: nothing to set
        return scan
    from auditor.graph.trace import Tracer

    tracer = Tracer(scan)
    origins = []
    for o in scan.origins:
        trace = tracer.trace(o.purl)
        roots = tuple(s.as_root() for s in trace.sources) if trace.derived else o.roots
        origins.append(replace(o, roots=roots) if roots != o.roots else o)
    return replace(scan, origins=tuple(origins))


def _has_lineage(scan: Scan) -> bool:
    """True when a trace can lead past a component itself: a `derived_from` edge, or a root
    a resolver named other than the component. Without either (a lockfile inventory) the
    tracer is not imported (~6 ms of start-up, issue 36) nor built."""
    if any(d.kind is DependencyKind.DERIVED_FROM and d.source != d.target
           for d in scan.dependencies):  # fmt: skip
        return True
    return any(r.relation != SELF_ROOT for o in scan.origins for r in o.roots)


def declared_roots(scan: Scan) -> Scan:
    """A Hub base that only a file on disk names (a GGUF header in an Ollama store or a loose
    file), that is not in the inventory and that no resolver described, named on its child's
    origin as the Hub resolver names a declared base it could not ask about: its organisation
    and country from the knowledge base by namespace alone (`inferred`)."""
    from auditor.graph.trace import HUB, unversioned

    inventory = {unversioned(c.purl) for c in scan.components}
    named = {unversioned(r.purl) for o in scan.origins for r in o.roots}
    wanted: dict[str, list[tuple[str, str | None]]] = {}
    for d in scan.dependencies:
        base = unversioned(d.target)
        if (d.kind is DependencyKind.DERIVED_FROM and d.target.startswith(HUB)
                and base not in inventory and base not in named):  # fmt: skip
            wanted.setdefault(d.source, []).append((d.target, d.scope))
    if not wanted:
        return scan
    from auditor.resolvers.publishers import load
    from auditor.weights.lineage import repo_id as valid_repo_id

    kb = load()
    origins = []
    for o in scan.origins:
        added = []
        for target, relation in wanted.get(o.purl, ()):
            repo = unquote(unversioned(target)[len(HUB) :].partition("?")[0])
            namespace = repo.rpartition("/")[0] if valid_repo_id(repo) else ""
            org = kb.lookup("huggingface", namespace) if namespace else None
            if org is not None:
                added.append(Root(target, relation or "declared", org.name, org.country,
                                  Strength.INFERRED))  # fmt: skip
        origins.append(replace(o, roots=o.roots + tuple(added)) if added else o)
    return replace(scan, origins=tuple(origins))


def _base_images(components: tuple[Component, ...]) -> tuple[Dependency, ...]:
    """An image scanned with the Dockerfile that built it: the image derives from its base
    (imported only when an OCI image reference is in the inventory)."""
    if not any(c.purl.startswith("pkg:oci/") for c in components):
        return ()
    from auditor.collectors.oci_refs import base_image_edges

    return tuple(base_image_edges(components))


def _lineage(
    collected: tuple[Dependency, ...], computed: tuple[Dependency, ...]
) -> tuple[Dependency, ...]:
    """The collectors' edges and the resolvers', where a resolver's `derived_from` edges out
    of a component (the Hub's computed lineage) replace those its files declared."""
    answered = {d.source for d in computed if d.kind is DependencyKind.DERIVED_FROM}
    kept = [d for d in collected if d.kind is not DependencyKind.DERIVED_FROM
            or d.source not in answered]  # fmt: skip
    return tuple(dict.fromkeys(kept + list(computed)))


def judge(
    scan: Scan,
    config: Config,
    cache: HttpCache | None = None,
    previous: Scan | None = None,
) -> Scan:
    """The policy stage: vulnerability lookups (when enabled), then every rule and waiver;
    rules on changed origins compare with `previous` (each target's last scan)."""
    from auditor.policy.engine import Policy, evaluate, load_policy

    policy = config.policy or load_policy()
    if not isinstance(policy, Policy):  # Config declares only its shape (config.RunPolicy)
        raise TypeError(f"Config.policy is a {type(policy).__name__}, not a Policy")
    if policy.settings.vulnerabilities and not config.no_resolve:
        from auditor.policy.vulns import lookup

        found, problems = lookup(scan.components, config, cache)
        status = ScanStatus.PARTIAL if problems else scan.status
        scan = replace(
            scan,
            findings=scan.findings + found,
            diagnostics=scan.diagnostics + problems,
            status=status,
        )
    scan = _vendor_claims(_sbom_profiles(scan, config, policy))
    scan = _signatures_required(_screened(scan, policy, config.screening_lists), policy)
    return evaluate(scan, policy, previous, config.today)


def first_evaluation(scan: Scan, config: Config) -> Evaluation:
    """Evaluation 1, the scan's own: what `judge` screened it against (the knowledge base
    and the lists of `config.screening_lists`, else the shipped ones) and when, recorded so
    that a release scanned once can be attested against named list versions. The lists'
    versions are recorded even when no origin named an organisation and the check compared
    nothing (every component is then one the attestation counts as not screenable)."""
    from auditor.screening.basis import current_basis

    basis = current_basis(config.screening_lists)
    return Evaluation(1, _now(), basis.knowledge_base, basis.lists, scan.policy_version)


LISTED = "origin.listed-entity"


def _screened(scan: Scan, policy: Policy, lists: Path | None = None) -> Scan:
    """`origin.listed-entity`: the scan screened against the shipped lists, or those in the
    folder `lists` (`Config.screening_lists`) (read, with the knowledge base, only when some
    origin names an organisation or a lineage root, or the policy blocks a list: its ids are
    checked)."""
    block = policy.settings.screening_block
    if block:
        from auditor.screening.lists import load_lists

        known = {s.id for s in load_lists(lists)}
        if unknown := [b for b in block if b not in known]:
            raise ConfigError(
                f"[screening] block: no screening list {', '.join(map(repr, unknown))}",
                hint=f"known lists: {', '.join(sorted(known))} (auditor screening list)",
            )
    if not any(o.organisation is not None or o.roots for o in scan.origins):
        return replace(scan, findings=tuple(f for f in scan.findings if f.rule != LISTED))
    from auditor.resolvers.publishers import load
    from auditor.screening.check import rescreened
    from auditor.screening.lists import load_lists

    return rescreened(scan, load_lists(lists), load())


def _sbom_profiles(scan: Scan, config: Config, policy: Policy) -> Scan:
    """The `sbom.missing-field` findings of the minimum-elements profiles asked for (by
    `--sbom-profile` or the configuration's `sbom_profiles`); the SBOM readers make every
    profile's (auditor/sbom/profiles.py)."""
    if not any(f.rule == "sbom.missing-field" for f in scan.findings):
        return scan
    from auditor.sbom.profiles import asked_for

    listed = policy.names.get("sbom_profiles")
    configured = [str(p) for p in listed] if isinstance(listed, list) else []
    kept = asked_for(scan.findings, (*config.sbom_profiles, *configured))
    return scan if len(kept) == len(scan.findings) else replace(scan, findings=kept)


def _vendor_claims(scan: Scan) -> Scan:
    """`sbom.supplier-conflict`: what a vendor's SBOM says of a component against what the
    registry or an attestation says (auditor/attribution/vendor_claims.py). Made anew each
    time a scan is judged, so re-judging a stored scan answers with the current knowledge
    base; nothing is imported for a scan no SBOM contributed to."""
    if not any(e.source == "sbom" for c in scan.components for e in c.evidence):
        return scan
    from auditor.attribution.vendor_claims import RULE, supplier_conflicts
    from auditor.resolvers.publishers import load

    kept = tuple(f for f in scan.findings if f.rule != RULE)
    found = supplier_conflicts(scan.components, scan.origins, load())
    return replace(scan, findings=kept + found)


def _signatures_required(scan: Scan, policy: Policy) -> Scan:
    """`require_signatures` (publishers or organisations): their components must carry a
    verified model or image signature; evaluate() then stamps and waives like any finding."""
    listed = policy.names.get("require_signatures")
    names = frozenset(str(n) for n in listed) if isinstance(listed, list) else frozenset()
    if not names:
        return scan
    from auditor.policy.signatures import SignatureRequirement, signature_required_findings

    origins = {o.purl: o for o in scan.origins}
    found = signature_required_findings(
        scan.components, origins, SignatureRequirement(publishers=names, organisations=names)
    )
    return replace(scan, findings=scan.findings + found)


def _host_name() -> str:
    """This machine's name: on POSIX uname's node name, which is what gethostname() answers
    there, without importing socket (~3 ms of every start-up, issue 36)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _open_all(
    refs: Sequence[str], config: Config, progress: Progress
) -> tuple[list[OpenTarget], list[str]]:
    opened: list[OpenTarget] = []
    errors: list[str] = []
    for ref in refs:
        try:
            opened.append(
                open_target(
                    ref,
                    config.excludes,
                    config.platform,
                    config.verify,
                    config.max_inflated_bytes,
                    config.max_image_entries,
                    progress,
                )
            )
        except AuditorError as exc:
            errors.append(exc.message + (f" ({exc.hint})" if exc.hint else ""))
    return opened, errors


def open_target(
    ref: str,
    excludes: tuple[str, ...] = (),
    platform: str | None = None,
    verify: bool = True,
    max_inflated: int | None = None,
    max_entries: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> OpenTarget:
    """Detect a target's kind (or take it from a `kind:` prefix) and open its tree.

    `platform` picks one image of a multi-platform index; `verify` checks blob digests;
    `progress` hears an image's layers being read.
    """
    forced: TargetKind | None = None
    raw = ref
    prefix, sep, rest = ref.partition(":")
    if sep and prefix in PREFIXES and not os.path.exists(ref):
        forced = PREFIXES[prefix]
        if forced is None:
            raise TargetError(
                f"{ref}: '{prefix}:' targets are not supported by this version",
                hint="scan a directory, an environment or a lockfile",
            )
        if not rest and prefix not in DEFAULT_LOCATIONS:
            raise UsageError(
                f"'{ref}': a path must follow the prefix",
                hint=f"write {prefix}:PATH; only the cache prefixes (hf-cache:, modelscope:, "
                "ollama:, lmstudio:, llama-cpp:) alone mean a default cache",
            )
        raw = rest or _default_location(prefix)
    path = Path(raw).expanduser()
    if not path.exists():
        raise TargetError(f"{ref}: no such file or directory")
    if (what := special_kind(path.stat().st_mode)) is not None:
        raise TargetError(f"{ref}: {what}, not a file or directory; not read")
    if forced is TargetKind.IMAGE or (forced is None and _is_image(path)):
        from auditor.sources.image import ImageTree

        tree = ImageTree(ref, path, platform, verify, max_inflated, max_entries, progress)
        return OpenTarget(ref, TargetKind.IMAGE, path, tree, None)
    if forced is TargetKind.SBOM:
        return _open_sbom(ref, path)
    if path.is_file() or forced is TargetKind.LOCKFILE:
        return _open_file(ref, path)
    if not os.access(path, os.R_OK | os.X_OK):
        raise TargetError(f"{ref}: directory is not readable")
    kind = forced or _directory_kind(path)
    if kind is TargetKind.HF_CACHE and _is_repo_folder(path):
        return OpenTarget(ref, kind, path, _repo_folder_tree(ref, path, excludes), None)
    return OpenTarget(ref, kind, path, DirectoryTree(ref, path, excludes), None)


def _is_repo_folder(path: Path) -> bool:
    from auditor.collectors.hf_cache_files import repo_folder

    return repo_folder(path.name) is not None and (path / "snapshots").is_dir()


def _repo_folder_tree(ref: str, path: Path, excludes: tuple[str, ...]) -> DirectoryTree:
    """One `models--org--name` folder: its name says which repo it is, so the tree is rooted
    at its parent and lists only the folder's files."""
    files: list[str] = []
    for folder, dirs, names in os.walk(path):  # never follows directory links
        dirs.sort()
        rel = Path(folder).relative_to(path.parent).as_posix()
        files.extend(f"{rel}/{name}" for name in sorted(names))
    return DirectoryTree(ref, path.parent, excludes, only=tuple(files))


def _head(ref: str, path: Path) -> bytes:
    if not path.is_file():
        raise TargetError(f"{ref}: not a file")
    try:
        with path.open("rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise TargetError(f"{ref}: cannot read: {exc.strerror}") from None


def _open_sbom(ref: str, path: Path) -> OpenTarget:
    """`sbom:FILE`: a document one of the SBOM formats reads, by name or by content."""
    if sbom_parser_for(path.name, _head(ref, path)) is None:
        raise TargetError(
            f"{ref}: not an SBOM this version reads",
            hint="CycloneDX JSON or XML (1.4-1.7), SPDX, or syft's JSON",
        )
    tree = DirectoryTree(ref, path.parent, only=(path.name,))
    return OpenTarget(ref, TargetKind.SBOM, path, tree, path.name)


def _file_parser(target: OpenTarget, head: bytes) -> FileParser | None:
    if target.kind is TargetKind.SBOM and target.file is not None:
        return sbom_parser_for(target.file, head)
    return parser_for(target.file or target.path.name, head)


def _open_file(ref: str, path: Path) -> OpenTarget:
    head = _head(ref, path)
    if parser_for(path.name, head) is None and _is_weight_path(path.name):
        # A named weight file: the collectors see a tree holding only it (kind `file`).
        tree = DirectoryTree(ref, path.parent, only=(path.name,))
        return OpenTarget(ref, TargetKind.FILE, path, tree, None)
    if parser_for(path.name, head) is None:
        raise TargetError(
            f"{ref}: not a lockfile, environment or directory of any kind this version reads",
            hint="supported files: requirements*.txt, uv.lock; or prefix the path with "
            "'lockfile:' to force it",
        )
    tree = DirectoryTree(ref, path.parent, only=(path.name,))
    parser = parser_for(path.name, head)
    kind = TargetKind.SBOM if parser is not None and parser.sbom else TargetKind.LOCKFILE
    return OpenTarget(ref, kind, path, tree, path.name)


def _is_image(path: Path) -> bool:
    """`is_image`, imported only for what may be one: the layer readers (tarfile, zlib-ng,
    bz2, lzma) cost ~30 ms that no other kind needs."""
    try:
        if path.is_dir():
            if not (path / "oci-layout").is_file():
                return False
        else:
            with path.open("rb") as fh:
                if fh.read(512)[257:262] != b"ustar":  # not a tar: no image archive
                    return False
    except OSError:
        return False
    from auditor.sources.image_format import is_image

    return is_image(path)


def _is_weight_path(name: str) -> bool:
    from auditor.weights.inspect import is_weight_path  # the weights readers: only here

    return is_weight_path(name)


def _directory_kind(path: Path) -> TargetKind:
    if _is_environment(path):
        return TargetKind.ENVIRONMENT
    if is_hf_cache(path) or _is_repo_folder(path):
        return TargetKind.HF_CACHE
    return TargetKind.DIRECTORY


def is_hf_cache(path: Path) -> bool:
    """A folder huggingface_hub caches into: it holds `models--…`-style repo folders."""
    from auditor.collectors.hf_cache_files import repo_folder

    try:
        with os.scandir(path) as it:
            return any(
                e.is_dir(follow_symlinks=False)
                and repo_folder(e.name) is not None
                and os.path.isdir(os.path.join(e.path, "snapshots"))
                for e in it
            )
    except OSError:
        return False


def _default_location(prefix: str) -> str:
    """`hf-cache:` / `modelscope:` / `ollama:` alone: the cache the environment points at."""
    environ = os.environ
    if prefix == "ollama":
        return _ollama_location(environ)
    if prefix == "lmstudio":  # LM Studio's folder, else its older one
        lms = os.path.expanduser("~/.lmstudio/models")
        return lms if os.path.isdir(lms) else "~/.cache/lm-studio/models"
    if prefix == "llama-cpp":  # llama.cpp common.cpp fs_get_cache_directory()
        if llama := environ.get("LLAMA_CACHE"):
            return llama
        if sys.platform == "darwin":
            return "~/Library/Caches/llama.cpp"
        return os.path.join(environ.get("XDG_CACHE_HOME") or "~/.cache", "llama.cpp")
    if prefix == "modelscope":
        # modelscope's get_modelscope_cache_dir(): MODELSCOPE_CACHE, else ~/.cache/modelscope/hub
        return environ.get("MODELSCOPE_CACHE") or "~/.cache/modelscope/hub"
    # huggingface_hub.constants reads these once at import; read them now, in its order.
    if found := environ.get("HF_HUB_CACHE") or environ.get("HUGGINGFACE_HUB_CACHE"):
        return found
    if home := environ.get("HF_HOME"):
        return os.path.join(home, "hub")
    if xdg := environ.get("XDG_CACHE_HOME"):
        return os.path.join(xdg, "huggingface", "hub")
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


OLLAMA_STORES = ("~/.ollama/models", "/usr/share/ollama/.ollama/models", "/root/.ollama/models")
"""Ollama's envconfig/config.go `Models()` default, then the Linux service's home
(docs/linux.mdx `useradd -d /usr/share/ollama`, docs/faq.mdx) and the official image's
volume (docs/docker.mdx `-v ollama:/root/.ollama`)."""


def _ollama_location(environ: os._Environ[str]) -> str:
    """`OLLAMA_MODELS` (envconfig `Models()`), else the first of OLLAMA_STORES that exists."""
    if found := environ.get("OLLAMA_MODELS"):
        return found
    for place in OLLAMA_STORES:
        if os.path.isdir(os.path.expanduser(place)):
            return place
    return OLLAMA_STORES[0]


def _is_environment(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or path.name in ("site-packages", "dist-packages")


def _collect(target: OpenTarget, context: CollectContext, progress: Progress) -> Collected:
    if target.kind is TargetKind.IMAGE:
        return _collect_image(cast("ImageTree", target.tree), target.path, context, progress)
    if target.file is None:
        with progress.stage(f"walking {target.ref}", unit="files") as stage:
            target.tree.index(stage)
        found = _collect_all(target.tree, context, progress)
        return replace(found, diagnostics=found.diagnostics + _skipped(target.tree))
    with target.path.open("rb") as fh:  # not the whole of a large SBOM: its start
        head = fh.read(SNIFF_BYTES)
    parser = _file_parser(target, head)
    assert parser is not None  # checked when the target was opened
    return parser.parse(target.tree, target.file)


def _skipped(tree: Tree) -> tuple[Diagnostic, ...]:
    """The special files (FIFOs, sockets, devices) a folder walk met and did not open."""
    skipped = tree.skipped if isinstance(tree, DirectoryTree) else {}
    return tuple(
        Diagnostic(path, f"{what}, not a regular file; skipped (never opened)")
        for path, what in sorted(skipped.items())
    )


def _collect_all(tree: Tree, context: CollectContext, progress: Progress) -> Collected:
    """Every collector that has a file to read in `tree` (the others are never imported)."""
    collectors = collectors_for(tree.index())
    parts = []
    with progress.stage(f"reading {tree.ref}", len(collectors), "readers") as stage:
        for collector in collectors:
            parts.append(collector.collect(tree, context))
            stage.advance()
    return Collected.merge(parts)


def _collect_image(
    tree: ImageTree, path: Path, context: CollectContext, progress: Progress
) -> Collected:
    """What the collectors find in the merged view, each tagged with its layer, plus the
    image itself (with the signatures and attestations stored beside it), its digest
    findings and the layers' diagnostics."""
    found = _collect_all(tree, context, progress)
    signed = _image_signatures(tree, path, context)
    image = replace(tree.component, evidence=tree.component.evidence + signed.evidence)
    return Collected(
        components=(image, *(tree.attribute(c) for c in found.components)),
        dependencies=found.dependencies,
        findings=(*tree.findings, *signed.findings, *found.findings),
        diagnostics=(*tree.diagnostics, *signed.diagnostics, *found.diagnostics),
    )


@dataclass(frozen=True, slots=True)
class _Signed:
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def _image_signatures(tree: ImageTree, path: Path, context: CollectContext) -> _Signed:
    """cosign signatures and attestations an OCI layout folder keeps next to the image
    (`sha256-<digest>.sig`/`.att` tags, OCI 1.1 referrers). Archives keep none."""
    if tree.source.format != "oci-layout" or not path.is_dir():
        return _Signed()
    from auditor.signatures.image import image_signature_evidence

    try:
        evidence, findings = image_signature_evidence(
            path, tree.source.digest, tree.purl, context.signatures
        )
    except ParseError as exc:
        return _Signed(diagnostics=(Diagnostic(exc.path, exc.reason),))
    return _Signed(evidence, findings)


def _target(target: OpenTarget) -> Target:
    digests = target.tree.read_digests
    # A single file's digest is that file's sha256, so users can check it with sha256sum.
    digest = f"sha256:{next(iter(digests.values()))}" if len(digests) == 1 else target.tree.digest()
    if target.kind is TargetKind.IMAGE:
        digest = target.tree.digest()
    identity = f"{target.kind.value}:{target.path.resolve().as_posix()}"
    return Target(target.ref, target.kind, identity, digest)


def merge_components(found: Iterable[Component]) -> tuple[Component, ...]:
    """One component per purl, sorted by purl: locations, hashes and evidence united."""
    merged: dict[str, Component] = {}
    for c in found:
        seen = merged.get(c.purl)
        if seen is None:
            merged[c.purl] = c
            continue
        merged[c.purl] = replace(
            seen,
            hashes=tuple(sorted(set(seen.hashes) | set(c.hashes))),
            files=_merged_files(seen.files, c.files),
            locations=tuple(dict.fromkeys(seen.locations + c.locations)),
            evidence=tuple(dict.fromkeys(seen.evidence + c.evidence)),
            license=seen.license or c.license,
            direct=_either_direct(seen.direct, c.direct),
        )
    return tuple(merged[purl] for purl in sorted(merged))


def _merged_files(
    first: tuple[ComponentFile, ...], other: tuple[ComponentFile, ...]
) -> tuple[ComponentFile, ...]:
    """The first reader's files, plus the paths only the other one lists (a cache reader
    knows more of a file than a folder reader does; two lockfiles may pin other files)."""
    if not other:
        return first
    paths = {f.path for f in first}
    return tuple(sorted(first + tuple(f for f in other if f.path not in paths), key=_path))


def _path(f: ComponentFile) -> str:
    return f.path


def _either_direct(a: bool | None, b: bool | None) -> bool | None:
    if a or b:
        return True
    return None if a is None or b is None else False


def _resolve(
    components: tuple[Component, ...],
    config: Config,
    cache: HttpCache | None,
    progress: Progress,
) -> tuple[
    tuple[Origin, ...],
    tuple[Finding, ...],
    tuple[Dependency, ...],
    tuple[Diagnostic, ...],
    tuple[KnownFile, ...],
]:
    """Origins, findings, lineage edges, unreachable endpoints and the file digests the
    registries listed (for the hash index)."""
    if config.no_resolve:  # no HTTP machinery to import for an inventory
        from auditor.purls import SBOM_ONLY_REASON, is_sbom_only

        skipped = tuple(
            local_origin(
                c,
                OriginStatus.SKIPPED,
                SBOM_ONLY_REASON if is_sbom_only(c.purl) else "--no-resolve",
            )
            for c in components
        )
        return skipped, (), (), (), ()
    from auditor.resolution import resolve_components

    with progress.stage("resolving origins", len(components), "components") as stage:
        resolved = resolve_components(
            components, config, cache, lambda _done, _all: stage.advance()
        )
    return (resolved.origins, resolved.findings, resolved.dependencies, resolved.diagnostics,
            resolved.known_files)  # fmt: skip
