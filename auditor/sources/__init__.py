"""WHERE bytes come from: a read-only, path-safe view of a target's files.

Collectors only ever see a Tree, so the same collector works on a checkout, a venv, an
unpacked root filesystem and (later) a merged image.
"""

from __future__ import annotations

import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from auditor.errors import ParseError
from auditor.progress import NULL_STAGE, Stage

MAX_READ_BYTES = 256 * 1024 * 1024
"""No metadata file we parse is anywhere near this; a larger one is hostile or a mistake."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One regular file (or symlink) in a tree."""

    path: str
    """POSIX path relative to the tree root."""
    size: int
    opener: Callable[[], bytes] = field(compare=False, repr=False)
    """Reads the bytes; raises ParseError when they cannot be read safely."""
    link: str | None = None
    """The symlink's target as stored, when the entry is a symlink."""
    layer: str | None = None
    streamer: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)
    """Opens the bytes as a stream (large files: weights, layers); None: `opener` is used."""
    stat_key: tuple[str, int, int, int, int] | None = None
    """(real path, size, mtime_ns, inode, ctime_ns) on a local filesystem: what a memo of this
    file's digest is keyed by, so an unchanged file is never hashed twice. ctime is the part a
    user cannot set back (`os.utime` restores an mtime, and changes ctime doing so). None
    inside archives."""

    @property
    def name(self) -> str:
        """The last path component."""
        return self.path.rpartition("/")[2]


class Tree(ABC):
    """A read-only set of files with one way to list them."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self._index: Mapping[str, Entry] | None = None
        # Digest of each file a collector read: the target digest is built from these, so
        # a scan's digest changes exactly when the inputs that produced it change.
        self.read_digests: dict[str, str] = {}

    @abstractmethod
    def entries(self) -> Iterator[Entry]:
        """Every file in the tree, in a deterministic order."""

    def index(self, progress: Stage = NULL_STAGE) -> Mapping[str, Entry]:
        """Entries by path (built once; read-only); `progress` hears each file listed (a
        large folder takes seconds to walk)."""
        if self._index is None:
            index: dict[str, Entry] = {}
            for entry in self.entries():
                index[entry.path] = entry
                progress.advance()
            self._index = index
        return self._index

    def entry(self, path: str) -> Entry | None:
        """The file at `path`, or None."""
        return self.index().get(path)

    def read_bytes(self, path: str) -> bytes:
        """The file's bytes; ParseError names the path when it cannot be read."""
        entry = self.entry(path)
        if entry is None:
            raise ParseError(path, "no such file in the target")
        if entry.size > MAX_READ_BYTES:
            raise ParseError(path, f"file is {entry.size} bytes, over the {MAX_READ_BYTES} limit")
        data = entry.opener()
        self.read_digests[path] = hashlib.sha256(data).hexdigest()
        return data

    def open(self, path: str) -> BinaryIO:
        """A stream of the file's bytes, with no size limit (hashing, weight headers).

        Not recorded in the target digest: streams are for data files, not metadata.
        """
        entry = self.entry(path)
        if entry is None:
            raise ParseError(path, "no such file in the target")
        if entry.streamer is not None:
            return entry.streamer()
        return io.BytesIO(entry.opener())

    def read_text(self, path: str) -> str:
        """The file decoded as UTF-8 (a BOM is dropped); ParseError on bad encoding."""
        data = self.read_bytes(path)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(path, f"not UTF-8 text (byte {exc.start})") from None

    @staticmethod
    def resolve_relative(base: str, ref: str) -> str | None:
        """`ref` as written inside file `base`, as a tree path; None if it leaves the tree."""
        if ref.startswith("/"):
            return None
        parts: list[str] = base.split("/")[:-1]
        for part in ref.replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            else:
                parts.append(part)
        return "/".join(parts) or None

    def digest(self) -> str:
        """sha256 over (path, content digest) of every file read so far."""
        h = hashlib.sha256()
        for path in sorted(self.read_digests):
            h.update(f"{path}\0{self.read_digests[path]}\n".encode())
        return f"sha256:{h.hexdigest()}"
