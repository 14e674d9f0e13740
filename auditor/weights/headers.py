"""Bounded readers for the self-describing headers of safetensors, GGUF and ONNX files.

Each reads only the header, from a stream, with every length checked against a limit and
against the bytes that are there, so a header claiming 100 GB or a billion keys costs
nothing. They return what the uploader wrote (`declared` evidence); nothing is executed.

- safetensors: 8-byte little-endian length, then a JSON object; `__metadata__` is a
  string-to-string map (safetensors README §Format). The limit is the Rust library's own
  `MAX_HEADER_SIZE` (100,000,000 bytes).
- GGUF (ggml docs/gguf.md, v2 and v3): magic, version, tensor and key/value counts, then
  typed key/value pairs. We walk it ourselves rather than through `gguf.GGUFReader`, which
  needs a file path to memory-map (our trees also stream from archives and images) and
  materialises every field as numpy views (bench/: 16 s against our 0.4 s for a header with a
  150,000-token vocabulary); the test suite checks this reader against files that
  `gguf.GGUFWriter` writes and against `GGUFReader`'s answers.
- ONNX: `ModelProto` (onnx/onnx.proto) is a protobuf message; a minimal wire-format walker
  reads its top-level scalar fields and `metadata_props` and seeks over `graph` (field 7,
  which holds the weights), so `onnx.load` never has to pull gigabytes into memory.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from auditor.bounded import MAX_DEPTH as MAX_JSON_DEPTH

SAFETENSORS_MAX_HEADER = 100_000_000
GGUF_MAX_KV = 1_000_000
GGUF_MAX_STRING = 64 * 1024 * 1024
GGUF_MAX_DEPTH = 3
ONNX_MAX_FIELD = 16 * 1024 * 1024
ONNX_MAX_FIELDS = 100_000
"""Fields of one message walked: a ModelProto has a dozen plus its metadata_props."""
SAFETENSORS_MAX_METADATA = 1 << 20
"""`__metadata__` is a small string map (format, modelspec.*, a licence); this is lavish."""
MAX_FIELDS = 1024
"""Declared fields kept per header: evidence, not a copy of the file."""
MAX_KEPT = 4096
"""Longer declared values are truncated in evidence (chat templates, descriptions)."""


class HeaderError(Exception):
    """A malformed or hostile header; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Header:
    """What a weight file says about itself."""

    format: str
    fields: tuple[tuple[str, str], ...]
    """(field, value) pairs worth keeping as declared evidence, in file order."""


def _keep(value: str) -> str:
    return value if len(value) <= MAX_KEPT else value[:MAX_KEPT] + "…"


def _exact(stream: BinaryIO, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise HeaderError(f"truncated {what}: {len(data)} of {n} bytes")
    return data


def read_safetensors(stream: BinaryIO, size: int) -> Header:
    """The JSON header's `__metadata__` entries (`__metadata__.<key>` fields).

    The header is walked token by token rather than parsed whole: `json.loads` of a 95 MB
    header of tiny tensor entries built 2.4 GB of objects. Only `__metadata__` (a small
    string map) is parsed; memory is the header's bytes plus a constant."""
    (length,) = struct.unpack("<Q", _exact(stream, 8, "header length"))
    if length > SAFETENSORS_MAX_HEADER:
        raise HeaderError(
            f"header claims {length} bytes, over safetensors' {SAFETENSORS_MAX_HEADER} limit"
        )
    if length > size - 8:
        raise HeaderError(f"header claims {length} bytes but the file has {size - 8} after it")
    raw = _exact(stream, length, "header")
    start, end = _metadata_span(raw)
    if start == end:
        return Header("safetensors", ())
    if end - start > SAFETENSORS_MAX_METADATA:
        raise HeaderError(
            f"__metadata__ of {end - start} bytes, over the {SAFETENSORS_MAX_METADATA} limit"
        )
    try:
        metadata = json.loads(raw[start:end])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeaderError(f"header is not JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise HeaderError("__metadata__ is not an object")
    fields = [
        (f"__metadata__.{key}", _keep(value if isinstance(value, str) else json.dumps(value)))
        for key, value in list(metadata.items())[:MAX_FIELDS]
    ]
    return Header("safetensors", tuple(fields))


# A string (to its closing quote, or to the end when unterminated: never retried at each
# quote inside it) or a bracket; everything between (numbers, commas) is skipped in C.
_JSON_TOKEN = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)|[\[\]{}]', re.S)
_COLON = re.compile(rb"\s*:")
_METADATA_KEY = b'"__metadata__"'


def _metadata_span(raw: bytes) -> tuple[int, int]:
    """Where the top-level `__metadata__` value lies in the header ((0, 0) when absent),
    having checked that the header is one object, balanced, at most MAX_JSON_DEPTH deep."""
    if not raw.lstrip().startswith(b"{"):
        raise HeaderError("header is not a JSON object")
    depth, span, value_at, closed = 0, (0, 0), -1, False
    for token in _JSON_TOKEN.finditer(raw):
        kind = raw[token.start()]
        if closed:
            raise HeaderError("header is not JSON: data after the top-level object")
        if kind == 0x22:  # a string
            text = token.group()
            if len(text) < 2 or text[-1] != 0x22 or _escaped_quote(text):
                raise HeaderError("header is not JSON: unterminated string")
            if depth == 1 and text == _METADATA_KEY and (colon := _COLON.match(raw, token.end())):
                value_at = colon.end()
                if raw[value_at:].lstrip()[:1] != b"{":
                    raise HeaderError("__metadata__ is not an object")
            continue
        if kind in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise HeaderError(f"header nested deeper than {MAX_JSON_DEPTH} levels")
        else:
            depth -= 1
            if depth < 0:
                raise HeaderError("header is not JSON: unbalanced brackets")
            if depth == 1 and value_at >= 0:
                span, value_at = (value_at, token.end()), -1
            closed = depth == 0
    if depth != 0:
        raise HeaderError("header is not JSON: unbalanced brackets")
    return span


def _escaped_quote(text: bytes) -> bool:
    """Whether a string token's last quote is escaped (an odd run of backslashes before it)."""
    run = len(text) - 1 - len(text[:-1].rstrip(b"\\"))
    return run % 2 == 1


# GGUF value types (docs/gguf.md `gguf_metadata_value_type`): fixed sizes by type id.
_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRUCT = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_GGUF_STRING, _GGUF_ARRAY = 8, 9
GGUF_KEPT_PREFIXES = ("general.", "adapter.", "split.")
"""Provenance lives under `general.` (name, author, organization, license, source.*,
base_model.*); the tokenizer's hundred thousand tokens are skipped, not kept."""


@dataclass(slots=True)
class _GGUF:
    stream: BinaryIO
    remaining: int

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise HeaderError(f"{what} of {n} bytes runs past the end of the file")
        self.remaining -= n
        return _exact(self.stream, n, what)

    def skip(self, n: int, what: str) -> None:
        if n > self.remaining:
            raise HeaderError(f"{what} of {n} bytes runs past the end of the file")
        self.remaining -= n
        while n:
            chunk = self.stream.read(min(n, 1 << 20))
            if not chunk:
                raise HeaderError(f"truncated {what}")
            n -= len(chunk)

    def u64(self, what: str) -> int:
        return int(struct.unpack("<Q", self.take(8, what))[0])

    def string(self, keep: bool) -> str | None:
        length = self.u64("string length")
        if length > GGUF_MAX_STRING:
            raise HeaderError(f"string of {length} bytes (limit {GGUF_MAX_STRING})")
        if not keep:
            self.skip(length, "string")
            return None
        return self.take(length, "string").decode("utf-8", "replace")

    def value(self, kind: int, keep: bool, depth: int) -> object:
        if kind in _GGUF_FIXED:
            data = self.take(_GGUF_FIXED[kind], "value")
            return struct.unpack(_GGUF_STRUCT[kind], data)[0] if keep else None
        if kind == _GGUF_STRING:
            return self.string(keep)
        if kind == _GGUF_ARRAY:
            if depth >= GGUF_MAX_DEPTH:
                raise HeaderError(f"arrays nested deeper than {GGUF_MAX_DEPTH}")
            item = struct.unpack("<I", self.take(4, "array type"))[0]
            count = self.u64("array length")
            if item in _GGUF_FIXED:
                self.skip(count * _GGUF_FIXED[item], "array")
                return None
            if count > self.remaining // 8:
                raise HeaderError(f"array claims {count} items, more than the file can hold")
            kept = []  # only the first 64 items are kept: no list as long as the array
            for i in range(count):
                value = self.value(item, keep and i < 64, depth + 1)
                if value is not None:
                    kept.append(value)
            return kept if keep else None
        raise HeaderError(f"unknown value type {kind}")


def read_gguf(stream: BinaryIO, size: int) -> Header:
    """The `general.*` (and adapter/split) key/value pairs."""
    reader = _GGUF(stream, size)
    if reader.take(4, "magic") != b"GGUF":
        raise HeaderError("not a GGUF file (bad magic)")
    (version,) = struct.unpack("<I", reader.take(4, "version"))
    if version not in (2, 3):
        raise HeaderError(f"unsupported GGUF version {version}")
    reader.u64("tensor count")
    count = reader.u64("key/value count")
    if count > GGUF_MAX_KV or count > size // 13:  # a key/value pair takes at least 13 bytes
        raise HeaderError(f"header claims {count} key/value pairs; the file cannot hold them")
    fields: list[tuple[str, str]] = []
    for _ in range(count):
        key = reader.string(True) or ""
        (kind,) = struct.unpack("<I", reader.take(4, "value type"))
        keep = key.startswith(GGUF_KEPT_PREFIXES) and len(fields) < MAX_FIELDS
        value = reader.value(kind, keep, 0)
        if keep and value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            fields.append((key, _keep(text)))
    return Header("gguf", tuple(fields))


# ModelProto field numbers (onnx/onnx.proto): only these are kept.
_ONNX_STRINGS = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}
_ONNX_INTS = {1: "ir_version", 5: "model_version"}
_ONNX_OPSET, _ONNX_METADATA = 8, 14


@dataclass(slots=True)
class _Proto:
    stream: BinaryIO
    remaining: int

    def byte(self) -> int:
        if self.remaining <= 0:
            raise HeaderError("truncated message")
        self.remaining -= 1
        return _exact(self.stream, 1, "varint")[0]

    def varint(self) -> int:
        result = 0
        for shift in range(0, 70, 7):
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
        raise HeaderError("varint longer than 10 bytes")

    def take(self, n: int) -> bytes:
        if n > self.remaining:
            raise HeaderError(f"field of {n} bytes runs past the end")
        self.remaining -= n
        return _exact(self.stream, n, "field")

    def skip(self, n: int) -> None:
        if n > self.remaining:
            raise HeaderError(f"field of {n} bytes runs past the end")
        self.remaining -= n
        while n:
            chunk = self.stream.read(min(n, 1 << 20))
            if not chunk:
                raise HeaderError("truncated field")
            n -= len(chunk)

    def fields(self) -> Iterator[tuple[int, int | bytes | None]]:
        """(number, value) of each field, as read (nothing accumulates: a 20 MB message of
        tiny fields made a list of millions); LEN values over the limit are skipped (None)."""
        walked = 0
        while self.remaining > 0:
            walked += 1
            if walked > ONNX_MAX_FIELDS:
                raise HeaderError(f"more than {ONNX_MAX_FIELDS} fields in one message")
            key = self.varint()
            number, wire = key >> 3, key & 7
            if number == 0:
                raise HeaderError("field number 0")
            if wire == 0:
                yield number, self.varint()
            elif wire == 1:
                self.skip(8)
            elif wire == 5:
                self.skip(4)
            elif wire == 2:
                length = self.varint()
                if number == 7 or length > ONNX_MAX_FIELD:
                    self.skip(length)  # the graph and its weights
                    yield number, None
                else:
                    yield number, self.take(length)
            else:
                raise HeaderError(f"unsupported wire type {wire} in field {number}")


def _submessage(data: bytes) -> dict[int, int | bytes | None]:
    import io

    return dict(_Proto(io.BytesIO(data), len(data)).fields())


def read_onnx(stream: BinaryIO, size: int) -> Header:
    """producer, domain, versions, doc string, opsets and `metadata_props`."""
    fields: list[tuple[str, str]] = []
    for number, value in _Proto(stream, size).fields():
        if len(fields) >= MAX_FIELDS:
            break  # evidence enough; the rest is not read
        if number in _ONNX_STRINGS and isinstance(value, bytes):
            fields.append((_ONNX_STRINGS[number], _keep(value.decode("utf-8", "replace"))))
        elif number in _ONNX_INTS and isinstance(value, int):
            fields.append((_ONNX_INTS[number], str(value)))
        elif number == _ONNX_OPSET and isinstance(value, bytes):
            entry = _submessage(value)
            domain = entry.get(1)
            name = domain.decode("utf-8", "replace") if isinstance(domain, bytes) else ""
            fields.append((f"opset_import.{name or 'ai.onnx'}", str(entry.get(2))))
        elif number == _ONNX_METADATA and isinstance(value, bytes):
            entry = _submessage(value)
            key, text = entry.get(1), entry.get(2)
            if isinstance(key, bytes):
                val = text.decode("utf-8", "replace") if isinstance(text, bytes) else ""
                fields.append((f"metadata_props.{key.decode('utf-8', 'replace')}", _keep(val)))
    if not fields:
        raise HeaderError("no ModelProto fields (not an ONNX model)")
    return Header("onnx", tuple(fields))
