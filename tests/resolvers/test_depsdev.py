"""deps.dev as a second opinion (`--deps-dev`) against a loopback API in api.proto's shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import ConfigError
from auditor.model import OriginStatus, ScanStatus, Strength
from tests.resolvers.test_npm import ALL, JSON, npm_routes, scan
from tests.servers.jsonapi import JsonApiState, load, serve
from tests.servers.pypi import Fault

VERSIONS = "/v3/systems/npm/packages"


@pytest.fixture
def npm() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes=npm_routes())
    yield from ((state, url) for url in serve(state))


@pytest.fixture
def depsdev(monkeypatch: pytest.MonkeyPatch) -> Iterator[JsonApiState]:
    state = JsonApiState(
        routes={
            f"{VERSIONS}/sigstore/versions/0.4.0": load("depsdev/sigstore@0.4.0.json"),
            f"{VERSIONS}/abbrev/versions/1.1.1": load("depsdev/abbrev@1.1.1.json"),
            f"{VERSIONS}/@sigstore/protobuf-specs/versions/0.1.0": load(
                "depsdev/@sigstore/protobuf-specs@0.1.0.json"
            ),
        }
    )
    for url in serve(state):
        monkeypatch.setenv("AUDITOR_DEPSDEV_URL", url)
        yield state


def test_agreement_adds_evidence_and_disagreement_is_a_conflict(
    npm: tuple[JsonApiState, str], depsdev: JsonApiState, tmp_path: Path
) -> None:
    result = scan(tmp_path, npm[1], ALL, deps_dev=True)
    origins = result.origins_by_purl()
    sigstore = origins["pkg:npm/sigstore@0.4.0"]
    facts = {(e.source, e.field, e.value, e.strength) for e in sigstore.evidence}
    assert ("deps.dev", "attestations.sourceRepository", "https://github.com/sigstore/sigstore-js",
            Strength.REGISTRY) in facts  # fmt: skip
    assert ("deps.dev", "relatedProjects.SLSA_ATTESTATION.repository",
            "https://github.com/sigstore/sigstore-js", Strength.REGISTRY) in facts  # fmt: skip
    assert not sigstore.conflicts
    abbrev = origins["pkg:npm/abbrev@1.1.1"]
    assert ("relatedProjects.UNVERIFIED_METADATA.repository", Strength.DECLARED) in {
        (e.field, e.strength) for e in abbrev.evidence
    }
    scoped = origins["pkg:npm/%40sigstore/protobuf-specs@0.1.0"]
    [conflict] = scoped.conflicts
    assert "https://github.com/octo-fork/protobuf-specs" in conflict
    assert "https://github.com/sigstore/protobuf-specs" in conflict
    [found] = [f for f in result.findings if f.rule == "origin.repository-conflict"]
    assert found.purl == scoped.purl and found.evidence
    # deps.dev knows nothing of request@2.88.2 here: 404 is an answer, not a failure.
    assert result.status is ScanStatus.COMPLETE
    # deps.dev docs: the `@` and `/` of a scoped name are percent-encoded.
    assert f"{VERSIONS}/%40sigstore%2Fprotobuf-specs/versions/0.1.0" in depsdev.paths()


def test_depsdev_trouble_is_recorded_and_the_origin_kept(
    npm: tuple[JsonApiState, str], depsdev: JsonApiState, tmp_path: Path
) -> None:
    depsdev.faults[f"{VERSIONS}/abbrev/"] = Fault("503")
    [origin] = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]}, deps_dev=True).origins
    assert origin.status is OriginStatus.RESOLVED
    assert ("lookup", "unreachable: HTTP 503 after 3 attempt(s)") in {
        (e.field, e.value) for e in origin.evidence if e.source == "deps.dev"
    }


def test_without_depsdev_nothing_is_asked(
    npm: tuple[JsonApiState, str], depsdev: JsonApiState, tmp_path: Path
) -> None:
    scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]})
    assert depsdev.paths() == []


def test_depsdev_needs_an_endpoint(
    npm: tuple[JsonApiState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDITOR_DEPSDEV_URL", raising=False)
    with pytest.raises(ConfigError) as caught:
        scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]}, deps_dev=True)
    assert "AUDITOR_DEPSDEV_URL" in (caught.value.hint or "")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["attestations", "slsaProvenances", "relatedProjects",
                                        "links"]), JSON, max_size=4))  # fmt: skip
def test_any_version_shape_is_read_without_crashing(fields: dict[str, object]) -> None:
    from datetime import UTC, datetime

    from auditor.http import Response
    from auditor.resolvers.depsdev import _evidence

    doc = {"versionKey": {"system": "NPM", "name": "x", "version": "1"}, **fields}
    reply = Response("depsdev:/v3/x", 200, json.dumps(doc).encode(), datetime.now(UTC), False)
    for evidence in _evidence(reply, doc):
        assert evidence.field.endswith(("repository", "verified"))
