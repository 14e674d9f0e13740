"""Weight files an installed distribution ships (test fixtures, bundled models): its files.

The files a distribution's RECORD lists (PEP 376/627; paths relative to the folder holding
the `.dist-info`) that are weights by content (`auditor.weights.inspect.sniff`, not by
suffix) are recorded as the distribution's `files` and get the same static checks as any
weight file, reported on the distribution: an unsafe pickle inside a package is a critical
finding on that package, not a model of its own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
from dataclasses import replace

from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentFile, Finding
from auditor.sources import Tree
from auditor.weights.inspect import inspect_weight_file, is_weight_path, sniff

MAX_RECORD = 16 * 1024 * 1024


def packaged_weights(
    tree: Tree, dist_dir: str, component: Component
) -> tuple[Component, list[Finding], list[Diagnostic]]:
    """`component` with its weight files, and what their checks found."""
    record = posixpath.join(dist_dir, "RECORD")
    entry = tree.entry(record)
    if entry is None or entry.size > MAX_RECORD:
        return component, [], []
    try:
        text = tree.read_text(record)
    except ParseError:
        return component, [], []  # python_env reports an unreadable RECORD
    site = posixpath.dirname(dist_dir)
    files: list[ComponentFile] = []
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return component, [], []
    for row in rows:
        if not row or not is_weight_path(row[0]):
            continue
        path = posixpath.normpath(posixpath.join(site, row[0]))
        if path.startswith("../") or tree.entry(path) is None or not sniff(tree, path):
            continue
        seen = inspect_weight_file(tree, path, component.purl)
        findings.extend(seen.findings)
        diagnostics.extend(seen.diagnostics)
        size = tree.entry(path)
        files.append(
            ComponentFile(row[0], size.size if size else None, _sha256(row), location=path)
        )
    if not files:
        return component, findings, diagnostics
    merged = sorted({f.path: f for f in (*component.files, *files)}.values(), key=lambda f: f.path)
    return replace(component, files=tuple(merged)), findings, diagnostics


def _sha256(row: list[str]) -> str | None:
    """RECORD's `sha256=<urlsafe b64>` as hex (the installer's claim, not re-hashed)."""
    import base64

    if len(row) < 2 or not row[1].startswith("sha256="):
        return None
    raw = row[1].removeprefix("sha256=")
    try:
        digest = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return None
    return digest.hex() if len(digest) == hashlib.sha256().digest_size else None
