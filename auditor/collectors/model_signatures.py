"""OpenSSF model signatures: `model.sig` next to a model, verified and checked file by file.

A model is a Hugging Face cache snapshot (`models--<ns>--<name>/snapshots/<commit>/`), a
folder holding a `model.sig`, or a folder holding weight files. Verified and matching ->
`attested` evidence naming the signer; a signature that does not verify, or files that
differ from what it signs -> a critical finding; no signature -> `signature.missing`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.llama_cpp_cache import folders as llama_cpp_folders
from auditor.collectors.lmstudio import model_roots as lmstudio_roots
from auditor.collectors.modelscope_files import modelscope_prefixes
from auditor.errors import Diagnostic, ParseError
from auditor.model import (
    Component,
    ComponentFile,
    ComponentKind,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.policy.builtin import finding
from auditor.signatures.manifest_check import DEFAULT_IGNORED, check_manifest, model_files
from auditor.sources import Tree
from auditor.weights.inspect import in_installed_package, sniff

if TYPE_CHECKING:  # model_signing costs ~0.5 s to import: only scans that meet a signature pay
    from auditor.signatures.model_signature import ModelSignatureVerifier

SIGNATURE_NAME = "model.sig"
WEIGHT_SUFFIXES = frozenset(
    {".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".ckpt", ".h5", ".keras", ".tflite"}
)
"""Files that make a folder a model (model_files decides what each one is)."""
# huggingface_hub's cache layout: <type>s--<repo id with / as -->/snapshots/<commit>/
_INSTALLED = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|lib/python[23]\.\d+)/")
_SNAPSHOT = re.compile(r"^(?:(.*)/)?(models|datasets|spaces)--([^/]+)/snapshots/([^/]+)/")


@dataclass(frozen=True, slots=True)
class ModelRoot:
    """One model folder inside the tree."""

    path: str
    """Tree path of the folder ('' for the tree's root)."""
    purl: str | None
    """Known from the layout (Hub snapshots); None: computed from the files' digests."""
    kind: ComponentKind
    name: str
    version: str | None
    weights: bool
    """Holds weight files (an unsigned folder without any is not reported)."""


class ModelSignatureCollector(Collector):
    """Finds model signatures (and their absence) and checks them."""

    name = "model-signatures"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Every model folder's signature state; nothing with `--no-verify`."""
        if not context.verify:
            return Collected()
        index = tree.index()
        verifier: ModelSignatureVerifier | None = None
        parts = []
        # ModelScope cache folders, LM Studio's models folder, llama.cpp's flat cache: theirs.
        scoped = modelscope_prefixes(index) + lmstudio_roots(tree, index)
        scoped += llama_cpp_folders(index)
        # Files of installed packages are their distribution's (python_env reads them).
        for root in model_roots((p for p in index if not in_installed_package(p)), tree.ref):
            if scoped and f"{root.path}/".startswith(scoped):
                continue
            signature = f"{root.path}/{SIGNATURE_NAME}" if root.path else SIGNATURE_NAME
            if signature not in index and not root.weights:
                continue
            if verifier is None:
                from auditor.signatures.model_signature import ModelSignatureVerifier

                verifier = ModelSignatureVerifier(context.signatures, datetime.now(UTC))
            parts.append(
                _check(tree, root, signature if signature in index else None, context, verifier)
            )
        return Collected.merge(parts)


def model_roots(paths: Iterable[str], ref: str) -> list[ModelRoot]:
    """Model folders, outermost claim first: a snapshot, else the nearest `model.sig` folder,
    else the folder of a weight file."""
    paths = sorted(paths)
    roots: dict[str, ModelRoot] = {}
    signed = {_parent(p) for p in paths if PurePosixPath(p).name == SIGNATURE_NAME}
    for path in paths:
        snapshot = _SNAPSHOT.match(path)
        # Installed packages' files (site-packages' `.pth` path files above all) are no
        # model: counting them made every Python image an unsigned model folder.
        is_weight = PurePosixPath(path).suffix.lower() in WEIGHT_SUFFIXES and not (
            _INSTALLED.search(path)
        )
        if snapshot is not None:
            try:
                root = _snapshot_root(snapshot)
            except ValueError:  # a repo folder whose name names nothing (`models--org-- `)
                continue
        elif is_weight or PurePosixPath(path).name == SIGNATURE_NAME:
            folder = _parent(path)
            top = next((s for s in sorted(signed, key=len) if _within(folder, s)), folder)
            name = PurePosixPath(top).name or PurePosixPath(ref).name or "model"
            root = ModelRoot(top, None, ComponentKind.MODEL, name, None, False)
        else:
            continue
        seen = roots.get(root.path, root)
        roots[root.path] = replace(seen, weights=seen.weights or is_weight)
    # A weights subfolder (onnx/, 1_Pooling/) belongs to the model folder above it.
    folders = [p for p, r in roots.items() if r.purl is None]
    for path in sorted(folders, key=len, reverse=True):
        outer = next((o for o in sorted(folders, key=len) if o != path and _within(path, o)), None)
        if outer is not None:
            inner = roots.pop(path)
            roots[outer] = replace(roots[outer], weights=roots[outer].weights or inner.weights)
    return [roots[p] for p in sorted(roots)]


def _snapshot_root(match: re.Match[str]) -> ModelRoot:
    _, repo_type, folder, commit = match.groups()
    # huggingface_hub parses the folder name the same way (scan_cache_dir).
    repo_id = folder.replace("--", "/")
    purl = purls.huggingface(repo_id, commit, repo_type[:-1])
    kind = ComponentKind.DATASET if repo_type == "datasets" else ComponentKind.MODEL
    return ModelRoot(match.group(0).rstrip("/"), str(purl), kind, repo_id, commit, False)


def _check(
    tree: Tree,
    root: ModelRoot,
    signature: str | None,
    context: CollectContext,
    verifier: ModelSignatureVerifier,
) -> Collected:
    excluded = (SIGNATURE_NAME, *DEFAULT_IGNORED)
    files = model_files(tree.index(), root.path, excluded)
    if signature is None and root.purl is None:
        return _unsigned_weights(tree, root, files, context)
    try:
        digests = {} if root.purl else _sha256(tree, root.path, files, context)
    except ParseError as exc:
        return Collected(diagnostics=(Diagnostic(f"{tree.ref}:{exc.path}", exc.reason),))
    purl = root.purl or _directory_purl(root.name, files, digests)
    where = signature or root.path or "."
    component = Component(
        purl=purl,
        kind=root.kind,
        name=root.name,
        version=root.version,
        locations=(Location(tree.ref, root.path or "."),),
        found_by=ModelSignatureCollector.name,
        files=tuple(
            ComponentFile(
                rel,
                size=tree.index()[_join(root.path, rel)].size,
                sha256=digests.get(rel),
                location=_join(root.path, rel),
            )
            for rel in files
        ),
    )
    if signature is None:
        if root.kind is not ComponentKind.MODEL:
            return Collected(components=(component,))
        message = f"{where}: no OpenSSF model signature ({SIGNATURE_NAME}) next to the model"
        return Collected((component,), findings=(finding("signature.missing", purl, message),))
    evidence, findings = _verify(tree, root, signature, files, digests, context, verifier, purl)
    return Collected(
        components=(replace(component, evidence=evidence),),
        findings=findings,
    )


def _unsigned_weights(
    tree: Tree, root: ModelRoot, files: list[str], context: CollectContext
) -> Collected:
    """An unsigned folder is not given an identity of its own (that would mean hashing every
    file next to a stray weight file, a whole checkout at worst): the finding goes on each
    weight file, under the loose-file purl the weight-file reader gives it."""
    weights = [
        f
        for f in files
        if PurePosixPath(f).suffix.lower() in WEIGHT_SUFFIXES and sniff(tree, _join(root.path, f))
    ]
    try:
        digests = _sha256(tree, root.path, weights, context)
    except ParseError as exc:
        return Collected(diagnostics=(Diagnostic(f"{tree.ref}:{exc.path}", exc.reason),))
    components, findings = [], []
    for rel in weights:
        path = _join(root.path, rel)
        name = PurePosixPath(rel).name
        component = Component(
            purl=purls.generic_file(name, digests[rel]),
            kind=ComponentKind.WEIGHTS,
            name=name,
            version=None,
            hashes=(f"sha256:{digests[rel]}",),
            locations=(Location(tree.ref, path),),
            found_by=ModelSignatureCollector.name,
        )
        message = f"{path}: no OpenSSF model signature ({SIGNATURE_NAME}) in {root.path or '.'}"
        components.append(component)
        findings.append(finding("signature.missing", component.purl, message))
    return Collected(tuple(components), findings=tuple(findings))


def _verify(
    tree: Tree,
    root: ModelRoot,
    signature: str,
    files: list[str],
    digests: dict[str, str],
    context: CollectContext,
    verifier: ModelSignatureVerifier,
    purl: str,
) -> tuple[tuple[Evidence, ...], tuple[Finding, ...]]:
    from auditor.signatures.model_signature import SignatureInvalid, SignatureUnverifiable

    try:
        signed = verifier.verify(tree.read_bytes(signature))
    except ParseError as exc:
        return (), (finding("signature.invalid", purl, f"{signature}: unreadable: {exc.reason}"),)
    except SignatureInvalid as exc:
        message = f"{signature}: signature does not verify: {exc.reason}"
        return (), (finding("signature.invalid", purl, message),)
    except SignatureUnverifiable as exc:
        message = (
            f"{signature}: {exc.kind.value}-signed, but no trusted "
            f"{_TRUST_FLAG[exc.kind.value]} is configured to verify it"
        )
        return (), (finding("signature.unverified", purl, message),)
    wanted = tuple(x for x in signed.ignore_paths if x)
    kept = [f for f in files if not any(f == x or f.startswith(f"{x}/") for x in wanted)]
    try:
        result = check_manifest(tree, root.path, kept, signed, context.hasher, digests)
    except ParseError as exc:
        message = f"{signature}: signed file unreadable: {exc.path}: {exc.reason}"
        return (), (finding("signature.file-mismatch", purl, message),)
    # A hub cache holds only the files someone downloaded (allow_patterns, one quantisation of
    # many): a signed file that is absent there is not a changed byte. A folder is a copy of
    # the whole model, so there every signed file must be present.
    partial = root.purl is not None and not (result.changed or result.extra)
    if not result.matches and not partial:
        message = f"{signature}: files differ from what {signed.signer} signed: {result.describe()}"
        return (), (finding("signature.file-mismatch", purl, message),)
    evidence = [Evidence("model-signing", "signer", signed.signer, signature, Strength.ATTESTED)]
    if result.missing:
        absent = f"{len(result.missing)} signed files not downloaded: {result.describe()}"
        evidence.append(
            Evidence("model-signing", "signature.partial", absent, signature, Strength.ATTESTED)
        )
    return tuple(evidence), ()


_TRUST_FLAG = {
    "key": "public key (--signature-key)",
    "certificate": "certificate chain (--signature-cert-chain)",
    "sigstore": "Sigstore identity (--signature-identity/--signature-issuer)",
}


def _sha256(tree: Tree, root: str, files: list[str], context: CollectContext) -> dict[str, str]:
    found = context.hasher.sha256(tree, [_join(root, rel) for rel in files])
    return {rel: found[_join(root, rel)] for rel in files}


def _directory_purl(name: str, files: list[str], digests: dict[str, str]) -> str:
    """`pkg:generic/<folder>?checksum=sha256:<hex>`: hex is model_signing's root digest of a
    sha256 `files` manifest (sha256 over the files' digests in path order), so the same bytes
    get the same identity wherever they sit."""
    root = hashlib.sha256(b"".join(bytes.fromhex(digests[f]) for f in files)).hexdigest()
    return purls.generic_file(name, root)


def _join(root: str, rel: str) -> str:
    return f"{root}/{rel}" if root else rel


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _within(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(f"{folder}/")
