"""Issue 18: what checking a model signature costs, against model_signing's own verify.

Builds a model folder (4 files, --mb MB in all), signs it with a local EC key, then times,
side by side in one run: our collector (verify the bundle + re-hash over the Tree), the
`model_signing` library's `verifying.Config().verify()` on the same folder, and a plain
sha256 of the same bytes (the floor: re-hashing is the cost). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import model_signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.collectors import CollectContext
from auditor.collectors.model_signatures import ModelSignatureCollector
from auditor.signatures import SignatureTrust
from auditor.sources.directory import DirectoryTree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        model = root / "scan" / "model"
        model.mkdir(parents=True)
        for i in range(4):
            (model / f"model-{i:05d}-of-00004.safetensors").write_bytes(
                os.urandom(args.mb * 1024 * 1024 // 4)
            )
        key = ec.generate_private_key(ec.SECP256R1())
        private, public = root / "k.key", root / "k.pub"
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
        signature = root / "model.sig"
        model_signing.signing.Config().use_elliptic_key_signer(private_key=private).sign(
            model, signature
        )
        (model / "model.sig").write_bytes(signature.read_bytes())
        outside = root / "outside.sig"
        outside.write_bytes(signature.read_bytes())
        trust = SignatureTrust(keys=(public,))

        def ours() -> None:
            tree = DirectoryTree(str(root / "scan"), root / "scan")
            result = ModelSignatureCollector().collect(tree, CollectContext(signatures=trust))
            assert not result.findings and result.components[0].evidence

        def library() -> None:
            # model.sig sits inside the folder (as in a hub repo): the library is told to
            # hash only what the signature lists, as our collector leaves model.sig out.
            model_signing.verifying.Config().use_elliptic_key_verifier(
                public_key=public
            ).set_ignore_unsigned_files(True).verify(model, outside)

        def sha256() -> None:
            for path in sorted(model.glob("*.safetensors")):
                h = hashlib.sha256()
                with path.open("rb") as fh:
                    while chunk := fh.read(8 * 1024 * 1024):
                        h.update(chunk)

        runs: dict[str, list[float]] = {"auditor": [], "model_signing": [], "sha256 floor": []}
        tasks: list[tuple[str, Callable[[], None]]] = [
            ("auditor", ours), ("model_signing", library), ("sha256 floor", sha256),
        ]  # fmt: skip
        for task in tasks:  # warm-up: page cache
            task[1]()
        for round_ in range(args.rounds):
            for name, task in tasks[round_ % 3 :] + tasks[: round_ % 3]:
                start = time.perf_counter()
                task()
                runs[name].append(time.perf_counter() - start)
    ours_median = statistics.median(runs["auditor"])
    print(f"| {args.mb} MB, 4 files, {args.rounds} rounds | median s | auditor / this |")
    print("|---|---|---|")
    for name, times in runs.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.3f} | {ours_median / median:.2f} |")


if __name__ == "__main__":
    main()
