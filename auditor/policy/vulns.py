"""Known vulnerabilities from OSV, kept in the store's HTTP cache for `--offline` and snapshots.

PyPI goes through pip-audit's `OsvService` (its parsing of OSV records: withdrawn entries,
fixed versions); npm, Debian, Alpine and RPM go through the same query API with http.py:
one `POST /v1/querybatch` for every component not cached, then `GET /v1/vulns/<id>` for
each advisory. The endpoint is AUDITOR_OSV_URL, else pip-audit's own default.

Each component's answer is cached under `osv:/v1/query#<ecosystem>/<name>@<version>`, so an
exported snapshot carries it to an air-gapped machine. A lookup that fails is a Diagnostic
(the scan is `partial`); offline without a cached answer, the component is not checked
and one Diagnostic says how many were not.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from auditor.config import Config
from auditor.errors import Diagnostic
from auditor.http import CachedResponse, FetchError, Http, HttpCache, HttpSettings, NotCached
from auditor.model import Component, Evidence, Finding, Severity, Strength
from auditor.policy.builtin import finding

OSV_ENV = "AUDITOR_OSV_URL"
RULE = "vulnerability.osv"
BATCH = 1000
"""OSV's limit on queries in one querybatch."""
RPM_ECOSYSTEMS = {
    "redhat": "Red Hat",
    "almalinux": "AlmaLinux",
    "rocky": "Rocky Linux",
    "opensuse": "openSUSE",
    "suse": "SUSE",
}
GHSA_SEVERITY = {"LOW": "low", "MODERATE": "medium", "HIGH": "high", "CRITICAL": "critical"}


@dataclass(frozen=True, slots=True)
class Advisory:
    """One vulnerability affecting one component."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]
    severity: str | None = None
    """GitHub's `database_specific.severity` mapped to ours, when the record has it."""

    def as_json(self) -> dict[str, Any]:
        """What the cache keeps."""
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "fixed": list(self.fixed),
            "severity": self.severity,
        }


def osv_base(environ: Mapping[str, str]) -> str:
    """The OSV API base URL: AUDITOR_OSV_URL, else pip-audit's default endpoint."""
    configured = environ.get(OSV_ENV)
    if configured:
        return configured.rstrip("/")
    from pip_audit._service.osv import OsvService

    default: str = OsvService.DEFAULT_OSV_URL
    return default.removesuffix("/query").removesuffix("/v1")


def query_of(component: Component) -> tuple[str, str, str] | None:
    """(OSV ecosystem, package name, version) for a component OSV can answer for."""
    if component.version is None:
        return None
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    distro = str(qualifiers.get("distro") or "")
    if purl.type == "pypi":
        return "PyPI", purl.name, component.version
    if purl.type == "npm":
        name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
        return "npm", name, component.version
    if purl.type == "deb" and (purl.namespace or "").lower() == "debian":
        release = distro.removeprefix("debian-").split(".")[0]
        return ("Debian:" + release if release else "Debian"), purl.name, component.version
    if purl.type == "apk" and (purl.namespace or "").lower() == "alpine":
        release = ".".join(distro.removeprefix("alpine-").split(".")[:2])
        eco = f"Alpine:v{release}" if release else "Alpine"
        return eco, purl.name, component.version
    if purl.type == "rpm":
        rpm = RPM_ECOSYSTEMS.get((purl.namespace or "").lower())
        return (rpm, purl.name, component.version) if rpm else None
    return None


def cache_key(eco: str, name: str, version: str) -> str:
    """Where one component's answer is kept."""
    return f"osv:/v1/query#{eco}/{name}@{version}"


def lookup(
    components: Sequence[Component], config: Config, cache: HttpCache | None
) -> tuple[tuple[Finding, ...], tuple[Diagnostic, ...]]:
    """Findings for every known vulnerability, and the problems met on the way."""
    settings = replace(config.http or HttpSettings(), offline=config.offline)
    base = osv_base(os.environ)
    queries = {c.purl: q for c in components if (q := query_of(c)) is not None}
    answers: dict[str, tuple[Advisory, ...]] = {}
    missing: list[str] = []
    now = datetime.now(UTC)
    for purl, q in queries.items():
        kept = cache.get(cache_key(*q)) if cache is not None else None
        if kept is not None and (settings.offline or now - kept.fetched_at < settings.ttl):
            answers[purl] = _decode(kept.body)
        else:
            missing.append(purl)
    problems: list[Diagnostic] = []
    if missing and settings.offline:
        problems.append(
            Diagnostic(
                "osv",
                f"{len(missing)} components not checked for vulnerabilities: "
                "offline, and no cached answer",
            )
        )
        missing = []
    fresh: dict[str, tuple[Advisory, ...]] = {}
    pypi = [p for p in missing if queries[p][0] == "PyPI"]
    others = [p for p in missing if queries[p][0] != "PyPI"]
    fresh.update(_pypi(pypi, queries, base, settings, config.concurrency, problems))
    http = Http({"osv": base}, cache, settings)
    fresh.update(_batch(others, queries, http, problems))
    if cache is not None:
        for purl, advisories in fresh.items():
            body = json.dumps({"vulns": [a.as_json() for a in advisories]}).encode()
            cache.put(cache_key(*queries[purl]), CachedResponse(200, body, datetime.now(UTC)))
        cache.flush()
    answers.update(fresh)
    findings = tuple(
        _finding(purl, queries[purl], advisory)
        for purl in sorted(answers)
        for advisory in answers[purl]
    )
    return findings, tuple(problems)


def _decode(body: bytes) -> tuple[Advisory, ...]:
    try:
        doc = json.loads(body)
        return tuple(
            Advisory(
                str(v["id"]),
                tuple(v.get("aliases", ())),
                str(v.get("summary", "")),
                tuple(v.get("fixed", ())),
                v.get("severity"),
            )
            for v in doc.get("vulns", ())
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return ()


def _finding(purl: str, query: tuple[str, str, str], advisory: Advisory) -> Finding:
    aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
    fixed = f"; fixed in {', '.join(advisory.fixed)}" if advisory.fixed else "; no fixed version"
    made = finding(
        RULE,
        purl,
        f"{advisory.id}{aliases}: {advisory.summary or 'no summary'}{fixed}",
        (Evidence("osv", "id", advisory.id, f"osv:/v1/vulns/{advisory.id}", Strength.REGISTRY),),
    )
    if advisory.severity in {s.value for s in Severity}:
        made = replace(made, severity=Severity(advisory.severity))
    return made


def _pypi(
    purls: list[str],
    queries: dict[str, tuple[str, str, str]],
    base: str,
    settings: HttpSettings,
    concurrency: int,
    problems: list[Diagnostic],
) -> dict[str, tuple[Advisory, ...]]:
    """pip-audit's OsvService, one query per release, a service per thread."""
    if not purls:
        return {}
    import tempfile
    from pathlib import Path

    import requests
    from packaging.version import InvalidVersion, Version
    from pip_audit._service.interface import ResolvedDependency, ServiceError
    from pip_audit._service.osv import OsvService

    local = threading.local()
    out: dict[str, tuple[Advisory, ...]] = {}
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="auditor-osv-") as scratch:

        def one(purl: str) -> None:
            service = getattr(local, "service", None)
            if service is None:
                service = local.service = OsvService(
                    cache_dir=Path(scratch),
                    timeout=int(settings.read_timeout),
                    osv_url=f"{base}/v1/query",
                )
            _, name, version = queries[purl]
            try:
                _, results = service.query(ResolvedDependency(name=name, version=Version(version)))
            except InvalidVersion:
                return
            except (
                ServiceError,
                requests.RequestException,
                ValueError,
                KeyError,
                TypeError,
            ) as exc:
                with lock:
                    problems.append(
                        Diagnostic(
                            purl,
                            f"vulnerabilities not checked: OSV query failed ({type(exc).__name__})",
                        )
                    )
                return
            found = tuple(
                Advisory(
                    r.id,
                    tuple(sorted(r.aliases)),
                    r.description,
                    tuple(str(v) for v in r.fix_versions),
                )
                for r in results
            )
            with lock:
                out[purl] = found

        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 8))) as pool:
            list(pool.map(one, purls))
    return out


def _batch(
    purls: list[str],
    queries: dict[str, tuple[str, str, str]],
    http: Http,
    problems: list[Diagnostic],
) -> dict[str, tuple[Advisory, ...]]:
    """querybatch for the ids, then each advisory's record (cached by Http)."""
    out: dict[str, tuple[Advisory, ...]] = {}
    for start in range(0, len(purls), BATCH):
        chunk = purls[start : start + BATCH]
        payload = {
            "queries": [
                {
                    "package": {"ecosystem": queries[p][0], "name": queries[p][1]},
                    "version": queries[p][2],
                }
                for p in chunk
            ]
        }
        try:
            reply = http.post("osv", "/v1/querybatch", json.dumps(payload).encode()).json()
            results = reply["results"]
            if not isinstance(results, list) or len(results) != len(chunk):
                raise FetchError("osv:/v1/querybatch", "answer does not match the queries")
        except (FetchError, NotCached, KeyError, TypeError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else type(exc).__name__
            problems.append(
                Diagnostic(
                    "osv:/v1/querybatch",
                    f"{len(chunk)} components not checked for vulnerabilities: {reason}",
                )
            )
            continue
        for purl, result in zip(chunk, results, strict=True):
            ids = [
                str(v["id"])
                for v in (result or {}).get("vulns", [])
                if isinstance(v, dict) and "id" in v
            ]
            try:
                out[purl] = tuple(
                    a for i in ids if (a := _record(http, i, queries[purl])) is not None
                )
            except (FetchError, NotCached) as exc:
                reason = exc.reason if isinstance(exc, FetchError) else "offline"
                problems.append(Diagnostic(purl, f"vulnerability records not read: {reason}"))
    return out


def _record(http: Http, vuln_id: str, query: tuple[str, str, str]) -> Advisory | None:
    """One OSV record as an Advisory; None when it is withdrawn."""
    response = http.get("osv", f"/v1/vulns/{vuln_id}")
    if not response.ok:
        raise FetchError(response.key, f"HTTP {response.status}")
    doc = response.json()
    if not isinstance(doc, dict) or doc.get("withdrawn"):
        return None
    fixed: list[str] = []
    for affected in doc.get("affected", []) or []:
        package = affected.get("package", {}) if isinstance(affected, dict) else {}
        if package.get("name") != query[1]:
            continue
        for r in affected.get("ranges", []) or []:
            fixed.extend(str(e["fixed"]) for e in r.get("events", []) if "fixed" in e)
    specific = doc.get("database_specific") or {}
    severity = (
        GHSA_SEVERITY.get(str(specific.get("severity", "")).upper())
        if isinstance(specific, dict)
        else None
    )
    summary = str(doc.get("summary") or doc.get("details") or "").replace("\n", " ")
    return Advisory(
        str(doc.get("id", vuln_id)),
        tuple(str(a) for a in doc.get("aliases", []) or []),
        summary[:300],
        tuple(dict.fromkeys(fixed)),
        severity,
    )
