"""Verification verdicts kept beside the registry answers they were reached from.

Verifying one Sigstore bundle costs milliseconds (chain, SCT, inclusion proof, checkpoint,
promise, DSSE signature, and parsing); a warm scan of a thousand attested packages would
spend seconds redoing work whose outcome cannot have changed. A verdict is reused only when
everything it was reached from is the same: the answer's bytes, what it was checked against
(subject, digest, file name), and `fingerprint` (the trust root, the sigstore release, our
verification code). Verdicts never travel in cache snapshots (`auditor.snapshot`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from auditor import sigstore_trust
from auditor.http import Http, Response

T = TypeVar("T")

VERIFYING_MODULES = ("attestations.py", "npm_provenance.py")
"""This package's modules that verify bundles: their code is part of every fingerprint."""


@cache
def fingerprint(config: Path | None) -> str:
    """What a verification outcome depends on besides the bundle: the trust root, the
    sigstore release and our own verification code. A kept verdict made under another
    fingerprint is never reused (`Http.verdict`)."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"sigstore {version('sigstore')}\0".encode())
    digest.update(config.read_bytes() if config is not None else b"public-good")
    for name in VERIFYING_MODULES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    digest.update(Path(str(sigstore_trust.__file__)).read_bytes())
    return digest.hexdigest()


def remembered(
    http: Http,
    reply: Response,
    about: Sequence[str],
    trust: Path | None,
    check: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """`check()`'s outcome for this answer, from the kept verdict when its inputs match."""
    parts = (reply.body, *(a.encode() for a in about), fingerprint(trust).encode())
    inputs = hashlib.sha256(b"\0".join(parts)).hexdigest()
    kept = http.verdict(reply.key, inputs)
    if kept is not None:
        try:
            return decode(json.loads(kept))
        except (ValueError, TypeError, KeyError):
            pass  # unreadable: check again
    outcome = check()
    http.keep_verdict(reply.key, inputs, json.dumps(encode(outcome)).encode())
    return outcome
