"""pip's requirements files -> pypi components, their `--hash`es and pip-compile `# via` edges.

A file is read line by line (the line grammar, pip's own, is
`auditor.collectors.requirement_lines`); `-r`/`-c` includes are followed relative to the
including file, then constraints and `# via` annotations are applied and the requirements
become components, findings and edges.

Decisions:
- A missing, cyclic or out-of-tree include is a Diagnostic; only unusable syntax is a
  ParseError, so one bad include never hides the rest of a file.
- Constraint files add no components; their exact pins complete unpinned requirements.
- In a file annotated by pip-compile or `uv pip compile`, a requirement whose `# via` names
  only packages is transitive (`direct=False`) and gets a `depends_on` edge from each of them,
  carrying the requirement's environment marker. Markers of direct requirements are dropped:
  the model has no node for the requirements file itself.
- Direct references keep their URL (credentials removed) in `vcs_url`/`download_url`; a local
  path is kept as written in `download_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from packaging.utils import canonicalize_name, canonicalize_version

from auditor import purls
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.collectors.requirement_lines import (
    Include,
    OptionParser,
    Req,
    is_url,
    logical_lines,
    parse_line,
)
from auditor.errors import Diagnostic, ParseError
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.policy.builtin import finding
from auditor.sources import Tree

NAME = "requirements-txt"
MAX_INCLUDE_DEPTH = 32
"""Deeper `-r` chains are hostile or broken; stopping keeps recursion bounded."""

_VIA_PACKAGE = re.compile(r"^([A-Z0-9][A-Z0-9._-]*)(\[[^\]]*\])?$", re.IGNORECASE)


@dataclass(slots=True)
class _Part:
    """What one file (and its includes) contributed; merged only when the file parsed."""

    reqs: list[Req]
    constraints: list[Req]
    diagnostics: list[Diagnostic]


def parse(tree: Tree, path: str) -> Collected:
    """Components, edges, findings and diagnostics of one requirements file and its includes."""
    part = _Reader(tree).read(path, False, (path,))
    return _collect(tree, part)


def sniff(head: bytes) -> bool:
    """Whether the first lines of a file parse as requirement or pip option lines."""
    if b"\0" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8-sig")
    if text.lstrip().startswith(("{", "[")):
        return False  # JSON (a provenance object, a report): never a requirements file
    if "\n" in text and not text.endswith("\n"):
        text = text[: text.rindex("\n")]  # the last line may be cut short
    parser, seen = OptionParser(), 0
    for number, content, _ in logical_lines(text):
        if not content:
            continue
        try:
            parse_line(parser, content, "-", number)
        except ParseError:
            return False
        seen += 1
        if seen == 10:
            break
    return seen > 0


class _Reader:
    """Reads one file and its includes; holds only the tree, the option parser and `seen`."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.options = OptionParser()
        self.seen: set[tuple[str, bool]] = set()

    def read(self, path: str, constraint: bool, stack: tuple[str, ...]) -> _Part:
        """Raises ParseError for the file itself; problems with includes become Diagnostics."""
        self.seen.add((path, constraint))
        part = _Part([], [], [])
        reqs: list[Req] = []
        vias: list[list[str]] = []
        via: list[str] | None = None
        listing = False  # inside a multi-line `# via` block
        for number, content, comment in logical_lines(self.tree.read_text(path)):
            if content:
                parsed = parse_line(self.options, content, path, number)
                via, listing = None, False
                if isinstance(parsed, Include):
                    self._include(part, parsed, path, number, stack)
                elif isinstance(parsed, Diagnostic):
                    part.diagnostics.append(parsed)
                elif parsed is not None and constraint:
                    if parsed.editable:
                        raise ParseError(path, "an editable cannot be a constraint", number)
                    part.constraints.append(parsed)
                elif parsed is not None:
                    reqs.append(parsed)
                    vias.append(via := [])
            if comment is None:
                continue
            body = comment.strip()
            if via is not None and (body == "via" or body.startswith("via ")):
                via.extend(v.strip() for v in body[4:].split(",") if v.strip())
                listing = body == "via"
            elif listing and via is not None and comment.startswith("  ") and body:
                via.append(body)
            else:
                listing = False
        annotated = any(vias)
        for req, names in zip(reqs, vias, strict=True):
            roots = [v for v in names if not _VIA_PACKAGE.match(v) and not v.startswith("-c")]
            direct = not annotated or not names or bool(roots)
            part.reqs.append(replace(req, via=tuple(names), direct=direct))
        return part

    def _include(
        self, part: _Part, inc: Include, path: str, number: int, stack: tuple[str, ...]
    ) -> None:
        flag = "-c" if inc.constraint else "-r"
        where = f"{path}:{number}"
        target = self.tree.resolve_relative(path, inc.ref)
        if "://" in inc.ref or inc.ref.lower().startswith("file:"):
            problem = "a requirements file at a URL is not fetched"
        elif target is None:
            problem = "leaves the target; not read"
        elif "\0" in target:  # no file system takes it (and os.lstat raises ValueError)
            problem = "not a file name"
        elif target in stack:
            problem = f"include cycle ({' -> '.join((*stack, target))}); not read again"
        elif len(stack) >= MAX_INCLUDE_DEPTH:
            problem = f"includes nest deeper than {MAX_INCLUDE_DEPTH}; not read"
        elif self.tree.entry(target) is None:
            problem = f"no such file ({target})"
        elif (target, inc.constraint) in self.seen:
            return  # already read through another include: same content, same result
        else:
            try:
                sub = self.read(target, inc.constraint, (*stack, target))
            except ParseError as exc:
                problem = f"not read: {exc.message}"
            else:
                part.reqs += sub.reqs
                part.constraints += sub.constraints
                part.diagnostics += sub.diagnostics
                return
        part.diagnostics.append(Diagnostic(where, f"{flag} {inc.ref}: {problem}"))


def _same(a: str, b: str) -> bool:
    return canonicalize_version(a) == canonicalize_version(b)


def _collect(tree: Tree, part: _Part) -> Collected:
    """Apply constraints, report conflicting pins, build components, findings and edges."""
    diagnostics = list(part.diagnostics)
    pins: dict[str, Req] = {}
    for pin in part.constraints:
        if pin.version is not None and pin.reference is None:
            pins.setdefault(pin.key, pin)
    reqs: list[Req] = []
    for written in part.reqs:
        req, con = written, pins.get(written.key)
        if con is not None and req.reference is None and con.marker in (None, req.marker):
            if req.version is None:
                req = replace(req, version=con.version, hashes=req.hashes or con.hashes)
            elif not _same(req.version, con.version or ""):
                diagnostics.append(_conflict(req, con))
        reqs.append(req)
    first: dict[tuple[str, str | None], Req] = {}
    for req in reqs:
        if req.version is None:
            continue
        earlier = first.setdefault((req.key, req.marker), req)
        if not _same(earlier.version or "", req.version):
            diagnostics.append(_conflict(req, earlier))
    components: list[Component] = []
    findings: list[Finding] = []
    by_file: dict[tuple[str, str], str] = {}
    for req in reqs:
        component = _component(tree, req)
        components.append(component)
        findings += _findings(req, component.purl)
        by_file.setdefault((req.path, req.key), component.purl)
    edges = [
        Dependency(by_file[(req.path, parent)], purl, marker=req.marker)
        for req, purl in zip(reqs, (c.purl for c in components), strict=True)
        for parent in _parents(req)
        if (req.path, parent) in by_file
    ]
    return Collected(
        tuple(components), tuple(dict.fromkeys(edges)), tuple(findings), tuple(diagnostics)
    )


def _parents(req: Req) -> list[str]:
    return [canonicalize_name(v.partition("[")[0]) for v in req.via if _VIA_PACKAGE.match(v)]


def _conflict(req: Req, other: Req) -> Diagnostic:
    return Diagnostic(
        f"{req.path}:{req.line}",
        f"{req.name} is pinned to {req.version} here but to {other.version} "
        f"at {other.path}:{other.line}",
    )


def _component(tree: Tree, req: Req) -> Component:
    version = None if req.reference and req.vcs else req.version
    purl = purls.pypi(
        req.name,
        version,
        vcs_url=req.reference if req.vcs else None,
        download_url=req.reference if req.reference and not req.vcs else None,
    )
    evidence: tuple[Evidence, ...] = ()
    if req.evidence_value is not None:
        field = "url" if is_url(req.evidence_value) else "path"
        where = f"{req.path}:{req.line}"
        evidence = (Evidence("requirements", field, req.evidence_value, where, Strength.DECLARED),)
    return Component(
        purl=purl,
        kind=ComponentKind.LIBRARY,
        name=req.name,
        version=version,
        hashes=req.hashes,
        locations=(Location(target=tree.ref, path=req.path, line=req.line),),
        direct=req.direct,
        evidence=evidence,
        found_by=NAME,
    )


def _findings(req: Req, purl: str) -> list[Finding]:
    where = f"{req.path}:{req.line}"
    if req.reference is None:
        if req.version is not None:
            return []
        allowed = req.spec or "any version"
        return [finding("package.unpinned", purl, f"{where}: {req.name} allows {allowed}")]
    source = req.evidence_value or req.reference
    found = [finding("package.direct-reference", purl, f"{where}: {req.name} from {source}")]
    if req.editable:
        found.append(finding("package.editable", purl, f"{where}: {req.name} editable, {source}"))
    return found


# `*.in` (pip-tools inputs) and `*constraints*.txt` are not discovered: the compiled file next
# to an `.in` already lists its packages pinned, and a constraints file lists versions allowed,
# not packages installed. Both are still read through `-r`/`-c`, or when named (sniff).
PARSER: FileParser = FileParser(
    name=NAME,
    patterns=("*requirements*.txt", "requirements/*.txt"),
    parse=parse,
    sniff=sniff,
)
