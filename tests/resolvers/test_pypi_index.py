"""Simple JSON + Integrity API through a loopback index: status, attestations, conflicts."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import Finding, Scan, ScanStatus, Strength
from auditor.pipeline import run_scan
from auditor.resolvers.attestations import certificate_facts
from auditor.store import Store, open_store
from tests.conftest import write_files
from tests.servers.pypi import PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=2, attempts=2)
DATA = Path(__file__).resolve().parent.parent / "data" / "attestations"
SDIST = "pypi_attestations-0.0.19.tar.gz"
PURL = "pkg:pypi/pypi-attestations@0.0.19"


def _scan(tmp_path: Path, base: str, requirements: str, store: Store | None = None) -> Scan:
    write_files(tmp_path / "app", {"requirements.txt": requirements})
    config = Config(pypi_url=base, http=FAST, store=False, concurrency=2)
    return run_scan([str(tmp_path / "app")], config, store.http_cache() if store else None)


def _own(scan: Scan) -> list[Finding]:
    """The resolver's findings (the default policy pack adds its own on every scan)."""
    return [f for f in scan.findings if f.rule.startswith("pypi.")]


def _serve_real_provenance(state: PyPIState) -> None:
    state.provenance[SDIST] = (DATA / f"{SDIST}.provenance").read_bytes()


def test_verified_attestation_makes_repository_and_organisation_attested(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    _serve_real_provenance(state)
    scan = _scan(tmp_path, base, "pypi-attestations==0.0.19\n")
    origin = scan.origins_by_purl()[PURL]
    assert origin.repository is not None
    assert (origin.repository.value, origin.repository.strength) == (
        "https://github.com/trailofbits/pypi-attestations",
        Strength.ATTESTED,
    )
    attested = {e.field: e.value for e in origin.evidence if e.strength is Strength.ATTESTED}
    assert attested["attestation.certificate.source_repository_owner_uri"] == (
        "https://github.com/trailofbits"
    )
    assert attested["status"] == "verified"
    assert all(e.where.startswith("pypi:/integrity/pypi-attestations/0.0.19/") for e in
               origin.evidence if e.source == "attestation")  # fmt: skip
    # Attribution: the attested owner beats every weaker account.
    assert origin.organisation is not None and origin.country is not None
    assert (origin.organisation.value, origin.organisation.strength) == (
        "Trail of Bits, Inc.",
        Strength.ATTESTED,
    )
    assert origin.country.value == "US"
    assert any(e.source == "knowledge-base" and "github:trailofbits" in e.field
               for e in origin.evidence)  # fmt: skip
    paths = state.paths()
    assert "/simple/pypi-attestations/" in paths
    assert f"/integrity/pypi-attestations/0.0.19/{SDIST}/provenance" in paths
    integrity = [h for p, h in state.log if p.startswith("/integrity/")]
    assert integrity[0]["accept"] == "application/vnd.pypi.integrity.v1+json"


def test_declared_repository_that_is_not_the_attested_one_is_a_conflict(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    # Real case: the project now declares github.com/pypi/pypi-attestations, while 0.0.19
    # was built in trailofbits/pypi-attestations (the repository moved since).
    state, base = pypi
    _serve_real_provenance(state)
    scan = _scan(tmp_path, base, "pypi-attestations==0.0.19\n")
    [conflict] = [f for f in scan.findings if f.rule == "origin.repository-conflict"]
    assert "https://github.com/pypi/pypi-attestations" in conflict.message
    assert "https://github.com/trailofbits/pypi-attestations" in conflict.message
    assert conflict.evidence and conflict.evidence[0].strength is Strength.ATTESTED
    origin = scan.origins_by_purl()[PURL]
    assert any("attestation says" in c for c in origin.conflicts)
    # The default pack's catch-all for conflicts leaves one a resolver named alone.
    assert not [f for f in scan.findings if f.rule == "origin.conflict"]


def test_attestation_for_other_bytes_is_unverifiable_and_not_trusted(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    # The 0.0.19 provenance served for the 0.0.20 sdist: a replayed attestation.
    state.provenance["pypi_attestations-0.0.20.tar.gz"] = (
        DATA / f"{SDIST}.provenance"
    ).read_bytes()
    scan = _scan(tmp_path, base, "pypi-attestations==0.0.20\n")
    [bad] = [f for f in scan.findings if f.rule == "attestation.unverifiable"]
    assert "does not verify" in bad.message
    origin = scan.origins_by_purl()["pkg:pypi/pypi-attestations@0.0.20"]
    assert origin.repository is not None and origin.repository.strength is Strength.DECLARED
    assert not [e for e in origin.evidence if e.strength is Strength.ATTESTED]
    assert not [f for f in scan.findings if f.rule == "origin.repository-conflict"]


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ("archived", "pypi.project-archived"),
        ("quarantined", "pypi.project-quarantined"),
        ("deprecated", "pypi.project-deprecated"),
    ],
)
def test_project_status_markers_are_findings(
    pypi: tuple[PyPIState, str], tmp_path: Path, status: str, rule: str
) -> None:
    state, base = pypi
    state.status["click"] = {"status": status, "reason": "said the index"}
    scan = _scan(tmp_path, base, "click==8.5.1\nrequests==2.32.3\n")
    [found] = _own(scan)
    assert (found.rule, found.purl) == (rule, "pkg:pypi/click@8.5.1")
    assert found.message.endswith(f"marked {status} on the index: said the index")


def test_active_and_missing_status_and_no_simple_api_are_quiet(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    state.status["click"] = {"status": "active"}
    scan = _scan(tmp_path, base, "click==8.5.1\n")
    assert not _own(scan) and scan.status is ScanStatus.COMPLETE
    state.simple_route = False
    again = _scan(tmp_path, base, "click==8.5.1\n")
    assert not _own(again) and again.status is ScanStatus.COMPLETE
    assert again.origins[0].publisher is not None


def _gitlab_release(state: PyPIState) -> str:
    """Add a release to the served project whose file is signed by another owner (GitLab).

    Built from the real GitLab attestation: its statement names the file and digest, its
    certificate names the repository; only the provenance wrapper is assembled here.
    """
    attestation = json.loads((DATA / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation")
                             .read_text())  # fmt: skip
    statement = json.loads(base64.b64decode(attestation["envelope"]["statement"]))
    [subject] = statement["subject"]
    facts = certificate_facts(base64.b64decode(attestation["verification_material"]["certificate"]))
    assert facts.source_repository_uri and facts.build_signer_uri
    repository = facts.source_repository_uri.removeprefix("https://gitlab.com/")
    workflow = facts.build_signer_uri.split("//", 2)[-1].split("@")[0]
    provenance = {"version": 1, "attestation_bundles": [{
        "publisher": {"kind": "GitLab", "repository": repository, "workflow_filepath": workflow},
        "attestations": [attestation]}]}  # fmt: skip
    project: dict[str, Any] = state.projects["pypi-attestations"]
    template = copy.deepcopy(project["releases"]["0.0.19"][0])
    template.update(filename=subject["name"], digests={"sha256": subject["digest"]["sha256"]})
    project["releases"]["0.0.3"] = [template]
    state.provenance[subject["name"]] = json.dumps(provenance).encode()
    return str(facts.source_repository_owner_id)


def test_owner_id_change_between_releases_seen_in_the_cache(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    _serve_real_provenance(state)
    other_owner = _gitlab_release(state)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    earlier = _scan(tmp_path, base, "pypi-attestations==0.0.3\n", store)
    assert not [f for f in earlier.findings if f.rule == "attestation.unverifiable"]
    assert not [f for f in earlier.findings if f.rule == "origin.owner-changed"]
    later = _scan(tmp_path, base, "pypi-attestations==0.0.19\n", store)
    [changed] = [f for f in later.findings if f.rule == "origin.owner-changed"]
    assert f"0.0.3 (owner id {other_owner})" in changed.message
    # Without that earlier scan in the cache there is nothing to compare with.
    fresh = _scan(tmp_path, base, "pypi-attestations==0.0.19\n")
    assert not [f for f in fresh.findings if f.rule == "origin.owner-changed"]


def test_offline_with_an_older_cache_keeps_the_json_answer(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    _, base = pypi
    online = open_store(f"sqlite:///{tmp_path / 'online.db'}")
    _scan(tmp_path, base, "click==8.5.1\n", online)
    # A cache written before the Simple API was asked: everything but that answer.
    older = open_store(f"sqlite:///{tmp_path / 'older.db'}")
    kept = [(k, r) for k, r in online.http_cache().entries() if not k.startswith("pypi:/simple/")]
    assert kept and older.http_cache().put_many(kept) == len(kept)
    write_files(tmp_path / "app", {"requirements.txt": "click==8.5.1\n"})
    config = Config(pypi_url="http://127.0.0.1:9", http=FAST, store=False, offline=True)
    scan = run_scan([str(tmp_path / "app")], config, older.http_cache())
    [origin] = scan.origins
    assert origin.publisher is not None and origin.publisher.value == "pallets"
    assert any(e.value == "not checked: offline, not cached" for e in origin.evidence)


def test_a_warm_scan_reuses_the_kept_verdict_and_gives_the_same_origin(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    _serve_real_provenance(state)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    cold = _scan(tmp_path, base, "pypi-attestations==0.0.19\n", store)
    key = f"verdict:pypi:/integrity/pypi-attestations/0.0.19/{SDIST}/provenance"
    kept = store.http_cache().get(key)
    assert kept is not None
    [verdict] = json.loads(kept.body.partition(b"\n")[2])
    assert verdict["verified"] is True
    assert verdict["facts"]["source_repository_owner_id"] == "2314423"
    warm = _scan(tmp_path, base, "pypi-attestations==0.0.19\n", store)
    assert warm.origins_by_purl()[PURL] == cold.origins_by_purl()[PURL]
    # An unreadable verdict is not believed: the bundle is verified again, same outcome.
    store.http_cache().put_many(
        [(key, replace(kept, body=kept.body.partition(b"\n")[0] + b"\n[{}]"))]
    )
    again = _scan(tmp_path, base, "pypi-attestations==0.0.19\n", store)
    assert again.origins_by_purl()[PURL] == cold.origins_by_purl()[PURL]
    store.close()
