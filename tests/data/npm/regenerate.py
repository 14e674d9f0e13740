"""Rebuild the packuments here from the real registry, through npm's own client.

`npm view <name>@<version> --json` prints the version's manifest merged with the
packument's `dist-tags` and `time`; this script folds that back into the full-packument
layout (`{"_id", "name", "dist-tags", "versions": {v: manifest}, "time", ...}`, as in npm's
registry docs and pacote's `test/fixtures/abbrev-packument-full.json`) and rewrites the
registry host to `registry.npm.invalid`. `npm view` leaves out a few fields that the
registry's document carries (`_npmUser`, `maintainers`, `deprecated`, `dist.attestations`);
EXTRA lists the real values of those for the versions used here, as the registry's web
pages and `npm install` warnings show them. Run by hand (needs npm and the network):
    python tests/data/npm/regenerate.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
INVALID = "https://registry.npm.invalid"
SPECS: dict[str, str | tuple[str, ...]] = {
    "sigstore.json": "sigstore@0.4.0",
    "request.json": "request@2.88.2",
    "sigstore-protobuf-specs.json": "@sigstore/protobuf-specs@0.1.0",
    # Two versions of one package in one lockfile (tests/data/js/npm/duplicates/), whose
    # repositories differ: debug moved from visionmedia/debug to debug-js/debug.
    "debug.json": ("debug@3.1.0", "debug@4.4.0"),
    "ms.json": ("ms@2.0.0", "ms@2.1.3"),
    "follow-redirects.json": "follow-redirects@1.5.10",
}
EXTRA: dict[str, dict[str, object]] = {
    "sigstore@0.4.0": {
        "dist.attestations": {
            "url": f"{INVALID}/-/npm/v1/attestations/sigstore@0.4.0",
            "provenance": {"predicateType": "https://slsa.dev/provenance/v0.2"},
        },
    },
    "request@2.88.2": {
        "deprecated": "request has been deprecated, see https://github.com/request/request/issues/3142",
    },
}
DROP = ("_id", "dist-tags", "versions", "time", "_contentLength", "readme")


def registry_host() -> str:
    """The registry npm is configured with (never written in this repository)."""
    out = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True)
    return out.stdout.strip().rstrip("/")


def packument(spec: str, host: str) -> dict[str, object]:
    view = json.loads(
        subprocess.run(
            ["npm", "view", spec, "--json"], capture_output=True, text=True, check=True
        ).stdout  # fmt: skip
    )
    version = view["version"]
    manifest = {k: v for k, v in view.items() if k not in DROP}
    manifest["_id"] = f"{view['name']}@{version}"
    for key, value in EXTRA.get(spec, {}).items():
        if key.startswith("dist."):
            manifest["dist"][key[5:]] = value
        else:
            manifest[key] = value
    times = {k: v for k, v in view["time"].items() if k in ("created", "modified", version)}
    doc = {"_id": view["name"], "name": view["name"], "dist-tags": {"latest": version},
           "versions": {version: manifest}, "time": times,
           "repository": manifest.get("repository"), "license": manifest.get("license")}  # fmt: skip
    return json.loads(json.dumps(doc).replace(host, INVALID))


def merged(specs: tuple[str, ...], host: str) -> dict[str, object]:
    """One packument holding several versions (the registry's document holds them all)."""
    docs = [packument(spec, host) for spec in specs]
    out = docs[-1]
    for doc in docs[:-1]:
        out["versions"].update(doc["versions"])  # type: ignore[attr-defined]
        out["time"].update(doc["time"])  # type: ignore[attr-defined]
    return out


def main() -> None:
    host = registry_host()
    for file, spec in SPECS.items():
        doc = packument(spec, host) if isinstance(spec, str) else merged(spec, host)
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        (HERE / file).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
