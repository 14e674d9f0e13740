"""The lean header walk lists a layer exactly as tarfile does, or gives way to it.

Archives written by tarfile in all three formats (ustar, GNU, pax: long and non-ASCII names,
links, folders, pax keywords tarfile ignores), then damaged at random: listed with the lean
walk and with tarfile alone, the members (names, types, data offsets, sizes, links), the
error and the budgets' counts are the same.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import ParseError
from auditor.sources.blobs import Blob, Compression
from auditor.sources.layers import EntryBudget, InflateBudget, LayerReader, Listing
from auditor.sources.tar_headers import Unusual, members

_NAMES = st.lists(
    st.sampled_from(["usr", "lib", "a", "b.txt", "ünï", "x" * 60, "site-packages", "d.dist-info"]),
    min_size=1,
    max_size=6,
).map("/".join)
_MEMBER = st.tuples(
    _NAMES,
    st.sampled_from(
        [
            tarfile.REGTYPE,
            tarfile.AREGTYPE,
            tarfile.DIRTYPE,
            tarfile.SYMTYPE,
            tarfile.LNKTYPE,
            tarfile.FIFOTYPE,
        ]
    ),
    st.binary(max_size=1200),
    st.booleans(),
)
_FIXTURE = HealthCheck.function_scoped_fixture
_FORMATS = st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])


def _archive(items: list[tuple[str, bytes, bytes, bool]], fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, kind, data, trailing in items:
            info = tarfile.TarInfo(name + ("/" if trailing and kind == tarfile.DIRTYPE else ""))
            info.type = kind
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = name[::-1]
            if fmt == tarfile.PAX_FORMAT and trailing:
                info.pax_headers = {"SCHILY.xattr.user.x": "1", "comment": "ok"}
            body = data if kind in (tarfile.REGTYPE, tarfile.AREGTYPE) else b""
            info.size = len(body)
            try:
                tar.addfile(info, io.BytesIO(body))
            except ValueError:
                continue  # a name this format cannot hold
    return out.getvalue()


def _listing(path: Path, size: int, gz: bool, lean: bool) -> object:
    blob = Blob(str(path), 0, size, "layer")
    budget, entries = InflateBudget(1 << 30), EntryBudget(10_000)
    reader = LayerReader(blob, Compression.GZIP if gz else Compression.NONE, True, None,
                         budget, entries)  # fmt: skip
    try:
        listed: Listing | str = reader.index(lean=lean)
    except ParseError as exc:
        listed = exc.message
    rows = list(listed) if isinstance(listed, Listing) else listed
    return rows, budget.used, entries.used, reader.kept, reader.digest


@given(
    st.lists(_MEMBER, max_size=12),
    _FORMATS,
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 1 << 14), st.integers(0, 255)), max_size=3),
    st.integers(0, 1 << 14),
)
@settings(max_examples=250, deadline=None, suppress_health_check=[_FIXTURE])
def test_the_lean_walk_lists_what_tarfile_lists(
    tmp_path: Path,
    items: list[tuple[str, bytes, bytes, bool]],
    fmt: int,
    gz: bool,
    damage: list[tuple[int, int]],
    cut: int,
) -> None:
    raw = bytearray(_archive(items, fmt))
    for at, value in damage:
        if at < len(raw):
            raw[at] = value
    data = bytes(raw[: max(cut, len(raw) // 2)]) if damage else bytes(raw)
    blob = gzip.compress(data, mtime=0) if gz else data
    path = tmp_path / "layer"
    path.write_bytes(blob)
    assert _listing(path, len(blob), gz, True) == _listing(path, len(blob), gz, False)


def test_forms_it_does_not_read_are_unusual() -> None:
    """GNU long names and global pax headers: the walk gives way before yielding them."""
    for fmt, name in ((tarfile.GNU_FORMAT, "n" * 150), (tarfile.PAX_FORMAT, "ü" * 3)):
        out = io.BytesIO()
        glob = {"comment": "global"} if fmt == tarfile.PAX_FORMAT else None
        with tarfile.open(fileobj=out, mode="w", format=fmt, pax_headers=glob) as tar:
            tar.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
        stream = _Forward(out.getvalue())
        with pytest.raises(Unusual):
            list(members(stream))


class _Forward:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def seek(self, offset: int) -> int:
        assert offset >= self.pos
        self.pos = offset
        return offset

    def tell(self) -> int:
        return self.pos


def test_ustar_prefix_and_pax_paths_are_joined_as_tarfile_joins_them() -> None:
    long = "/".join(["d" * 60, "e" * 60, "f.txt"])
    for fmt in (tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT):
        data = _archive([(long, tarfile.REGTYPE, b"x", False), ("g" * 70 + "/h" * 20,
                          tarfile.DIRTYPE, b"", True)], fmt)  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            expected = [(i.name, i.type, i.offset_data, i.size, i.linkname) for i in tar]
        assert list(members(_Forward(data))) == expected
        assert expected[0][0] == long
