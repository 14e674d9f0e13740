"""pip's requirements-file lines: what one logical line says, read as pip reads it.

pip/_internal/req/req_file.py is the reference: backslash continuations (reported at their
first physical line), `#` comments at line start or after whitespace, the per-requirement
options after the first token that starts with `-`, and the option set pip accepts, parsed
with optparse as pip does so abbreviations and `--opt=value` forms behave alike. A line is a
requirement (`Req`, in any of pip's forms: PEP 508, URL, VCS URL, archive or directory path),
an include (`-r`/`-c`), or options that are checked and skipped. Index, find-links and trust
options are never recorded: their URLs may carry credentials.

Files, includes, constraints and `# via` annotations are the parser's
(`auditor.collectors.parsers.requirements_txt`).

Decisions:
- `${VAR}` is left as written: expanding it from the scanning machine's environment would
  make a scan depend on who runs it and could copy secrets into reports.
- Direct references keep their URL (credentials removed) as `reference`; a local path is kept
  as written. `-e .`-style paths (the project itself) are skipped: their name is only known
  after a build.
"""

from __future__ import annotations

import optparse
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from auditor.errors import Diagnostic, ParseError
from auditor.urls import redact

if TYPE_CHECKING:
    from packaging.requirements import Requirement

# A `#` at the start or after white space. The lookbehind keeps a search linear: `(^|\s+)#`
# retried its `\s+` from every space of a long run (n²).
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
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
class Req:
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
class Include:
    """An `-r` include (`constraint` False) or a `-c` one, its file as written."""

    ref: str
    constraint: bool


class _OptionError(Exception):
    pass


class OptionParser(optparse.OptionParser):
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


def logical_lines(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(first physical line, content without comment, comment text after `#` or None)."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        is_comment = raw.lstrip().startswith("#")
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
    start = comment_start(line)
    if start < 0:
        return number, line.strip(), None
    end = line.find("\n", start)
    return number, line[:start].strip(), line[start + 1 : end if end >= 0 else None]


def comment_start(line: str) -> int:
    """Where pip's comment starts (`#` at the start or after white space), else -1: what
    `(?:^|(?<=\\s))#` finds, by `str.find` — the regex, tried at every position of a
    hash-pinned logical line, was a tenth of a 1,000-package inventory's instructions."""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return at


def parse_line(
    parser: OptionParser, content: str, path: str, number: int
) -> Req | Include | Diagnostic | None:
    """One logical line: a requirement, an include, or options that are checked and skipped."""
    tokens = content.split(" ")
    split = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    args, rest = " ".join(tokens[:split]).strip(), " ".join(tokens[split:])
    try:
        # shlex is slow (a pinned file is mostly `--hash` tokens); only quoting needs it.
        quoted = '"' in rest or "'" in rest or "\\" in rest  # substring checks: C speed
        words = shlex.split(rest) if quoted else rest.split()
        # `--hash=…` words are most of a pinned file and need no option parser (optparse
        # was a third of a 100-package inventory); the rest still goes through it.
        pinned = [w[len("--hash=") :] for w in words if w.startswith("--hash=")]
        words = [w for w in words if not w.startswith("--hash=")]
        if not words:  # nothing else to parse: the option parser's defaults are all unset
            return (
                _requirement(args, _hashes(pinned, path, number), path, number, editable=False)
                if args
                else None
            )
        opts, _ = parser.parse_args(words, parser.get_default_values())
    except ValueError as exc:
        raise ParseError(path, f"cannot split the options {rest!r}: {exc}", number) from None
    except _OptionError as exc:
        raise ParseError(path, f"{exc} (expected a pip requirements-file option)", number) from None
    hashes = _hashes(pinned + (opts.hash or []), path, number)
    if args:
        return _requirement(args, hashes, path, number, editable=False)
    if opts.editable:
        return _requirement(opts.editable[0], (), path, number, editable=True)
    if opts.requirement or opts.constraint:  # pip follows the first include of a line
        ref: str = (opts.requirement or opts.constraint)[0]
        return Include(ref, not opts.requirement)
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
) -> Req | Diagnostic | None:
    """A requirement in any of pip's forms: PEP 508, URL, VCS URL, archive or directory path."""
    simple = None if editable else _SIMPLE_PIN.fullmatch(text)
    if simple is not None:
        # `name==1.2.3`, most of a pinned file: what packaging's parser answers for it,
        # without its tokenizer (half of a 1,000-line inventory).
        name, version = simple.groups()
        return Req(name, version, f"=={version}", hashes, path, number, None)
    before_at = text.split("@", 1)[0]
    if is_url(text):
        reference, _, marker = text.partition("; ")
        return _direct(reference.strip(), marker, None, hashes, path, number, editable)
    pep508 = "@" in text and not _looks_like_path(before_at)
    if not editable and (pep508 or not (_looks_like_path(text) or _is_archive(text))):
        # Imported here: a file of plain pins (the shortcut above) never needs the parser.
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise ParseError(path, f"invalid requirement {text!r}: {exc}", number) from None
        if req.url:
            return _direct(req.url, str(req.marker or ""), req.name, hashes, path, number, False)
        spec, env = str(req.specifier), str(req.marker) if req.marker else None
        return Req(req.name, _pinned(req), spec, hashes, path, number, env)
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
) -> Req | Diagnostic | None:
    """A URL or path reference; the name comes from PEP 508, `#egg=` or the file name."""
    from packaging.markers import InvalidMarker, Marker

    marker = marker.strip()
    try:
        if marker:
            marker = str(Marker(marker))
        parts = urlsplit(reference)
    except (InvalidMarker, ValueError) as exc:
        raise ParseError(path, f"invalid reference {reference!r}: {exc}", number) from None
    url = is_url(reference)
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
        extras = _split_extras(reference)
        shown = clean = extras[0] if extras else reference
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
        split = _split_extras(segment)
        candidate = (split[0] if split else segment).partition("@")[0]
        candidate = candidate.removesuffix(".git")
        for extension in _ARCHIVES:
            candidate = candidate.removesuffix(extension)
        if not _NAME.match(candidate):
            return Diagnostic(f"{path}:{number}", f"cannot tell the package name of {shown!r}")
        name = candidate
    return Req(name, version, "", hashes, path, number, marker or None, clean, shown, vcs, editable)


def _split_extras(text: str) -> tuple[str, str] | None:
    """(`name`, `[extras]`) when `text` ends with a bracketed part after at least one
    character: string searches, where the pattern `^(.+?)(\\[[^\\]]*\\])$` was n² on `[[[[`."""
    if not text.endswith("]"):
        return None
    opening = text.find("[", max(1, text.rfind("]", 0, len(text) - 1) + 1))
    if opening < 0 or opening == len(text) - 1:
        return None
    return text[:opening], text[opening:]


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


_SIMPLE_PIN = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)[ \t]*==[ \t]*"
    r"([0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)"
)
"""A PEP 508 name pinned to a plain release (`1.2`, `2.0rc1`, `1.0.post2`, `3.1.dev4`): every
such text is a valid requirement, and packaging would answer exactly the name and version."""


def _pinned(req: Requirement) -> str | None:
    """The one version a specifier allows (`==1.2`, `===x`); None for ranges and `==1.*`."""
    for spec in req.specifier:
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith("*")):
            return spec.version
    return None


def is_url(text: str) -> bool:
    scheme = text.partition(":")[0].lower() if ":" in text else ""
    return scheme in _URL_SCHEMES or scheme in _VCS or scheme.partition("+")[0] in _VCS


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(".")


def _is_archive(text: str) -> bool:
    return text.partition(";")[0].strip().lower().endswith(_ARCHIVES)
