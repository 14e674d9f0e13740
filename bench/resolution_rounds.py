"""The whole-CLI rounds the resolution benches share (issue 8's PyPI, issue 11's npm).

Per round, on one fresh store: `startup` (the same scan with --no-resolve), `cold` (every
answer fetched), `warm` (every answer fresh in the store: no request may be sent) and
`offline`. Wall and CPU time (user + system of the auditor process) are both kept: on a
loaded, shared machine wall time stretches with the load while CPU time mostly does not.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Verdict = tuple[str, float, bool, str]
"""(label, ratio, ok, note)."""


@dataclass
class Rounds:
    """Timings by run kind (`startup`, `cold`, …, with an optional prefix per variant)."""

    auditor: Path
    env: dict[str, str]
    sent: Callable[[], int]
    """How many requests the loopback registry has answered so far."""
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    requests: dict[str, list[int]] = field(default_factory=dict)
    """Requests each cold scan sent, by prefix."""

    def timed(self, args: Sequence[str], kind: str | None) -> float:
        """Run the auditor once; kept under `kind` (None: untimed, e.g. compiling once)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([str(self.auditor), *args], check=True, capture_output=True, env=self.env)
        took = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if kind is not None:
            self.wall.setdefault(kind, []).append(took)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            self.cpu.setdefault(kind, []).append(used)
        return took

    def round(self, args: Sequence[str], db: str, prefix: str = "", full: bool = True) -> None:
        """One round on the store `db`: cold then warm (no request may be sent), and with
        `full` the --no-resolve start-up before and the --offline scan after."""
        if full:
            self.timed([*args, "--no-resolve", "--db", db], f"{prefix}startup")
        before = self.sent()
        self.timed([*args, "--db", db], f"{prefix}cold")
        self.requests.setdefault(prefix, []).append(self.sent() - before)
        before = self.sent()
        self.timed([*args, "--db", db], f"{prefix}warm")
        assert self.sent() == before, "a warm scan sent requests"
        if full:
            self.timed([*args, "--offline", "--db", db], f"{prefix}offline")

    def median(self, kind: str) -> float:
        return statistics.median(self.wall[kind])

    def ideal(self, prefix: str, concurrency: int, latency: float) -> float:
        """requests / concurrency x latency + start-up: perfectly parallel requests."""
        sent = statistics.median(self.requests[prefix])
        return sent / concurrency * latency + self.median("startup")

    def report(self, title: str, verdicts: Sequence[Verdict], markdown: bool) -> None:
        """The table of runs, then one line per verdict."""
        print(title)
        bar = "|" if markdown else " "
        print(f"{bar} run {bar} median s {bar} min s {bar} median CPU s {bar}")
        if markdown:
            print("|---|---|---|---|")
        for name, values in self.wall.items():
            cpu = statistics.median(self.cpu[name])
            row = f"{self.median(name):.3f} {bar} {min(values):.3f} {bar} {cpu:.3f}"
            print(f"{bar} {name} {bar} {row} {bar}")
        print()
        for label, ratio, ok, note in verdicts:
            verdict = "PASS" if ok else "MISS"
            print(f"{bar} {label} {bar} ratio {ratio:.2f} {bar} {verdict} {bar} {note}")
        print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
