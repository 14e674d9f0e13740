"""Weight files made the way the real libraries make them (shared by the tests and bench/).

PyTorch checkpoints are written per the format (torch/serialization.py `_save`: a zip with
`<archive>/data.pkl`, `<archive>/data/<key>`, `<archive>/version`, `<archive>/byteorder`;
its pickle references `torch._utils._rebuild_tensor_v2` and `torch.FloatStorage` through
persistent ids) with pickle's own Pickler, so torch itself is not needed. Everything else is
written by the library that owns the format.
"""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any


class Ref:
    """A global reference written as `module.name` without importing the module."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any) -> Any:
        """Never called: pickle only requires the reduce function to be callable."""
        raise AssertionError("a Ref is written, never called")


class Call:
    """`func(*args)` written as REDUCE, for objects we do not have (tensors, exploits)."""

    def __init__(self, func: Ref | Call, args: tuple[Any, ...]) -> None:
        self.func = func
        self.args = args

    def __call__(self, *args: Any) -> Any:
        """Never called: a Call may itself be the callable of another (partial(...)())."""
        raise AssertionError("a Call is written, never called")


class _Pickler(pickle._Pickler):  # type: ignore[name-defined,misc]
    """Python's own pickler, taught to write Ref/Call and torch-style persistent ids."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Call):
            return obj.func, obj.args
        if isinstance(obj, Ref):
            return obj.name
        return NotImplemented

    def save_global(self, obj: Any, name: Any = None) -> None:
        if not isinstance(obj, Ref):
            super().save_global(obj, name)
            return
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, tuple) and obj and obj[0] == "storage" and len(obj) == 5:
            return obj
        return None


def dumps(obj: Any, protocol: int = 2) -> bytes:
    """Pickle `obj`, with Ref/Call standing for globals we do not import."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


def tensor(key: str, shape: tuple[int, ...]) -> Call:
    """What `torch.save` pickles for one float tensor (v2 rebuild, storage by persistent id)."""
    numel = 1
    for n in shape:
        numel *= n
    storage = ("storage", Ref("torch", "FloatStorage"), key, "cpu", numel)
    stride = tuple(int(x) for x in _strides(shape))
    return Call(
        Ref("torch._utils", "_rebuild_tensor_v2"),
        (storage, 0, shape, stride, False, collections.OrderedDict()),
    )


def _strides(shape: tuple[int, ...]) -> list[int]:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


def torch_zip(path: Path, payload: Any, *, protocol: int = 2, archive: str = "archive") -> Path:
    """A PyTorch >= 1.6 zip checkpoint holding `payload` as data.pkl (stored, not deflated)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{archive}/data.pkl", dumps(payload, protocol))
        z.writestr(f"{archive}/byteorder", "little")
        z.writestr(f"{archive}/data/0", b"\0" * 64)
        z.writestr(f"{archive}/version", "3\n")
        z.writestr(f"{archive}/.data/serialization_id", "0123456789")
    return path


def state_dict() -> collections.OrderedDict[str, Any]:
    """A two-tensor state dict."""
    return collections.OrderedDict(
        [("layer.weight", tensor("0", (4, 4))), ("layer.bias", tensor("1", (4,)))]
    )


def torch_legacy(path: Path, payload: Any) -> Path:
    """The pre-1.6 format: magic, protocol, sys info, object and storage-key pickles, data."""
    with path.open("wb") as fh:
        for part in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"protocol_version": 1001, "little_endian": True},
            payload,
            ["0", "1"],
        ):
            fh.write(dumps(part, 2))
        fh.write((16).to_bytes(8, "little") + b"\0" * 64)
    return path


def exploit(command: str) -> Call:
    """`os.system(command)` on unpickling (the classic malicious pickle)."""
    return Call(Ref("os", "system"), (command,))


def marker_exploit(marker: Path) -> Call:
    """Creates `marker` when unpickled: the positive control."""
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    return Call(Ref("builtins", "exec"), (code,))


def keras_zip(path: Path, layers: list[dict[str, Any]]) -> Path:
    """A Keras 3 `.keras` archive (keras/src/saving/saving_lib.py: config.json,
    metadata.json, model.weights.h5) with a Sequential model of `layers`."""
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": layers},
        "registered_name": None,
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "x"}))
        z.writestr("model.weights.h5", _empty_h5())
    return path


def _empty_h5() -> bytes:
    """An HDF5 file with Keras 3's weights layout root (`layers`, `vars` groups)."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("layers")
        f.create_group("vars")
    return buffer.getvalue()


def lambda_layer(name: str) -> dict[str, Any]:
    """A Keras Lambda layer as Keras 3 serialises it (marshalled bytecode, base64)."""
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": name,
            "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}},
        },
        "registered_name": None,
    }


def dense_layer(name: str) -> dict[str, Any]:
    """A plain Dense layer."""
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": 4},
        "registered_name": None,
    }


def keras_h5(path: Path, layers: list[dict[str, Any]]) -> Path:
    """A legacy Keras HDF5 model: the config JSON in the root attribute `model_config`."""
    import h5py

    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.create_group("model_weights")
    return path


def run_unpickle(path: Path) -> None:
    """Load a pickle in a throwaway interpreter (only the positive control does this)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-c", "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))", path],
        check=False,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ""},
    )
