"""Issue 29's bounds, measured: adversarial inputs before and after, and the suite's time.

    python bench/bounds.py [--base CHECKOUT] [--suite]

Each input runs in a child process under RLIMIT_CPU/RLIMIT_AS (tests/bounded.py) against this
checkout and, with `--base`, against another one (the commit before the fixes) side by side:
CPU seconds (or "killed" at the CPU limit) and peak RSS. The old patterns are also timed on
their own. `--suite` times `pytest tests/bounds` (the figure: well under 5 minutes).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests.bounded import Outcome, run_bounded  # noqa: E402

OLD_PATTERNS: dict[str, tuple[str, int, Callable[[int], str]]] = {
    "bun.lock JSONC comment skipper": (
        r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|,(?=(?:\s|//[^\n]*|/\*.*?\*/)*[]}])',
        re.S,
        lambda n: "," + "/**/" * n + "x",
    ),
    "requirements.txt comment": (r"(^|\s+)#.*$", 0, lambda n: "a" + " " * n + "x"),
    "requirements.txt extras": (r"^(.+?)(\[[^\]]*\])$", 0, lambda n: "a" + "[" * n + "x"),
    "package-lock.json key line": (
        r'^\s*"((?:[^"\\]|\\.)*)"\s*:\s*\{',
        re.M,
        lambda n: "\n" * n + "x",
    ),
    "e-mail address": (
        r"[\w.%+-]+@((?:[\w-]+\.)+[A-Za-z]{2,63})\b",
        0,
        lambda n: "a@" + "a." * n + "1",
    ),
}
SIZES = {"bun.lock JSONC comment skipper": (16, 20, 24)}


def _time_pattern(pattern: str, flags: int, text: str, limit: int = 20) -> str:
    compiled = re.compile(pattern, flags)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    signal.alarm(limit)
    started = time.perf_counter()
    try:
        list(compiled.finditer(text))
    except TimeoutError:
        return f">{limit} s"
    finally:
        signal.alarm(0)
    return f"{time.perf_counter() - started:.3f} s"


def _inputs() -> dict[str, tuple[str, str, bytes]]:
    """name -> (child target, file name, bytes)."""
    onnx_field = bytes([1 << 3, 1])
    body = b"".join(b'"t%d":{"dtype":"F32","shape":[1],"data_offsets":[0,0]},' % i
                    for i in range(1_500_000))  # fmt: skip
    header = b"{" + body + b'"__metadata__":{"a":"b"}}'
    return {
        "bun.lock, 227 bytes": (
            "tests.bounds.targets:parse_lockfile",
            "bun.lock",
            b'{"lockfileVersion": 1, "workspaces": {"": {}}, "packages": {}'
            + b","
            + b"/**/" * 45
            + b"x",
        ),
        "requirements.txt, 100,000 spaces": (
            "tests.bounds.targets:parse_lockfile",
            "requirements.txt",
            b"requests" + b" " * 100_000 + b"x\n",
        ),
        "package-lock.json, 100,000 blank lines": (
            "tests.bounds.targets:parse_lockfile",
            "package-lock.json",
            b'{"lockfileVersion": 3, "packages": {}' + b"\n" * 100_000 + b"}",
        ),
        "ONNX, 20 MB of tiny fields": (
            "tests.bounds.targets:inspect_weight",
            "model.onnx",
            onnx_field * (10 << 20),
        ),
        f"safetensors, {len(header) >> 20} MB header": (
            "tests.bounds.targets:inspect_weight",
            "model.safetensors",
            struct.pack("<Q", len(header)) + header,
        ),
        "pickle, tuple key nested 300,000 deep": (
            "tests.bounds.targets:inspect_weight",
            "model.pkl",
            b"\x80\x02})" + b"\x85" * 300_000 + b"Ns.",
        ),
    }


def _show(outcome: Outcome) -> str:
    if outcome.timed_out:
        return f"killed at {outcome.cpu_seconds:.0f} s CPU"
    if outcome.returncode < 0:
        return f"crashed (signal {-outcome.returncode})"
    if outcome.error is not None and outcome.error.startswith(("MemoryError", "RecursionError")):
        return f"{outcome.error.split(':')[0]}, {outcome.maxrss_mb:.0f} MB"
    return f"{outcome.cpu_seconds:.2f} s CPU, {outcome.maxrss_mb:.0f} MB"


def _run_in(checkout: Path, target: str, name: str, data: bytes) -> Outcome:
    """run_bounded against `checkout` (its own auditor, our tests/bounds targets)."""
    if checkout == HERE:
        return run_bounded(target, data, name=name, cpu_seconds=20, address_space_mb=3072)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "checkout"
        shutil.copytree(checkout / "auditor", copy / "auditor")
        shutil.copytree(HERE / "tests", copy / "tests")
        for extra in ("rules", "templates"):
            if (checkout / extra).exists():
                shutil.copytree(checkout / extra, copy / extra)
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from tests.bounded import run_bounded; import pickle;"
            "o = run_bounded(sys.argv[2], open(sys.argv[4], 'rb').read(), name=sys.argv[3],"
            " cpu_seconds=20, address_space_mb=3072);"
            "sys.stdout.buffer.write(pickle.dumps(o.__dict__))"
        )
        data_file = Path(folder) / "data"
        data_file.write_bytes(data)
        done = subprocess.run(
            [sys.executable, "-c", script, str(copy), target, name, str(data_file)],
            capture_output=True,
            check=True,
            cwd=copy,
        )
        import pickle

        return Outcome(**pickle.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, help="a checkout of the code before the fixes")
    parser.add_argument("--suite", action="store_true", help="also time pytest tests/bounds")
    args = parser.parse_args()
    print("## The old patterns alone (this interpreter, 20 s alarm)\n")
    print("| pattern | input | time |\n| --- | --- | --- |")
    for label, (pattern, flags, make) in OLD_PATTERNS.items():
        for n in SIZES.get(label, (10_000, 40_000)):
            print(f"| {label} | n = {n:,} | {_time_pattern(pattern, flags, make(n))} |")
    print("\n## Adversarial inputs in a bounded child (RLIMIT_CPU 20 s, RLIMIT_AS 3 GiB)\n")
    head = "| input | before | after |" if args.base else "| input | after |"
    print(head)
    print("| --- | --- | --- |" if args.base else "| --- | --- |")
    for label, (target, name, data) in _inputs().items():
        after = _show(_run_in(HERE, target, name, data))
        if args.base:
            before = _show(_run_in(args.base, target, name, data))
            print(f"| {label} | {before} | {after} |")
        else:
            print(f"| {label} | {after} |")
    if args.suite:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/bounds"],
            cwd=HERE,
            capture_output=True,
            text=True,
        )
        took = time.monotonic() - started
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
        print(f"\n## pytest tests/bounds\n\n{summary}: {took:.0f} s wall (limit: 300 s)")


if __name__ == "__main__":
    main()
