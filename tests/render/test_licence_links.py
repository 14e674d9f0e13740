"""A model licence no SPDX id names (a Hub card's `license: other`, `license_name: qwen`,
`license_link: …`) reaches both SBOMs with its link, so a reader can find the terms."""

from __future__ import annotations

from auditor.model import Component, ComponentKind, Evidence, Origin, OriginStatus, Scan, Strength
from tests.render.test_cyclonedx import _purl, _scan
from tests.render.test_cyclonedx import render as render_cyclonedx
from tests.render.test_spdx import render as render_spdx

LINK = "https://huggingface.invalid/Qwen/Qwen2.5-3B/blob/main/LICENSE"
QWEN = _purl("huggingface", "Qwen", "Qwen2.5-3B", "a" * 40)
CARD = Evidence("huggingface", "cardData.license_link", LINK, "huggingface:/api/models/Qwen/"
                "Qwen2.5-3B", Strength.DECLARED, "2026-12-01T09:00:00+00:00")  # fmt: skip
MODEL = Component(QWEN, ComponentKind.MODEL, "Qwen/Qwen2.5-3B", "a" * 40, license="LicenseRef-qwen")
PLAIN = Component(
    _purl("huggingface", "Org", "plain", "b" * 40),
    ComponentKind.MODEL,
    "Org/plain",
    "b" * 40,
    license="Apache-2.0",
    evidence=(CARD,),  # a link beside an SPDX id adds nothing: the id names the terms
)


def _scan_with_link() -> Scan:
    origin = Origin(QWEN, OriginStatus.RESOLVED, evidence=(CARD,))
    return _scan((MODEL, PLAIN), origins=(origin,))


def test_cyclonedx_names_the_licence_with_its_link() -> None:
    bom = render_cyclonedx(_scan_with_link())
    by_purl = {c["purl"]: c for c in bom["components"]}
    assert by_purl[QWEN]["licenses"] == [{"license": {"name": "LicenseRef-qwen", "url": LINK}}]
    plain = by_purl[PLAIN.purl]["licenses"]
    assert plain == [{"license": {"id": "Apache-2.0"}}] or plain == [{"expression": "Apache-2.0"}]


def test_spdx_licence_ref_carries_the_link() -> None:
    document, raw = render_spdx(_scan_with_link())
    infos = {i["licenseId"]: i for i in raw.get("hasExtractedLicensingInfos", [])}
    package = next(p for p in document.packages for r in p.external_references if r.locator == QWEN)
    ref = str(package.license_declared)
    assert ref.startswith("LicenseRef-qwen")
    assert infos[ref]["seeAlsos"] == [LINK]
    assert all("seeAlsos" not in i or i["licenseId"] == ref for i in infos.values())
