"""auditor.sbom.collect: one SbomDocument to components, edges and declared evidence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.model import ComponentKind, DependencyKind, Strength
from auditor.sbom.collect import (
    _PLAIN,
    ANCESTOR_FIELD,
    REF_FIELD,
    SOURCE,
    kind_of,
    normalised_purl,
    to_collected,
)
from auditor.sbom.document import Party, SbomDocument, SbomEntry, SbomService
from tests.services import host


def _doc() -> SbomDocument:
    return SbomDocument(
        path="vendor.cdx.json",
        format="cyclonedx",
        spec_version="1.6",
        serial="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        created=None,
        subject="app",
        entries=(
            SbomEntry("app", "app", "1.0", "pkg:pypi/App@1.0", "application"),
            SbomEntry(
                "req",
                "Requests",
                "2.32.3",
                "pkg:pypi/Requests@2.32.3",
                "library",
                hashes=("sha256:" + "a" * 64,),
                cpes=("cpe:2.3:a:python:requests:2.32.3:*:*:*:*:*:*:*",),
                parties=(Party("Kenneth Reitz", "authors"), Party("ACME Corp", "supplier")),
            ),
            SbomEntry("blob", "libfoo.so", "3", None, "file", parent_ref="req", line=40),
            SbomEntry(
                "gguf",
                "llama-q4",
                "1",
                "pkg:huggingface/acme/llama-q4@abc",
                "machine-learning-model",
                ancestors=("pkg:huggingface/meta-llama/Llama-3.1-8B", "some base"),
            ),
            SbomEntry("bad", "weird", None, "not a purl", "library"),
        ),
        services=(
            SbomService("svc", "chat", None, (f"https://{host('openai')}/v1",), "OpenAI"),
            SbomService("svc2", "billing", "2", ("https://billing.example.invalid",), "ACME Corp"),
        ),
        dependencies=(("app", "req"), ("req", "gguf"), ("app", "svc"), ("app", "missing")),
    )


def test_entries_become_components_with_declared_evidence() -> None:
    found = to_collected(_doc(), "cyclonedx-json", target="sbom:vendor.cdx.json")
    by_name = {c.name: c for c in found.components}
    req = by_name["Requests"]
    assert req.purl == "pkg:pypi/requests@2.32.3"
    assert req.kind is ComponentKind.LIBRARY
    assert req.direct is True
    assert req.locations[0].target == "sbom:vendor.cdx.json"
    fields = {(e.field, e.value) for e in req.evidence}
    assert (REF_FIELD, "req") in fields
    assert ("supplier", "ACME Corp") in fields and ("authors", "Kenneth Reitz") in fields
    assert ("cpe", "cpe:2.3:a:python:requests:2.32.3:*:*:*:*:*:*:*") in fields
    assert all(e.source == SOURCE and e.strength is Strength.DECLARED for e in req.evidence)
    assert all(e.where == "vendor.cdx.json#req" for e in req.evidence)


def test_a_component_without_a_purl_is_kept_as_the_sbom_states_it() -> None:
    found = to_collected(_doc(), "cyclonedx-json")
    blob = next(c for c in found.components if c.name == "libfoo.so")
    assert blob.purl == "pkg:generic/libfoo.so@3?auditor_source=sbom"
    assert purls.is_sbom_only(blob.purl)
    assert blob.direct is False
    assert blob.locations[0].line == 40
    weird = next(c for c in found.components if c.name == "weird")
    assert purls.is_sbom_only(weird.purl)
    assert [d.location for d in found.diagnostics] == ["vendor.cdx.json"]
    assert "not a package URL" in found.diagnostics[0].message


def test_edges_nesting_and_lineage() -> None:
    found = to_collected(_doc(), "cyclonedx-json")
    edges = {(d.source, d.target, d.kind) for d in found.dependencies}
    assert ("pkg:pypi/app@1.0", "pkg:pypi/requests@2.32.3", DependencyKind.DEPENDS_ON) in edges
    blob = "pkg:generic/libfoo.so@3?auditor_source=sbom"
    assert ("pkg:pypi/requests@2.32.3", blob, DependencyKind.CONTAINS) in edges
    model = "pkg:huggingface/acme/llama-q4@abc"
    base = "pkg:huggingface/meta-llama/Llama-3.1-8B"
    assert (model, base, DependencyKind.DERIVED_FROM) in edges
    gguf = next(c for c in found.components if c.purl == model)
    assert gguf.kind is ComponentKind.MODEL
    assert {e.value for e in gguf.evidence if e.field == ANCESTOR_FIELD} == {base, "some base"}
    assert not any("missing" in d.target for d in found.dependencies)


def test_services_use_the_ai_service_purl() -> None:
    found = to_collected(_doc(), "cyclonedx-json")
    services = [c for c in found.components if c.kind is ComponentKind.SERVICE]
    assert {s.purl for s in services} == {
        "pkg:generic/ai-service/openai/chat",
        "pkg:generic/ai-service/acme-corp/billing",
    }
    chat = next(s for s in services if s.name == "openai/chat")
    endpoint = f"https://{host('openai')}/v1"
    assert ("endpoint", endpoint) in {(e.field, e.value) for e in chat.evidence}


def test_kind_words() -> None:
    assert kind_of("machine-learning-model", "pkg:pypi/x@1") is ComponentKind.MODEL
    assert kind_of("data", "pkg:generic/x") is ComponentKind.DATASET
    assert kind_of("ai_AIPackage", "pkg:generic/x") is ComponentKind.MODEL
    assert kind_of("dataset_DatasetPackage", "pkg:generic/x") is ComponentKind.DATASET
    assert kind_of("library", "pkg:deb/debian/openssl@3") is ComponentKind.OS_PACKAGE
    assert kind_of("", "pkg:huggingface/d/x?repository_type=dataset") is ComponentKind.DATASET
    assert kind_of("whatever", "pkg:cargo/x@1") is ComponentKind.LIBRARY


@settings(max_examples=400, deadline=None)
@given(st.from_regex(_PLAIN, fullmatch=True))
def test_the_fast_purl_path_agrees_with_packageurl(text: str) -> None:
    parsed = PackageURL.from_string(text)
    if parsed.type == "pypi":
        parsed = parsed._replace(name=canonicalize_name(parsed.name))
    assert normalised_purl(text) == parsed.to_string()
