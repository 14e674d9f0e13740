"""`--format spdx3`: every document validates against the official SPDX 3.0.1 JSON schema and
SHACL shapes (tests/spdx3_check.py, files under tests/data/spdx3/) and says what the scan
says: packages with purls, versions and hashes, suppliers and originators (the model answer),
licences, dependencies and model lineage as relationships; models in the AI profile, datasets
in the Dataset profile; hosted services as packages the targets depend on at run time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Config
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Origin,
    OriginStatus,
    PublisherKind,
    Root,
    Scan,
    Strength,
)
from auditor.pipeline import run_scan
from auditor.render.spdx3 import Spdx3Renderer
from tests.conftest import DATA, REPO, Ran, write_files
from tests.render.test_cyclonedx import FULL_ORIGIN, TRICKY, TRICKY_DEPS, _scan, names
from tests.spdx3_check import check, schema, schema_errors

SHA = "a" * 40
MODEL = f"pkg:huggingface/acme/tuned@{SHA}"
BASE = f"pkg:huggingface/bigco/base@{'b' * 40}"
ROOT = "pkg:huggingface/bigco/origin"  # named only by a lineage edge: not in the inventory
DATASET = f"pkg:huggingface/acme/corpus@{'c' * 40}?repository_type=dataset"
TORCH = "pkg:pypi/torch@2.5.0"
HUB = "huggingface:/api/models/acme/tuned"
ROOT_DOC = "huggingface:/api/models/bigco/origin"
ML = (
    Component(
        MODEL,
        ComponentKind.MODEL,
        "acme/tuned",
        SHA,
        license="apache-2.0",
        hashes=("sha256:" + "1" * 64,),
        direct=True,
        found_by="hf-cache",
        locations=(Location("proj/", "models--acme--tuned"),),
    ),
    Component(
        BASE,
        ComponentKind.MODEL,
        "bigco/base",
        "b" * 40,
        license="llama3.2",
        locations=(Location("proj/", "models--bigco--base"),),
    ),
    Component(DATASET, ComponentKind.DATASET, "acme/corpus", "c" * 40, license="cc-by-4.0"),
    Component(
        TORCH,
        ComponentKind.LIBRARY,
        "torch",
        "2.5.0",
        license="BSD-3-Clause",
        locations=(Location("proj/", "uv.lock", 12),),
    ),
)
ML_ORIGINS = (
    Origin(
        MODEL,
        OriginStatus.RESOLVED,
        publisher=Claim("acme", Strength.REGISTRY),
        organisation=Claim("Acme Labs", Strength.INFERRED),
        country=Claim("FR", Strength.INFERRED),
        publisher_kind=PublisherKind.ORGANISATION,
        evidence=(
            Evidence("huggingface", "pipeline_tag", "text-generation", HUB, Strength.REGISTRY),
            Evidence("huggingface", "model_type", "llama", HUB, Strength.DECLARED),
            # Ollama's `model_type` is a parameter size, under another name: never a type.
            Evidence("ollama", "config.model_type", "7B", "blobs/x", Strength.DECLARED),
        ),
    ),
    Origin(
        BASE,
        OriginStatus.RESOLVED,
        publisher=Claim("bigco", Strength.REGISTRY),
        organisation=Claim("BigCo Inc", Strength.REGISTRY),
        country=Claim("US", Strength.REGISTRY),
        roots=(Root(ROOT, "quantized", "BigCo Inc", "US", Strength.REGISTRY),),
        # the root's card, as the Hub resolver records it
        evidence=(
            Evidence("huggingface", "lineage.root", "bigco/origin", ROOT_DOC, Strength.REGISTRY),
            Evidence(
                "huggingface", "lineage.root.cardData.license", "mit", ROOT_DOC, Strength.DECLARED
            ),
        ),
    ),
    Origin(
        TORCH,
        OriginStatus.RESOLVED,
        publisher=Claim("jane", Strength.REGISTRY),
        publisher_kind=PublisherKind.INDIVIDUAL,
    ),
)
ML_DEPS = (
    Dependency(MODEL, BASE, DependencyKind.DERIVED_FROM, scope="finetune"),
    Dependency(BASE, ROOT, DependencyKind.DERIVED_FROM, scope="quantized"),
    Dependency(MODEL, DATASET, DependencyKind.DERIVED_FROM),
    Dependency(MODEL, TORCH, scope="dev"),
)


def render(scan: Scan, shacl: bool = True) -> dict[str, Any]:
    """Render, validate, and index the graph."""
    return check(Spdx3Renderer().render(scan), shacl)


def by_type(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in doc["@graph"] if e["type"] == kind]


def package(doc: dict[str, Any], purl: str) -> dict[str, Any]:
    [found] = [e for e in doc["@graph"] if e.get("software_packageUrl") == purl]
    return found


def named(doc: dict[str, Any], iri: str) -> dict[str, Any]:
    return next(e for e in doc["@graph"] if e.get("spdxId") == iri)


def relations(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(from, type, to) for every `to` of every relationship."""
    return {
        (r["from"], r["relationshipType"], to)
        for r in doc["@graph"]
        if r["type"] in ("Relationship", "LifecycleScopedRelationship")
        for to in r["to"]
    }


def props(element: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for ext in element.get("extension", []):
        for entry in ext["extension_cdxProperty"]:
            found.setdefault(entry["extension_cdxPropName"], []).append(
                entry.get("extension_cdxPropValue", "")
            )
    return found


def test_models_datasets_and_lineage_in_the_ai_and_dataset_profiles() -> None:
    doc = render(_scan(ML, origins=ML_ORIGINS, dependencies=ML_DEPS))
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    [document] = by_type(doc, "SpdxDocument")
    assert document["profileConformance"] == [
        "core",
        "software",
        "simpleLicensing",
        "ai",
        "dataset",
    ]
    model, base, dataset = (package(doc, p) for p in (MODEL, BASE, DATASET))
    assert (model["type"], base["type"]) == ("ai_AIPackage", "ai_AIPackage")
    assert model["software_primaryPurpose"] == "model"
    assert model["ai_typeOfModel"] == ["llama"] and model["ai_domain"] == ["text-generation"]
    assert "ai_typeOfModel" not in base  # nothing known: nothing claimed
    assert dataset["type"] == "dataset_DatasetPackage"
    assert dataset["dataset_datasetType"] == ["noAssertion"]
    assert model["verifiedUsing"] == [
        {"type": "Hash", "algorithm": "sha256", "hashValue": "1" * 64}
    ]
    # The supplier is the attributed organisation, with its country; the originator whom
    # the model answer traces it to: BigCo, through the base, to the root only a hop names.
    supplier = named(doc, model["suppliedBy"])
    assert (supplier["type"], supplier["name"]) == ("Organization", "Acme Labs")
    assert props(supplier) == {"auditor:country": ["FR"], "auditor:country:strength": ["inferred"]}
    assert supplier["comment"].startswith("country FR (inferred)")
    [originator] = [named(doc, i) for i in model["originatedBy"]]
    assert (originator["name"], props(originator)["auditor:country"]) == ("BigCo Inc", ["US"])
    root = package(doc, ROOT)
    assert root["type"] == "ai_AIPackage" and root["name"] == "bigco/origin"
    assert "not itself in the inventory" in root["comment"]
    # A person publishes torch; its dev dependency is scoped `development`.
    torch = package(doc, TORCH)
    assert named(doc, torch["suppliedBy"])["type"] == "Person"
    rel = relations(doc)
    ids = {p: package(doc, p)["spdxId"] for p in (MODEL, BASE, ROOT, DATASET, TORCH)}
    assert (ids[MODEL], "descendantOf", ids[BASE]) in rel
    assert (ids[BASE], "descendantOf", ids[ROOT]) in rel
    assert (ids[MODEL], "trainedOn", ids[DATASET]) in rel
    assert (ids[MODEL], "dependsOn", ids[TORCH]) in rel
    comments = {
        (r["from"], r["to"][0]): (r.get("comment"), r.get("scope"))
        for r in doc["@graph"]
        if r["type"].endswith("Relationship")
    }
    assert comments[ids[MODEL], ids[BASE]][0] == "finetune (declared)"
    assert comments[ids[BASE], ids[ROOT]][0] == "quantized (declared)"
    assert comments[ids[MODEL], ids[TORCH]] == (None, "development")
    # Licences: each package's own is declared; a derived model's roots' are concluded.
    licence = {
        named(doc, b)["simplelicensing_licenseExpression"]: (a, kind)
        for a, kind, b in rel
        if kind.startswith("has")
    }
    assert licence["Apache-2.0"] == (ids[MODEL], "hasDeclaredLicense")
    assert licence["BSD-3-Clause"] == (ids[TORCH], "hasDeclaredLicense")
    concluded = {
        named(doc, b)["simplelicensing_licenseExpression"]
        for a, kind, b in rel
        if kind == "hasConcludedLicense" and a == ids[MODEL]
    }
    assert concluded == {"MIT"}  # the root's; not the training data's CC-BY-4.0
    llama = next(
        e
        for e in by_type(doc, "simplelicensing_LicenseExpression")
        if "llama3.2" in e["simplelicensing_licenseExpression"]
    )
    [entry] = llama["simplelicensing_customIdToUri"]
    assert named(doc, entry["value"])["simplelicensing_licenseText"] == "llama3.2"


def test_tricky_content_and_escaping() -> None:
    odd = Component("pkg:generic/odd@1", ComponentKind.LIBRARY, 'na"me\x00\x1b[31m\n', "1")
    scan = _scan((*TRICKY, odd), dependencies=TRICKY_DEPS, origins=(FULL_ORIGIN,))
    text = Spdx3Renderer().render(scan)
    assert "\x1b" not in text and "\x00" not in text  # escaped, as JSON must
    doc = check(text)
    assert package(doc, "pkg:generic/odd@1")["name"] == 'na"me\x00\x1b[31m\n'
    first = package(doc, TRICKY[0].purl)
    assert {(h["algorithm"], h["hashValue"]) for h in first["verifiedUsing"]} == {
        ("md5", "d" * 32),
        ("sha256", "a" * 64),
        ("sha384", "b" * 96),
    }
    assert named(doc, first["suppliedBy"])["name"] == "Org «GmbH»"
    assert first["software_sourceInfo"] == "repository https://github.com/o/ré (attested)"
    assert props(first)["auditor:origin:conflict"] == list(FULL_ORIGIN.conflicts)
    # A licence text that is no SPDX expression: a LicenseRef- with the text kept whole.
    rel = relations(doc)
    [declared] = [
        b
        for a, kind, b in rel
        if a == package(doc, TRICKY[4].purl)["spdxId"] and kind == "hasDeclaredLicense"
    ]
    expression = named(doc, declared)
    assert expression["simplelicensing_licenseExpression"].startswith("LicenseRef-")
    [entry] = expression["simplelicensing_customIdToUri"]
    assert named(doc, entry["value"])["simplelicensing_licenseText"] == TRICKY[4].license.strip()  # type: ignore[union-attr]
    # A project root and a missing entry are packages the edges name.
    assert "not itself in the inventory" in package(doc, "pkg:pypi/ghost@9.9")["comment"]
    ids = [e["spdxId"] for e in doc["@graph"] if "spdxId" in e]
    assert len(ids) == len(set(ids))
    [document] = by_type(doc, "SpdxDocument")
    assert set(document["element"]) == set(ids) - {document["spdxId"]}


def test_deterministic_and_empty() -> None:
    scan = _scan(ML, origins=ML_ORIGINS, dependencies=ML_DEPS)
    assert Spdx3Renderer().render(scan) == Spdx3Renderer().render(scan)
    render(_scan(()))
    doc = render(_scan((), targets=()))
    [sbom] = by_type(doc, "software_Sbom")
    assert sbom["software_sbomType"] == ["analyzed"] and len(sbom["rootElement"]) == 1


def test_the_json_schema_checkers_agree() -> None:
    """jsonschema-rs (used for speed) and the reference `jsonschema` give the same verdicts:
    on one element of every type we write, each against its class as the schema checks
    `@graph` items, and on broken ones (the reference takes seconds per element here)."""
    import jsonschema

    from tests.spdx3_check import _validator

    doc = json.loads(Spdx3Renderer().render(_scan(ML, origins=ML_ORIGINS, dependencies=ML_DEPS)))
    sample: dict[str, Any] = {}
    for item in doc["@graph"]:
        sample.setdefault(item["type"], item)
    relation = json.loads(json.dumps(sample["Relationship"]))
    relation["relationshipType"] = "fineTunedFrom"  # not an SPDX 3.0.1 relationship type
    model = json.loads(json.dumps(sample["ai_AIPackage"]))
    model["ai_typeOfModel"] = "llama"  # a list in SPDX 3.0.1
    whole = schema()
    cases = [*((item, True) for item in sample.values()), (relation, False), (model, False)]
    for item, valid in cases:
        kind = item["type"]
        one = {
            "$schema": whole["$schema"],
            "$defs": whole["$defs"],
            "type": "object",
            "$ref": f"#/$defs/{kind}",
            "unevaluatedProperties": False,
        }
        assert jsonschema.validators.validator_for(one)(one).is_valid(item) is valid, kind
        assert _validator(kind).is_valid(item) is valid, kind
    broken = {**doc, "@graph": [*doc["@graph"], relation]}
    assert any("fineTunedFrom" in e for e in schema_errors(broken))


names_or_none = st.none() | names


@st.composite
def lineage_scans(draw: st.DrawFn) -> Scan:
    """Any text in names, organisations and licences; any lineage and dependency graph."""
    kinds = st.sampled_from(list(ComponentKind))
    components, origins = [], []
    for i in range(draw(st.integers(0, 5))):
        purl = f"pkg:huggingface/o/m{i}@{i:040d}" if i % 2 else f"pkg:generic/p{i}@1"
        components.append(
            Component(
                purl, draw(kinds), draw(names), draw(names_or_none), license=draw(names_or_none)
            )
        )
        organisation = draw(names_or_none)
        origins.append(
            Origin(
                purl,
                OriginStatus.RESOLVED,
                publisher=Claim(draw(names), Strength.REGISTRY),
                organisation=Claim(organisation, Strength.INFERRED) if organisation else None,
                country=Claim(draw(st.sampled_from(["CN", "US"])), Strength.INFERRED),
                publisher_kind=draw(st.none() | st.sampled_from(list(PublisherKind))),
            )
        )
    pool = [c.purl for c in components] + ["pkg:huggingface/o/root", "pkg:generic/ghost"]
    edges = draw(
        st.lists(
            st.tuples(
                st.sampled_from(pool),
                st.sampled_from(pool),
                st.sampled_from(list(DependencyKind)),
                st.none() | st.sampled_from(["quantized", "dev", "copy", "extra:x"]),
            ),
            max_size=8,
        )
    )
    deps = tuple(dict.fromkeys(Dependency(a, b, k, s) for a, b, k, s in edges if a != b))
    return _scan(tuple(components), origins=tuple(origins), dependencies=deps)


@settings(max_examples=25, deadline=None)
@given(lineage_scans())
def test_any_scan_gives_a_valid_document(scan: Scan) -> None:
    render(scan)


# --- real scans -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", [REPO / "examples", DATA], ids=["examples", "tests-data"])
def test_real_scans(target: Path) -> None:
    scan = run_scan([str(target)], Config(no_resolve=True, store=False))
    # SHACL on tests/data's 2,000-odd packages takes a minute: the schema alone there.
    doc = render(scan, shacl=target != DATA)
    packages = [e for e in doc["@graph"] if "software_packageUrl" in e]
    assert {c.purl for c in scan.components} <= {p["software_packageUrl"] for p in packages}
    assert any("verifiedUsing" in p for p in packages)


def test_hosted_services_are_packages_the_target_calls(tmp_path: Path) -> None:
    from tests.services import filled
    from tests.services.test_service_answer import APP

    write_files(tmp_path / "app", {"llm.py": filled(APP)})
    scan = run_scan([str(tmp_path / "app")], Config(offline=True, store=False))
    doc = render(scan)
    services = [c for c in scan.components if c.kind is ComponentKind.SERVICE]
    assert len(services) == 3
    [target] = [e for e in doc["@graph"] if e.get("name") == str(tmp_path / "app")]
    rel = relations(doc)
    for c in services:
        found = package(doc, c.purl)
        assert found["software_primaryPurpose"] == "other"
        assert "not a shipped package" in found["comment"]
        assert (target["spdxId"], "dependsOn", found["spdxId"]) in rel
        assert (target["spdxId"], "contains", found["spdxId"]) not in rel
        # the operator supplies it; the lab whose model it serves is among its originators
        originators = {named(doc, i)["name"] for i in found["originatedBy"]}
        if "self-hosted" not in c.purl:
            assert named(doc, found["suppliedBy"])["name"] in originators
        assert len(originators) >= 1
    deepseek = package(doc, "pkg:generic/ai-service/together/deepseek-ai/DeepSeek-V3")
    countries = {props(named(doc, i))["auditor:country"][0] for i in deepseek["originatedBy"]}
    assert countries == {"US", "CN"}


@pytest.fixture
def hub_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A cache laid out by huggingface_hub from a loopback Hub: a re-packager's GGUF
    quantisation of an instruct model of a base (tests/lineage_hub.py)."""
    from tests.lineage_hub import INSTRUCT, QUANT, UNVETTED, download, populate
    from tests.servers.hub import HubState, serve

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    state = HubState()
    for url in serve(state):
        populate(state, url)
        download(state, url, tmp_path / "hub", (QUANT, INSTRUCT, UNVETTED))
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield tmp_path / "hub"


def test_a_hub_cache_with_a_quantised_lineage(
    hub_cache: Path, auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    from tests.lineage_hub import BASE as QWEN_BASE
    from tests.lineage_hub import INSTRUCT, QUANT

    out = tmp_path / "sbom.spdx3.json"
    ran = auditor("scan", hub_cache, "--format", "spdx3", "-o", out)
    assert ran.code in (0, 3), ran.stderr
    text = out.read_text(encoding="utf-8")
    doc = check(text)
    models = {e["name"]: e for e in by_type(doc, "ai_AIPackage")}
    quant, instruct = models[QUANT], models[INSTRUCT]
    assert quant["software_packageUrl"].startswith(f"pkg:huggingface/{QUANT}@")
    # the AI profile from what was read: the GGUF header's architecture, the Hub's task
    assert quant["ai_typeOfModel"] == ["qwen2"]
    assert quant["ai_domain"] == instruct["ai_domain"] == ["text-generation"]
    # quantisation -> instruct (cached) -> base (named by the Hub only): descendantOf, the
    # Hub's relation words and support kept
    rel = {
        (r["from"], r["to"][0]): r.get("comment")
        for r in by_type(doc, "Relationship")
        if r["relationshipType"] == "descendantOf"
    }
    base = models[QWEN_BASE]
    assert rel[quant["spdxId"], instruct["spdxId"]] == "quantized (registry)"
    assert rel[instruct["spdxId"], base["spdxId"]] == "finetune (registry)"
    # all three trace to Alibaba, CN; the quantiser is not the originator
    for element in (quant, instruct, base):
        [org] = [named(doc, i) for i in element["originatedBy"]]
        assert org["name"] == "Alibaba Group Holding Limited"
        assert props(org)["auditor:country"] == ["CN"]
    assert {named(doc, quant["suppliedBy"])["name"]} != {"Alibaba Group Holding Limited"}
    # The stored scan renders to the very same bytes.
    [document] = by_type(doc, "SpdxDocument")
    scan_id = document["name"].rsplit(" ", 1)[1]
    again = auditor("report", scan_id, "--format", "spdx3")
    assert again.code == 0, again.stderr
    assert again.stdout == text
