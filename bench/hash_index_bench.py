"""Issue 32 figures for the hash index's new sources: what it costs a scan.

1. Index write: 10,000 Hub siblings (`KnownFile`s as `listed_files` makes them, half LFS
   sha256s, half git blob ids) recorded into a fresh store (insert), recorded again (every
   row a conflict, as each warm scan does), and looked up (10,000 digests), on SQLite and on
   the local PostgreSQL when it answers. Median of `--rounds`.
2. A whole warm scan through the CLI of a loopback Hub cache of 200 revisions, 50 siblings
   each (10,000 siblings, every answer kept in the store): wall time, and the index write it
   does measured in-process with the same entries.
3. Git blob ids of model-folder files: a folder of 500 model folders (config.json,
   tokenizer_config.json, generation_config.json each) scanned with a store (first scan
   hashes them, the rescan takes them from the digest memo) and with `--no-store` (no index,
   nothing hashed): the difference is what the lookup costs.

Usage: .venv/bin/python bench/hash_index_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env, postgres_database  # noqa: E402

from auditor.hashing import KnownFile  # noqa: E402

SIBLINGS = 10_000
REVISIONS = 200
FOLDERS = 500


def _siblings(n: int, seed: str = "") -> list[KnownFile]:
    found = []
    for i in range(n):
        repo = f"lab{i // 50 % 40}/model-{i // 50}"
        revision = hashlib.sha1(f"{seed}{repo}".encode()).hexdigest()
        data = f"{seed}{i}".encode()
        digest = (hashlib.sha256(data).hexdigest() if i % 2 else
                  f"git-sha1:{hashlib.sha1(data).hexdigest()}")  # fmt: skip
        found.append(KnownFile(digest, repo, revision, f"file-{i % 50}.bin", "huggingface",
                               "registry"))  # fmt: skip
    return found


def _median(rounds: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def index_write(url: str, rounds: int) -> dict[str, float]:
    """Insert into a fresh table, re-record (all conflicts), look up; seconds."""
    from auditor.store import hash_index, open_store

    with open_store(url) as store:
        engine = store._engine  # the bench measures the table's own calls
        inserts = []
        for r in range(rounds):
            files = _siblings(SIBLINGS, seed=f"round{r}")
            start = time.perf_counter()
            hash_index.record(engine, files)
            inserts.append(time.perf_counter() - start)
        files = _siblings(SIBLINGS, seed="round0")
        again = _median(rounds, lambda: hash_index.record(engine, files))
        digests = [f.digest for f in files]
        lookup = _median(rounds, lambda: hash_index.lookup(engine, digests))
    return {"insert": statistics.median(inserts), "again": again, "lookup": lookup}


def _cli(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    ran = subprocess.run([sys.executable, "-m", "auditor", *args], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    if ran.returncode not in (0, 1):
        raise SystemExit(f"auditor {' '.join(args)} failed ({ran.returncode}):\n{ran.stderr}")
    return took


def warm_hub_scan(tmp: Path, rounds: int) -> dict[str, float]:
    """200 cached revisions of 50 siblings each against the loopback Hub."""
    from huggingface_hub import snapshot_download

    from tests.servers.hub import HubState, Repo, serve

    state = HubState()
    env = child_env({"AUDITOR_DB": f"sqlite:///{tmp / 'hub.db'}", "HF_HOME": str(tmp / "hf")})
    result: dict[str, float] = {}
    for url in serve(state):
        for i in range(REVISIONS):
            files = {"README.md": b"---\nlicense: apache-2.0\n---\n"}
            files |= {f"shard-{j}.safetensors": f"{i}-{j}".encode() for j in range(25)}
            files |= {f"extra-{j}.json": f'{{"i": {i}, "j": {j}}}'.encode() for j in range(24)}
            repo_id = f"lab{i % 20}/model-{i}"
            state.add(Repo(repo_id, hashlib.sha1(repo_id.encode()).hexdigest(), files,
                           card={"license": "apache-2.0"}))  # fmt: skip
            snapshot_download(repo_id, revision=hashlib.sha1(repo_id.encode()).hexdigest(),
                              cache_dir=tmp / "cache", endpoint=url,
                              allow_patterns=["README.md"])  # fmt: skip
        env["HF_ENDPOINT"] = url
        target = f"hf-cache:{tmp / 'cache'}"
        result["cold"] = _cli(["scan", target, "--format", "json"], env)
        result["warm"] = statistics.median(
            _cli(["scan", target, "--format", "json"], env) for _ in range(rounds)
        )
    from auditor.store import hash_index, open_store

    with open_store(f"sqlite:///{tmp / 'hub.db'}") as store:
        kept = list(hash_index.entries(store._engine))
        result["entries"] = float(len(kept))
        result["record"] = _median(rounds, lambda: hash_index.record(store._engine, kept))
    return result


def model_folders(tmp: Path, rounds: int) -> dict[str, float]:
    root = tmp / "folders"
    for i in range(FOLDERS):
        folder = root / f"model-{i}"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(f'{{"model_type": "qwen2", "i": {i}}}\n')
        (folder / "tokenizer_config.json").write_text(f'{{"model_max_length": {i}}}\n')
        (folder / "generation_config.json").write_text(f'{{"max_new_tokens": {i}}}\n')
    env = child_env({"AUDITOR_DB": f"sqlite:///{tmp / 'folders.db'}"})
    args = ["scan", str(root), "--offline", "--format", "json"]
    first = _cli(args, env)
    warm = statistics.median(_cli(args, env) for _ in range(rounds))
    no_store = statistics.median(_cli([*args, "--no-store"], env) for _ in range(rounds))
    return {"first": first, "warm": warm, "no_store": no_store}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; python "
          f"{platform.python_version()}; load average at start: {load}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = index_write(f"sqlite:///{Path(tmp) / 'index.db'}", rounds)
        print(f"\n| index of {SIBLINGS:,} siblings | insert s | record again s | lookup s |")
        print("|---|---|---|---|")
        print(f"| SQLite | {sqlite['insert']:.3f} | {sqlite['again']:.3f} | "
              f"{sqlite['lookup']:.3f} |")  # fmt: skip
        with postgres_database() as pg:
            if pg is not None:
                found = index_write(pg, rounds)
                print(f"| PostgreSQL | {found['insert']:.3f} | {found['again']:.3f} | "
                      f"{found['lookup']:.3f} |")  # fmt: skip
        hub = warm_hub_scan(Path(tmp), rounds)
        print(f"\n- Hub cache of {REVISIONS} revisions x 50 siblings: index holds "
              f"{int(hub['entries']):,} entries; scan cold {hub['cold']:.2f} s, warm (median) "
              f"{hub['warm']:.2f} s; of which the index write (in-process, same entries) "
              f"{hub['record']:.3f} s")  # fmt: skip
        folders = model_folders(Path(tmp), rounds)
        print(f"- {FOLDERS} model folders x 3 sidecars ({FOLDERS * 3:,} git blob ids): first "
              f"scan {folders['first']:.2f} s, rescan (memo) {folders['warm']:.2f} s, "
              f"--no-store (no index) {folders['no_store']:.2f} s")  # fmt: skip
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- load average at end: {load}")


if __name__ == "__main__":
    main()
