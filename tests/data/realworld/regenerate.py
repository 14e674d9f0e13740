"""Record the registry answers the real-world evaluation replays (issue 24).

Run with the project venv, online: `.venv/bin/python tests/data/realworld/regenerate.py`.

1. Inventory: `auditor scan --no-resolve` of `lockfiles/` (the real lockfiles of public
   projects, see README.md) lists every PyPI and npm package they lock. Only those
   packages are asked for: one request each, no crawling.
2. PyPI: the project document (`/pypi/<name>/json`) from pip's configured default index
   (read from pip, never spelled here), trimmed to the locked versions' `releases`, with an
   empty `description`; written to `pypi/<name>.json`.
3. npm: the version document (`/<name>/<version>`) from npm's configured registry (`npm
   config get registry`), which carries the same per-version fields as the packument's
   `versions.<v>` (`_npmUser`, `maintainers`, `author`, `repository`, `homepage`, `dist`),
   folded into the packument layout of npm/registry docs/responses/package-metadata.md
   (`name`, `dist-tags`, `versions`, `maintainers`); `time` is not part of a version
   document and is left out. Written to `npm/<name>.json` (a scope's `/` as `__`).

Registry hosts are rewritten to `registry.invalid` / `files.registry.invalid` (PyPI) and
`registry.npm.invalid` (npm) before anything is written, in the lockfiles too (their
`resolved` URLs and `source` tables), and so is the npm operator's own domain.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent


SETS = ("lockfiles", "heldout")
"""The evaluated lockfiles, and the held-out ones (scored, never tuned on)."""


def inventory() -> dict[str, dict[str, set[str]]]:
    """{ecosystem: {name: {versions}}} of every package the lockfiles lock."""
    out = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", *(str(HERE / d) for d in SETS),
         "--no-resolve", "--no-store", "-f", "json"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )  # fmt: skip
    found: dict[str, dict[str, set[str]]] = {"pypi": {}, "npm": {}}
    for component in json.loads(out.stdout)["components"]:
        ecosystem = component["purl"][4:].partition("/")[0]
        if ecosystem in found:
            name = component["name"]
            if ecosystem == "pypi":  # one document per project, however a lockfile spells it
                name = canonicalize_name(name)
            versions = found[ecosystem].setdefault(name, set())
            if component.get("version"):
                versions.add(component["version"])
    return found


def file_name(name: str) -> str:
    return name.replace("/", "__") + ".json"


def rewrite(text: str, hosts: dict[str, str], exact: frozenset[str] = frozenset()) -> str:
    """Every URL on a registry host (or a subdomain of its domain) onto `.invalid`, and the
    bare domain wherever else it appears (an address at the registry operator's domain)."""
    for host, replacement in hosts.items():
        # The registry's whole domain, except for a host inside someone else's domain
        # (`exact`: the index's legacy host under its language's site): that host alone.
        domain = host if host in exact else ".".join(host.split(".")[-2:])
        text = re.sub(rf"https?://([a-z0-9.-]*\.)?{re.escape(domain)}\b", replacement, text)
        bare = replacement.removeprefix("https://")
        text = re.sub(rf"\b([a-z0-9-]+\.)*{re.escape(domain)}\b", bare, text)
    return text


def legacy_hosts() -> frozenset[str]:
    """Registry hosts inside a domain that is not the registry's."""
    from pip._internal.models.index import PyPI

    return frozenset({f"{(urlsplit(PyPI.url).hostname or '').split('.')[0]}.python.org"})


def pypi_hosts() -> dict[str, str]:
    """pip's default index host, its file host and the index's legacy host, onto `.invalid`."""
    from pip._internal.models.index import PyPI

    index = urlsplit(PyPI.url).hostname or ""
    legacy = f"{index.split('.')[0]}.python.org"  # its name before it had its own domain
    return {index: "https://registry.invalid", PyPI.file_storage_domain:
            "https://files.registry.invalid", legacy: "https://registry.invalid"}  # fmt: skip


def npm_hosts() -> dict[str, str]:
    """npm's configured registry host (and its operator's .com site), onto `.invalid`."""
    base = subprocess.run(["npm", "config", "get", "registry"], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    host = urlsplit(base).hostname or ""
    site = host.rsplit(".", 1)[0] + ".com"
    return {host: "https://registry.npm.invalid", site: "https://npm.invalid"}


def scrub_lockfiles() -> None:
    """The lockfiles as fetched name registry hosts (`resolved`, `source`): rewrite them."""
    hosts = {**pypi_hosts(), **npm_hosts()}
    for path in sorted(p for d in SETS for p in (HERE / d).rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            clean = rewrite(text, hosts, legacy_hosts())
            if clean != text:
                path.write_text(clean, encoding="utf-8")


def record_pypi(names: dict[str, set[str]]) -> None:
    import requests
    from pip._internal.models.index import PyPI

    base = PyPI.url.rstrip("/")
    target = HERE / "pypi"
    target.mkdir(exist_ok=True)
    hosts = pypi_hosts()

    def one(item: tuple[str, set[str]]) -> str:
        name, versions = item
        reply = requests.get(f"{base}/pypi/{quote(name)}/json", timeout=60,
                             headers={"Accept": "application/json"})  # fmt: skip
        if reply.status_code == 404:
            return f"{name}: not on the index"
        reply.raise_for_status()
        doc: dict[str, Any] = reply.json()
        doc["info"]["description"] = ""
        releases = doc.get("releases") or {}
        doc["releases"] = {v: releases[v] for v in sorted(versions) if v in releases}
        doc.pop("vulnerabilities", None)
        text = rewrite(json.dumps(doc, indent=1, sort_keys=True), hosts, legacy_hosts())
        (target / file_name(name.lower())).write_text(text + "\n", encoding="utf-8")
        return ""

    with ThreadPoolExecutor(8) as pool:
        for problem in pool.map(one, sorted(names.items())):
            if problem:
                print(problem)


def record_npm(names: dict[str, set[str]]) -> None:
    import requests

    base = subprocess.run(["npm", "config", "get", "registry"], check=True,
                          capture_output=True, text=True).stdout.strip().rstrip("/")  # fmt: skip
    target = HERE / "npm"
    target.mkdir(exist_ok=True)
    hosts = npm_hosts()

    def one(item: tuple[str, set[str]]) -> str:
        name, versions = item
        manifests: dict[str, Any] = {}
        for version in sorted(versions):
            path = name.replace("/", "%2F")  # a scoped name is one path segment
            reply = requests.get(f"{base}/{path}/{quote(version)}", timeout=60,
                                 headers={"Accept": "application/json"})  # fmt: skip
            if reply.status_code == 404:
                continue
            reply.raise_for_status()
            manifest = reply.json()
            manifest.pop("readme", None)
            manifests[version] = manifest
        if not manifests:
            return f"{name}: not on the registry"
        latest = max(manifests)
        doc = {"name": name, "dist-tags": {"latest": latest}, "versions": manifests,
               "maintainers": manifests[latest].get("maintainers", [])}  # fmt: skip
        text = rewrite(json.dumps(doc, indent=1, sort_keys=True), hosts)
        (target / file_name(name)).write_text(text + "\n", encoding="utf-8")
        return ""

    with ThreadPoolExecutor(8) as pool:
        for problem in pool.map(one, sorted(names.items())):
            if problem:
                print(problem)


EXTRA_PYPI = {
    "triton-windows": {"3.8.0.post29"},
    "llama-index-core": {"0.12.14"},
    "llama-index-llms-openai": {"0.3.14"},
}
"""Packages no lockfile locks, recorded for the error-class tests (tests/test_realworld.py):
a re-published fork that keeps its upstream's author e-mail; a project's satellite package
whose only evidence is its owner account, a person who also owns the project's main package
(the versions microsoft/autogen's python/uv.lock locks at 027ecf0)."""


def main() -> None:
    found = inventory()
    found["pypi"].update(EXTRA_PYPI)
    scrub_lockfiles()
    print({k: len(v) for k, v in found.items()})
    record_pypi(found["pypi"])
    record_npm(found["npm"])


if __name__ == "__main__":
    main()
