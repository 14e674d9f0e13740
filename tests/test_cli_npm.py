"""The npm resolver through the real CLI: JSON contract, exit codes, hints."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ran, write_files
from tests.resolvers.test_npm import ALL, lockfile, npm_routes
from tests.servers.jsonapi import JsonApiState, serve
from tests.sigstore_local import PROVENANCE_V1, Build, LocalSigstore

Auditor = Callable[..., Ran]


@pytest.fixture
def npm() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes=npm_routes())
    yield from ((state, url) for url in serve(state))


def test_scan_json_carries_npm_origins_and_findings(
    auditor: Auditor,
    npm: tuple[JsonApiState, str],
    tmp_path: Path,
    validate: Callable[[str], dict[str, Any]],
) -> None:
    app = write_files(tmp_path / "app", {"package-lock.json": lockfile(ALL)})
    ran = auditor("scan", app, "-f", "json", "--npm-registry", npm[1], "--fail-on", "low")
    doc = validate(ran.stdout)
    assert ran.code == 1  # npm.deprecated (low) for request
    by_purl = {c["purl"]: c for c in doc["components"]}
    abbrev = by_purl["pkg:npm/abbrev@1.1.1"]["origin"]
    assert abbrev["publisher"] == {"value": "isaacs", "strength": "registry"}
    assert {f["rule"] for f in doc["findings"] if f["rule"].startswith("npm.")} == {
        "npm.deprecated"
    }
    assert doc["scan"]["status"] == "complete"


def test_no_npm_registry_is_a_usage_error_with_a_hint(
    auditor: Auditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDITOR_NPM_REGISTRY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("npm_config_globalconfig", str(tmp_path / "none"))
    monkeypatch.chdir(tmp_path)
    app = write_files(tmp_path / "app", {"package-lock.json": lockfile(ALL)})
    ran = auditor("scan", app, "--no-store")
    assert ran.code == 2
    assert "npm: no registry configured" in ran.stderr and "--npm-registry" in ran.stderr
    assert "Traceback" not in ran.stderr
    inventory = auditor("scan", app, "--no-store", "--no-resolve")
    assert inventory.code == 0


def test_doctor_reports_npm_and_source_hosts(
    auditor: Auditor,
    npm: tuple[JsonApiState, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = npm[1]
    monkeypatch.setenv("GITHUB_API_URL", base)
    ran = auditor("doctor", "--pypi-url", base, "--npm-registry", base)
    assert f"ok   npm    {base}  (--npm-registry): HTTP 404" in ran.stdout
    assert f"ok   github {base}  (GITHUB_API_URL): HTTP 404" in ran.stdout
    assert "skip gitlab CI_API_V4_URL is not set" in ran.stdout
    assert ran.code == 0, ran.stdout
    monkeypatch.delenv("AUDITOR_NPM_REGISTRY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("npm_config_globalconfig", str(tmp_path / "none"))
    monkeypatch.chdir(tmp_path)
    unset = auditor("doctor", "--pypi-url", base)
    assert "skip npm    npm: no registry configured" in unset.stdout and unset.code == 0


def test_signature_trust_config_verifies_npm_provenance(
    auditor: Auditor,
    npm: tuple[JsonApiState, str],
    tmp_path: Path,
    validate: Callable[[str], dict[str, Any]],
) -> None:
    """`--signature-trust-config` names the Sigstore instance provenance is checked against."""
    state, base = npm
    local = LocalSigstore()
    sha512 = base64.b64decode(ALL["sigstore"][1].partition("-")[2]).hex()
    build = Build(repository="https://github.com/sigstore/sigstore-js")
    bundle = local.npm_bundle("pkg:npm/sigstore@0.4.0", sha512, build)
    state.routes["/-/npm/v1/attestations/sigstore@0.4.0"] = {
        "attestations": [{"predicateType": PROVENANCE_V1, "bundle": bundle}]
    }
    trust = local.write_trust_config(tmp_path / "trust.json")
    app = write_files(
        tmp_path / "app", {"package-lock.json": lockfile({"sigstore": ALL["sigstore"]})}
    )
    ran = auditor("scan", app, "-f", "json", "--npm-registry", base,
                  "--signature-trust-config", trust)  # fmt: skip
    doc = validate(ran.stdout)
    [component] = doc["components"]
    assert component["origin"]["repository"] == {
        "value": "https://github.com/sigstore/sigstore-js",
        "strength": "attested",
    }
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    bad = auditor("scan", app, "--npm-registry", base, "--signature-trust-config", junk)
    assert bad.code == 2 and "junk.json: not a usable Sigstore trust config" in bad.stderr
    assert "Traceback" not in bad.stderr
    # Right media type, broken inside: found when the first bundle is verified, still exit 2.
    broken = tmp_path / "broken.json"
    root = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    broken.write_text(json.dumps({"mediaType": root, "tlogs": "nope"}), encoding="utf-8")
    late = auditor("scan", app, "--npm-registry", base, "--signature-trust-config", broken,
                   "--no-store")  # fmt: skip
    assert late.code == 2 and "broken.json: not a usable Sigstore trust config" in late.stderr
    assert "Traceback" not in late.stderr


def test_verdicts_never_travel_in_snapshots(
    auditor: Auditor, npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    """A kept verification verdict is believed only by the store that reached it."""
    state, base = npm
    local = LocalSigstore()
    sha512 = base64.b64decode(ALL["sigstore"][1].partition("-")[2]).hex()
    bundle = local.npm_bundle("pkg:npm/sigstore@0.4.0", sha512)
    state.routes["/-/npm/v1/attestations/sigstore@0.4.0"] = {
        "attestations": [{"predicateType": PROVENANCE_V1, "bundle": bundle}]
    }
    trust = local.write_trust_config(tmp_path / "trust.json")
    app = write_files(
        tmp_path / "app", {"package-lock.json": lockfile({"sigstore": ALL["sigstore"]})}
    )
    ran = auditor("scan", app, "--npm-registry", base, "--signature-trust-config", trust)
    assert ran.code == 0, ran.stderr
    snapshot = tmp_path / "snap.jsonl"
    assert auditor("cache", "export", snapshot).code == 0
    lines = [json.loads(line) for line in snapshot.read_text().splitlines()[1:]]
    keys = {line["key"] for line in lines}
    assert "npm:/-/npm/v1/attestations/sigstore@0.4.0" in keys
    assert not [k for k in keys if k.startswith("verdict:")]
    forged = dict(lines[0], key="verdict:npm:/-/npm/v1/attestations/sigstore@0.4.0")
    with snapshot.open("a", encoding="utf-8") as out:
        out.write(json.dumps(forged) + "\n")
    bad = auditor("cache", "import", snapshot, "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert bad.code == 2 and f"{snapshot}:{len(lines) + 2}:" in bad.stderr
    assert "verdicts are never imported" in bad.stderr
