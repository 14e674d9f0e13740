"""The vendor's word against the registry's: `sbom.supplier-conflict` and `sbom.hash-mismatch`.

An SBOM document as the readers hand it over (`SbomDocument` → `auditor.sbom.collect`), its
components resolved against the loopback PyPI and npm registries (recorded real answers:
tests/data/pypi, tests/data/npm), attributed with the shipped knowledge base, then judged
by `auditor.pipeline.judge` as a scan and as a stored scan judged again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import Finding, Scan, ScanStatus
from auditor.pipeline import judge, merge_components
from auditor.policy.engine import load_policy
from auditor.policy.settings import PolicySettings
from auditor.resolution import resolve_components
from auditor.resolvers.publishers import load as load_kb
from auditor.sbom.collect import to_collected
from auditor.sbom.document import Party, SbomDocument, SbomEntry
from tests.servers.jsonapi import JsonApiState, load, serve
from tests.servers.pypi import PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=0.5, attempts=3)
BUILTINS_ONLY = load_policy(PolicySettings(packs=()))
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = "pkg:pypi/sampleproject@4.0.0"
"""Its index organisation is `pypa`: the Python Software Foundation in the knowledge base."""


def _pypi_file_digests(name: str, version: str) -> list[dict[str, Any]]:
    doc = json.loads((DATA / "pypi" / f"{name}.json").read_text(encoding="utf-8"))
    return [f["digests"] for f in doc["releases"][version]]


def _doc(*entries: SbomEntry, subject: str | None = "app") -> SbomDocument:
    product = SbomEntry("app", "acme-app", "1.0", None, "application",
                        parties=(Party("Acme Widgets Inc.", "supplier"),))  # fmt: skip
    return SbomDocument(
        path="vendor.cdx.json",
        format="cyclonedx",
        spec_version="1.6",
        serial="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        created="2026-12-01T00:00:00Z",
        subject=subject,
        entries=(product, *entries),
        dependencies=tuple(("app", e.ref) for e in entries),
    )


def _judged(doc: SbomDocument, config: Config) -> Scan:
    collected = to_collected(doc, "cyclonedx-json", "vendor.cdx.json")
    components = merge_components(collected.components)
    resolved = resolve_components(components, config)
    scan = Scan(
        id="s1",
        started_at="2026-12-08T00:00:00Z",
        finished_at="2026-12-08T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="test",
        targets=(),
        components=components,
        origins=resolved.origins,
        dependencies=collected.dependencies,
        findings=resolved.findings,
    )
    return judge(scan, config)


def _rules(scan: Scan, rule: str) -> list[Finding]:
    return [f for f in scan.findings if f.rule == rule]


@pytest.fixture
def pypi_config(pypi: tuple[PyPIState, str]) -> Config:
    return Config(pypi_url=pypi[1], http=FAST, store=False, concurrency=4, policy=BUILTINS_ONLY)


def _sample(*parties: Party, hashes: tuple[str, ...] = ()) -> SbomEntry:
    return SbomEntry("sample", "sampleproject", "4.0.0", SAMPLE, "library",
                     hashes=hashes, parties=parties)  # fmt: skip


def test_a_vendor_claiming_a_registry_package_as_its_own_is_a_conflict(
    pypi_config: Config,
) -> None:
    scan = _judged(_doc(_sample(Party("Acme Widgets Inc.", "manufacturer"))), pypi_config)
    origin = scan.origins_by_purl()[SAMPLE]
    assert origin.organisation is not None
    assert origin.organisation.value == "Python Software Foundation"
    (found,) = _rules(scan, "sbom.supplier-conflict")
    assert found.purl == SAMPLE
    assert (found.severity.value, found.action.value) == ("medium", "report")
    assert "Acme Widgets Inc." in found.message and "Python Software Foundation" in found.message
    assert "vendor.cdx.json#sample" in found.message  # where the vendor said it
    assert found.evidence[0].source == "sbom" and found.evidence[0].field == "manufacturer"
    assert found.evidence[1].source == "knowledge-base"  # what the registry side rests on


@pytest.mark.parametrize(
    "party",
    [
        Party("Python Software Foundation", "supplier"),
        Party("python software foundation, Inc.", "manufacturer"),  # form only
        Party("Python Packaging Authority", "manufacturer"),  # a knowledge-base alias
        Party("Jane Doe", "authors"),  # a person: says nothing of the organisation
        Party("Acme Widgets Inc.", "supplier"),  # the vendor distributing it
        Party("NOASSERTION", "originator"),  # SPDX: nothing stated
    ],
    ids=["same", "form", "alias", "person", "distributor", "noassertion"],
)
def test_no_conflict_when_the_claims_agree_or_say_nothing(
    pypi_config: Config, party: Party
) -> None:
    scan = _judged(_doc(_sample(party)), pypi_config)
    assert not _rules(scan, "sbom.supplier-conflict")


def test_the_vendors_own_product_is_never_a_conflict(pypi_config: Config) -> None:
    # The document describes sampleproject itself, made by the vendor: its product.
    entry = _sample(Party("Acme Widgets Inc.", "manufacturer"))
    doc = replace(_doc(entry), subject="sample")
    assert not _rules(_judged(doc, pypi_config), "sbom.supplier-conflict")


def test_a_stored_scan_judged_again_has_the_conflict_once(pypi_config: Config) -> None:
    scan = _judged(_doc(_sample(Party("Acme Widgets Inc.", "manufacturer"))), pypi_config)
    again = judge(scan, pypi_config)
    assert len(_rules(again, "sbom.supplier-conflict")) == 1


def test_a_subsidiary_and_its_parent_are_one_organisation() -> None:
    from auditor.attribution.vendor_claims import _conflicts, _Names, parse_claim
    from auditor.model import Evidence, Strength

    kb = load_kb()
    names = _Names(kb)
    by_key = {o.key: o for o in kb.organisations}
    child = next(o for o in kb.organisations if o.parent is not None)
    parent = by_key[child.parent.key]  # type: ignore[union-attr]
    claim = parse_claim(Evidence("sbom", "manufacturer", parent.name, "x#y", Strength.DECLARED))
    assert names.organisation(claim) is parent
    assert not _conflicts(claim, parent, child, names)
    other = next(o for o in kb.organisations if names.top(o) != names.top(child))
    assert _conflicts(claim, parent, other, names)


def test_a_tampered_sbom_hash_is_a_mismatch_and_a_true_one_is_not(pypi_config: Config) -> None:
    served = _pypi_file_digests("sampleproject", "4.0.0")
    true = f"sha256:{served[0]['sha256']}"
    tampered = "sha256:" + "0" * 64
    scan = _judged(_doc(_sample(hashes=(true,))), pypi_config)
    assert not _rules(scan, "sbom.hash-mismatch")
    scan = _judged(_doc(_sample(hashes=(tampered,))), pypi_config)
    (found,) = _rules(scan, "sbom.hash-mismatch")
    assert (found.severity.value, found.purl) == ("high", SAMPLE)
    assert "sha256" in found.message and "0" * 64 in found.message
    assert served[0]["sha256"] in found.message or served[1]["sha256"] in found.message
    assert found.evidence[0].source == "pypi"
    # judged as the vendor's SBOM, not as a lockfile pin
    assert not _rules(scan, "pypi.file-not-served")


def test_md5_from_the_sbom_is_compared_with_the_files_md5(pypi_config: Config) -> None:
    served = _pypi_file_digests("sampleproject", "4.0.0")
    scan = _judged(_doc(_sample(hashes=(f"md5:{served[-1]['md5']}",))), pypi_config)
    assert not _rules(scan, "sbom.hash-mismatch")
    scan = _judged(_doc(_sample(hashes=("md5:" + "f" * 32,))), pypi_config)
    assert len(_rules(scan, "sbom.hash-mismatch")) == 1


def test_algorithms_that_never_meet_say_nothing(pypi_config: Config) -> None:
    # PyPI serves md5, sha256 and blake2b_256: an SBOM's SHA-512 cannot be compared.
    scan = _judged(_doc(_sample(hashes=("sha512:" + "a" * 128,))), pypi_config)
    assert not _rules(scan, "sbom.hash-mismatch")


@pytest.fixture
def npm_config() -> Any:
    state = JsonApiState(routes={"/ms": load("npm/ms.json")})
    for url in serve(state):
        yield Config(npm_registry=url, http=FAST, store=False, concurrency=4, policy=BUILTINS_ONLY)


def test_npm_integrity_and_shasum_check_the_sbom_hashes(npm_config: Config) -> None:
    dist = json.loads((DATA / "npm" / "ms.json").read_text(encoding="utf-8"))["versions"]["2.0.0"]
    entry = SbomEntry("ms", "ms", "2.0.0", "pkg:npm/ms@2.0.0", "library",
                      hashes=(f"sha1:{dist['dist']['shasum']}",))  # fmt: skip
    scan = _judged(_doc(entry), npm_config)
    assert not _rules(scan, "sbom.hash-mismatch")
    scan = _judged(_doc(replace(entry, hashes=("sha1:" + "1" * 40,))), npm_config)
    (found,) = _rules(scan, "sbom.hash-mismatch")
    assert dist["dist"]["shasum"] in found.message
    assert not _rules(scan, "npm.integrity-mismatch")
    tampered = replace(entry, hashes=("sha512:" + "2" * 128,))
    scan = _judged(_doc(tampered), npm_config)
    (found,) = _rules(scan, "sbom.hash-mismatch")
    assert "sha512" in found.message


def test_a_vendor_cyclonedx_file_scanned_end_to_end(pypi_config: Config) -> None:
    """tests/data/sbom-checks/vendor-claims.cdx.json (README there) scanned as a target."""
    from auditor.pipeline import run_scan

    path = DATA / "sbom-checks" / "vendor-claims.cdx.json"
    scan = run_scan([str(path)], replace(pypi_config, sbom_profiles=("ntia-2021",)))
    (conflict,) = _rules(scan, "sbom.supplier-conflict")
    assert conflict.purl == SAMPLE  # requests: the vendor names itself its distributor
    assert "Acme Widgets Inc." in conflict.message and "manufacturer" in conflict.message
    (mismatch,) = _rules(scan, "sbom.hash-mismatch")
    assert mismatch.purl == SAMPLE and "0" * 64 in mismatch.message
    missing = {f.evidence[0].field for f in _rules(scan, "sbom.missing-field")}
    # acme-internal has no purl and no supplier; requests has no hash (not asked by NTIA)
    assert missing == {"other unique identifiers", "supplier name"}
    assert all(e.value == "ntia-2021" for f in _rules(scan, "sbom.missing-field")
               for e in f.evidence)  # fmt: skip


def test_the_organisation_that_made_the_document_may_distribute(pypi_config: Config) -> None:
    # No subject among the entries (a metadata.component without a purl): the document's
    # own organisation, named as a creator, is the vendor.
    made = replace(
        _doc(subject=None), creators=("Organization: Acme Widgets Inc. (https://acme.invalid)",)
    )
    supplied = replace(made, entries=(_sample(Party("Acme Widgets Inc.", "supplier")),))
    assert not _rules(_judged(supplied, pypi_config), "sbom.supplier-conflict")
    claimed = replace(made, entries=(_sample(Party("Acme Widgets Inc.", "manufacturer")),))
    assert len(_rules(_judged(claimed, pypi_config), "sbom.supplier-conflict")) == 1
