"""Run one input through our code in a child process under `resource` limits.

`run_bounded("tests.some_module:function", data)` writes `data` to a file, starts a fresh
interpreter with RLIMIT_CPU (seconds of CPU) and RLIMIT_AS (address space) set before exec,
and calls `function(path)` there. The child reports how it ended and its peak RSS, so a test
can tell a clean answer or a clean error from a hang (killed by the CPU limit or the wall
clock), a blow-up (MemoryError under the address-space cap), a segmentation fault (a
signal) or a traceback. Limits are per input; a hypothesis test calls this once per example.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
MiB = 1 << 20


@dataclass(frozen=True)
class Outcome:
    """How one bounded run ended."""

    returncode: int
    """Negative: killed by that signal (SIGXCPU/SIGKILL for the CPU limit, SIGSEGV...)."""
    result: str | None
    """What the function returned (str()), when it returned."""
    error: str | None
    """`Type: message` of an exception it raised, when it raised one."""
    traceback: str
    stderr: str
    """What the child wrote to stderr (a traceback printed by our own code would be here)."""
    maxrss_mb: float
    """Peak resident memory of the child since exec (VmHWM)."""
    cpu_seconds: float
    """CPU time the child used (user + system), interpreter start and imports included."""
    seconds: float
    """Wall-clock time of the whole child, interpreter start included."""
    timed_out: bool

    def describe(self) -> str:
        return (
            f"rc={self.returncode} timed_out={self.timed_out} error={self.error!r} "
            f"rss={self.maxrss_mb:.0f} MB, cpu {self.cpu_seconds:.2f} s, wall {self.seconds:.1f} s"
            f"\n{self.traceback[-3000:]}"
        )


def examples(count: int) -> Callable[[Any], Any]:
    """Hypothesis settings for bounded runs: `count` examples (each a child process, so few),
    no per-example deadline, the same examples every run (CI time is part of the figure)."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


def run_bounded(
    target: str,
    data: bytes,
    *,
    cpu_seconds: int = 10,
    address_space_mb: int = 1536,
    wall_seconds: float = 30,
    name: str = "input",
    env: dict[str, str] | None = None,
) -> Outcome:
    """Call `module:function(path)` on a file holding `data` in a limited child process."""
    with tempfile.TemporaryDirectory(prefix="bounded-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = Path(folder) / "report.json"

        def limits() -> None:  # runs in the child, before exec
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
            cap = address_space_mb * MiB
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        started = time.monotonic()
        child_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bounded", target, str(path), str(report)],
            cwd=REPO,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limits,
        )
        timed_out = False
        try:
            _, stderr = process.communicate(timeout=wall_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            timed_out = True
        seconds = time.monotonic() - started
        found = json.loads(report.read_text()) if report.exists() else {}
    return Outcome(
        returncode=process.returncode,
        result=found.get("result"),
        error=found.get("error"),
        traceback=found.get("traceback", "") or stderr.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        maxrss_mb=found.get("maxrss_kb", 0) / 1024,
        cpu_seconds=found.get("cpu", float(cpu_seconds)),
        seconds=seconds,
        timed_out=timed_out or process.returncode in (-9, -24),  # SIGKILL, SIGXCPU
    )


def assert_bounded(
    outcome: Outcome,
    *,
    allowed: tuple[str, ...] = (),
    max_rss_mb: float = 0,
    max_cpu_seconds: float = 0,
) -> None:
    """The run ended by itself, within limits, and any exception is one of `allowed`
    (exception class names: a clear error, never a traceback of anything else)."""
    assert outcome.returncode == 0 and not outcome.timed_out, outcome.describe()
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    if max_cpu_seconds:
        assert outcome.cpu_seconds <= max_cpu_seconds, outcome.describe()
    if outcome.error is not None:
        assert outcome.error.split(":", 1)[0] in allowed, outcome.describe()
    if max_rss_mb:
        assert outcome.maxrss_mb <= max_rss_mb, outcome.describe()


def _peak_rss_kb(fallback: int) -> int:
    """This process's own peak since exec (VmHWM): ru_maxrss also counts the parent's memory
    the child had between fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return fallback


def _child(target: str, path: str, report: str) -> None:
    module_name, _, name = target.partition(":")
    found: dict[str, object] = {}
    try:
        function = getattr(importlib.import_module(module_name), name)
        found["result"] = str(function(path))[:2000]
    except BaseException as exc:  # reported to the parent, which judges it
        found["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
        found["traceback"] = traceback.format_exc()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found["maxrss_kb"] = _peak_rss_kb(usage.ru_maxrss)
    found["cpu"] = usage.ru_utime + usage.ru_stime
    Path(report).write_text(json.dumps(found))


if __name__ == "__main__":
    _child(*sys.argv[1:4])
