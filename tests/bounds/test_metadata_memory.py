"""Memory for one file's metadata is bounded by a constant, not by the sizes it claims.

Weight headers (safetensors, ONNX, GGUF, HDF5) and image manifests and configs are crafted to
make a naive reader build millions of objects; each is read in a child process whose peak
resident memory must stay under 256 MB (and whose address space is capped at 1.5 GB, so a
blow-up ends as a MemoryError the test reports instead of swapping the machine).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.sources.image_format import MAX_JSON_BYTES
from tests.bounded import assert_bounded, examples, run_bounded
from tests.sources.images import Member, docker_save, layer_tar

RSS_MB = 256


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _onnx(size: int, number: int) -> bytes:
    """A ModelProto of nothing but tiny varint fields (2-3 bytes each)."""
    field = _varint(number << 3) + b"\x01"
    return field * (size // len(field))


def _safetensors(size: int, shape: int) -> bytes:
    """A header of tiny tensor entries (or one huge array), within the 100 MB limit."""
    if shape % 2:
        body = b'{"x": [' + b"0," * (size // 2) + b"0]}"
    else:
        entry = b'"t%d":{"dtype":"F32","shape":[1],"data_offsets":[0,0]},'
        count = size // len(entry % 10**6)
        body = b"{" + b"".join(entry % i for i in range(count)) + b'"__metadata__":{"a":"b"}}'
    return struct.pack("<Q", len(body)) + body


def _gguf(size: int, kind: int) -> bytes:
    """GGUF v3 whose one `general.` array holds millions of empty strings (or arrays)."""
    count = size // 12
    item = (struct.pack("<Q", 0)) if kind % 2 else (struct.pack("<IQ", 4, 0))
    array = struct.pack("<IQ", 8 if kind % 2 else 9, count) + item * count
    key = b"general.tags"
    kv = struct.pack("<Q", len(key)) + key + struct.pack("<I", 9) + array
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv


@examples(6)
@given(
    kind=st.sampled_from(["onnx", "safetensors", "gguf"]),
    size_mb=st.integers(20, 95),
    variant=st.integers(1, 15),
)
def test_weight_headers_stay_under_256_mb(kind: str, size_mb: int, variant: int) -> None:
    size = size_mb << 20
    data, name = {
        "onnx": (lambda: _onnx(size, variant), "model.onnx"),
        "safetensors": (lambda: _safetensors(size, variant), "model.safetensors"),
        "gguf": (lambda: _gguf(size, variant), "model.gguf"),
    }[kind]
    outcome = run_bounded(
        "tests.bounds.targets:inspect_weight", data(), name=name, cpu_seconds=60, wall_seconds=120
    )
    assert_bounded(outcome, max_rss_mb=RSS_MB)


def test_hdf5_model_config_attribute_is_bounded(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "model.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps({"layers": [{}] * 3_000_000})
    outcome = run_bounded("tests.bounds.targets:inspect_weight", path.read_bytes(), name="model.h5")
    assert_bounded(outcome, max_rss_mb=RSS_MB)


@examples(3)
@given(shape=st.sampled_from(["dicts", "lists", "strings"]), history=st.booleans())
def test_image_config_of_tiny_objects_stays_under_256_mb(shape: str, history: bool) -> None:
    """A config blob at the size limit made of the smallest JSON objects."""
    unit = {"dicts": {}, "lists": [], "strings": ""}[shape]
    extra = {"history" if history else "x": [unit] * (MAX_JSON_BYTES // 4 - 10_000)}
    path = Path(run_bounded.__module__.replace(".", "/")).parent  # unused: the tar is in memory
    del path
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        archive = docker_save(
            Path(folder) / "i.tar", [layer_tar([Member("etc/os-release", b"ID=x\n")])],
            config_extra=extra,
        )  # fmt: skip
        data = archive.read_bytes()
    outcome = run_bounded("tests.bounds.targets:scan_image", data, name="i.tar", cpu_seconds=60)
    assert_bounded(outcome, max_rss_mb=RSS_MB)
    assert outcome.result is not None and '"exit": 0' in outcome.result, outcome.describe()
