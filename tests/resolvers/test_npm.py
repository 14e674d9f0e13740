"""npm resolution against a loopback registry: origins, findings, provenance, failures."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import Claim, OriginStatus, Scan, ScanStatus, Strength
from auditor.pipeline import run_scan
from auditor.policy.engine import load_policy
from auditor.policy.settings import PolicySettings
from auditor.signatures import SignatureTrust
from auditor.store import Store, open_store
from tests.conftest import write_files
from tests.resolvers.failure_matrix import FAILURE_MATRIX, fault_id
from tests.servers.jsonapi import JsonApiState, load, serve
from tests.servers.pypi import Fault
from tests.sigstore_local import PROVENANCE_V1, Build, LocalSigstore

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=0.5, attempts=3)

BUILTINS_ONLY = load_policy(PolicySettings(packs=()))


def npm_routes() -> dict[str, object]:
    return {
        "/abbrev": load("npm/abbrev.json"),
        "/request": load("npm/request.json"),
        "/sigstore": load("npm/sigstore.json"),
        "/@sigstore/protobuf-specs": load("npm/sigstore-protobuf-specs.json"),
        "/-/npm/v1/attestations/sigstore@0.4.0": load("npm/sigstore-0.4.0.attestations.json"),
    }


@pytest.fixture
def npm() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes=npm_routes())
    yield from ((state, url) for url in serve(state))


def integrity(name: str, version: str) -> str:
    doc = load(f"npm/{name}.json")
    return str(doc["versions"][version]["dist"]["integrity"])


ABBREV_SRI = integrity("abbrev", "1.1.1")


def lockfile(packages: dict[str, tuple[str, str]]) -> str:
    """A package-lock.json v3 pinning name -> (version, integrity)."""
    entries: dict[str, object] = {
        "": {
            "name": "app",
            "version": "1.0.0",
            "dependencies": {n: v for n, (v, _) in packages.items()},
        }
    }
    for name, (version, sri) in packages.items():
        entries[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"https://registry.npm.invalid/{name}/-/{name.rpartition('/')[2]}-{version}.tgz",
            "integrity": sri,
        }
    return json.dumps({"name": "app", "version": "1.0.0", "lockfileVersion": 3,
                       "requires": True, "packages": entries}, indent=2)  # fmt: skip


def scan(
    tmp_path: Path,
    base: str,
    packages: dict[str, tuple[str, str]],
    store: Store | None = None,
    **config: object,
) -> Scan:
    write_files(tmp_path / "app", {"package-lock.json": lockfile(packages)})
    # Built-in rules only: these tests judge the resolver, not the default policy pack.
    settings = Config(
        npm_registry=base, http=FAST, store=False, concurrency=4, policy=BUILTINS_ONLY
    )
    return run_scan(
        [str(tmp_path / "app" / "package-lock.json")],
        replace(settings, **config),  # type: ignore[arg-type]
        store.http_cache() if store is not None else None,
    )


ALL = {
    "abbrev": ("1.1.1", ABBREV_SRI),
    "request": ("2.88.2", integrity("request", "2.88.2")),
    "sigstore": ("0.4.0", integrity("sigstore", "0.4.0")),
    "@sigstore/protobuf-specs": ("0.1.0", integrity("sigstore-protobuf-specs", "0.1.0")),
}


def test_publisher_repository_time_and_scoped_names(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    result = scan(tmp_path, base, ALL)
    assert result.status is ScanStatus.COMPLETE
    origins = result.origins_by_purl()
    abbrev = origins["pkg:npm/abbrev@1.1.1"]
    assert abbrev.status is OriginStatus.RESOLVED
    assert abbrev.publisher is not None
    assert (abbrev.publisher.value, abbrev.publisher.strength) == ("isaacs", Strength.REGISTRY)
    assert abbrev.repository is not None
    assert (abbrev.repository.value, abbrev.repository.strength) == (
        "https://github.com/isaacs/abbrev-js",
        Strength.DECLARED,
    )
    fields = {(e.field, e.value, e.strength) for e in abbrev.evidence if e.source == "npm"}
    assert ("time", "2017-09-28T02:47:13.220Z", Strength.REGISTRY) in fields
    assert ("maintainers.name", "gabra", Strength.REGISTRY) in fields
    assert ("author.name", "Isaac Z. Schlueter", Strength.DECLARED) in fields
    assert {e.where for e in abbrev.evidence if e.source == "npm"} == {"npm:/abbrev"}
    scoped = origins["pkg:npm/%40sigstore/protobuf-specs@0.1.0"]
    assert scoped.status is OriginStatus.RESOLVED
    assert scoped.repository is not None
    assert scoped.repository.value == "https://github.com/sigstore/protobuf-specs"
    # The full document is asked for (the abbreviated one has no publisher fields).
    assert {h["accept"] for p, h in state.log if p == "/abbrev"} == {"application/json"}
    # npm's clients escape the scope's slash; every URL is asked once.
    assert "/@sigstore%2Fprotobuf-specs" in state.paths()
    assert len(state.paths()) == len(set(state.paths()))
    # The registry in effect is never stored: evidence names the role and path only.
    assert all("127.0.0.1" not in e.where for o in result.origins for e in o.evidence)


def test_deprecated_and_integrity_mismatch_are_findings(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    wrong = "sha512-" + base64.b64encode(b"\0" * 64).decode()
    result = scan(tmp_path, npm[1], {"abbrev": ("1.1.1", wrong), "request": ALL["request"]})
    by_rule = {f.rule: f for f in result.findings}
    mismatch = by_rule["npm.integrity-mismatch"]
    assert mismatch.purl == "pkg:npm/abbrev@1.1.1" and mismatch.severity.value == "high"
    assert "package-lock.json" in mismatch.message
    deprecated = by_rule["npm.deprecated"]
    assert deprecated.purl == "pkg:npm/request@2.88.2"
    assert "request has been deprecated" in deprecated.message
    # The right integrity gives no finding.
    clean = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]})
    assert not clean.findings


def test_real_v01_provenance_bundle_is_recorded_as_unverifiable(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    """pacote's recorded sigstore@0.4.0 attestation: a bundle v0.1 with an inclusion promise
    only, which current Sigstore clients no longer accept; its claims stay `declared`."""
    state, base = npm
    result = scan(tmp_path, base, {"sigstore": ALL["sigstore"]})
    [origin] = result.origins
    assert "/-/npm/v1/attestations/sigstore@0.4.0" in state.paths()
    [note] = [e for e in origin.evidence if e.field == "verification"]
    assert note.value.startswith("unverifiable: ") and note.strength is Strength.INFERRED
    assert "inclusionProof" in note.value
    claimed = {e.value for e in origin.evidence if e.field == "provenance.source_repository_uri"}
    assert claimed == {"git+https://github.com/sigstore/sigstore-js"}
    assert all(e.strength is Strength.DECLARED for e in origin.evidence
               if e.field.startswith("provenance."))  # fmt: skip
    assert origin.repository is not None and origin.repository.strength is Strength.DECLARED


def test_abbreviated_documents_still_give_integrity_and_deprecation(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    state.abbreviated_only = True
    wrong = "sha512-" + base64.b64encode(b"\1" * 64).decode()
    result = scan(tmp_path, base, {"abbrev": ("1.1.1", wrong), "request": ALL["request"]})
    origins = result.origins_by_purl()
    abbrev = origins["pkg:npm/abbrev@1.1.1"]
    assert abbrev.status is OriginStatus.RESOLVED and abbrev.publisher is None
    assert any(e.field == "document" and e.value.startswith("abbreviated") for e in abbrev.evidence)
    # The origin says so itself (issue 24), instead of silently reporting nothing.
    assert abbrev.reason is not None and "abbreviated document" in abbrev.reason
    assert abbrev.publisher_kind is None
    assert {f.rule for f in result.findings} == {"npm.integrity-mismatch", "npm.deprecated"}
    # A full packument keeps no reason.
    state.abbreviated_only = False
    full = scan(tmp_path, base, {"abbrev": ("1.1.1", ABBREV_SRI)}).origins_by_purl()
    assert full["pkg:npm/abbrev@1.1.1"].reason is None


def test_missing_package_and_version_are_unknown(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    result = scan(tmp_path, npm[1], {"no-such-thing": ("1.0.0", ABBREV_SRI),
                                     "abbrev": ("0.0.1", ABBREV_SRI)})  # fmt: skip
    origins = result.origins_by_purl()
    assert origins["pkg:npm/no-such-thing@1.0.0"].reason == "no-such-thing is not on the registry"
    assert origins["pkg:npm/abbrev@0.0.1"].reason == "abbrev 0.0.1 is not on the registry"
    assert {o.status for o in result.origins} == {OriginStatus.UNKNOWN}
    assert result.status is ScanStatus.COMPLETE


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [*FAILURE_MATRIX, (Fault("404"), OriginStatus.UNKNOWN, "abbrev is not on the registry")],
    ids=fault_id,
)
def test_failure_matrix(
    npm: tuple[JsonApiState, str],
    tmp_path: Path,
    fault: Fault,
    status: OriginStatus,
    reason: str | None,
) -> None:
    state, base = npm
    state.faults["/abbrev"] = fault
    result = scan(tmp_path, base, {"abbrev": ALL["abbrev"], "request": ALL["request"]})
    origins = result.origins_by_purl()
    abbrev = origins["pkg:npm/abbrev@1.1.1"]
    assert abbrev.status is status
    if reason is not None:
        assert abbrev.reason is not None and abbrev.reason.endswith(reason), abbrev.reason
    assert origins["pkg:npm/request@2.88.2"].status is OriginStatus.RESOLVED
    expected = ScanStatus.PARTIAL if status is OriginStatus.UNREACHABLE else ScanStatus.COMPLETE
    assert result.status is expected


def test_malformed_packument_shape_is_unreachable(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    state.routes["/abbrev"] = {"name": "abbrev", "versions": ["1.1.1"]}
    [origin] = scan(tmp_path, base, {"abbrev": ALL["abbrev"]}).origins
    assert origin.status is OriginStatus.UNREACHABLE
    assert origin.reason == "malformed packument (no `versions` object)"


def test_cache_warm_then_offline(npm: tuple[JsonApiState, str], tmp_path: Path) -> None:
    state, base = npm
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    cold = scan(tmp_path, base, ALL, store)
    sent = len(state.log)
    warm = scan(tmp_path, base, ALL, store)
    assert len(state.log) == sent
    offline = scan(tmp_path, "http://127.0.0.1:9", ALL, store, offline=True)
    assert warm.origins == cold.origins == offline.origins
    assert warm.findings == cold.findings


def test_packument_is_kept_as_one_version(npm: tuple[JsonApiState, str], tmp_path: Path) -> None:
    """Only the locked version's cut of a packument is cached (under a versioned key), and
    the offline rescan answers the same from it."""
    state, base = npm
    doc = load("npm/sigstore.json")  # the recorded packument, trimmed to 0.4.0: add one
    doc["versions"]["0.3.0"] = {**doc["versions"]["0.4.0"], "version": "0.3.0"}
    doc["time"]["0.3.0"] = "2022-10-01T00:00:00.000Z"
    state.routes["/sigstore"] = doc
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    online = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}, store)
    kept = dict(store.http_cache().entries())
    assert "npm:/sigstore" not in kept
    cut = json.loads(kept["npm:/sigstore#v1:0.4.0"].body)
    assert list(cut["versions"]) == ["0.4.0"] and list(cut["time"]) == ["0.4.0"]
    offline = scan(tmp_path, "http://127.0.0.1:9", {"sigstore": ALL["sigstore"]}, store,
                   offline=True)  # fmt: skip
    assert offline.origins == online.origins
    assert {e.where for o in online.origins for e in o.evidence if e.source == "npm"} == {
        "npm:/sigstore"
    }


def test_scoped_registry_from_npmrc(
    npm: tuple[JsonApiState, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`@scope:registry=` in the project's .npmrc sends that scope to its own registry, when
    the project's configuration is trusted (`--trust-target-config`: Config.npm_project)."""
    state, base = npm
    private = JsonApiState(
        routes={"/@sigstore/protobuf-specs": npm_routes()["/@sigstore/protobuf-specs"]}
    )
    for private_base in serve(private):
        write_files(tmp_path, {".npmrc": f"@sigstore:registry={private_base}/\n"})
        monkeypatch.chdir(tmp_path)
        result = scan(tmp_path, base, {"@sigstore/protobuf-specs": ALL["@sigstore/protobuf-specs"],
                                       "abbrev": ALL["abbrev"]}, npm_project=tmp_path)  # fmt: skip
        assert {o.status for o in result.origins} == {OriginStatus.RESOLVED}
        assert private.paths() == ["/@sigstore%2Fprotobuf-specs"]
        assert state.paths() == ["/abbrev"]
        [scoped] = [o for o in result.origins if "protobuf" in o.purl]
        assert {e.where for e in scoped.evidence if e.source == "npm"} == {
            "npm-sigstore:/@sigstore%2Fprotobuf-specs"
        }


def test_attestations_trouble_is_unreachable_and_a_gone_document_is_no_provenance(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    state.faults["/-/npm/v1/attestations/"] = Fault("500")
    [origin] = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}).origins
    assert origin.status is OriginStatus.UNREACHABLE
    assert origin.reason is not None and origin.reason.endswith("HTTP 500 after 3 attempt(s)")
    del state.faults["/-/npm/v1/attestations/"]
    del state.routes["/-/npm/v1/attestations/sigstore@0.4.0"]
    [origin] = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}).origins
    assert origin.status is OriginStatus.RESOLVED
    assert not [e for e in origin.evidence if e.source == "npm-provenance"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
MANIFEST_KEYS = st.sampled_from(["_npmUser", "maintainers", "author", "repository", "homepage",
                                 "dist", "deprecated", "name", "version"])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(MANIFEST_KEYS, JSON, max_size=9),
    st.dictionaries(st.sampled_from(["time", "dist-tags", "name"]), JSON, max_size=3),
)
def test_any_packument_shape_is_read_without_crashing(
    manifest: dict[str, object], top: dict[str, object]
) -> None:
    """Registry documents are input: odd shapes give less evidence, never a traceback."""
    from datetime import UTC, datetime

    from auditor.http import Response
    from auditor.model import Component, ComponentKind
    from auditor.resolvers.npm import _evidence, _findings, _publisher, _version

    doc = {**top, "versions": {"1.0.0": manifest}}
    reply = Response("npm:/x", 200, json.dumps(doc).encode(), datetime.now(UTC), False)
    entry = _version(reply, "x", "1.0.0")
    assert entry is not None
    list(_evidence(entry))
    _publisher(entry.manifest)
    component = Component("pkg:npm/x@1.0.0", ComponentKind.LIBRARY, "x", "1.0.0",
                          hashes=("sha512:" + "00" * 64,))  # fmt: skip
    list(_findings(component, entry))


def _local_provenance(state: JsonApiState, tmp_path: Path, build: Build) -> Path:
    """Serve, for the real sigstore 0.4.0 packument, a provenance bundle a local Sigstore
    made for exactly that tarball (the registry's sha512), with the `intoto` log entry npm
    uses; return the trust config that trusts that local Sigstore."""
    local = LocalSigstore()
    sri = ALL["sigstore"][1]
    sha512 = base64.b64decode(sri.partition("-")[2]).hex()
    bundle = local.npm_bundle("pkg:npm/sigstore@0.4.0", sha512, build)
    state.routes["/-/npm/v1/attestations/sigstore@0.4.0"] = {
        "attestations": [{"predicateType": PROVENANCE_V1, "bundle": bundle}]
    }
    return local.write_trust_config(tmp_path / "trust.json")


def test_verified_provenance_makes_the_repository_attested(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    build = Build(repository="https://github.com/sigstore/sigstore-js", owner_id="71096353")
    trust = _local_provenance(state, tmp_path, build)
    result = scan(tmp_path, base, {"sigstore": ALL["sigstore"]},
                  signatures=SignatureTrust(trust_config=trust))  # fmt: skip
    assert result.status is ScanStatus.COMPLETE
    [origin] = result.origins
    [note] = [e for e in origin.evidence if e.field == "verification"]
    assert (note.value, note.strength) == ("verified", Strength.ATTESTED)
    assert origin.repository is not None
    assert (origin.repository.value, origin.repository.strength) == (
        "https://github.com/sigstore/sigstore-js",
        Strength.ATTESTED,
    )
    facts = {e.field: (e.value, e.strength) for e in origin.evidence
             if e.field.startswith("provenance.")}  # fmt: skip
    assert facts["provenance.source_repository_owner_id"] == ("71096353", Strength.ATTESTED)
    assert facts["provenance.build_signer_uri"] == (build.identity, Strength.ATTESTED)
    assert not [f for f in result.findings if f.rule == "origin.repository-conflict"]
    # The same bundle against the public-good root: nothing is attested.
    public = scan(tmp_path, base, {"sigstore": ALL["sigstore"]})
    [untrusted] = public.origins
    [note] = [e for e in untrusted.evidence if e.field == "verification"]
    assert note.value.startswith("unverifiable: signature does not verify")
    assert untrusted.repository is not None
    assert untrusted.repository.strength is Strength.DECLARED


def test_provenance_from_another_repository_is_a_conflict(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    state, base = npm
    trust = _local_provenance(state, tmp_path, Build(repository="https://github.com/evil/fork"))
    result = scan(tmp_path, base, {"sigstore": ALL["sigstore"]},
                  signatures=SignatureTrust(trust_config=trust))  # fmt: skip
    [origin] = result.origins
    assert origin.repository is not None
    assert origin.repository.value == "https://github.com/evil/fork"
    assert any("https://github.com/evil/fork" in c for c in origin.conflicts)
    [conflict] = [f for f in result.findings if f.rule == "origin.repository-conflict"]
    assert "declared repository https://github.com/sigstore/sigstore-js" in conflict.message


def test_a_kept_verdict_is_reused_only_for_the_same_inputs(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    """A warm scan reuses the verification verdict kept beside the answer; a different
    trust root (or bundle, subject, digest, sigstore release, our code) verifies again."""
    state, base = npm
    build = Build(repository="https://github.com/sigstore/sigstore-js")
    trust = _local_provenance(state, tmp_path, build)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    signatures = SignatureTrust(trust_config=trust)
    first = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}, store, signatures=signatures)
    key = "verdict:npm:/-/npm/v1/attestations/sigstore@0.4.0"
    kept = store.http_cache().get(key)
    assert kept is not None
    inputs, _, verdict = kept.body.partition(b"\n")
    assert json.loads(verdict)[0][1] is True  # verified
    # Forge the kept verdict under the same inputs: a warm scan believes its own store ...
    forged = [["https://slsa.dev/provenance/v1", True, None,
               [["source_repository_uri", "https://github.com/forged/by-the-store"]]]]  # fmt: skip
    store.http_cache().put_many(
        [(key, replace(kept, body=inputs + b"\n" + json.dumps(forged).encode()))]
    )
    warm = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}, store, signatures=signatures)
    assert warm.origins[0].repository is not None
    assert warm.origins[0].repository.value == "https://github.com/forged/by-the-store"
    # ... but not once anything it was reached from changes: another trust root verifies
    # again (and this one does not trust the bundle).
    other = LocalSigstore().write_trust_config(tmp_path / "other.json")
    again = scan(tmp_path, base, {"sigstore": ALL["sigstore"]}, store,
                 signatures=SignatureTrust(trust_config=other))  # fmt: skip
    [note] = [e for e in again.origins[0].evidence if e.field == "verification"]
    assert note.value.startswith("unverifiable: signature does not verify")
    assert first.origins[0].repository == Claim("https://github.com/sigstore/sigstore-js",
                                                Strength.ATTESTED)  # fmt: skip
    store.close()
