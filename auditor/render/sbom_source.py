"""The vendor's SBOM behind a scan, read again for the write-back (`--format cyclonedx` on a
CycloneDX input, `--format spdx` on an SPDX 2 input: `sbom_enrich_cdx`, `sbom_enrich_spdx`).

A renderer only gets the Scan, so the original document comes from disk: the one target's
path (its identity, `sbom:/absolute/path`), checked against the digest the scan stored. A file
that is gone, changed since the scan or of the other family is no write-back: the renderer
writes its own document and the CLI says why (`writeback_notice`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.model import Scan, Target, TargetKind

FAMILIES = {"cyclonedx": "CycloneDX", "spdx": "SPDX 2", "spdx3": "SPDX 3", "syft": "syft JSON"}
_SNIFF = 65536


@dataclass(frozen=True, slots=True)
class Original:
    """The document a scan read, as bytes that still match the scan's digest."""

    path: Path
    family: str
    """`cyclonedx` or `spdx` (SPDX 2.x)."""
    syntax: str
    """`json`, `xml` or `tag-value`."""
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha1(self) -> str:
        """SPDX's `externalDocumentRefs` checksum names the referenced document by SHA1."""
        return hashlib.sha1(self.data, usedforsecurity=False).hexdigest()

    def json(self) -> dict[str, Any]:
        """The document as a dict, keys in the file's order (json.loads keeps them)."""
        loaded = json.loads(self.data.decode("utf-8-sig"))
        assert isinstance(loaded, dict)  # family_of saw an object
        return loaded


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a scan of one SBOM gets our own document instead of its write-back."""

    reason: str


def sbom_target(scan: Scan) -> Target | None:
    """The scan's one target when it is an SBOM document, else None (several targets, or
    another kind: our own document is the normal output, nothing to say)."""
    if len(scan.targets) != 1 or scan.targets[0].kind is not TargetKind.SBOM:
        return None
    return scan.targets[0]


def original_for(scan: Scan, family: str, syntaxes: tuple[str, ...]) -> Original | Refused | None:
    """The scan's SBOM, read again, when it is of `family` (`cyclonedx` or `spdx`) in one of
    `syntaxes` and unchanged; Refused saying why not; None when the scan is not of one SBOM."""
    target = sbom_target(scan)
    if target is None:
        return None
    path = _path(target)
    wanted = FAMILIES[family]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Refused(
            f"{target.ref}: cannot read the SBOM again ({exc.strerror or exc}); "
            f"wrote origin-auditor's own {wanted} document instead of the enriched one"
        )
    if "sha256:" + hashlib.sha256(data).hexdigest() != target.digest:
        return Refused(
            f"{target.ref}: the SBOM changed since scan {scan.id}; wrote origin-auditor's "
            f"own {wanted} document instead of the enriched one (scan the file again)"
        )
    found = family_of(data)
    if found is None or found[0] != family:
        what = FAMILIES.get(found[0], found[0]) if found else "of no format we write back"
        if found is not None and found[0] in ("cyclonedx", "spdx"):
            return Refused(
                f"{target.ref}: the SBOM is {what}; wrote origin-auditor's own {wanted} "
                f"document (--format {found[0]} writes the vendor's document back, enriched)"
            )
        return Refused(
            f"{target.ref}: the SBOM is {what}, which is not written back; wrote "
            f"origin-auditor's own {wanted} document"
        )
    if found[1] not in syntaxes:
        return Refused(
            f"{target.ref}: {wanted} {found[1]} is not written back; wrote origin-auditor's "
            f"own {wanted} document (convert the SBOM to {' or '.join(syntaxes)} to enrich it)"
        )
    return Original(path, family, found[1], data)


def writeback_notice(scan: Scan, family: str, syntaxes: tuple[str, ...]) -> str | None:
    """What to tell the user when a scan of one SBOM is not written back."""
    found = original_for(scan, family, syntaxes)
    return found.reason if isinstance(found, Refused) else None


def _path(target: Target) -> Path:
    """The absolute path the scan read (its identity), else the ref without its prefix."""
    kind, _, rest = target.identity.partition(":")
    if kind == TargetKind.SBOM.value and rest.startswith("/"):
        return Path(rest)
    prefix, sep, after = target.ref.partition(":")
    return Path(after if sep and prefix == TargetKind.SBOM.value else target.ref)


def family_of(data: bytes) -> tuple[str, str] | None:
    """(family, syntax) of an SBOM by its content: CycloneDX JSON/XML, SPDX 2 JSON or
    tag-value, SPDX 3 or syft JSON (the last two named only to say they are not written
    back); None for anything else."""
    head = data[:_SNIFF].decode("utf-8-sig", errors="replace").lstrip()
    if head.startswith("{"):
        try:
            loaded = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(loaded, dict):
            return None
        if loaded.get("bomFormat") == "CycloneDX":
            return "cyclonedx", "json"
        if str(loaded.get("spdxVersion", "")).startswith("SPDX-2"):
            return "spdx", "json"
        if "@context" in loaded:
            return "spdx3", "json"
        if "artifacts" in loaded:
            return "syft", "json"
        return None
    if head.startswith("<") and "cyclonedx.org/schema/bom" in head:
        return "cyclonedx", "xml"
    if "SPDXVersion: SPDX-2" in head:
        return "spdx", "tag-value"
    return None
