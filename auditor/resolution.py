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
from auditor.attribution import attribute
from auditor.config import Config
from auditor.http import FetchError, Http, HttpCache, HttpSettings, NotCached
from auditor.model import Component, Dependency, Finding, Origin, OriginStatus
from auditor.resolvers import RESOLVERS, Resolution, Resolver
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import load as load_publishers

Progress = Callable[[int, int], None]
"""Called with (done, total) as components are resolved."""


def ecosystem(component: Component) -> str:
    """The purl type: `pypi` for `pkg:pypi/…`."""
    return component.purl[4:].partition("/")[0]


def endpoints(config: Config, needed: set[str]) -> dict[str, registry.Endpoint]:
    """Base URL per registry role, looked up only for the roles this scan needs."""
    found: dict[str, registry.Endpoint] = {}
    if "pypi" in needed:
        found["pypi"] = registry.pypi(config.pypi_url, os.environ)
    if "huggingface" in needed:
        found["huggingface"] = registry.huggingface(os.environ)
    return found


def role_headers(needed: set[str]) -> dict[str, dict[str, str]]:
    """Credentials per role, from the clients' own configuration (never stored)."""
    headers: dict[str, dict[str, str]] = {}
    if "huggingface" in needed and (token := registry.huggingface_token(os.environ)):
        headers["huggingface"] = {"Authorization": f"Bearer {token}"}
    return headers


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything resolution adds to a scan."""

    origins: tuple[Origin, ...]
    findings: tuple[Finding, ...]
    dependencies: tuple[Dependency, ...] = ()


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
        skipped = (local_origin(c, OriginStatus.SKIPPED, "--no-resolve") for c in components)
        return Resolved(
            tuple(attribute(c, o, kb) for c, o in zip(components, skipped, strict=True)), ()
        )
    needed = {ecosystem(c) for c in components}
    bases = {role: e.url for role, e in endpoints(config, needed).items()}
    http = Http(
        bases,
        cache,
        replace(config.http or HttpSettings(), offline=config.offline),
        headers=role_headers(needed),
    )
    resolvers: dict[str, Resolver] = {
        eco: cls(http) for cls in RESOLVERS for eco in cls.ecosystems if eco in needed
    }
    http.prefetch(
        request
        for c in components
        if (resolver := resolvers.get(ecosystem(c))) is not None
        for request in resolver.first_requests(c)
    )
    done = 0

    def one(component: Component) -> Resolution:
        found = _resolve(component)
        return replace(found, origin=attribute(component, found.origin, kb))

    def _resolve(component: Component) -> Resolution:
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

    results: list[Resolution] = []
    with ThreadPoolExecutor(max_workers=max(1, config.concurrency)) as pool:
        for result in pool.map(one, components):
            results.append(result)
            done += 1
            if progress is not None:
                progress(done, len(components))
    if cache is not None:
        cache.flush()
    return Resolved(
        tuple(r.origin for r in results),
        tuple(f for r in results for f in r.findings),
        tuple(dict.fromkeys(d for r in results for d in r.dependencies)),
    )
