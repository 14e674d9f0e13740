"""pip's requirements files -> pypi components, their `--hash`es and pip-compile `# via` edges.

Lines are read as pip reads them (pip/_internal/req/req_file.py): backslash continuations
(reported at their first physical line), `#` comments at line start or after whitespace,
`-r`/`-c` includes relative to the including file, the per-requirement options after the
first token that starts with `-`, and the option set pip accepts, parsed with optparse as pip
does so abbreviations and `--opt=value` forms behave alike. Index, find-links and trust
options are skipped and never recorded: their URLs may carry credentials.

Decisions:
- `${VAR}` is left as written: expanding it from the scanning machine's environment would
  make a scan depend on who runs it and could copy secrets into reports.
- A missing, cyclic or out-of-tree include is a Diagnostic; only unusable syntax is a
  ParseError, so one bad include never hides the rest of a file.
- Constraint files add no components; their exact pins complete unpinned requirements.
- In a file annotated by pip-compile or `uv pip compile`, a requirement whose `# via` names
  only packages is transitive (`direct=False`) and gets a `depends_on` edge from each of them,
  carrying the requirement's environment marker. Markers of direct requirements are dropped:
  the model has no node for the requirements file itself.
- Direct references keep their URL (credentials removed) in `vcs_url`/`download_url`; a local
  path is kept as written in `download_url`. `-e .`-style paths (the project itself) are
  skipped: their name is only known after a build.
"""

from __future__ import annotations

import optparse
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import NoReturn
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)

from auditor import purls
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
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
from auditor.urls import redact

NAME = "requirements-txt"
MAX_INCLUDE_DEPTH = 32
"""Deeper `-r` chains are hostile or broken; stopping keeps recursion bounded."""

_COMMENT = re.compile(r"(^|\s+)#.*$")
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_VIA_PACKAGE = re.compile(r"^([A-Z0-9][A-Z0-9._-]*)(\[[^\]]*\])?$", re.IGNORECASE)
_EXTRAS = re.compile(r"^(.+?)(\[[^\]]*\])$")
_NEEDS_SHLEX = re.compile(r"[\"'\\]")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_VCS = frozenset({"git", "hg", "svn", "bzr"})
_URL_SCHEMES = frozenset({"http", "https", "file", "ftp"})
_ARCHIVES = (".zip", ".whl", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
             ".tlz", ".tar.lz", ".tar.lzma")  # fmt: skip
_HASHES = ("sha256", "sha384", "sha512")
# pip's requirements-file options (SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ).
_VALUE_OPTIONS = (("-i", "--index-url", "--pypi-url"), ("--extra-index-url",),
                  ("-c", "--constraint"), ("-r", "--requirement"), ("-e", "--editable"),
                  ("-f", "--find-links"), ("--no-binary",), ("--only-binary",),
                  ("--trusted-host",), ("--use-feature",), ("--global-option",), ("--hash",),
                  ("-C", "--config-settings"))  # fmt: skip
_FLAG_OPTIONS = ("--no-index", "--prefer-binary", "--require-hashes", "--pre")


@dataclass(frozen=True, slots=True)
class _Req:
    """One requirement as written, before constraints apply."""

    name: str
    version: str | None
    spec: str
    hashes: tuple[str, ...]
    path: str
    line: int
    marker: str | None = None
    reference: str | None = None
    """URL (credentials removed) or local path, for direct references."""
    evidence_value: str | None = None
    vcs: bool = False
    editable: bool = False
    via: tuple[str, ...] = ()
    direct: bool = True

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


@dataclass(frozen=True, slots=True)
class _Include:
    ref: str
    constraint: bool


@dataclass(slots=True)
class _Part:
    """What one file (and its includes) contributed; merged only when the file parsed."""

    reqs: list[_Req]
    constraints: list[_Req]
    diagnostics: list[Diagnostic]


class _OptionError(Exception):
    pass


class _OptionParser(optparse.OptionParser):
    """optparse as pip uses it, but raising instead of printing usage and exiting."""

    def __init__(self) -> None:
        super().__init__(add_help_option=False)
        for names in _VALUE_OPTIONS:
            long = next(n for n in names if n.startswith("--"))
            self.add_option(*names, dest=long[2:].replace("-", "_"), action="append")
        for flag in _FLAG_OPTIONS:
            self.add_option(flag, dest=flag[2:].replace("-", "_"), action="store_true")

    def error(self, msg: str) -> NoReturn:
        raise _OptionError(msg)


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
    parser, seen = _OptionParser(), 0
    for number, content, _ in _logical_lines(text):
        if not content:
            continue
        try:
            _parse_line(parser, content, "-", number)
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
        self.options = _OptionParser()
        self.seen: set[tuple[str, bool]] = set()

    def read(self, path: str, constraint: bool, stack: tuple[str, ...]) -> _Part:
        """Raises ParseError for the file itself; problems with includes become Diagnostics."""
        self.seen.add((path, constraint))
        part = _Part([], [], [])
        reqs: list[_Req] = []
        vias: list[list[str]] = []
        via: list[str] | None = None
        listing = False  # inside a multi-line `# via` block
        for number, content, comment in _logical_lines(self.tree.read_text(path)):
            if content:
                parsed = _parse_line(self.options, content, path, number)
                via, listing = None, False
                if isinstance(parsed, _Include):
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
        self, part: _Part, inc: _Include, path: str, number: int, stack: tuple[str, ...]
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


def _logical_lines(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(first physical line, content without comment, comment text after `#` or None)."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        is_comment = _COMMENT.match(raw) is not None
        if raw.endswith("\\") and not is_comment:
            start = start if parts else number
            parts.append(raw.strip("\\"))
            continue
        if parts:
            yield _split_comment(start, "".join((*parts, " " + raw if is_comment else raw)))
            parts = []
        else:
            yield _split_comment(number, raw)
    if parts:
        yield _split_comment(start, "".join(parts))


def _split_comment(number: int, line: str) -> tuple[int, str, str | None]:
    match = _COMMENT.search(line)
    if match is None:
        return number, line.strip(), None
    return number, line[: match.start()].strip(), match.group(0).lstrip()[1:]


def _parse_line(
    parser: _OptionParser, content: str, path: str, number: int
) -> _Req | _Include | Diagnostic | None:
    """One logical line: a requirement, an include, or options that are checked and skipped."""
    tokens = content.split(" ")
    split = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    args, rest = " ".join(tokens[:split]).strip(), " ".join(tokens[split:])
    try:
        # shlex is slow (a pinned file is mostly `--hash` tokens); only quoting needs it.
        words = shlex.split(rest) if _NEEDS_SHLEX.search(rest) else rest.split()
        opts, _ = parser.parse_args(words, parser.get_default_values())
    except ValueError as exc:
        raise ParseError(path, f"cannot split the options {rest!r}: {exc}", number) from None
    except _OptionError as exc:
        raise ParseError(path, f"{exc} (expected a pip requirements-file option)", number) from None
    hashes = _hashes(opts.hash or [], path, number)
    if args:
        return _requirement(args, hashes, path, number, editable=False)
    if opts.editable:
        return _requirement(opts.editable[0], (), path, number, editable=True)
    if opts.requirement or opts.constraint:  # pip follows the first include of a line
        ref: str = (opts.requirement or opts.constraint)[0]
        return _Include(ref, not opts.requirement)
    return None


def _hashes(values: list[str], path: str, number: int) -> tuple[str, ...]:
    found = set()
    for value in values:
        algorithm, _, digest = value.partition(":")
        if algorithm not in _HASHES or not _HEX.match(digest):
            raise ParseError(
                path, f"--hash expects sha256:, sha384: or sha512: and hex, not {value!r}", number
            )
        found.add(f"{algorithm}:{digest.lower()}")
    return tuple(sorted(found))


def _requirement(
    text: str, hashes: tuple[str, ...], path: str, number: int, *, editable: bool
) -> _Req | Diagnostic | None:
    """A requirement in any of pip's forms: PEP 508, URL, VCS URL, archive or directory path."""
    before_at = text.split("@", 1)[0]
    if _is_url(text):
        reference, _, marker = text.partition("; ")
        return _direct(reference.strip(), marker, None, hashes, path, number, editable)
    pep508 = "@" in text and not _looks_like_path(before_at)
    if not editable and (pep508 or not (_looks_like_path(text) or _is_archive(text))):
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise ParseError(path, f"invalid requirement {text!r}: {exc}", number) from None
        if req.url:
            return _direct(req.url, str(req.marker or ""), req.name, hashes, path, number, False)
        spec, env = str(req.specifier), str(req.marker) if req.marker else None
        return _Req(req.name, _pinned(req), spec, hashes, path, number, env)
    reference, _, marker = text.partition(";")
    return _direct(reference.strip(), marker, None, hashes, path, number, editable)


def _direct(
    reference: str,
    marker: str,
    name: str | None,
    hashes: tuple[str, ...],
    path: str,
    number: int,
    editable: bool,
) -> _Req | Diagnostic | None:
    """A URL or path reference; the name comes from PEP 508, `#egg=` or the file name."""
    marker = marker.strip()
    try:
        if marker:
            marker = str(Marker(marker))
        parts = urlsplit(reference)
    except (InvalidMarker, ValueError) as exc:
        raise ParseError(path, f"invalid reference {reference!r}: {exc}", number) from None
    url = _is_url(reference)
    scheme = parts.scheme.lower()
    vcs = url and scheme.partition("+")[0] in _VCS
    if editable and url and not vcs and scheme != "file":
        raise ParseError(path, f"-e needs a local path or a VCS URL, not {reference!r}", number)
    fragment = parse_qs(parts.fragment)
    listed = (f"{a}:{fragment[a][0].lower()}" for a in _HASHES if _HEX.match(_first(fragment, a)))
    hashes = tuple(sorted({*hashes, *listed}))
    if url:
        shown = redact(urlunsplit(parts))
        clean = redact(urlunsplit(parts._replace(fragment="")))
    else:  # a path's extras (`./lib[dev]`) are not part of where it is
        extras = _EXTRAS.match(reference)
        shown = clean = extras.group(1) if extras else reference
    tail = parts.path if url else clean.replace("\\", "/")
    segment = unquote(tail.rstrip("/").rpartition("/")[2])
    version = None
    egg = _first(fragment, "egg")
    if egg:
        segment = egg
    elif not vcs and _is_archive(segment):
        name, version = _from_file(segment, name)
    if name is None:
        if not url and segment in ("", ".", ".."):
            return None  # `-e .`: the project itself, named only by building it
        match = _EXTRAS.match(segment)
        candidate = (match.group(1) if match else segment).partition("@")[0]
        candidate = candidate.removesuffix(".git")
        for extension in _ARCHIVES:
            candidate = candidate.removesuffix(extension)
        if not _NAME.match(candidate):
            return Diagnostic(f"{path}:{number}", f"cannot tell the package name of {shown!r}")
        name = candidate
    return _Req(
        name, version, "", hashes, path, number, marker or None, clean, shown, vcs, editable
    )


def _first(query: dict[str, list[str]], key: str) -> str:
    return query.get(key, [""])[0]


def _from_file(filename: str, name: str | None) -> tuple[str | None, str | None]:
    """(name, version) from a wheel or sdist file name, when it is one and names `name`."""
    extension = next((e for e in _ARCHIVES if filename.lower().endswith(e)), "")
    try:
        if extension == ".whl":
            found, parsed, _, _ = parse_wheel_filename(filename)
        else:  # packaging knows .tar.gz and .zip only; the version rule is the same for all
            found, parsed = parse_sdist_filename(f"{filename[: -len(extension)]}.tar.gz")
    except ValueError:
        return name, None
    if name is not None and canonicalize_name(name) != found:
        return name, None
    return name or found, str(parsed)


def _pinned(req: Requirement) -> str | None:
    """The one version a specifier allows (`==1.2`, `===x`); None for ranges and `==1.*`."""
    for spec in req.specifier:
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith("*")):
            return spec.version
    return None


def _is_url(text: str) -> bool:
    scheme = text.partition(":")[0].lower() if ":" in text else ""
    return scheme in _URL_SCHEMES or scheme in _VCS or scheme.partition("+")[0] in _VCS


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(".")


def _is_archive(text: str) -> bool:
    return text.partition(";")[0].strip().lower().endswith(_ARCHIVES)


def _same(a: str, b: str) -> bool:
    return canonicalize_version(a) == canonicalize_version(b)


def _collect(tree: Tree, part: _Part) -> Collected:
    """Apply constraints, report conflicting pins, build components, findings and edges."""
    diagnostics = list(part.diagnostics)
    pins: dict[str, _Req] = {}
    for pin in part.constraints:
        if pin.version is not None and pin.reference is None:
            pins.setdefault(pin.key, pin)
    reqs: list[_Req] = []
    for written in part.reqs:
        req, con = written, pins.get(written.key)
        if con is not None and req.reference is None and con.marker in (None, req.marker):
            if req.version is None:
                req = replace(req, version=con.version, hashes=req.hashes or con.hashes)
            elif not _same(req.version, con.version or ""):
                diagnostics.append(_conflict(req, con))
        reqs.append(req)
    first: dict[tuple[str, str | None], _Req] = {}
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


def _parents(req: _Req) -> list[str]:
    return [canonicalize_name(v.partition("[")[0]) for v in req.via if _VIA_PACKAGE.match(v)]


def _conflict(req: _Req, other: _Req) -> Diagnostic:
    return Diagnostic(
        f"{req.path}:{req.line}",
        f"{req.name} is pinned to {req.version} here but to {other.version} "
        f"at {other.path}:{other.line}",
    )


def _component(tree: Tree, req: _Req) -> Component:
    version = None if req.reference and req.vcs else req.version
    purl = purls.pypi(
        req.name,
        version,
        vcs_url=req.reference if req.vcs else None,
        download_url=req.reference if req.reference and not req.vcs else None,
    )
    evidence: tuple[Evidence, ...] = ()
    if req.evidence_value is not None:
        field = "url" if _is_url(req.evidence_value) else "path"
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


def _findings(req: _Req, purl: str) -> list[Finding]:
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
