"""A lean walk over the member headers of a tar stream: what `tarfile` lists, for the forms
real layers use, at a fraction of its cost per member (a layer lists tens of thousands).

It reads POSIX ustar headers (GNU's too), with pax extended headers giving `path`,
`linkpath` and `size`, exactly as `tarfile.TarFile.next()` reads them: the `prefix` field
joined to the name, a V7 folder (a regular file named with a trailing `/`) made a folder,
folders' trailing slashes dropped, a member's data skipped by its size for regular files
and unknown types only. Anything else — a bad checksum, a truncated or missing block, a
base-256 number, GNU long names, sparse files, global or Solaris headers, a pax record it
does not read exactly — raises `Unusual` before the walk yields past it, and the caller
lists the layer with `tarfile` instead, whose answer (or error) is then the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

BLOCK = 512
_ZERO = bytes(BLOCK)
_NUMBER = re.compile(rb"[ \t\n\r\v\f]*[0-7]*[ \t\n\r\v\f]*")
_FIELDS = ((100, 108), (108, 116), (116, 124), (124, 136), (136, 148), (329, 337), (337, 345))
"""mode, uid, gid, size, mtime, devmajor, devminor: tarfile parses every one."""
_PLAIN_TYPES = frozenset(b"01234567")
"""REGTYPE … CONTTYPE: members whose header stands alone (AREGTYPE `\\0` too)."""
_SKIPPED = frozenset(b"07")
"""Types whose data follows the header (tarfile: `isreg()`; AREGTYPE is checked apart)."""
_READ_KEYS = frozenset({"path", "linkpath", "size"})
"""The pax keywords that change what is listed; tarfile stores the others (mtime, uid,
SCHILY.xattr.*, …) without acting on them, except GNU.sparse.* and hdrcharset (Unusual)."""
_RECORD = re.compile(rb"(\d+) ([^=\n]+)=")


class Unusual(Exception):
    """A header this walk does not read exactly as tarfile would."""


class Stream(Protocol):
    def read(self, n: int) -> bytes: ...

    def seek(self, offset: int) -> int: ...

    def tell(self) -> int: ...


def _text(field: bytes) -> str:
    end = field.find(b"\0")
    try:
        return (field if end < 0 else field[:end]).decode("utf-8")
    except UnicodeDecodeError:
        raise Unusual("not UTF-8") from None


def _number(field: bytes) -> int:
    end = field.find(b"\0")
    digits = field if end < 0 else field[:end]
    if not _NUMBER.fullmatch(digits):
        raise Unusual("not an octal number")
    digits = digits.strip()
    return int(digits, 8) if digits else 0


def _header(block: bytes) -> tuple[str, bytes, int, str]:
    """(name, type, size, linkname) of one 512-byte header."""
    if len(block) != BLOCK or block == _ZERO:
        raise Unusual("end or truncation")
    for start, _ in _FIELDS:
        if block[start] & 0x80:
            raise Unusual("base-256 number")
    stored = _number(block[148:156])
    if stored != sum(block) - sum(block[148:156]) + 256:
        raise Unusual("checksum")
    for start, end in _FIELDS:
        _number(block[start:end])
    name = _text(block[0:100])
    kind = block[156:157]
    link = _text(block[157:257])
    prefix = _text(block[345:500])
    if kind == b"\0" and name.endswith("/"):
        kind = b"5"
    if kind == b"5":
        name = name.rstrip("/")
    if prefix:
        name = prefix + "/" + name
    return name, kind, _number(block[124:136]), link


def _pax(data: bytes) -> dict[str, str]:
    """The records of a pax extended header, read strictly."""
    found: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        match = _RECORD.match(data, pos)
        if match is None:
            if data[pos:].strip(b"\0"):
                raise Unusual("pax record")
            break
        length = int(match.group(1))
        end = match.start(1) + length
        if length == 0 or end > len(data) or data[end - 1 : end] != b"\n":
            raise Unusual("pax record length")
        try:
            key = match.group(2).decode("utf-8")
            if key.startswith("GNU.sparse") or key == "hdrcharset":
                raise Unusual(f"pax keyword {key}")
            if key in _READ_KEYS:
                found[key] = data[match.end() : end - 1].decode("utf-8")
        except UnicodeDecodeError:
            raise Unusual("pax record encoding") from None
        pos = end
    return found


def members(stream: Stream) -> Iterator[tuple[str, bytes, int, int, str]]:
    """(name, type, data offset, size, link name) of every member, in archive order."""
    offset = stream.tell()
    while True:
        if offset != stream.tell():
            stream.seek(offset - 1)
            if not stream.read(1):
                raise Unusual("ends inside a member")
        block = stream.read(BLOCK)
        if block == _ZERO:
            return  # the end marker (tarfile stops at the first zero block)
        name, kind, size, link = _header(block)
        if kind == b"x":
            if size > 1 << 20:
                raise Unusual("large pax header")
            padded = -(-size // BLOCK) * BLOCK
            data = stream.read(padded)
            if len(data) != padded:
                raise Unusual("truncated pax header")
            records = _pax(data)  # tarfile reads records on into the padding too
            name, kind, size, link = _header(stream.read(BLOCK))
            if kind[0] not in _PLAIN_TYPES and kind != b"\0":
                raise Unusual("pax header before another extended header")
            if "path" in records:
                name = records["path"].rstrip("/")
            if "linkpath" in records:
                link = records["linkpath"]
            if "size" in records:
                if not records["size"].isdigit():
                    raise Unusual("pax size")
                size = int(records["size"])
        elif kind[0] not in _PLAIN_TYPES and kind != b"\0":
            raise Unusual(f"member type {kind!r}")
        data_at = stream.tell()
        yield name, kind, data_at, size, link
        offset = data_at + (-(-size // BLOCK) * BLOCK if kind[0] in _SKIPPED or kind == b"\0"
                            else 0)  # fmt: skip
