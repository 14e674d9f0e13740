"""One weight file in, its declared provenance, safety findings and problems out.

`inspect_weight_file(tree, path, purl)` is the one entry point: the loose-file collector
calls it with a `pkg:generic/...?checksum=` purl, and the model-cache collector can call it on
a snapshot file with that repository's purl. Nothing here unpickles, imports model code or
loads weights: headers and pickle opcodes are read, bounded, from `tree.open()` streams.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from auditor.bounded import load_json
from auditor.errors import Diagnostic, ParseError
from auditor.model import Evidence, Finding, Strength
from auditor.policy.builtin import finding
from auditor.sources import Tree
from auditor.weights import pickle_lists
from auditor.weights.containers import (
    ContainerError,
    decompressed,
    is_zip,
    read_npy_header,
    safe_members,
)
from auditor.weights.headers import Header, HeaderError, read_gguf, read_onnx, read_safetensors
from auditor.weights.keras import MAX_CONFIG as KERAS_MAX_CONFIG
from auditor.weights.keras import KerasError, lambda_layers_h5, lambda_layers_keras
from auditor.weights.pickles import PickleImport, PickleScan, scan_pickles

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill")
TORCH_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
WEIGHT_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".onnx",
    ".npy",
    ".npz",
    ".keras",
    ".h5",
    ".hdf5",
    *PICKLE_SUFFIXES,
    *TORCH_SUFFIXES,
)
_HEAD = 16


def is_weight_path(path: str) -> bool:
    """A file this module inspects, by name."""
    return path.lower().endswith(WEIGHT_SUFFIXES)


_INSTALLED = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|lib/python[23]\.\d+)/")


def in_installed_package(path: str) -> bool:
    """Inside an installed package area: its files are their distribution's (recorded as
    its files and checked on it), never models of their own."""
    return _INSTALLED.search(path) is not None


_ZIP = b"PK\x03\x04"
_HDF5 = b"\x89HDF\r\n\x1a\n"


def is_weight_content(path: str, head: bytes) -> bool:
    """Whether the first bytes are what the suffix promises (the formats' magic numbers: GGUF
    `GGUF`, safetensors a u64 length then `{`, HDF5's signature, zip, a pickle's PROTO
    opcode, NumPy's `\x93NUMPY`, TFLite's `TFL3`, ONNX's first field `ir_version`). A `.pth`
    of site-packages is a path-configuration text file, not weights."""
    lower = path.lower()
    if lower.endswith(".gguf"):
        return head.startswith(b"GGUF")
    if lower.endswith(".safetensors"):
        return len(head) > 8 and head[8:9] == b"{"
    if lower.endswith((".h5", ".hdf5")):
        return head.startswith(_HDF5)
    if lower.endswith((".npz", ".keras")):
        return head.startswith(_ZIP)
    if lower.endswith(".npy"):
        return head.startswith(b"\x93NUMPY")
    if lower.endswith(".tflite"):
        return head[4:8] == b"TFL3"
    if lower.endswith(".onnx"):
        return head[:1] == b"\x08"
    if lower.endswith(PICKLE_SUFFIXES):
        return True  # whatever it holds, the pickle scanner must read it
    if lower.endswith(TORCH_SUFFIXES):
        # zip (torch >= 1.6), a binary pickle (PROTO), or a protocol-0 pickle opening with
        # GLOBAL (`c<module>\n<name>\n`) or MARK; `import …` and path lines are not.
        binary = len(head) > 1 and head[0] == 0x80 and head[1] <= 5
        text = head.startswith(b"(") or (head.startswith(b"c") and b"\n" in head)
        return head.startswith(_ZIP) or binary or text
    return False


def sniff(tree: Tree, path: str) -> bool:
    """`is_weight_content` on the file's first bytes; False when it cannot be read."""
    try:
        with tree.open(path) as stream:
            return is_weight_content(path, stream.read(_HEAD))
    except (ParseError, OSError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class WeightInspection:
    """What one weight file says and what is wrong with it."""

    is_weights: bool
    """False when the name promised weights but the bytes are something else (a .bin that
    is neither a pickle nor a zip, an .h5 that is not a Keras model)."""
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    license: str | None = None
    base_urls: tuple[str, ...] = ()
    """Base-model and source repository URLs the file declares (GGUF `base_model.*`)."""


@dataclass(slots=True)
class _Report:
    path: str
    purl: str
    is_weights: bool = True
    headers: list[Header] = field(default_factory=list)
    imports: list[tuple[str, PickleImport]] = field(default_factory=list)
    lambdas: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(where, message))

    def pickle(self, where: str, scan: PickleScan) -> None:
        self.imports.extend((where, imported) for imported in scan.imports)
        if scan.error is not None:
            self.problem(where, f"pickle could not be read to the end: {scan.error}")


def inspect_weight_file(tree: Tree, path: str, purl: str) -> WeightInspection:
    """Headers as `declared` evidence, pickle imports and Keras Lambda layers as findings,
    malformed or hostile content as diagnostics; never raises for bad content."""
    report = _Report(path, purl)
    entry = tree.entry(path)
    size = entry.size if entry is not None else 0
    try:
        with tree.open(path) as stream:
            head = stream.read(_HEAD)
            stream.seek(0)
            _dispatch(report, stream, head, size)
    except ParseError as exc:
        report.problem(path, exc.reason)
    except (HeaderError, ContainerError, KerasError, zipfile.BadZipFile, EOFError) as exc:
        report.problem(path, str(exc))
    except (OSError, ValueError) as exc:
        report.problem(path, f"cannot read: {exc}")
    return _result(report)


def _dispatch(report: _Report, stream: BinaryIO, head: bytes, size: int) -> None:
    lower = report.path.lower()
    readers: dict[str, Callable[[BinaryIO, int], Header]] = {
        ".safetensors": read_safetensors,
        ".gguf": read_gguf,
        ".onnx": read_onnx,
    }
    for suffix, reader in readers.items():
        if lower.endswith(suffix):
            report.headers.append(reader(stream, size))
            return
    if lower.endswith(".npy"):
        _npy(report, report.path, stream)
    elif lower.endswith((".npz", ".keras")) or (lower.endswith(TORCH_SUFFIXES) and is_zip(head)):
        _zip(report, stream)
    elif lower.endswith((".h5", ".hdf5")):
        layers = lambda_layers_h5(stream)
        if layers is None:
            report.is_weights = False
        else:
            report.lambdas.extend(layers)
    elif lower.endswith(TORCH_SUFFIXES):
        if not head.startswith(b"\x80"):
            report.is_weights = False  # neither a zip nor a pickle: some other .bin
            return
        report.pickle(report.path, scan_pickles(stream, several=True))
    else:
        inner, _ = decompressed(stream, head)
        report.pickle(report.path, scan_pickles(inner, several=lower.endswith(".joblib")))


def _npy(report: _Report, where: str, stream: BinaryIO) -> None:
    header = read_npy_header(stream)
    if header.has_objects:
        report.pickle(where, scan_pickles(stream))


def _zip(report: _Report, stream: BinaryIO) -> None:
    with zipfile.ZipFile(stream) as archive:
        for member in safe_members(archive):
            where = f"{report.path}!{member.name}"
            name = member.name.lower()
            if name.endswith((".pkl", ".pickle")):
                with archive.open(member.name) as inner:
                    report.pickle(where, scan_pickles(inner))  # type: ignore[arg-type]
            elif name.endswith(".npy"):
                with archive.open(member.name) as inner:
                    _npy(report, where, inner)  # type: ignore[arg-type]
            elif name == "config.json" and report.path.lower().endswith(".keras"):
                if member.size > KERAS_MAX_CONFIG:
                    report.problem(where, f"{member.size} bytes: too large to be a config")
                    continue
                report.lambdas.extend(lambda_layers_keras(archive.read(member.name)))
            elif name == "metadata.json" and member.size < 1 << 20:
                _keras_metadata(report, archive.read(member.name))


def _keras_metadata(report: _Report, data: bytes) -> None:
    try:
        meta = load_json(data)
    except ValueError:
        return
    if isinstance(meta, dict):
        fields = tuple((str(k), str(v)) for k, v in meta.items() if isinstance(v, str | int))
        report.headers.append(Header("keras", fields))


_LICENSE_FIELDS = ("general.license", "__metadata__.modelspec.license", "__metadata__.license")
_BASE_FIELDS = ("general.source.repo_url", "general.source.url")


def _result(report: _Report) -> WeightInspection:
    evidence = tuple(
        Evidence(header.format, name, value, report.path, Strength.DECLARED)
        for header in report.headers
        for name, value in header.fields
    )
    license_ = next((e.value for e in evidence if e.field in _LICENSE_FIELDS), None)
    bases = tuple(
        dict.fromkeys(
            e.value
            for e in evidence
            if e.field in _BASE_FIELDS
            or (e.field.startswith("general.base_model.") and e.field.endswith(".repo_url"))
        )
    )
    return WeightInspection(
        is_weights=report.is_weights,
        evidence=evidence,
        findings=tuple(_findings(report)),
        diagnostics=tuple(report.diagnostics),
        license=license_,
        base_urls=bases,
    )


def _findings(report: _Report) -> Iterator[Finding]:
    dangerous: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    for where, imported in report.imports:
        module, name = imported.module, imported.name
        if module.startswith("<") or pickle_lists.is_dangerous(module, name):
            dangerous.setdefault(imported.qualified, []).append(f"{where}@{imported.offset}")
        elif not pickle_lists.is_harmless(module, name):
            unknown.setdefault(imported.qualified, []).append(f"{where}@{imported.offset}")
    for rule_id, found, what in (
        ("weights.unsafe-pickle", dangerous, "imports callables that can run code"),
        ("weights.unknown-import", unknown, "imports callables no allowlist vouches for"),
    ):
        if found:
            names = ", ".join(sorted(found))
            evidence = tuple(
                Evidence("pickle", "import", qualified, places[0], Strength.DECLARED)
                for qualified, places in sorted(found.items())
            )
            yield finding(rule_id, report.purl, f"{report.path}: pickle {what}: {names}", evidence)
    if report.lambdas:
        layers = ", ".join(report.lambdas)
        yield finding(
            "weights.keras-lambda",
            report.purl,
            f"{report.path}: Keras Lambda layers run arbitrary Python when loaded: {layers}",
            tuple(
                Evidence("keras", "layer", layer, report.path, Strength.DECLARED)
                for layer in report.lambdas
            ),
        )
