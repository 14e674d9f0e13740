"""Keras models whose config holds `Lambda` layers: loading one runs the Python the layer
carries (marshalled bytecode or source), which is what modelscan's `KerasLambdaDetectScan`
and `H5LambdaDetectScan` flag. We read the config JSON only; the layer is never built.

`.keras` is a zip whose `config.json` is the model config; legacy `.h5` keeps the same JSON
in the HDF5 root attribute `model_config`, read with h5py (an optional dependency: without
it an .h5 file is reported as not inspected).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from auditor.bounded import MAX_DEPTH as JSON_DEPTH
from auditor.bounded import load_json

MAX_DEPTH = JSON_DEPTH + 1


class KerasError(Exception):
    """A config that cannot be read."""


def _walk(node: object, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH:
        raise KerasError(f"model config nested deeper than {MAX_DEPTH}")
    if isinstance(node, dict):
        if node.get("class_name") == "Lambda":
            config = node.get("config")
            name = config.get("name") if isinstance(config, dict) else None
            yield str(name or "<unnamed>")
        for value in node.values():
            yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)


def lambda_layers_config(data: bytes | str) -> list[str]:
    """Names of the Lambda layers anywhere in a model config."""
    try:
        config = load_json(data)
    except ValueError as exc:  # bad UTF-8, bad JSON, too deep
        raise KerasError(f"model config is not JSON: {exc}") from None
    return list(_walk(config))


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
            raw = handle.attrs.get("model_config")
    except (OSError, ValueError) as exc:
        raise KerasError(f"not a readable HDF5 file: {exc}") from None
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return lambda_layers_config(text)
