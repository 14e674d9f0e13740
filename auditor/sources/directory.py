"""A local folder as a Tree: a checkout, a venv, an unpacked root filesystem."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

from auditor.errors import ParseError
from auditor.sources import Entry, Tree

SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "__pycache__"})
"""Never hold dependency metadata; .git alone can be most of a checkout's files."""


def special_kind(mode: int) -> str | None:
    """What a file that is neither regular nor a folder is ("a FIFO"…), else None. Such a
    file is never opened: reading a FIFO blocks until a writer comes, a device never ends."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


class DirectoryTree(Tree):
    """Files below `root`; symlinks are listed but never followed out of it."""

    def __init__(
        self,
        ref: str,
        root: Path,
        excludes: tuple[str, ...] = (),
        only: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(ref)
        self.root = root
        self._real_root = os.path.realpath(root)
        self.excludes = excludes
        # `only` restricts the listing to named files (a named lockfile target) while the
        # root stays their folder, so includes such as `-r base.txt` can still be read.
        self.only = only
        self.skipped: dict[str, str] = {}
        """Special files met (FIFOs, sockets, devices), never opened: path -> what it is."""

    def _excluded(self, rel: str, name: str) -> bool:
        return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in self.excludes)

    def entries(self) -> Iterator[Entry]:
        """Walk depth-first in sorted order without following directory symlinks."""
        if self.only is not None:
            for rel in self.only:
                entry = self._entry(rel)
                if entry is not None:
                    yield entry
            return
        yield from self._walk(str(self.root), "")

    def _walk(self, directory: str, prefix: str) -> Iterator[Entry]:
        try:
            with os.scandir(directory) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError:
            return  # unreadable folders are skipped; the files we can read still count
        for item in items:
            rel = f"{prefix}{item.name}"
            if self._excluded(rel, item.name):
                continue
            try:
                if item.is_dir(follow_symlinks=False):
                    if item.name not in SKIPPED_DIRECTORIES:
                        yield from self._walk(item.path, rel + "/")
                    continue
            except OSError:
                continue
            entry = self._entry(rel)
            if entry is not None:
                yield entry

    def entry(self, path: str) -> Entry | None:
        """Looked up on disk so files outside `only` (includes) can still be read."""
        if self._index is not None and path in self._index:
            return self._index[path]
        if path.startswith("/") or ".." in path.split("/") or "\0" in path:
            return None
        return self._entry(path)

    def _entry(self, rel: str) -> Entry | None:
        full = os.path.join(self.root, rel)
        try:
            st = os.lstat(full)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            link = os.readlink(full)
            try:
                target = os.stat(full)
            except OSError:
                return Entry(rel, 0, partial(self._read, rel), link=link)  # dangling: reportable
            if not stat.S_ISREG(target.st_mode):
                self._skip(rel, target.st_mode)
                return None  # links to folders are never followed (loops, escapes)
            return self._regular(rel, link, target, os.path.realpath(full))
        if not stat.S_ISREG(st.st_mode):
            self._skip(rel, st.st_mode)
            return None
        return self._regular(rel, None, st, os.path.abspath(full))

    def _skip(self, rel: str, mode: int) -> None:
        if (what := special_kind(mode)) is not None:
            self.skipped[rel] = what

    def _regular(self, rel: str, link: str | None, st: os.stat_result, real: str) -> Entry:
        return Entry(
            rel,
            st.st_size,
            partial(self._read, rel),
            link=link,
            streamer=partial(self._stream, rel),
            stat_key=(real, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns),
        )

    def _read(self, rel: str) -> bytes:
        with self._stream(rel) as fh:
            try:
                return fh.read()
            except OSError as exc:
                raise ParseError(rel, f"cannot read: {exc.strerror}") from None

    def _stream(self, rel: str) -> BinaryIO:
        full = os.path.join(self.root, rel)
        real = os.path.realpath(full)
        if os.path.commonpath([real, self._real_root]) != self._real_root:
            raise ParseError(rel, "symlink points outside the target; not read")
        try:
            return open(real, "rb")
        except OSError as exc:
            raise ParseError(rel, f"cannot read: {exc.strerror}") from None
