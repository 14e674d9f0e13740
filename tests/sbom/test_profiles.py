"""Minimum-elements profiles (`--sbom-profile`): which required fields an SBOM lacks, one
finding per field per document, and only for the profiles asked for."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Config
from auditor.model import Scan, ScanStatus
from auditor.pipeline import judge, merge_components
from auditor.policy.engine import load_policy
from auditor.policy.settings import PolicySettings, load_settings
from auditor.policy.yamlnodes import PolicyError
from auditor.sbom.collect import to_collected
from auditor.sbom.document import Party, SbomDocument, SbomEntry
from auditor.sbom.profiles import BSI, NTIA, RULE, SHOWN, missing_fields

BUILTINS_ONLY = load_policy(PolicySettings(packs=()))
SHA512 = "sha512:" + "ab" * 64
BSI_PROPERTIES = (
    ("bsi:component:filename", "lib-1.0.tar.gz"),
    ("bsi:component:executable", "non-executable"),
    ("bsi:component:archive", "archive"),
    ("bsi:component:structured", "structured"),
)


def _complete_entry(ref: str) -> SbomEntry:
    return SbomEntry(
        ref, f"lib-{ref}", "1.0", f"pkg:npm/lib-{ref}@1.0", "library",
        hashes=(SHA512,), licences=("MIT",),
        parties=(Party("Acme Widgets Inc.", "supplier", url="https://acme.invalid"),),
        properties=BSI_PROPERTIES,
    )  # fmt: skip


def _complete(entries: int = 3) -> SbomDocument:
    items = tuple(_complete_entry(str(n)) for n in range(entries))
    return SbomDocument(
        path="sboms/vendor.cdx.json",
        format="cyclonedx",
        spec_version="1.6",
        serial="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        created="2026-12-01T10:00:00Z",
        creators=("Acme Widgets Inc. (sbom@acme.invalid)",),
        subject="0",
        entries=items,
        dependencies=tuple(("0", e.ref) for e in items[1:]),
    )


def _fields(found: tuple[object, ...], profile: str) -> set[str]:
    return {
        e.field
        for f in found
        for e in f.evidence  # type: ignore[attr-defined]
        if e.value == profile
    }


def test_a_complete_document_passes_both_profiles() -> None:
    assert missing_fields(_complete()) == ()


def test_a_vendor_sbom_missing_fields_gives_the_right_findings() -> None:
    bare = replace(_complete_entry("9"), parties=(), hashes=("sha256:" + "c" * 64,),
                   properties=(), licences=(), purl=None, version=None)  # fmt: skip
    doc = replace(_complete(), entries=(*_complete().entries, bare), creators=("syft",),
                  created=None)  # fmt: skip
    found = missing_fields(doc)
    assert all(f.rule == RULE and f.severity.value == "low" for f in found)
    assert _fields(found, NTIA) == {
        "supplier name", "version", "other unique identifiers", "timestamp",
    }  # fmt: skip
    assert _fields(found, BSI) == {
        "creator of the SBOM (e-mail or URL)", "timestamp", "component creator (e-mail or URL)",
        "component version", "filename", "distribution licences",
        "SHA-512 hash of the deployable component", "executable property", "archive property",
        "structured property",
    }  # fmt: skip
    supplier = next(f for f in found if "supplier name" in f.message)
    assert "1 of 4 components in sboms/vendor.cdx.json" in supplier.message
    assert supplier.message.endswith(": 9")  # the ref of the entry that lacks it
    assert "§IV" in supplier.message  # the section that requires it
    # on the document itself, not on a component
    assert supplier.purl.startswith("pkg:generic/sbom/vendor.cdx.json?path=")


def test_one_finding_per_field_however_many_components_lack_it() -> None:
    doc = _complete(200)
    doc = replace(doc, entries=tuple(replace(e, version=None) for e in doc.entries))
    found = [f for f in missing_fields(doc, (NTIA,)) if "version" in f.message]
    assert len(found) == 1
    assert "200 of 200 components" in found[0].message
    assert f"and {200 - SHOWN} more" in found[0].message


def test_dependencies_are_required_of_the_described_subject() -> None:
    doc = replace(_complete(), dependencies=(("1", "2"),))
    assert _fields(missing_fields(doc), NTIA) == {"dependency relationship"}
    assert _fields(missing_fields(doc), BSI) == {"dependencies"}
    single = replace(_complete(1), dependencies=())
    assert missing_fields(single) == ()  # one component has nothing to relate


def _judged(doc: SbomDocument, config: Config) -> Scan:
    collected = to_collected(doc, "cyclonedx-json", "vendor.cdx.json")
    scan = Scan(
        id="s1",
        started_at="2026-12-08T00:00:00Z",
        finished_at="2026-12-08T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="test",
        targets=(),
        components=merge_components(collected.components),
        findings=collected.findings,
    )
    return judge(scan, config)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [((), set()), ((NTIA,), {NTIA}), ((BSI,), {BSI}), ((BSI, NTIA), {BSI, NTIA})],
)
def test_only_the_profiles_asked_for_are_reported(
    asked: tuple[str, ...], expected: set[str]
) -> None:
    doc = replace(_complete(), created=None)
    config = Config(no_resolve=True, store=False, policy=BUILTINS_ONLY, sbom_profiles=asked)
    scan = _judged(doc, config)
    profiles = {e.value for f in scan.findings if f.rule == RULE for e in f.evidence}
    assert profiles == expected


def test_the_configuration_asks_for_profiles_too(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "auditor.toml").write_text('sbom_profiles = ["ntia-2021"]\n', encoding="utf-8")
    settings_ = load_settings(folder / "auditor.toml", None)
    config = Config(no_resolve=True, store=False, policy=load_policy(settings_))
    scan = _judged(replace(_complete(), created=None), config)
    assert {e.value for f in scan.findings if f.rule == RULE for e in f.evidence} == {NTIA}
    (folder / "auditor.toml").write_text('sbom_profiles = ["ntia"]\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="sbom_profiles: 'ntia' not a profile"):
        load_settings(folder / "auditor.toml", None)


_text = st.text(max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        st.builds(
            SbomEntry,
            ref=_text,
            name=_text,
            version=st.none() | _text,
            purl=st.none() | _text,
            kind=_text,
            hashes=st.lists(_text, max_size=2).map(tuple),
            parties=st.lists(st.builds(Party, name=_text, role=_text), max_size=2).map(tuple),
            properties=st.lists(st.tuples(_text, _text), max_size=2).map(tuple),
        ),
        max_size=5,
    ),
    created=st.none() | _text,
    creators=st.lists(_text, max_size=2).map(tuple),
)
def test_any_document_gives_findings_never_an_error(
    entries: list[SbomEntry], created: str | None, creators: tuple[str, ...]
) -> None:
    doc = SbomDocument("x.json", "cyclonedx", "1.6", None, created, creators,
                       entries=tuple(entries))  # fmt: skip
    for f in missing_fields(doc):
        assert f.rule == RULE and f.message
