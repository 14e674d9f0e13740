"""Benchmark for issue 32: verifying a 4 GB Ollama store, against `openssl dgst -sha256`.

    python bench/ollama_bench.py [--models 4] [--mib 1024] [--rounds 2] [--workdir DIR]

Generates an Ollama store laid out as Ollama writes one (tests/ollama_store.py cites the
source: `blobs/sha256-<hex>`, `manifests/<host>/library/<model>/<tag>` Docker v2 manifests,
a config blob per tag) holding MODELS model layers of MIB MiB of random bytes plus their
small template/params/config blobs, reads every blob once (page cache warm for everyone:
this measures hashing, not the disk), then per round, side by side:
1. one `openssl dgst -sha256` process over all the blobs (one core): the bar, R1 in MB/s;
2. the whole CLI `auditor scan ollama:<store> --no-resolve --format json` with a fresh store
   and AUDITOR_HASH_WORKERS=1 (one blob at a time): judged against R1 (>= 0.9x);
3. the same with the default workers (one per core), for reference;
4. the command of step 3 again on its store (digest memo warm), and the Ollama collector
   in-process on that store: it must hash no byte at all (`Hasher.hashed_bytes` == 0);
5. the Ollama collector in-process with one hashing worker and a fresh store: the
   verification itself, without the CLI's fixed start-up cost (>= 0.9x R1).
Each figure is the best of the rounds. The store is deleted afterwards. Always exits 0;
prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_tools import child_env
from hash_bench import timed, warm

REPO = Path(__file__).resolve().parent.parent
CHUNK = 8 * 1024 * 1024
sys.path.insert(0, str(REPO))


def blob(store: Path, data_chunks: int | bytes) -> tuple[str, int]:
    """Write one blob (random bytes in 8 MiB chunks, or the given bytes) under its digest."""
    blobs = store / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    tmp = blobs / "sha256-partial"
    h = hashlib.sha256()
    size = 0
    with tmp.open("wb") as out:
        parts = [data_chunks] if isinstance(data_chunks, bytes) else None
        for i in range(1 if parts else int(data_chunks)):
            chunk = parts[0] if parts else os.urandom(CHUNK)
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
            del i
    tmp.rename(blobs / f"sha256-{h.hexdigest()}")
    return h.hexdigest(), size


def generate(store: Path, models: int, mib: int) -> list[Path]:
    """The store, as `ollama pull` leaves it; returns the blob paths."""
    from auditor.collectors.ollama_files import store_data

    host = store_data().default_host
    for n in range(models):
        kind = "application/vnd.ollama.image."
        layers = [(f"{kind}model", blob(store, mib * 1024 * 1024 // CHUNK)),
                  (f"{kind}template", blob(store, b"{{ .Prompt }}" + bytes([n]))),
                  (f"{kind}params", blob(store, b'{"temperature":0.%d}' % n))]  # fmt: skip
        config = json.dumps({"model_format": "gguf", "model_family": "qwen2", "n": n,
                             "model_type": "7.6B", "file_type": "Q4_K_M"}).encode()  # fmt: skip
        cdigest, csize = blob(store, config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": f"sha256:{cdigest}", "size": csize},
            "layers": [{"mediaType": m, "digest": f"sha256:{d}", "size": s}
                       for m, (d, s) in layers],
        }  # fmt: skip
        path = store / "manifests" / host / "library" / f"bench{n}" / "latest"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(json.dumps(manifest, separators=(",", ":")).encode())
    return sorted((store / "blobs").iterdir())


def collect_stage(store: Path, db: str, workers: int | None = None) -> tuple[float, int]:
    """The Ollama collector alone, in-process, with the store's memo: (seconds, bytes hashed)."""
    from auditor.collectors import CollectContext
    from auditor.collectors.ollama_store import OllamaStoreCollector
    from auditor.hashing import Hasher
    from auditor.sources.directory import DirectoryTree
    from auditor.store import open_store

    with open_store(db) as opened:
        hasher = Hasher(opened.digest_memo(), workers)
        start = time.perf_counter()
        found = OllamaStoreCollector().collect(
            DirectoryTree("bench", store), CollectContext(hasher=hasher)
        )
        took = time.perf_counter() - start
    assert found.components and not found.findings, found
    return took, hasher.hashed_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=4)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ollama-bench"))
    args = parser.parse_args()
    need = args.models * args.mib * 1024 * 1024 * 1.1
    free = shutil.disk_usage(args.workdir.parent).free
    print(
        f"- free space in {args.workdir.parent}: {free / 2**30:.1f} GiB (need {need / 2**30:.1f})"
    )
    if free < need:
        sys.exit("not enough space")
    shutil.rmtree(args.workdir, ignore_errors=True)
    try:
        store = args.workdir / "models"
        started = time.perf_counter()
        blobs = generate(store, args.models, args.mib)
        total = sum(p.stat().st_size for p in blobs)
        print(f"- generated {len(blobs)} blobs, {total / 1e9:.2f} GB, in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        warm(blobs)
        print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
        print(f"- load average at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
        print(f"- openssl: {version.strip()}; rounds: {args.rounds}, best of each kept")
        env = {"PYTHONPATH": str(REPO)}
        scan = [sys.executable, "-m", "auditor", "scan", f"ollama:{store}", "--no-resolve",
                "--format", "json"]  # fmt: skip
        timed([*scan, "--no-store"], child_env(env))  # compile once, untimed
        best: dict[str, float] = {}
        rescan_hashed: list[int] = []

        def keep(name: str, seconds: float) -> None:
            best[name] = min(best.get(name, seconds), seconds)

        for n in range(args.rounds):
            keep("openssl", timed(["openssl", "dgst", "-sha256", *map(str, blobs)]))
            one = child_env({**env, "AUDITOR_HASH_WORKERS": "1"})
            keep("cli1", timed([*scan, "--db", f"sqlite:///{args.workdir / f'w1-{n}.db'}"], one))
            db = f"sqlite:///{args.workdir / f'w-{n}.db'}"
            keep("cli", timed([*scan, "--db", db], child_env(env)))
            keep("rescan", timed([*scan, "--db", db], child_env(env)))
            took, hashed = collect_stage(store, db)
            keep("stage_again", took)
            fresh = f"sqlite:///{args.workdir / f'stage-{n}.db'}"
            keep("stage1", collect_stage(store, fresh, workers=1)[0])
            rescan_hashed.append(hashed)
        print(f"- load average at end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        r1 = total / best["openssl"] / 1e6
        ours1, ours = total / best["cli1"] / 1e6, total / best["cli"] / 1e6
        print()
        print(f"| measurement ({len(blobs)} blobs, {total / 1e9:.2f} GB) | seconds | MB/s |")
        print("|---|---|---|")
        print(f"| 1 openssl process, all blobs | {best['openssl']:.2f} | {r1:.0f} |")
        print(f"| auditor CLI, AUDITOR_HASH_WORKERS=1 | {best['cli1']:.2f} | {ours1:.0f} |")
        print(f"| auditor CLI, default workers, first scan | {best['cli']:.2f} | {ours:.0f} |")
        print(f"| auditor CLI, rescan (digest memo) | {best['rescan']:.2f} | - |")
        stage1 = total / best["stage1"] / 1e6
        print(f"| Ollama collector in-process, one worker, first scan | {best['stage1']:.2f} "
              f"| {stage1:.0f} |")  # fmt: skip
        print(f"| Ollama collector in-process, rescan | {best['stage_again']:.4f} | - |")
        print()
        print("| target | measured | verdict |")
        print("|---|---|---|")
        for name, ratio in (("verification (collector, one worker)", stage1 / r1),
                            ("whole CLI, one blob at a time", ours1 / r1)):  # fmt: skip
            print(f"| {name} >= 0.9x one openssl | {ratio:.2f} | "
                  f"{'PASS' if ratio >= 0.9 else 'MISS'} |")  # fmt: skip
        zero = max(rescan_hashed)
        print(f"| rescan re-hashes nothing (bytes hashed) | {zero} | "
              f"{'PASS' if zero == 0 else 'MISS'} |")  # fmt: skip
    finally:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
