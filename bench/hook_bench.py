"""Issue 17 figure: the pre-commit hook's whole `auditor check-models` on a commit touching
50 Python files (200 lines each, every file naming a model), against the 1 s budget.

    .venv/bin/python bench/hook_bench.py [--rounds N] [--markdown]

Two policies are timed: every model vetted (the common, silent case) and one unvetted
(the hook prints what to vet or waive and exits 1). The store is a scratch SQLite file, so
the run includes opening it (the hook reads the registry cache from it). Bytecode is
compiled once first, as any installed tool's is.
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

from bench_tools import child_env

AUDITOR = str(Path(sys.executable).parent / "auditor")
LIMIT = 1.0


def _tree(root: Path, files: int = 50, lines: int = 200) -> list[str]:
    names = []
    for i in range(files):
        body = ["import os", "from transformers import AutoModel", ""]
        body += [f"value_{j} = os.environ.get('V{j}', '{j}')  # filler" for j in range(lines - 4)]
        body.append(f'model = AutoModel.from_pretrained("vetted-org/model-{i % 7}")')
        (root / f"module_{i}.py").write_text("\n".join(body) + "\n")
        names.append(f"module_{i}.py")
    return names


def _time(root: Path, names: list[str], rounds: int, expect: int) -> list[float]:
    env = child_env({"AUDITOR_DB": f"sqlite:///{root / 'store.db'}"})
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        done = subprocess.run([AUDITOR, "check-models", *names], cwd=root, env=env,
                              capture_output=True, check=False)  # fmt: skip
        took.append(time.perf_counter() - started)
        assert done.returncode == expect, done.stderr.decode()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = _tree(root)
        (root / "pyproject.toml").write_text('[tool.auditor]\nvetted_publishers = ["vetted-org"]\n')
        _time(root, names, 1, 0)  # creates and migrates the store once, as a first use does
        vetted = _time(root, names, args.rounds, 0)
        (root / "module_0.py").write_text('from transformers import AutoModel\n'
                                          'AutoModel.from_pretrained("other-org/m")\n')  # fmt: skip
        refused = _time(root, names, args.rounds, 1)
    load = os.getloadavg()[0]
    rows = [("all vetted (silent, exit 0)", vetted), ("one unvetted (exit 1)", refused)]
    if args.markdown:
        print("| case | median | min | limit | ratio | |\n|---|---|---|---|---|---|")
        for name, took in rows:
            med = statistics.median(took)
            verdict = "PASS" if med < LIMIT else "MISS"
            print(f"| {name} | {med:.2f} s | {min(took):.2f} s | {LIMIT:.1f} s | "
                  f"{med / LIMIT:.2f}x | {verdict} |")  # fmt: skip
        print(f"\n{args.rounds} rounds each; load average {load:.1f} on {os.cpu_count()} cores.")
    else:
        for name, took in rows:
            print(
                f"{name}: median {statistics.median(took):.2f} s, min {min(took):.2f} s "
                f"(limit {LIMIT} s, ratio {statistics.median(took) / LIMIT:.2f}); load {load:.1f}"
            )


if __name__ == "__main__":
    main()
