"""Minimum-elements profiles: which fields an SBOM lacks that a profile requires, as
`sbom.missing-field` findings (one per field per document: how many components lack it and
the first of them), on the document itself.

Two profiles, each check citing the section that requires it:

- `ntia-2021`: NTIA, "The Minimum Elements For a Software Bill of Materials (SBOM)",
  July 12, 2021, section IV "Minimum Elements", table "Data Fields": supplier name, component
  name, version of the component, other unique identifiers, dependency relationship, author of
  SBOM data, timestamp.
- `bsi-tr-03183-2`: BSI Technical Guideline TR-03183-2 "Cyber Resilience Requirements for
  Manufacturers and Products, Part 2: Software Bill of Materials", version 2.0.0 (2024-09-20),
  §5.2.1 "Required data fields for the SBOM itself" (creator of the SBOM as an e-mail address
  or URL, timestamp) and §5.2.2 "Required data fields for each component" (component creator
  as an e-mail address or URL, name, version, filename, dependencies, distribution licences,
  SHA-512 hash of the deployable component, executable, archive and structured properties;
  in CycloneDX the last four are the `bsi:component:*` properties of §8.1's mapping).

A check reads only what the document states (`SbomDocument`, as every reader hands it over):
a field is missing when the document gives no value for it, never because we think a value
is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from auditor.config import SBOM_PROFILES
from auditor.model import Evidence, Finding, Strength
from auditor.sbom.document import SbomDocument, SbomEntry

RULE = "sbom.missing-field"
NTIA = "ntia-2021"
BSI = "bsi-tr-03183-2"
PROFILES = SBOM_PROFILES
PROFILE_SOURCE = "sbom-profile"
"""`Evidence.source` naming the profile a `sbom.missing-field` finding was checked against
(the pipeline keeps those of the profiles asked for)."""
SHOWN = 3
"""How many components a finding names (the count says how many lack the field)."""
_NTIA_DOC = "NTIA Minimum Elements (2021) §IV Data Fields"
_BSI_DOC = "BSI TR-03183-2 v2.0.0"
_EMAIL = re.compile(r"[\w.%+-]+@(?:[\w-]+\.)+[A-Za-z]{2,63}")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# BSI TR-03183-2 v2.0.0 §8.1 (CycloneDX mapping) names these properties.
BSI_FILENAME = "bsi:component:filename"
BSI_EXECUTABLE = "bsi:component:executable"
BSI_ARCHIVE = "bsi:component:archive"
BSI_STRUCTURED = "bsi:component:structured"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One field a profile requires, of each component (`fact`) or of the document."""

    profile: str
    field: str
    """How the finding names it."""
    section: str
    fact: int | None = None
    """Index into `entry_facts`: the component states the field."""
    of_document: Callable[[SbomDocument], bool] | None = None
    """True when the document states the field."""


# What `entry_facts` answers, in its order.
(SUPPLIER, CONTACT, NAME, VERSION, IDS, FILENAME, LICENCES, SHA512, EXECUTABLE, ARCHIVE,
 STRUCTURED) = range(11)  # fmt: skip
_FILENAMES = (BSI_FILENAME, "spdx:packageFileName")
_SUPPLIERS = ("supplier", "manufacturer", "originator", "publisher")


def entry_facts(entry: SbomEntry) -> tuple[bool, ...]:
    """Which fields one component states, in one pass (a document may list 20,000)."""
    supplier = contact = False
    for p in entry.parties:
        supplier = supplier or (p.role in _SUPPLIERS and bool(p.name.strip()))
        contact = contact or bool(p.email or p.url or _contact(p.name))
    stated = {k for k, v in entry.properties if v.strip()} if entry.properties else set()
    return (
        supplier,
        contact,
        bool(entry.name.strip()),
        bool(entry.version and entry.version.strip()),
        bool(entry.purl or entry.cpes),
        not stated.isdisjoint(_FILENAMES),
        any(x.strip() for x in entry.licences),
        any(h.startswith(("sha512:", "sha-512:")) for h in entry.hashes),
        BSI_EXECUTABLE in stated,
        BSI_ARCHIVE in stated,
        BSI_STRUCTURED in stated,
    )


def _contact(text: str) -> bool:
    if "@" not in text and "://" not in text:  # most names: no pattern to try
        return False
    return bool(_EMAIL.search(text) or _URL.search(text))


def _timestamp(doc: SbomDocument) -> bool:
    if not doc.created:
        return False
    try:
        datetime.fromisoformat(doc.created.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _dependencies(doc: SbomDocument) -> bool:
    """Relationships are stated: the described subject's (what it depends on, or what is
    nested in it: SPDX CONTAINS, CycloneDX sub-components — "included in", NTIA's words),
    when the document has one; any, else; one component has nothing to relate."""
    if len(doc.entries) <= 1:
        return True
    if doc.subject is not None and any(e.ref == doc.subject for e in doc.entries):
        return any(source == doc.subject for source, _ in doc.dependencies) or any(
            e.parent_ref == doc.subject for e in doc.entries
        )
    return bool(doc.dependencies) or any(e.parent_ref for e in doc.entries)


REQUIREMENTS: tuple[Requirement, ...] = (
    # NTIA 2021, §IV "Data Fields" (the table's rows, in its order)
    Requirement(NTIA, "supplier name", f"{_NTIA_DOC}: Supplier Name", SUPPLIER),
    Requirement(NTIA, "component name", f"{_NTIA_DOC}: Component Name", NAME),
    Requirement(NTIA, "version", f"{_NTIA_DOC}: Version of the Component", VERSION),
    Requirement(NTIA, "other unique identifiers", f"{_NTIA_DOC}: Other Unique Identifiers", IDS),
    Requirement(NTIA, "dependency relationship", f"{_NTIA_DOC}: Dependency Relationship",
                of_document=_dependencies),
    Requirement(NTIA, "author of SBOM data", f"{_NTIA_DOC}: Author of SBOM Data",
                of_document=lambda d: any(c.strip() for c in d.creators)),
    Requirement(NTIA, "timestamp", f"{_NTIA_DOC}: Timestamp", of_document=_timestamp),
    # BSI TR-03183-2 v2.0.0, §5.2.1 (the SBOM) and §5.2.2 (each component)
    Requirement(BSI, "creator of the SBOM (e-mail or URL)", f"{_BSI_DOC} §5.2.1",
                of_document=lambda d: any(_contact(c) for c in d.creators)),
    Requirement(BSI, "timestamp", f"{_BSI_DOC} §5.2.1", of_document=_timestamp),
    Requirement(BSI, "component creator (e-mail or URL)", f"{_BSI_DOC} §5.2.2", CONTACT),
    Requirement(BSI, "component name", f"{_BSI_DOC} §5.2.2", NAME),
    Requirement(BSI, "component version", f"{_BSI_DOC} §5.2.2", VERSION),
    Requirement(BSI, "filename", f"{_BSI_DOC} §5.2.2", FILENAME),
    Requirement(BSI, "dependencies", f"{_BSI_DOC} §5.2.2", of_document=_dependencies),
    Requirement(BSI, "distribution licences", f"{_BSI_DOC} §5.2.2", LICENCES),
    Requirement(BSI, "SHA-512 hash of the deployable component", f"{_BSI_DOC} §5.2.2", SHA512),
    Requirement(BSI, "executable property", f"{_BSI_DOC} §5.2.2", EXECUTABLE),
    Requirement(BSI, "archive property", f"{_BSI_DOC} §5.2.2", ARCHIVE),
    Requirement(BSI, "structured property", f"{_BSI_DOC} §5.2.2", STRUCTURED),
)  # fmt: skip


def document_purl(doc: SbomDocument) -> str:
    """What a finding on the document itself names: `pkg:generic/sbom/<file name>` with the
    file's path as a qualifier (a document is no component, and has no purl of its own)."""
    from packageurl import PackageURL

    name = doc.path.rpartition("/")[2] or "sbom"
    return str(
        PackageURL(type="generic", namespace="sbom", name=name, qualifiers={"path": doc.path})
    )


def missing_fields(doc: SbomDocument, profiles: Iterable[str] = PROFILES) -> tuple[Finding, ...]:
    """One `sbom.missing-field` finding per required field the document lacks, per profile."""
    from auditor.policy.builtin import finding

    wanted = [r for r in REQUIREMENTS if r.profile in frozenset(profiles)]
    facts = [entry_facts(e) for e in doc.entries]
    # Counted column by column at C speed; only the first few refs of a column are sought.
    counts = [len(facts) - sum(column) for column in zip(*facts, strict=True)] if facts else []
    lacking = [
        list(islice((e.ref for e, f in zip(doc.entries, facts, strict=True) if not f[i]), SHOWN))
        if counts[i] else []
        for i in range(len(counts))
    ]  # fmt: skip
    subject = document_purl(doc)
    found: list[Finding] = []
    for req in wanted:
        note = Evidence(PROFILE_SOURCE, req.field, req.profile, req.section, Strength.DECLARED)
        if req.of_document is not None and not req.of_document(doc):
            message = f"{doc.path} lacks the {req.field} ({req.section})"
            found.append(finding(RULE, subject, message, (note,)))
        if req.fact is None or not counts or not counts[req.fact]:
            continue
        count = counts[req.fact]
        more = f" and {count - SHOWN} more" if count > SHOWN else ""
        message = (
            f"{count} of {len(doc.entries)} components in {doc.path} lack the {req.field}"
            f" ({req.section}): {', '.join(lacking[req.fact])}{more}"
        )
        found.append(finding(RULE, subject, message, (note,)))
    return tuple(found)


def asked_for(found: Iterable[Finding], profiles: Iterable[str]) -> tuple[Finding, ...]:
    """`found` without the `sbom.missing-field` findings of profiles not asked for."""
    wanted = frozenset(profiles)
    return tuple(
        f
        for f in found
        if f.rule != RULE
        or any(e.source == PROFILE_SOURCE and e.value in wanted for e in f.evidence)
    )
