"""Time `auditor scan --no-resolve` against trivy and syft on the inputs make_inputs.py wrote.

Every tool runs on every input in the same session, one warm-up then N measured rounds,
with the tool order rotated each round so that drift (thermal, page cache, a noisy
neighbour) falls on all tools alike. Wall time is perf_counter around the process;
peak memory is the ru_maxrss that os.wait4 returns for that one process (Linux folds in
its waited-for descendants), not RUSAGE_CHILDREN, whose maximum spans every child so far.

This is a measurement, not a test: it always exits 0 and prints PASS/MISS per target.

`--suite foundation` (the default) is the first issue's benchmark; `--suite
python-lockfiles` is issue 3's: one ~100-package input per Python lockfile format and an
installed environment, auditor writing CycloneDX, against trivy, syft and cyclonedx-py
wherever each reads the input. `--suite js` is issue 7's: a 2,000-package package-lock.json
and a 1,000-package node_modules (bench/js_inputs.py writes both) against trivy and syft,
which read installed package.json files only as `trivy rootfs` and with syft's
javascript-package-cataloger selected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_tools import (
    DEFAULT_AUDITOR,
    WORK,
    ComponentCount,
    ToolCommand,
    auditor_command,
    child_env,
    count_components,
    cyclonedx_py_command,
    find_cyclonedx_py,
    find_syft,
    find_trivy,
    inventory_command,
    syft_command,
    trivy_command,
)
from js_inputs import syft_js_command, trivy_js_command

TOOLS = ("auditor", "trivy", "syft")
INPUTS = ("lock100", "uvlock1000", "req1000")
LOCKFILE_TOOLS = ("auditor", "trivy", "syft", "cyclonedx-py")
LOCKFILE_INPUTS = ("poetry", "pipenv", "pdm", "pylock", "requirements", "env100")
JS_INPUTS = ("npmlock2000", "nodemodules1000")
SUITES = {
    "foundation": (TOOLS, INPUTS, "json"),
    "python-lockfiles": (LOCKFILE_TOOLS, LOCKFILE_INPUTS, "cyclonedx"),
    "js": (TOOLS, JS_INPUTS, "json"),
    # Issue 36: the inventory without the store beside the stored scan, against the peers.
    "issue36": (("auditor", "auditor-nostore", "trivy", "syft"), INPUTS, "json"),
}
"""suite -> (tools, inputs, auditor's --format)."""
LIMIT_S = 0.8  # the issue: under 0.8 s on ~100 packages, store included
STORED_LIMIT_S = 0.5  # issue 36: a stored default scan of ~100 packages
TRIVY_FACTOR = 2.0  # the issue: at most 2x trivy on 1,000 packages
SYFT_SPEEDUP = 5.0  # the issue: at least 5x faster than syft


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run of one tool on one input."""

    wall_s: float
    maxrss_mib: float
    exit_code: int
    cpu_s: float
    """User + system CPU of the process (steadier than wall time on a loaded machine)."""
    count: ComponentCount | None
    stderr_tail: str


@dataclass(frozen=True, slots=True)
class Row:
    """All measured runs of one tool on one input, summarised."""

    tool: str
    input: str
    samples: tuple[Sample, ...]

    @property
    def ok(self) -> bool:
        """Every run exited 0 (a failed run's time means nothing)."""
        return all(s.exit_code == 0 for s in self.samples)

    @property
    def median_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def min_s(self) -> float:
        return min(s.wall_s for s in self.samples)

    @property
    def cpu_median_s(self) -> float:
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.maxrss_mib for s in self.samples)

    @property
    def count(self) -> ComponentCount | None:
        """Packages in the last successful run's report (a failed run's says nothing)."""
        good = [s for s in self.samples if s.exit_code == 0]
        return (good or list(self.samples))[-1].count


def measure(command: ToolCommand, out_dir: Path) -> Sample:
    """Run one command, reap it with os.wait4 and return its wall time and peak RSS."""
    stdout_path, stderr_path = out_dir / "stdout", out_dir / "stderr"
    env = child_env(command.env)
    # Output goes to files, not pipes: a pipe the parent drains would add its own work to
    # the timing, and one it does not drain would stall a tool with a large report.
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command.argv, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    # Tell Popen the child is reaped, so it never waits for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    text = stdout_path.read_text(errors="replace")
    tail = stderr_path.read_text(errors="replace").strip().splitlines()[-5:]
    return Sample(
        wall_s=wall,
        maxrss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        exit_code=process.returncode,
        cpu_s=usage.ru_utime + usage.ru_stime,
        count=count_components(text),
        stderr_tail="\n".join(tail),
    )


def benchmark(
    commands: dict[str, Callable[[Path], ToolCommand | None]],
    inputs: Sequence[str],
    rounds: int,
    warmups: int,
    scratch: Path,
) -> list[Row]:
    """Warm up, then run the tools in rotated order for `rounds` rounds on each input."""
    rows: list[Row] = []
    for name in inputs:
        target = WORK / name
        # A tool that does not read this input (None) is left out rather than timed failing.
        built = {tool: build(target) for tool, build in commands.items()}
        runnable = {tool: command for tool, command in built.items() if command is not None}
        tools = list(runnable)
        samples: dict[str, list[Sample]] = {tool: [] for tool in tools}
        for round_no in range(warmups + rounds):
            shift = round_no % len(tools)
            for tool in tools[shift:] + tools[:shift]:
                sample = measure(runnable[tool], scratch)
                if round_no >= warmups:
                    samples[tool].append(sample)
                state = "warm-up" if round_no < warmups else f"round {round_no - warmups + 1}"
                print(
                    f"  {name:12} {tool:12} {state:9} {sample.wall_s:7.3f} s"
                    f" {sample.maxrss_mib:7.1f} MiB exit {sample.exit_code}",
                    file=sys.stderr,
                )
        rows.extend(Row(tool, name, tuple(samples[tool])) for tool in tools)
    return rows


def _version(argv: Sequence[str], env: dict[str, str] | None = None) -> str:
    """First line mentioning a version number, or the reason there is none."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    except OSError as error:
        return f"unavailable ({error.strerror})"
    for line in (done.stdout + done.stderr).splitlines():
        if any(ch.isdigit() for ch in line) and "version" in line.lower():
            return " ".join(line.split())
    return (done.stdout.strip().splitlines() or ["?"])[0]


def _load() -> str:
    """The load average: other work on a 2-core machine moves every number here."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts(paths: dict[str, Path]) -> list[tuple[str, str]]:
    """What a reader needs to weigh the numbers: when, on what, with which versions."""
    mem = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
            mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    facts = [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{platform.machine()}, {os.cpu_count()} CPUs (nproc){mem}"),
        ("OS", platform.platform()),
        ("python (harness)", platform.python_version()),
        ("load average at start (1/5/15 min)", _load()),
    ]
    if "auditor" in paths:
        facts.append(("auditor", _version([str(paths["auditor"]), "--version"])))
    if "trivy" in paths:
        facts.append(("trivy", _version([str(paths["trivy"]), "--version"])))
    if "syft" in paths:
        env = child_env({"SYFT_CHECK_FOR_APP_UPDATE": "false"})
        facts.append(("syft", _version([str(paths["syft"]), "version"], env)))
    if "cyclonedx-py" in paths:
        version = _version([str(paths["cyclonedx-py"]), "--version"])
        facts.append(("cyclonedx-py (cyclonedx-bom)", version))
    return facts


def _find(rows: list[Row], tool: str, name: str) -> Row | None:
    return next((r for r in rows if r.tool == tool and r.input == name), None)


def _verdict(good: bool, *rows: Row) -> str:
    """PASS/MISS, saying so when a run failed (its time measures an error exit)."""
    failed = [r.tool for r in rows if not r.ok]
    if failed:
        return f"MISS ({', '.join(failed)} failed)"
    return "PASS" if good else "MISS"


def verdicts(rows: list[Row]) -> list[tuple[str, str, str]]:
    """(target, measured ratio, PASS/MISS/n/a) for each target the issue names.

    Verdicts use medians, as the issue does; the ratio of the minimums is shown beside
    them because on a shared 2-core machine the minimum is the less noisy estimate.
    """
    out: list[tuple[str, str, str]] = []
    small = _find(rows, "auditor", "lock100")
    if small is not None:
        ratio = small.median_s / LIMIT_S
        measured = f"{ratio:.2f} ({small.median_s:.3f} s; min {small.min_s:.3f} s)"
        target = f"auditor < {LIMIT_S} s on lock100 (auditor/limit < 1)"
        out.append((target, measured, _verdict(ratio < 1.0, small)))
    for name in ("uvlock1000", "req1000"):
        auditor, trivy = _find(rows, "auditor", name), _find(rows, "trivy", name)
        if auditor is None or trivy is None:
            continue
        ratio = auditor.median_s / trivy.median_s
        measured = f"{ratio:.2f} (min/min {auditor.min_s / trivy.min_s:.2f})"
        target = f"auditor <= {TRIVY_FACTOR:g}x trivy on {name} (auditor/trivy)"
        out.append((target, measured, _verdict(ratio <= TRIVY_FACTOR, auditor, trivy)))
    for name in INPUTS:
        auditor, syft = _find(rows, "auditor", name), _find(rows, "syft", name)
        if auditor is None or syft is None:
            continue
        speedup = syft.median_s / auditor.median_s
        measured = f"{speedup:.1f} (min/min {syft.min_s / auditor.min_s:.1f})"
        target = f"auditor >= {SYFT_SPEEDUP:g}x faster than syft on {name} (syft/auditor)"
        if syft.count is None or syft.count.total == 0:
            out.append((target, measured, "n/a (syft found no packages)"))
            continue
        out.append((target, measured, _verdict(speedup >= SYFT_SPEEDUP, auditor, syft)))
    return out


def issue36_verdicts(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 36: the inventory (`--no-resolve --no-store`) <= 2x trivy and >= 5x faster
    than syft on every input; the stored scan of ~100 packages <= 0.5 s."""
    out: list[tuple[str, str, str]] = []
    small = _find(rows, "auditor", "lock100")
    if small is not None:
        measured = f"{small.median_s:.3f} s (min {small.min_s:.3f} s)"
        target = f"stored auditor scan <= {STORED_LIMIT_S} s on lock100"
        out.append((target, measured, _verdict(small.median_s <= STORED_LIMIT_S, small)))
    for name in INPUTS:
        auditor = _find(rows, "auditor-nostore", name)
        trivy, syft = _find(rows, "trivy", name), _find(rows, "syft", name)
        if auditor is None:
            continue
        if trivy is not None:
            ratio = auditor.median_s / trivy.median_s
            measured = f"{ratio:.2f} (min/min {auditor.min_s / trivy.min_s:.2f})"
            target = f"inventory <= {TRIVY_FACTOR:g}x trivy on {name} (auditor/trivy)"
            out.append((target, measured, _verdict(ratio <= TRIVY_FACTOR, auditor, trivy)))
        if syft is not None:
            speedup = syft.median_s / auditor.median_s
            measured = f"{speedup:.1f} (min/min {syft.min_s / auditor.min_s:.1f})"
            target = f"inventory >= {SYFT_SPEEDUP:g}x faster than syft on {name} (syft/auditor)"
            if syft.count is None or syft.count.total == 0:
                out.append((target, measured, "n/a (syft found no packages)"))
            else:
                out.append((target, measured, _verdict(speedup >= SYFT_SPEEDUP, auditor, syft)))
    return out


def lockfile_verdicts(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 3: auditor >= 5x faster than syft and cyclonedx-py on each input they read.

    trivy's ratio is shown for information (the issue sets no target against it). A peer
    that ran but found no packages does not read the format: its verdict is n/a.
    """
    out: list[tuple[str, str, str]] = []
    for name in LOCKFILE_INPUTS:
        auditor = _find(rows, "auditor", name)
        if auditor is None:
            continue
        for peer_name in ("syft", "cyclonedx-py", "trivy"):
            peer = _find(rows, peer_name, name)
            if peer is None:
                continue
            speedup = peer.median_s / auditor.median_s
            measured = f"{speedup:.1f} (min/min {peer.min_s / auditor.min_s:.1f})"
            target = f"auditor >= {SYFT_SPEEDUP:g}x faster than {peer_name} on {name}"
            if peer_name == "trivy":
                target = f"{peer_name}/auditor on {name} (no target; for information)"
            if peer.count is None or peer.count.total == 0:
                out.append((target, measured, f"n/a ({peer_name} found no packages)"))
            elif peer_name == "trivy":
                out.append((target, measured, "info"))
            else:
                out.append((target, measured, _verdict(speedup >= SYFT_SPEEDUP, auditor, peer)))
    return out


def js_verdicts(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 7: auditor <= 2x trivy and >= 5x faster than syft on each npm input."""
    out: list[tuple[str, str, str]] = []
    for name in JS_INPUTS:
        auditor, trivy, syft = (_find(rows, tool, name) for tool in TOOLS)
        if auditor is None:
            continue
        if trivy is not None:
            ratio = auditor.median_s / trivy.median_s
            measured = f"{ratio:.2f} (min/min {auditor.min_s / trivy.min_s:.2f})"
            target = f"auditor <= {TRIVY_FACTOR:g}x trivy on {name} (auditor/trivy)"
            out.append((target, measured, _verdict(ratio <= TRIVY_FACTOR, auditor, trivy)))
        if syft is not None:
            speedup = syft.median_s / auditor.median_s
            measured = f"{speedup:.1f} (min/min {syft.min_s / auditor.min_s:.1f})"
            target = f"auditor >= {SYFT_SPEEDUP:g}x faster than syft on {name} (syft/auditor)"
            out.append((target, measured, _verdict(speedup >= SYFT_SPEEDUP, auditor, syft)))
    return out


def _count_text(count: ComponentCount | None) -> str:
    if count is None:
        return "no report"
    return f"{count.total} ({count.unique})"


def _ok_text(row: Row) -> str:
    """'yes', or how many runs failed and with which exit codes."""
    codes = sorted({s.exit_code for s in row.samples if s.exit_code != 0})
    if not codes:
        return "yes"
    failed = sum(1 for s in row.samples if s.exit_code != 0)
    return f"{failed}/{len(row.samples)} failed (exit {', '.join(map(str, codes))})"


def table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the results table."""
    header = ["tool", "input", "median s", "min s", "CPU s (median)", "peak RSS MiB",
              "packages (unique)", "ok"]  # fmt: skip
    cells = [
        [
            r.tool,
            r.input,
            f"{r.median_s:.3f}",
            f"{r.min_s:.3f}",
            f"{r.cpu_median_s:.3f}",
            f"{r.peak_mib:.1f}",
            _count_text(r.count),
            _ok_text(r),
        ]
        for r in rows
    ]
    return header, cells


def render(rows: list[Row], facts: list[tuple[str, str]], runs: str, markdown: bool) -> str:
    """The whole report, as aligned text or as Markdown for bench/RESULTS.md."""
    header, cells = table(rows)
    lockfiles = any(r.input in LOCKFILE_INPUTS for r in rows)
    checks = lockfile_verdicts(rows) if lockfiles else verdicts(rows)
    if any(r.input in JS_INPUTS for r in rows):
        checks = js_verdicts(rows)
    if any(r.tool == "auditor-nostore" for r in rows):
        checks = issue36_verdicts(rows)
    warnings = [
        f"{r.tool} reported no packages on {r.input}"
        for r in rows
        if r.count is None or r.count.total == 0
    ]
    failed = [(r, next(s for s in r.samples if s.exit_code != 0)) for r in rows if not r.ok]
    failures = [
        f"{r.tool} on {r.input} failed (exit {s.exit_code}); stderr ends:\n"
        + (f"```\n{s.stderr_tail}\n```" if markdown else s.stderr_tail)
        for r, s in failed
    ]
    lines: list[str] = []
    if markdown:
        lines += [f"- {key}: {value}" for key, value in facts]
        lines += [f"- runs: {runs}", ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        lines += ["", "| target | measured | verdict |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {v} |" for t, m, v in checks]
        lines += [""] + [f"- note: {w}" for w in warnings]
    else:
        width = max(len(key) for key, _ in facts) + 2
        lines += [f"{key + ':':{width}}{value}" for key, value in facts]
        lines += [f"{'runs:':{width}}{runs}", ""]
        widths = [max(len(x) for x in column) for column in zip(header, *cells, strict=True)]
        for row in [header, *cells]:
            lines.append("  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
        lines.append("")
        lines += [f"{v:5}  {t}: {m}" for t, m, v in checks]
        lines += [f"note: {w}" for w in warnings]
    lines += failures
    return "\n".join(lines).rstrip() + "\n"


def command_builders(
    paths: dict[str, Path], scratch: Path, cache: Path, fmt: str = "json"
) -> dict[str, Callable[[Path], ToolCommand | None]]:
    """For each tool, a function from an input folder to the command that scans it."""
    builders: dict[str, Callable[[Path], ToolCommand | None]] = {}
    for tool, path in paths.items():
        if tool == "trivy":
            builders[tool] = functools.partial(trivy_command, path, cache_dir=cache)
        elif tool == "syft":
            builders[tool] = functools.partial(syft_command, path)
        elif tool == "cyclonedx-py":
            builders[tool] = functools.partial(cyclonedx_py_command, path)
        elif tool == "auditor-nostore":
            builders[tool] = functools.partial(inventory_command, path, fmt=fmt)
        else:
            # One store per input, created by the warm-up run, so measured runs write to
            # an existing database as a user's second scan would.
            def auditor_for(target: Path, auditor: Path = path) -> ToolCommand:
                return auditor_command(auditor, target, scratch / f"{target.name}.db", fmt)

            builders[tool] = auditor_for
    return builders


def main() -> None:
    """Parse flags, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="foundation")
    parser.add_argument("--tools", default="", help="comma-separated subset of the suite's")
    parser.add_argument("--inputs", default="", help="comma-separated subset of the suite's")
    parser.add_argument("-n", "--rounds", type=int, default=5, help="measured runs per tool")
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--auditor", type=Path, default=DEFAULT_AUDITOR)
    parser.add_argument("--trivy", type=Path, default=None, help="default: bench/.venv")
    parser.add_argument("--syft", type=Path, default=None, help="default: bench/.venv")
    parser.add_argument("--cyclonedx-py", type=Path, default=None, help="default: bench/.venv")
    parser.add_argument("--markdown", action="store_true", help="Markdown for RESULTS.md")
    args = parser.parse_args()

    suite_tools, suite_inputs, fmt = SUITES[args.suite]
    tools = [t for t in args.tools.split(",") if t] or list(suite_tools)
    inputs = [i for i in args.inputs.split(",") if i] or list(suite_inputs)
    unknown = sorted(set(tools) - set(suite_tools)) + sorted(set(inputs) - set(suite_inputs))
    if unknown:
        sys.exit(f"run.py: unknown tool or input: {', '.join(unknown)}")
    missing_inputs = [i for i in inputs if not (WORK / i).is_dir()]
    if missing_inputs:
        sys.exit(f"run.py: {', '.join(missing_inputs)} missing; run bench/make_inputs.py first")
    paths: dict[str, Path] = {}
    located = {"auditor": args.auditor, "trivy": args.trivy or find_trivy()}
    located["syft"] = args.syft or find_syft()
    located["cyclonedx-py"] = args.cyclonedx_py or find_cyclonedx_py()
    located["auditor-nostore"] = args.auditor
    for tool in tools:
        path = located[tool]
        if path is None or not path.is_file():
            sys.exit(f"run.py: {tool} not found ({path}); run bench/setup.sh or pass --{tool}")
        paths[tool] = path

    with tempfile.TemporaryDirectory(prefix="auditor-bench-") as tmp:
        scratch = Path(tmp)
        cache = scratch / "trivy-cache"
        cache.mkdir()
        builders = command_builders(paths, scratch, cache, fmt)
        if args.suite == "js":  # installed package.json files need other peer commands
            if "trivy" in paths:
                builders["trivy"] = functools.partial(
                    trivy_js_command, paths["trivy"], cache_dir=cache
                )
            if "syft" in paths:
                builders["syft"] = functools.partial(syft_js_command, paths["syft"])
        facts = machine_facts(paths)
        rows = benchmark(builders, inputs, args.rounds, args.warmups, scratch)
        facts.append(("load average at end (1/5/15 min)", _load()))
    runs = f"{args.warmups} warm-up + {args.rounds} measured per tool and input, order rotated"
    print(render(rows, facts, runs, args.markdown), end="")


if __name__ == "__main__":
    main()
