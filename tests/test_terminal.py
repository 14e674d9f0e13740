"""The terminal as a developer sees it: a real tmux pane at 80 and 160 columns running a real
scan of examples/ (the demo's snapshots, offline), captured with `capture-pane`; `latest`
wherever a scan id is; progress stages heard through the Progress interface."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.hashing import Hasher
from auditor.pipeline import run_scan
from auditor.progress import Progress, Stage
from auditor.sources.directory import DirectoryTree
from tests.conftest import Ran

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
POLICY = EXAMPLES / "models-app" / "auditor.toml"
SGR = re.compile(r"\x1b\[[0-9;]*m")
MESSAGE_INDENT = 10


@pytest.fixture(scope="module")
def tmux() -> str:
    """tmux (Debian package tmux): a skip when missing, a failure under CI=true
    (tests/prereqs.py says so up front and installs it)."""
    from tests.prereqs import tmux_ready

    reason = tmux_ready()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the terminal capture tests must run)", pytrace=False)
        pytest.skip(reason)
    found = shutil.which("tmux")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's store: the PyPI and Hub snapshots imported, as `make demo` does."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'auditor.db'}"
    for snapshot in ("pypi-snapshot.jsonl", "hub-snapshot.jsonl"):
        _cli("cache", "import", str(EXAMPLES / snapshot), "--db", url)
    return url


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=300,
    )


@dataclass(frozen=True)
class Pane:
    """What a tmux pane showed: its lines (wrapped lines joined, as printed), the same with
    their colour codes, and every byte written to it (the transient progress display too)."""

    lines: list[str]
    coloured: str
    written: str


def _pane(tmux: str, where: Path, width: int, command: str, env: dict[str, str]) -> Pane:
    """Run `command` in a detached tmux session `width` columns wide and capture it."""
    sock, go, log = where / "tmux.sock", where / "go", where / "written.log"
    exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in env.items())
    script = where / "run.sh"
    script.write_text(
        "unset NO_COLOR COLUMNS LINES; "
        f"{exports}export PYTHONPATH={shlex.quote(str(REPO))}; cd {shlex.quote(str(REPO))}; "
        f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.05; done; "
        f"{command}; echo __DONE__; sleep 600\n"
    )
    base = [tmux, "-S", str(sock)]
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(width), "-y", "50", "sh", str(script)],
        check=True,
        env={k: v for k, v in os.environ.items() if k not in ("TMUX", "NO_COLOR")},
    )
    try:
        subprocess.run([*base, "pipe-pane", "-o", f"cat > {shlex.quote(str(log))}"], check=True)
        go.touch()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            shown = subprocess.run(
                [*base, "capture-pane", "-p"], capture_output=True, text=True, check=True
            ).stdout
            if "__DONE__" in shown:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no end of run in the pane:\n{shown}")

        def capture(*flags: str) -> str:
            return subprocess.run(
                [*base, "capture-pane", "-p", "-J", "-S", "-", *flags],
                capture_output=True,
                text=True,
                check=True,
            ).stdout

        plain, coloured = capture(), capture("-e")
    finally:
        subprocess.run([*base, "kill-server"], check=False, capture_output=True)
    written = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
    (where / f"screen-{width}.txt").write_text(plain)  # kept for a failing run's reader
    return Pane(plain.splitlines(), coloured, written)


def _scan_command(db: str, *flags: str, pipe: str = "") -> str:
    top = " ".join(flags)
    return (
        f"{shlex.quote(sys.executable)} -m auditor {top} scan examples/ --offline "
        f"--policy {shlex.quote(str(POLICY))} --db {shlex.quote(db)}{pipe}"
    )


def _table(lines: list[str]) -> list[str]:
    """The scan's table: from its first line to the closing summary's exit status."""
    start = next(i for i, line in enumerate(lines) if line.startswith("scan "))
    end = next(i for i, line in enumerate(lines) if "exit 1: 1 finding blocked by policy" in line)
    return lines[start : end + 1]


@pytest.mark.parametrize("width", [80, 160])
def test_screen_capture(tmux: str, demo_db: str, tmp_path: Path, width: int) -> None:
    pane = _pane(tmux, tmp_path, width, _scan_command(demo_db), {})
    table = _table(pane.lines)
    too_long = [line for line in table if len(line) > width]
    assert not too_long, too_long
    header = next(line for line in table if line.startswith("SEVERITY"))
    assert header.split() == ["SEVERITY", "RULE", "COMPONENT", "ORG", "(COUNTRY)"]
    # Each listed finding: its row, then its message under it, every word whole.
    stored = json.loads(_cli("report", "latest", "--format", "json", "--db", demo_db).stdout)
    words = " ".join(line.strip() for line in table).split()
    listed = [f for f in stored["findings"] if f["severity"] != "info"]
    assert listed
    for finding in listed:
        row = next(line for line in table if line.split()[:2] == [finding["severity"],
                                                                  finding["rule"]])  # fmt: skip
        assert "pkg:" not in row  # name@version, not the purl
        for word in finding["message"].split():
            if len(word) <= width - MESSAGE_INDENT:
                assert word in words, (word, finding["message"])
    assert table[-1].strip().endswith("exit 1: 1 finding blocked by policy")
    count = len(stored["components"])
    assert any(line.startswith(f"{count} components; countries:") for line in table)
    # Colour on a terminal: the severity words carry their colour.
    assert SGR.search(pane.coloured) and "medium" in SGR.sub("", pane.coloured)
    # Progress drawn on the terminal's stderr while the scan ran (then cleared).
    assert "resolving origins" in pane.written and f"{count}/{count} components" in pane.written
    assert "walking examples/" in pane.written


@pytest.mark.parametrize(
    ("flags", "env", "pipe", "progress"),
    [
        ((), {"NO_COLOR": "1"}, "", True),
        (("--no-color", "--quiet"), {}, "", False),
        ((), {}, " | cat", True),
    ],
    ids=["NO_COLOR", "--no-color --quiet", "piped"],
)
def test_plain_and_quiet(
    tmux: str,
    demo_db: str,
    tmp_path: Path,
    flags: tuple[str, ...],
    env: dict[str, str],
    pipe: str,
    progress: bool,
) -> None:
    pane = _pane(tmux, tmp_path, 80, _scan_command(demo_db, *flags, pipe=pipe), env)
    table = _table(pane.lines)
    assert all(len(line) <= 80 for line in table)  # piped: COLUMNS unset, so 80
    shown = pane.coloured[pane.coloured.index("scan ") :]
    shown = shown[: shown.index("exit 1: 1 finding blocked by policy")]
    assert not SGR.search(shown), shown[:400]
    assert ("resolving origins" in pane.written) is progress


# --- latest ---------------------------------------------------------------------------


def test_latest_wherever_a_scan_id_is(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "requirements.txt").write_text("idna==3.7\n")
    assert auditor("report", "latest").code == 2  # nothing stored yet
    first = auditor("scan", tmp_path / "app", "--no-resolve", "-f", "json")
    second = auditor("scan", tmp_path / "other", "--no-resolve", "-f", "json")
    app_id = json.loads(first.stdout)["scan"]["id"]
    other_id = json.loads(second.stdout)["scan"]["id"]
    assert json.loads(auditor("report", "latest", "-f", "json").stdout)["scan"]["id"] == other_id
    of_app = auditor("report", f"latest:{tmp_path / 'app'}", "-f", "json")
    assert json.loads(of_app.stdout)["scan"]["id"] == app_id
    of_kind = auditor("report", f"latest:dir:{tmp_path / 'app'}", "-f", "json")
    assert json.loads(of_kind.stdout)["scan"]["id"] == app_id
    purl = "pkg:pypi/six@1.16.0"
    assert purl in auditor("show", f"latest:{tmp_path / 'app'}", purl).stdout
    assert purl in auditor("why", f"latest:{tmp_path / 'app'}", purl).stdout
    assert auditor("origins", "latest").code == 0
    assert "graphml" in auditor("graph", "latest").stdout
    diffed = auditor("diff", f"latest:{tmp_path / 'app'}", "latest", "-f", "json")
    assert diffed.code == 0 and "idna" in diffed.stdout
    missing = auditor("report", f"latest:{tmp_path / 'nowhere'}")
    assert missing.code == 2 and "no stored scans of this target" in missing.stderr
    empty = auditor("report", "latest:")
    assert empty.code == 2 and "a target must follow" in empty.stderr


# --- the Progress interface -----------------------------------------------------------


class Recorded(Progress):
    """A Progress that keeps what each stage heard (thread-safe, as hashing advances from
    its workers)."""

    def __init__(self) -> None:
        self.stages: list[RecordedStage] = []

    def stage(self, label: str, total: int | None = None, unit: str = "files") -> Stage:
        found = RecordedStage(label, total, unit)
        self.stages.append(found)
        return found


class RecordedStage(Stage):
    def __init__(self, label: str, total: int | None, unit: str) -> None:
        self.label, self.expected, self.unit = label, total, unit
        self.done = 0
        self.closed = False
        self._lock = threading.Lock()

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self.done += amount

    def close(self) -> None:
        self.closed = True


def test_run_scan_reports_every_stage() -> None:
    heard = Recorded()
    config = Config(db_url="sqlite://", offline=True, store=False)
    scan = run_scan([str(EXAMPLES / "python-app")], config, progress=heard)
    by_label = {s.label.split(" ")[0]: s for s in heard.stages}
    assert {"walking", "reading", "resolving"} <= set(by_label)
    assert all(s.closed for s in heard.stages)
    walked = by_label["walking"]
    files = DirectoryTree("t", EXAMPLES / "python-app").index()
    assert walked.unit == "files" and walked.done == len(files) > 0
    resolving = by_label["resolving"]
    assert resolving.expected == resolving.done == len(scan.components)


def test_hashing_reports_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 1000)
    (tmp_path / "b.bin").write_bytes(b"y" * 2345)
    heard = Recorded()
    tree = DirectoryTree("t", tmp_path)
    Hasher(progress=heard, workers=2).sha256(tree, ["a.bin", "b.bin"])
    (stage,) = heard.stages
    assert stage.unit == "bytes" and stage.expected == stage.done == 3345 and stage.closed


def test_reading_an_images_layers_is_reported(tmp_path: Path) -> None:
    from auditor.sources.image import ImageTree
    from tests.sources.images import Member, docker_save, layer_tar

    layers = [layer_tar([Member(f"etc/layer{i}", b"x")]) for i in range(3)]
    heard = Recorded()
    ImageTree("i.tar", docker_save(tmp_path / "i.tar", layers), None, progress=heard)
    (stage,) = heard.stages
    assert stage.label == "reading i.tar layers" and stage.unit == "layers"
    assert stage.expected == stage.done == 3 and stage.closed
