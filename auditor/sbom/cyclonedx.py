"""A CycloneDX BOM (1.4-1.7; JSON, or XML made into the same shape by `cyclonedx_xml`) as
an SbomDocument.

Read directly, not through cyclonedx-python-lib's model: it has no `modelCard`, and every
field we do not use must survive for the write-back, which re-reads the file. What is read:
each component (nested `components` flattened with their parent's ref; `metadata.component`
only when it has a purl, being what the SBOM describes rather than a part of it), its
`supplier`, `manufacturer` (1.6), `authors` (1.6) or `author` (older), `publisher`,
`pedigree.ancestors` (by purl, else `name@version`), `hashes`, `cpe`, `licenses`; each
service (nested `services` flattened) with its `provider` and `endpoints`; `dependencies`.

Every value is type-checked as it is read: a document may be schema-checked only in part
(`cyclonedx_check`), and one the schema rejects only for an extra property is still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.sbom.document import Party, SbomDocument, SbomEntry, SbomService

MAX_NESTING = 32
"""Nested components or services deeper than this are not followed (no real BOM nests
more than a few levels; the JSON reader already bounds depth at 100)."""


def _str(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _dicts(obj: Any, key: str) -> Iterator[dict[str, Any]]:
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _strs(obj: Any, key: str) -> tuple[str, ...]:
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())
    return ()


def hash_name(alg: str) -> str:
    """CycloneDX `alg` (`SHA-256`, `SHA3-512`, `BLAKE2b-256`, `MD5`) in our spelling
    (`sha256`, `sha3-512`, `blake2b-256`, `md5`)."""
    low = alg.strip().lower()
    return low.replace("-", "", 1) if low.startswith("sha-") else low


def _hashes(obj: Any) -> tuple[str, ...]:
    found = []
    for h in _dicts(obj, "hashes"):
        alg, content = _str(h, "alg"), _str(h, "content")
        if alg and content:
            found.append(f"{hash_name(alg)}:{content.lower()}")
    return tuple(found)


def _licences(obj: Any) -> tuple[str, ...]:
    found = []
    for choice in _dicts(obj, "licenses"):
        if expression := _str(choice, "expression"):
            found.append(expression)
        licence = choice.get("license")
        if text := (_str(licence, "id") or _str(licence, "name")):
            found.append(text)
    return tuple(found)


def _party(obj: Any, role: str) -> Party | None:
    """An organizationalEntity (`supplier`, `manufacturer`, `provider`) or contact."""
    name = _str(obj, "name")
    if name is None:
        return None
    urls = _strs(obj, "url")
    return Party(name, role, urls[0] if urls else None, _email(obj))


def _email(obj: Any) -> str | None:
    """A contact's `email`, else an organisation's first `contact[].email`."""
    return _str(obj, "email") or next(
        (e for c in _dicts(obj, "contact") if (e := _str(c, "email"))), None
    )


def _actor(kind: str, obj: Any) -> str | None:
    """`Kind: name (contact)` as SPDX writes creators: the contact an e-mail or URL, so the
    minimum-elements profiles see it (auditor/sbom/profiles.py)."""
    name = _str(obj, "name")
    if name is None:
        return None
    urls = _strs(obj, "url")
    contact = _email(obj) or (urls[0] if urls else None)
    return f"{kind}: {name} ({contact})" if contact else f"{kind}: {name}"


def _properties(component: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, value)
        for p in _dicts(component, "properties")
        if (name := _str(p, "name")) is not None and (value := _str(p, "value")) is not None
    )


def _parties(component: dict[str, Any]) -> tuple[Party, ...]:
    found: list[Party | None] = [
        _party(component.get("supplier"), "supplier"),
        _party(component.get("manufacturer"), "manufacturer"),
        *(_party(a, "authors") for a in _dicts(component, "authors")),
    ]
    if author := _str(component, "author"):  # deprecated in 1.6, a plain string
        found.append(Party(author, "authors"))
    if publisher := _str(component, "publisher"):
        found.append(Party(publisher, "publisher"))
    return tuple(p for p in found if p is not None)


def _ancestors(component: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for ancestor in _dicts(component.get("pedigree"), "ancestors"):
        if purl := _str(ancestor, "purl"):
            found.append(purl)
        elif name := _str(ancestor, "name"):
            group = _str(ancestor, "group")
            full = f"{group}/{name}" if group else name
            version = _str(ancestor, "version")
            found.append(f"{full}@{version}" if version else full)
    return tuple(found)


def _entries(components: Any, parent: str | None, at: str, depth: int = 0) -> Iterator[SbomEntry]:
    if not isinstance(components, list) or depth > MAX_NESTING:
        return
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        where = f"{at}[{index}]"
        ref = _str(component, "bom-ref") or where
        name = _str(component, "name") or ""
        group = _str(component, "group")
        cpe = _str(component, "cpe")
        yield SbomEntry(
            ref=ref,
            name=f"{group}/{name}" if group and name else name,
            version=_str(component, "version"),
            purl=_str(component, "purl"),
            kind=_str(component, "type") or "",
            hashes=_hashes(component),
            cpes=(cpe,) if cpe else (),
            licences=_licences(component),
            parties=_parties(component),
            ancestors=_ancestors(component),
            parent_ref=parent,
            properties=_properties(component),
        )
        yield from _entries(component.get("components"), ref, f"{where}.components", depth + 1)


def _services(services: Any, at: str, depth: int = 0) -> Iterator[SbomService]:
    if not isinstance(services, list) or depth > MAX_NESTING:
        return
    for index, service in enumerate(services):
        if not isinstance(service, dict):
            continue
        where = f"{at}[{index}]"
        provider = _party(service.get("provider"), "supplier")
        yield SbomService(
            ref=_str(service, "bom-ref") or where,
            name=_str(service, "name") or "",
            version=_str(service, "version"),
            endpoints=_strs(service, "endpoints"),
            provider=provider.name if provider else None,
        )
        yield from _services(service.get("services"), f"{where}.services", depth + 1)


def _creators(metadata: Any) -> tuple[str, ...]:
    """Who made the document: tools (a 1.4 list, or 1.5+ `components`/`services`), authors,
    and the organisation that manufactured or supplied it."""
    found: list[str] = []
    tools = metadata.get("tools") if isinstance(metadata, dict) else None
    listed = (
        tools
        if isinstance(tools, list)
        else [*_dicts(tools, "components"), *_dicts(tools, "services")]
    )
    for tool in listed:
        if isinstance(tool, dict) and (name := _str(tool, "name")):
            version = _str(tool, "version")
            found.append(f"Tool: {name}-{version}" if version else f"Tool: {name}")
    found.extend(a for x in _dicts(metadata, "authors") if (a := _actor("Person", x)))
    named = metadata if isinstance(metadata, dict) else {}
    orgs = (
        _actor("Organization", named.get(r)) for r in ("manufacturer", "manufacture", "supplier")
    )
    found.extend(org for org in orgs if org)
    return tuple(dict.fromkeys(found))


def _dependencies(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for dependency in _dicts(data, "dependencies"):
        if (ref := _str(dependency, "ref")) is not None:
            pairs.extend((ref, target) for target in _strs(dependency, "dependsOn"))
    return tuple(dict.fromkeys(pairs))


def read_document(data: dict[str, Any], path: str) -> SbomDocument:
    """The document as read; `data` is the BOM object (JSON, or XML in the JSON shape)."""
    metadata = data.get("metadata")
    subject = metadata.get("component") if isinstance(metadata, dict) else None
    subject_ref = _str(subject, "bom-ref")
    entries: list[SbomEntry] = []
    if isinstance(subject, dict) and _str(subject, "purl"):
        entries.extend(_entries([subject], None, "metadata.component"))
        if subject_ref is None:  # the positional ref the reader gave it
            subject_ref = entries[0].ref
    entries.extend(_entries(data.get("components"), None, "components"))
    version = data.get("specVersion")
    return SbomDocument(
        path=path,
        format="cyclonedx",
        spec_version=version if isinstance(version, str) else "",
        serial=_str(data, "serialNumber"),
        created=_str(metadata, "timestamp"),
        creators=_creators(metadata),
        subject=subject_ref,
        entries=tuple(entries),
        services=tuple(_services(data.get("services"), "services")),
        dependencies=_dependencies(data),
    )
