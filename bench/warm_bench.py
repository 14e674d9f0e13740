"""Issue 36: warm rescans of real lockfiles, every answer cached, with --offline.

Inputs (bench/inputs/real/): a real uv.lock (680 packages, `uv lock` of a pyproject.toml
naming 60-odd popular projects) and a real yarn.lock (1,221 entries, yarn 1's lock of a
react-scripts app), each with the registry answers a real online scan of it received
(`auditor cache export`, JSON lines, gzipped). Every registry host in the lockfiles and the
answers is rewritten to `.invalid`. `--record` makes them again: it copies the lockfiles
named by --uv-project/--yarn-project, scans each online against the registries the user's
pip and npm configuration name (fair use: only the packages in those lockfiles), exports
the answers and rewrites the hosts.

Measured per input, whole CLI, on a fresh store that imported the recorded answers:
`auditor scan DIR --offline --format json` (wall, the child's CPU, peak RSS), median of
--rounds after one untimed run. Limit: 1.5 s each.
Usage: python bench/warm_bench.py [--rounds 5] [--auditor PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402

REAL = REPO / "bench" / "inputs" / "real"
WORK = REPO / "bench" / "work" / "real"
AUDITOR = REPO / ".venv" / "bin" / "auditor"
LIMIT = 1.5
INPUTS = {
    "uvlock680": ("uv", ("pyproject.toml", "uv.lock")),
    "yarnlock1221": ("yarn", ("package.json", "yarn.lock")),
}
_URL_FIELDS = re.compile(rb'(?:registry|url|resolved)\s*=?\s*"(https?://[^"/]+)')


def _rewrite(data: bytes, hosts: dict[bytes, bytes]) -> bytes:
    """Each registry host -> its neutral `.invalid` name (longest first)."""
    for host in sorted(hosts, key=len, reverse=True):
        data = data.replace(b"//" + host, b"//" + hosts[host])
    return data


def record(projects: dict[str, Path], auditor: Path) -> None:
    """Scan each project online with a fresh store and keep its answers, hosts rewritten."""
    from auditor import endpoints

    registries = {
        urlsplit(endpoints.pypi(None, os.environ).url).netloc.encode(): b"registry.invalid",
        urlsplit(endpoints.npm(None, os.environ).url).netloc.encode(): b"npm.registry.invalid",
    }
    REAL.mkdir(parents=True, exist_ok=True)
    for name, (kind, files) in INPUTS.items():
        source = projects[kind]
        lock = (source / files[1]).read_bytes()
        hosts = registries | {
            urlsplit(m.decode()).netloc.encode() for m in _URL_FIELDS.findall(lock)
        }
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{tmp}/store.db"
            subprocess.run([str(auditor), "scan", str(source), "--format", "json", "--db", db,
                            "-o", f"{tmp}/scan.json"], check=False, env=child_env({}))  # fmt: skip
            subprocess.run([str(auditor), "cache", "export", "--db", db, f"{tmp}/answers.jsonl"],
                           check=True, env=child_env({}))  # fmt: skip
            answers = Path(tmp, "answers.jsonl").read_bytes()
        (REAL / f"{name}.answers.jsonl.gz").write_bytes(
            gzip.compress(_rewrite(answers, hosts), 9, mtime=0)
        )
        for file in files:
            data = _rewrite((source / file).read_bytes(), hosts)
            (REAL / f"{name}.{file}.gz").write_bytes(gzip.compress(data, 9, mtime=0))
        print(f"recorded {name} from {source}", file=sys.stderr)


def prepare(name: str) -> tuple[Path, Path]:
    """(project folder, answers snapshot) unpacked into bench/work/real/."""
    _, files = INPUTS[name]
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for file in files:
        (folder / file).write_bytes(gzip.decompress((REAL / f"{name}.{file}.gz").read_bytes()))
    answers = WORK / f"{name}.answers.jsonl"
    answers.write_bytes(gzip.decompress((REAL / f"{name}.answers.jsonl.gz").read_bytes()))
    return folder, answers


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, bytes]:
    """(wall s, CPU s, peak RSS MiB, stdout) of one whole-CLI run."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed")
    return took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--auditor", type=Path, action="append")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--uv-project", type=Path)
    parser.add_argument("--yarn-project", type=Path)
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    auditors = opts.auditor or [AUDITOR]
    if opts.record:
        record({"uv": opts.uv_project, "yarn": opts.yarn_project}, auditors[0])
    env = child_env({})
    load = os.getloadavg()
    rows = []
    for name in INPUTS:
        folder, answers = prepare(name)
        for auditor in auditors:
            with tempfile.TemporaryDirectory() as tmp:
                db = f"sqlite:///{tmp}/store.db"
                subprocess.run([str(auditor), "cache", "import", "--db", db, str(answers)],
                               check=True, env=env, capture_output=True)  # fmt: skip
                argv = [str(auditor), "scan", str(folder), "--offline", "--format", "json",
                        "--db", db]  # fmt: skip
                timed(argv, env)  # untimed: the store's first scan of this target
                runs = [timed(argv, env) for _ in range(opts.rounds)]
            doc = json.loads(runs[-1][3])
            origins = doc.get("origins") or [c.get("origin", {}) for c in doc["components"]]
            resolved = sum(1 for o in origins if o.get("status") == "resolved")
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            verdict = "PASS" if wall <= LIMIT else "MISS"
            fastest = min(r[0] for r in runs)
            rows.append(
                f"| {auditor} | {name} | {len(doc['components'])} | {resolved} | {wall:.2f} |"
                f" {fastest:.2f} | {cpu:.2f} | {rss:.0f} | {verdict} (<= {LIMIT} s) |"
            )
    end = os.getloadavg()
    print(
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start"
        f" {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, at end"
        f" {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}; {opts.rounds} rounds after one untimed\n"
    )
    print("| build | input | components | resolved (offline) | median s | min s | CPU s |"
          " peak RSS MiB | verdict |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
