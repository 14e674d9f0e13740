"""Issue 33: 2,000 workflow and manifest files read in under 2 s.

The input is the real files of tests/data/ci (flask's, vite's and pip's workflows and vite's
composite action; kubernetes/examples' Dockerfiles and manifests) copied round-robin into
2,000 files, each repository's copy in a folder of its own so `.github/workflows/` stays a
workflow folder. Measured side by side in one run, against the 2 s limit: the three readers
(github-actions, container-images, gitlab-ci) over the folder in-process, and the whole CLI
(`auditor scan DIR --no-store --offline --format json`, interpreter start-up, policy and
rendering included). 1 warm-up, median and minimum of 5.

Run: `.venv/bin/python bench/ci_bench.py [--files 2000]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "ci"
sys.path.insert(0, str(REPO))

from auditor.collectors import CollectContext  # noqa: E402
from auditor.collectors.container_images import ContainerImagesCollector  # noqa: E402
from auditor.collectors.github_actions import GitHubActionsCollector  # noqa: E402
from auditor.collectors.gitlab_ci import GitLabCiCollector  # noqa: E402
from auditor.sources.directory import DirectoryTree  # noqa: E402

LIMIT = 2.0


def build(root: Path, count: int) -> None:
    """`count` files: the data files' copies, repository by repository, round-robin."""
    sources = [
        p for p in sorted(DATA.rglob("*")) if p.is_file() and p.suffix not in (".md", ".tsv")
    ]
    for n in range(count):
        source = sources[n % len(sources)]
        rel = source.relative_to(DATA)
        target = root / f"copy{n // len(sources)}" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())


def readers(root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    tree = DirectoryTree(str(root), root)
    found = 0
    for collector in (GitHubActionsCollector(), GitLabCiCollector(), ContainerImagesCollector()):
        components = collector.collect(tree, CollectContext()).components
        found += sum(len(c.locations) for c in components)
    return time.perf_counter() - start, found


def cli(root: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    command = [sys.executable, "-m", "auditor", "scan", str(root), "--no-store", "--offline"]
    command += ["--format", "json", "--output", os.devnull]
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: findings at the failing threshold
        raise SystemExit(f"auditor scan failed ({done.returncode}): {done.stderr[-500:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        build(root, args.files)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        readers(root)
        cli(root)  # warm-up
        reader_times, cli_times, components = [], [], 0
        for _ in range(args.rounds):
            took, components = readers(root)
            reader_times.append(took)
            cli_times.append(cli(root))
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}; {files} files, {components} uses and images read")
    print("| measured | median s | min s | limit s | ok |")
    print("|---|---|---|---|---|")
    for name, times in (("three readers, in-process", reader_times), ("whole CLI scan", cli_times)):
        med = statistics.median(times)
        ok = "yes" if med < LIMIT else "no"
        print(f"| {name} | {med:.3f} | {min(times):.3f} | {LIMIT} | {ok} |")


if __name__ == "__main__":
    main()
