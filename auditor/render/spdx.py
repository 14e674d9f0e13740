"""`--format spdx`: an SPDX 2.3 JSON document, written directly (no SPDX library at run time).

- each inventory entry is a package: purl as a PACKAGE-MANAGER external reference, hashes
  SPDX knows as checksums, the publisher as `supplier`, the organisation as `originator`,
  the declared licence as an SPDX expression when it is one, else as a `LicenseRef-` with
  the declared text attached (nothing is lost, nothing invalid is claimed);
- each target is a package the document DESCRIBES and that CONTAINS what was found in it;
- `depends_on` edges are DEPENDS_ON, `derived_from` (model lineage) DESCENDANT_OF; an edge's
  end the inventory lacks (a project root, a missing entry) still becomes a package.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from packageurl import PackageURL

from auditor.graph.trace import Trace
from auditor.licences import link_of, spdx_licensing
from auditor.model import Component, DependencyKind, Origin, Scan, Target
from auditor.render import Renderer

NAMESPACE_BASE = "https://spdx.invalid/origin-auditor/"
NOASSERTION = "NOASSERTION"
CHECKSUMS = {  # our algorithm names -> SPDX 2.3's, with the hex length
    "md5": ("MD5", 32),
    "sha1": ("SHA1", 40),
    "sha256": ("SHA256", 64),
    "sha384": ("SHA384", 96),
    "sha512": ("SHA512", 128),
    "sha3_256": ("SHA3-256", 64),
    "sha3_512": ("SHA3-512", 128),
    "blake2b_256": ("BLAKE2b-256", 64),
}
_LICENCE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]{1,64}")
_NOT_ID = re.compile(r"[^A-Za-z0-9.-]+")
_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
# The SPDX 2.3 download-location grammar (spec clause 7.7), which spdx-tools enforces: a
# host whose top-level label is not 2-5 letters (e.g. `.invalid`) is not accepted there.
_DOWNLOAD = re.compile(
    r"\A((git|hg|svn|bzr)\+)?(https?|ssh|git|svn|sftp|ftp)://([\w\-.!~*'()%;:&=+$,]+@)?"
    r"[a-z0-9]+([-.][a-z0-9]+){0,100}\.[a-z]{2,5}(:[0-9]{1,5})?(/\S*)?\Z",
    re.IGNORECASE,
)
_ACTOR_UNSAFE = re.compile(r"[()\s]+")  # parentheses would read as an actor's e-mail


class SpdxRenderer(Renderer):
    """`--format spdx`."""

    name: ClassVar[str] = "spdx"

    def render(self, scan: Scan) -> str:
        """The document as indented JSON; identical scans give identical text. A scan of one
        SPDX 2 SBOM gets that document back, enriched (auditor.render.sbom_enrich_spdx)."""
        from auditor.render.sbom_enrich_spdx import write_back

        if (enriched := write_back(scan)) is not None:
            return enriched
        return json.dumps(spdx_document(scan), indent=2, ensure_ascii=False) + "\n"

    def notices(self, scan: Scan) -> tuple[str, ...]:
        """Why a scan of one SBOM was not written back, if it was not."""
        from auditor.render.sbom_enrich_spdx import notice

        return tuple(n for n in (notice(scan),) if n)


SPDX_RELATIONSHIPS = {
    DependencyKind.DEPENDS_ON: "DEPENDS_ON",
    DependencyKind.DERIVED_FROM: "DESCENDANT_OF",
    DependencyKind.CONTAINS: "CONTAINS",  # a distribution carrying a vendored copy
}


def spdx_id(kind: str, key: str) -> str:
    """A valid, unique SPDXID: readable part sanitised, plus a hash of the exact key."""
    readable = _NOT_ID.sub("-", key).strip("-.")[:60]
    return f"SPDXRef-{kind}-{readable}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def spdx_document(scan: Scan) -> dict[str, Any]:
    """The scan as an SPDX 2.3 document (a dict ready for json.dumps)."""
    from auditor import __version__
    from auditor.graph.trace import Tracer

    origins = scan.origins_by_purl()
    tracer = Tracer(scan)
    packages: list[dict[str, Any]] = []
    licences: dict[str, dict[str, str]] = {}
    relationships: list[dict[str, str]] = []
    for target in scan.targets:
        packages.append(_target_package(target))
        relationships.append(_rel("SPDXRef-DOCUMENT", "DESCRIBES", _target_id(target)))
    by_ref = {t.ref: t for t in scan.targets}
    for c in scan.components:
        packages.append(_package(c, origins.get(c.purl), licences, tracer.trace(c.purl)))
        found_in = dict.fromkeys(loc.target for loc in c.locations if loc.target in by_ref)
        relationships.extend(
            _rel(_target_id(by_ref[ref]), "CONTAINS", _package_id(c.purl)) for ref in found_in
        )
    listed = {c.purl for c in scan.components}
    ends = dict.fromkeys(p for d in scan.dependencies for p in (d.source, d.target))
    packages.extend(_referenced(purl) for purl in ends if purl not in listed)
    for d in dict.fromkeys((d.source, d.target, d.kind) for d in scan.dependencies):
        kind = SPDX_RELATIONSHIPS[d[2]]
        relationships.append(_rel(_package_id(d[0]), kind, _package_id(d[1])))
    if not scan.targets:  # the document must describe something
        packages.append(_bare("SPDXRef-Scan", f"scan {scan.id}"))
        relationships.append(_rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Scan"))
    document: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"origin-auditor scan {scan.id}",
        "documentNamespace": NAMESPACE_BASE + quote(scan.id, safe=""),
        "creationInfo": {
            "created": _timestamp(scan.started_at),
            "creators": [f"Tool: origin-auditor-{__version__}"],
            "comment": f"scan status {scan.status.value}; {len(scan.diagnostics)} diagnostics",
        },
        "packages": packages,
        "relationships": relationships,
    }
    if licences:
        document["hasExtractedLicensingInfos"] = list(licences.values())
    return document


def _timestamp(iso: str) -> str:
    """SPDX wants `YYYY-MM-DDThh:mm:ssZ`: UTC, no fractions."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rel(a: str, kind: str, b: str) -> dict[str, str]:
    return {"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b}


def _target_id(target: Target) -> str:
    return spdx_id("Target", target.identity)


def _package_id(purl: str) -> str:
    return spdx_id("Package", purl)


def _bare(spdxid: str, name: str) -> dict[str, Any]:
    return {
        "SPDXID": spdxid,
        "name": name,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
    }


def _target_package(target: Target) -> dict[str, Any]:
    package = _bare(_target_id(target), target.ref)
    algorithm, _, digest = target.digest.partition(":")
    if algorithm == "sha256" and target.kind.value in ("lockfile", "file"):
        # A file target's digest is that file's sha256; a directory's is ours, not a file's.
        package["checksums"] = [{"algorithm": "SHA256", "checksumValue": digest}]
    package["comment"] = f"scanned target ({target.kind.value}): {target.identity}"
    return package


def _referenced(purl: str) -> dict[str, Any]:
    parsed = _parse(purl)
    package = _bare(_package_id(purl), parsed.name if parsed else purl)
    if parsed and parsed.version:
        package["versionInfo"] = parsed.version
    package["externalRefs"] = [_purl_ref(purl)]
    package["comment"] = "referenced by a dependency edge; not itself in the inventory"
    return package


def _package(
    c: Component, origin: Origin | None, licences: dict[str, dict[str, str]], trace: Trace
) -> dict[str, Any]:
    package = _bare(_package_id(c.purl), c.name or c.purl)
    if c.version:
        package["versionInfo"] = c.version
    package["downloadLocation"] = download_location(c.purl)
    if origin and origin.publisher:
        package["supplier"] = "Organization: " + actor(origin.publisher.value)
    else:
        package["supplier"] = NOASSERTION
    # The originator is whose work it is: the lineage root's organisation (its own, with no
    # lineage), the answer auditor.graph.trace gives every view.
    if trace.organisations:
        package["originator"] = "Organization: " + actor(trace.organisations[0])
    package["licenseDeclared"] = _licence(c.license, licences, link_of(c, origin))
    checksums = [_checksum(h) for h in c.hashes]
    if any(checksums):
        package["checksums"] = [x for x in checksums if x]
    if origin and origin.repository:
        package["sourceInfo"] = (
            f"repository {origin.repository.value} ({origin.repository.strength.value})"
        )
    package["externalRefs"] = [_purl_ref(c.purl)]
    package["primaryPackagePurpose"] = {
        "model": "OTHER",
        "dataset": "OTHER",
        "weights": "FILE",
        "application": "APPLICATION",
    }.get(c.kind.value, "LIBRARY")
    status = origin.status.value if origin else "skipped"
    package["comment"] = (
        f"kind {c.kind.value}; origin {status}; found by {c.found_by or '-'};"
        f" traces to {trace.summary()}"
    )
    return package


def _purl_ref(purl: str) -> dict[str, str]:
    return {
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": purl,
    }


def _parse(purl: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def download_location(purl: str) -> str:
    """A direct reference's URL when it has one SPDX accepts; registries are not named."""
    parsed = _parse(purl)
    qualifiers = parsed.qualifiers if parsed and isinstance(parsed.qualifiers, dict) else {}
    for key in ("vcs_url", "download_url"):
        value = str(qualifiers.get(key, ""))
        if _DOWNLOAD.match(value):
            return value
    return NOASSERTION


def actor(name: str) -> str:
    return _ACTOR_UNSAFE.sub(" ", name).strip() or "unknown"


def _checksum(value: str) -> dict[str, str] | None:
    algorithm, _, digest = value.partition(":")
    name, length = CHECKSUMS.get(algorithm.lower(), ("", 0))
    if name and len(digest) == length and _HEX.match(digest):
        return {"algorithm": name, "checksumValue": digest.lower()}
    return None


def _licence(text: str | None, licences: dict[str, Any], link: str | None = None) -> str:
    """An SPDX expression when every symbol is a known SPDX id, else a LicenseRef- (with
    `link`, the card's licence address, as its `seeAlsos`)."""
    from license_expression import (  # type: ignore[import-untyped]
        ExpressionError,
        ExpressionParseError,
    )

    text = (text or "").strip()
    if not text:
        return NOASSERTION
    try:
        # validate=True refuses keys outside the SPDX list, which SPDX would refuse too.
        parsed = spdx_licensing().parse(text, validate=True, strict=True)
    except (ExpressionError, ExpressionParseError):
        parsed = None
    expression = "" if parsed is None else str(parsed)
    if expression and "LicenseRef-" not in expression and "+" not in expression:
        return expression
    if _LICENCE_REF.fullmatch(text):
        ref = text  # already an id (auditor.licences made it from a Hub card's licence)
    else:
        ref = "LicenseRef-" + _NOT_ID.sub("-", text.partition("\n")[0]).strip("-.")[:40]
        ref += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    entry: dict[str, Any] = {
        "licenseId": ref,
        "extractedText": text,
        "name": text.partition("\n")[0][:200] or ref,
    }
    if link:
        entry["seeAlsos"] = sorted({link, *licences.get(ref, {}).get("seeAlsos", ())})
    licences[ref] = entry
    return ref
