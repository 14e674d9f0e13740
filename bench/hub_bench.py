"""Issue 10 figures: a 200-revision Hugging Face cache resolved and verified against a loopback hub.

The hub is tests/servers/hub.py; the cache is laid out by huggingface_hub itself
(`hf_hub_download` against the loopback), so `scan_cache_dir` and `hf cache verify` read it
as they read a real one. 200 cached model revisions: 20 base models of 10 labs, fine-tunes
of them, fine-tunes of those (some merges of two), and quantisations by re-packagers:
lineage depth up to 4. Measured side by side in one run:

  1. resolution, whole scan, 50 ms per request:
     cold  fresh store            -> limit 2 x ideal, ideal = requests / concurrency x latency
                                     + start-up (the same scan with --no-resolve)
     warm  same store, no request -> limit 1.2 s
  2. full verification of the cache against the hub, both tools starting cold:
     auditor (hashing every blob, fresh store) vs `hf cache verify` once per cached
     revision (the CLI, as a user runs it) and vs huggingface_hub's `verify_repo_checksums`
     in one process (the peer without its start-up): faster, and every file the peer flags
     (checksum mismatch, or a local file the hub does not list) is flagged by the auditor.
     Corruptions planted: bit flips in blobs, blobs served by a "mirror" with other bytes,
     extra local files, deleted files.

`auditor scan` of an HF cache needs the cache collector (issue 4). Until it is registered the
scan runs through bench/hub_scan.py, which does what the CLI does with the components such
a collector reports (see there); the bench says which one it used.
Usage: .venv/bin/python bench/hub_bench.py [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402

from tests.servers.hub import HubState, Repo, serve  # noqa: E402

LATENCY = 0.05
CONCURRENCY = 16  # the CLI's default --concurrency
LABS = [
    "Qwen",
    "deepseek-ai",
    "meta-llama",
    "google",
    "mistralai",
    "tiiuae",
    "01-ai",
    "microsoft",
    "allenai",
    "THUDM",
]
REPACKAGERS = ["bartowski", "unsloth", "TheBloke", "mlx-community", "lmstudio-community"]
VENV = REPO / ".venv" / "bin"


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def corpus() -> list[Repo]:
    """200 repos; depth 0: 20, 1: 40, 2: 50 (10 merges), 3: 45, 4: 45 (re-packagers)."""
    rng = random.Random(10)
    levels: list[list[Repo]] = [[], [], [], [], []]

    def make(repo_id: str, depth: int, bases: list[str], relation: str) -> None:
        files = {
            "config.json": json.dumps({"_name_or_path": repo_id}).encode(),
            "README.md": f"---\nlicense: apache-2.0\n---\n# {repo_id}\n".encode(),
            "model.safetensors": hashlib.sha256(repo_id.encode()).digest() * 128,
        }
        based = {"relation": relation, "models": [{"id": b} for b in bases]} if bases else None
        repo = Repo(repo_id, sha(repo_id), files, card={"license": "apache-2.0"}, base_models=based)
        levels[depth].append(repo)

    for i in range(20):
        make(f"{LABS[i % 10]}/base-{i}", 0, [], "")
    for i in range(40):
        make(f"tuner{i % 15}/ft-{i}", 1, [rng.choice(levels[0]).id], "finetune")
    for i in range(50):
        if i < 10:
            bases = [b.id for b in rng.sample(levels[1], 2)]
            make(f"merger{i % 5}/merge-{i}", 2, bases, "merge")
        else:
            make(f"tuner{i % 15}/ft2-{i}", 2, [rng.choice(levels[1]).id], "finetune")
    for i in range(45):
        make(f"tuner{i % 15}/ft3-{i}", 3, [rng.choice(levels[2]).id], "finetune")
    for i in range(45):
        base = rng.choice(levels[3]).id
        make(f"{REPACKAGERS[i % 5]}/{base.split('/')[1]}-GGUF-{i}", 4, [base], "quantized")
    return [r for level in levels for r in level]


def lay_out(cache: Path, repos: list[Repo], url: str, mirror_url: str, mirrored: set[str]) -> None:
    """Download every file of every repo with huggingface_hub (some from the mirror)."""
    from huggingface_hub import hf_hub_download

    for repo in repos:
        endpoint = mirror_url if repo.id in mirrored else url
        for path in repo.files:
            hf_hub_download(repo.id, path, revision=repo.sha, cache_dir=cache, endpoint=endpoint)


def corrupt(cache: Path, repos: list[Repo], rng: random.Random) -> dict[str, list[str]]:
    """Plant bit flips, extra files and deletions; returns what was planted per kind."""
    planted: dict[str, list[str]] = {"flip": [], "extra": [], "missing": []}
    picks = rng.sample(repos, 15)
    for i, repo in enumerate(picks):
        snap = cache / f"models--{repo.id.replace('/', '--')}" / "snapshots" / repo.sha
        if i < 6:  # a bit flip in the blob behind a file
            path = "model.safetensors" if i % 2 else "config.json"
            blob = (snap / path).resolve()
            data = bytearray(blob.read_bytes())
            data[len(data) // 2] ^= 0x01
            blob.write_bytes(bytes(data))
            planted["flip"].append(f"{repo.id}/{path}")
        elif i < 10:  # a file the hub does not have for that revision
            (snap / "extra.bin").write_bytes(b"not from the hub")
            planted["extra"].append(f"{repo.id}/extra.bin")
        else:  # a file removed from the snapshot
            (snap / "README.md").unlink()
            planted["missing"].append(f"{repo.id}/README.md")
    return planted


def run(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - started, done


def scan_command(
    cache: Path, db: str, out: Path, cli: bool, verify: bool, resolve: bool = True
) -> list[str]:
    if cli:
        cmd = [
            str(VENV / "auditor"),
            "scan",
            str(cache),
            "--format",
            "json",
            "--output",
            str(out),
            "--db",
            db,
            "--concurrency",
            str(CONCURRENCY),
        ]
        if not verify:
            cmd.append("--no-verify")
    else:
        cmd = [
            str(VENV / "python"),
            str(REPO / "bench" / "hub_scan.py"),
            str(cache),
            "--db",
            db,
            "--output",
            str(out),
        ]
        if verify:
            cmd.append("--verify")
    return [*cmd, "--no-resolve"] if not resolve else cmd


def collector_present(cache: Path, env: dict[str, str], tmp: Path) -> bool:
    """Whether `auditor scan` reports Hub components for a cache (issue 4 landed)."""
    out = tmp / "probe.json"
    db = f"sqlite:///{tmp}/probe.db"
    _, done = run(
        [
            str(VENV / "auditor"),
            "scan",
            str(cache),
            "--no-resolve",
            "--format",
            "json",
            "--output",
            str(out),
            "--db",
            db,
        ],
        env,
    )
    if done.returncode != 0 or not out.exists():
        return False
    doc = json.loads(out.read_text())
    return any(c["purl"].startswith("pkg:huggingface/") for c in doc["components"])


def auditor_flags(report: Path) -> set[str]:
    """`repo/path` of every file a hub.hash-mismatch finding names (its evidence lists all)."""
    doc = json.loads(report.read_text())
    names = {c["purl"]: c["name"] for c in doc["components"]}
    flagged = set()
    for f in doc["findings"]:
        if f["rule"] != "hub.hash-mismatch":
            continue
        for e in f["evidence"]:
            flagged.add(f"{names[f['purl']]}/{e['value'].split(':', 1)[0]}")
    return flagged


def hf_verify_cli(cache: Path, repos: list[Repo], env: dict[str, str]) -> tuple[float, set[str]]:
    """`hf cache verify` once per cached revision, as a user would run it over a cache."""
    flagged: set[str] = set()
    started = time.perf_counter()
    for repo in repos:
        _, done = run(
            [
                str(VENV / "hf"),
                "cache",
                "verify",
                repo.id,
                "--revision",
                repo.sha,
                "--cache-dir",
                str(cache),
                "--fail-on-extra-files",
            ],
            env,
        )
        section = None
        for line in done.stdout.splitlines():
            if "Checksum verification failed" in line:
                section = "mismatch"
            elif "Extra files" in line:
                section = "extra"
            elif "Missing files" in line:
                section = None
            elif section and (m := re.match(r"\s+- ([^:]+?)(?::|$)", line)):
                flagged.add(f"{repo.id}/{m.group(1)}")
    return time.perf_counter() - started, flagged


def hf_verify_api(cache: Path, repos: list[Repo], url: str) -> tuple[float, set[str]]:
    """huggingface_hub's `verify_repo_checksums` (what the CLI calls), in one process."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=url)
    flagged: set[str] = set()
    started = time.perf_counter()
    for repo in repos:
        result = api.verify_repo_checksums(repo_id=repo.id, revision=repo.sha, cache_dir=cache)
        flagged |= {f"{repo.id}/{m['path']}" for m in result.mismatches}
        flagged |= {f"{repo.id}/{p}" for p in result.extra_paths}
    return time.perf_counter() - started, flagged


def lineage_depth(doc: dict) -> int:
    """The longest `derived_from` chain from a scanned component."""
    bases: dict[str, list[str]] = {}
    for d in doc["dependencies"]:
        if d["kind"] == "derived_from":
            bases.setdefault(d["from"], []).append(d["to"])

    def longest(purl: str, seen: frozenset[str]) -> int:
        return max(
            (1 + longest(b, seen | {b}) for b in bases.get(purl, []) if b not in seen), default=0
        )

    return max((longest(c["purl"], frozenset()) for c in doc["components"]), default=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    repos = corpus()
    rng = random.Random(4)
    mirrored = {r.id for r in rng.sample(repos, 5)}
    state, mirror = HubState(), HubState()
    for repo in repos:
        state.add(repo)
        tampered = Repo(
            repo.id,
            repo.sha,
            repo.files,
            served={"model.safetensors": b"other weights " + repo.id.encode() * 64},
        )
        mirror.add(tampered)
    for lab in LABS:
        state.orgs[lab] = {"avatarUrl": "", "name": lab, "fullname": lab, "isVerified": True}
    bar = "|" if opts.markdown else " "
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "hub-cache"
        hub_server, mirror_server = serve(state), serve(mirror)
        url, mirror_url = next(hub_server), next(mirror_server)
        env = {
            **child_env({}),
            "HF_ENDPOINT": url,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(tmp / "hf-home"),
            "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        }
        env.pop("HF_TOKEN", None)
        started = time.perf_counter()
        lay_out(cache, repos, url, mirror_url, mirrored)
        laid = time.perf_counter() - started
        cli = collector_present(cache, env, tmp)
        state.latency = LATENCY

        # 1. resolution, cold and warm, on the uncorrupted cache
        rows: dict[str, list[float]] = {"startup": [], "cold": [], "warm": []}
        sent: list[int] = []
        for round_ in range(opts.rounds):
            db = f"sqlite:///{tmp}/r{round_}.db"
            out = tmp / f"r{round_}.json"
            rows["startup"].append(run(scan_command(cache, db, out, cli, False, False), env)[0])
            before = len(state.log)
            took, done = run(scan_command(cache, db, out, cli, False), env)
            # 1: the planted mirror copies are blocking findings (`hub.hash-mismatch`).
            assert done.returncode in (0, 1), done.stderr[-2000:]
            rows["cold"].append(took)
            sent.append(len(state.log) - before)
            doc = json.loads(out.read_text())
            before = len(state.log)
            rows["warm"].append(run(scan_command(cache, db, out, cli, False), env)[0])
            assert len(state.log) == before, "a warm scan sent requests"
        med = {k: statistics.median(v) for k, v in rows.items()}
        requests = statistics.median(sent)
        ideal = requests / CONCURRENCY * LATENCY + med["startup"]
        depth = lineage_depth(doc)
        roots = sum(len(c["origin"]["roots"]) for c in doc["components"])

        # 2. verification against the hub, after planting corruptions
        planted = corrupt(cache, repos, random.Random(7))
        planted_mirror = {f"{r}/model.safetensors" for r in mirrored}
        db = f"sqlite:///{tmp}/verify.db"
        out = tmp / "verify.json"
        ours_s, done = run(scan_command(cache, db, out, cli, True), env)
        assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: what it found blocks
        ours = auditor_flags(out)
        cli_s, cli_flags = hf_verify_cli(cache, repos, env)
        api_s, api_flags = hf_verify_api(cache, repos, url)
        next(hub_server, None)
        next(mirror_server, None)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"load average: {' / '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"scan path: {'auditor scan (CLI)' if cli else 'bench/hub_scan.py (no cache collector)'}")
    print(
        f"cache: {len(repos)} revisions laid out by hf_hub_download in {laid:.1f} s;"
        f" {LATENCY * 1000:.0f} ms per request, concurrency {CONCURRENCY};"
        f" {requests:.0f} requests cold; {roots} roots; {opts.rounds} rounds (median)"
    )
    print()
    print(f"{bar} run {bar} median s {bar} min s {bar}")
    if opts.markdown:
        print("|---|---|---|")
    for name, values in rows.items():
        print(f"{bar} {name} {bar} {med[name]:.3f} {bar} {min(values):.3f} {bar}")
    print()
    missed_cli = sorted(cli_flags - ours)
    missed_api = sorted(api_flags - ours)
    verdicts = [
        ("cold <= 2x ideal", med["cold"] / ideal, med["cold"] <= 2 * ideal, f"ideal {ideal:.2f} s"),
        ("warm < 1.2 s", med["warm"] / 1.2, med["warm"] < 1.2, "no requests sent"),
        (
            "verify faster than `hf cache verify` x200 (hf/auditor)",
            cli_s / ours_s,
            ours_s < cli_s,
            f"auditor {ours_s:.2f} s, hf {cli_s:.2f} s",
        ),
        (
            "verify faster than verify_repo_checksums x200 in-process (peer/auditor)",
            api_s / ours_s,
            ours_s < api_s,
            f"auditor {ours_s:.2f} s, peer {api_s:.2f} s",
        ),
        (
            "finds every file `hf cache verify` flags",
            len(cli_flags & ours) / max(1, len(cli_flags)),
            not missed_cli,
            f"hf {len(cli_flags)}, auditor {len(ours)}, missed {missed_cli}",
        ),
        (
            "finds every file verify_repo_checksums flags",
            len(api_flags & ours) / max(1, len(api_flags)),
            not missed_api,
            f"peer {len(api_flags)}, missed {missed_api}",
        ),
    ]
    print(f"{bar} target {bar} ratio {bar} verdict {bar} note {bar}")
    if opts.markdown:
        print("|---|---|---|---|")
    for label, ratio, ok, note in verdicts:
        print(
            f"{bar} {label} {bar} {ratio:.2f} {bar} {'PASS' if ok else 'MISS'} {bar} {note} {bar}"
        )
    expected = set(planted["flip"]) | set(planted["extra"]) | planted_mirror
    print()
    print(
        f"planted: {len(planted['flip'])} bit flips, {len(planted_mirror)} mirror blobs,"
        f" {len(planted['extra'])} extra files, {len(planted['missing'])} deleted files;"
        f" auditor flags all planted mismatches: {expected <= ours};"
        f" auditor extra flags: {sorted(ours - expected)}"
    )
    print(f"lineage: longest derived_from chain from a cached revision: {depth} hops")


if __name__ == "__main__":
    main()
