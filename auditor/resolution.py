"""The resolution engine: every component to its registry's resolver, concurrently.

Registry trouble never stops a scan: FetchError becomes `unreachable` with the reason,
NotCached (offline) becomes `skipped`. Each URL is fetched once per scan (Http's memo) and
answers are kept in the store's cache for the next scan and for `--offline`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from auditor import endpoints as registry
from auditor import purls
from auditor.attribution import attribute, attribute_with_findings
from auditor.attribution.siblings import link_siblings
from auditor.config import Config
from auditor.errors import Diagnostic
from auditor.hashing import KnownFile
from auditor.http import FetchError, Http, HttpCache, HttpSettings, NotCached
from auditor.model import Component, ComponentKind, Dependency, Finding, Origin, OriginStatus
from auditor.resolvers import RESOLVERS, Resolution, Resolver, depsdev, source_hosts
from auditor.resolvers.depsdev import DepsDevResolver
from auditor.resolvers.github import GitHubResolver
from auditor.resolvers.gitlab import GitLabResolver
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import KnowledgeBase
from auditor.resolvers.publishers import load as load_publishers

Progress = Callable[[int, int], None]
"""Called with (done, total) as components are resolved."""


def ecosystem(component: Component) -> str:
    """The purl type: `pypi` for `pkg:pypi/…`; `ai-service` for a hosted AI service (a
    generic purl, answered from data by auditor/resolvers/ai_service.py)."""
    if component.kind is ComponentKind.SERVICE:
        return "ai-service"
    return component.purl[4:].partition("/")[0]


def _unresolved(component: Component) -> str:
    """Why a component is not resolved with `--no-resolve`: an SBOM-only one never is."""
    return purls.SBOM_ONLY_REASON if purls.is_sbom_only(component.purl) else "--no-resolve"


def endpoints(config: Config, needed: set[str]) -> dict[str, registry.Endpoint]:
    """Base URL per registry role, looked up only for the roles this scan needs."""
    found: dict[str, registry.Endpoint] = {}
    if "pypi" in needed:
        found["pypi"] = registry.pypi(config.pypi_url, os.environ)
    if "npm" in needed:
        for scoped in registry.npm_scopes(os.environ, config.npm_project).values():
            found[scoped.role] = scoped
        found["npm"] = registry.npm(config.npm_registry, os.environ, config.npm_project)
    if needed & {"npm", "pypi", "githubactions"} and (hub := registry.github(os.environ)):
        found["github"] = hub
    if needed & {"npm", "pypi"} and (lab := registry.gitlab(os.environ)) is not None:
        found["gitlab"] = lab
    if config.deps_dev:
        found["depsdev"] = registry.depsdev(os.environ)
    if "huggingface" in needed:
        found["huggingface"] = registry.huggingface(os.environ)
    return found


def _request_headers(needed: set[str]) -> dict[str, dict[str, str]]:
    """GITHUB_TOKEN / GITLAB_TOKEN, when set, authenticate requests to those hosts (higher
    rate limits), and the Hub token (HF_TOKEN or huggingface_hub's token file) requests to
    the Hub; read here, handed to Http, and never logged, cached or stored."""
    headers: dict[str, dict[str, str]] = {}
    if token := os.environ.get("GITHUB_TOKEN", "").strip():
        headers["github"] = {"Authorization": f"Bearer {token}"}
    if token := os.environ.get("GITLAB_TOKEN", "").strip():
        headers["gitlab"] = {"PRIVATE-TOKEN": token}
    if "huggingface" in needed and (hub_token := registry.huggingface_token(os.environ)):
        headers["huggingface"] = {"Authorization": f"Bearer {hub_token}"}
    return headers


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything resolution adds to a scan."""

    origins: tuple[Origin, ...]
    findings: tuple[Finding, ...]
    dependencies: tuple[Dependency, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    """One per endpoint given up on this scan (every lookup there is `unreachable`)."""
    known_files: tuple[KnownFile, ...] = ()
    """File digests the registries' answers listed (auditor.known_files keeps them)."""


def resolve_all(
    components: Sequence[Component],
    config: Config,
    cache: HttpCache | None = None,
    progress: Progress | None = None,
) -> tuple[tuple[Origin, ...], tuple[Finding, ...]]:
    """Origins in component order, and the findings resolvers made."""
    resolved = resolve_components(components, config, cache, progress)
    return resolved.origins, resolved.findings


def resolve_components(
    components: Sequence[Component],
    config: Config,
    cache: HttpCache | None = None,
    progress: Progress | None = None,
) -> Resolved:
    """Origins in component order, the findings resolvers made, and the edges they found."""
    kb = load_publishers()
    if config.no_resolve:
        skipped = (local_origin(c, OriginStatus.SKIPPED, _unresolved(c)) for c in components)
        return Resolved(
            tuple(attribute(c, o, kb) for c, o in zip(components, skipped, strict=True)), ()
        )
    needed = {ecosystem(c) for c in components}
    found = endpoints(config, needed)
    bases = {role: e.url for role, e in found.items()}
    settings = config.http or HttpSettings()
    # `--concurrency` bounds the requests in flight to each host; components are resolved by
    # twice as many workers, because a worker waiting on an answer another one asked for (a
    # shared base model, a packument) holds no request slot and would leave it idle.
    settings = replace(
        settings, offline=config.offline, per_host=min(settings.per_host, config.concurrency)
    )
    http = Http(bases, cache, settings, headers=_request_headers(needed))
    trust = config.signatures.trust_config
    resolvers: dict[str, Resolver] = {
        eco: cls(http, trust) for cls in RESOLVERS for eco in cls.ecosystems if eco in needed
    }
    hosts = (
        source_hosts.Host(
            "github.com", GitHubResolver(http) if "github" in found else None, registry.GITHUB_ENV
        ),
        source_hosts.Host(
            "gitlab.com", GitLabResolver(http) if "gitlab" in found else None, registry.GITLAB_ENV
        ),
    )
    second = DepsDevResolver(http) if "depsdev" in found else None
    http.prefetch(
        request
        for c in components
        if (resolver := resolvers.get(ecosystem(c))) is not None
        for request in resolver.first_requests(c)
    )
    done = 0

    def _resolve(component: Component) -> Resolution:
        if purls.is_sbom_only(component.purl):  # nothing to look up: kept as the SBOM says
            return Resolution(local_origin(component, OriginStatus.SKIPPED, purls.SBOM_ONLY_REASON))
        resolver = resolvers.get(ecosystem(component))
        if resolver is None:
            reason = f"no registry resolver for {ecosystem(component)} components in this version"
            return Resolution(local_origin(component, OriginStatus.SKIPPED, reason))
        try:
            return resolver.resolve(component)
        except FetchError as exc:
            return Resolution(local_origin(component, OriginStatus.UNREACHABLE, exc.reason))
        except NotCached:
            reason = "offline, and no cached answer"
            return Resolution(local_origin(component, OriginStatus.SKIPPED, reason))

    _few_malloc_arenas()
    primary: list[Resolution] = []
    # Offline every answer is local: threads would only take turns holding the interpreter.
    workers = 1 if config.offline else 2 * max(1, config.concurrency)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(_resolve, components):
            primary.append(result)
            done += 1
            if progress is not None:
                progress(done, len(components))
        # Enrichment is a second pass, so that its cached answers (source hosts, deps.dev)
        # load in one batch too, now that every repository is known.
        http.prefetch(
            request
            for resolution, component in zip(primary, components, strict=True)
            for request in _enrichment_requests(resolution.origin, component, hosts, second)
        )
        pairs = zip(primary, components, strict=True)
        looks_up = second is not None or any(h.resolver is not None for h in hosts)
        results = list(  # without a lookup to make, enrichment is too cheap for threads
            (pool.map if looks_up else map)(lambda p: _enriched(p[0], p[1], hosts, second), pairs)
        )
    # Attribution last: it weighs every account the registry and the source host named.
    results = [_attributed(r, c, kb) for r, c in zip(results, components, strict=True)]
    linked = link_siblings(components, [r.origin for r in results])
    results = [replace(r, origin=o) for r, o in zip(results, linked, strict=True)]
    if cache is not None:
        cache.flush()
    return Resolved(
        tuple(r.origin for r in results),
        tuple(f for r in results for f in r.findings),
        tuple(dict.fromkeys(d for r in results for d in r.dependencies)),
        unreachable_endpoints(http),
        tuple(dict.fromkeys(f for r in results for f in r.known_files)),
    )


def _attributed(resolution: Resolution, component: Component, kb: KnowledgeBase) -> Resolution:
    origin, found = attribute_with_findings(component, resolution.origin, kb)
    return replace(resolution, origin=origin, findings=resolution.findings + found)


def unreachable_endpoints(http: Http) -> tuple[Diagnostic, ...]:
    """Each endpoint the scan stopped trying, once (its lookups carry the same reason)."""
    reasons = dict.fromkeys(http.breaker.dead_hosts().values())
    return tuple(Diagnostic(reason.partition(" ")[0], reason) for reason in reasons)


def _few_malloc_arenas() -> None:
    """Ask glibc for at most two malloc arenas before the resolver threads start.

    Each thread otherwise gets an arena of its own (up to eight per core), and every arena
    keeps the high-water mark of the response bodies its thread read: with 32 workers that
    doubled a scan's peak memory (185 MB against 95 MB for 60 packages whose project
    documents run to megabytes). This is what MALLOC_ARENA_MAX=2 does; elsewhere, nothing.
    """
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX, malloc.h
    except (OSError, AttributeError):
        return


def _enriched(
    resolution: Resolution,
    component: Component,
    hosts: tuple[source_hosts.Host, ...],
    second: DepsDevResolver | None,
) -> Resolution:
    """The source host's facts about the repository, then deps.dev's second opinion."""
    origin = source_hosts.enrich(resolution.origin, hosts)
    findings = resolution.findings
    if second is not None:
        origin, extra = depsdev.second_opinion(origin, second, component)
        findings += extra
    return replace(resolution, origin=origin, findings=findings)


def _enrichment_requests(
    origin: Origin,
    component: Component,
    hosts: tuple[source_hosts.Host, ...],
    second: DepsDevResolver | None,
) -> list[tuple[str, str]]:
    """(role, path) requests enrichment will make first for one origin (a cache hint)."""
    found: list[tuple[str, str]] = []
    if origin.status is not OriginStatus.RESOLVED:
        return found
    if origin.repository is not None:
        found += source_hosts.first_requests(origin.repository.value, hosts)
    if second is not None:
        found += second.first_requests(component)
    return found
