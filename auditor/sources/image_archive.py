"""An image's files by name: members of a tar (docker save, OCI layout tar) or files below
an OCI layout folder, each a `Blob` (a byte range of the host file; nothing is extracted).

Names are made safe relative keys first: absolute or escaping names are refused, a symlink
member (a legacy docker save links a repeated layer to its first copy) is followed inside the
archive, and a layout folder's file must resolve inside the folder. What the files mean
(manifests, indexes, configs) is `auditor.sources.image_format`.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import tarfile
from pathlib import Path

from auditor.errors import TargetError
from auditor.sources.blobs import Blob

_HEX = {"sha256": 64, "sha512": 128}


class ImageArchive:
    """Named byte ranges: members of a tar, or files below a folder."""

    def __init__(self, ref: str, path: Path) -> None:
        self.ref = ref
        self.path = path
        self.members: dict[str, Blob] | None = None
        self.links: dict[str, str] = {}
        """Symlink members (a legacy docker save links a repeated layer to its first copy)."""
        if path.is_file():
            self.members = {}
            try:
                with tarfile.open(path, "r:") as tar:
                    for info in tar:
                        name = clean_name(info.name)
                        if name is not None and info.isreg():
                            label = f"{ref}!{name}"
                            self.members[name] = Blob(str(path), info.offset_data, info.size, label)
                        elif name is not None and info.issym():
                            joined = posixpath.join(posixpath.dirname(name), info.linkname)
                            target = clean_name(posixpath.normpath(joined))
                            if target is not None:
                                self.links[name] = target
            except (tarfile.TarError, OSError) as exc:
                with path.open("rb") as fh:
                    magic = fh.read(4)
                if magic[:2] == b"\x1f\x8b" or magic == b"\x28\xb5\x2f\xfd":
                    raise TargetError(
                        f"{ref}: a compressed archive; images are read from the plain tar",
                        hint="decompress it first (gunzip / zstd -d)",
                    ) from None
                raise TargetError(f"{ref}: not a readable tar archive: {exc}") from None
            except EOFError:
                raise TargetError(f"{ref}: truncated tar archive") from None
            for blob in self.members.values():
                if blob.offset + blob.size > path.stat().st_size:
                    raise TargetError(f"{blob.label}: truncated (the archive ends inside it)")

    def has(self, name: str) -> bool:
        if self.members is not None:
            return name in self.members
        return self._file(name) is not None

    def _file(self, name: str) -> Path | None:
        full = self.path / name
        try:
            st = os.lstat(full)
        except OSError:
            return None
        real = os.path.realpath(full)
        root = os.path.realpath(self.path)
        if os.path.commonpath([real, root]) != root or not stat.S_ISREG(os.stat(real).st_mode):
            raise TargetError(f"{self.ref}/{name}: not a regular file inside the layout")
        del st
        return Path(real)

    def blob(self, name: str, what: str) -> Blob:
        clean = clean_name(name)
        if clean is None:
            raise TargetError(f"{self.ref}: {what} {name!r} is not a safe relative path")
        if self.members is not None:
            for _ in range(8):
                if clean not in self.links:
                    break
                clean = self.links[clean]
            found = self.members.get(clean)
            if found is None:
                raise TargetError(f"{self.ref}!{clean}: {what} is missing from the archive")
            return found
        file = self._file(clean)
        if file is None:
            raise TargetError(f"{self.ref}/{clean}: {what} is missing from the layout")
        return Blob(str(file), 0, file.stat().st_size, f"{self.ref}/{clean}")

    def by_digest(self, digest: str, what: str) -> Blob:
        algorithm, _, hexdigest = digest.partition(":")
        if _HEX.get(algorithm) != len(hexdigest) or not re.fullmatch(r"[0-9a-f]+", hexdigest):
            raise TargetError(f"{self.ref}: {what} has a malformed digest {digest!r}")
        return self.blob(f"blobs/{algorithm}/{hexdigest}", what)


def clean_name(name: str) -> str | None:
    """A member name as a safe relative key; None for absolute or escaping names."""
    if name.startswith("/") or "\0" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)
