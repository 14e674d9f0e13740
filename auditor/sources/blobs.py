"""A layer blob's bytes: where they are, how they are compressed, and reading them forward.

A `Blob` is a byte range of a host file (a blob file of an OCI layout, a member of an image
archive), read with `pread` so threads share no file position. `Inflate` steps a gzip stream
forward from a `Checkpoint` (a copy of zlib-ng's inflate state and the compressed offset it
resumes at), one bounded piece of output at a time; `ZstdReader` reads a zstd stream, whose
decoder state cannot be copied. Random access to the tar inside, built on these, is
`auditor.sources.layers`.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from enum import StrEnum, unique
from typing import Any

import zlib_ng.zlib_ng as zng

from auditor.errors import ParseError

ZNG_ERROR: Any = zng.error  # the stubs call it an instance; it is the class
IN_CHUNK = 256 << 10
OUT_CHUNK = 1 << 20


@unique
class Compression(StrEnum):
    """How a layer blob is stored."""

    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


@dataclass(frozen=True, slots=True)
class Blob:
    """A byte range of a host file: a blob file of an OCI layout or a member of an archive."""

    file: str
    offset: int
    size: int
    label: str
    """How messages name it: `image.tar!blobs/sha256/ab12…`."""

    def pread(self, pos: int, n: int) -> bytes:
        """Up to `n` bytes at `pos` (relative to the blob); b"" past its end."""
        n = max(0, min(n, self.size - pos))
        if n == 0:
            return b""
        try:
            fd = os.open(self.file, os.O_RDONLY)
        except OSError as exc:
            raise ParseError(self.label, f"cannot read: {exc.strerror}") from None
        try:
            return os.pread(fd, n, self.offset + pos)
        finally:
            os.close(fd)

    def read_all(self, limit: int) -> bytes:
        """The whole blob (manifests, configs); ParseError when over `limit`."""
        if self.size > limit:
            raise ParseError(self.label, f"{self.size} bytes, over the {limit}-byte limit")
        data = self.pread(0, self.size)
        if len(data) != self.size:
            raise ParseError(self.label, "truncated: shorter than its archive header says")
        return data

    def sha256(self) -> str:
        """`sha256:<hex>` of the blob, read in chunks (hashlib releases the GIL)."""
        h = hashlib.sha256()
        with open(self.file, "rb") as fh:
            fh.seek(self.offset)
            left = self.size
            while left > 0:
                chunk = fh.read(min(IN_CHUNK * 4, left))
                if not chunk:
                    raise ParseError(self.label, "truncated: shorter than its archive header says")
                h.update(chunk)
                left -= len(chunk)
        return f"sha256:{h.hexdigest()}"


def sniff(blob: Blob) -> Compression:
    """The compression, from the first bytes (media types lie more often than magic)."""
    head = blob.pread(0, 4)
    if head[:2] == b"\x1f\x8b":
        return Compression.GZIP
    if head == b"\x28\xb5\x2f\xfd":
        return Compression.ZSTD
    return Compression.NONE


@dataclass(frozen=True, slots=True)
class Checkpoint:
    out: int
    inp: int
    state: Any
    """A copy of the zlib-ng decompressor at this point; None: a fresh gzip member starts."""


class Inflate:
    """Steps a gzip stream forward from a checkpoint, one bounded piece of output at a time."""

    def __init__(self, blob: Blob, start: Checkpoint) -> None:
        self.blob = blob
        self.d: Any = start.state.copy() if start.state is not None else zng.decompressobj(31)
        self.pending = b""
        self.pending_at = start.inp
        self.next_in = start.inp
        self.out = start.out
        self.done = False
        self.hasher: Any = None

    def step(self, limit: int = OUT_CHUNK) -> bytes:
        """The next piece of output (b"" only at the end of the stream)."""
        while not self.done:
            if not self.pending:
                self._read_in()
                if not self.pending:
                    raise ParseError(self.blob.label, "truncated gzip stream")
            data = self.pending
            try:
                piece: bytes = self.d.decompress(data, limit)
            except ZNG_ERROR as exc:
                raise ParseError(self.blob.label, f"corrupt gzip data: {exc}") from None
            rest = self.d.unused_data if self.d.eof else self.d.unconsumed_tail
            self.pending_at += len(data) - len(rest)
            self.pending = rest
            if self.d.eof:
                self._next_member()
            if piece:
                self.out += len(piece)
                return piece
        return b""

    def _read_in(self) -> None:
        """The next compressed chunk into `pending`, hashed as it is read."""
        self.pending = self.blob.pread(self.next_in, IN_CHUNK)
        if self.hasher is not None:
            self.hasher.update(self.pending)
        self.pending_at = self.next_in
        self.next_in += len(self.pending)

    def _next_member(self) -> None:
        """Concatenated gzip members form one stream; zero padding after the last is ignored."""
        if not self.pending:
            self._read_in()
        if not self.pending or self.pending[:1] == b"\0":
            self.done = True
            return
        self.d = zng.decompressobj(31)

    def checkpoint(self) -> Checkpoint:
        """Where a later reader can resume: the state has consumed exactly up to pending_at."""
        return Checkpoint(self.out, self.pending_at, self.d.copy())


class ZstdReader:
    """zstandard's stream reader plus how much compressed input it took."""

    def __init__(self, blob: Blob) -> None:
        import zstandard

        self.raw = _BlobFile(blob)
        self.reader = zstandard.ZstdDecompressor().stream_reader(
            self.raw,  # type: ignore[arg-type]  # any object with read() is accepted
            read_size=IN_CHUNK,
            read_across_frames=True,
        )
        self.label = blob.label
        self.pos = 0

    def read(self, n: int) -> bytes:
        import zstandard

        try:
            data: bytes = self.reader.read(n)
        except zstandard.ZstdError as exc:
            raise ParseError(self.label, f"corrupt zstd data: {exc}") from None
        if not data and self.raw.pos < self.raw.blob.size:
            raise ParseError(self.label, "truncated zstd stream")
        self.pos += len(data)
        return data

    def tell_compressed(self) -> int:
        return self.raw.pos


class _BlobFile(io.RawIOBase):
    """A blob as a sequential file object (what zstandard's stream reader pulls from)."""

    def __init__(self, blob: Blob) -> None:
        super().__init__()
        self.blob = blob
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.blob.pread(self.pos, IN_CHUNK if n is None or n < 0 else n)
        self.pos += len(data)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)
