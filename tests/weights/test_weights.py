"""inspect_weight_file on files written by the real libraries, on hostile files, and the
positive control: the malicious pickle runs when loaded and does nothing when scanned."""

from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path

import gguf
import joblib
import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from safetensors.numpy import save_file

from auditor.sources.directory import DirectoryTree
from auditor.weights.headers import HeaderError, read_gguf
from auditor.weights.inspect import WeightInspection, inspect_weight_file
from auditor.weights.pickles import scan_pickles
from tests.weights import makers

PURL = "pkg:generic/x?checksum=sha256:00"


def inspect(path: Path) -> WeightInspection:
    return inspect_weight_file(DirectoryTree("t", path.parent), path.name, PURL)


def rules(result: WeightInspection) -> set[str]:
    return {f.rule for f in result.findings}


def fields(result: WeightInspection) -> dict[str, str]:
    return {e.field: e.value for e in result.evidence}


class Evil:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def test_safetensors_metadata_is_declared_evidence(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    meta = {"format": "pt", "modelspec.author": "Acme Labs", "modelspec.license": "mit"}
    save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(path), metadata=meta)
    result = inspect(path)
    assert fields(result) == {f"__metadata__.{k}": v for k, v in meta.items()}
    assert result.license == "mit"
    assert not result.findings and not result.diagnostics
    assert {e.strength.value for e in result.evidence} == {"declared"}


def _gguf(path: Path, **extra: str) -> Path:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("Tiny")
    writer.add_author("Acme")
    writer.add_organization("Acme Org")
    writer.add_license("apache-2.0")
    writer.add_source_url("https://example.invalid/src")
    writer.add_base_model_count(1)
    writer.add_base_model_name(0, "Base")
    writer.add_base_model_repo_url(0, extra.get("repo_url", "http://127.0.0.1:9/org/base"))
    writer.add_token_list([f"t{i}" for i in range(500)])
    writer.add_tensor("t", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_general_keys_match_ggufs_own_reader(tmp_path: Path) -> None:
    path = _gguf(tmp_path / "m.gguf")
    result = inspect(path)
    got = fields(result)
    reader = gguf.GGUFReader(str(path))
    for key in ("general.name", "general.author", "general.organization", "general.license"):
        assert got[key] == reader.get_field(key).contents()
    assert got["general.base_model.0.repo_url"] == "http://127.0.0.1:9/org/base"
    assert result.license == "apache-2.0"
    assert result.base_urls == ("https://example.invalid/src", "http://127.0.0.1:9/org/base")
    assert not any(k.startswith("tokenizer.") for k in got)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}(\.[a-z_]{1,8}){0,2}", fullmatch=True),
        st.one_of(st.text(min_size=1, max_size=40), st.integers(0, 2**31), st.booleans()),
        max_size=8,
    )
)
def test_gguf_reader_agrees_with_gguf_on_any_general_keys(
    tmp_path: Path, values: dict[str, object]
) -> None:
    path = tmp_path / "h.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in values.items():
        name = f"general.x.{key}"
        if isinstance(value, bool):
            writer.add_bool(name, value)
        elif isinstance(value, int):
            writer.add_uint32(name, value)
        else:
            writer.add_string(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    with path.open("rb") as fh:
        got = dict(read_gguf(fh, path.stat().st_size).fields)
    reader = gguf.GGUFReader(str(path))
    for key, value in values.items():
        written = reader.get_field(f"general.x.{key}").contents()
        assert written == value  # gguf's own reader: the file holds what we wrote
        text = (
            value
            if isinstance(value, str)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
        assert got[f"general.x.{key}"] == text


def test_onnx_header_without_loading_the_graph(tmp_path: Path) -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    init = helper.make_tensor("w", TensorProto.FLOAT, [256], np.zeros(256, np.float32))
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        [init],
    )
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.5")
    model.domain = "com.acme"
    helper.set_model_props(model, {"author": "Acme", "license": "mit"})
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    got = fields(inspect(path))
    assert got["producer_name"] == "pytorch"
    assert got["producer_version"] == "2.5"
    assert got["domain"] == "com.acme"
    assert got["metadata_props.author"] == "Acme"
    assert got["metadata_props.license"] == "mit"
    assert got["ir_version"] == str(model.ir_version)


def test_torch_zip_state_dict_is_safe(tmp_path: Path) -> None:
    result = inspect(makers.torch_zip(tmp_path / "pytorch_model.bin", makers.state_dict()))
    assert result.is_weights and not result.findings and not result.diagnostics


def test_torch_zip_with_exploit_is_critical(tmp_path: Path) -> None:
    payload = makers.state_dict()
    payload["evil"] = makers.exploit("id")
    result = inspect(makers.torch_zip(tmp_path / "model.pt", payload, protocol=4))
    (found,) = result.findings
    assert found.rule == "weights.unsafe-pickle" and found.severity.value == "critical"
    assert "os.system" in found.message
    assert found.evidence[0].where.startswith("model.pt!archive/data.pkl@")


def test_legacy_torch_stacked_pickles(tmp_path: Path) -> None:
    payload = makers.state_dict()
    payload["x"] = makers.Call(makers.Ref("subprocess", "Popen"), (["id"],))
    result = inspect(makers.torch_legacy(tmp_path / "old.pth", payload))
    assert rules(result) == {"weights.unsafe-pickle"}
    assert not result.diagnostics


def test_unknown_import_is_medium(tmp_path: Path) -> None:
    path = tmp_path / "clf.pkl"
    path.write_bytes(makers.dumps(makers.Call(makers.Ref("sklearn.linear_model", "Ridge"), ())))
    (found,) = inspect(path).findings
    assert found.rule == "weights.unknown-import" and found.severity.value == "medium"


def test_joblib_arrays_are_followed_to_later_imports(tmp_path: Path) -> None:
    path = tmp_path / "m.joblib"
    joblib.dump({"a": np.arange(1000.0), "b": np.zeros((3, 5), np.int16), "z": Evil()}, path)
    assert rules(inspect(path)) == {"weights.unsafe-pickle"}
    clean = tmp_path / "clean.joblib"
    joblib.dump({"a": np.arange(1000.0), "s": np.array(["x", "yy"])}, clean)
    result = inspect(clean)
    assert not result.findings and not result.diagnostics


@pytest.mark.parametrize("compress", [("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_compressed_joblib(tmp_path: Path, compress: tuple[str, int]) -> None:
    path = tmp_path / "m.joblib"
    joblib.dump({"a": np.arange(10.0), "z": Evil()}, path, compress=compress)
    assert rules(inspect(path)) == {"weights.unsafe-pickle"}


def test_numpy_object_arrays(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([Evil(), 1], dtype=object), allow_pickle=True)
    np.save(tmp_path / "f.npy", np.arange(10.0))
    np.savez(tmp_path / "z.npz", a=np.arange(3), o=np.array([Evil()], dtype=object))
    assert rules(inspect(tmp_path / "o.npy")) == {"weights.unsafe-pickle"}
    assert not inspect(tmp_path / "f.npy").findings
    (found,) = inspect(tmp_path / "z.npz").findings
    assert found.evidence[0].where.startswith("z.npz!o.npy@")


def test_keras_lambda_layers_are_high(tmp_path: Path) -> None:
    layers = [makers.dense_layer("d"), makers.lambda_layer("sneaky")]
    for path in (
        makers.keras_zip(tmp_path / "m.keras", layers),
        makers.keras_h5(tmp_path / "m.h5", layers),
    ):
        (found,) = inspect(path).findings
        assert found.rule == "weights.keras-lambda" and found.severity.value == "high"
        assert "sneaky" in found.message
    assert not inspect(makers.keras_zip(tmp_path / "ok.keras", [makers.dense_layer("d")])).findings


def test_positive_control_runs_when_loaded_never_when_scanned(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(makers.dumps(makers.marker_exploit(marker)))
    result = inspect(path)
    assert rules(result) == {"weights.unsafe-pickle"}
    assert not marker.exists()  # scanning did not run it
    makers.run_unpickle(path)
    assert marker.read_text() == "pwned"  # the file really is malicious


@pytest.mark.parametrize("protocol", range(6))
def test_every_protocol(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "p.pkl"
    path.write_bytes(pickle.dumps({"e": Evil(), "o": collections.OrderedDict()}, protocol))
    assert rules(inspect(path)) == {"weights.unsafe-pickle"}


def test_dynamic_stack_global_is_critical() -> None:
    # STACK_GLOBAL whose module comes from a call result: what it imports is hidden.
    data = b"\x80\x04" + b"\x8c\x02os\x94" + b")R" + b"\x8c\x06system\x93."
    scan = scan_pickles(io.BytesIO(data))
    assert [i.module for i in scan.imports] == ["<dynamic>"]


# Hostile inputs: a finding or a diagnostic, bounded memory, never a traceback.


def test_safetensors_header_claiming_100_gb(tmp_path: Path) -> None:
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", 100 * 1024**3) + b"{}")
    (diag,) = inspect(path).diagnostics
    assert "over safetensors' 100000000 limit" in diag.message


def test_truncated_safetensors_header(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", 50) + b'{"a":')
    (diag,) = inspect(path).diagnostics
    assert "file has 5 after it" in diag.message


def test_gguf_absurd_counts(tmp_path: Path) -> None:
    path = tmp_path / "absurd.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1, 2**62) + b"\0" * 64)
    (diag,) = inspect(path).diagnostics
    assert "key/value pairs" in diag.message
    arr = tmp_path / "array.gguf"
    key = b"general.x"
    body = struct.pack("<Q", len(key)) + key + struct.pack("<IIQ", 9, 8, 2**60)
    arr.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + body + b"\0" * 64)
    (diag,) = inspect(arr).diagnostics
    assert "array claims" in diag.message


def test_zip_bomb_checkpoint_is_not_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pt"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("archive/data.pkl", "w") as member,
    ):
        for _ in range(200):
            member.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 2 * 1024 * 1024
    (diag,) = inspect(path).diagnostics
    assert "zip bomb" in diag.message


def test_deeply_nested_pickle(tmp_path: Path) -> None:
    path = tmp_path / "deep.pkl"
    depth = 200_000
    path.write_bytes(b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b".")
    result = inspect(path)
    assert not result.findings and not result.diagnostics


def test_truncated_pickle_is_a_diagnostic(tmp_path: Path) -> None:
    data = makers.dumps({"e": makers.exploit("id"), "pad": list(range(50))}, 2)
    path = tmp_path / "cut.pkl"
    path.write_bytes(data[: len(data) - 20])
    result = inspect(path)
    assert rules(result) == {"weights.unsafe-pickle"}  # imports before the cut still count
    assert any("truncated" in d.message for d in result.diagnostics)


def test_huge_inline_bytes_are_skipped_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.pkl"
    with path.open("wb") as fh:
        fh.write(b"\x80\x04\x8e" + struct.pack("<Q", 300 * 1024 * 1024))
        fh.truncate(3 + 8 + 300 * 1024 * 1024)
        fh.seek(0, 2)
        fh.write(b".")
    assert not inspect(path).diagnostics


def test_non_pickle_bin_is_not_weights(tmp_path: Path) -> None:
    path = tmp_path / "firmware.bin"
    path.write_bytes(b"\x7fELF" + b"\0" * 100)
    result = inspect(path)
    assert not result.is_weights and not result.diagnostics


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=512))
def test_pickle_scanner_never_raises(data: bytes) -> None:
    scan_pickles(io.BytesIO(data), several=True)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=256), st.sampled_from(["safetensors", "gguf", "onnx"]))
def test_header_readers_fail_cleanly(data: bytes, kind: str) -> None:
    from auditor.weights import headers

    reader = {"safetensors": headers.read_safetensors, "gguf": read_gguf, "onnx": headers.read_onnx}
    with contextlib.suppress(HeaderError):
        reader[kind](io.BytesIO(data), len(data))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=60), max_size=6))
def test_safetensors_metadata_round_trips(tmp_path: Path, meta: dict[str, str]) -> None:
    path = tmp_path / "r.safetensors"
    save_file({"w": np.zeros(1, np.float32)}, str(path), metadata=meta)
    with path.open("rb") as fh:
        from auditor.weights.headers import read_safetensors

        got = dict(read_safetensors(fh, path.stat().st_size).fields)
    assert got == {f"__metadata__.{k}": v for k, v in meta.items()}


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_npy_header_reader_fails_cleanly(data: bytes) -> None:
    from auditor.weights.containers import ContainerError, read_npy_header

    with contextlib.suppress(ContainerError):
        read_npy_header(io.BytesIO(b"\x93NUMPY" + data))


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.text(max_size=8),
        lambda c: (
            st.lists(c)
            | st.dictionaries(st.sampled_from(["class_name", "config", "name", "layers"]), c)
        ),
        max_leaves=30,
    )
)
def test_keras_config_walker_takes_any_json(config: object) -> None:
    import json

    from auditor.weights.keras import lambda_layers_config

    lambda_layers_config(json.dumps(config))
