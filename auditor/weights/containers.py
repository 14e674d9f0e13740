"""The containers weights travel in: zip (PyTorch, NumPy .npz, Keras), joblib's compressed
streams, NumPy's .npy header. Each check that would let a hostile file cost unbounded time
or memory (a zip bomb, a huge member count) is made before anything is decompressed."""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_MEMBERS = 100_000
MAX_RATIO = 100
"""Stored tensors barely compress; a member expanding over 100x and past 64 MiB is a bomb."""
BOMB_FLOOR = 64 * 1024 * 1024
MAX_DECOMPRESSED = 8 * 1024 * 1024 * 1024
MAX_NPY_HEADER = 1 << 20


class ContainerError(Exception):
    """A container that cannot be read safely; the message says why."""


def is_zip(head: bytes) -> bool:
    """Local-file-header magic (PyTorch >= 1.6, .npz, .keras all start with it)."""
    return head.startswith(b"PK\x03\x04")


@dataclass(frozen=True, slots=True)
class Member:
    """One zip member that is safe to read."""

    name: str
    size: int


def safe_members(archive: zipfile.ZipFile) -> Iterator[Member]:
    """Every regular member, after refusing archives and members built to exhaust us."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ContainerError(f"{len(infos)} members (limit {MAX_MEMBERS})")
    for info in infos:
        if info.is_dir():
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > BOMB_FLOOR and ratio > MAX_RATIO:
            raise ContainerError(
                f"member {info.filename} expands {ratio:.0f}x to {info.file_size} bytes "
                "(a zip bomb); not decompressed"
            )
        yield Member(info.filename, info.file_size)


class _Counted(io.RawIOBase):
    """Decompressed bytes, with a ceiling so a compression bomb stops early."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        self.total += len(data)
        if self.total > MAX_DECOMPRESSED:
            raise ContainerError(f"decompresses past {MAX_DECOMPRESSED} bytes")
        buffer[: len(data)] = data
        return len(data)


class _Zlib(io.RawIOBase):
    """A raw zlib stream (joblib's `compress=True` default) read incrementally."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.inflater = zlib.decompressobj()
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            if self.inflater.eof:
                return 0
            raw = self.inflater.unconsumed_tail or self.inner.read(1 << 16)
            if not raw:
                return 0
            try:
                self.pending = self.inflater.decompress(raw, 1 << 20)
            except zlib.error as exc:
                raise ContainerError(f"bad zlib data: {exc}") from None
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def decompressed(stream: BinaryIO, head: bytes) -> tuple[BinaryIO, str | None]:
    """The stream joblib wrote, undoing its compressor (named, or None when uncompressed)."""
    inner: BinaryIO
    if head.startswith(b"\x1f\x8b"):
        inner, name = gzip.GzipFile(fileobj=stream), "gzip"  # type: ignore[assignment]
    elif head.startswith(b"BZh"):
        inner, name = bz2.BZ2File(stream), "bz2"  # type: ignore[assignment]
    elif head.startswith(b"\xfd7zXZ\x00") or head.startswith(b"\x5d\x00\x00"):
        # Closed with the outer stream; the caller owns both.
        inner, name = lzma.LZMAFile(stream), "lzma"  # type: ignore[assignment]  # noqa: SIM115
    elif head.startswith(b"\x04\x22\x4d\x18"):
        raise ContainerError("lz4-compressed joblib file: not read (no lz4 decoder)")
    elif len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        inner, name = io.BufferedReader(_Zlib(stream)), "zlib"
    else:
        return stream, None
    return io.BufferedReader(_Counted(inner)), name


@dataclass(frozen=True, slots=True)
class NpyHeader:
    """NumPy's .npy header (numpy/lib/format.py, versions 1.0 to 3.0)."""

    descr: str
    shape: tuple[int, ...]

    @property
    def has_objects(self) -> bool:
        """Object arrays are stored as a pickle right after the header."""
        return "O" in self.descr


def read_npy_header(stream: BinaryIO) -> NpyHeader:
    """Parse the header with `ast.literal_eval` (a literal dict, never evaluated code)."""
    magic = stream.read(8)
    if len(magic) < 8 or not magic.startswith(b"\x93NUMPY"):
        raise ContainerError("not a .npy file (bad magic)")
    major = magic[6]
    width = 2 if major == 1 else 4
    raw = stream.read(width)
    if len(raw) < width:
        raise ContainerError("truncated .npy header")
    (length,) = struct.unpack("<H" if width == 2 else "<I", raw)
    if length > MAX_NPY_HEADER:
        raise ContainerError(f".npy header of {length} bytes")
    text = stream.read(length)
    if len(text) < length:
        raise ContainerError("truncated .npy header")
    try:
        header = ast.literal_eval(text.decode("utf-8" if major >= 3 else "latin-1"))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        raise ContainerError(".npy header is not a literal dict") from None
    if not isinstance(header, dict) or "descr" not in header:
        raise ContainerError(".npy header has no 'descr'")
    shape = header.get("shape")
    return NpyHeader(str(header["descr"]), tuple(shape) if isinstance(shape, tuple) else ())
