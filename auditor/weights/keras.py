"""Keras models whose config holds `Lambda` layers: loading one runs the Python the layer
carries (marshalled bytecode or source), which is what modelscan's `KerasLambdaDetectScan`
and `H5LambdaDetectScan` flag. We read the config JSON only; the layer is never built.

`.keras` is a zip whose `config.json` is the model config; legacy `.h5` keeps the same JSON
in the HDF5 root attribute `model_config`, read with h5py (an optional dependency: without
it an .h5 file is reported as not inspected).
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from auditor.bounded import check_depth

MAX_CONFIG = 16 << 20
"""Bytes of model config read: real configs take a few MB at most."""


class KerasError(Exception):
    """A config that cannot be read."""


def lambda_layers_config(data: bytes | str) -> list[str]:
    """Names of the Lambda layers anywhere in a model config.

    Each JSON object is reduced as soon as it is parsed (a hook, called innermost first):
    a layer object whose `class_name` is `Lambda` records its config's name; any other
    object becomes its own `name`, or None. So memory is bounded by the text, not by the
    millions of tiny objects a crafted config can hold (3 million `{}` took 300 MB).
    """
    if len(data) > MAX_CONFIG:
        raise KerasError(f"model config of {len(data)} bytes, over the {MAX_CONFIG} limit")
    found: list[str] = []

    def reduce(pairs: list[tuple[str, Any]]) -> str | None:
        lambda_layer, config, name = False, None, None
        for key, value in pairs:
            if key == "class_name" and value == "Lambda":
                lambda_layer = True
            elif key == "config":
                config = value
            elif key == "name" and isinstance(value, str):
                name = value
        if lambda_layer:
            found.append(config if isinstance(config, str) and config else "<unnamed>")
            return None
        return name

    try:
        check_depth(data)
        json.loads(data, object_pairs_hook=reduce)
    except ValueError as exc:  # bad UTF-8, bad JSON, too deep
        raise KerasError(f"model config is not JSON: {exc}") from None
    return found


def lambda_layers_keras(config_json: bytes) -> list[str]:
    """From a `.keras` archive's `config.json`."""
    return lambda_layers_config(config_json)


def lambda_layers_h5(stream: BinaryIO) -> list[str] | None:
    """From an HDF5 file's `model_config` attribute; None when it is not a Keras model."""
    try:
        import h5py
    except ImportError:
        raise KerasError(
            "h5py is not installed: HDF5 model not inspected (pip install 'origin-auditor[models]')"
        ) from None
    try:
        with h5py.File(stream, "r") as handle:
            if "model_config" not in handle.attrs:
                return None
            # The attribute's stored size, before h5py allocates and reads it.
            stored = handle.attrs.get_id("model_config").get_storage_size()
            if stored > MAX_CONFIG:
                raise KerasError(f"model config of {stored} bytes, over the {MAX_CONFIG} limit")
            raw = handle.attrs.get("model_config")
    except (OSError, ValueError) as exc:
        raise KerasError(f"not a readable HDF5 file: {exc}") from None
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return lambda_layers_config(text)
