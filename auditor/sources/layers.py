"""Random access to the tar inside one image layer blob, without writing it anywhere.

A layer is read once, start to end, to list its members (`tar_headers`' lean walk over a
forward-only reader; tarfile for any form that walk does not read). For a gzip layer that
pass also keeps a *checkpoint* every `SPAN` bytes of output: a copy of the inflate state
(zlib-ng's `Decompress.copy()`, ~40 KB) and the compressed offset it resumes at. Reading a
member later costs at most one span of inflation from the nearest checkpoint, and spans are
kept in a small LRU so the metadata files of one package (adjacent in the tar) cost one
inflation together. The index pass inflates on its own thread a few pieces ahead of the tar
walk (zlib-ng releases the interpreter lock), hashes the blob on another, and keeps the
small metadata files every scan reads (dist-info, dpkg's status) as it passes them (at most
KEPT_TOTAL a layer). An uncompressed layer is read at member offsets directly; a zstd layer,
whose decoder state cannot be copied, restarts from the front when a read goes backwards.
Memory stays bounded by the checkpoint count, the LRU and KEPT_TOTAL.

The blob itself, its compression and the forward decoders are `auditor.sources.blobs`.
"""

from __future__ import annotations

import io
import queue
import tarfile
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from auditor.errors import ParseError
from auditor.sources import tar_headers
from auditor.sources.blobs import (
    OUT_CHUNK,
    Blob,
    Checkpoint,
    Compression,
    Inflate,
    ZstdReader,
    sniff,
)

__all__ = [  # Blob, Compression and sniff stay importable from here
    "Blob",
    "Compression",
    "LayerReader",
    "Member",
    "SpanCache",
    "sniff",
]

SPAN = 4 << 20
"""Least output between checkpoints: bounds the cost of one random read of a gzip layer."""
MAX_CHECKPOINTS = 512
"""Per layer: a huge layer spaces them wider, so their memory (~40 KB each) stays bounded."""
SPAN_CACHE = 8
"""Decoded spans kept for the whole image (not per layer), so memory is bounded however
many layers there are."""
AHEAD = 8
"""Pieces (of OUT_CHUNK) the inflating thread may run ahead of the tar walk."""
KEPT_FILE = 1 << 20
KEPT_TOTAL = 32 << 20
"""Metadata files (`*.dist-info/*`, `*.egg-info/*`, dpkg's status) up to KEPT_FILE each and
KEPT_TOTAL per layer are kept as the index pass goes by them: the collectors read every one,
and reading them later costs a span of inflation each, scattered over the layer."""
_KEPT_FOLDERS = (".dist-info", ".egg-info")
_KEPT_PATHS = frozenset(
    {"var/lib/dpkg/status", "lib/apk/db/installed", "etc/os-release", "usr/lib/os-release"}
)


_WEIGHT_FILES = (
    ".safetensors", ".gguf", ".onnx", ".npy", ".npz", ".keras", ".h5", ".hdf5", ".pkl",
    ".pickle", ".joblib", ".dill", ".bin", ".pt", ".pth", ".ckpt", ".tflite",
)  # fmt: skip
"""auditor.weights.inspect.WEIGHT_SUFFIXES: every such file is sniffed (installed packages'
test fixtures too, as their distribution's files), so small ones are kept as well."""


def _kept(name: str) -> bool:
    """Whether the index pass keeps this member's bytes (see KEPT_FILE)."""
    folder, _, _ = name.rpartition("/")
    if folder.endswith(_KEPT_FOLDERS) or name.lower().endswith(_WEIGHT_FILES):
        return True
    return name.lstrip("./") in _KEPT_PATHS


class InflateBudget:
    """What all layers of one image may inflate to while they are indexed
    (`--max-inflated-bytes`): a decompression bomb stops there, and a real image holding
    one huge zero-filled file is still read, however well it compresses."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        """Count `n` more inflated bytes; False once the image is past its budget."""
        with self._lock:
            self.used += n
            return self.used <= self.limit


class EntryBudget(InflateBudget):
    """How many tar members all layers of one image may list (`--max-image-entries`).
    The merged view costs ~300 bytes a path, so this bounds a scan's memory on an image
    of millions of tiny files (a 9 MB layer of empty files lists 1.2 million) where the
    inflated-bytes budget, counting bytes, never would."""


class OverBudget(Exception):
    """A layer still inflating (or listing) when the image passed its budget."""

    def __init__(self, label: str, limit: int, entries: bool = False) -> None:
        what = "entries" if entries else "bytes"
        super().__init__(f"{label}: past the image's budget of {limit} {what}")
        self.label = label
        self.limit = limit
        self.entries = entries


@dataclass(frozen=True, slots=True)
class Member:
    """One tar member of a layer, as the index pass saw it."""

    name: str
    type: bytes
    offset: int
    """Offset of its data in the uncompressed tar stream."""
    size: int
    linkname: str


class Listing:
    """A layer's members in archive order, kept compactly until the merged view takes
    them: a name each, types in a bytearray, offsets and sizes in arrays, link names only
    for links. About 30 bytes a member beside its name, where a `Member` object costs 100;
    an image of a million tiny files holds its whole listing at once."""

    __slots__ = ("_links", "_names", "_offsets", "_sizes", "_types")

    def __init__(self) -> None:
        self._names: list[str] = []
        self._types = bytearray()
        self._offsets = array("q")
        self._sizes = array("q")
        self._links: dict[int, str] = {}

    def add(self, name: str, type_: bytes, offset: int, size: int, linkname: str) -> None:
        if linkname:
            self._links[len(self._names)] = linkname
        self._names.append(name)
        self._types += type_[:1] or b"\0"
        self._offsets.append(offset)
        self._sizes.append(size)

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[Member]:
        links = self._links
        for i, name in enumerate(self._names):
            kind = bytes(self._types[i : i + 1])
            yield Member(name, kind, self._offsets[i], self._sizes[i], links.get(i, ""))


_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
Unusual = tar_headers.Unusual


def _tarfile_members(stream: _IndexStream) -> Iterator[tuple[str, bytes, int, int, str]]:
    """What `tar_headers.members` yields, read by tarfile (any form it reads)."""
    with tarfile.open(fileobj=stream, mode="r:") as tar:
        while (i := tar.next()) is not None:
            # TarFile keeps every TarInfo it reads (for extraction, which never happens
            # here): ~600 bytes each, 170 MB on a layer of 300,000 empty files. `next()`
            # needs none of the earlier ones.
            tar.members.clear()  # type: ignore[attr-defined]
            yield i.name, i.type, i.offset_data, i.size, i.linkname


class _IndexStream(io.RawIOBase):
    """The forward-only file object tarfile reads during the index pass."""

    def __init__(self, layer: LayerReader) -> None:
        super().__init__()
        self.layer = layer
        self.buf = b""
        self.buf_at = 0
        """Uncompressed offset of buf[0]."""
        self.pos = 0
        self.inflater: _Inflater | None = None
        self.zstd: Any = None
        if layer.compression is Compression.GZIP:
            self.inflater = _Inflater(layer)
            self.inflater.start()
        elif layer.compression is Compression.ZSTD:
            self.zstd = _zstd_reader(layer.blob)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or offset < self.pos:
            raise OSError("layer stream only seeks forward")
        self.pos = offset
        return self.pos

    def _piece(self) -> bytes:
        layer = self.layer
        if self.inflater is not None:
            piece = self.inflater.next()
        elif self.zstd is not None:
            piece = self.zstd.read(OUT_CHUNK)
        else:
            return layer.blob.pread(self.buf_at + len(self.buf), OUT_CHUNK)
        budget = layer.budget
        layer._inflated += len(piece)
        if budget is not None and not budget.take(len(piece)):
            raise OverBudget(layer.blob.label, budget.limit)
        return piece

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise OSError("unbounded reads are not supported")
        if self.layer.compression is Compression.NONE:
            data = self.layer.blob.pread(self.pos, n)
            self.pos += len(data)
            return data
        rel = self.pos - self.buf_at
        if rel + n <= len(self.buf):  # a header inside the current piece: one slice
            self.pos += n
            return self.buf[rel : rel + n]
        out = bytearray()
        while len(out) < n:
            rel = self.pos - self.buf_at
            if rel >= len(self.buf):
                self.buf_at += len(self.buf)
                self.buf = b""
                piece = self._piece()
                if not piece:
                    break
                self.buf = piece
                continue
            take = self.buf[rel : rel + n - len(out)]
            out += take
            self.pos += len(take)
        return bytes(out)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Stop the inflating thread (the tar ended, or the walk failed)."""
        if self.inflater is not None:
            self.inflater.close()


class _Inflater(threading.Thread):
    """Inflates a gzip layer on its own thread, a few pieces ahead of the tar walk that
    reads them: zlib-ng releases the interpreter lock while it inflates, so on two cores
    the layer inflates while Python parses the headers. Checkpoints are taken here, where
    the decoder state is; an error travels to the reader as the piece it was waiting for."""

    def __init__(self, layer: LayerReader) -> None:
        super().__init__(name="layer-inflate", daemon=True)
        self.layer = layer
        self.pieces: queue.Queue[bytes | ParseError] = queue.Queue(AHEAD)
        self.stopped = threading.Event()

    def run(self) -> None:
        layer = self.layer
        inflate = Inflate(layer.blob, Checkpoint(0, 0, None))
        try:
            while not self.stopped.is_set():
                piece = inflate.step()
                if inflate.out >= layer.checkpoints[-1].out + layer.span and not inflate.done:
                    layer.checkpoints.append(inflate.checkpoint())
                    if len(layer.checkpoints) > MAX_CHECKPOINTS:
                        # A layer inflating far past 8:1 (zero-filled files): thin them out,
                        # so their memory stays bounded and a read costs one (longer) span.
                        layer.checkpoints = layer.checkpoints[::2]
                        layer.span *= 2
                self._put(piece)
                if not piece:
                    return
        except ParseError as exc:
            self._put(exc)
        except Exception as exc:  # the reader must hear of any failure
            self._put(ParseError(layer.blob.label, f"cannot read layer: {exc}"))

    def _put(self, item: bytes | ParseError) -> None:
        while not self.stopped.is_set():
            try:
                self.pieces.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def next(self) -> bytes:
        """The next piece (b"" at the end of the stream)."""
        item = self.pieces.get()
        if isinstance(item, ParseError):
            raise item
        if not item:
            self.pieces.put(item)  # the end stays the end for a later read
        return item

    def close(self) -> None:
        self.stopped.set()
        while True:
            try:
                self.pieces.get_nowait()
            except queue.Empty:
                break
        self.join()


class _Digest(threading.Thread):
    """The blob's sha256, computed beside the index pass (hashlib releases the lock too)."""

    def __init__(self, blob: Blob) -> None:
        super().__init__(name="layer-digest", daemon=True)
        self.blob = blob
        self.digest: str | None = None
        self.error: ParseError | None = None

    def run(self) -> None:
        try:
            self.digest = self.blob.sha256()
        except ParseError as exc:
            self.error = exc

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.digest is not None
        return self.digest


def _zstd_reader(blob: Blob) -> ZstdReader:
    return ZstdReader(blob)


class SpanCache:
    """The most recently decoded spans of all layers of one image (an LRU)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, layer: LayerReader, k: int) -> bytes | None:
        with self._lock:
            found = self._items.get((id(layer), k))
            if found is not None:
                self._items.move_to_end((id(layer), k))
            return found

    def put(self, layer: LayerReader, k: int, span: bytes) -> None:
        with self._lock:
            self._items[(id(layer), k)] = span
            while len(self._items) > SPAN_CACHE:
                self._items.popitem(last=False)


class LayerReader:
    """One layer blob: `index()` lists its members once; `read`/`stream` fetch their bytes."""

    def __init__(
        self,
        blob: Blob,
        compression: Compression,
        verify: bool = True,
        spans: SpanCache | None = None,
        budget: InflateBudget | None = None,
        entries: EntryBudget | None = None,
        raw_name: str | None = None,
    ) -> None:
        self.blob = blob
        self.raw_name = raw_name
        """Set for a model artifact's raw layer: the blob is that one file, not a tar."""
        self.budget = budget
        self.entries = entries
        self.compression = compression
        self.verify = verify
        # gzip rarely packs more than ~8:1 outside bombs (refused anyway); spacing by the
        # compressed size keeps the checkpoint count near MAX_CHECKPOINTS at most.
        self.span = self._first_span = max(SPAN, blob.size * 8 // MAX_CHECKPOINTS)
        self.checkpoints: list[Checkpoint] = [Checkpoint(0, 0, None)]
        self._outs: list[int] = []
        self._spans = spans if spans is not None else SpanCache()
        self._lock = threading.Lock()
        self._zstd: ZstdReader | None = None
        self.digest: str | None = None
        """sha256 of the blob bytes, once `index()` has run with verification on."""
        self._inflated = 0
        """Bytes this layer took from the inflate budget, and members from the entries
        budget: given back if the lean walk gives way to tarfile."""
        self._listed = 0
        self.kept: dict[int, bytes] = {}
        """Metadata members' bytes by data offset, kept by the index pass (see KEPT_FILE)."""

    def index(self, lean: bool = True) -> Listing:
        """Every member in archive order; ParseError (naming the blob) on a bad stream,
        OverBudget when the image's inflated-bytes budget runs out while this layer reads.
        `lean=False` lists with tarfile alone (what the lean walk is checked against)."""
        if self.raw_name is not None:
            return self._raw_listing()
        digest = _Digest(self.blob) if self.verify else None
        if digest is not None:
            digest.start()
        if lean:
            try:
                members = self._list(lean=True)
            except Unusual:
                # A form the lean walk does not read: tarfile lists the layer from the
                # start, with the budgets given back what the first pass took.
                self._restart()
                members = self._list(lean=False)
        else:
            members = self._list(lean=False)
        self._outs = [c.out for c in self.checkpoints]
        if digest is not None:
            self.digest = digest.result()
        return members

    def _restart(self) -> None:
        if self.budget is not None:
            self.budget.take(-self._inflated)
        if self.entries is not None:
            self.entries.take(-self._listed)
        self._inflated = self._listed = 0
        self.checkpoints = [Checkpoint(0, 0, None)]
        self.span = self._first_span
        self.kept = {}

    def _list(self, lean: bool) -> Listing:
        stream = _IndexStream(self)
        members = Listing()
        kept_total = 0
        try:
            for name, kind, at, size, link in (
                tar_headers.members(stream) if lean else _tarfile_members(stream)
            ):
                self._listed += 1
                if self.entries is not None and not self.entries.take(1):
                    raise OverBudget(self.blob.label, self.entries.limit, entries=True)
                members.add(name, kind, at, size, link)
                if (
                    kind in _REGULAR
                    and 0 < size <= KEPT_FILE
                    and kept_total + size <= KEPT_TOTAL
                    and _kept(name)
                ):
                    # The stream is at the member's data; the walk seeks on past it.
                    data = stream.read(size)
                    if len(data) == size:
                        self.kept[at] = data
                        kept_total += size
        except tarfile.TarError as exc:
            raise ParseError(self.blob.label, f"not a readable tar layer: {exc}") from None
        except OSError as exc:
            raise ParseError(self.blob.label, f"cannot read layer: {exc}") from None
        finally:
            stream.close()
        return members

    def _raw_listing(self) -> Listing:
        """A raw layer (`auditor.sources.model_artifact`): one regular file at offset 0."""
        assert self.raw_name is not None
        if self.entries is not None and not self.entries.take(1):
            raise OverBudget(self.blob.label, self.entries.limit, entries=True)
        listing = Listing()
        listing.add(self.raw_name, b"0", 0, self.blob.size, "")
        self._outs = [c.out for c in self.checkpoints]
        if self.verify:
            self.digest = self.blob.sha256()
        return listing

    def read(self, offset: int, size: int, label: str) -> bytes:
        """`size` bytes of the tar stream at `offset` (one member's data)."""
        kept = self.kept.get(offset)
        if kept is not None and len(kept) == size:
            return kept
        if self.compression is Compression.NONE:
            data = self.blob.pread(offset, size)
        elif self.compression is Compression.ZSTD:
            with self._lock:
                data = self._zstd_read(offset, size)
        else:
            with self._lock:
                data = self._gzip_read(offset, size)
        if len(data) != size:
            raise ParseError(label, "truncated: the layer ends inside this file")
        return data

    def _gzip_read(self, offset: int, size: int) -> bytes:
        out = bytearray()
        pos, end = offset, offset + size
        while pos < end:
            k = bisect_right(self._outs, pos) - 1
            span = self._span(k)
            start = pos - self.checkpoints[k].out
            take = span[start : start + end - pos]
            if not take:
                break
            out += take
            pos += len(take)
        return bytes(out)

    def _span(self, k: int) -> bytes:
        cached = self._spans.get(self, k)
        if cached is not None:
            return cached
        start = self.checkpoints[k]
        stop = self.checkpoints[k + 1].out if k + 1 < len(self.checkpoints) else None
        inflate = Inflate(self.blob, start)
        parts: list[bytes] = []
        while stop is None or inflate.out < stop:
            piece = inflate.step(OUT_CHUNK if stop is None else min(OUT_CHUNK, stop - inflate.out))
            if not piece:
                break
            parts.append(piece)
        span = b"".join(parts)
        self._spans.put(self, k, span)
        return span

    def _zstd_read(self, offset: int, size: int) -> bytes:
        if self._zstd is None or self._zstd.pos > offset:
            self._zstd = ZstdReader(self.blob)
        reader = self._zstd
        while reader.pos < offset:
            if not reader.read(min(OUT_CHUNK, offset - reader.pos)):
                return b""
        parts, left = [], size
        while left > 0:
            piece = reader.read(min(OUT_CHUNK, left))
            if not piece:
                break
            parts.append(piece)
            left -= len(piece)
        return b"".join(parts)

    def stream(self, offset: int, size: int, label: str) -> BinaryIO:
        """A stream of one member's bytes (large files: weights), decoded as it is read."""
        kept = self.kept.get(offset)
        if kept is not None and len(kept) == size:
            return io.BytesIO(kept)
        return io.BufferedReader(_MemberStream(self, offset, size, label), OUT_CHUNK)


class _MemberStream(io.RawIOBase):
    """Sequential reads of one member; gzip resumes from the nearest checkpoint."""

    def __init__(self, layer: LayerReader, offset: int, size: int, label: str) -> None:
        super().__init__()
        self.layer, self.offset, self.size, self.label = layer, offset, size, label
        self.pos = 0
        self.inflate: Inflate | None = None
        self.zstd: ZstdReader | None = None
        self.buf = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        # Weight readers read a file's head, then seek back to parse it from the start.
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Any position inside the member: the decoder restarts from the nearest gzip
        checkpoint at or before it (zstd: from the blob's start), so seeking back is cheap
        where it matters."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        target = max(0, min(self.size, base + offset))
        if target != self.pos:
            self.pos = target
            self.inflate, self.zstd, self.buf = None, None, b""
        return self.pos

    def _next(self, n: int) -> bytes:
        layer, at = self.layer, self.offset + self.pos
        if layer.compression is Compression.NONE:
            return layer.blob.pread(at, n)
        if layer.compression is Compression.ZSTD:
            if self.zstd is None:
                self.zstd = ZstdReader(layer.blob)
                while self.zstd.pos < at:
                    if not self.zstd.read(min(OUT_CHUNK, at - self.zstd.pos)):
                        return b""
            return self.zstd.read(n)
        if self.inflate is None:
            k = bisect_right(layer._outs, at) - 1
            self.inflate = Inflate(layer.blob, layer.checkpoints[k])
            while self.inflate.out < at:
                piece = self.inflate.step(min(OUT_CHUNK, at - self.inflate.out))
                if not piece:
                    return b""
        if self.buf:
            piece, self.buf = self.buf[:n], self.buf[n:]
            return piece
        piece = self.inflate.step(OUT_CHUNK)
        self.buf = piece[n:]
        return piece[:n]

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        data = self._next(n)
        if not data:
            raise ParseError(self.label, "truncated: the layer ends inside this file")
        b[: len(data)] = data
        self.pos += len(data)
        return len(data)
