"""Benchmark for issue 4: verifying a Hugging Face cache, against `openssl dgst -sha256`.

    .venv/bin/python bench/hash_bench.py [--files 8] [--mib 512] [--workdir /tmp/hash-bench]

Generates a cache laid out as huggingface_hub writes one (`models--bench--weights/` with
`blobs/<sha256>`, `snapshots/<commit>/shard-N.safetensors` relative symlinks and `refs/main`)
holding FILES LFS files of MIB MiB of random bytes, then, in one run:
1. reads every blob once (page cache warm for everyone: this measures hashing, not the disk);
2. `openssl dgst -sha256` on one blob (one process, one core): the bar R1 in MB/s;
3. two `openssl dgst -sha256` processes at once on two blobs: R2 (MB/s of both together);
4. the whole CLI `auditor scan hf-cache:<one-file cache> --no-resolve --format json` with a
   fresh store: one file, so one hashing thread; judged against R1 (>= 0.9x);
5. the whole CLI on the full cache with a fresh store (first scan): all files on all cores;
   judged against R1 (>= 1.5x), R2 shown beside it;
6. the same command again (the store's digest memo is warm): judged against step 5 (>= 50x),
   as a whole CLI and for the collection stage alone (the cache collector in-process, which
   is where verification happens; the rest is the CLI's fixed start-up and the store).
The cache is deleted afterwards. Always exits 0; prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 8 * 1024 * 1024


def generate(root: Path, files: int, mib: int) -> list[Path]:
    """The cache, byte for byte as huggingface_hub lays it out; returns the blob paths."""
    repo = root / "models--bench--weights"
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    blobs = []
    for n in range(files):
        tmp = repo / "blobs" / f"shard-{n}.incomplete"
        h = hashlib.sha256()
        with tmp.open("wb") as out:
            for _ in range(mib * 1024 * 1024 // CHUNK):
                chunk = os.urandom(CHUNK)
                h.update(chunk)
                out.write(chunk)
        blob = repo / "blobs" / h.hexdigest()
        tmp.rename(blob)
        (snapshot / f"model-{n:05d}-of-{files:05d}.safetensors").symlink_to(
            f"../../blobs/{blob.name}"
        )
        blobs.append(blob)
    return blobs


def warm(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as fh:
            while fh.read(CHUNK):
                pass


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def openssl_pair(a: Path, b: Path) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(["openssl", "dgst", "-sha256", str(p)], stdout=subprocess.DEVNULL)
        for p in (a, b)
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def collect_stage(cache: Path, db: str) -> float:
    """The cache collector alone, in-process, with the store's memo (what a scan runs)."""
    sys.path.insert(0, str(REPO))
    from auditor.collectors import CollectContext
    from auditor.collectors.hf_cache import HuggingFaceCacheCollector
    from auditor.hashing import Hasher
    from auditor.sources.directory import DirectoryTree
    from auditor.store import open_store

    with open_store(db) as store:
        start = time.perf_counter()
        found = HuggingFaceCacheCollector().collect(
            DirectoryTree("bench", cache), CollectContext(hasher=Hasher(store.digest_memo()))
        )
        took = time.perf_counter() - start
    assert found.components and not found.findings, found
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hash-bench"))
    args = parser.parse_args()
    auditor = str(REPO / ".venv" / "bin" / "auditor")
    total = args.files * args.mib * 1024 * 1024
    need = total * 1.1
    free = shutil.disk_usage(args.workdir.parent).free
    print(f"- free space in {args.workdir.parent}: {free / 2**30:.1f} GiB (need {need / 2**30:.1f})")
    if free < need:
        sys.exit("not enough space")
    shutil.rmtree(args.workdir, ignore_errors=True)
    try:
        cache = args.workdir / "hub"
        started = time.perf_counter()
        blobs = generate(cache, args.files, args.mib)
        print(f"- generated {args.files} x {args.mib} MiB in {time.perf_counter() - started:.1f} s")
        one = args.workdir / "one" / "hub"
        single = generate(one, 1, args.mib)
        warm(blobs + single)
        env = dict(os.environ)
        print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
        print(f"- load average at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"- openssl: {subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()}")
        size = args.mib * 1024 * 1024
        r1 = size / timed(["openssl", "dgst", "-sha256", str(blobs[0])]) / 1e6
        r2 = 2 * size / openssl_pair(blobs[-2], blobs[-1]) / 1e6
        scan = [auditor, "scan", "--no-resolve", "--format", "json"]
        db_one = f"sqlite:///{args.workdir / 'one.db'}"
        single_s = timed([*scan, f"hf-cache:{one}", "--db", db_one], env)
        ours1 = size / single_s / 1e6
        db = f"sqlite:///{args.workdir / 'full.db'}"
        first = timed([*scan, f"hf-cache:{cache}", "--db", db], env)
        ours8 = total / first / 1e6
        again = timed([*scan, f"hf-cache:{cache}", "--db", db], env)
        cold_db = f"sqlite:///{args.workdir / 'stage.db'}"
        stage_first = collect_stage(cache, cold_db)
        stage_again = collect_stage(cache, cold_db)
        print(f"- load average at end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print("| measurement | seconds | MB/s |")
        print("|---|---|---|")
        print(f"| openssl dgst -sha256, 1 file ({args.mib} MiB) | {size / r1 / 1e6:.2f} | {r1:.0f} |")
        print(f"| 2 x openssl at once, 2 files | {2 * size / r2 / 1e6:.2f} | {r2:.0f} |")
        print(f"| auditor CLI, 1-file cache | {single_s:.2f} | {ours1:.0f} |")
        print(f"| auditor CLI, {args.files}-file cache, first scan | {first:.2f} | {ours8:.0f} |")
        print(f"| auditor CLI, same cache, rescan (memo) | {again:.2f} | - |")
        print(f"| collect stage, first / rescan | {stage_first:.3f} / {stage_again:.4f} | - |")
        print()
        print("| target | measured | verdict |")
        print("|---|---|---|")
        rows = [
            ("CLI on one file >= 0.9x one openssl", ours1 / r1, 0.9),
            (f"CLI on {args.files} files >= 1.5x one openssl (2 cores)", ours8 / r1, 1.5),
            ("rescan >= 50x faster than first scan (whole CLI)", first / again, 50),
            ("rescan >= 50x faster than first scan (collect stage)", stage_first / stage_again, 50),
        ]
        for name, value, bar in rows:
            print(f"| {name} | {value:.2f} | {'PASS' if value >= bar else 'MISS'} |")
        print(f"\n(for reference: CLI on {args.files} files / 2 x openssl = {ours8 / r2:.2f})")
    finally:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
