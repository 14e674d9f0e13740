"""RPM package headers from a sqlite rpmdb (`rpmdb.sqlite`, rpm >= 4.16).

The database is opened read-only and immutable from a private copy, with the schema
untrusted, a time budget and in-memory temporary storage (`read_rpmdb`), so nothing is
written beside it and no SQL stored in the file runs. A non-empty `-wal` file beside it
(changes rpm has not checkpointed) is not read. Each row of
`Packages` is one header as rpm's `headerExport` writes it: index length and data length
(big-endian int32), then 16-byte index entries (tag, type, offset, count) and the data
store. Only the string and int32 tags we report are decoded, with every offset checked.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ParseError

MAX_TAGS = 0xFFFF
"""rpm's own limit on index entries (HEADER_TAGS_MAX)."""
MAX_DATA = 256 << 20

TAGS = {
    1000: "Name",
    1001: "Version",
    1002: "Release",
    1003: "Epoch",
    1011: "Vendor",
    1014: "License",
    1015: "Packager",
    1020: "URL",
    1022: "Arch",
    1044: "SourceRPM",
}
_INT32, _STRING, _STRING_ARRAY, _I18NSTRING = 4, 6, 8, 9


@dataclass(frozen=True, slots=True)
class RpmHeader:
    """The tags of one installed package that an inventory needs."""

    number: int
    """The row's `hnum`, rpm's header instance number."""
    tags: dict[str, str]


def parse_header(blob: bytes, where: str) -> dict[str, str]:
    """The tags in TAGS from one exported header; ParseError naming `where` when malformed."""
    if len(blob) < 8:
        raise ParseError(where, "header shorter than its 8-byte preamble")
    il, dl = struct.unpack_from(">ii", blob, 0)
    if not 0 < il <= MAX_TAGS or not 0 <= dl <= MAX_DATA:
        raise ParseError(where, f"implausible header sizes ({il} tags, {dl} data bytes)")
    store = 8 + 16 * il
    if store + dl > len(blob):
        raise ParseError(where, "header is truncated")
    data = blob[store : store + dl]
    found: dict[str, str] = {}
    for i in range(il):
        tag, kind, offset, count = struct.unpack_from(">iiii", blob, 8 + 16 * i)
        name = TAGS.get(tag)
        if name is None:
            continue
        if not 0 <= offset < dl:
            raise ParseError(where, f"tag {tag} points outside the data store")
        if kind == _INT32:
            if count < 1 or offset + 4 > dl:
                raise ParseError(where, f"tag {tag} int32 value out of range")
            found[name] = str(struct.unpack_from(">i", data, offset)[0])
        elif kind in (_STRING, _STRING_ARRAY, _I18NSTRING):
            end = data.find(b"\0", offset)
            if end < 0:
                raise ParseError(where, f"tag {tag} string is not terminated")
            found[name] = data[offset:end].decode("utf-8", "replace")
    return found


def read_rpmdb(data: bytes, where: str) -> list[RpmHeader]:
    """Every package header in a sqlite rpmdb image; ParseError when it is not one.

    The image is written to a private temporary file and opened through a
    `file:…?mode=ro&immutable=1` URI: read-only, no journal, WAL or lock files touched. The
    schema is untrusted (`trusted_schema=OFF`, `query_only`), `Packages` must be a table (a
    VIEW of cross joins made the query sort into temporary files at 0.7 GB/s), temporary
    storage stays in memory with every value capped at MAX_VALUE bytes, and the statement
    runs under a time budget (a progress handler). Rows are read one at a time.
    """
    if data[:16] == b"SQLite format 3\0" and data[18:20] == b"\x02\x02":
        # rpm keeps the database in WAL mode, which an immutable open cannot read; the
        # header's two version bytes say so, and rollback mode reads the same pages.
        data = data[:18] + b"\x01\x01" + data[20:]
    with tempfile.TemporaryDirectory(prefix="auditor-rpmdb-") as folder:
        copy = Path(folder) / "rpmdb.sqlite"
        copy.write_bytes(data)
        try:
            conn = sqlite3.connect(f"{copy.as_uri()}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise ParseError(where, f"cannot open: {exc}") from None
        try:
            return _headers(conn, where)
        except sqlite3.Error as exc:
            if "interrupted" in str(exc):
                exc = sqlite3.Error(f"took over {QUERY_BUDGET:g} s, stopped")
            raise ParseError(where, f"not a readable rpm sqlite database: {exc}") from None
        finally:
            conn.close()


MAX_VALUE = 64 << 20
"""Largest string or blob SQLite may make while reading (sqlite3 SQLITE_LIMIT_LENGTH)."""
QUERY_BUDGET = 10.0
"""Seconds the rpmdb query may run: a real one takes milliseconds."""
CACHE_KIB = 16 << 10


def _headers(conn: sqlite3.Connection, where: str) -> list[RpmHeader]:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
    for pragma in (
        "query_only = ON",
        "trusted_schema = OFF",
        "temp_store = MEMORY",
        f"cache_size = -{CACHE_KIB}",
    ):
        conn.execute(f"PRAGMA {pragma}")
    stop = time.monotonic() + QUERY_BUDGET
    conn.set_progress_handler(lambda: int(time.monotonic() > stop), 10_000)
    kind = conn.execute("SELECT type FROM sqlite_master WHERE name = 'Packages'").fetchone()
    if kind is None:
        raise ParseError(where, "not an rpm sqlite database: no Packages table")
    if kind[0] != "table":
        raise ParseError(where, f"Packages is a {kind[0]}, not rpm's table: not read")
    headers = []
    for number, blob in conn.execute("SELECT hnum, blob FROM Packages"):
        if not isinstance(blob, bytes):
            raise ParseError(where, f"package {number}: header is not a blob")
        headers.append(RpmHeader(int(number), parse_header(blob, f"{where}#{number}")))
    return sorted(headers, key=lambda h: h.number)
