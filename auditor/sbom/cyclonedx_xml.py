"""A CycloneDX XML BOM made into the JSON shape `auditor.sbom.cyclonedx.read_document` reads.

Parsed with defusedxml (expat): a document type declaration is refused outright (CycloneDX
has none, and it is where entity expansion attacks live), nothing is fetched, and nesting
deeper than MAX_DEPTH is refused before anything walks the tree. Only elements of the
CycloneDX namespace are read; extensions in other namespaces are left to the write-back.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

NAMESPACE = "http://cyclonedx.org/schema/bom/"
MAX_DEPTH = 100


class XmlProblem(ValueError):
    """The bytes are not a CycloneDX XML document we can read."""


def parse(data: bytes) -> tuple[Element, str]:
    """(the `bom` element, its spec version from the namespace); XmlProblem otherwise."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlProblem(f"refused: {type(exc).__name__} (a DTD or entity declaration)") from None
    except ParseError as exc:
        raise XmlProblem(f"not well-formed XML: {exc}") from None
    _check_depth(root)
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if local != "bom" or not namespace.startswith(NAMESPACE):
        raise XmlProblem(f"the root element is {root.tag!r}, not a CycloneDX <bom>")
    return root, namespace[len(NAMESPACE) :]


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlProblem(f"elements nest deeper than {MAX_DEPTH}")
        stack.extend((child, depth + 1) for child in element)


def _local(element: Element, namespace: str) -> str | None:
    prefix = "{" + namespace + "}"
    return element.tag[len(prefix) :] if element.tag.startswith(prefix) else None


class _Reader:
    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def children(self, element: Element | None, name: str) -> list[Element]:
        if element is None:
            return []
        return [c for c in element if _local(c, self.ns) == name]

    def child(self, element: Element | None, name: str) -> Element | None:
        found = self.children(element, name)
        return found[0] if found else None

    def text(self, element: Element | None, name: str) -> str | None:
        found = self.child(element, name)
        return found.text.strip() if found is not None and found.text else None

    def texts(self, element: Element | None, name: str) -> list[str]:
        return [c.text.strip() for c in self.children(element, name) if c.text and c.text.strip()]

    def entity(self, element: Element | None) -> dict[str, Any] | None:
        """An organizationalEntity / contact: name, url(s), email."""
        if element is None:
            return None
        return {
            "name": self.text(element, "name"),
            "url": self.texts(element, "url"),
            "email": self.text(element, "email"),
        }

    def component(self, element: Element) -> dict[str, Any]:
        out: dict[str, Any] = {"type": element.get("type"), "bom-ref": element.get("bom-ref")}
        for key in ("group", "name", "version", "purl", "cpe", "publisher", "author"):
            out[key] = self.text(element, key)
        out["supplier"] = self.entity(self.child(element, "supplier"))
        out["manufacturer"] = self.entity(self.child(element, "manufacturer"))
        out["authors"] = [
            self.entity(a) for a in self.children(self.child(element, "authors"), "author")
        ]
        out["hashes"] = [
            {"alg": h.get("alg"), "content": (h.text or "").strip()}
            for h in self.children(self.child(element, "hashes"), "hash")
        ]
        out["licenses"] = self.licences(self.child(element, "licenses"))
        ancestors = self.child(self.child(element, "pedigree"), "ancestors")
        out["pedigree"] = {
            "ancestors": [self.component(a) for a in self.children(ancestors, "component")]
        }
        out["components"] = [
            self.component(c) for c in self.children(self.child(element, "components"), "component")
        ]
        return out

    def licences(self, element: Element | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for child in element if element is not None else ():
            if _local(child, self.ns) == "license":
                found.append(
                    {"license": {"id": self.text(child, "id"), "name": self.text(child, "name")}}
                )
            elif _local(child, self.ns) == "expression" and child.text:
                found.append({"expression": child.text.strip()})
        return found

    def service(self, element: Element) -> dict[str, Any]:
        return {
            "bom-ref": element.get("bom-ref"),
            "name": self.text(element, "name"),
            "version": self.text(element, "version"),
            "provider": self.entity(self.child(element, "provider")),
            "endpoints": self.texts(self.child(element, "endpoints"), "endpoint"),
            "services": [
                self.service(s) for s in self.children(self.child(element, "services"), "service")
            ],
        }

    def tools(self, element: Element | None) -> list[dict[str, Any]]:
        """1.4 `<tool>` entries and 1.5+ `<components>`/`<services>`, as one list."""
        found = [
            {"name": self.text(t, "name"), "version": self.text(t, "version")}
            for t in self.children(element, "tool")
        ]
        for kind in ("components", "services"):
            found.extend(
                {"name": self.text(t, "name"), "version": self.text(t, "version")}
                for t in self.children(self.child(element, kind), kind[:-1])
            )
        return found

    def dependencies(self, element: Element | None) -> list[dict[str, Any]]:
        """`<dependency ref>` entries, each naming what it depends on by nested
        `<dependency ref>` (flattened: a nested one may list its own)."""
        found: list[dict[str, Any]] = []
        stack = self.children(element, "dependency")
        while stack:
            dependency = stack.pop()
            nested = self.children(dependency, "dependency")
            found.append(
                {"ref": dependency.get("ref"), "dependsOn": [d.get("ref") for d in nested]}
            )
            stack.extend(nested)
        return found


def as_json_shape(root: Element, version: str) -> dict[str, Any]:
    """The `bom` element as the JSON document `read_document` reads."""
    read = _Reader(NAMESPACE + version)
    metadata = read.child(root, "metadata")
    subject = read.child(metadata, "component")
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "serialNumber": root.get("serialNumber"),
        "metadata": {
            "timestamp": read.text(metadata, "timestamp"),
            "tools": read.tools(read.child(metadata, "tools")),
            "authors": [
                read.entity(a) for a in read.children(read.child(metadata, "authors"), "author")
            ],
            "manufacturer": read.entity(read.child(metadata, "manufacturer")),
            "manufacture": read.entity(read.child(metadata, "manufacture")),
            "supplier": read.entity(read.child(metadata, "supplier")),
            "component": read.component(subject) if subject is not None else None,
        },
        "components": [
            read.component(c) for c in read.children(read.child(root, "components"), "component")
        ],
        "services": [
            read.service(s) for s in read.children(read.child(root, "services"), "service")
        ],
        "dependencies": read.dependencies(read.child(root, "dependencies")),
    }
